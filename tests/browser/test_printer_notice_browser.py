"""An officer sees, without reloading, that the ticket printer holds tickets back, and when it is fixed."""

from __future__ import annotations

import subprocess
from pathlib import Path

from playwright.sync_api import Browser, expect

from printers.emulator import Emulator
from tests.browser.conftest import PUSHED
from tests.conftest import BIN, check_in_over_http, free_port, helpdesk_server


def test_the_dashboard_warns_while_the_printer_is_off(browser: Browser, tmp_path: Path) -> None:
    printer_port = free_port()
    with helpdesk_server(tmp_path / "server", f"tcp://127.0.0.1:{printer_port}", PRINT_RETRY_MAX_SECONDS="1") as server:
        subprocess.run(
            [BIN / "helpdesk", "officer", "add", "yohana", "--name", "Yohana Bria", "--password-stdin"],
            input="rahasia-123\n",
            text=True,
            env=server.env,
            capture_output=True,
            check=True,
        )
        context = browser.new_context(viewport={"width": 1600, "height": 1000})
        officer = context.new_page()
        officer.goto(f"{server.url}/login")
        officer.fill("input[name=username]", "yohana")
        officer.fill("input[name=password]", "rahasia-123")
        officer.get_by_role("button", name="Masuk").click()
        officer.get_by_role("button", name="Meja 1").click()
        notice = officer.get_by_role("alert")
        expect(officer.get_by_role("button", name="Panggil berikutnya")).to_be_visible()
        expect(notice).to_have_count(0)
        officer.evaluate("window.__notReloaded = true")

        check_in_over_http(server)
        expect(notice).to_contain_text("Printer tiket bermasalah", timeout=PUSHED)
        expect(notice).to_contain_text("1 tiket belum tercetak sejak")
        expect(notice).to_contain_text("Printer tidak dapat dihubungi: periksa daya")

        with Emulator("127.0.0.1", printer_port, tmp_path / "printer"):
            expect(notice).to_have_count(0, timeout=PUSHED)
        assert officer.evaluate("window.__notReloaded") is True
        context.close()
