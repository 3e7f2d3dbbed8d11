"""The consultation in Chromium by touch: the workspace at the desk and the provincial helpdesk answering live."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import PUSHED, add_officer, sign_in, sign_in_at_desk
from tests.conftest import LiveServer, check_in_over_http


@pytest.fixture
def screens(browser: Browser) -> Iterator[Any]:
    """Opens touch pages (an officer's tablet or desk PC); no page may hit a script error."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def open_page(width: int, height: int) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height}, has_touch=True)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert errors == [], errors


def test_an_escalation_reaches_the_province_live_and_its_answer_comes_back_live(
    screens: Any, staffed_server: LiveServer
) -> None:
    server = staffed_server
    add_officer(server, "petrus", "Petrus Provinsi", role="provincial")
    check_in_over_http(server)
    province = screens(1366, 768)
    sign_in(province, server, "petrus")
    expect(province.get_by_role("heading", name="Eskalasi masuk")).to_be_visible()
    expect(province.locator("#inbox")).to_contain_text("Tidak ada eskalasi yang menunggu.")

    desk = screens(1280, 800)  # the officer's tablet
    sign_in_at_desk(desk, server, "Meja 2")
    desk.get_by_role("button", name="Panggil berikutnya").tap()
    desk.get_by_role("button", name="Mulai layanan").tap()
    desk.get_by_label("Masalah baru").fill("Status keanggotaan TMS setelah perbaikan")
    desk.get_by_role("button", name="Tambah masalah").tap()
    desk.get_by_text("Eskalasi ke helpdesk provinsi…").tap()
    desk.get_by_label("Catatan untuk provinsi").fill("Sudah dicek di SIPOL, status tetap TMS.")
    desk.get_by_role("button", name="Kirim ke helpdesk provinsi").tap()
    escalation = desk.locator(".escalation")
    expect(escalation).to_contain_text("Menunggu")

    item = province.locator(".inbox-item")
    expect(item).to_contain_text("Status keanggotaan TMS setelah perbaikan", timeout=PUSHED)  # live, no reload
    expect(item).to_contain_text("Sudah dicek di SIPOL")
    expect(item).not_to_contain_text("Maria")  # no visitor's name reaches the province
    item.get_by_role("button", name="Ambil dan jawab").tap()
    province.get_by_label("Jawaban").fill("Ajukan perbaikan data anggota sebelum batas waktu.")
    province.get_by_label("Rujukan").fill("PKPU 4/2022")
    province.get_by_role("button", name="Kirim jawaban").tap()
    expect(province.locator("#inbox")).to_contain_text("Tidak ada eskalasi yang menunggu.", timeout=PUSHED)

    expect(escalation).to_contain_text("Ajukan perbaikan data anggota", timeout=PUSHED)  # live in the workspace
    expect(escalation).to_contain_text("Petrus Provinsi")
