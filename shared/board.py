"""What the live screens show: the officers' queue board and the waiting-room display."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from shared.checkin import default_office
from shared.models import Desk, Visit, VisitStatus
from shared.models.visits import ticket_number
from shared.staff import active_desks

# SOP step 1 has a standard time of 5 minutes; past three times that the wait is clearly too long.
STANDARD_WAIT_MINUTES = 5
LATE_WAIT_MINUTES = 15
RECENT_CALLS = 6
AT_DESK = (VisitStatus.CALLED, VisitStatus.SERVING)  # a visit that occupies its desk


@dataclass(frozen=True)
class WaitingRow:
    """A waiting visitor as officers see them: no name or phone on the board."""

    visit_id: int
    number: str
    topic: str
    party: str | None
    priority: bool
    minutes_waited: int

    @property
    def level(self) -> str:
        """How the wait compares with the SOP standard: ok, warn or late."""
        if self.minutes_waited <= STANDARD_WAIT_MINUTES:
            return "ok"
        return "warn" if self.minutes_waited <= LATE_WAIT_MINUTES else "late"


@dataclass(frozen=True)
class DeskRow:
    """A desk and the visitor called to it or served there."""

    desk_id: int
    desk: str
    number: str | None
    status: VisitStatus | None
    officer: str | None
    visit_id: int | None
    since: datetime | None


@dataclass(frozen=True)
class NoShowRow:
    """A visitor marked absent today, whom any officer may call again if they come back."""

    visit_id: int
    number: str
    desk: str | None
    minutes_ago: int


@dataclass(frozen=True)
class Board:
    """The officers' view of today's queue."""

    waiting: list[WaitingRow]
    desks: list[DeskRow]
    no_shows: list[NoShowRow]  # the latest first
    counts: dict[str, int]


@dataclass(frozen=True)
class Call:
    """A call shown on the waiting-room display; absent when the visitor did not come to the desk."""

    number: str
    desk: str
    called_at: datetime
    absent: bool = False


@dataclass(frozen=True)
class Display:
    """The waiting-room display: the current call at each desk, the latest calls, how many wait."""

    desks: list[tuple[str, Call | None]]
    recent: list[Call]
    waiting: int


def board(session: Session, day: date, now: datetime, lang: str) -> Board:
    """Today's queue for the dashboard, with topics and parties named in the given language."""
    office_id = default_office(session).id
    visits = session.scalars(
        select(Visit)
        .options(joinedload(Visit.topic), joinedload(Visit.party), joinedload(Visit.officer), joinedload(Visit.desk))
        .where(Visit.office_id == office_id, Visit.service_day == day)
        .order_by(Visit.id)
    ).all()
    waiting = [
        WaitingRow(
            v.id,
            v.number,
            v.topic.name(lang),
            v.party.label(lang) if v.party else None,
            v.priority,
            max(0, int((now - v.checked_in_at).total_seconds() // 60)),
        )
        for v in visits
        if v.status == VisitStatus.WAITING
    ]
    absent = [v for v in visits if v.status == VisitStatus.NO_SHOW]
    absent.sort(key=lambda v: (v.finished_at or now, v.id), reverse=True)
    no_shows = [
        NoShowRow(
            v.id,
            v.number,
            v.desk.name if v.desk else None,
            max(0, int((now - (v.finished_at or now)).total_seconds() // 60)),
        )
        for v in absent
    ]
    at_desk = {v.desk_id: v for v in visits if v.status in AT_DESK}
    desks = [_desk_row(desk, at_desk.get(desk.id)) for desk in active_desks(session)]
    statuses = Counter(v.status for v in visits)
    counts = {
        "waiting": len(waiting),
        "priority": sum(row.priority for row in waiting),
        "at_desks": statuses[VisitStatus.CALLED] + statuses[VisitStatus.SERVING],
        "done": statuses[VisitStatus.DONE],
        "no_show": statuses[VisitStatus.NO_SHOW],
    }
    return Board(waiting, desks, no_shows, counts)


def visit_at_desk(session: Session, desk_id: int) -> Visit | None:
    """The visitor called to, or being served at, a desk."""
    return session.scalar(select(Visit).where(Visit.desk_id == desk_id, Visit.status.in_(AT_DESK)))


def _desk_row(desk: Desk, visit: Visit | None) -> DeskRow:
    if visit is None:
        return DeskRow(desk.id, desk.name, None, None, None, None, None)
    since = visit.served_at if visit.status == VisitStatus.SERVING else visit.called_at
    return DeskRow(
        desk.id, desk.name, visit.number, visit.status, visit.officer.name if visit.officer else None, visit.id, since
    )


def display(session: Session, day: date) -> Display:
    """Today's calls for the waiting-room display: ticket numbers and desks only, and which calls went unanswered."""
    office_id = default_office(session).id
    today = (Visit.office_id == office_id) & (Visit.service_day == day)
    calls = (
        select(Visit.prefix, Visit.seq, Desk.name, Visit.called_at, Visit.status)
        .join(Desk, Visit.desk_id == Desk.id)
        .where(today, Visit.called_at.is_not(None))
    )
    recent = session.execute(calls.order_by(Visit.called_at.desc(), Visit.id.desc()).limit(RECENT_CALLS)).all()
    at_desks = session.execute(calls.where(Visit.status.in_(AT_DESK)).order_by(Visit.called_at)).all()
    current = {desk: Call(ticket_number(prefix, seq), desk, at) for prefix, seq, desk, at, _ in at_desks if at}
    waiting = session.scalar(select(func.count()).select_from(Visit).where(today, Visit.status == VisitStatus.WAITING))
    return Display(
        [(desk.name, current.get(desk.name)) for desk in active_desks(session)],
        [
            Call(ticket_number(prefix, seq), desk, at, status == VisitStatus.NO_SHOW)
            for prefix, seq, desk, at, status in recent
            if at
        ],
        waiting or 0,
    )
