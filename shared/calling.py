"""Calling visitors to desks and moving them through service: every change is one checked transition."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.checkin import default_office
from shared.db import queue_event, write
from shared.events import Event
from shared.i18n import Refusal
from shared.models import Desk, User, Visit, VisitStatus
from shared.settings import QueueSettings
from shared.staff import QUEUE_ROLES

W, C, S, D, N = VisitStatus.WAITING, VisitStatus.CALLED, VisitStatus.SERVING, VisitStatus.DONE, VisitStatus.NO_SHOW


class QueueError(Refusal):
    """The action does not fit the ticket's state; the message is for the officer."""


def call_next(session: Session, desk_id: int, officer_id: int, settings: QueueSettings, now: datetime) -> Visit | None:
    """Call the next waiting visitor to a desk; None when nobody waits.

    Exactly once: on SQLite the write transaction holds the database lock; on PostgreSQL the row is
    locked and other officers pressing at the same moment skip to the next visitor.
    """
    with write(session):
        desk = _desk(session, desk_id)
        day = settings.today(now)
        office_id = default_office(session).id
        order = (True, False) if priority_turn(session, office_id, day, settings.call_ratio) else (False, True)
        for priority in order:
            visit = session.scalar(
                select(Visit)
                .where(
                    Visit.office_id == office_id,
                    Visit.service_day == day,
                    Visit.status == W,
                    Visit.priority == priority,
                )
                .order_by(Visit.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if visit is not None:
                _call(session, visit, desk, officer_id, now, "visit.called")
                return visit
    return None


def priority_turn(session: Session, office_id: int, day: date, ratio: tuple[int, int]) -> bool:
    """Whether the next call goes to a priority visitor: priority first, then `normal` normal calls.

    With a ratio of 2:1 and both queues waiting, calls go P N N P N N ...; it is read from the day's
    calls, so it holds across officers, processes and restarts.
    """
    normal_run, priority_run = ratio
    recent = session.scalars(
        select(Visit.priority)
        .where(Visit.office_id == office_id, Visit.service_day == day, Visit.called_at.is_not(None))
        .order_by(Visit.called_at.desc(), Visit.id.desc())
        .limit(normal_run + priority_run)
    ).all()
    if not recent:
        return True
    streak = next((i for i, flag in enumerate(recent) if flag != recent[0]), len(recent))
    if recent[0]:
        return streak < priority_run
    return streak >= normal_run


def call_ticket(session: Session, visit_id: int, desk_id: int, officer_id: int, now: datetime) -> Visit:
    """Call one ticket out of order (also one marked absent who came back)."""
    with write(session):
        visit = _locked(session, visit_id, (W, N))
        _call(session, visit, _desk(session, desk_id), officer_id, now, "visit.called")
    return visit


def recall(session: Session, visit_id: int) -> Visit:
    """Announce a called ticket again."""
    with write(session):
        visit = _locked(session, visit_id, (C,))
        _publish(session, visit, "visit.recalled")
    return visit


def start_service(session: Session, visit_id: int, officer_id: int, now: datetime) -> Visit:
    """The visitor arrived at the desk: service starts (SOP step 2)."""
    with write(session):
        visit = _locked(session, visit_id, (C,))
        visit.status, visit.served_at, visit.officer_id = S, now, officer_id
        _publish(session, visit, "visit.serving")
    return visit


def finish(session: Session, visit_id: int, now: datetime) -> Visit:
    """Service is over."""
    with write(session):
        visit = _locked(session, visit_id, (C, S))
        visit.status, visit.finished_at = D, now
        _publish(session, visit, "visit.done")
    return visit


def mark_no_show(session: Session, visit_id: int, now: datetime) -> Visit:
    """The visitor did not come when called."""
    with write(session):
        visit = _locked(session, visit_id, (C,))
        visit.status, visit.finished_at = N, now
        _publish(session, visit, "visit.no_show")
    return visit


def return_to_queue(session: Session, visit_id: int) -> Visit:
    """Put a visitor back in the queue at their original place."""
    with write(session):
        visit = _locked(session, visit_id, (C, S, N))
        visit.status, visit.desk_id, visit.officer_id = W, None, None
        visit.called_at = visit.served_at = visit.finished_at = None
        _publish(session, visit, "visit.returned")
    return visit


def transfer(session: Session, visit_id: int, desk_id: int, officer_id: int | None, now: datetime) -> Visit:
    """Send a called or served visitor to another desk or officer; the TV calls them there."""
    with write(session):
        visit = _locked(session, visit_id, (C, S))
        desk = _desk(session, desk_id)
        if (
            officer_id is not None
            and session.scalar(select(User.id).where(User.id == officer_id, User.active, User.role.in_(QUEUE_ROLES)))
            is None
        ):
            raise QueueError("Petugas tidak ditemukan.")
        if desk.id == visit.desk_id and officer_id in (None, visit.officer_id):
            raise QueueError("Tiket {number} sudah di {desk}.", number=visit.number, desk=desk.name)
        _call(session, visit, desk, officer_id, now, "visit.transferred")
    return visit


def _call(session: Session, visit: Visit, desk: Desk, officer_id: int | None, now: datetime, event: str) -> None:
    visit.status, visit.desk, visit.officer_id, visit.called_at = C, desk, officer_id, now
    visit.served_at = visit.finished_at = None
    _publish(session, visit, event)


def _locked(session: Session, visit_id: int, allowed: Iterable[VisitStatus]) -> Visit:
    visit = session.scalar(select(Visit).where(Visit.id == visit_id).with_for_update())
    if visit is None:
        raise QueueError("Tiket tidak ditemukan.")
    if visit.status not in allowed:
        raise QueueError("Tiket {number} {state}.", number=visit.number, state=STATUS_TEXT[visit.status])
    return visit


def _desk(session: Session, desk_id: int) -> Desk:
    desk = session.get(Desk, desk_id)
    if desk is None or not desk.active:
        raise QueueError("Meja tidak ditemukan.")
    return desk


def _publish(session: Session, visit: Visit, name: str) -> None:
    session.flush()
    desk = visit.desk.name if visit.desk else None
    queue_event(
        session, Event(name, {"visit_id": visit.id, "number": visit.number, "desk": desk, "status": visit.status})
    )


STATUS_TEXT = {
    W: "sedang menunggu",
    C: "sudah dipanggil",
    S: "sedang dilayani",
    D: "sudah selesai dilayani",
    N: "ditandai tidak hadir",
}
