"""Escalation to the provincial helpdesk (SOP step 4): a problem is sent with a note, claimed once, answered once.

A claim and an answer are each one conditional UPDATE (`... WHERE claimed_by IS NULL`): on PostgreSQL the second
of two racing updates waits for the first to commit, then finds the condition false and changes nothing; on
SQLite the write transactions run one at a time. Either way exactly one officer wins and the others are told who.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Update, select, update
from sqlalchemy.orm import Session, aliased

from shared.db import queue_event, write
from shared.events import Event
from shared.i18n import N_, Refusal, translate
from shared.models import (
    Amendment,
    AuditEntry,
    Consultation,
    Escalation,
    Office,
    Party,
    Problem,
    Role,
    Topic,
    User,
    Visit,
)
from shared.text import hidden_characters, typed_text

OVERDUE_MINUTES = 15  # SOP step 4's standard time: the provincial helpdesk answers within 15 minutes
NOTE_MAX = 2000
ANSWER_MAX = 4000
REFERENCES_MAX = 1000
CITY_ROLES = (Role.OFFICER, Role.SUPERVISOR, Role.ADMIN)  # the staff of the office that may send a problem up

NOTE_REQUIRED = N_("Tulis catatan untuk helpdesk provinsi: apa yang sudah dicoba dan apa yang perlu dijawab.")
NOTE_TOO_LONG = N_("Catatan terlalu panjang (paling banyak 2000 karakter).")  # NOTE_MAX, written out
NOTE_HIDDEN = N_("Catatan berisi karakter tersembunyi atau kode kontrol. Silakan ketik ulang.")
ANSWER_REQUIRED = N_("Jawaban wajib diisi.")
ANSWER_TOO_LONG = N_("Jawaban terlalu panjang (paling banyak 4000 karakter).")  # ANSWER_MAX
ANSWER_HIDDEN = N_("Jawaban berisi karakter tersembunyi atau kode kontrol. Silakan ketik ulang.")
REFERENCES_TOO_LONG = N_("Rujukan terlalu panjang (paling banyak 1000 karakter).")  # REFERENCES_MAX
REFERENCES_HIDDEN = N_("Rujukan berisi karakter tersembunyi atau kode kontrol. Silakan ketik ulang.")
UNKNOWN_USER = N_("Akun petugas tidak ditemukan atau sudah dinonaktifkan.")
PROBLEM_NOT_FOUND = N_("Permasalahan tidak ditemukan.")
ESCALATION_NOT_FOUND = N_("Eskalasi tidak ditemukan.")
NOT_CITY_STAFF = N_("Hanya petugas helpdesk kabupaten/kota yang dapat mengirim eskalasi.")
CONSULTATION_CLOSED = N_("Konsultasi ini sudah ditutup; permasalahannya tidak dapat dieskalasi lagi.")
ALREADY_ESCALATED = N_("Permasalahan ini sudah dieskalasi ke helpdesk provinsi dan belum dijawab.")
NOT_PROVINCIAL = N_("Hanya petugas helpdesk provinsi yang dapat mengambil dan menjawab eskalasi.")
NO_PROVINCE = N_("Akun Anda belum terhubung ke provinsi mana pun. Hubungi administrator.")
OTHER_PROVINCE = N_("Eskalasi ini berasal dari kantor di provinsi lain.")
ALREADY_CLAIMED = N_("Sudah diambil oleh {name}.")
ALREADY_ANSWERED = N_("Eskalasi ini sudah dijawab oleh {name}.")
NOT_CLAIMED = N_("Eskalasi ini belum diambil siapa pun.")
CLAIM_FIRST = N_("Ambil eskalasi ini dulu sebelum menjawabnya.")
ONLY_CLAIMER_ANSWERS = N_("Eskalasi ini diambil oleh {name}; hanya petugas itu yang dapat menjawabnya.")
ONLY_CLAIMER_RELEASES = N_("Eskalasi ini diambil oleh {name}; hanya petugas itu yang dapat melepasnya.")
# Amendments are part of the official report, which is kept in Indonesian; the reason is a msgid, so a screen
# may still show it translated.
LATE_ANSWER = N_("Jawaban eskalasi dari helpdesk provinsi diterima setelah laporan ditutup")
LATE_ANSWER_WHAT = "Jawaban helpdesk provinsi untuk permasalahan {position} ({topic}), oleh {name}:\n{answer}"
LATE_ANSWER_REFERENCES = "\nRujukan: {references}"

# Line and paragraph breaks and tabs are what a textarea legitimately sends; other control characters, private
# use and unassigned code points, and the bidirectional overrides that make text read differently than it is
# stored are refused.


class EscalationError(Refusal):
    """The escalation cannot be sent, claimed, released or answered; the message is for the officer."""


class EscalationStatus(enum.StrEnum):
    """Where an escalation is: waiting for the province, taken by a provincial officer, or answered."""

    OPEN = "open"
    CLAIMED = "claimed"
    ANSWERED = "answered"

    @property
    def label(self) -> str:
        """The Indonesian name of the status."""
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    EscalationStatus.OPEN: N_("Menunggu helpdesk provinsi"),
    EscalationStatus.CLAIMED: N_("Sedang ditangani helpdesk provinsi"),
    EscalationStatus.ANSWERED: N_("Sudah dijawab helpdesk provinsi"),
}


@dataclass(frozen=True)
class InboxItem:
    """An unanswered escalation as the provincial helpdesk sees it: no visitor's name or phone."""

    escalation_id: int
    consultation_id: int
    office: str
    party: str  # the party's label, or the kind of visitor when they came for no party
    topic: str
    problem: str
    note: str
    escalated_by: str
    escalated_at: datetime
    waited_minutes: int
    overdue: bool
    claimed_by: str | None
    claimed_by_id: int | None
    claimed_at: datetime | None


@dataclass(frozen=True)
class EscalationRow:
    """An escalation of one consultation as the city officer's workspace shows it."""

    escalation_id: int
    problem_id: int
    position: int
    topic: str
    note: str
    escalated_by: str
    escalated_at: datetime
    status: EscalationStatus
    claimed_by: str | None
    answer: str | None
    references: str
    answered_by: str | None
    answered_at: datetime | None
    waited_minutes: int  # until the answer, or until now while there is none
    overdue: bool


def escalate(session: Session, problem_id: int, note: str, user_id: int, now: datetime) -> Escalation:
    """Send a problem to the provincial helpdesk with a note; one unanswered escalation per problem at a time."""
    note = _clean(note, NOTE_MAX, NOTE_TOO_LONG, NOTE_HIDDEN, NOTE_REQUIRED)
    with write(session):
        user = _active_user(session, user_id)
        if user.role not in CITY_ROLES:
            raise EscalationError(NOT_CITY_STAFF)
        consultation_id = session.scalar(select(Problem.consultation_id).where(Problem.id == problem_id))
        if consultation_id is None:
            raise EscalationError(PROBLEM_NOT_FOUND)
        # Holding the consultation keeps two officers from both escalating the same problem, and a receipt from
        # being signed between the check and the commit.
        consultation = _hold(session, consultation_id)
        if _closed(consultation):
            raise EscalationError(CONSULTATION_CLOSED)
        pending = select(Escalation.id).where(Escalation.problem_id == problem_id, Escalation.answered_at.is_(None))
        if session.scalar(pending.limit(1)) is not None:
            raise EscalationError(ALREADY_ESCALATED)
        escalation = Escalation(
            problem_id=problem_id, office_id=consultation.office_id, note=note, escalated_by=user.id, escalated_at=now
        )
        session.add(escalation)
        session.flush()
        _record(session, escalation, consultation_id, user.id, now, "escalation.sent")
    return escalation


def claim(session: Session, escalation_id: int, provincial_user: User, now: datetime) -> Escalation:
    """Take an escalation to answer it; of officers pressing at once, one gets it and the others are told who."""
    with write(session):
        user, _ = _for_province(session, escalation_id, provincial_user)
        taken = _changed(
            session,
            update(Escalation)
            .where(Escalation.id == escalation_id, Escalation.claimed_by.is_(None), Escalation.answered_at.is_(None))
            .values(claimed_by=user.id, claimed_at=now),
        )
        escalation = _reload(session, escalation_id)
        if not taken:
            if escalation.answered_by is not None:
                raise EscalationError(ALREADY_ANSWERED, name=_name(session, escalation.answered_by))
            if escalation.claimed_by == user.id:
                return escalation  # pressed twice: it is already theirs
            assert escalation.claimed_by is not None
            raise EscalationError(ALREADY_CLAIMED, name=_name(session, escalation.claimed_by))
        _record(session, escalation, escalation.problem.consultation_id, user.id, now, "escalation.claimed")
    return escalation


def release(session: Session, escalation_id: int, provincial_user: User, now: datetime) -> Escalation:
    """Give a claimed escalation back to the province's inbox unanswered; only its claimer may."""
    with write(session):
        user, _ = _for_province(session, escalation_id, provincial_user)
        released = _changed(
            session,
            update(Escalation)
            .where(Escalation.id == escalation_id, Escalation.claimed_by == user.id, Escalation.answered_at.is_(None))
            .values(claimed_by=None, claimed_at=None),
        )
        escalation = _reload(session, escalation_id)
        if not released:
            _refuse_unless_claimer(session, escalation, ONLY_CLAIMER_RELEASES, NOT_CLAIMED)
        _record(session, escalation, escalation.problem.consultation_id, user.id, now, "escalation.released")
    return escalation


def answer(
    session: Session, escalation_id: int, provincial_user: User, text: str, references: str, now: datetime
) -> Escalation:
    """Answer a claimed escalation, once and only by its claimer.

    When the consultation was closed in the meantime its record also gets an amendment with the answer, so the
    report shows it.
    """
    text = _clean(text, ANSWER_MAX, ANSWER_TOO_LONG, ANSWER_HIDDEN, ANSWER_REQUIRED)
    references = _clean(references, REFERENCES_MAX, REFERENCES_TOO_LONG, REFERENCES_HIDDEN, None)
    with write(session):
        user, escalation = _for_province(session, escalation_id, provincial_user)
        # The consultation is held first, as escalate() does, so whether it is closed cannot change before commit.
        consultation = _hold(session, escalation.problem.consultation_id)
        answered = _changed(
            session,
            update(Escalation)
            .where(Escalation.id == escalation_id, Escalation.claimed_by == user.id, Escalation.answered_at.is_(None))
            .values(answer=text, references=references, answered_by=user.id, answered_at=now),
        )
        escalation = _reload(session, escalation_id)
        if not answered:
            _refuse_unless_claimer(session, escalation, ONLY_CLAIMER_ANSWERS, CLAIM_FIRST)
        amended = _closed(consultation)
        if amended:
            problem = escalation.problem
            what = LATE_ANSWER_WHAT.format(
                position=problem.position, topic=problem.topic.name_id, name=user.name, answer=text
            )
            if references:
                what += LATE_ANSWER_REFERENCES.format(references=references)
            session.add(Amendment(consultation_id=consultation.id, user_id=user.id, at=now, what=what, why=LATE_ANSWER))
        _record(session, escalation, consultation.id, user.id, now, "escalation.answered", amended=amended)
    return escalation


def inbox(session: Session, province_id: int, now: datetime, lang: str = "id") -> list[InboxItem]:
    """The province's unanswered escalations, open and claimed, oldest first; topics and parties in lang."""
    sender, claimer = aliased(User), aliased(User)
    rows = session.execute(
        select(Escalation, Office.name, Problem, Topic, Party, Visit.visitor_type, sender.name, claimer.name)
        .join(Office, Escalation.office_id == Office.id)
        .join(Problem, Escalation.problem_id == Problem.id)
        .join(Topic, Problem.topic_id == Topic.id)
        .join(Consultation, Problem.consultation_id == Consultation.id)
        .join(Visit, Consultation.visit_id == Visit.id)
        .outerjoin(Party, Visit.party_id == Party.id)
        .join(sender, Escalation.escalated_by == sender.id)
        .outerjoin(claimer, Escalation.claimed_by == claimer.id)
        .where(Office.province_id == province_id, Escalation.answered_at.is_(None))
        .order_by(Escalation.escalated_at, Escalation.id)
    ).all()
    return [
        InboxItem(
            escalation_id=escalation.id,
            consultation_id=problem.consultation_id,
            office=office,
            party=party.label(lang) if party else translate(visitor_type.label, lang),
            topic=topic.name(lang),
            problem=problem.description,
            note=escalation.note,
            escalated_by=sent_by,
            escalated_at=escalation.escalated_at,
            waited_minutes=_minutes(escalation.escalated_at, now),
            overdue=_overdue(escalation.escalated_at, now),
            claimed_by=claimed_by,
            claimed_by_id=escalation.claimed_by,
            claimed_at=escalation.claimed_at,
        )
        for escalation, office, problem, topic, party, visitor_type, sent_by, claimed_by in rows
    ]


def for_consultation(session: Session, consultation_id: int, now: datetime, lang: str = "id") -> list[EscalationRow]:
    """A consultation's escalations in the order they were sent, with their answers; topics in lang."""
    sender, claimer, answerer = aliased(User), aliased(User), aliased(User)
    rows = session.execute(
        select(Escalation, Problem.position, Topic, sender.name, claimer.name, answerer.name)
        .join(Problem, Escalation.problem_id == Problem.id)
        .join(Topic, Problem.topic_id == Topic.id)
        .join(sender, Escalation.escalated_by == sender.id)
        .outerjoin(claimer, Escalation.claimed_by == claimer.id)
        .outerjoin(answerer, Escalation.answered_by == answerer.id)
        .where(Problem.consultation_id == consultation_id)
        .order_by(Escalation.escalated_at, Escalation.id)
    ).all()
    return [
        EscalationRow(
            escalation_id=escalation.id,
            problem_id=escalation.problem_id,
            position=position,
            topic=topic.name(lang),
            note=escalation.note,
            escalated_by=sent_by,
            escalated_at=escalation.escalated_at,
            status=status_of(escalation),
            claimed_by=claimed_by,
            answer=escalation.answer,
            references=escalation.references,
            answered_by=answered_by,
            answered_at=escalation.answered_at,
            waited_minutes=_minutes(escalation.escalated_at, escalation.answered_at or now),
            overdue=_overdue(escalation.escalated_at, escalation.answered_at or now),
        )
        for escalation, position, topic, sent_by, claimed_by, answered_by in rows
    ]


def status_of(escalation: Escalation) -> EscalationStatus:
    """Where an escalation is."""
    if escalation.answered_at is not None:
        return EscalationStatus.ANSWERED
    return EscalationStatus.OPEN if escalation.claimed_by is None else EscalationStatus.CLAIMED


def _clean(text: str, limit: int, too_long: str, hidden: str, required: str | None) -> str:
    """Text as typed into a textarea, with its line breaks made plain, or a refusal."""
    if len(text) > 2 * limit:  # first, so a huge paste is not scanned character by character
        raise EscalationError(too_long)
    if hidden_characters(text, multiline=True):
        raise EscalationError(hidden)
    text = typed_text(text, multiline=True)
    if len(text) > limit:
        raise EscalationError(too_long)
    if required is not None and not text:
        raise EscalationError(required)
    return text


def _closed(consultation: Consultation) -> bool:
    return consultation.closed_at is not None or consultation.locked


def _hold(session: Session, consultation_id: int) -> Consultation:
    """The consultation, locked until commit on PostgreSQL (SQLite's write transaction already holds the database)."""
    consultation = session.scalar(
        select(Consultation)
        .where(Consultation.id == consultation_id)
        .with_for_update(key_share=True)  # FOR NO KEY UPDATE: rows pointing at it may still be added
        .execution_options(populate_existing=True)
    )
    assert consultation is not None  # a problem's consultation exists: a foreign key
    return consultation


def _active_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id, populate_existing=True)
    if user is None or not user.active:
        raise EscalationError(UNKNOWN_USER)
    return user


def _for_province(session: Session, escalation_id: int, provincial_user: User) -> tuple[User, Escalation]:
    """The acting provincial officer, read afresh, and the escalation, if it comes from an office of their province."""
    user = _active_user(session, provincial_user.id)
    if user.role != Role.PROVINCIAL:
        raise EscalationError(NOT_PROVINCIAL)
    if user.province_id is None:
        raise EscalationError(NO_PROVINCE)
    escalation = session.get(Escalation, escalation_id, populate_existing=True)
    if escalation is None:
        raise EscalationError(ESCALATION_NOT_FOUND)
    if escalation.office.province_id != user.province_id:
        raise EscalationError(OTHER_PROVINCE)
    return user, escalation


def _changed(session: Session, statement: Update) -> bool:
    """Run a conditional update of one row; whether the row still met the condition and was changed."""
    result = cast(CursorResult[Any], session.execute(statement.execution_options(synchronize_session=False)))
    return result.rowcount == 1


def _reload(session: Session, escalation_id: int) -> Escalation:
    """The escalation as committed by whoever changed it last."""
    return session.get_one(Escalation, escalation_id, populate_existing=True)


def _refuse_unless_claimer(session: Session, escalation: Escalation, others: str, unclaimed: str) -> None:
    """Why the claimer-only change did not happen, as a refusal."""
    if escalation.answered_by is not None:
        raise EscalationError(ALREADY_ANSWERED, name=_name(session, escalation.answered_by))
    if escalation.claimed_by is None:
        raise EscalationError(unclaimed)
    raise EscalationError(others, name=_name(session, escalation.claimed_by))


def _name(session: Session, user_id: int) -> str:
    return session.scalar(select(User.name).where(User.id == user_id)) or ""


def _minutes(since: datetime, until: datetime) -> int:
    return max(0, int((until - since).total_seconds() // 60))


def _overdue(since: datetime, until: datetime) -> bool:
    return until - since > timedelta(minutes=OVERDUE_MINUTES)


def _record(
    session: Session,
    escalation: Escalation,
    consultation_id: int,
    user_id: int,
    now: datetime,
    action: str,
    **more: Any,
) -> None:
    """Audit the change and queue its event, which is published only if the transaction commits."""
    data = {
        "escalation_id": escalation.id,
        "consultation_id": consultation_id,
        "office_id": escalation.office_id,
        "province_id": escalation.office.province_id,
        **more,
    }
    detail = json.dumps({"escalation_id": escalation.id, "problem_id": escalation.problem_id, **more})
    session.add(AuditEntry(consultation_id=consultation_id, user_id=user_id, at=now, action=action, detail=detail))
    queue_event(session, Event(action, data))
