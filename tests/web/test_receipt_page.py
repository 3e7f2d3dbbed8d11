"""The page behind a receipt's QR code: the report's proof, its PDF for a while, and the survey taken once."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy import func, select

from shared.consultation import escalations, receipt, workspace
from shared.consultation.models import Consultation, SurveyResponse
from tests.conftest import NOW, make_user, signature_png
from tests.factories import REPORT_NUMBER, SETTINGS, served, signed_visit

NUMBER = "001/HD-KPU-KPG/XI/2026"
PROBLEM = "Akun SIPOL terkunci setelah lupa kata sandi"
HX = {"HX-Request": "true"}
ALL_FOUR = {f"q{number}": "4" for number in range(1, 10)}
FUZZ = settings(
    max_examples=100,
    deadline=None,
    database=None,
    # The app and its database are built once per test: every example checks that nothing was saved.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass
class Signed:
    token: str
    consultation_id: int
    digest: str


def sign_consultation(app: Any, lang: str = "id", problems: int = 1) -> Signed:
    """A visitor served at Meja 2 whose problems were recorded and who signed the receipt at NOW."""
    with app.extensions["helpdesk"].sessions() as session:
        officer = make_user(session, f"petugas-{lang}-{problems}")
        consultation = signed_visit(session, officer, (PROBLEM,) * problems, lang=lang)
        assert consultation.receipt_token and consultation.digest
        return Signed(consultation.receipt_token, consultation.id, consultation.digest)


@pytest.fixture
def signed(app: Any) -> Signed:
    return sign_consultation(app)


def responses(app: Any) -> list[str]:
    with app.extensions["helpdesk"].sessions() as session:
        return list(session.scalars(select(SurveyResponse.scores)))


def surveyed(app: Any, consultation_id: int) -> bool:
    with app.extensions["helpdesk"].sessions() as session:
        return session.get_one(Consultation, consultation_id).surveyed


def set_clock(app: Any, days: float) -> None:
    app.extensions["helpdesk"].clock = lambda: NOW + timedelta(days=days)


def test_the_page_proves_the_report_without_showing_who_came_or_what_they_asked(client: Any, signed: Signed) -> None:
    response = client.get(f"/r/{signed.token}")
    assert response.status_code == 200
    page = response.text
    assert NUMBER in page and "KPU Kota Kupang" in page and "1 masalah" in page
    assert "Sabtu, 28 November 2026, 14.05 WITA" in page  # signed at NOW, in the office's time
    assert "M*** L*** N***" in page
    groups = [signed.digest[start : start + 8] for start in range(0, 64, 8)]
    assert re.search(r"\s*".join(f"<span>{group}</span>" for group in groups), page)
    for secret in ("Maria", "Lodia", "Nenobais", "0812", "81234567890", PROBLEM, "data:image", "Petugas petugas"):
        assert secret not in page, secret
    assert '<meta name="robots" content="noindex">' in page and response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_the_problem_count_follows_the_record(app: Any, client: Any) -> None:
    signed = sign_consultation(app, "en", problems=3)
    assert "3 problems" in client.get(f"/r/{signed.token}").text


def test_the_page_speaks_the_visitors_language_and_switches_on_request(app: Any, client: Any) -> None:
    english = sign_consultation(app, "en")
    page = client.get(f"/r/{english.token}").text
    assert '<html lang="en">' in page
    assert "Report number" in page and "Saturday, 28 November 2026, 14.05 WITA" in page and "1 problem" in page
    assert "Requirements" in page and "Very good" in page and "Nomor laporan" not in page
    indonesian = client.get(f"/r/{english.token}?lang=id").text
    assert "Nomor laporan" in indonesian and "Persyaratan" in indonesian
    assert client.get(f"/r/{english.token}?lang=xx").text.count("Report number") == 1  # unknown: the visit's own
    # The language chosen is kept by the survey's address, so the answer comes back in it too.
    assert f'action="/r/{english.token}/survey?lang=id"' in indonesian


def test_a_staff_language_choice_does_not_change_the_visitors_page(client: Any, signed: Signed) -> None:
    with client.session_transaction() as cookie:
        cookie["lang"] = "en"
    assert "Nomor laporan" in client.get(f"/r/{signed.token}").text


@pytest.mark.parametrize(
    "token",
    ["tidak-ada", "a" * 64, "a" * 65, "x" * 10_000, "%00", "%0A", "abc%20def", "%3Cscript%3E", "..", "%C3%A9t%C3%A9"],
)
def test_unknown_garbled_or_overlong_tokens_get_the_plain_not_found_page(
    client: Any, signed: Signed, token: str
) -> None:
    for path in (f"/r/{token}", f"/r/{token}/laporan.pdf"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Halaman tidak ditemukan" in response.text
    response = client.post(f"/r/{token}/survey", data=ALL_FOUR)
    assert response.status_code == 404
    assert responses(client.application) == []


def test_a_receipt_token_of_another_case_is_not_the_receipt(client: Any, signed: Signed) -> None:
    other = signed.token.swapcase()
    assert other != signed.token
    assert client.get(f"/r/{other}").status_code == 404


def test_the_report_is_downloaded_as_a_pdf_during_the_download_period(app: Any, client: Any, signed: Signed) -> None:
    set_clock(app, 29.9)
    page = client.get(f"/r/{signed.token}").text
    assert f'href="/r/{signed.token}/laporan.pdf?lang=id"' in page
    assert "Tersedia sampai Senin, 28 Desember 2026, 14.05 WITA." in page
    response = client.get(f"/r/{signed.token}/laporan.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="001-HD-KPU-KPG-XI-2026.pdf"'
    assert response.headers["Cache-Control"] == "no-store" and response.headers["X-Robots-Tag"] == "noindex, nofollow"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert NUMBER in text and "Maria Lodia Nenobais" in text  # the visitor's own copy names them


def test_the_pdf_follows_the_visitors_language(app: Any, client: Any) -> None:
    english = sign_consultation(app, "en")
    response = client.get(f"/r/{english.token}/laporan.pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "HELPDESK REPORT" in text.upper() and NUMBER in text


def test_after_the_download_period_only_the_proof_remains(app: Any, client: Any, signed: Signed) -> None:
    set_clock(app, 30)
    page = client.get(f"/r/{signed.token}").text
    assert "laporan.pdf" not in page
    assert "Masa unduh laporan sudah berakhir pada Senin, 28 Desember 2026, 14.05 WITA." in page
    assert NUMBER in page and signed.digest[:8] in page  # the proof still stands
    response = client.get(f"/r/{signed.token}/laporan.pdf")
    assert response.status_code == 410
    assert response.mimetype == "text/html"
    assert "Masa unduh laporan sudah berakhir" in response.text and NUMBER in response.text
    assert f'href="/r/{signed.token}?lang=id"' in response.text


def test_the_download_period_is_a_setting(app: Any, client: Any, signed: Signed) -> None:
    app.config["REPORT_DOWNLOAD_DAYS"] = 7
    set_clock(app, 8)
    assert client.get(f"/r/{signed.token}/laporan.pdf").status_code == 410
    app.config["REPORT_DOWNLOAD_DAYS"] = 0  # no download at all: the page is proof only
    set_clock(app, 0)
    assert client.get(f"/r/{signed.token}/laporan.pdf").status_code == 410


def test_an_ended_download_is_explained_in_english_too(app: Any, client: Any) -> None:
    english = sign_consultation(app, "en")
    set_clock(app, 45)
    response = client.get(f"/r/{english.token}/laporan.pdf")
    assert response.status_code == 410 and "The download period for this report has ended" in response.text


def test_the_survey_is_taken_once(app: Any, client: Any, signed: Signed) -> None:
    scores = {f"q{number}": str(score) for number, score in zip(range(1, 10), [4, 4, 3, 4, 3, 4, 4, 3, 4], strict=True)}
    response = client.post(f"/r/{signed.token}/survey", data=scores)
    assert response.status_code == 200
    assert "Terima kasih atas penilaian Anda" in response.text and "<form" not in response.text
    assert NUMBER in response.text  # the whole page again, for a browser without JavaScript
    assert responses(app) == ["443434434"]

    again = client.post(f"/r/{signed.token}/survey", data={**scores, "q1": "1"})
    assert again.status_code == 409
    assert "sudah tercatat sebelumnya" in again.text and "Terima kasih atas penilaian Anda" in again.text
    assert responses(app) == ["443434434"]
    later = client.get(f"/r/{signed.token}").text
    assert "Terima kasih atas penilaian Anda" in later and "<form" not in later


def test_htmx_gets_the_survey_section_alone(app: Any, client: Any, signed: Signed) -> None:
    page = client.get(f"/r/{signed.token}").text
    assert f'hx-post="/r/{signed.token}/survey?lang=id"' in page and 'hx-target="#survey"' in page
    refused = client.post(f"/r/{signed.token}/survey", data={**ALL_FOUR, "q5": "5"}, headers=HX)
    # Swapped in place: htmx swaps only 2xx answers, and the message must reach the visitor.
    assert refused.status_code == 200
    assert refused.text.lstrip().startswith('<section id="survey"') and "<html" not in refused.text
    assert "Beri nilai 1 sampai 4 untuk setiap unsur." in refused.text
    assert refused.text.count("checked") == 8 and refused.text.count("Belum dijawab") == 1  # the rest kept
    done = client.post(f"/r/{signed.token}/survey", data=ALL_FOUR, headers=HX)
    assert done.status_code == 200 and done.text.lstrip().startswith('<section id="survey"')
    assert "Terima kasih atas penilaian Anda" in done.text and "autofocus" in done.text
    assert responses(app) == ["444444444"]


def test_an_english_refusal_is_in_english(app: Any, client: Any) -> None:
    english = sign_consultation(app, "en")
    response = client.post(f"/r/{english.token}/survey", data={"q1": "4"})
    assert response.status_code == 422
    assert "Give every element a score from 1 to 4." in response.text and response.text.count("Not answered") == 8


HOSTILE = ["", "0", "5", "-1", "1e9", "4.0", " 4", "4 ", "٤", "４", "1\x00", "\x07", "4\n", "³", "x" * 500, "1,2"]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_answer_is_refused_and_nothing_is_saved(app: Any, client: Any, signed: Signed, value: str) -> None:
    response = client.post(f"/r/{signed.token}/survey", data={**ALL_FOUR, "q9": value})
    assert response.status_code == 422, value
    assert "Beri nilai 1 sampai 4 untuk setiap unsur." in response.text
    assert responses(app) == [] and not surveyed(app, signed.consultation_id)


def test_an_answer_sent_twice_is_refused(app: Any, client: Any, signed: Signed) -> None:
    response = client.post(f"/r/{signed.token}/survey", data={**ALL_FOUR, "q3": ["4", "1"]})
    assert response.status_code == 422 and responses(app) == []


@FUZZ
@given(
    form=st.dictionaries(
        st.sampled_from([f"q{number}" for number in range(0, 12)] + ["lang", "scores", "q01"]),
        st.one_of(st.sampled_from(["1", "2", "3", "4", *HOSTILE]), st.text(max_size=20)),
        max_size=12,
    )
)
def test_random_posts_save_only_nine_valid_answers(app: Any, signed: Signed, form: dict[str, str]) -> None:
    client = app.test_client()
    response = client.post(f"/r/{signed.token}/survey", data=form)
    complete = all(form.get(f"q{number}") in ("1", "2", "3", "4") for number in range(1, 10))
    assert response.status_code < 500
    if complete:
        assert response.status_code in (200, 409)
        assert len(responses(app)) == 1
    else:
        assert response.status_code in (409, 422)
        assert len(responses(app)) <= 1  # an earlier example may have taken the survey


@pytest.mark.parametrize("size", [9_000, 3 * 1024 * 1024])
def test_a_huge_post_is_refused_in_the_visitors_language(app: Any, client: Any, size: int) -> None:
    english = sign_consultation(app, "en")
    response = client.post(f"/r/{english.token}/survey", data={**ALL_FOUR, "padding": "x" * size})
    assert response.status_code == 413
    assert "What was sent is too large. Please choose your answers again." in response.text
    assert "Report number" in response.text
    assert responses(app) == [] and not surveyed(app, english.consultation_id)


def test_the_survey_needs_no_staff_form_token(app: Any, signed: Signed) -> None:
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["csrf"] = "a-staff-token"  # a staff browser: its token is not asked of the public page
    assert client.post(f"/r/{signed.token}/survey", data=ALL_FOUR).status_code == 200
    with app.extensions["helpdesk"].sessions() as session:
        assert session.scalar(select(func.count()).select_from(SurveyResponse)) == 1


def test_an_answer_from_the_province_after_the_visitor_left_reaches_them_on_this_page(app: Any, client: Any) -> None:
    with app.extensions["helpdesk"].sessions() as session:
        officer = make_user(session, "petugas-susulan")
        provincial = make_user(session, "provinsi", role="provincial")
        consultation = served(session, officer.id)
        problem = workspace.add_problem(session, consultation.id, 1, "Status TMS", officer, NOW)
        escalation = escalations.escalate(session, problem.id, "Mohon jawaban", officer.id, NOW)
        signed = receipt.sign(session, consultation.id, signature_png(), officer, NOW, SETTINGS, REPORT_NUMBER)
        token = signed.receipt_token
        before = client.get(f"/r/{token}").text
        escalations.claim(session, escalation.id, provincial, NOW + timedelta(minutes=20))
        escalations.answer(
            session, escalation.id, provincial, "Ajukan perbaikan ulang.", "PKPU 4/2022", NOW + timedelta(minutes=25)
        )
    assert "Jawaban susulan" not in before
    page = client.get(f"/r/{token}").text
    assert "Jawaban susulan dari helpdesk provinsi" in page and "Ajukan perbaikan ulang." in page
