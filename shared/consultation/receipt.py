"""SOP step 6's end: the visitor signs for the report, the record locks, and a receipt prints with its QR code."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.consultation import report, sop, workspace
from shared.consultation.models import AuditEntry, Consultation
from shared.db import queue_event, write
from shared.events import Event
from shared.i18n import Refusal
from shared.models import PrintJob, User
from shared.settings import QueueSettings
from shared.text import is_token

SUMMARY_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")  # "PKPU No. 4" is not two sentences


class ReceiptError(Refusal):
    """The receipt cannot be signed; the message is for the officer."""


def sign(
    session: Session,
    consultation_id: int,
    signature_png: bytes,
    user: User,
    now: datetime,
    settings: QueueSettings,
    number_pattern: str,
) -> Consultation:
    """Number the report, lock the record with its digest and the visitor's signature, and queue the receipt."""
    consultation = session.get(Consultation, consultation_id)
    if consultation is None:
        raise ReceiptError("Konsultasi tidak ditemukan.")
    _check(consultation, user)
    if not consultation.problems:
        raise ReceiptError("Catat minimal satu masalah sebelum tanda terima.")
    report.assign_number(
        session, consultation_id, number_pattern, consultation.office.report_code, now, settings.timezone
    )
    with write(session):  # the signature ends step 6: its time up to now belongs in the signed report
        workspace.pause(session, consultation.visit_id, now)
    content = report.digest(report.build_report(session, consultation_id, "id", settings.timezone))
    with write(session):
        consultation = session.get_one(Consultation, consultation_id, with_for_update=True)
        _check(consultation, user)  # again under the lock: two screens may sign at once
        consultation.receipt_signature, consultation.receipt_signed_at = signature_png, now
        consultation.receipt_token, consultation.digest = secrets.token_urlsafe(24), content
        consultation.step = sop.LAST
        session.add(
            AuditEntry(consultation_id=consultation.id, user_id=user.id, at=now, action="receipt.signed", detail="")
        )
        job = PrintJob(
            kind="receipt",
            visit_id=consultation.visit_id,
            payload=payload(consultation, settings, now),
            created_at=now,
            next_attempt_at=now,
        )
        session.add(job)
        session.flush()
        queue_event(session, Event("print.queued", {"job_id": job.id, "visit_id": consultation.visit_id}))
        queue_event(session, Event("consultation.changed", {"consultation_id": consultation.id}))
    return consultation


def payload(consultation: Consultation, settings: QueueSettings, now: datetime) -> dict[str, object]:
    """What the receipt prints: no phone number, no signature, the visitor's name masked, in their language."""
    visit, lang = consultation.visit, consultation.visit.language
    return {
        "office": consultation.office.name,
        "number": consultation.report_number,
        "signed_at": now.isoformat(),
        "timezone": settings.timezone.key,
        "language": lang,
        "visitor": visit.masked_name,
        "party": visit.party.label(lang) if visit.party else None,
        "problems": [
            {"topic": problem.topic.name(lang), "answer": summary(problem.answer)} for problem in consultation.problems
        ],
        "officer": consultation.officer.name,
        "url": settings.receipt_url(consultation.receipt_token or ""),
    }


def summary(answer: str) -> str:
    """An answer's first sentence or line: the receipt lists answers, the report holds them."""
    first_line = answer.strip().split("\n", 1)[0]
    return SUMMARY_SENTENCE.split(first_line, 1)[0].strip()


def by_token(session: Session, token: str) -> Consultation | None:
    """The signed consultation behind a receipt's QR code."""
    if not is_token(token):
        return None
    return session.scalar(select(Consultation).where(Consultation.receipt_token == token))


def _check(consultation: Consultation, user: User) -> None:
    if not workspace.may_edit(consultation, user):
        raise ReceiptError("Konsultasi ini ditangani petugas lain.")
    if consultation.locked:
        raise ReceiptError("Tanda terima sudah ditandatangani.")
