"""The print outbox: jobs saved with the visit and sent by a background worker; the printer's state."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, EnumText


class PrintStatus(enum.StrEnum):
    """A job is pending until the printer confirmed it, or set aside after too many uncertain tries."""

    PENDING = "pending"
    PRINTING = "printing"
    PRINTED = "printed"
    SET_ASIDE = "set_aside"  # waits for an officer's "print again"; the jobs behind it go on


class PrintJob(Base):
    """A document waiting to be printed, or printed."""

    __tablename__ = "print_jobs"
    __table_args__ = (Index("ix_print_jobs_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[PrintStatus] = mapped_column(EnumText(PrintStatus, 12), default=PrintStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)  # tries that may have reached the paper
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    printed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)  # a shared.print_status.PROBLEMS code


class PrinterState(Base):
    """Whether a print process is running: written by the process that holds the printer, and by the
    server that watches it when it dies. One row."""

    __tablename__ = "printer_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(40))  # the running print process, None while down
    running: Mapped[bool]
    since: Mapped[datetime]
    paper: Mapped[str | None] = mapped_column(String(12))  # "ok", "low", "out" from a printer that answers
