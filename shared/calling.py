"""Calling visitors to desks and moving them through service: every change is one checked transition."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.checkin import default_office
from shared.consultation import workspace
from shared.db import queue_event, write
from shared.events import Event
from shared.i18n import N_, Refusal
from shared.models import Desk, Office, Role, User, Visit, VisitStatus
from shared.settings import QueueSettings
from shared.staff import QUEUE_ROLES

W, C, S, D, N = VisitStatus.WAITING, VisitStatus.CALLED, VisitStatus.SERVING, VisitStatus.DONE, VisitStatus.NO_SHOW
SUPERVISING_ROLES = (Role.SUPERVISOR, Role.ADMIN)  # may act on a visitor at any desk


class QueueError(Refusal):
    """The action does not fit the ticket's state; the message is for the officer."""


@dataclass(frozen=True)
class Actor:
    """Who acts on a ticket: the officer, their role and the desk they work at."""

    officer_id: int
    role: Role
    desk_id: int


def call_next(
    session: Session, desk_id: int, officer_id: int, settings: QueueSettings, clock: Callable[[], datetime]
) -> Visit | None:
    """Call the next waiting visitor to a desk; None when nobody waits.

    Exactly once and in ratio however many officers press at once: the office's calls are made one at a
    time (SQLite's write lock; on PostgreSQL a lock on the office row), so each sees every earlier call.
    The time is read once the lock is held, so the calls' times follow their order too.
    """
    with write(session):
        office_id = _hold_calls(session)
        now = clock()
        desk = _desk(session, desk_id)
        day = settings.today(now)
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
                visit.call_seq = _next_call_seq(session, visit)
                _call(session, visit, desk, officer_id, now, "visit.called")
                return visit
    return None


def priority_turn(session: Session, office_id: int, day: date, ratio: tuple[int, int]) -> bool:
    """Whether the next call goes to a priority visitor: priority first, then `normal` normal calls.

    With a ratio of 2:1 and both queues waiting, calls go P N N P N N ...; it is read from the day's
    calls in the order they were made, so it holds across officers, processes and restarts.
    """
    normal_run, priority_run = ratio
    recent = session.scalars(
        select(Visit.priority)
        .where(Visit.office_id == office_id, Visit.service_day == day, Visit.call_seq.is_not(None))
        .order_by(Visit.call_seq.desc())
        .limit(normal_run + priority_run)
    ).all()
    if not recent:
        return True
    streak = next((i for i, flag in enumerate(recent) if flag != recent[0]), len(recent))
    if recent[0]:
        return streak < priority_run
    return streak >= normal_run


def call_ticket(session: Session, visit_id: int, desk_id: int, officer_id: int, now: datetime) -> Visit:
    """Call one ticket out of order (also one marked absent who came back); any officer may, to their desk."""
    with write(session):
        _hold_calls(session)
        visit = _locked(session, visit_id, (W, N))
        visit.call_seq = _next_call_seq(session, visit)
        _call(session, visit, _desk(session, desk_id), officer_id, now, "visit.called")
    return visit


def recall(session: Session, visit_id: int, actor: Actor) -> Visit:
    """Announce a called ticket again."""
    with write(session):
        visit = _locked_for(session, visit_id, (C,), actor)
        _publish(session, visit, "visit.recalled")
    return visit


def start_service(session: Session, visit_id: int, actor: Actor, now: datetime) -> Visit:
    """The visitor arrived at the desk: service starts (SOP step 2)."""
    with write(session):
        visit = _locked_for(session, visit_id, (C,), actor)
        visit.status, visit.served_at = S, now
        if visit.desk_id == actor.desk_id:  # a supervisor starting it from elsewhere leaves the desk's officer
            visit.officer_id = actor.officer_id
        workspace.begin(session, visit, visit.officer_id or actor.officer_id, now)
        _publish(session, visit, "visit.serving")
    return visit


def finish(session: Session, visit_id: int, actor: Actor, now: datetime) -> Visit:
    """Service is over."""
    with write(session):
        visit = _locked_for(session, visit_id, (C, S), actor)
        visit.status, visit.finished_at = D, now
        workspace.close(session, visit.id, now)
        _publish(session, visit, "visit.done")
    return visit


def mark_no_show(session: Session, visit_id: int, actor: Actor, now: datetime) -> Visit:
    """The visitor did not come when called."""
    with write(session):
        visit = _locked_for(session, visit_id, (C,), actor)
        visit.status, visit.finished_at = N, now
        _publish(session, visit, "visit.no_show")
    return visit


def undo_no_show(session: Session, visit_id: int, actor: Actor) -> Visit:
    """Take back an "absent" marked by mistake: the visitor is called at the same desk again, as before.

    Only the officers at that desk or a supervisor may, only while the visitor is still marked absent, and
    only while that desk has not called anyone else since (a desk holds one visitor at a time).
    """
    with write(session):
        _hold_calls(session)  # no call to the desk slips in between the check that it is free and the undo
        visit = _locked(session, visit_id, (N,))
        desk = visit.desk
        if desk is None or not desk.active:
            raise QueueError("Meja tidak ditemukan.")
        if desk.id != actor.desk_id and actor.role not in SUPERVISING_ROLES:
            raise QueueError(
                "Tiket {number} ditandai tidak hadir di {desk}. Hanya petugas di meja itu atau supervisor yang dapat membatalkannya.",
                number=visit.number,
                desk=desk.name,
            )
        occupant = session.scalar(select(Visit).where(Visit.desk_id == desk.id, Visit.status.in_((C, S))))
        if occupant is not None:
            raise QueueError(
                "{desk} sudah memanggil tiket {other}. Panggil {number} lagi dari daftar tidak hadir setelah meja kosong.",
                desk=desk.name,
                other=occupant.number,
                number=visit.number,
            )
        visit.status, visit.finished_at = C, None
        _publish(session, visit, "visit.no_show_undone")
    return visit


def return_to_queue(session: Session, visit_id: int, actor: Actor, now: datetime) -> Visit:
    """Put a visitor back in the queue at their original place; the call no longer counts."""
    with write(session):
        visit = _locked_for(session, visit_id, (C, S, N), actor)
        workspace.pause(session, visit.id, now)
        visit.status, visit.desk_id, visit.officer_id, visit.call_seq = W, None, None, None
        visit.called_at = visit.served_at = visit.finished_at = None
        _publish(session, visit, "visit.returned")
    return visit


def transfer(
    session: Session, visit_id: int, actor: Actor, desk_id: int, officer_id: int | None, now: datetime
) -> Visit:
    """Send a called or served visitor to another desk or officer; the TV calls them there."""
    with write(session):
        visit = _locked_for(session, visit_id, (C, S), actor)
        desk = _desk(session, desk_id)
        if (
            officer_id is not None
            and session.scalar(select(User.id).where(User.id == officer_id, User.active, User.role.in_(QUEUE_ROLES)))
            is None
        ):
            raise QueueError("Petugas tidak ditemukan.")
        if desk.id == visit.desk_id and officer_id in (None, visit.officer_id):
            raise QueueError("Tiket {number} sudah di {desk}.", number=visit.number, desk=desk.name)
        workspace.pause(session, visit.id, now)
        _call(session, visit, desk, officer_id, now, "visit.transferred")
    return visit


def _call(session: Session, visit: Visit, desk: Desk, officer_id: int | None, now: datetime, event: str) -> None:
    visit.status, visit.desk, visit.officer_id, visit.called_at = C, desk, officer_id, now
    visit.served_at = visit.finished_at = None
    _publish(session, visit, event)


def _hold_calls(session: Session) -> int:
    """Wait for the office's other calls to end and keep them waiting until this one commits; its id."""
    office_id = default_office(session).id
    # FOR NO KEY UPDATE: check-ins, whose visits point at the office row, are not held up. SQLite's
    # write transaction already holds the database lock.
    session.execute(select(Office.id).where(Office.id == office_id).with_for_update(key_share=True))
    return office_id


def _next_call_seq(session: Session, visit: Visit) -> int:
    last = session.scalar(
        select(func.max(Visit.call_seq)).where(
            Visit.office_id == visit.office_id, Visit.service_day == visit.service_day
        )
    )
    return (last or 0) + 1


def _locked(session: Session, visit_id: int, allowed: Iterable[VisitStatus]) -> Visit:
    visit = session.scalar(select(Visit).where(Visit.id == visit_id).with_for_update())
    if visit is None:
        raise QueueError("Tiket tidak ditemukan.")
    if visit.status not in allowed:
        raise QueueError("Tiket {number} {state}.", number=visit.number, state=STATUS_TEXT[visit.status])
    return visit


def _locked_for(session: Session, visit_id: int, allowed: Iterable[VisitStatus], actor: Actor) -> Visit:
    """The visit, locked; a visitor at a desk is only for the officers there and supervisors."""
    visit = _locked(session, visit_id, allowed)
    at_desk = visit.desk if visit.status in (C, S) else None
    if at_desk is not None and at_desk.id != actor.desk_id and actor.role not in SUPERVISING_ROLES:
        raise QueueError(
            "Tiket {number} sedang di {desk}. Hanya petugas di meja itu atau supervisor yang dapat melayaninya.",
            number=visit.number,
            desk=at_desk.name,
        )
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
    W: N_("sedang menunggu"),
    C: N_("sudah dipanggil"),
    S: N_("sedang dilayani"),
    D: N_("sudah selesai dilayani"),
    N: N_("ditandai tidak hadir"),
}
