"""The receipt's page on a visitor's phone in Chromium: the proof, and the survey answered with the thumb."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from shared.consultation.models import SurveyResponse
from tests.browser.conftest import ThreadedServer
from tests.conftest import make_user
from tests.factories import signed_visit

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_FINDINGS = """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map((rule) => ({
  rule: rule.id, impact: rule.impact, where: rule.nodes.map((node) => node.target.join(" ")),
}))"""
SCORES = [4, 3, 4, 2, 4, 3, 4, 4, 1]
# Runs before the page's own scripts: every refusal of the Content-Security-Policy is kept.
WATCH_REFUSALS = """
window.__refused = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__refused.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


@pytest.fixture
def server(app: Any) -> Iterator[str]:
    """The test app served over HTTP in this process."""
    served = ThreadedServer(app)
    yield served.url
    served.stop()


def signed_receipt(app: Any, lang: str = "id") -> str:
    """A consultation with one problem whose receipt the visitor signed: the token behind its QR code."""
    with app.extensions["helpdesk"].sessions() as session:
        token = signed_visit(session, make_user(session, f"petugas-{lang}"), lang=lang).receipt_token
        assert token
        return str(token)


@pytest.fixture
def open_phone(browser: Browser, server: str) -> Iterator[Callable[..., Page]]:
    """Opens a receipt's page on a 390x800 touch phone; no page may raise an error or break the policy."""
    contexts, pages, errors = [], [], []

    def open_with(token: str, javascript: bool = True) -> Page:
        context = browser.new_context(
            viewport={"width": 390, "height": 800}, has_touch=True, is_mobile=True, java_script_enabled=javascript
        )
        context.add_init_script(WATCH_REFUSALS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{server}/r/{token}")
        if javascript:  # the watch is a script too
            pages.append(page)
        return page

    yield open_with
    refused = [page.evaluate("window.__refused") for page in pages]
    for context in contexts:
        context.close()
    assert errors == [], f"JavaScript errors: {errors}"
    assert all(not found for found in refused), refused


def answer_the_survey(page: Page) -> None:
    """Tap one answer per element with the thumb, then send."""
    elements = page.locator("fieldset.element")
    expect(elements).to_have_count(9)
    for index, score in enumerate(SCORES):
        element = elements.nth(index)
        element.get_by_role("radio", name=re.compile(rf"^{score} ")).tap()
        expect(element.get_by_role("radio", name=re.compile(rf"^{score} "))).to_be_checked()


def saved(app: Any) -> list[str]:
    with app.extensions["helpdesk"].sessions() as session:
        return list(session.scalars(select(SurveyResponse.scores)))


def test_the_visitor_rates_the_service_on_the_phone_and_is_thanked(app: Any, open_phone: Callable[..., Page]) -> None:
    token = signed_receipt(app)
    page = open_phone(token)
    expect(page.get_by_role("heading", name=re.compile("Nomor laporan"))).to_contain_text("001/HD-KPU-KPG/XI/2026")
    page.evaluate("window.__notReloaded = true")

    # Each answer is a button a thumb can hit: at least 44 CSS pixels each way, four to a row on a narrow phone.
    choice = page.locator("fieldset.element").first.locator("label.score").first.bounding_box()
    assert choice and choice["width"] >= 44 and choice["height"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing runs off the side

    answer_the_survey(page)
    page.get_by_role("button", name="Kirim penilaian").tap()
    thanks = page.get_by_role("heading", name="Terima kasih atas penilaian Anda")
    expect(thanks).to_be_visible()
    expect(thanks).to_be_focused()  # read out at once, and in sight
    assert page.evaluate("window.__notReloaded") is True  # swapped in place by htmx
    expect(page.get_by_role("radio")).to_have_count(0)
    assert saved(app) == ["434243441"]

    page.reload()
    expect(page.get_by_role("heading", name="Terima kasih atas penilaian Anda")).to_be_visible()
    expect(page.get_by_role("button", name="Kirim penilaian")).to_have_count(0)
    assert saved(app) == ["434243441"]


def test_without_javascript_the_form_posts_and_the_page_comes_back_thanking(
    app: Any, open_phone: Callable[..., Page]
) -> None:
    token = signed_receipt(app, "en")
    page = open_phone(token, javascript=False)
    elements = page.locator("fieldset.element")
    for index, score in enumerate(SCORES):
        elements.nth(index).get_by_role("radio", name=re.compile(rf"^{score} ")).tap()
    page.get_by_role("button", name="Send rating").tap()
    expect(page.get_by_role("heading", name="Thank you for your rating")).to_be_visible()
    expect(page.get_by_text("Report number")).to_be_visible()
    assert saved(app) == ["434243441"]


def test_the_phone_asks_for_a_missing_answer_before_sending(app: Any, open_phone: Callable[..., Page]) -> None:
    page = open_phone(signed_receipt(app))
    page.locator("fieldset.element").first.get_by_role("radio", name=re.compile("^4 ")).tap()
    page.get_by_role("button", name="Kirim penilaian").tap()
    page.wait_for_timeout(300)
    expect(page.get_by_role("heading", name="Terima kasih atas penilaian Anda")).to_have_count(0)
    assert page.evaluate("document.querySelector('#survey form').checkValidity()") is False
    assert saved(app) == []


def test_axe_finds_nothing_on_the_page_its_refusal_or_its_thanks(app: Any, browser: Browser, server: str) -> None:
    # axe comes as an inline script, which the page's policy rightly refuses: this page alone bypasses it.
    context = browser.new_context(viewport={"width": 390, "height": 800}, has_touch=True, bypass_csp=True)
    page = context.new_page()
    token = signed_receipt(app)
    found = {}
    for name, path in (("page", f"/r/{token}"), ("refusal", None), ("thanks", None)):
        if path:
            page.goto(f"{server}{path}")
        elif name == "refusal":  # what a hostile or broken client gets back: the form's own checks are skipped
            page.evaluate("document.querySelector('#survey form').noValidate = true")
            page.get_by_role("button", name="Kirim penilaian").tap()
            expect(page.get_by_role("alert")).to_contain_text("Beri nilai 1 sampai 4")
        else:
            answer_the_survey(page)
            page.get_by_role("button", name="Kirim penilaian").tap()
            expect(page.get_by_role("heading", name="Terima kasih atas penilaian Anda")).to_be_visible()
        page.add_script_tag(path=str(AXE))
        found[name] = page.evaluate(AXE_FINDINGS)
    context.close()
    assert found == {"page": [], "refusal": [], "thanks": []}
