"""How a ticket's printout is doing, in words the kiosk can show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.models import PrintJob, PrintStatus


@dataclass(frozen=True)
class TicketPrintStatus:
    """A print job's state: printed, on its way, or delayed (the printer failed at least once)."""

    job_id: int
    printed: bool
    delayed: bool


def ticket_print_status(session: Session, job_id: int) -> TicketPrintStatus | None:
    """The state of one print job, or None if there is no such job."""
    job = session.get(PrintJob, job_id)
    if job is None:
        return None
    printed = job.status == PrintStatus.PRINTED
    return TicketPrintStatus(job.id, printed, delayed=not printed and job.last_error is not None)


@dataclass(frozen=True)
class PrinterTrouble:
    """Printouts held up by a printer fault: what staff need to know to go and fix it."""

    unprinted: int  # every job still waiting, including those queued behind the failing one
    since: datetime  # when the oldest of them was queued
    error: str  # what the printer did last time it failed


def printer_trouble(session: Session) -> PrinterTrouble | None:
    """The printer's trouble, or None while every job prints (or waits only for its first try)."""
    error = session.scalar(
        select(PrintJob.last_error)
        .where(PrintJob.status != PrintStatus.PRINTED, PrintJob.last_error.is_not(None))
        .order_by(PrintJob.id.desc())
        .limit(1)
    )
    if error is None:
        return None
    unprinted, since = session.execute(
        select(func.count(), func.min(PrintJob.created_at)).where(PrintJob.status != PrintStatus.PRINTED)
    ).one()
    return PrinterTrouble(unprinted, since, error)
