"""How a ticket's printout is doing, in words the kiosk can show."""

from __future__ import annotations

from dataclasses import dataclass

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
