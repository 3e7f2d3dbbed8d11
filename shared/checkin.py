"""Check-in: save the visit with its consent and signature, then queue the ticket print."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.checkin_form import CheckinData
from shared.db import queue_event, write
from shared.events import Event
from shared.models import Consent, Office, Party, PrintJob, Signature, Topic, Visit
from shared.settings import QueueSettings
from shared.tickets import (
    estimated_wait_minutes,
    next_number,
    prefix_for,
    waiting_ahead,
)


class NoOfficeError(RuntimeError):
    """The database has no office yet: run `helpdesk seed`."""


@dataclass(frozen=True)
class ConsentRecord:
    """What the visitor agreed to on the kiosk, and when."""

    notice_version: str
    accepted_at: datetime
    proof: str


@dataclass(frozen=True)
class Ticket:
    """What the kiosk shows after check-in."""

    visit_id: int
    token: str
    number: str
    ahead: int
    wait_minutes: int
    status_url: str
    print_job_id: int


def default_office(session: Session) -> Office:
    """The office this installation serves."""
    office = session.scalar(select(Office).order_by(Office.id).limit(1))
    if office is None:
        raise NoOfficeError("no office configured; run `helpdesk seed`")
    return office


def check_in(
    session: Session, data: CheckinData, consent: ConsentRecord, settings: QueueSettings, now: datetime
) -> Ticket:
    """Save a check-in and its print job in one transaction; the printer is never waited for.

    A consent proof checks in once: a repeated submission (a double tap) gets the first ticket back.
    """
    try:
        return _check_in(session, data, consent, settings, now)
    except IntegrityError:
        ticket = existing_ticket(session, consent.proof, settings)
        if ticket is None:
            raise
        return ticket


def existing_ticket(session: Session, proof: str, settings: QueueSettings) -> Ticket | None:
    """The ticket already issued for a consent proof, if any."""
    visit = session.scalar(select(Visit).join(Consent).where(Consent.proof == proof))
    if visit is None:
        return None
    job_id = session.scalar(select(PrintJob.id).where(PrintJob.visit_id == visit.id, PrintJob.kind == "ticket"))
    ahead = waiting_ahead(session, visit)
    return Ticket(
        visit.id,
        visit.token,
        visit.number,
        ahead,
        estimated_wait_minutes(settings, ahead),
        settings.status_url(visit.token),
        job_id or 0,
    )


def _check_in(
    session: Session, data: CheckinData, consent: ConsentRecord, settings: QueueSettings, now: datetime
) -> Ticket:
    with write(session):
        office = default_office(session)
        topic = session.get_one(Topic, data.topic_id)
        party = session.get_one(Party, data.party_id) if data.party_id else None
        day = settings.today(now)
        prefix = prefix_for(settings, topic, data.priority)
        visit = Visit(
            office=office,
            service_day=day,
            prefix=prefix,
            seq=next_number(session, office.id, day, prefix),
            token=secrets.token_urlsafe(32),
            visitor_name=data.name,
            phone=data.phone,
            visitor_type=data.visitor_type,
            party=party,
            topic=topic,
            priority=data.priority,
            language=data.language,
            checked_in_at=now,
        )
        session.add(visit)
        session.flush()
        session.add(
            Consent(
                visit_id=visit.id,
                notice_version=consent.notice_version,
                proof=consent.proof,
                language=data.language,
                accepted_at=consent.accepted_at,
            )
        )
        session.add(Signature(visit_id=visit.id, png=data.signature_png))
        ahead = waiting_ahead(session, visit)
        job = PrintJob(
            kind="ticket",
            visit_id=visit.id,
            payload=ticket_payload(visit, office, settings, ahead),
            created_at=now,
            next_attempt_at=now,
        )
        session.add(job)
        session.flush()
        queue_event(session, Event("visit.checked_in", {"visit_id": visit.id, "number": visit.number}))
        queue_event(session, Event("print.queued", {"job_id": job.id, "visit_id": visit.id}))
    return Ticket(
        visit_id=visit.id,
        token=visit.token,
        number=visit.number,
        ahead=ahead,
        wait_minutes=estimated_wait_minutes(settings, ahead),
        status_url=settings.status_url(visit.token),
        print_job_id=job.id,
    )


def ticket_payload(visit: Visit, office: Office, settings: QueueSettings, ahead: int) -> dict[str, object]:
    """A snapshot of what the printed ticket shows, so the printout matches the screen."""
    return {
        "office": office.name,
        "number": visit.number,
        "issued_at": visit.checked_in_at.isoformat(),
        "timezone": settings.timezone.key,
        "language": visit.language,  # the ticket's wording and date are written in it when it is printed
        "topic": visit.topic.name(visit.language),
        "party": visit.party.label(visit.language) if visit.party else None,
        "priority": visit.priority,
        "ahead": ahead,
        "wait_minutes": estimated_wait_minutes(settings, ahead),
        "url": settings.status_url(visit.token),
    }
