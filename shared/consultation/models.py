"""Tables of the consultation: the record of steps 2 to 6, the knowledge it draws on, and what it leaves."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db import Base, EnumText
from shared.i18n import N_
from shared.models.reference import Office, Topic
from shared.models.staff import User
from shared.models.visits import Visit


class Consultation(Base):
    """The desk's record of one visit, from "start service" to the signed receipt; locked after the receipt."""

    __tablename__ = "consultations"
    __table_args__ = (UniqueConstraint("office_id", "report_year", "report_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), unique=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    step: Mapped[int]  # the SOP step the officer is on (shared.consultation.sop)
    started_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    report_year: Mapped[int | None]
    report_seq: Mapped[int | None]
    report_number: Mapped[str | None] = mapped_column(String(80))
    receipt_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    receipt_signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    receipt_signed_at: Mapped[datetime | None]
    digest: Mapped[str | None] = mapped_column(String(64))  # SHA-256 of the report's content when locked
    surveyed: Mapped[bool] = mapped_column(default=False)  # the survey itself is stored apart, unlinked

    visit: Mapped[Visit] = relationship()
    office: Mapped[Office] = relationship()
    officer: Mapped[User] = relationship()
    problems: Mapped[list[Problem]] = relationship(back_populates="consultation", order_by="Problem.position")
    spans: Mapped[list[StepSpan]] = relationship(back_populates="consultation", order_by="StepSpan.id")

    @property
    def locked(self) -> bool:
        """After the receipt is signed the record changes only by amendments."""
        return self.receipt_signed_at is not None


class StepSpan(Base):
    """A stretch of time spent in one step; a revisited step gets another span and its time adds up."""

    __tablename__ = "consultation_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    step: Mapped[int]
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]

    consultation: Mapped[Consultation] = relationship(back_populates="spans")


class Problem(Base):
    """One problem of the Daftar Permasalahan Konsultasi, with its answer (Jawaban/Solusi)."""

    __tablename__ = "problems"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    position: Mapped[int]
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"))
    description: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)  # bumped on each save: a stale tab's save is refused
    updated_at: Mapped[datetime]

    consultation: Mapped[Consultation] = relationship(back_populates="problems")
    topic: Mapped[Topic] = relationship()
    references: Mapped[list[ProblemReference]] = relationship(
        order_by="ProblemReference.id", cascade="all, delete-orphan"
    )
    escalations: Mapped[list[Escalation]] = relationship(back_populates="problem", order_by="Escalation.id")


class RegulationKind(enum.StrEnum):
    """The kinds of rules an answer cites."""

    LAW = "uu"
    KPU_REGULATION = "pkpu"
    KPU_DECISION = "keputusan"
    GUIDELINE = "juknis"
    CIRCULAR = "surat_edaran"

    @property
    def label(self) -> str:
        """The Indonesian name of the kind."""
        return _KIND_LABELS[self]


_KIND_LABELS = {
    RegulationKind.LAW: N_("Undang-Undang"),
    RegulationKind.KPU_REGULATION: N_("Peraturan KPU"),
    RegulationKind.KPU_DECISION: N_("Keputusan KPU"),
    RegulationKind.GUIDELINE: N_("Petunjuk teknis"),
    RegulationKind.CIRCULAR: N_("Surat edaran"),
}


class Regulation(Base):
    """An entry of the editable list of rules an answer may cite, such as "UU 7/2017"."""

    __tablename__ = "regulations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[RegulationKind] = mapped_column(EnumText(RegulationKind, 20))
    short_name: Mapped[str] = mapped_column(String(80), unique=True)  # "PKPU 4/2022"
    title: Mapped[str] = mapped_column(String(300))  # "Peraturan KPU Nomor 4 Tahun 2022 tentang ..."
    active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)


class ProblemReference(Base):
    """A reference under an answer: a rule with its article, or a knowledge-base entry."""

    __tablename__ = "problem_references"

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"), index=True)
    regulation_id: Mapped[int | None] = mapped_column(ForeignKey("regulations.id"))
    article: Mapped[str] = mapped_column(String(120), default="")  # "Pasal 7 ayat (1)"
    faq_id: Mapped[int | None] = mapped_column(ForeignKey("faq_entries.id"))

    regulation: Mapped[Regulation | None] = relationship()
    faq: Mapped[FaqEntry | None] = relationship()


class FaqStatus(enum.StrEnum):
    """A knowledge-base entry is a draft until a supervisor approves it."""

    DRAFT = "draft"
    APPROVED = "approved"


class FaqEntry(Base):
    """A question and its answer in the knowledge base, searched from the workspace.

    Search uses the database's own full-text index (see shared.consultation.knowledge); the index objects are
    made by the migration, outside these models.
    """

    __tablename__ = "faq_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id"))
    references: Mapped[str] = mapped_column(Text, default="")  # the rules it rests on, as written
    status: Mapped[FaqStatus] = mapped_column(EnumText(FaqStatus, 12), default=FaqStatus.DRAFT)
    sample: Mapped[bool] = mapped_column(default=False)  # shipped to try the search; not the office's word
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None]

    topic: Mapped[Topic | None] = relationship()


class Escalation(Base):
    """A problem sent to the provincial helpdesk (SOP step 4), claimed and answered there exactly once."""

    __tablename__ = "escalations"
    __table_args__ = (Index("ix_escalations_open", "office_id", "answered_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"), index=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    escalated_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    escalated_at: Mapped[datetime]
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None]
    answer: Mapped[str | None] = mapped_column(Text)
    references: Mapped[str] = mapped_column(Text, default="")
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None]

    problem: Mapped[Problem] = relationship(back_populates="escalations")
    office: Mapped[Office] = relationship()


class Photo(Base):
    """A documentation photo, re-encoded on arrival and kept outside the web root (instance/photos/)."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(80), unique=True)
    media_type: Mapped[str] = mapped_column(String(20))
    width: Mapped[int]
    height: Mapped[int]
    size: Mapped[int]
    caption: Mapped[str] = mapped_column(String(200), default="")
    taken_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    taken_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]


class Amendment(Base):
    """A correction to a locked record: who, when, what changed and why; the report shows each one."""

    __tablename__ = "amendments"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime]
    what: Mapped[str] = mapped_column(Text)
    why: Mapped[str] = mapped_column(Text)

    user: Mapped[User] = relationship()


class AuditEntry(Base):
    """One change to a consultation, escalation, photo or report: who, what and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultations.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(60))
    detail: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User | None] = relationship()


class SurveyResponse(Base):
    """An anonymous satisfaction survey (SKM): nine scores of 1 to 4, kept by day, office and topic only."""

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"))
    service_day: Mapped[date] = mapped_column(Date)
    scores: Mapped[str] = mapped_column(String(9))  # nine digits 1-4, one per SKM element in order
