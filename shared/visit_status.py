"""What a visitor's phone may see about their ticket: no personal data beyond a masked name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.models import Desk, Visit, VisitStatus
from shared.models.visits import mask_name, ticket_number
from shared.text import is_token
from shared.tickets import waiting_ahead


@dataclass(frozen=True)
class PublicStatus:
    """A ticket's state for the public status page."""

    number: str
    masked_name: str
    status: VisitStatus
    desk: str | None
    ahead: int
    language: str

    @property
    def may_be_called(self) -> bool:
        """Whether a call can still come: while waiting, or called (a transfer calls again). Only then may the phone ring."""
        return self.status in (VisitStatus.WAITING, VisitStatus.CALLED)


def public_status(session: Session, token: str) -> PublicStatus | None:
    """The status behind a QR code, or None for an unknown token."""
    visit = session.scalar(select(Visit).where(Visit.token == token)) if is_token(token) else None
    if visit is None:
        return None
    ahead = waiting_ahead(session, visit) if visit.status == VisitStatus.WAITING else 0
    desk = visit.desk.name if visit.desk else None
    return PublicStatus(visit.number, visit.masked_name, visit.status, desk, ahead, visit.language)


def public_statuses(session: Session, day: date) -> dict[str, PublicStatus]:
    """Every ticket of the day by token, from one query: what all open phones need after a change.

    Queue positions follow waiting_ahead: priority visitors first, then by arrival, per office.
    """
    rows = session.execute(
        select(
            Visit.token,
            Visit.id,
            Visit.office_id,
            Visit.prefix,
            Visit.seq,
            Visit.visitor_name,
            Visit.status,
            Desk.name.label("desk"),
            Visit.priority,
            Visit.language,
        )
        .outerjoin(Desk, Visit.desk_id == Desk.id)
        .where(Visit.service_day == day)
    ).all()
    waiting = sorted(
        (row for row in rows if row.status == VisitStatus.WAITING),
        key=lambda row: (row.office_id, not row.priority, row.id),
    )
    position: dict[int, int] = {}
    office, index = None, 0
    for row in waiting:
        index = index + 1 if row.office_id == office else 0
        office, position[row.id] = row.office_id, index
    return {
        row.token: PublicStatus(
            ticket_number(row.prefix, row.seq),
            mask_name(row.visitor_name),
            row.status,
            row.desk,
            position.get(row.id, 0),
            row.language,
        )
        for row in rows
    }
