"""Events across processes on PostgreSQL: NOTIFY inside the committing transaction, one LISTEN thread per process.

PostgreSQL delivers a notification only when its transaction commits, in commit order, to every connection
listening on the channel, so each process (the one that raised the event too) hears the same events in the
same order and never hears about work that was rolled back.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import make_url, text
from sqlalchemy.orm import Session

from shared.events import RESYNC, Event, Publish

log = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 7999  # PostgreSQL refuses a NOTIFY payload of 8000 bytes or more
_SEARCH_PATH = re.compile(r"(?:-c\s*|--)search_path=(\S+)")
_NOTIFY = text("SELECT pg_notify(:channel, :payload)")


def is_postgresql(url: str) -> bool:
    """Whether a database URL points at PostgreSQL."""
    return make_url(url).get_backend_name() == "postgresql"


def channel_for(url: str) -> str:
    """The installation's channel: one per database and schema, so helpdesks sharing a server stay apart."""
    parsed = make_url(url)
    options = parsed.query.get("options", "")
    match = _SEARCH_PATH.search(options if isinstance(options, str) else " ".join(options))
    key = f"{parsed.database}/{match.group(1) if match else ''}"
    return "helpdesk_" + hashlib.sha256(key.encode()).hexdigest()[:16]


def encode(item: Event) -> str:
    """An event as a NOTIFY payload."""
    payload = json.dumps({"name": item.name, "data": item.data}, separators=(",", ":"), ensure_ascii=False)
    size = len(payload.encode())
    if size > MAX_PAYLOAD_BYTES:
        raise ValueError(f"event {item.name} is too large for NOTIFY ({size} bytes): send ids, not content")
    return payload


def decode(payload: str) -> Event:
    """An event from a NOTIFY payload."""
    message = json.loads(payload)
    return Event(str(message["name"]), dict(message["data"]))


def notifier(channel: str) -> Callable[[Session, list[Event]], None]:
    """A make_sessionmaker notify hook: pg_notify each event on the session's own connection, in its transaction."""

    def notify(session: Session, events: list[Event]) -> None:
        session.execute(_NOTIFY, [{"channel": channel, "payload": encode(item)} for item in events])

    return notify


class Listener:
    """This process's LISTEN connection: a daemon thread that decodes notifications and publishes them.

    When the connection drops it reconnects with back-off and then publishes RESYNC, since anything sent
    while it was away is gone.
    """

    def __init__(
        self,
        url: str,
        channel: str,
        publish: Publish,
        poll_seconds: float = 0.25,
        max_backoff_seconds: float = 30.0,
    ) -> None:
        self._conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._channel = channel
        self._publish = publish
        self._poll_seconds = poll_seconds  # how long a stop may go unnoticed
        self._max_backoff_seconds = max_backoff_seconds
        self._stop = threading.Event()
        self._tried = threading.Event()  # the first connection attempt is over, one way or the other
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 10.0) -> None:
        """Start listening unless already started; wait until LISTEN is in place, so no later commit is missed."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="pg-events", daemon=True)
                self._thread.start()
        self._tried.wait(timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Stop listening and close the connection."""
        self._stop.set()
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                with self._connect() as connection:
                    self._tried.set()
                    if failures:
                        log.info("event listener connected again after %s failed attempt(s)", failures)
                        self._publish([RESYNC])
                        failures = 0
                    self._receive(connection)
            except psycopg.Error as error:
                self._tried.set()
                failures += 1
                delay = min(self._max_backoff_seconds, 0.25 * 2**failures)
                log.warning("event listener has no database connection (%s); retrying in %.1f s", error, delay)
                self._stop.wait(delay)

    def _connect(self) -> psycopg.Connection[Any]:
        # Keepalives notice a silently dropped network within about half a minute, even with nothing to read.
        connection = psycopg.connect(
            self._conninfo,
            autocommit=True,
            connect_timeout=5,
            application_name="helpdesk-events",
            keepalives=1,
            keepalives_idle=10,
            keepalives_interval=5,
            keepalives_count=3,
        )
        try:
            connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
        except BaseException:
            connection.close()
            raise
        return connection

    def _receive(self, connection: psycopg.Connection[Any]) -> None:
        while not self._stop.is_set():
            for notification in connection.notifies(timeout=self._poll_seconds):
                try:
                    item = decode(notification.payload)
                except (ValueError, KeyError, TypeError):
                    log.warning("ignored a malformed event on %s: %.200r", self._channel, notification.payload)
                    continue
                self._publish([item])
