"""The print process, started and watched by the server: replaced within seconds whenever it dies.

The server and the print process talk only through pipes, never through shared locks: a process killed
at any moment can then never leave the other one waiting forever.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import subprocess
import sys
import threading
import time
import uuid
from typing import IO, Any

from flask import Flask

from printers.outbox import utcnow
from printers.service import STOP, WAKE, ServiceSettings, decode_events
from shared.print_status import printer_down

log = logging.getLogger(__name__)
STOP_GRACE_SECONDS = 3.0  # the job in hand may finish; a job cut off is taken over at the next start
RESTART_BACKOFF_MAX_SECONDS = 30.0
# Ctrl-C in a terminal reaches the whole foreground process group: the server stops the print process
# itself, in order, so it runs in a group of its own. A service manager's SIGTERM to all it started (systemd's
# control group) still reaches it, and it stops cleanly on that too.
_OWN_GROUP: dict[str, Any]
if sys.platform == "win32":
    _OWN_GROUP = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
else:
    _OWN_GROUP = {"start_new_session": True}


class _Child:
    """One print process and the server's ends of its pipes."""

    def __init__(self, app: Flask, relay_events: bool) -> None:
        self.holder = uuid.uuid4().hex
        settings = ServiceSettings.from_config(app.config, app.instance_path, self.holder)
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "printers.service"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE if relay_events else subprocess.DEVNULL,
            **_OWN_GROUP,
        )
        self._control: IO[bytes] = self.process.stdin  # type: ignore[assignment]
        self._sending = threading.Lock()  # the wake relay and stop() both write to the pipe
        self.send((json.dumps(dataclasses.asdict(settings)) + "\n").encode())

    def send(self, message: bytes) -> None:
        """Pass a message on; once the process has ended, the supervisor replaces it."""
        with self._sending, contextlib.suppress(OSError, ValueError):
            self._control.write(message)
            self._control.flush()

    def stop(self, timeout: float) -> None:
        """Ask it to stop after the job in hand; end it if it takes longer than timeout."""
        self.send(STOP)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning(
                "print process did not stop in %s s; ending it (its job is taken over at the next start)", timeout
            )
            self.process.terminate()
            try:
                self.process.wait(1.0)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        with self._sending, contextlib.suppress(OSError):
            self._control.close()


class PrintProcess:
    """The print process, replaced within seconds whenever it dies while the server runs.

    On SQLite the server wakes it when a job is queued and relays its events into the server's broker;
    on PostgreSQL it hears both through LISTEN/NOTIFY itself.
    """

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._runtime = app.extensions["helpdesk"]
        self._wake: threading.Event | None = self._runtime.print_wake
        self._stopping = threading.Event()
        self._child: _Child | None = None
        self._restarts = 0

    @property
    def pid(self) -> int | None:
        """The running print process's id."""
        return self._child.process.pid if self._child else None

    def start(self) -> None:
        """Start printing, and watching the print process."""
        self._spawn()
        threading.Thread(target=self._supervise, name="printer-supervisor", daemon=True).start()
        if self._wake is not None:
            threading.Thread(target=self._relay_wakes, name="printer-wake", daemon=True).start()

    def stop(self, timeout: float = STOP_GRACE_SECONDS) -> None:
        """Let the job in hand finish, then end the process; never waits much longer than timeout."""
        self._stopping.set()
        if self._wake is not None:
            self._wake.set()  # lets the relay thread see the stop
        if self._child is not None:
            self._child.stop(timeout)

    def _spawn(self) -> None:
        child = _Child(self._app, relay_events=self._wake is not None)
        self._child = child
        if child.process.stdout is not None:
            threading.Thread(
                target=self._relay_events, args=(child.process.stdout,), name="printer-events", daemon=True
            ).start()

    def _supervise(self) -> None:
        """Replace the print process whenever it ends while the server runs."""
        while not self._stopping.is_set():
            child = self._child
            assert child is not None
            try:
                child.process.wait(0.5)
            except subprocess.TimeoutExpired:
                continue
            if self._stopping.is_set():
                return
            if child.process.returncode == 0:
                # A clean exit is a stop request (SIGTERM to the whole process group): give the server's
                # own signal handler a moment to say so before deciding the process must be replaced.
                self._stopping.wait(1.0)
                if self._stopping.is_set():
                    return
            log.error("print process ended unexpectedly (exit code %s); starting another", child.process.returncode)
            self._mark_down(child.holder)
            self._pause_if_crashing(child)
            if not self._stopping.is_set():
                self._spawn()

    def _pause_if_crashing(self, child: _Child) -> None:
        """A process that dies right after starting must not be restarted in a tight loop."""
        self._restarts = self._restarts + 1 if time.monotonic() - child.started < 5 else 0
        if self._restarts > 1:  # the first replacement starts at once
            self._stopping.wait(min(RESTART_BACKOFF_MAX_SECONDS, 0.5 * 2 ** (self._restarts - 1)))

    def _mark_down(self, holder: str) -> None:
        """Tell the officers' screens that nothing prints until the new process has started."""
        try:
            with self._runtime.sessions() as session:
                printer_down(session, holder, utcnow())
        except Exception:
            log.exception("could not record that printing stopped")

    def _relay_wakes(self) -> None:
        """Pass 'a job was queued' on to the print process; the request that queued it never waits."""
        assert self._wake is not None
        while not self._stopping.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._child is not None and not self._stopping.is_set():
                self._child.send(WAKE)

    def _relay_events(self, lines: IO[bytes]) -> None:
        with lines:
            for line in lines:
                try:
                    events = decode_events(line)
                except ValueError:
                    log.warning("unreadable event line from the print process: %r", line[:200])
                    continue
                self._runtime.broker.publish(events)
