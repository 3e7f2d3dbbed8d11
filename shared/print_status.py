"""The printer as staff and visitors see it: each ticket's printout, the printer's trouble, and printing again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.db import queue_event, write
from shared.events import Event
from shared.i18n import N_, Refusal
from shared.models import PrinterState, PrintJob, PrintStatus, Visit

UNPRINTED = (PrintStatus.PENDING, PrintStatus.PRINTING)
STATE_ID = 1

# What went wrong, by the code the print worker stores in PrintJob.last_error; translated where shown.
PROBLEMS = {
    "unreachable": N_("Printer tidak dapat dihubungi: periksa daya, kabel jaringan atau USB, dan alamat printer."),
    "paper_out": N_("Kertas printer habis: pasang gulungan kertas baru."),
    "offline": N_("Printer tidak siap: periksa tutup printer dan lampu kesalahan."),
    "interrupted": N_("Printer memutus sambungan di tengah pencetakan."),
    "stalled": N_("Printer berhenti menerima data di tengah pencetakan."),
    "no_answer": N_("Printer tidak menjawab setelah menerima tiket."),
    "failed": N_("Printout tidak dapat disimpan."),
}
UNKNOWN_PROBLEM = N_("Printer tidak dapat mencetak.")


class PrintError(Refusal):
    """A print action does not fit the job's state; the message is for the officer."""


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
    state = session.get(PrinterState, STATE_ID) if not printed and job.last_error is None else None
    stopped = state is not None and not state.running  # no print process: it will not print soon either
    return TicketPrintStatus(job.id, printed, delayed=not printed and (job.last_error is not None or stopped))


@dataclass(frozen=True)
class SetAside:
    """A printout the printer may have spoilt, waiting for an officer to print it again."""

    job_id: int
    number: str  # the ticket number, or "" for a document without a visit
    problem: str


@dataclass(frozen=True)
class PrinterTrouble:
    """What staff need to know to go and fix the printer; empty (falsy) while everything prints."""

    down_since: datetime | None = None  # no print process is running
    unprinted: int = 0  # every job still waiting, including those queued behind the failing one
    since: datetime | None = None  # when the oldest of them was queued
    problem: str | None = None  # what the printer did last time it failed, in words for staff
    set_aside: tuple[SetAside, ...] = ()
    paper_low: bool = False

    def __bool__(self) -> bool:
        return bool(self.down_since or self.problem or self.set_aside or self.paper_low)


def problem_text(code: str | None) -> str:
    """Words for staff for a stored problem code (Indonesian; translated where shown)."""
    return PROBLEMS.get(code or "", UNKNOWN_PROBLEM)


def printer_trouble(session: Session) -> PrinterTrouble:
    """The printer's trouble: a stopped print process, a failing printer, set-aside printouts, low paper."""
    state = session.get(PrinterState, STATE_ID)
    error = session.scalar(
        select(PrintJob.last_error)
        .where(PrintJob.status.in_(UNPRINTED), PrintJob.last_error.is_not(None))
        .order_by(PrintJob.id.desc())
        .limit(1)
    )
    unprinted, since = session.execute(
        select(func.count(), func.min(PrintJob.created_at)).where(PrintJob.status.in_(UNPRINTED))
    ).one()
    down = state is not None and not state.running and unprinted > 0
    set_aside = session.execute(
        select(PrintJob.id, Visit.prefix, Visit.seq, PrintJob.last_error)
        .outerjoin(Visit, PrintJob.visit_id == Visit.id)
        .where(PrintJob.status == PrintStatus.SET_ASIDE)
        .order_by(PrintJob.id)
    ).all()
    return PrinterTrouble(
        down_since=state.since if down and state else None,
        unprinted=unprinted,
        since=since,
        problem=problem_text(error) if error is not None else None,
        set_aside=tuple(
            SetAside(job_id, f"{prefix}-{seq:03d}" if prefix is not None else "", problem_text(code))
            for job_id, prefix, seq, code in set_aside
        ),
        paper_low=state is not None and state.paper == "low",
    )


def reprint(session: Session, job_id: int, now: datetime) -> PrintJob:
    """Queue a set-aside printout again, ahead of the others: an officer checked the printer."""
    with write(session):
        job = session.get(PrintJob, job_id, with_for_update=True)
        if job is None:
            raise PrintError("Cetakan tidak ditemukan.")
        if job.status != PrintStatus.SET_ASIDE:
            raise PrintError("Cetakan ini tidak sedang menunggu dicetak ulang.")
        job.status, job.attempts, job.next_attempt_at, job.last_error = PrintStatus.PENDING, 0, now, None
        queue_event(session, Event("print.queued", {"job_id": job.id, "visit_id": job.visit_id}))
    return job


def printer_running(session: Session, holder: str, now: datetime) -> None:
    """A print process took the printer."""
    with write(session):
        state = session.get(PrinterState, STATE_ID, with_for_update=True)
        if state is None:
            session.add(PrinterState(id=STATE_ID, holder=holder, running=True, since=now))
        else:
            state.holder, state.running, state.since = holder, True, now
        queue_event(session, Event("print.up", {"holder": holder}))


def printer_down(session: Session, holder: str, now: datetime) -> bool:
    """The print process `holder` ended, or could not start; False if another process holds the printer."""
    with write(session):
        state = session.get(PrinterState, STATE_ID, with_for_update=True)
        if state is None:
            state = PrinterState(id=STATE_ID, holder=None, running=False, since=now)
            session.add(state)
        elif state.running and state.holder != holder:
            return False  # another server's print process took over
        elif state.running:
            state.holder, state.running, state.since = None, False, now
        queue_event(session, Event("print.down", {"holder": holder}))
    return True


def printer_paper(session: Session, paper: str | None) -> None:
    """Remember what the printer last said of its paper."""
    with write(session):
        state = session.get(PrinterState, STATE_ID, with_for_update=True)
        if state is not None and state.paper != paper:
            state.paper = paper
            queue_event(session, Event("print.paper", {"paper": paper}))
