"""Every screen under the Content-Security-Policy in Chromium: nothing is refused, htmx and live updates still work."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PUSHED, sign_in_at_desk
from tests.browser.kiosk_steps import fill_in_the_form
from tests.conftest import LiveServer

# Runs before the page's own scripts: every refusal the browser reports is kept.
WATCH_REFUSALS = """
window.__refused = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__refused.push(event.violatedDirective + " " + (event.blockedURI || "inline") + " " + event.sample);
});
"""

# Markup that sets a style attribute, as an injected or careless template would: the policy must refuse it.
STYLE_ATTRIBUTE = """() => {
  const probe = document.createElement("p");
  probe.setAttribute("style", "display: none");
  document.body.append(probe);
  return getComputedStyle(probe).display;
}"""


@pytest.fixture
def screens(browser: Browser) -> Iterator[tuple[dict[str, Page], list[str]]]:
    """The touch kiosk, an officer's PC, the waiting-room TV and a visitor's phone, and what their consoles say."""
    contexts = {
        "kiosk": browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True),
        "officer": browser.new_context(viewport={"width": 1600, "height": 1000}),
        "tv": browser.new_context(viewport={"width": 1920, "height": 1080}),
        "phone": browser.new_context(viewport={"width": 390, "height": 800}, has_touch=True),
    }
    pages, problems = {}, []
    for name, context in contexts.items():
        context.add_init_script(WATCH_REFUSALS)
        page = pages[name] = context.new_page()
        page.on("pageerror", lambda error, name=name: problems.append(f"{name}: {error}"))
        page.on(
            "console",
            lambda message, name=name: (
                problems.append(f"{name}: {message.text}")
                if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text
                else None
            ),
        )
    yield pages, problems
    for context in contexts.values():
        context.close()


def test_every_screen_works_under_the_policy(
    screens: tuple[dict[str, Page], list[str]], staffed_server: LiveServer
) -> None:
    pages, problems = screens
    officer, tv, kiosk, phone = pages["officer"], pages["tv"], pages["kiosk"], pages["phone"]

    sign_in_at_desk(officer, staffed_server, "Meja 2")
    expect(officer.get_by_role("button", name="Panggil berikutnya")).to_be_visible()

    response = tv.goto(f"{staffed_server.url}/display")
    assert response and "script-src 'self'" in response.headers["content-security-policy"]
    tv.locator("[data-unlock]").click()
    # The desk rows are sized from data-desks by display.js, not by a style attribute.
    desks = tv.locator("[data-desks]")
    expect(desks).to_have_attribute("data-desks", str(tv.locator("[data-desk]").count()))
    assert desks.evaluate("el => getComputedStyle(el).getPropertyValue('--desks').trim()") == desks.get_attribute(
        "data-desks"
    )
    for page in (officer, tv):
        page.evaluate("window.__notReloaded = true")

    # Consent, the on-screen keyboard and the signature pad; the review shows the signature from a data: URL.
    fill_in_the_form(kiosk, staffed_server, "Benediktus Lay")
    expect(kiosk.get_by_role("heading", name="Periksa data Anda")).to_be_visible()
    kiosk.get_by_role("button", name="Ubah data").tap()  # the pad redraws the signature from its data: URL
    expect(kiosk.get_by_role("heading", name="Isi data Anda")).to_be_visible()
    kiosk.get_by_role("button", name="Lanjut").tap()
    preview = kiosk.locator("img.signature-preview")
    expect(preview).to_be_visible()
    assert preview.evaluate("img => img.complete && img.naturalWidth > 0")
    kiosk.get_by_role("button", name="Benar, ambil tiket").tap()
    number = kiosk.locator(".ticket .number").inner_text()
    expect(kiosk.locator(".ticket .qr-code svg")).to_be_visible()
    status_url = kiosk.locator("[data-qr]").get_attribute("data-qr")
    assert status_url

    # The officer's board follows over the live stream; a scanned ticket opens and the scan box empties.
    expect(officer.locator("#board")).to_contain_text(number, timeout=PUSHED)
    officer.locator("#scan").fill(status_url)
    officer.locator("#scan").press("Enter")
    expect(officer.locator("#scan-result")).to_contain_text(number)
    expect(officer.locator("#scan")).to_have_value("")

    phone.goto(status_url)
    expect(phone.locator(".ticket-status")).to_contain_text("Menunggu")

    officer.get_by_role("button", name="Panggil berikutnya").click()
    expect(officer.locator("#my-desk")).to_contain_text(number)
    expect(tv.locator('[data-desk="Meja 2"] .number')).to_have_text(number, timeout=PUSHED)
    expect(phone.locator(".ticket-status")).to_contain_text("Dipanggil! Silakan menuju Meja 2", timeout=PUSHED)
    assert officer.evaluate("window.__notReloaded") and tv.evaluate("window.__notReloaded")

    for name, page in pages.items():
        assert page.evaluate("window.__refused") == [], name
        assert page.evaluate("document.querySelectorAll('style').length") == 0, name  # htmx added none
    assert problems == []

    # The policy is in force on every screen: a style attribute in markup is refused.
    for name, page in pages.items():
        assert page.evaluate(STYLE_ATTRIBUTE) != "none", name
        page.wait_for_function("() => window.__refused.some(text => text.startsWith('style-src'))")
