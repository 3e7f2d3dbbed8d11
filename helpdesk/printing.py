"""The print worker in a process of its own, so rendering and printer I/O never hold up web requests."""

from __future__ import annotations

import logging
import multiprocessing
from pathlib import Path
from typing import Any

from flask import Flask

from printers.outbox import PrinterSettings, PrintWorker, Wakeup
from printers.transports import make_transport
from shared.config import DEFAULTS
from shared.db import make_engine, make_sessionmaker

log = logging.getLogger(__name__)


def printer_settings(config: dict[str, Any]) -> PrinterSettings:
    """How documents are rendered, from the validated configuration."""
    return PrinterSettings(
        profile=config["PRINTER_PROFILE"],
        native_qr=config["PRINTER_NATIVE_QR"],
        max_backoff_seconds=config["PRINT_RETRY_MAX_SECONDS"],
    )


def run_print_worker(config: dict[str, Any], instance_path: str, wake: Wakeup, stop: Wakeup) -> None:
    """The print process: print queued jobs until stop is set."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    engine = make_engine(config["DATABASE_URL"])
    transport = make_transport(config["PRINTER"], Path(instance_path) / "printouts")
    try:
        PrintWorker(make_sessionmaker(engine), transport, printer_settings(config), wake).run_forever(stop)
    finally:
        engine.dispose()


class PrintProcess:
    """A child process running the print worker, woken by the web process through a shared event."""

    def __init__(self, app: Flask) -> None:
        context = multiprocessing.get_context("spawn")  # the same on Linux and Windows
        self._wake: Wakeup = app.extensions["helpdesk"].print_wake
        self._stop = context.Event()
        config = {key: app.config[key] for key in DEFAULTS}
        self._process = context.Process(
            target=run_print_worker, args=(config, app.instance_path, self._wake, self._stop),
            name="helpdesk-printer", daemon=True,
        )

    def start(self) -> None:
        """Start printing."""
        self._process.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Let the job in hand finish, then end the process."""
        self._stop.set()
        self._wake.set()
        self._process.join(timeout)
        if self._process.is_alive():
            log.warning("print process did not stop in %s s; terminating it", timeout)
            self._process.terminate()
