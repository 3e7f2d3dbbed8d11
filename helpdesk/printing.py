"""The print worker in a process of its own, so rendering and printer I/O never hold up web requests."""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from multiprocessing.connection import Connection
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


def run_print_worker(
    config: dict[str, Any], instance_path: str, wake: Wakeup, stop: Wakeup, events: Connection | None = None
) -> None:
    """The print process: print queued jobs until stop is set.

    Its own events (printed, delayed) go out with NOTIFY on PostgreSQL, and through events, a pipe to the
    web process, on SQLite: either way the live screens hear of them.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    url = config["DATABASE_URL"]
    engine = make_engine(url)
    transport = make_transport(config["PRINTER"], Path(instance_path) / "printouts")
    listener = _listener(url, wake) if is_postgresql(url) else None
    if listener:
        sessions = make_sessionmaker(engine, notify=notifier(channel_for(url)))
    else:
        sessions = make_sessionmaker(engine, publish=events.send if events else None)
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
    """A child process running the print worker.

    On SQLite the web process wakes it through a shared event, and its events come back through a pipe into
    the web process's broker.
    """

    def __init__(self, app: Flask) -> None:
        context = multiprocessing.get_context("spawn")  # the same on Linux and Windows
        runtime = app.extensions["helpdesk"]
        # On PostgreSQL no web process wakes the printer (it listens itself), but stop() still needs a wake-up.
        self._wake: Wakeup = context.Event() if runtime.print_wake is None else runtime.print_wake
        self._stop = context.Event()
        self._broker = runtime.broker
        self._events: tuple[Connection, Connection] | None = None
        if runtime.print_wake is not None:
            self._events = context.Pipe(duplex=False)
        config = {key: app.config[key] for key in DEFAULTS}
        self._process = context.Process(
            target=run_print_worker,
            name="helpdesk-printer",
            daemon=True,
            args=(config, app.instance_path, self._wake, self._stop, self._events[1] if self._events else None),
        )

    def start(self) -> None:
        """Start printing."""
        self._process.start()
        if self._events:
            reader, writer = self._events
            writer.close()  # the child holds its own copy: once it ends, the reader sees the end of the pipe
            threading.Thread(target=self._relay, args=(reader,), name="printer-events", daemon=True).start()

    def _relay(self, reader: Connection) -> None:
        with reader:
            while True:
                try:
                    events = reader.recv()
                except (EOFError, OSError):
                    return
                self._broker.publish(events)

    def stop(self, timeout: float = 10.0) -> None:
        """Let the job in hand finish, then end the process."""
        self._stop.set()
        self._wake.set()
        self._process.join(timeout)
        if self._process.is_alive():
            log.warning("print process did not stop in %s s; terminating it", timeout)
            self._process.terminate()
