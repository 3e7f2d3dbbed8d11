"""A printer that is off never loses a check-in: the ticket shows on screen and prints once it is back."""

from __future__ import annotations

import re
import time
import urllib.request
from pathlib import Path
from typing import Any

import zxingcpp
from PIL import Image

from helpdesk.printing import PrintProcess
from printers.emulator import Emulator
from shared.events import Subscription
from tests.conftest import Server, check_in_over_http, eventually, free_port, helpdesk_server
from tests.factories import checkin


def print_status(server: Server, job_id: str) -> str:
    with urllib.request.urlopen(f"{server.url}/kiosk/prints/{job_id}", timeout=5) as response:
        return response.read().decode()


def test_the_kiosk_says_the_printout_is_delayed_then_prints_when_the_printer_is_back(tmp_path: Path) -> None:
    printer_port = free_port()
    with helpdesk_server(tmp_path / "server", f"tcp://127.0.0.1:{printer_port}", PRINT_RETRY_MAX_SECONDS="1") as server:
        ticket = check_in_over_http(server)
        assert re.search(r'class="number">A-001<', ticket)
        status_url = re.search(r'data-qr="([^"]+)"', ticket).group(1)
        job_id = re.search(r"/kiosk/prints/(\d+)", ticket).group(1)
        eventually(lambda: "Printer sedang bermasalah" in print_status(server, job_id))

        with Emulator("127.0.0.1", printer_port, tmp_path / "printer") as printer:
            eventually(lambda: "Tiket sudah dicetak" in print_status(server, job_id))
            eventually(printer.jobs)
            page = Image.open(printer.out_dir / "job-0001.png")
            assert [r.text for r in zxingcpp.read_barcodes(page)] == [status_url]


def test_tickets_queued_while_the_printer_was_off_survive_a_server_restart(tmp_path: Path) -> None:
    printer_port = free_port()
    folder = tmp_path / "server"
    with helpdesk_server(folder, f"tcp://127.0.0.1:{printer_port}") as server:
        numbers = [re.search(r'class="number">(A-\d+)<', check_in_over_http(server)).group(1) for _ in range(2)]
    assert numbers == ["A-001", "A-002"]

    with (
        Emulator("127.0.0.1", printer_port, tmp_path / "printer") as printer,
        helpdesk_server(folder, f"tcp://127.0.0.1:{printer_port}"),
    ):
        eventually(lambda: len(printer.jobs()) == 2)
        printed = [(printer.out_dir / f"job-{n:04d}.bin").read_bytes() for n in (1, 2)]
        assert b"A-001" in printed[0] and b"A-002" in printed[1]


def next_event(events: Subscription, name: str, timeout: float = 15.0) -> dict[str, Any]:
    """The data of the next event of that name, skipping others."""
    deadline = time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        event = events.get(remaining)
        if event is not None and event.name == name:
            return event.data
    raise AssertionError(f"no {name} event within {timeout} s")


def test_the_print_process_tells_the_live_screens_of_a_delay_and_of_the_printout(app: Any, tmp_path: Path) -> None:
    printer_port = free_port()
    app.config.update(PRINTER=f"tcp://127.0.0.1:{printer_port}", PRINT_RETRY_MAX_SECONDS=1)
    printer = PrintProcess(app)
    with app.extensions["helpdesk"].broker.subscribe() as events:
        printer.start()
        try:
            with app.extensions["helpdesk"].sessions() as session:
                job_id = checkin(session).print_job_id
            delayed = next_event(events, "print.delayed")
            assert delayed == {"job_id": job_id, "visit_id": delayed["visit_id"], "error": "unreachable"}
            with Emulator("127.0.0.1", printer_port, tmp_path / "printer"):
                assert next_event(events, "print.printed")["job_id"] == job_id
        finally:
            printer.stop()
