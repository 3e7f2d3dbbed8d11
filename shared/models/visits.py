"""Visits: a check-in with its ticket number, consent record and signature."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db import Base, EnumText
from shared.i18n import N_
from shared.models.reference import Office, Party, Topic
from shared.models.staff import Desk, User


class VisitorType(enum.StrEnum):
    """Who the visitor comes for."""

    PARTY = "party"
    PUBLIC = "public"
    BAWASLU = "bawaslu"
    KPU = "kpu"
    OTHER = "other"

    @property
    def label(self) -> str:
        """The Indonesian label shown to visitors and staff."""
        return _VISITOR_TYPE_LABELS[self]


_VISITOR_TYPE_LABELS = {
    VisitorType.PARTY: N_("Partai politik"),
    VisitorType.PUBLIC: N_("Masyarakat umum"),
    VisitorType.BAWASLU: "Bawaslu",  # a name: the same in every language
    VisitorType.KPU: N_("KPU kabupaten/kota"),
    VisitorType.OTHER: N_("Lainnya"),
}


class VisitStatus(enum.StrEnum):
    """Where a visit is in the queue."""

    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"


class DailyCounter(Base):
    """The last ticket number issued per office, service day and prefix."""

    __tablename__ = "daily_counters"

    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), primary_key=True)
    service_day: Mapped[date] = mapped_column(Date, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(3), primary_key=True)
    last_number: Mapped[int]


class Visit(Base):
    """One check-in at the kiosk and its way through the queue."""

    __tablename__ = "visits"
    __table_args__ = (
        UniqueConstraint("office_id", "service_day", "prefix", "seq"),
        UniqueConstraint("office_id", "service_day", "call_seq"),
        Index("ix_visits_queue", "office_id", "service_day", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    service_day: Mapped[date] = mapped_column(Date)
    prefix: Mapped[str] = mapped_column(String(3))
    seq: Mapped[int]
    token: Mapped[str] = mapped_column(String(64), unique=True)
    visitor_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(16))
    visitor_type: Mapped[VisitorType] = mapped_column(EnumText(VisitorType, 16))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"))
    priority: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str] = mapped_column(String(2), default="id")
    status: Mapped[VisitStatus] = mapped_column(EnumText(VisitStatus, 16), default=VisitStatus.WAITING)
    desk_id: Mapped[int | None] = mapped_column(ForeignKey("desks.id"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_in_at: Mapped[datetime]
    called_at: Mapped[datetime | None]
    # The day's calls from the queue in the order they were made (1, 2, ...); the priority ratio is read from
    # it. called_at is not: a transfer re-announces a visitor, and clocks can step back.
    call_seq: Mapped[int | None]
    served_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    office: Mapped[Office] = relationship()
    party: Mapped[Party | None] = relationship()
    topic: Mapped[Topic] = relationship()
    desk: Mapped[Desk | None] = relationship()
    officer: Mapped[User | None] = relationship()
    consent: Mapped[Consent] = relationship(back_populates="visit")

    @property
    def number(self) -> str:
        """The ticket number as printed, such as A-007."""
        return ticket_number(self.prefix, self.seq)

    @property
    def masked_name(self) -> str:
        """The name as public screens may show it: initials and first letters only."""
        return mask_name(self.visitor_name)


def ticket_number(prefix: str, seq: int) -> str:
    """A ticket number as printed and called: prefix, dash, three digits."""
    return f"{prefix}-{seq:03d}"


def mask_name(name: str) -> str:
    """Keep the first letter of each word: 'Maria Lodia Nenobais' becomes 'M*** L*** N***'."""
    return " ".join(word[0] + "***" for word in name.split()[:3])


class Consent(Base):
    """Proof of the visitor's consent: which notice version was accepted, and when."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), unique=True)
    notice_version: Mapped[str] = mapped_column(String(20))
    proof: Mapped[str] = mapped_column(String(255), unique=True)  # the signed token; one check-in per consent
    language: Mapped[str] = mapped_column(String(2))
    accepted_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]

    visit: Mapped[Visit] = relationship(back_populates="consent")


class Signature(Base):
    """The visitor's handwritten signature from the kiosk, as a PNG."""

    __tablename__ = "signatures"

    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), primary_key=True)
    png: Mapped[bytes] = mapped_column(LargeBinary)
