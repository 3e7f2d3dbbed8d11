"""The print outbox worker: takes saved jobs in order and sends them, with retries and back-off."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from printers.layout import DOCUMENTS, paper_width, to_escpos, to_png
from printers.transports import PrinterError, Transport
from shared.db import queue_event, write
from shared.events import Broker, Event, Subscription
from shared.models import PrintJob, PrintStatus

log = logging.getLogger(__name__)
CLAIM_SECONDS = 60  # a job claimed by a process that died is taken over after this


def utcnow() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class PrinterSettings:
    """How documents are rendered for the printer."""

    profile: str
    native_qr: bool = False
    max_backoff_seconds: float = 30.0


def claim_next(session: Session, now: datetime, eager: bool = False) -> PrintJob | None:
    """Mark the oldest unprinted job as printing and return it, or None if it is not due yet.

    Jobs go strictly in order so tickets come out in check-in order; eager ignores the back-off
    (a new job arrived, so the printer may well be back).
    """
    with write(session):
        job = session.scalar(
            select(PrintJob)
            .where(PrintJob.status != PrintStatus.PRINTED)
            .order_by(PrintJob.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if job is None or not _due(job, now, eager):
            return None
        job.status = PrintStatus.PRINTING
        job.claimed_until = now + timedelta(seconds=CLAIM_SECONDS)
        job.attempts += 1
    return job


def _due(job: PrintJob, now: datetime, eager: bool) -> bool:
    if job.status == PrintStatus.PRINTING:
        return job.claimed_until is None or job.claimed_until < now
    return eager or job.next_attempt_at <= now


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


def next_due(session: Session) -> datetime | None:
    """When the oldest unprinted job may be tried next, or None when the outbox is empty."""
    with session.begin():
        job = session.scalar(
            select(PrintJob).where(PrintJob.status != PrintStatus.PRINTED).order_by(PrintJob.id).limit(1)
        )
        if job is None:
            return None
        return job.claimed_until if job.status == PrintStatus.PRINTING and job.claimed_until else job.next_attempt_at


def render(job: PrintJob, settings: PrinterSettings) -> tuple[bytes, Callable[[], Image.Image]]:
    """The job's ESC/POS bytes and a function that draws its PNG preview."""
    document = DOCUMENTS[job.kind](job.payload)
    width = paper_width(settings.profile)
    return to_escpos(document, settings.profile, settings.native_qr), lambda: to_png(document, width)


class PrintWorker:
    """A background thread that empties the outbox; new jobs wake it through the event broker."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        transport: Transport,
        settings: PrinterSettings,
        broker: Broker,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._transport = transport
        self._settings = settings
        self._broker = broker
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failures = 0

    def start(self) -> None:
        """Start printing in the background."""
        subscription = self._broker.subscribe()
        self._thread = threading.Thread(target=self._run, args=(subscription,), name="print-worker", daemon=True)
        self._thread.start()
        log.info("print worker started: %s", self._transport.description)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the job in hand."""
        self._stop.set()
        self._broker.publish([Event("print.worker_stopping")])
        if self._thread is not None:
            self._thread.join(timeout)

    def run_once(self, eager: bool = False) -> bool | None:
        """Try the oldest job: None if nothing was due, else whether it printed."""
        with self._sessions() as session:
            job = claim_next(session, self._clock(), eager)
            if job is None:
                return None
            try:
                data, preview = render(job, self._settings)
                self._transport.send(job.id, data, preview)
            except PrinterError as error:
                self._failures += 1
                delay = min(self._settings.max_backoff_seconds, 2 ** (self._failures - 1))
                log.warning("print job %s not printed (attempt %s): %s", job.id, job.attempts, error)
                mark_failed(session, job.id, str(error)[:500], self._clock() + timedelta(seconds=delay))
                return False
            self._failures = 0
            mark_printed(session, job.id, self._clock())
            return True

    def _run(self, subscription: Subscription) -> None:
        with subscription:
            eager = True  # jobs left over from before a restart go out at once
            while not self._stop.is_set():
                try:
                    if self.run_once(eager):
                        eager = False
                        continue
                    woken_by = subscription.get(timeout=self._seconds_until_due())
                    eager = woken_by is not None and woken_by.name == "print.queued"
                except Exception:  # noqa: BLE001 - the worker must outlive a database hiccup
                    log.exception("print worker error; retrying shortly")
                    self._stop.wait(1.0)

    def _seconds_until_due(self) -> float:
        with self._sessions() as session:
            due = next_due(session)
        if due is None:
            return 30.0
        return min(30.0, max(0.05, (due - self._clock()).total_seconds()))
