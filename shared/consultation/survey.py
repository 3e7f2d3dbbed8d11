"""The satisfaction survey (Survei Kepuasan Masyarakat, PermenPANRB 14/2017): nine elements scored 1 to 4."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shared.consultation.models import Consultation, SurveyResponse
from shared.db import write
from shared.i18n import N_, Refusal
from shared.models import Visit

ELEMENTS = (
    N_("Persyaratan"),
    N_("Sistem, mekanisme dan prosedur"),
    N_("Waktu penyelesaian"),
    N_("Biaya/tarif"),
    N_("Produk spesifikasi jenis pelayanan"),
    N_("Kompetensi pelaksana"),
    N_("Perilaku pelaksana"),
    N_("Penanganan pengaduan, saran dan masukan"),
    N_("Sarana dan prasarana"),
)
SCORES = (1, 2, 3, 4)
SCORE_LABELS = (N_("Tidak baik"), N_("Kurang baik"), N_("Baik"), N_("Sangat baik"))
# (lowest IKM of the grade, grade, its name), as commonly published with PermenPANRB 14/2017.
GRADES = (
    (88.31, "A", N_("Sangat Baik")),
    (76.61, "B", N_("Baik")),
    (65.00, "C", N_("Kurang Baik")),
    (25.00, "D", N_("Tidak Baik")),
)


class SurveyError(Refusal):
    """The survey cannot be taken; the message is for the visitor."""


@dataclass(frozen=True)
class Index:
    """The IKM (average score x 25) over some responses, its grade, and how many responses it rests on."""

    value: float
    grade: str
    name: str
    responses: int


def submit(session: Session, consultation_id: int, scores: Sequence[int], now: datetime, zone: ZoneInfo) -> None:
    """Record one visit's answers, once; the response keeps only the day, the office and the topic."""
    if len(scores) != len(ELEMENTS) or any(score not in SCORES for score in scores):
        raise SurveyError("Beri nilai 1 sampai 4 untuk setiap unsur.")
    with write(session):
        consultation = session.get(Consultation, consultation_id)
        if consultation is None or not consultation.locked:
            raise SurveyError("Survei dapat diisi setelah tanda terima ditandatangani.")
        # One conditional update: of two submissions at once only one finds the survey still open.
        taken = session.execute(
            update(Consultation)
            .where(Consultation.id == consultation_id, Consultation.surveyed.is_(False))
            .values(surveyed=True)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            raise SurveyError("Survei untuk kunjungan ini sudah diisi. Terima kasih.")
        topic_id = session.scalar(select(Visit.topic_id).where(Visit.id == consultation.visit_id))
        assert topic_id is not None
        session.add(
            SurveyResponse(
                office_id=consultation.office_id,
                topic_id=topic_id,
                service_day=now.astimezone(zone).date(),
                scores="".join(str(score) for score in scores),
            )
        )


def index(session: Session, office_id: int, first: date, last: date) -> Index | None:
    """The office's IKM over the days from first to last, or None without responses."""
    rows = session.scalars(
        select(SurveyResponse.scores).where(
            SurveyResponse.office_id == office_id, SurveyResponse.service_day.between(first, last)
        )
    ).all()
    return ikm([[int(digit) for digit in row] for row in rows])


def ikm(responses: Sequence[Sequence[int]]) -> Index | None:
    """IKM = the mean of every element's mean score x 25 (the elements weigh the same), with its grade."""
    if not responses:
        return None
    means = [sum(answer[element] for answer in responses) / len(responses) for element in range(len(ELEMENTS))]
    value = round(sum(means) / len(means) * 25, 2)
    _, grade, name = next((entry for entry in GRADES if value >= entry[0]), GRADES[-1])
    return Index(value, grade, name, len(responses))
