"""An officer sees, without reloading, that the ticket printer holds tickets back, and when it is fixed."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from pathlib import Path

from playwright.sync_api import Browser, expect

from printers.emulator import Emulator
from tests.browser.conftest import PUSHED, add_officer, sign_in_at_desk
from tests.conftest import check_in_over_http, eventually, free_port, helpdesk_server


def test_the_dashboard_warns_while_the_printer_is_off(browser: Browser, tmp_path: Path) -> None:
    printer_port = free_port()
    with helpdesk_server(tmp_path / "server", f"tcp://127.0.0.1:{printer_port}", PRINT_RETRY_MAX_SECONDS="1") as server:
        add_officer(server)
        context = browser.new_context(viewport={"width": 1600, "height": 1000})
        officer = context.new_page()
        sign_in_at_desk(officer, server, "Meja 1")
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


class DroppingPrinter:
    """A printer that takes a little of each job and then resets the connection, as one losing power does."""

    def __init__(self, port: int) -> None:
        self._server = socket.create_server(("127.0.0.1", port))
        self._server.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(3)
                received = b""
                with contextlib.suppress(OSError):
                    while len(received) < 200:  # more than the status questions: part of the ticket itself
                        received += conn.recv(200) or b"x" * 200
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._server.close()


def test_a_ticket_the_printer_keeps_spoiling_is_set_aside_and_printed_again_by_an_officer(
    browser: Browser, tmp_path: Path
) -> None:
    printer_port = free_port()
    with helpdesk_server(tmp_path / "server", f"tcp://127.0.0.1:{printer_port}", PRINT_RETRY_MAX_SECONDS="1") as server:
        add_officer(server)
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        officer = context.new_page()
        sign_in_at_desk(officer, server, "Meja 1")
        dropping = DroppingPrinter(printer_port)
        try:
            check_in_over_http(server)
            set_aside = officer.locator(".set-aside")
            expect(set_aside).to_contain_text("Cetakan yang disisihkan", timeout=30_000)
            expect(set_aside).to_contain_text("A-001: Printer memutus sambungan di tengah pencetakan.")
        finally:
            dropping.close()
        with Emulator("127.0.0.1", printer_port, tmp_path / "printer") as printer:
            officer.get_by_role("button", name="Cetak ulang A-001").click()
            expect(set_aside).to_have_count(0, timeout=PUSHED)
            eventually(lambda: len(printer.jobs()) == 1)
            assert b"A-001" in (printer.out_dir / "job-0001.bin").read_bytes()
        context.close()
