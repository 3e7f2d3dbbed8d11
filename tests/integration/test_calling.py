"""Calling visitors on a real database: exactly once and in ratio under concurrency, transitions, whose desk."""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shared import calling
from shared.calling import Actor, QueueError
from shared.events import Broker
from shared.models import Role, Visit
from tests.conftest import NOW, make_user
from tests.factories import SETTINGS, checkin

AT_DESK_2_ONLY = "Tiket A-001 sedang di Meja 2. Hanya petugas di meja itu atau supervisor yang dapat melayaninya."


def at_desk(officer_id: int, desk_id: int, role: Role = Role.OFFICER) -> Actor:
    """An officer acting from a desk."""
    return Actor(officer_id, role, desk_id)


def stopped(moment: datetime) -> Callable[[], datetime]:
    """A clock that always reads the same time."""
    return lambda: moment


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
                while (visit := calling.call_next(session, desk_id, user_id, SETTINGS, stopped(NOW))) is not None:
                    called.append(visit.id)
                    calling.finish(session, visit.id, at_desk(user_id, desk_id), NOW)
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


def test_ten_officers_pressing_call_next_together_keep_the_ratio_exactly(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        for n in range(60):
            checkin(session, priority="1" if n % 3 == 0 else "")  # 20 priority visitors among 60
        officers = [make_user(session, f"petugas{n}").id for n in range(10)]
    ticks = itertools.count()

    def clock() -> datetime:
        """A clock that moves on at every reading."""
        return NOW + timedelta(milliseconds=next(ticks))

    failures: list[BaseException] = []
    start = threading.Barrier(len(officers))

    def officer(user_id: int, desk_id: int) -> None:
        try:
            with sessions() as session:
                for _ in range(5):
                    start.wait()  # the next round starts once all ten calls of this one are made
                    assert calling.call_next(session, desk_id, user_id, SETTINGS, clock) is not None
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=officer, args=(user_id, n % 3 + 1)) for n, user_id in enumerate(officers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with sessions() as session:
        calls = session.execute(
            select(Visit.id, Visit.priority).where(Visit.called_at.is_not(None)).order_by(Visit.called_at)
        ).all()
        assert Counter(session.scalars(select(Visit.status))) == {"called": 50, "waiting": 10}
    assert len({visit_id for visit_id, _ in calls}) == len(calls) == 50
    pattern = "".join("P" if priority else "N" for _, priority in calls)
    assert [pattern[i : i + 10].count("P") for i in range(0, 50, 10)] == [4, 3, 3, 4, 3]
    assert pattern == ("PNN" * 17)[:50]  # both queues waited throughout: one priority call in every three


def test_a_transfer_or_a_clock_set_back_does_not_disturb_the_ratio(session: Session) -> None:
    officer = make_user(session).id
    for n in range(9):
        checkin(session, priority="1" if n % 3 == 0 else "")
    first = calling.call_next(session, 1, officer, SETTINGS, stopped(NOW))
    assert first is not None and first.priority
    calling.call_next(session, 2, officer, SETTINGS, stopped(NOW - timedelta(minutes=5)))  # the clock stepped back
    calling.transfer(session, first.id, at_desk(officer, 1), 3, None, NOW + timedelta(minutes=1))  # announced again
    order = ""
    for minute in range(2, 6):
        visit = calling.call_next(session, 2, officer, SETTINGS, stopped(NOW + timedelta(minutes=minute)))
        assert visit is not None
        order += "P" if visit.priority else "N"
    assert order == "NPNN"


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
        visit = calling.call_next(session, 1, officer.id, settings, stopped(NOW + timedelta(minutes=minute)))
        assert visit is not None
        order += "P" if visit.priority else "N"
        calling.finish(session, visit.id, at_desk(officer.id, 1), NOW + timedelta(minutes=minute))
    assert order == expected


def test_the_service_steps_and_their_events(session: Session, sessions: sessionmaker[Session], broker: Broker) -> None:
    officer = make_user(session)
    ticket = checkin(session)
    with broker.subscribe() as events:
        calling.call_ticket(session, ticket.visit_id, 2, officer.id, NOW)
        calling.recall(session, ticket.visit_id, at_desk(officer.id, 2))
        calling.start_service(session, ticket.visit_id, at_desk(officer.id, 2), NOW)
        calling.transfer(session, ticket.visit_id, at_desk(officer.id, 2), 3, None, NOW)
        calling.mark_no_show(session, ticket.visit_id, at_desk(officer.id, 3), NOW)
        calling.return_to_queue(session, ticket.visit_id, at_desk(officer.id, 1), NOW)
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
        (lambda s, v: calling.finish(s, v, at_desk(1, 1), NOW), "Tiket A-001 sedang menunggu."),
        (lambda s, v: calling.recall(s, v, at_desk(1, 1)), "Tiket A-001 sedang menunggu."),
        (lambda s, v: calling.mark_no_show(s, v, at_desk(1, 1), NOW), "Tiket A-001 sedang menunggu."),
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
    assert calling.call_next(session, 1, officer.id, SETTINGS, stopped(NOW)) is None


def visit_row(session: Session, visit_id: int) -> tuple[Any, ...]:
    """Everything an action can change on a visit, read afresh."""
    session.expire_all()
    visit = session.get_one(Visit, visit_id)
    return (visit.status, visit.desk_id, visit.officer_id, visit.called_at, visit.served_at, visit.finished_at)


ACTS_ON_A_VISITOR: dict[str, Callable[[Session, int, Actor], Visit]] = {
    "recall": lambda s, v, by: calling.recall(s, v, by),
    "start": lambda s, v, by: calling.start_service(s, v, by, NOW),
    "no-show": lambda s, v, by: calling.mark_no_show(s, v, by, NOW),
    "finish": lambda s, v, by: calling.finish(s, v, by, NOW),
    "return": lambda s, v, by: calling.return_to_queue(s, v, by, NOW),
    "transfer": lambda s, v, by: calling.transfer(s, v, by, 3, None, NOW),
}


@pytest.mark.parametrize(
    ("action", "serving"),
    [(name, False) for name in ACTS_ON_A_VISITOR] + [("finish", True), ("return", True), ("transfer", True)],
)
def test_only_the_desk_a_visitor_is_at_may_act_on_them(session: Session, action: str, serving: bool) -> None:
    yohana, agustinus = make_user(session, "petugas1").id, make_user(session, "petugas2").id
    visit_id = checkin(session).visit_id
    calling.call_ticket(session, visit_id, 2, yohana, NOW)
    if serving:
        calling.start_service(session, visit_id, at_desk(yohana, 2), NOW)
    before = visit_row(session, visit_id)
    with pytest.raises(QueueError, match=f"^{AT_DESK_2_ONLY}$") as refused:
        ACTS_ON_A_VISITOR[action](session, visit_id, at_desk(agustinus, 1))
    assert refused.value.text("en") == (
        "Ticket A-001 is at Meja 2. Only the officer at that desk or a supervisor may attend to it."
    )
    assert visit_row(session, visit_id) == before
    ACTS_ON_A_VISITOR[action](session, visit_id, at_desk(agustinus, 2))  # a colleague at that desk may


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ADMIN])
def test_a_supervisor_may_act_at_any_desk_without_taking_the_visitor_over(session: Session, role: Role) -> None:
    officer, supervisor = make_user(session).id, make_user(session, "kepala", role=role).id
    visit_id = checkin(session).visit_id
    calling.call_ticket(session, visit_id, 2, officer, NOW)
    calling.start_service(session, visit_id, at_desk(supervisor, 1, role), NOW)
    assert visit_row(session, visit_id)[:3] == ("serving", 2, officer)
    calling.transfer(session, visit_id, at_desk(supervisor, 1, role), 3, None, NOW)
    calling.finish(session, visit_id, at_desk(supervisor, 1, role), NOW)
    assert visit_row(session, visit_id)[:2] == ("done", 3)


def marked_absent_at_desk_2(session: Session) -> tuple[int, int]:
    """An officer at Meja 2 called a visitor and marked them absent; the officer's and the visit's ids."""
    officer = make_user(session).id
    visit_id = checkin(session).visit_id
    calling.call_ticket(session, visit_id, 2, officer, NOW)
    calling.mark_no_show(session, visit_id, at_desk(officer, 2), NOW + timedelta(minutes=3))
    return officer, visit_id


def test_an_absence_marked_by_mistake_is_undone_and_the_visitor_is_called_at_the_same_desk(
    session: Session, broker: Broker
) -> None:
    officer, visit_id = marked_absent_at_desk_2(session)
    with broker.subscribe() as events:
        calling.undo_no_show(session, visit_id, at_desk(officer, 2))
        event = events.get(0.1)
    assert event and (event.name, event.data["desk"], event.data["status"]) == (
        "visit.no_show_undone",
        "Meja 2",
        "called",
    )
    assert visit_row(session, visit_id) == ("called", 2, officer, NOW, None, None)
    with pytest.raises(QueueError, match="^Tiket A-001 sudah dipanggil.$"):  # only while still absent
        calling.undo_no_show(session, visit_id, at_desk(officer, 2))


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ADMIN])
def test_only_the_officers_at_that_desk_or_a_supervisor_may_undo_an_absence(session: Session, role: Role) -> None:
    _officer, visit_id = marked_absent_at_desk_2(session)
    colleague, supervisor = make_user(session, "petugas2").id, make_user(session, "kepala", role=role).id
    before = visit_row(session, visit_id)
    with pytest.raises(QueueError) as refused:
        calling.undo_no_show(session, visit_id, at_desk(colleague, 1))
    assert refused.value.text("id") == (
        "Tiket A-001 ditandai tidak hadir di Meja 2. Hanya petugas di meja itu atau supervisor yang dapat membatalkannya."
    )
    assert refused.value.text("en") == (
        "Ticket A-001 was marked absent at Meja 2. Only the officer at that desk or a supervisor may undo it."
    )
    assert visit_row(session, visit_id) == before
    calling.undo_no_show(session, visit_id, at_desk(supervisor, 1, role))
    assert visit_row(session, visit_id)[:2] == ("called", 2)


def test_an_absence_is_not_undone_once_the_visitor_was_called_again_or_the_desk_called_someone_else(
    session: Session,
) -> None:
    officer, visit_id = marked_absent_at_desk_2(session)
    calling.return_to_queue(session, visit_id, at_desk(officer, 2), NOW)
    with pytest.raises(QueueError, match="^Tiket A-001 sedang menunggu.$"):
        calling.undo_no_show(session, visit_id, at_desk(officer, 2))

    calling.call_ticket(session, visit_id, 2, officer, NOW)
    calling.mark_no_show(session, visit_id, at_desk(officer, 2), NOW)
    other = checkin(session).visit_id
    calling.call_ticket(session, other, 2, officer, NOW)
    before = visit_row(session, visit_id)
    with pytest.raises(QueueError) as refused:
        calling.undo_no_show(session, visit_id, at_desk(officer, 2))
    assert refused.value.text("id") == (
        "Meja 2 sudah memanggil tiket A-002. Panggil A-001 lagi dari daftar tidak hadir setelah meja kosong."
    )
    assert visit_row(session, visit_id) == before
