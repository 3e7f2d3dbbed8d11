"""The print process: `python -m printers.service`, started and watched by the server (helpdesk.printing).

It imports no web framework, so it starts in a fraction of the server's time. The server sends one JSON
line of settings on standard input, then single bytes: "w" when a job was queued, "s" to stop; the end
of standard input means the server is gone. On SQLite this process's own events (printed, delayed, ...)
go back as JSON lines on standard output; on PostgreSQL both directions go through LISTEN/NOTIFY.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from printers import quiet_escpos_logging
from printers.lock import printer_lock
from printers.outbox import PrinterSettings, PrintWorker, wake_on_new_jobs
from printers.transports import make_transport
from shared.db import make_engine, make_sessionmaker
from shared.events import RESYNC, Event
from shared.pg_events import Listener, channel_for, decode, encode, is_postgresql, notifier

log = logging.getLogger(__name__)
WAKE, STOP = b"w", b"s"


@dataclass(frozen=True)
class ServiceSettings:
    """What the print process needs from the server's configuration."""

    database_url: str
    printer: str
    printouts: str  # the preview printer's folder
    holder: str  # this process's name in the printer state, chosen by the server
    profile: str
    native_qr: bool
    max_backoff_seconds: float

    @classmethod
    def from_config(cls, config: dict[str, Any], instance_path: str, holder: str) -> ServiceSettings:
        """From the server's validated configuration."""
        return cls(
            database_url=config["DATABASE_URL"],
            printer=config["PRINTER"],
            printouts=str(Path(instance_path) / "printouts"),
            holder=holder,
            profile=config["PRINTER_PROFILE"],
            native_qr=bool(config["PRINTER_NATIVE_QR"]),
            max_backoff_seconds=float(config["PRINT_RETRY_MAX_SECONDS"]),
        )


def encode_events(events: list[Event]) -> bytes:
    """One line of standard output: a batch of events."""
    return (json.dumps([encode(event) for event in events]) + "\n").encode()


def decode_events(line: bytes) -> list[Event]:
    """A batch of events from a line the print process wrote."""
    return [decode(item) for item in json.loads(line)]


def run(settings: ServiceSettings, control: IO[bytes], events: IO[bytes]) -> None:
    """Print until told to stop, sent SIGTERM, or orphaned; Ctrl-C is left to the server, which stops us in order."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    terminated: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: terminated.append(signum))  # only a flag: no locks here
    wake, stop = threading.Event(), threading.Event()
    url = settings.database_url
    engine = make_engine(url)
    listener = _listener(url, wake) if is_postgresql(url) else None
    if listener:
        sessions = make_sessionmaker(engine, notify=notifier(channel_for(url)))
        listener.start()
    else:
        sessions = make_sessionmaker(engine, publish=_writer(events))
    worker = PrintWorker(
        sessions,
        make_transport(settings.printer, Path(settings.printouts)),
        PrinterSettings(settings.profile, settings.native_qr, settings.max_backoff_seconds),
        wake,
        lock=printer_lock(engine, url),
        holder=settings.holder,
    )
    printing_ended_well = True

    def print_until_stopped() -> None:
        nonlocal printing_ended_well
        try:
            worker.run_forever(stop)
        except BaseException:
            printing_ended_well = False
            log.exception("the print worker failed")

    printing = threading.Thread(target=print_until_stopped, name="print-worker", daemon=True)
    printing.start()
    threading.Thread(target=_read_control, args=(control, wake, stop), name="print-control", daemon=True).start()
    parent = os.getppid()
    try:
        while not (terminated or stop.is_set()) and printing.is_alive():
            if sys.platform != "win32" and os.getppid() != parent:
                break  # the server died and this process was handed to another parent
            stop.wait(0.2)
    finally:
        stop.set()
        wake.set()
        printing.join()
        if listener:
            listener.close()
        engine.dispose()
    if not printing_ended_well:
        raise SystemExit(1)  # the server sees a crash and starts another print process


def _read_control(control: IO[bytes], wake: threading.Event, stop: threading.Event) -> None:
    """Wake-ups and the stop request from the server; the end of the pipe means the server is gone."""
    while message := control.read(1):
        if message == STOP:
            break
        wake.set()
    stop.set()
    wake.set()


def _writer(events: IO[bytes]) -> Any:
    """A publish hook that sends this process's events to the server."""
    lock = threading.Lock()

    def publish(batch: list[Event]) -> None:
        with lock:
            try:
                events.write(encode_events(batch))
                events.flush()
            except (OSError, ValueError):  # the server is gone; the stop follows
                pass

    return publish


def _listener(url: str, wake: threading.Event) -> Listener:
    """On PostgreSQL the printer hears check-ins from every web worker itself, instead of being woken by one."""
    wake_printer = wake_on_new_jobs(wake.set)

    def on_events(events: list[Event]) -> None:
        wake_printer(events)
        if RESYNC in events:
            wake.set()  # jobs queued while the listener was disconnected were never announced

    return Listener(url, channel_for(url), on_events)


def main() -> None:
    """Entry point: settings on the first line of standard input."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_escpos_logging()
    control = sys.stdin.buffer
    settings = ServiceSettings(**json.loads(control.readline()))
    run(settings, control, sys.stdout.buffer)


if __name__ == "__main__":
    main()
