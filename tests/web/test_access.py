"""Every route, walked as an anonymous visitor, an officer, a provincial officer and an admin."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from shared.consultation import workspace
from shared.models import PrintJob
from tests.conftest import NOW, make_user
from tests.factories import checkin, served

PUBLIC = "public"
QUEUE = "queue"  # officers, supervisors and admins; not provincial officers
ANYONE_SIGNED_IN = "signed-in"
PROVINCE = "province"  # provincial officers only
SUPERVISING = "supervising"  # supervisors and admins

# Each endpoint's audience. A new route must be added here, so nobody forgets to decide who may use it.
AUDIENCE = {
    "assets.vendor": PUBLIC,
    "kiosk.static": PUBLIC,
    "kiosk.root": PUBLIC,
    "kiosk.index": PUBLIC,
    "kiosk.notice": PUBLIC,
    "kiosk.consent": PUBLIC,
    "kiosk.edit": PUBLIC,
    "kiosk.review": PUBLIC,
    "kiosk.checkin": PUBLIC,
    "kiosk.ticket": PUBLIC,
    "kiosk.print_status": PUBLIC,
    "kiosk.status": PUBLIC,
    "kiosk.status_events": PUBLIC,
    "receipt.page": PUBLIC,
    "receipt.report_pdf": PUBLIC,
    "receipt.submit_survey": PUBLIC,
    "display.static": PUBLIC,
    "display.index": PUBLIC,
    "display.events": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": ANYONE_SIGNED_IN,
    "auth.password": ANYONE_SIGNED_IN,
    "auth.choose_language": PUBLIC,
    "dashboard.static": PUBLIC,
    "dashboard.index": QUEUE,
    "dashboard.choose_desk": QUEUE,
    "dashboard.board": QUEUE,
    "dashboard.board_fragment": QUEUE,
    "dashboard.events": QUEUE,
    "dashboard.call_next": QUEUE,
    "dashboard.act": QUEUE,
    "dashboard.scan": QUEUE,
    "dashboard.reprint": QUEUE,
    "consultation.page": QUEUE,
    "consultation.for_visit": QUEUE,
    "consultation.finish": QUEUE,
    "consultation.go_to_step": QUEUE,
    "consultation.add_problem": QUEUE,
    "consultation.save_problem": QUEUE,
    "consultation.problem": QUEUE,
    "consultation.move_problem": QUEUE,
    "consultation.remove_problem": QUEUE,
    "consultation.add_reference": QUEUE,
    "consultation.remove_reference": QUEUE,
    "consultation.events": QUEUE,
    "consultation.escalate": QUEUE,
    "consultation.search_faq": QUEUE,
    "consultation.add_photo": QUEUE,
    "consultation.report_pdf": QUEUE,
    "consultation.sign_receipt": QUEUE,
    "consultation.amend": QUEUE,
    "consultation.history": SUPERVISING,
    "consultation.remove_photo": QUEUE,
    "consultation.photo": QUEUE,
    "consultation.save_faq_draft": QUEUE,
    "knowledge.drafts": SUPERVISING,
    "knowledge.approve": SUPERVISING,
    "province.inbox": PROVINCE,
    "province.events": PROVINCE,
    "province.claim": PROVINCE,
    "province.release": PROVINCE,
    "province.answer": PROVINCE,
}
ROLES = ["anonymous", "officer", "supervisor", "provincial", "admin"]


@pytest.fixture
def world(app: Any) -> dict[str, Any]:
    """A waiting visitor with a print job, and one account per role."""
    with app.extensions["helpdesk"].sessions() as session:
        ticket = checkin(session)
        users = {role: make_user(session, f"akun-{role}", role=role) for role in ROLES[1:]}
        job_id = session.scalars(select(PrintJob.id)).one()
        consultation = served(session, users["officer"].id, desk=1)  # a second visitor, served at Meja 1
        problem = workspace.add_problem(session, consultation.id, 1, "Lupa kata sandi", users["officer"], NOW)
        return {
            "token": ticket.token,
            "visit_id": ticket.visit_id,
            "job_id": job_id,
            "consultation_id": consultation.id,
            "problem_id": problem.id,
        }


def client_as(app: Any, role: str) -> Any:
    client = app.test_client()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    if role != "anonymous":
        response = client.post(
            "/login", data={"username": f"akun-{role}", "password": "rahasia-123", "csrf_token": token}
        )
        assert response.status_code == 302
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
        client.post("/dashboard/desk", data={"desk_id": "1", "csrf_token": token})
    client.environ_base["HTTP_X_CSRF_TOKEN"] = token
    return client


def sample_url(rule: Any, world: dict[str, Any]) -> str:
    values = {
        "token": world["token"],
        "visit_id": world["visit_id"],
        "job_id": world["job_id"],
        "action": "recall",
        "consultation_id": world["consultation_id"],
        "problem_id": world["problem_id"],
        "step": 3,
        "direction": "down",
        "reference_id": world["problem_id"],
        "escalation_id": world["problem_id"],
        "faq_id": world["problem_id"],
        "photo_id": world["problem_id"],
        "name": "htmx.min.js",
        "filename": "display.css"
        if rule.endpoint == "display.static"
        else ("dashboard.css" if rule.endpoint == "dashboard.static" else "kiosk.css"),
    }
    return rule.build({arg: values[arg] for arg in rule.arguments})[1]


def test_every_route_has_a_declared_audience(app: Any) -> None:
    assert {rule.endpoint for rule in app.url_map.iter_rules()} - set(AUDIENCE) == set()


@pytest.mark.parametrize("role", ROLES)
def test_who_may_use_what(app: Any, world: dict[str, Any], role: str) -> None:
    client = client_as(app, role)
    # Signing out last: it ends the session the other requests rely on.
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint == "auth.logout"):
        audience = AUDIENCE[rule.endpoint]
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(sample_url(rule, world), method=method, buffered=not rule.endpoint.endswith("events"))
        status = response.status_code
        response.close()
        where = f"{role} {method} {rule.rule}"
        if rule.endpoint == "auth.logout" or (audience != PUBLIC and role == "anonymous"):
            assert _to_login(response), where
        elif (
            (audience == QUEUE and role == "provincial")
            or (audience == PROVINCE and role != "provincial")
            or (audience == SUPERVISING and role not in ("supervisor", "admin"))
        ):
            assert status == 403, where
        else:  # allowed: it may still refuse bad input (400, 404, 409), but never for lack of rights
            assert status not in (401, 403) and status < 500 and not _to_login(response), f"{where}: {status}"


@pytest.mark.parametrize("role", ["officer", "supervisor", "provincial"])
def test_no_staff_change_is_made_without_the_forms_token(app: Any, world: dict[str, Any], role: str) -> None:
    client = client_as(app, role)
    client.environ_base.pop("HTTP_X_CSRF_TOKEN")  # a page on another site posting with the staff's cookie
    staff_posts = [
        rule
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and AUDIENCE[rule.endpoint] != PUBLIC and rule.endpoint != "auth.logout"
    ]
    assert len(staff_posts) > 15
    for rule in staff_posts:
        response = client.post(sample_url(rule, world))
        assert response.status_code == 400, f"{role} POST {rule.rule}: {response.status_code}"


def _to_login(response: Any) -> bool:
    return response.status_code == 302 and "/login" in response.headers.get("Location", "")


def test_public_pages_show_no_names_or_phone_numbers(app: Any, world: dict[str, Any]) -> None:
    client = app.test_client()
    for path in ("/kiosk", f"/t/{world['token']}", "/display"):
        page = client.get(path).text
        for secret in ("Maria", "Nenobais", "0812", "81234567890"):
            assert secret not in page, (path, secret)


# Stylesheets, scripts and fonts: they hold nothing personal, so browsers may keep them.
STATIC_FILES = {"assets.vendor", "kiosk.static", "display.static", "dashboard.static"}


@pytest.mark.parametrize("fragment", [False, True], ids=["page", "fragment"])
@pytest.mark.parametrize("role", ["anonymous", "officer", "provincial"])
def test_every_answer_carries_the_security_headers(app: Any, world: dict[str, Any], role: str, fragment: bool) -> None:
    client = client_as(app, role)
    if fragment:
        client.environ_base["HTTP_HX_REQUEST"] = "true"
    requests = [
        (rule.endpoint, "GET" if "GET" in rule.methods else "POST", sample_url(rule, world))
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint == "auth.logout")
    ]
    requests += [("unknown", "GET", "/tidak-ada"), ("unknown", "GET", "/t/tiket-yang-tidak-ada")]
    for endpoint, method, url in requests:
        response = client.open(url, method=method, buffered=not endpoint.endswith("events"))
        response.close()
        where = f"{role} {method} {url} {response.status_code}"
        headers = response.headers
        policy = dict(
            part.strip().partition(" ")[::2] for part in headers.get("Content-Security-Policy", "").split(";")
        )
        assert policy.get("script-src") == "'self'" and policy.get("style-src") == "'self'", where
        assert policy.get("default-src") == "'self'" and policy.get("object-src") == "'none'", where
        assert policy.get("frame-ancestors") == "'none'" and policy.get("base-uri") == "'none'", where
        assert "unsafe" not in headers["Content-Security-Policy"], where
        assert headers.get("X-Frame-Options") == "DENY", where
        assert headers.get("X-Content-Type-Options") == "nosniff", where
        assert headers.get("Referrer-Policy") == "same-origin", where
        if endpoint in STATIC_FILES:
            assert "no-store" not in headers.get("Cache-Control", ""), where
        else:
            assert headers.get("Cache-Control") == "no-store", where
