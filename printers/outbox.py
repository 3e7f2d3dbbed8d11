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
from printers.lock import NoLock, PrinterLock
from printers.transports import PrinterError, Transport
from shared.db import queue_event, write
from shared.events import Event
from shared.models import PrintJob, PrintStatus
from shared.print_status import UNPRINTED, printer_paper, printer_running

log = logging.getLogger(__name__)
CLAIM_SECONDS = 60  # only another worker that does not hold the printer lock waits this long
MAX_ATTEMPTS = 3  # tries that may each have reached the paper; then the job is set aside for an officer
LOCK_RETRY_SECONDS = 1.0  # how often a standby print process asks for the printer


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
    """The job that must go next: jobs print strictly in check-in order; set-aside jobs wait for an officer."""
    with session.begin():
        return session.scalar(select(PrintJob).where(PrintJob.status.in_(UNPRINTED)).order_by(PrintJob.id).limit(1))


def due_at(job: PrintJob) -> datetime:
    """When a job may be tried: after its back-off, or once another worker's claim has expired."""
    if job.status == PrintStatus.PRINTING and job.claimed_until is not None:
        return job.claimed_until
    return job.next_attempt_at


def claim(session: Session, job: PrintJob, now: datetime) -> bool:
    """Mark a job as printing unless another worker got there first (an atomic conditional update).

    The attempt is counted now: if this process dies mid-job, the job may have reached the paper.
    """
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


def take_over(session: Session, now: datetime) -> int:
    """Free the jobs a dead print process left marked as printing; called by the new holder of the printer lock.

    Returns how many it freed. Each keeps its counted attempt, so a job that kills its printer is set aside.
    """
    with write(session):
        jobs = session.scalars(select(PrintJob).where(PrintJob.status == PrintStatus.PRINTING)).all()
        for job in jobs:
            _retry_or_set_aside(session, job, "interrupted", now)
    return len(jobs)


def mark_printed(session: Session, job_id: int, now: datetime) -> None:
    """Record that the printer took the whole job."""
    with write(session):
        job = session.get_one(PrintJob, job_id)
        job.status, job.printed_at, job.claimed_until, job.last_error = PrintStatus.PRINTED, now, None, None
        queue_event(session, Event("print.printed", {"job_id": job.id, "visit_id": job.visit_id}))


def mark_failed(session: Session, job_id: int, error: PrinterError, retry_at: datetime) -> PrintStatus:
    """Put a job back in the queue with the reason it failed, or set it aside after MAX_ATTEMPTS uncertain tries.

    A try that sent nothing (printer unreachable, out of paper) does not count: it cannot have printed.
    """
    with write(session):
        job = session.get_one(PrintJob, job_id)
        if not error.delivered:
            job.attempts -= 1
        _retry_or_set_aside(session, job, error.reason, retry_at)
    return job.status


def _retry_or_set_aside(session: Session, job: PrintJob, reason: str, retry_at: datetime) -> None:
    job.claimed_until, job.last_error, job.next_attempt_at = None, reason, retry_at
    job.status = PrintStatus.SET_ASIDE if job.attempts >= MAX_ATTEMPTS else PrintStatus.PENDING
    name = "print.set_aside" if job.status == PrintStatus.SET_ASIDE else "print.delayed"
    queue_event(session, Event(name, {"job_id": job.id, "visit_id": job.visit_id, "error": reason}))


def render(job: PrintJob, settings: PrinterSettings) -> tuple[bytes, Callable[[], Image.Image]]:
    """The job's ESC/POS bytes and a function that draws its PNG preview."""
    document = DOCUMENTS[job.kind](job.payload)
    width = paper_width(settings.profile)
    return to_escpos(document, settings.profile, settings.native_qr), lambda: to_png(document, width)


class Wakeup(Protocol):
    """A threading.Event: set when a job is queued, or to stop."""

    def set(self) -> None: ...
    def clear(self) -> None: ...
    def is_set(self) -> bool: ...
    def wait(self, timeout: float | None = None) -> bool: ...


def wake_on_new_jobs(wake: Callable[[], None]) -> Callable[[list[Event]], None]:
    """An event hook that wakes the printer whenever a job was queued."""

    def hook(events: list[Event]) -> None:
        if any(event.name == "print.queued" for event in events):
            wake()

    return hook


class PrintWorker:
    """Empties the outbox in order; a Wakeup tells it a new job is waiting, so it never polls.

    run_forever first takes the printer lock (waiting as a standby while another process prints), then
    takes over what a dead predecessor left half-done, and prints while it holds the lock.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        transport: Transport,
        settings: PrinterSettings,
        wake: Wakeup,
        clock: Callable[[], datetime] = utcnow,
        lock: PrinterLock | None = None,
        holder: str = "print-worker",
    ) -> None:
        self._sessions = sessions
        self._transport = transport
        self._settings = settings
        self._wake = wake
        self._clock = clock
        self._lock = lock or NoLock()
        self._holder = holder
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failures = 0
        self._trouble: str | None = None  # the problem last logged, so the log says each change once
        self._paper: str | None = None
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
                self._next_due = self._clock() + timedelta(seconds=delay)
                status = mark_failed(session, job.id, error, self._next_due)
                self._note_trouble(error, job.id, status)
                self._note_paper(session)
                if status == PrintStatus.SET_ASIDE:
                    self._next_due = self._clock()  # the jobs behind it go on at once
                return False
            self._failures = 0
            mark_printed(session, job.id, self._clock())
            self._note_trouble(None, job.id, PrintStatus.PRINTED)
            self._note_paper(session)
            return True

    def run_forever(self, stop: Wakeup | None = None) -> None:
        """Print while holding the printer lock, until stop() is called or the given stop event is set."""
        stopping = stop or self._stop
        while not stopping.is_set():
            if not self._lock.acquire():
                stopping.wait(LOCK_RETRY_SECONDS)  # another process prints: stand by
                continue
            try:
                self._print_while_held(stopping)
            finally:
                self._lock.release()

    def _print_while_held(self, stopping: Wakeup) -> None:
        log.info("printing to %s", self._transport.description)
        try:
            with self._sessions() as session:
                if taken := take_over(session, self._clock()):
                    log.warning("took over %s print job(s) left unfinished by a stopped print process", taken)
                printer_running(session, self._holder, self._clock())
        except Exception:
            log.exception("print worker could not start; retrying shortly")
            stopping.wait(1.0)
            return
        eager = True  # jobs left over from before a restart go out at once
        while not stopping.is_set() and self._lock.held():
            try:
                if self.run_once(eager):
                    eager = False
                    continue
                eager = self._wake.wait(self._seconds_until_due())
                self._wake.clear()
            except Exception:  # noqa: BLE001 - the worker must outlive a database hiccup
                log.exception("print worker error; retrying shortly")
                stopping.wait(1.0)

    def _note_trouble(self, error: PrinterError | None, job_id: int, status: PrintStatus) -> None:
        """Log the printer's state once each time it changes, not on every retry."""
        if status == PrintStatus.SET_ASIDE:
            log.error("print job %s set aside after %s tries: %s", job_id, MAX_ATTEMPTS, error)
        reason = error.reason if error else None
        if reason == self._trouble:
            return
        if error is None:
            log.info("%s prints again", self._transport.description)
        else:
            log.warning("%s cannot print (%s); retrying with back-off", self._transport.description, error)
        self._trouble = reason

    def _note_paper(self, session: Session) -> None:
        paper = self._transport.paper
        if paper != self._paper:
            self._paper = paper
            printer_paper(session, paper)

    def _seconds_until_due(self) -> float:
        """How long to sleep unless woken: until the oldest job's back-off ends, at most 30 s."""
        if self._next_due is None:
            return 30.0
        return min(30.0, max(0.05, (self._next_due - self._clock()).total_seconds()))
