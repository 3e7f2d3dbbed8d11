"""The visitor's status page on a phone in Chromium: turning the sound on, and what a call does on the phone."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from shared import calling
from shared.calling import Actor
from shared.models import Role
from tests.browser.conftest import PUSHED, ThreadedServer
from tests.conftest import NOW, make_user
from tests.factories import checkin

# Runs before the page's scripts: oscillators (the beep) are counted and vibrations recorded.
STUBS = """
window.__oscillators = 0;
window.__vibrations = [];
const createOscillator = BaseAudioContext.prototype.createOscillator;
BaseAudioContext.prototype.createOscillator = function () {
  window.__oscillators += 1;
  return createOscillator.call(this);
};
Object.defineProperty(Navigator.prototype, "vibrate", {
  configurable: true, value: (pattern) => { window.__vibrations.push(pattern); return true; },
});
"""

TEXT = {
    "id": {
        "enable": "Aktifkan suara dan getar saat dipanggil",
        "active": "Suara dan getar aktif",
        "test": "Coba bunyi",
        "off": "Matikan",
        "ahead": "1 orang sebelum Anda",
    },
    "en": {
        "enable": "Turn on sound and vibration for when you are called",
        "active": "Sound and vibration on",
        "test": "Test sound",
        "off": "Turn off",
        "ahead": "1 person before you",
    },
}
CALL_PATTERN = [400, 150, 400, 150, 400]


@pytest.fixture
def server(app: Any) -> Iterator[str]:
    """The test app served over HTTP in this process, so the test's service calls reach the phone's stream."""
    served = ThreadedServer(app)
    yield served.url
    served.stop()  # open streams end with the server, as they would at a restart


class Officer:
    """An officer working the queue through the calling services, as the dashboard does."""

    def __init__(self, app: Any) -> None:
        self.sessions = app.extensions["helpdesk"].sessions
        with self.sessions() as session:
            self.id = int(make_user(session).id)

    def call(self, visit_id: int, desk: int = 2) -> None:
        with self.sessions() as session:
            calling.call_ticket(session, visit_id, desk, self.id, NOW)

    def transfer(self, visit_id: int, desk: int, to: int) -> None:
        with self.sessions() as session:
            calling.transfer(session, visit_id, Actor(self.id, Role.OFFICER, desk), to, None, NOW)

    def end(self, service: Callable[[Session, int, Actor, datetime], object], visit_id: int, desk: int = 2) -> None:
        """Start, finish or mark absent: the services that take the visit, the officer at the desk and the time."""
        with self.sessions() as session:
            service(session, visit_id, Actor(self.id, Role.OFFICER, desk), NOW)


@pytest.fixture
def officer(app: Any) -> Officer:
    """An officer account that makes the calls."""
    return Officer(app)


@pytest.fixture
def open_phone(browser: Any, server: str) -> Iterator[Callable[[str], Page]]:
    """Opens a ticket's status page on a 390x800 touch phone and waits for its live stream."""
    contexts, errors = [], []

    def open_with(token: str) -> Page:
        context = browser.new_context(viewport={"width": 390, "height": 800}, has_touch=True, is_mobile=True)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.add_init_script(STUBS + 'document.addEventListener("htmx:sseOpen", () => { window.__open = true; });')
        page.goto(f"{server}/t/{token}")
        page.wait_for_function("() => window.__open")
        return page

    yield open_with
    for context in contexts:
        context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def ticket(app: Any, **form: str) -> tuple[int, str]:
    """A visitor checked in at the kiosk: the visit id and the token behind the ticket's QR code."""
    with app.extensions["helpdesk"].sessions() as session:
        checked_in = checkin(session, **form)
    return checked_in.visit_id, checked_in.token


def beeps(page: Page) -> int:
    return int(page.evaluate("window.__oscillators"))


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_sound_says_it_is_on_until_the_visitor_turns_it_off(
    app: Any, officer: Officer, open_phone: Callable[[str], Page], lang: str
) -> None:
    text = TEXT[lang]
    visit_id, token = ticket(app, lang=lang)
    page = open_phone(token)
    enable = page.get_by_role("button", name=text["enable"])
    active = page.get_by_text(text["active"])
    expect(active).to_be_hidden()

    enable.tap()
    expect(active).to_be_visible()
    expect(enable).to_be_hidden()
    assert beeps(page) > 0 and page.evaluate("window.__vibrations") == [100]  # the tap itself answers

    with app.extensions["helpdesk"].sessions() as session:
        checkin(session, priority="1")  # a priority visitor goes ahead: the page is updated
    expect(page.locator(".ticket-status")).to_contain_text(text["ahead"], timeout=PUSHED)
    expect(active).to_be_visible()

    before = beeps(page)
    page.get_by_role("button", name=text["test"]).tap()
    page.wait_for_function(f"() => window.__oscillators > {before}")

    page.get_by_role("button", name=text["off"]).tap()
    expect(active).to_be_hidden()
    expect(enable).to_be_visible()
    silent = beeps(page)
    officer.call(visit_id)
    expect(page.locator(".ticket-status")).to_have_attribute("data-status", "called", timeout=PUSHED)
    page.wait_for_timeout(300)
    assert beeps(page) == silent and page.evaluate("window.__vibrations") == [100, 200, 0]  # off means off


def test_a_call_rings_and_a_transfer_rings_again_then_the_sound_goes_once_service_starts(
    app: Any, officer: Officer, open_phone: Callable[[str], Page]
) -> None:
    visit_id, token = ticket(app)
    page = open_phone(token)
    page.get_by_role("button", name=TEXT["id"]["enable"]).tap()
    active = page.get_by_text(TEXT["id"]["active"])
    expect(active).to_be_visible()
    tapped = beeps(page)

    officer.call(visit_id)
    expect(page.locator(".ticket-status")).to_contain_text("Dipanggil! Silakan menuju Meja 2", timeout=PUSHED)
    page.wait_for_function(f"() => window.__oscillators > {tapped}")
    assert page.evaluate("window.__vibrations")[-1] == CALL_PATTERN
    expect(active).to_be_visible()  # a called visitor may still be called to another desk

    called = beeps(page)
    officer.transfer(visit_id, 2, to=3)
    expect(page.locator(".ticket-status")).to_contain_text("Meja 3", timeout=PUSHED)
    page.wait_for_function(f"() => window.__oscillators > {called}")
    assert page.evaluate("window.__vibrations").count(CALL_PATTERN) == 2

    officer.end(calling.start_service, visit_id, desk=3)
    expect(page.locator(".ticket-status")).to_contain_text("Sedang dilayani di Meja 3", timeout=PUSHED)
    expect(active).to_be_hidden()
    expect(page.get_by_role("button")).to_have_count(0)


def test_no_sound_is_offered_for_a_ticket_that_is_over_or_becomes_so(
    app: Any, officer: Officer, open_phone: Callable[[str], Page]
) -> None:
    finished, finished_token = ticket(app)
    absent, absent_token = ticket(app)
    for visit_id, desk, end in ((finished, 1, calling.finish), (absent, 2, calling.mark_no_show)):
        officer.call(visit_id, desk)
        officer.end(end, visit_id, desk)
    for token, state in ((finished_token, "Selesai"), (absent_token, "Tidak hadir saat dipanggil")):
        page = open_phone(token)
        expect(page.locator(".ticket-status")).to_contain_text(state)
        expect(page.get_by_role("button")).to_have_count(0)
        expect(page.get_by_text(TEXT["id"]["active"])).to_be_hidden()

    # Open while called, the page offers the sound; when the officer marks the visitor absent, it goes.
    called, token = ticket(app)
    officer.call(called)
    page = open_phone(token)
    enable = page.get_by_role("button", name=TEXT["id"]["enable"])
    expect(enable).to_be_visible()
    officer.end(calling.mark_no_show, called)
    expect(page.locator(".ticket-status")).to_contain_text("Tidak hadir saat dipanggil", timeout=PUSHED)
    expect(enable).to_be_hidden()
    expect(page.get_by_role("button")).to_have_count(0)


@pytest.mark.parametrize(("lang", "lost"), [("id", "Koneksi terputus"), ("en", "Connection lost")])
def test_a_lost_connection_is_said_in_the_visitors_language_until_it_is_back(
    app: Any, browser: Any, server: str, lang: str, lost: str
) -> None:
    _, token = ticket(app, lang=lang)
    context = browser.new_context(viewport={"width": 390, "height": 800}, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.route("**/events", lambda route: route.abort())  # the phone has no network for the live stream
    page.goto(f"{server}/t/{token}")
    note = page.get_by_text(lost)
    expect(note).to_be_visible(timeout=PUSHED)
    expect(page.get_by_text("diperbarui otomatis" if lang == "id" else "updates by itself")).to_be_hidden()

    page.unroute("**/events")
    expect(note).to_be_hidden(timeout=PUSHED)
    context.close()
