"""The officer's work on one consultation: moving through SOP steps 2 to 6 and keeping the problem list."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.consultation import sop
from shared.consultation.models import (
    Amendment,
    AuditEntry,
    Consultation,
    FaqEntry,
    FaqStatus,
    Problem,
    ProblemReference,
    Regulation,
    StepSpan,
)
from shared.db import queue_event, write
from shared.events import Event
from shared.i18n import N_, Refusal
from shared.models import Role, Topic, User, Visit
from shared.text import hidden_characters, typed_text

EDITING_ROLES = (Role.SUPERVISOR, Role.ADMIN)  # may work on any officer's consultation
MAX_TEXT = 5000  # characters in a problem's description or answer
MAX_PROBLEMS = 30
MAX_ARTICLE = 120  # "Pasal 7 ayat (1) huruf a"


CHANGED_ELSEWHERE = N_("Masalah ini sudah diubah di tab atau perangkat lain. Periksa versi yang tersimpan.")


# What each recorded change is called in the history supervisors read.
AUDIT_ACTIONS = {
    "consultation.started": N_("Layanan dimulai"),
    "consultation.taken_over": N_("Dilanjutkan petugas lain"),
    "consultation.closed": N_("Layanan selesai"),
    "step.changed": N_("Pindah langkah"),
    "problem.added": N_("Masalah ditambah"),
    "problem.edited": N_("Masalah diubah"),
    "problem.moved": N_("Urutan masalah diubah"),
    "problem.removed": N_("Masalah dihapus"),
    "reference.added": N_("Rujukan ditambah"),
    "reference.removed": N_("Rujukan dihapus"),
    "escalation.sent": N_("Dieskalasi ke provinsi"),
    "escalation.claimed": N_("Eskalasi diambil provinsi"),
    "escalation.released": N_("Eskalasi dilepas provinsi"),
    "escalation.answered": N_("Eskalasi dijawab provinsi"),
    "photo.added": N_("Foto ditambah"),
    "photo.removed": N_("Foto dihapus"),
    "receipt.signed": N_("Tanda terima ditandatangani"),
    "amendment.added": N_("Ralat ditambah"),
}


class WorkspaceError(Refusal):
    """The change cannot be made; the message is for the officer."""


class EditConflict(WorkspaceError):
    """Someone saved the problem since this copy was loaded; carries what is saved now."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(CHANGED_ELSEWHERE)
        self.problem = problem


@dataclass(frozen=True)
class StepTime:
    """Time spent in one step against its standard; state is ok, amber (from 80 %) or red (past it)."""

    step: sop.Step
    seconds: int
    current: bool

    @property
    def state(self) -> str:
        limit = self.step.minutes * 60
        if self.seconds > limit:
            return "red"
        return "amber" if self.seconds >= limit * sop.WARN_SHARE else "ok"


def begin(session: Session, visit: Visit, officer_id: int, now: datetime) -> Consultation:
    """Open the visit's consultation at step 2, or resume it; runs inside the caller's transaction."""
    consultation = session.scalar(select(Consultation).where(Consultation.visit_id == visit.id))
    if consultation is None:
        consultation = Consultation(
            visit_id=visit.id, office_id=visit.office_id, officer_id=officer_id, step=sop.FIRST, started_at=now
        )
        session.add(consultation)
        session.flush()
        _audit(session, consultation.id, officer_id, now, "consultation.started")
    elif consultation.officer_id != officer_id:  # a transferred visitor: the new desk's officer carries on
        _audit(session, consultation.id, officer_id, now, "consultation.taken_over", {"from": consultation.officer_id})
        consultation.officer_id = officer_id
    _open_span(session, consultation, consultation.step, now)
    return consultation


def pause(session: Session, visit_id: int, now: datetime) -> None:
    """Stop the step clock when the visit leaves the desk; runs inside the caller's transaction."""
    consultation = session.scalar(select(Consultation).where(Consultation.visit_id == visit_id))
    if consultation is not None:
        _close_span(consultation, now)


def close(session: Session, visit_id: int, now: datetime) -> None:
    """The visit is over: the clock stops and the record is closed (escalations may still be answered later)."""
    consultation = session.scalar(select(Consultation).where(Consultation.visit_id == visit_id))
    if consultation is not None:
        _close_span(consultation, now)
        consultation.closed_at = now
        _audit(session, consultation.id, consultation.officer_id, now, "consultation.closed")


def for_visit(session: Session, visit_id: int) -> Consultation | None:
    """The visit's consultation, if service has started."""
    return session.scalar(select(Consultation).where(Consultation.visit_id == visit_id))


def go_to_step(session: Session, consultation_id: int, step: int, user: User, now: datetime) -> Consultation:
    """Move to another step; the time of the step left is kept, and a revisited step's time adds up."""
    if step not in sop.BY_NUMBER:
        raise WorkspaceError("Langkah tidak dikenal.")
    with write(session):
        consultation = _editable(session, consultation_id, user)
        if consultation.step != step:
            _audit(session, consultation.id, user.id, now, "step.changed", {"from": consultation.step, "to": step})
            consultation.step = step
            _open_span(session, consultation, step, now)
            _changed(session, consultation)
    return consultation


def step_times(consultation: Consultation, now: datetime) -> list[StepTime]:
    """Each step's time so far, the open span counted up to now."""
    seconds = dict.fromkeys(sop.BY_NUMBER, 0.0)
    for span in consultation.spans:
        seconds[span.step] += ((span.ended_at or now) - span.started_at).total_seconds()
    open_step = next((span.step for span in consultation.spans if span.ended_at is None), None)
    return [StepTime(step, max(0, int(seconds[step.number])), step.number == open_step) for step in sop.STEPS]


def add_problem(
    session: Session, consultation_id: int, topic_id: int, description: str, user: User, now: datetime
) -> Problem:
    """Add a problem at the end of the list."""
    description = clean_text(description)
    with write(session):
        consultation = _editable(session, consultation_id, user)
        _topic(session, topic_id)
        count = session.scalar(select(func.count()).where(Problem.consultation_id == consultation.id)) or 0
        if count >= MAX_PROBLEMS:
            raise WorkspaceError("Paling banyak {num} masalah dalam satu konsultasi.", num=MAX_PROBLEMS)
        problem = Problem(
            consultation_id=consultation.id,
            position=count + 1,
            topic_id=topic_id,
            description=description,
            answer="",
            updated_at=now,
        )
        session.add(problem)
        session.flush()
        _audit(session, consultation.id, user.id, now, "problem.added", {"problem": problem.id})
        _changed(session, consultation)
    return problem


def save_problem(
    session: Session,
    problem_id: int,
    version: int,
    user: User,
    now: datetime,
    *,
    description: str | None = None,
    answer: str | None = None,
    topic_id: int | None = None,
) -> Problem:
    """Save the fields given, if nobody saved the problem since `version` was loaded."""
    fields = {"description": description, "answer": answer}
    cleaned = {name: clean_text(value) for name, value in fields.items() if value is not None}
    with write(session):
        problem = _problem(session, problem_id, user)
        if problem.version != version:
            raise EditConflict(problem)
        if topic_id is not None and topic_id != problem.topic_id:
            _topic(session, topic_id)
            cleaned["topic_id"] = topic_id  # type: ignore[assignment]
        changed = {name: value for name, value in cleaned.items() if getattr(problem, name) != value}
        if changed:
            for name, value in changed.items():
                setattr(problem, name, value)
            problem.version += 1
            problem.updated_at = now
            _audit(
                session,
                problem.consultation_id,
                user.id,
                now,
                "problem.edited",
                {"problem": problem.id, "fields": sorted(changed)},
            )
            _changed(session, problem.consultation)
    return problem


def remove_problem(session: Session, problem_id: int, version: int, user: User, now: datetime) -> None:
    """Remove a problem that was not changed elsewhere since it was loaded; the rest close up."""
    with write(session):
        problem = _problem(session, problem_id, user)
        if problem.version != version:
            raise EditConflict(problem)
        if problem.escalations:
            raise WorkspaceError("Masalah yang sudah dieskalasi tidak dapat dihapus.")
        consultation = problem.consultation
        _audit(
            session,
            consultation.id,
            user.id,
            now,
            "problem.removed",
            {"problem": problem.id, "description": problem.description, "answer": problem.answer},
        )
        session.delete(problem)
        session.flush()
        _renumber(session, consultation)
        _changed(session, consultation)


def move_problem(session: Session, problem_id: int, offset: int, user: User, now: datetime) -> None:
    """Move a problem up (offset -1) or down (+1) the list."""
    with write(session):
        problem = _problem(session, problem_id, user)
        consultation = problem.consultation
        problems = list(consultation.problems)
        index = problems.index(problem)
        target = index + offset
        if offset not in (-1, 1) or not 0 <= target < len(problems):
            return
        problems[index], problems[target] = problems[target], problems[index]
        _renumber(session, consultation, problems)
        _audit(session, consultation.id, user.id, now, "problem.moved", {"problem": problem.id, "to": target + 1})
        _changed(session, consultation)


def add_reference(
    session: Session,
    problem_id: int,
    user: User,
    now: datetime,
    *,
    regulation_id: int | None = None,
    article: str = "",
    faq_id: int | None = None,
) -> ProblemReference:
    """Cite a rule (with its article, such as "Pasal 7 ayat (1)") or a knowledge-base entry under an answer."""
    article = clean_text(article)
    if "\n" in article or len(article) > MAX_ARTICLE:
        raise WorkspaceError("Pasal paling banyak {num} karakter, dalam satu baris.", num=MAX_ARTICLE)
    with write(session):
        problem = _problem(session, problem_id, user)
        if (regulation_id is None) == (faq_id is None):
            raise WorkspaceError("Pilih peraturan atau jawaban FAQ yang dirujuk.")
        if (
            regulation_id is not None
            and session.scalar(select(Regulation.id).where(Regulation.id == regulation_id, Regulation.active)) is None
        ):
            raise WorkspaceError("Pilih peraturan dari daftar.")
        if (
            faq_id is not None
            and session.scalar(select(FaqEntry.id).where(FaqEntry.id == faq_id, FaqEntry.status == FaqStatus.APPROVED))
            is None
        ):
            raise WorkspaceError("Jawaban FAQ itu tidak ada atau belum disetujui.")
        reference = ProblemReference(
            regulation_id=regulation_id, article=article if regulation_id else "", faq_id=faq_id
        )
        problem.references.append(reference)
        session.flush()
        _audit(
            session,
            problem.consultation_id,
            user.id,
            now,
            "reference.added",
            {"problem": problem.id, "regulation": regulation_id, "article": reference.article, "faq": faq_id},
        )
        _changed(session, problem.consultation)
    return reference


def remove_reference(session: Session, reference_id: int, user: User, now: datetime) -> Problem:
    """Take a reference away from an answer."""
    with write(session):
        reference = session.get(ProblemReference, reference_id)
        if reference is None:
            raise WorkspaceError("Rujukan tidak ditemukan; mungkin sudah dihapus.")
        problem = _problem(session, reference.problem_id, user)
        _audit(
            session,
            problem.consultation_id,
            user.id,
            now,
            "reference.removed",
            {
                "problem": problem.id,
                "regulation": reference.regulation_id,
                "article": reference.article,
                "faq": reference.faq_id,
            },
        )
        problem.references.remove(reference)
        _changed(session, problem.consultation)
    return problem


def amend(session: Session, consultation_id: int, what: str, why: str, user: User, now: datetime) -> Amendment:
    """Correct a signed record: what changed and why are kept beside it, and the report shows them."""
    what, why = clean_text(what), clean_text(why)
    if not what or not why:
        raise WorkspaceError("Tulis apa yang diubah dan alasannya.")
    with write(session):
        consultation = session.get(Consultation, consultation_id, with_for_update=True)
        if consultation is None:
            raise WorkspaceError("Konsultasi tidak ditemukan.")
        if not may_edit(consultation, user):
            raise WorkspaceError("Konsultasi ini ditangani petugas lain.")
        if not consultation.locked:
            raise WorkspaceError("Laporan belum ditandatangani: ubah langsung isinya.")
        amendment = Amendment(consultation_id=consultation.id, user_id=user.id, at=now, what=what, why=why)
        session.add(amendment)
        session.flush()
        _audit(session, consultation.id, user.id, now, "amendment.added", {"amendment": amendment.id})
        _changed(session, consultation)
    return amendment


def history(session: Session, consultation_id: int) -> list[AuditEntry]:
    """Every recorded change to the consultation, oldest first."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.consultation_id == consultation_id)
            .order_by(AuditEntry.at, AuditEntry.id)
        )
    )


def clean_text(text: str) -> str:
    """An officer's text with line breaks kept; control characters and over-long text are refused."""
    if hidden_characters(text, multiline=True):
        raise WorkspaceError("Teks berisi karakter yang tidak diizinkan.")
    text = typed_text(text, multiline=True)
    if len(text) > MAX_TEXT:
        raise WorkspaceError("Teks terlalu panjang: paling banyak {num} karakter.", num=MAX_TEXT)
    return text


def may_edit(consultation: Consultation, user: User) -> bool:
    """The consultation's officer, a supervisor or an admin may work on it."""
    return consultation.officer_id == user.id or user.role in EDITING_ROLES


def _editable(session: Session, consultation_id: int, user: User) -> Consultation:
    consultation = session.get(Consultation, consultation_id, with_for_update=True)
    if consultation is None:
        raise WorkspaceError("Konsultasi tidak ditemukan.")
    if not may_edit(consultation, user):
        raise WorkspaceError("Konsultasi ini ditangani petugas lain.")
    if consultation.locked:
        raise WorkspaceError("Laporan sudah ditandatangani: perubahan hanya lewat ralat.")
    return consultation


def _problem(session: Session, problem_id: int, user: User) -> Problem:
    problem = session.get(Problem, problem_id)
    if problem is None:
        raise WorkspaceError("Masalah tidak ditemukan; mungkin sudah dihapus.")
    _editable(session, problem.consultation_id, user)
    session.refresh(problem)  # read again under the consultation's lock
    return problem


def _topic(session: Session, topic_id: int) -> Topic:
    topic = session.get(Topic, topic_id)
    if topic is None or not topic.active:
        raise WorkspaceError("Pilih topik dari daftar.")
    return topic


def _renumber(session: Session, consultation: Consultation, order: list[Problem] | None = None) -> None:
    session.expire(consultation, ["problems"])
    problems = order if order is not None else list(consultation.problems)
    for position, problem in enumerate(problems, start=1):
        problem.position = position


def _open_span(session: Session, consultation: Consultation, step: int, now: datetime) -> None:
    _close_span(consultation, now)
    consultation.spans.append(StepSpan(step=step, started_at=now))
    session.flush()


def _close_span(consultation: Consultation, now: datetime) -> None:
    for span in consultation.spans:
        if span.ended_at is None:
            span.ended_at = max(now, span.started_at)


def _audit(
    session: Session, consultation_id: int, user_id: int, now: datetime, action: str, detail: object = None
) -> None:
    text = "" if detail is None else json.dumps(detail, ensure_ascii=False, sort_keys=True)
    session.add(AuditEntry(consultation_id=consultation_id, user_id=user_id, at=now, action=action, detail=text))


def _changed(session: Session, consultation: Consultation) -> None:
    queue_event(session, Event("consultation.changed", {"consultation_id": consultation.id}))
