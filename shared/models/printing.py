"""The print outbox: jobs saved with the visit and sent by a background worker."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, EnumText


class PrintStatus(enum.StrEnum):
    """A job is pending until its bytes were written and the connection closed."""

    PENDING = "pending"
    PRINTING = "printing"
    PRINTED = "printed"


class PrintJob(Base):
    """A document waiting to be printed, or printed."""

    __tablename__ = "print_jobs"
    __table_args__ = (Index("ix_print_jobs_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[PrintStatus] = mapped_column(EnumText(PrintStatus, 12), default=PrintStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    printed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
