"""The print worker in a process of its own, so rendering and printer I/O never hold up web requests."""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from pathlib import Path
from typing import Any

from flask import Flask

from printers.outbox import PrinterSettings, PrintWorker, Wakeup, wake_on_new_jobs
from printers.transports import make_transport
from shared.config import DEFAULTS
from shared.db import make_engine, make_sessionmaker
from shared.events import RESYNC, Event
from shared.pg_events import Listener, channel_for, is_postgresql, notifier

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
    url = config["DATABASE_URL"]
    engine = make_engine(url)
    transport = make_transport(config["PRINTER"], Path(instance_path) / "printouts")
    listener = _listener(url, wake) if is_postgresql(url) else None
    # On PostgreSQL the printer's own events (printed, delayed) reach every web process as well.
    sessions = make_sessionmaker(engine, notify=notifier(channel_for(url))) if listener else make_sessionmaker(engine)
    _stop_with_parent(stop, wake)
    try:
        if listener:
            listener.start()
        PrintWorker(sessions, transport, printer_settings(config), wake).run_forever(stop)
    finally:
        if listener:
            listener.close()
        engine.dispose()


def _stop_with_parent(stop: Wakeup, wake: Wakeup, poll_seconds: float = 1.0) -> None:
    """Stop printing when the server that started this process is gone, even if it was killed outright."""
    parent = multiprocessing.parent_process()

    def watch() -> None:
        while parent is not None and parent.is_alive() and not stop.is_set():
            time.sleep(poll_seconds)
        stop.set()
        wake.set()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _listener(url: str, wake: Wakeup) -> Listener:
    """On PostgreSQL the printer hears check-ins from every web worker itself, instead of being woken by one."""
    wake_printer = wake_on_new_jobs(wake)

    def on_events(events: list[Event]) -> None:
        wake_printer(events)
        if RESYNC in events:
            wake.set()  # jobs queued while the listener was disconnected were never announced

    return Listener(url, channel_for(url), on_events)


class PrintProcess:
    """A child process running the print worker: on SQLite the web process wakes it through a shared event."""

    def __init__(self, app: Flask) -> None:
        context = multiprocessing.get_context("spawn")  # the same on Linux and Windows
        wake = app.extensions["helpdesk"].print_wake
        # On PostgreSQL no web process wakes the printer (it listens itself), but stop() still needs a wake-up.
        self._wake: Wakeup = context.Event() if wake is None else wake
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
