"""The print outbox worker: takes saved jobs in order and sends them, with retries and back-off."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from PIL import Image
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from printers.layout import DOCUMENTS, paper_width, to_escpos, to_png
from printers.transports import PrinterError, Transport
from shared.db import queue_event, write
from shared.events import Event
from shared.models import PrintJob, PrintStatus

log = logging.getLogger(__name__)
CLAIM_SECONDS = 60  # a job claimed by a process that died is taken over after this


def utcnow() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class PrinterSettings:
    """How documents are rendered for the printer."""

    profile: str
    native_qr: bool = False
    max_backoff_seconds: float = 30.0


def oldest_unprinted(session: Session) -> PrintJob | None:
    """The job that must go next: jobs print strictly in check-in order."""
    with session.begin():
        return session.scalar(
            select(PrintJob).where(PrintJob.status != PrintStatus.PRINTED).order_by(PrintJob.id).limit(1)
        )


def due_at(job: PrintJob) -> datetime:
    """When a job may be tried: after its back-off, or once a dead process's claim has expired."""
    if job.status == PrintStatus.PRINTING and job.claimed_until is not None:
        return job.claimed_until
    return job.next_attempt_at


def claim(session: Session, job: PrintJob, now: datetime) -> bool:
    """Mark a job as printing unless another worker got there first (an atomic conditional update)."""
    with write(session):
        claimed = session.scalar(
            update(PrintJob)
            .where(PrintJob.id == job.id, PrintJob.status == job.status, PrintJob.attempts == job.attempts)
            .values(
                status=PrintStatus.PRINTING,
                claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
                attempts=PrintJob.attempts + 1,
            )
            .returning(PrintJob.id)
            .execution_options(synchronize_session=False)
        )
        session.expire(job)  # the row changed underneath the loaded object
    return claimed is not None


def mark_printed(session: Session, job_id: int, now: datetime) -> None:
    """Record that the printer took the whole job."""
    with write(session):
        job = session.get_one(PrintJob, job_id)
        job.status, job.printed_at, job.claimed_until, job.last_error = PrintStatus.PRINTED, now, None, None
        queue_event(session, Event("print.printed", {"job_id": job.id, "visit_id": job.visit_id}))


def mark_failed(session: Session, job_id: int, error: str, retry_at: datetime) -> None:
    """Put a job back in the queue with the reason it failed."""
    with write(session):
        job = session.get_one(PrintJob, job_id)
        job.status, job.claimed_until, job.last_error, job.next_attempt_at = PrintStatus.PENDING, None, error, retry_at
        queue_event(session, Event("print.delayed", {"job_id": job.id, "visit_id": job.visit_id, "error": error}))


def render(job: PrintJob, settings: PrinterSettings) -> tuple[bytes, Callable[[], Image.Image]]:
    """The job's ESC/POS bytes and a function that draws its PNG preview."""
    document = DOCUMENTS[job.kind](job.payload)
    width = paper_width(settings.profile)
    return to_escpos(document, settings.profile, settings.native_qr), lambda: to_png(document, width)


class Wakeup(Protocol):
    """A threading.Event or a multiprocessing Event: set when a job is queued."""

    def set(self) -> None: ...
    def clear(self) -> None: ...
    def is_set(self) -> bool: ...
    def wait(self, timeout: float | None = None) -> bool: ...


def wake_on_new_jobs(wake: Wakeup) -> Callable[[list[Event]], None]:
    """An event hook that wakes the printer whenever a check-in queued a job."""

    def hook(events: list[Event]) -> None:
        if any(event.name == "print.queued" for event in events):
            wake.set()

    return hook


class PrintWorker:
    """Empties the outbox in order; a Wakeup tells it a new job is waiting, so it never polls."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        transport: Transport,
        settings: PrinterSettings,
        wake: Wakeup,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._transport = transport
        self._settings = settings
        self._wake = wake
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failures = 0
        self._next_due: datetime | None = None  # when the oldest job's back-off ends, as last seen

    def start(self) -> None:
        """Print from a background thread."""
        self._thread = threading.Thread(target=self.run_forever, name="print-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the job in hand."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_once(self, eager: bool = False) -> bool | None:
        """Try the oldest job: None if nothing was due, else whether it printed.

        eager ignores the back-off: a new job arrived, so the printer may well be back.
        """
        with self._sessions() as session:
            job = oldest_unprinted(session)
            now = self._clock()
            if job is None or (due_at(job) > now and not (eager and job.status == PrintStatus.PENDING)):
                self._next_due = None if job is None else due_at(job)
                return None
            if not claim(session, job, now):
                self._next_due = now  # another worker took it: look again at once
                return None
            try:
                data, preview = render(job, self._settings)
                self._transport.send(job.id, data, preview)
            except PrinterError as error:
                self._failures += 1
                delay = min(self._settings.max_backoff_seconds, 2 ** (self._failures - 1))
                log.warning("print job %s not printed (attempt %s): %s", job.id, job.attempts, error)
                self._next_due = self._clock() + timedelta(seconds=delay)
                mark_failed(session, job.id, str(error)[:500], self._next_due)
                return False
            self._failures = 0
            mark_printed(session, job.id, self._clock())
            return True

    def run_forever(self, stop: Wakeup | None = None) -> None:
        """Print until stop() is called or the given stop event is set."""
        log.info("print worker started: %s", self._transport.description)
        stopping = stop or self._stop
        eager = True  # jobs left over from before a restart go out at once
        while not stopping.is_set():
            try:
                if self.run_once(eager):
                    eager = False
                    continue
                eager = self._wake.wait(self._seconds_until_due())
                self._wake.clear()
            except Exception:  # noqa: BLE001 - the worker must outlive a database hiccup
                log.exception("print worker error; retrying shortly")
                stopping.wait(1.0)

    def _seconds_until_due(self) -> float:
        """How long to sleep unless woken: until the oldest job's back-off ends, at most 30 s."""
        if self._next_due is None:
            return 30.0
        return min(30.0, max(0.05, (self._next_due - self._clock()).total_seconds()))
