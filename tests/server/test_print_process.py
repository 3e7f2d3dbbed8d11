"""The print process is watched: replaced within seconds when it dies, and the officers told while it is down."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from helpdesk.printing import PrintProcess
from printers.emulator import Emulator
from shared.events import Subscription
from shared.models import PrintJob, PrintStatus
from shared.print_status import printer_trouble
from tests.conftest import alive, eventually
from tests.factories import checkin


def names_until(events: Subscription, last: str, timeout: float = 15.0) -> list[str]:
    """The names of the print events seen up to and including the first `last`."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        event = events.get(remaining)
        if event is not None and event.name.startswith("print."):
            seen.append(event.name)
            if event.name == last:
                return seen
    raise AssertionError(f"no {last} event within {timeout} s; saw {seen}")


def test_a_killed_print_process_is_replaced_and_the_new_one_prints_at_once(app: Any, tmp_path: Path) -> None:
    runtime = app.extensions["helpdesk"]
    with Emulator("127.0.0.1", 0, tmp_path / "printer") as emulator, runtime.broker.subscribe() as events:
        app.config.update(PRINTER=f"tcp://127.0.0.1:{emulator.port}")
        printer = PrintProcess(app)
        printer.start()
        try:
            assert names_until(events, "print.up")[-1] == "print.up"
            first = printer.pid
            assert first is not None
            os.kill(first, signal.SIGKILL)
            started = time.monotonic()
            assert names_until(events, "print.up") == ["print.down", "print.up"]
            assert time.monotonic() - started < 10 and printer.pid not in (None, first)
            with runtime.sessions() as session:
                checkin(session)
            eventually(lambda: len(emulator.jobs()) == 1, timeout=10)
        finally:
            printer.stop()
        assert not alive(printer.pid or 0)


def test_officers_are_told_that_printing_is_down_while_the_print_process_cannot_start(app: Any, tmp_path: Path) -> None:
    runtime = app.extensions["helpdesk"]
    with runtime.sessions() as session:
        job_id = checkin(session).print_job_id
    app.config.update(DATABASE_URL=f"sqlite:///{tmp_path / 'missing' / 'nowhere.sqlite3'}")  # it dies at start
    printer = PrintProcess(app)
    with runtime.broker.subscribe() as events:
        printer.start()
        try:
            assert names_until(events, "print.down") == ["print.down"]
            with runtime.sessions() as session:
                trouble = printer_trouble(session)
                assert trouble.down_since is not None and trouble.unprinted == 1
                assert session.get_one(PrintJob, job_id).status == PrintStatus.PENDING
        finally:
            started = time.monotonic()
            printer.stop()
            assert time.monotonic() - started < 5  # even while it waits before the next restart
