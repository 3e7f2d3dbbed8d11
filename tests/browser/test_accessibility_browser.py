"""axe-core, the accessibility checker pinned in package.json, on every screen in Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import PUSHED
from tests.browser.kiosk_steps import fill_in_the_form
from tests.conftest import LiveServer, check_in_over_http, newest_token

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
FINDINGS = """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map((rule) => ({
  rule: rule.id, impact: rule.impact, help: rule.help, where: rule.nodes.map((node) => node.target.join(" ")),
}))"""


@pytest.fixture
def open_screen(browser: Browser) -> Iterator[Any]:
    """Opens a page of a given size.

    axe is injected as an inline script (page.add_script_tag), which the screens' own Content-Security-Policy
    rightly refuses (script-src 'self'), so these pages bypass it; test_content_security_policy_browser checks
    the policy on every screen.
    """
    contexts: list[BrowserContext] = []

    def open_page(width: int, height: int, touch: bool = False) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height}, has_touch=touch, bypass_csp=True)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def findings(page: Page) -> list[dict[str, Any]]:
    """What axe-core finds on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(FINDINGS)  # type: ignore[no-any-return]


def test_axe_finds_nothing_on_any_screen(open_screen: Any, staffed_server: LiveServer) -> None:
    assert AXE.exists(), "axe-core is missing: run make deps"
    found: dict[str, list[dict[str, Any]]] = {}

    kiosk = open_screen(1080, 1920, touch=True)
    kiosk.goto(f"{staffed_server.url}/kiosk")
    found["kiosk welcome"] = findings(kiosk)
    kiosk.get_by_role("button", name="Ambil nomor antrean").tap()
    expect(kiosk.get_by_role("heading", name="Pemberitahuan pelindungan data pribadi")).to_be_visible()
    found["kiosk notice"] = findings(kiosk)
    kiosk.get_by_role("button", name="Saya setuju", exact=True).tap()
    expect(kiosk.get_by_role("heading", name="Isi data Anda")).to_be_visible()
    found["kiosk form"] = findings(kiosk)
    fill_in_the_form(kiosk, staffed_server, "Benediktus Lay")
    expect(kiosk.get_by_role("heading", name="Periksa data Anda")).to_be_visible()
    found["kiosk review"] = findings(kiosk)
    kiosk.get_by_role("button", name="Benar, ambil tiket").tap()
    expect(kiosk.locator(".ticket .number")).to_be_visible()
    found["kiosk ticket"] = findings(kiosk)

    phone = open_screen(390, 800, touch=True)
    phone.goto(f"{staffed_server.url}/t/{newest_token(staffed_server)}")
    found["status page"] = findings(phone)

    tv = open_screen(1920, 1080)
    tv.goto(f"{staffed_server.url}/display")
    found["TV"] = findings(tv)

    for _ in range(2):
        check_in_over_http(staffed_server)
    officer = open_screen(1366, 768, touch=True)
    officer.goto(f"{staffed_server.url}/login")
    found["sign-in"] = findings(officer)
    officer.fill("input[name=username]", "yohana")
    officer.fill("input[name=password]", "rahasia-123")
    officer.get_by_role("button", name="Masuk").click()
    expect(officer.get_by_role("button", name="Meja 2")).to_be_visible()
    found["desk choice"] = findings(officer)
    officer.get_by_role("button", name="Meja 2").click()
    officer.get_by_role("button", name="Panggil berikutnya").click()  # a visitor at the desk
    expect(officer.locator("#my-desk")).to_contain_text("Benediktus Lay")
    officer.locator("#scan").fill(f"{staffed_server.url}/t/{newest_token(staffed_server)}")  # a scanned ticket
    officer.locator("#scan").press("Enter")
    expect(officer.locator("#scan-result")).to_contain_text("A-003")
    expect(officer.locator("#board")).to_contain_text("A-002", timeout=PUSHED)
    found["dashboard"] = findings(officer)
    officer.goto(f"{staffed_server.url}/account/password")
    found["password"] = findings(officer)
    assert barriers(found) == [], "axe-core found:\n" + "\n".join(barriers(found))

    # The question asked before marking a visitor absent, open over the dashboard.
    officer.goto(f"{staffed_server.url}/dashboard/")
    officer.get_by_role("button", name="Tidak hadir", exact=True).click()
    expect(officer.get_by_role("dialog")).to_be_visible()
    asking = {"dashboard asking": findings(officer)}
    assert barriers(asking) == [], "axe-core found:\n" + "\n".join(barriers(asking))


def barriers(found: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Every finding, whatever its impact, with the screen, the rule, its impact and the elements."""
    return [
        f"{screen}: {item['rule']} ({item['impact']}) {item['help']}: {', '.join(item['where'])}"
        for screen, items in found.items()
        for item in items
    ]
