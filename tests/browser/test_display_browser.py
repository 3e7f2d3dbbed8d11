"""The waiting-room TV in Chromium: the sound overlay, live calls, speech, and surviving a server restart."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from shared.calling import Actor, call_ticket, mark_no_show, recall
from shared.models import Role
from tests.browser.conftest import PUSHED, ThreadedServer
from tests.conftest import NOW, make_user
from tests.factories import checkin

SENTENCE = "Nomor antrean A, 0, 0, 1, silakan menuju Meja 2"
INDONESIAN = [{"name": "English (US)", "lang": "en-US"}, {"name": "Bahasa Indonesia", "lang": "id-ID"}]
ENGLISH_ONLY = [{"name": "English (US)", "lang": "en-US"}]

# Runs before the page's scripts: speech is recorded instead of spoken, oscillators (the chime) are counted,
# and every opened stream is counted, so tests know when the page listens.
STUBS = """
(voices => {
  window.__spoken = [];
  window.__oscillators = 0;
  window.__opened = 0;
  window.SpeechSynthesisUtterance = class { constructor(text) { this.text = text; this.lang = ""; this.voice = null; } };
  Object.defineProperty(window, "speechSynthesis", { configurable: true, value: {
    getVoices: () => voices,
    speak(utterance) {
      window.__spoken.push({ text: utterance.text, lang: utterance.lang, voice: utterance.voice && utterance.voice.name });
      setTimeout(() => utterance.onend && utterance.onend(), 20);
    },
    cancel() {},
  }});
  const createOscillator = BaseAudioContext.prototype.createOscillator;
  BaseAudioContext.prototype.createOscillator = function () {
    window.__oscillators += 1;
    return createOscillator.call(this);
  };
  document.addEventListener("htmx:sseOpen", () => { window.__opened += 1; });
})(VOICES);
"""


@pytest.fixture
def server(app: Any) -> Iterator[ThreadedServer]:
    """The display served over HTTP; streams of a stopped server notice within a second."""
    app.config["SSE_KEEPALIVE_SECONDS"] = 1
    served = ThreadedServer(app)
    yield served
    served.stop()


@pytest.fixture
def officer(app: Any) -> int:
    """An officer account that makes the calls."""
    with app.extensions["helpdesk"].sessions() as session:
        return int(make_user(session).id)


@pytest.fixture
def open_display(browser: Any, server: ThreadedServer) -> Iterator[Any]:
    """Opens the TV page (/display, or path) on a 1920x1080 screen with the given voices; the overlay is touched unless told not to."""
    contexts, errors = [], []

    def open_with(voices: list[dict[str, str]] = INDONESIAN, touch: bool = True, path: str = "/display") -> Page:
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.add_init_script(STUBS.replace("VOICES", json.dumps(voices)))
        page.goto(f"{server.url}{path}")
        page.wait_for_function("() => window.__opened >= 1")
        if touch:
            page.locator("[data-unlock]").click()
        return page

    yield open_with
    for context in contexts:
        context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def call(app: Any, officer: int, desk_id: int) -> int:
    """Check a visitor in and call them to a desk, through the app's own sessions and broker."""
    with app.extensions["helpdesk"].sessions() as session:
        visit_id = checkin(session).visit_id
        call_ticket(session, visit_id, desk_id, officer, NOW)
    return visit_id


def spoken(page: Page) -> list[dict[str, str]]:
    """What the page said aloud."""
    return list(page.evaluate("window.__spoken"))


def test_one_touch_turns_the_sound_on_and_the_clock_keeps_office_time(open_display: Any) -> None:
    page = open_display(touch=False)
    overlay = page.locator("[data-unlock]")
    expect(overlay).to_be_visible()
    expect(overlay).to_contain_text("Sentuh layar untuk mengaktifkan suara")
    overlay.click()
    expect(overlay).to_be_hidden()

    clock = page.locator("[data-clock]")
    clock.evaluate("node => new MutationObserver(() => { window.__ticked = true }).observe(node, { childList: true })")
    page.wait_for_function("() => window.__ticked")
    # Server time (the test clock), in the office zone, written the Indonesian way.
    expect(clock).to_have_text("14.05 WITA")
    expect(page.locator("[data-date]")).to_have_text("Sabtu, 28 November 2026")


def test_an_english_tv_keeps_the_date_in_english_as_its_clock_ticks(open_display: Any) -> None:
    page = open_display(path="/display?lang=en")
    clock = page.locator("[data-clock]")
    clock.evaluate("node => new MutationObserver(() => { window.__ticked = true }).observe(node, { childList: true })")
    page.wait_for_function("() => window.__ticked")
    expect(clock).to_have_text("14.05 WITA")
    expect(page.locator("[data-date]")).to_have_text("Saturday, 28 November 2026")


def test_a_call_shows_at_the_desk_at_once_then_chimes_and_is_spoken_in_indonesian(
    app: Any, officer: int, open_display: Any
) -> None:
    page = open_display()
    visit_id = call(app, officer, desk_id=2)
    desk = page.locator('[data-desk="Meja 2"]')
    expect(desk.locator(".number")).to_have_text("A-001", timeout=PUSHED)
    expect(desk).to_have_class("desk called newest flash")
    expect(page.locator("[data-waiting]")).to_have_text("0")

    page.wait_for_function("() => window.__spoken.length == 1", timeout=5000)
    assert page.evaluate("window.__oscillators") > 0
    assert spoken(page) == [{"text": SENTENCE, "lang": "id-ID", "voice": "Bahasa Indonesia"}]

    with app.extensions["helpdesk"].sessions() as session:
        recall(session, visit_id, Actor(officer, Role.OFFICER, 2))
    page.wait_for_function("() => window.__spoken.length == 2", timeout=5000)
    assert SENTENCE in spoken(page)[1]["text"]


def test_the_flash_outlasts_a_board_that_arrives_while_it_runs(app: Any, officer: int, open_display: Any) -> None:
    page = open_display()
    call(app, officer, desk_id=2)
    desk = page.locator('[data-desk="Meja 2"]')
    expect(desk).to_have_class("desk called newest flash", timeout=PUSHED)
    started = page.evaluate("performance.now()")

    with app.extensions["helpdesk"].sessions() as session:
        checkin(session)  # a new board frame replaces every card
    expect(page.locator("[data-waiting]")).to_have_text("1", timeout=PUSHED)
    if page.evaluate("performance.now()") - started < 2500:  # still within the three-second flash
        expect(desk).to_have_class("desk called newest flash", timeout=100)
        assert float(desk.evaluate("card => parseFloat(card.style.animationDelay)")) < 0  # continues, not restarts


def test_without_an_indonesian_voice_only_the_chime_plays(app: Any, officer: int, open_display: Any) -> None:
    page = open_display(voices=ENGLISH_ONLY)
    call(app, officer, desk_id=2)
    expect(page.locator('[data-desk="Meja 2"] .number')).to_have_text("A-001", timeout=PUSHED)
    page.wait_for_function("() => window.__oscillators > 0")
    page.wait_for_timeout(2200)  # the chime is over: speech would have started by now
    assert spoken(page) == []


def test_the_page_reconnects_after_a_server_restart_without_reloading(
    app: Any, officer: int, server: ThreadedServer, open_display: Any
) -> None:
    page = open_display()
    page.evaluate("window.__sameDocument = true")
    server.stop()
    expect(page.locator("[data-reconnecting]")).to_be_visible(timeout=5000)

    server.start()
    page.wait_for_function("() => window.__opened >= 2", timeout=10_000)
    expect(page.locator("[data-reconnecting]")).to_be_hidden()
    call(app, officer, desk_id=3)
    expect(page.locator('[data-desk="Meja 3"] .number')).to_have_text("A-001", timeout=PUSHED)
    assert page.evaluate("window.__sameDocument") is True


# Whether an element lies wholly inside another on screen, and shows all of its text.
INSIDE = """([row, panel]) => {
  const a = row.getBoundingClientRect(), b = panel.getBoundingClientRect();
  return a.top >= b.top && a.bottom <= b.bottom && a.left >= b.left && a.right <= b.right;
}"""
WHOLE = "node => node.scrollWidth <= node.clientWidth"


def test_a_ticket_that_did_not_come_is_struck_through_in_the_latest_calls(
    app: Any, officer: int, open_display: Any
) -> None:
    page = open_display()
    english = open_display(path="/display?lang=en")
    visits = [call(app, officer, desk_id=desk) for desk in (1, 2, 3, 1, 2, 3)]  # A-001 ... A-006
    with app.extensions["helpdesk"].sessions() as session:
        # Four of the six, the newest call among them: the list must still hold all six.
        for number, desk in ((1, 1), (3, 3), (4, 1), (6, 3)):
            mark_no_show(session, visits[number - 1], Actor(officer, Role.OFFICER, desk), NOW)

    rows = page.locator(".recent li")
    absent = "Tidak hadir"
    expect(rows).to_have_text(
        [
            f"A-006Meja 3{absent}",
            "A-005Meja 2",
            f"A-004Meja 1{absent}",
            f"A-003Meja 3{absent}",
            "A-002Meja 2",
            f"A-001Meja 1{absent}",
        ],
        timeout=PUSHED,
    )
    expect(english.locator(".recent li.absent")).to_have_text(
        ["A-006Meja 3Absent", "A-004Meja 1Absent", "A-003Meja 3Absent", "A-001Meja 1Absent"], timeout=PUSHED
    )
    panel = page.locator(".recent").element_handle()
    for index in range(6):
        row = rows.nth(index)
        missed = index in (0, 2, 3, 5)
        struck = row.locator(".number").evaluate("node => getComputedStyle(node).textDecorationLine")
        assert struck == ("line-through" if missed else "none"), row.inner_text()
        assert page.evaluate(INSIDE, [row.element_handle(), panel]), f"{row.inner_text()} is cut off"
        assert row.locator(".desk-name").evaluate(WHOLE)
        if missed:
            label = row.locator(".absent-label")
            assert label.evaluate(WHOLE)
            # Readable from the back of the room: no smaller than the date under the clock (3vh).
            assert float(label.evaluate("node => parseFloat(getComputedStyle(node).fontSize)")) >= 0.03 * 1080
    assert "Maria" not in page.content()
