"""Test data made through the product's own services, shared by every tier of tests."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from shared.checkin import ConsentRecord, Ticket, check_in
from shared.checkin_form import parse_checkin
from shared.settings import QueueSettings
from tests.conftest import NOW, make_form

REPORT_NUMBER = "{seq:03d}/HD-KPU-{code}/{month}/{year}"
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


def csrf(client: Any) -> str:
    """The CSRF token of the client's session, as the sign-in page carries it."""
    page = client.get("/login")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def sign_in(client: Any, username: str = "petugas1", password: str = "rahasia-123") -> Any:
    """Post the sign-in form as a browser does."""
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf(client)})


def at_desk(client: Any, username: str, desk_id: int) -> Any:
    """Sign the client in and start work at a desk; it then sends the CSRF header htmx sends."""
    assert sign_in(client, username).status_code == 302
    token = csrf(client)
    client.post("/dashboard/desk", data={"desk_id": str(desk_id), "csrf_token": token})
    client.environ_base["HTTP_X_CSRF_TOKEN"] = token
    client.environ_base["HTTP_HX_REQUEST"] = "true"
    return client


def helpdesk(app: Any, *args: str, stdin: str = "") -> Any:
    """The `helpdesk` command on the test's database."""
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from helpdesk.cli import cli

    return CliRunner().invoke(cli, list(args), input=stdin, obj=ScriptInfo(create_app=lambda: app))


def served(session: Session, officer_id: int, desk: int = 2, **form: str) -> Any:
    """A visitor checked in, called to the officer's desk and served: the consultation is open at step 2."""
    from shared import calling
    from shared.calling import Actor
    from shared.consultation import workspace
    from shared.models import Role

    visit_id = checkin(session, **form).visit_id
    calling.call_ticket(session, visit_id, desk, officer_id, NOW)
    calling.start_service(session, visit_id, Actor(officer_id, Role.OFFICER, desk), NOW)
    consultation = workspace.for_visit(session, visit_id)
    assert consultation is not None
    return consultation


def signed_visit(
    session: Session, officer: Any, problems: tuple[str, ...] = ("Akun SIPOL terkunci",), **form: str
) -> Any:
    """A consultation with its problems recorded and the receipt signed by the visitor at NOW."""
    from shared.consultation import receipt, workspace
    from tests.conftest import signature_png

    consultation = served(session, officer.id, **form)
    for description in problems:
        workspace.add_problem(session, consultation.id, 1, description, officer, NOW)
    return receipt.sign(session, consultation.id, signature_png(), officer, NOW, SETTINGS, REPORT_NUMBER)
