"""The satisfaction survey on a real database: once per visit, anonymous, and the IKM with its grade."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, sessionmaker

from shared.consultation import survey
from shared.consultation.models import Consultation, SurveyResponse
from shared.consultation.survey import SurveyError, ikm
from tests.conftest import NOW, make_user
from tests.factories import signed_visit

WITA = ZoneInfo("Asia/Makassar")


def signed_consultation(session: Session) -> Consultation:
    return signed_visit(session, make_user(session))  # type: ignore[no-any-return]


def test_a_visit_is_rated_once_and_the_answer_does_not_say_whose_it_is(session: Session) -> None:
    consultation = signed_consultation(session)
    survey.submit(session, consultation.id, [4, 4, 3, 4, 3, 4, 4, 3, 4], NOW, WITA)
    with pytest.raises(SurveyError, match="sudah diisi"):
        survey.submit(session, consultation.id, [1] * 9, NOW, WITA)
    response = session.scalars(select(SurveyResponse)).one()
    assert (response.scores, response.service_day) == ("443434434", date(2026, 11, 28))
    columns = {column.key for column in inspect(SurveyResponse).columns}
    assert columns == {"id", "office_id", "topic_id", "service_day", "scores"}  # nothing that leads to the visitor


@pytest.mark.parametrize("scores", [[4] * 8, [4] * 10, [0, 4, 4, 4, 4, 4, 4, 4, 4], [5] * 9, [-1] * 9])
def test_incomplete_or_out_of_range_answers_are_refused(session: Session, scores: list[int]) -> None:
    consultation = signed_consultation(session)
    with pytest.raises(SurveyError, match="Beri nilai 1 sampai 4"):
        survey.submit(session, consultation.id, scores, NOW, WITA)
    assert session.scalars(select(SurveyResponse)).all() == []


def test_the_survey_waits_for_the_signed_receipt(session: Session) -> None:
    consultation = signed_consultation(session)
    consultation.receipt_signed_at = None
    session.commit()
    with pytest.raises(SurveyError, match="setelah tanda terima"):
        survey.submit(session, consultation.id, [4] * 9, NOW, WITA)


def test_two_submissions_at_once_record_one(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        consultation_id = signed_consultation(session).id
    outcomes: list[str] = []
    start = threading.Barrier(6)

    def visitor() -> None:
        with sessions() as session:
            start.wait()
            try:
                survey.submit(session, consultation_id, [3] * 9, NOW, WITA)
                outcomes.append("saved")
            except SurveyError:
                outcomes.append("refused")

    threads = [threading.Thread(target=visitor) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 5 + ["saved"]
    with sessions() as session:
        assert len(session.scalars(select(SurveyResponse)).all()) == 1


@pytest.mark.parametrize(
    ("responses", "value", "grade"),
    [
        ([[4] * 9], 100.0, "A"),
        ([[3] * 9], 75.0, "C"),
        ([[4] * 9, [3] * 9], 87.5, "B"),
        ([[1] * 9], 25.0, "D"),
        ([[4, 4, 4, 4, 4, 4, 4, 3, 3]], 94.44, "A"),
    ],
)
def test_the_index_is_the_mean_score_times_25_with_its_grade(responses: Any, value: float, grade: str) -> None:
    result = ikm(responses)
    assert result is not None and (result.value, result.grade, result.responses) == (value, grade, len(responses))
    assert ikm([]) is None


def test_the_offices_index_over_a_period(session: Session) -> None:
    consultation = signed_consultation(session)
    survey.submit(session, consultation.id, [4] * 9, NOW, WITA)
    result = survey.index(session, consultation.office_id, date(2026, 11, 1), date(2026, 11, 30))
    assert result is not None and (result.value, result.grade) == (100.0, "A")
    assert survey.index(session, consultation.office_id, date(2026, 12, 1), date(2026, 12, 31)) is None
