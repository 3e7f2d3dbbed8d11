"""Calling visitors on a real database: exactly once under concurrency, priority ratio, transitions."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shared import calling
from shared.calling import QueueError
from shared.events import Broker
from shared.models import Visit
from tests.conftest import NOW, make_user
from tests.integration.test_checkin import SETTINGS, checkin


def test_four_officers_pressing_call_next_call_each_visitor_once(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        for _ in range(100):
            checkin(session)
        officers = [make_user(session, f"petugas{n}").id for n in range(4)]
    called: list[int] = []
    failures: list[BaseException] = []
    start = threading.Barrier(len(officers))

    def officer(user_id: int, desk_id: int) -> None:
        try:
            with sessions() as session:
                start.wait()
                while (visit := calling.call_next(session, desk_id, user_id, SETTINGS, NOW)) is not None:
                    called.append(visit.id)
                    calling.finish(session, visit.id, NOW)
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [
        threading.Thread(target=officer, args=(user_id, desk)) for desk, user_id in enumerate(officers, 1) if desk <= 3
    ]
    threads.append(threading.Thread(target=officer, args=(officers[3], 1)))  # two officers can share a desk
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(called) == 100 and len(set(called)) == 100
    with sessions() as session:
        assert Counter(session.scalars(select(Visit.status))) == {"done": 100}


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [((2, 1), "PNNPNNPNN"), ((1, 1), "PNPNPNNNN"), ((1, 2), "PPNPNNNNN")],
)
def test_priority_goes_first_and_normal_visitors_never_starve(
    session: Session, ratio: tuple[int, int], expected: str
) -> None:
    settings = SETTINGS.__class__(**{**SETTINGS.__dict__, "call_ratio": ratio})
    officer = make_user(session)
    for n in range(12):
        checkin(session, priority="1" if n % 4 == 0 else "")  # 3 priority visitors among 12
    order = ""
    for minute in range(9):
        visit = calling.call_next(session, 1, officer.id, settings, NOW + timedelta(minutes=minute))
        assert visit is not None
        order += "P" if visit.priority else "N"
        calling.finish(session, visit.id, NOW + timedelta(minutes=minute))
    assert order == expected


def test_the_service_steps_and_their_events(session: Session, sessions: sessionmaker[Session], broker: Broker) -> None:
    officer = make_user(session)
    ticket = checkin(session)
    with broker.subscribe() as events:
        calling.call_ticket(session, ticket.visit_id, 2, officer.id, NOW)
        calling.recall(session, ticket.visit_id)
        calling.start_service(session, ticket.visit_id, officer.id, NOW)
        calling.transfer(session, ticket.visit_id, 3, None, NOW)
        calling.mark_no_show(session, ticket.visit_id, NOW)
        calling.return_to_queue(session, ticket.visit_id)
        received = [events.get(0.1) for _ in range(6)]
    assert [(e.name, e.data["desk"]) for e in received if e] == [
        ("visit.called", "Meja 2"),
        ("visit.recalled", "Meja 2"),
        ("visit.serving", "Meja 2"),
        ("visit.transferred", "Meja 3"),
        ("visit.no_show", "Meja 3"),
        ("visit.returned", None),
    ]
    assert all(e and e.data["number"] == "A-001" for e in received)
    visit = session.get_one(Visit, ticket.visit_id)
    session.refresh(visit)
    assert (visit.status, visit.desk_id, visit.called_at) == ("waiting", None, None)


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (lambda s, v: calling.finish(s, v, NOW), "Tiket A-001 sedang menunggu."),
        (lambda s, v: calling.recall(s, v), "Tiket A-001 sedang menunggu."),
        (lambda s, v: calling.mark_no_show(s, v, NOW), "Tiket A-001 sedang menunggu."),
        (lambda s, v: calling.call_ticket(s, v, 99, 1, NOW), "Meja tidak ditemukan."),
        (lambda s, v: calling.call_ticket(s, 999, 1, 1, NOW), "Tiket tidak ditemukan."),
    ],
)
def test_actions_that_do_not_fit_are_refused_with_a_reason(session: Session, step, message: str) -> None:
    make_user(session)
    ticket = checkin(session)
    with pytest.raises(QueueError, match=f"^{message}$"):
        step(session, ticket.visit_id)
    assert session.get_one(Visit, ticket.visit_id).status == "waiting"


def test_yesterdays_waiting_visitors_are_not_called_today(session: Session) -> None:
    officer = make_user(session)
    checkin(session, now=NOW - timedelta(days=1))
    assert calling.call_next(session, 1, officer.id, SETTINGS, NOW) is None
