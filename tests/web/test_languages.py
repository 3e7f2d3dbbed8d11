"""The screens in English: counts that read right, topics and parties by their English names, English dates."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from shared.models import Party
from tests.conftest import NOW, make_form, make_user
from tests.factories import at_desk, checkin

HX = {"HX-Request": "true"}


def sessions(app: Any) -> Any:
    return app.extensions["helpdesk"].sessions


def other_party_id(app: Any) -> str:
    with sessions(app)() as session:
        return str(session.scalar(select(Party.id).where(Party.short_name == "Partai lain")))


def kiosk_post(client: Any, path: str, lang: str, **form: str) -> Any:
    consent = client.post("/kiosk/consent", data={"lang": lang}, headers=HX)
    token = re.search(r'name="consent" value="([^"]+)"', consent.text).group(1)  # type: ignore[union-attr]
    return client.post(path, data={**make_form(lang=lang, **form), "consent": token, "lang": lang}, headers=HX)


def test_the_review_screen_names_the_topic_and_a_generic_party_in_english(client: Any, app: Any) -> None:
    english = kiosk_post(client, "/kiosk/review", "en", party_id=other_party_id(app)).text
    assert "SIPOL account and login" in english and "Political party: Other party" in english
    indonesian = kiosk_post(client, "/kiosk/review", "id", party_id=other_party_id(app)).text
    assert "Akun dan login SIPOL" in indonesian and "Partai politik: Partai lain" in indonesian


def test_the_visitor_type_question_and_its_message_use_one_wording(client: Any) -> None:
    page = kiosk_post(client, "/kiosk/review", "en", visitor_type="").text
    assert "You are visiting as" in page and "Choose what you are visiting as." in page


def test_the_kiosk_ticket_counts_people_and_minutes_in_english(client: Any, app: Any) -> None:
    with sessions(app)() as session:
        checkin(session)
    assert "Waiting before you: <b>1</b> person · about 10 minutes" in kiosk_post(client, "/kiosk/checkin", "en").text
    with sessions(app)() as session:
        checkin(session)
    app.extensions["helpdesk"].clock = lambda: NOW + timedelta(minutes=1)  # a new consent: another visitor
    assert "Waiting before you: <b>3</b> people · about 25 minutes" in kiosk_post(client, "/kiosk/checkin", "en").text


def test_the_status_page_counts_people_in_the_visitors_language(client: Any, app: Any) -> None:
    with sessions(app)() as session:
        first = checkin(session)
        english = checkin(session, lang="en")
        indonesian = checkin(session)
    assert "1 person before you" in client.get(f"/t/{english.token}").text
    assert "2 orang sebelum Anda" in client.get(f"/t/{indonesian.token}").text
    assert "Anda berikutnya" in client.get(f"/t/{first.token}").text


def test_the_dashboard_board_speaks_the_officers_language(client: Any, app: Any) -> None:
    with sessions(app)() as session:
        make_user(session, "petugas1")
        checkin(session, party_id=other_party_id(app))
    staff = at_desk(client, "petugas1", 2)
    staff.post("/language", data={"lang": "en", "csrf_token": staff.environ_base["HTTP_X_CSRF_TOKEN"]})
    board = staff.get("/dashboard/board").text
    assert "SIPOL account and login" in board and "Other party" in board
    assert "<b>1</b> waiting" in board and "<b>0</b> at desks" in board and "0 minutes" in board
    called = staff.post("/dashboard/call-next").text
    assert "SIPOL account and login" in called and "Other party" in called
    assert "<b>1</b> at a desk" in staff.get("/dashboard/board").text


def test_the_tv_writes_the_date_in_its_language(client: Any) -> None:
    assert "Saturday, 28 November 2026" in client.get("/display?lang=en").text
    assert "Sabtu, 28 November 2026" in client.get("/display").text
