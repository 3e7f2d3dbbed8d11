"""Test data made through the product's own services, shared by every tier of tests."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from shared.checkin import ConsentRecord, Ticket, check_in
from shared.checkin_form import parse_checkin
from shared.settings import QueueSettings
from tests.conftest import NOW, make_form

SETTINGS = QueueSettings(
    timezone=ZoneInfo("Asia/Makassar"),
    ticket_prefix="A",
    priority_prefix="",
    public_url="http://helpdesk.test",
    minutes_per_visitor=15,
    desks=2,
)


def checkin(
    session: Session,
    now: datetime = NOW,
    settings: QueueSettings = SETTINGS,
    proof: str | None = None,
    **overrides: str,
) -> Ticket:
    """A visitor checked in through the service, as the kiosk does; form fields may be overridden."""
    data, errors = parse_checkin(make_form(**overrides), party_ids=set(range(1, 30)), topic_ids=set(range(1, 20)))
    assert not errors
    consent = ConsentRecord("2026-11-29", now - timedelta(minutes=2), proof or uuid.uuid4().hex)
    return check_in(session, data, consent, settings, now)
