"""The public page behind a receipt's QR code: proof that the report is genuine, its PDF, and the survey."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from shared.consultation import escalations, receipt, report, survey
from shared.consultation.models import Consultation
from shared.dates import clock_time, long_date
from shared.i18n import LANGUAGES, N_, Refusal
from shared.web import accepts_uploads, db, language, runtime, use_language, wants_fragment

bp = Blueprint("receipt", __name__, template_folder="templates")

DIGEST_GROUP = 8  # hex digits per group, few enough for a person to compare at a glance
SURVEY_BODY_LIMIT = 8 * 1024  # nine answers take about a hundred bytes
SCORES = {str(score): score for score in survey.SCORES}
TOO_LARGE = N_("Jawaban yang dikirim terlalu besar. Silakan pilih jawaban Anda lagi.")


@dataclass(frozen=True)
class Proof:
    """What the receipt's page shows of a signed report: enough to check it, nothing that identifies the visitor."""

    number: str
    office: str
    signed_on: str  # "Sabtu, 28 November 2026, 14.05 WITA"
    problems: int
    digest: tuple[str, ...]  # the SHA-256 in groups of DIGEST_GROUP
    visitor: str  # the masked name
    download_until: str
    downloadable: bool
    surveyed: bool
    late_answers: tuple[LateAnswer, ...] = ()


@dataclass(frozen=True)
class LateAnswer:
    """A provincial answer that arrived after the visitor left: it reaches them here (and in the report)."""

    topic: str
    answer: str
    references: str
    answered_on: str


def proof(
    consultation: Consultation,
    now: datetime,
    zone: ZoneInfo,
    lang: str,
    days: int,
    answered: Sequence[escalations.EscalationRow] = (),
) -> Proof:
    """The page's view of a signed consultation at `now`; the report may be downloaded for `days` after signing.

    Escalations answered after the signature are shown: the visitor left before the province's answer came.
    """
    signed_at = consultation.receipt_signed_at
    assert signed_at is not None
    late = tuple(
        LateAnswer(row.topic, row.answer or "", row.references, moment(row.answered_at, zone, lang))
        for row in answered
        if row.answered_at is not None and row.answered_at > signed_at
    )
    until = signed_at + timedelta(days=days)
    digest = consultation.digest or ""
    return Proof(
        number=consultation.report_number or "",
        office=consultation.office.name,
        signed_on=moment(signed_at, zone, lang),
        problems=len(consultation.problems),
        digest=tuple(digest[start : start + DIGEST_GROUP] for start in range(0, len(digest), DIGEST_GROUP)),
        visitor=consultation.visit.masked_name,
        download_until=moment(until, zone, lang),
        downloadable=now < until,
        surveyed=consultation.surveyed,
        late_answers=late,
    )


def moment(at: datetime, zone: ZoneInfo, lang: str) -> str:
    """'Sabtu, 28 November 2026, 14.05 WITA' in the office's zone."""
    return f"{long_date(at, zone, lang)}, {clock_time(at, zone, lang)}"


def signed(token: str) -> Consultation | None:
    """The signed consultation behind a receipt's token, the request then served in the visitor's language.

    The language is the visit's unless the address asks for the other one (?lang=en): the visitor's own choice,
    never a staff session's.
    """
    consultation = receipt.by_token(db(), token)
    if consultation is None or not consultation.locked:
        return None
    asked = request.args.get("lang", "")
    use_language(asked if asked in LANGUAGES else consultation.visit.language)
    return consultation


def page_proof(consultation: Consultation) -> Proof:
    """The proof as of now, in the request's language."""
    now, zone = runtime().now(), runtime().queue.timezone
    answered = escalations.for_consultation(db(), consultation.id, now, language())
    return proof(consultation, now, zone, language(), current_app.config["REPORT_DOWNLOAD_DAYS"], answered)


@bp.after_request
def not_for_search_engines(response: Response) -> Response:
    """Keep search engines away from the page and the PDF, which has no <meta> to say so, should a link leak."""
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.context_processor
def survey_text() -> dict[str, object]:
    """The survey's elements and score names, translated where the templates show them."""
    return {"survey_elements": survey.ELEMENTS, "score_labels": survey.SCORE_LABELS}


@bp.get("/r/<token>")
def page(token: str) -> str:
    """The receipt's proof, the report's download and the survey."""
    consultation = signed(token) or abort(404)
    return render_template("receipt/page.html", proof=page_proof(consultation), token=token, answers=())


@bp.get("/r/<token>/laporan.pdf")
def report_pdf(token: str) -> Response | tuple[str, int]:
    """The visitor's own report as a PDF download, during the download period only."""
    consultation = signed(token) or abort(404)
    shown = page_proof(consultation)
    if not shown.downloadable:
        return render_template("receipt/ended.html", proof=shown, token=token), 410
    data = report.build_report(db(), consultation.id, language(), runtime().queue.timezone)
    pdf = report.render_pdf(data, Path(current_app.instance_path) / "photos", language())
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{file_name(shown.number)}.pdf"',
            "Cache-Control": "no-store",
        },
    )


def file_name(number: str) -> str:
    """A report number as a file name: '001/HD-KPU-KPG/XI/2026' becomes '001-HD-KPU-KPG-XI-2026'."""
    return re.sub(r"[^A-Za-z0-9.]+", "-", number).strip("-.") or "laporan"


@bp.post("/r/<token>/survey")
@accepts_uploads(SURVEY_BODY_LIMIT)
def submit_survey(token: str) -> tuple[str, int]:
    """Record the visitor's nine scores once; a refusal says why and keeps the answers that were valid."""
    consultation = signed(token) or abort(404)
    answers = [answer(f"q{number}") for number in range(1, len(survey.ELEMENTS) + 1)]
    try:
        # A missing or unreadable answer goes to the service as 0, which it refuses with the visitor's message.
        survey.submit(db(), consultation.id, [a or 0 for a in answers], runtime().now(), runtime().queue.timezone)
    except survey.SurveyError as error:
        # Taken before (another tab, a second tap): the page thanks the visitor and says nothing new was kept.
        return survey_answer(consultation, token, answers, error, 409 if consultation.surveyed else 422)
    return survey_answer(consultation, token, answers, None, 200)


def answer(name: str) -> int | None:
    """One element's score from the form: exactly one value, '1' to '4'."""
    values = request.form.getlist(name)
    return SCORES.get(values[0]) if len(values) == 1 else None


def survey_answer(
    consultation: Consultation, token: str, answers: Sequence[int | None], refusal: Refusal | None, status: int
) -> tuple[str, int]:
    """The survey after a post: the section for htmx to swap in, or the whole page for a plain form post."""
    context = {
        "proof": page_proof(consultation),
        "token": token,
        "answers": answers,
        "refusal": refusal.text(language()) if refusal else "",
        "answered": True,  # the outcome of the post takes the focus
    }
    if wants_fragment():
        # htmx 2 swaps only 2xx answers, and this page runs no script that could change it: a refusal comes as
        # 200 so its message replaces the form in place.
        return render_template("receipt/_survey.html", **context), 200
    return render_template("receipt/page.html", **context), status


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error: RequestEntityTooLarge) -> tuple[str, int]:
    """A survey post far bigger than nine answers: refused on the page, in the visitor's language."""
    token = str((request.view_args or {}).get("token", ""))
    consultation = signed(token)
    if consultation is None:  # an error handler that aborts would end in a 500
        return render_template("kiosk/not_found.html"), 404
    return survey_answer(consultation, token, (), Refusal(TOO_LARGE), 413)
