"""Events across processes on PostgreSQL: sent with NOTIFY as the transaction commits, heard on another connection."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

import pytest
from sqlalchemy import Engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from shared.db import make_engine, make_sessionmaker, queue_event, write
from shared.events import RESYNC, Broker, Event, Subscription
from shared.models import Visit
from shared.pg_events import Listener, channel_for, notifier
from tests.conftest import PG_URL
from tests.factories import checkin

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="set HELPDESK_TEST_DATABASE_URL to run the PostgreSQL tests"),
    pytest.mark.parametrize("db_url", ["postgresql"], indirect=True),
]


@contextmanager
def listening(url: str) -> Iterator[Subscription]:
    """A subscription fed by a listener on a connection of its own, as another process has."""
    broker = Broker(feed=partial(Listener, url, channel_for(url)))
    try:
        with broker.subscribe() as subscription:
            yield subscription
    finally:
        broker.close()


@pytest.fixture
def heard(db_url: str) -> Iterator[Subscription]:
    """What another process hears."""
    with listening(db_url) as subscription:
        yield subscription


@pytest.fixture
def notifying(engine: Engine, db_url: str) -> sessionmaker[Session]:
    """Sessions that send their events with NOTIFY, as the app builds them on PostgreSQL."""
    return make_sessionmaker(engine, notify=notifier(channel_for(db_url)))


def names(subscription: Subscription, count: int) -> list[str]:
    """The names of the next count events, waiting up to 2 s for each."""
    events = [subscription.get(2.0) for _ in range(count)]
    return [event.name if event else "(nothing)" for event in events]


def mark(sessions: sessionmaker[Session], name: str = "test.marker") -> None:
    """Commit a transaction that carries only an event, to show that everything sent before it has arrived."""
    with sessions() as session, write(session):
        queue_event(session, Event(name))


def test_a_committed_check_in_reaches_a_listener_on_another_connection(
    notifying: sessionmaker[Session], heard: Subscription, engine: Engine
) -> None:
    with notifying() as session:
        ticket = checkin(session)
    event = heard.get(2.0)
    assert event == Event("visit.checked_in", {"visit_id": ticket.visit_id, "number": ticket.number})
    with Session(engine) as other:  # the change is there for whoever reacts to the event
        assert other.get_one(Visit, ticket.visit_id).number == ticket.number
    assert names(heard, 1) == ["print.queued"]


def test_work_that_is_rolled_back_sends_nothing(notifying: sessionmaker[Session], heard: Subscription) -> None:
    with notifying() as session, pytest.raises(RuntimeError), write(session):
        queue_event(session, Event("visit.checked_in", {"visit_id": 1}))
        session.flush()
        raise RuntimeError("the check-in failed")
    mark(notifying)
    assert names(heard, 1) == ["test.marker"]


def test_events_arrive_in_commit_order(notifying: sessionmaker[Session], heard: Subscription) -> None:
    with notifying() as first, notifying() as second:
        first.connection()
        queue_event(first, Event("test.first.a"))
        queue_event(first, Event("test.first.b"))
        second.connection()
        queue_event(second, Event("test.second"))
        second.commit()
        first.commit()
    assert names(heard, 3) == ["test.second", "test.first.a", "test.first.b"]


def test_an_installation_in_another_schema_hears_nothing(
    notifying: sessionmaker[Session], heard: Subscription, db_url: str
) -> None:
    other_url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3Dhd_other_installation"
    assert channel_for(other_url) != channel_for(db_url)
    other_engine = make_engine(other_url)
    try:
        with listening(other_url) as other_heard:
            other = make_sessionmaker(other_engine, notify=notifier(channel_for(other_url)))
            mark(other, "test.other")
            mark(notifying, "test.ours")
            assert names(heard, 1) == ["test.ours"]
            assert names(other_heard, 1) == ["test.other"]
    finally:
        other_engine.dispose()


def test_the_channel_names_the_database_and_schema_not_the_way_there(db_url: str) -> None:
    url = make_url(db_url)
    elsewhere = url.set(
        drivername="postgresql+psycopg", host="db.example", port=6543, username="other", password="secret"
    )
    assert channel_for(elsewhere.render_as_string(hide_password=False)) == channel_for(db_url)
    assert channel_for(url.set(database="elsewhere").render_as_string()) != channel_for(db_url)
    channel = channel_for(db_url)
    assert channel.isidentifier() and channel == channel.lower() and len(channel) < 64


def test_a_listener_that_lost_its_connection_comes_back_and_asks_screens_to_redraw(
    notifying: sessionmaker[Session], heard: Subscription, engine: Engine, db_url: str
) -> None:
    with engine.begin() as connection:
        ended = (
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = :listen"),
                {"listen": f'LISTEN "{channel_for(db_url)}"'},
            )
            .scalars()
            .all()
        )
    assert ended == [True]
    assert heard.get(5.0) == RESYNC
    mark(notifying)
    assert names(heard, 1) == ["test.marker"]
