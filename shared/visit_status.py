"""What a visitor's phone may see about their ticket: no personal data beyond a masked name."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.models import Visit, VisitStatus
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


def public_status(session: Session, token: str) -> PublicStatus | None:
    """The status behind a QR code, or None for an unknown token."""
    visit = session.scalar(select(Visit).where(Visit.token == token))
    if visit is None:
        return None
    ahead = waiting_ahead(session, visit) if visit.status == VisitStatus.WAITING else 0
    desk = visit.desk.name if visit.desk else None
    return PublicStatus(visit.number, visit.masked_name, visit.status, desk, ahead, visit.language)
