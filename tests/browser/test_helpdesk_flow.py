"""Kiosk, dashboard and TV open at once: a visitor checks in, an officer calls, the TV and the phone follow."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PUSHED, add_officer, sign_in_at_desk
from tests.browser.kiosk_steps import fill_in_the_form
from tests.conftest import LiveServer, serve_with_printer

# Records what the TV would say instead of speaking, with an Indonesian voice available.
SPEECH_RECORDER = """
window.__spoken = [];
window.SpeechSynthesisUtterance = class { constructor(text) { this.text = text; } };
const voices = [{name: "Bahasa Indonesia", lang: "id-ID", default: true, localService: true, voiceURI: "id"}];
Object.defineProperty(window, "speechSynthesis", {value: {
  getVoices: () => voices, speak: (u) => { window.__spoken.push(u.text); setTimeout(() => u.onend && u.onend(), 10); },
  cancel: () => {}, pause: () => {}, resume: () => {}, speaking: false, pending: false,
  addEventListener: () => {}, removeEventListener: () => {}, onvoiceschanged: null,
}});
"""


@pytest.fixture
def empty_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server of its own: "call next" must find this test's visitor, not one another test left waiting."""
    with serve_with_printer(tmp_path) as server:
        yield server


@pytest.fixture
def screens(browser: Browser, empty_server: LiveServer) -> Iterator[dict[str, Page]]:
    """A portrait touch kiosk, an officer's browser and the waiting-room TV, each in its own context."""
    add_officer(empty_server)
    contexts = {
        "kiosk": browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True),
        "officer": browser.new_context(viewport={"width": 1600, "height": 1000}),
        "tv": browser.new_context(viewport={"width": 1920, "height": 1080}),
        "phone": browser.new_context(viewport={"width": 390, "height": 800}, has_touch=True),
    }
    contexts["tv"].add_init_script(SPEECH_RECORDER)
    pages = {name: context.new_page() for name, context in contexts.items()}
    errors: list[str] = []
    for page in pages.values():
        page.on("pageerror", lambda error: errors.append(str(error)))
    yield pages
    for context in contexts.values():
        context.close()
    assert errors == [], errors


def test_check_in_call_and_the_tv(screens: dict[str, Page], empty_server: LiveServer) -> None:
    officer, tv, kiosk, phone = screens["officer"], screens["tv"], screens["kiosk"], screens["phone"]

    sign_in_at_desk(officer, empty_server, "Meja 2")
    expect(officer.get_by_role("button", name="Panggil berikutnya")).to_be_visible()

    tv.goto(f"{empty_server.url}/display")
    tv.mouse.click(960, 540)  # the one-time tap that allows sound
    for page in (officer, tv):
        page.evaluate("window.__notReloaded = true")

    fill_in_the_form(kiosk, empty_server, "Benediktus Lay")
    kiosk.get_by_role("button", name="Benar, ambil tiket").tap()
    number = kiosk.locator(".ticket .number").inner_text()
    status_url = kiosk.locator("[data-qr]").get_attribute("data-qr")

    # The officer sees the new visitor without reloading.
    expect(officer.locator("#board")).to_contain_text(number, timeout=PUSHED)
    phone.goto(status_url)
    expect(phone.locator(".ticket-status")).to_contain_text("Menunggu")

    officer.get_by_role("button", name="Panggil berikutnya").click()
    expect(officer.locator("#my-desk")).to_contain_text(number)
    expect(officer.locator("#my-desk")).to_contain_text("Benediktus Lay")

    # The TV shows the number at the officer's desk and says it; the visitor's phone says they are called.
    expect(tv.get_by_text(number).first).to_be_visible(timeout=PUSHED)
    expect(tv.locator("body")).to_contain_text("Meja 2")
    tv.wait_for_function("() => window.__spoken.length > 0", timeout=5_000)
    spoken = tv.evaluate("window.__spoken")
    assert any("Meja 2" in text for text in spoken), spoken
    expect(phone.locator(".ticket-status")).to_contain_text("Dipanggil! Silakan menuju Meja 2", timeout=PUSHED)
    assert "Benediktus" not in tv.content() and "0812" not in tv.content()
    assert officer.evaluate("window.__notReloaded") and tv.evaluate("window.__notReloaded")
