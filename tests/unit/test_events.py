"""The in-process broker: every subscriber gets every event in order, staff screens before the TVs."""

from __future__ import annotations

import time

from shared.events import Broker, Event
from shared.live import ROOM, STAFF, VISITOR

CHECKED_IN, CALLED = Event("visit.checked_in", {"number": "A-001"}), Event("visit.called", {"number": "A-001"})


def test_the_tvs_hear_of_an_event_once_the_officers_screens_have_dealt_with_it() -> None:
    broker = Broker(head_start=30)
    officer, phone, tv = broker.subscribe(STAFF), broker.subscribe(VISITOR), broker.subscribe(ROOM)
    broker.publish([CHECKED_IN, CALLED])

    assert [officer.get(0), officer.get(0)] == [CHECKED_IN, CALLED]
    assert phone.get(0.1) is None and tv.get(0) is None  # the officer's screen is still rendering
    assert officer.get(0.05) is None  # ...and now waits for news again
    assert [phone.get(5), phone.get(5)] == [CHECKED_IN, CALLED]
    assert tv.get(0.1) is None
    assert phone.get(0.05) is None
    assert [tv.get(5), tv.get(5), tv.get(0.05)] == [CHECKED_IN, CALLED, None]
    assert broker.sequence == 2 and broker.subscriber_count == 3
    broker.close()


def test_a_stalled_screen_holds_the_others_back_for_the_head_start_only() -> None:
    broker = Broker(head_start=0.2)
    broker.subscribe(STAFF)  # never reads again, as a browser that hung would
    tv = broker.subscribe(ROOM)
    started = time.monotonic()
    broker.publish([CALLED])
    assert tv.get(5) == CALLED
    assert 0.15 <= time.monotonic() - started < 3
    broker.close()


def test_one_kind_of_screen_hears_at_once_and_a_closed_one_hears_nothing() -> None:
    broker = Broker(head_start=30)
    first, second, gone = broker.subscribe(ROOM), broker.subscribe(ROOM), broker.subscribe(ROOM)
    gone.close()
    broker.publish([CHECKED_IN])
    assert first.get(0) == CHECKED_IN and second.get(0) == CHECKED_IN and gone.get(0) is None
    assert broker.subscriber_count == 2
    broker.close()
