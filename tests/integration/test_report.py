"""The Laporan Helpdesk on a real database: its numbers under concurrency, its digest, and the PDF a visitor gets."""

from __future__ import annotations

import io
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shared.consultation import report
from shared.consultation.report import assign_number, build_report, digest, render_pdf, roman_month
from shared.models import (
    Amendment,
    Consultation,
    Escalation,
    FaqEntry,
    FaqStatus,
    Office,
    Photo,
    Problem,
    ProblemReference,
    Regulation,
    StepSpan,
    Visit,
)
from tests.conftest import NOW, make_user
from tests.factories import checkin

ZONE = ZoneInfo("Asia/Makassar")
PATTERN = "{seq:03d}/HD-KPU-{code}/{month}/{year}"
ESCALATION_ANSWER = "Anggota yang sama tercatat di dua partai: keduanya diklarifikasi secara faktual (BMS)."
AMENDMENT = "Nama pengunjung dibetulkan dari Maria Lodia menjadi Maria Lodia Nenobais"


def new_consultation(session: Session, officer_id: int, now: datetime = NOW, **form: str) -> Consultation:
    """A visitor checked in at the kiosk and taken to the desk."""
    ticket = checkin(session, now, **form)
    visit = session.get(Visit, ticket.visit_id)
    assert visit is not None
    consultation = Consultation(
        visit_id=visit.id, office_id=visit.office_id, officer_id=officer_id, step=2, started_at=now
    )
    session.add(consultation)
    session.commit()
    return consultation


def number(session: Session, consultation: Consultation, now: datetime = NOW, pattern: str = PATTERN) -> str:
    """The consultation's report number at Kota Kupang (code KPG)."""
    return assign_number(session, consultation.id, pattern, "KPG", now, ZONE)


def photo_file(folder: Path, name: str, size: tuple[int, int] = (800, 600), colour: str = "steelblue") -> Path:
    """A JPEG that looks like a desk photo: a wall, a table and two people."""
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.rectangle((0, h * 0.65, w, h), fill="saddlebrown")
    for x in (0.3, 0.65):
        draw.ellipse((w * x, h * 0.2, w * (x + 0.1), h * 0.35), fill="bisque")
        draw.rectangle((w * (x - 0.03), h * 0.35, w * (x + 0.13), h * 0.7), fill="navy")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    image.save(path, format="JPEG", quality=85)
    return path


def full_consultation(session: Session, photo_dir: Path, problems: int = 3, photos: int = 2) -> Consultation:
    """A consultation with every part the report shows: steps, problems with references, an answered
    escalation, photos and an amendment."""
    officer = make_user(session, "petugas1", name="Yohanes Bria")
    provincial = make_user(session, "provinsi1", role="provincial", name="Agustina Tefa")
    consultation = new_consultation(session, officer.id)
    rule = session.scalar(select(Regulation).where(Regulation.short_name == "PKPU 4/2022"))
    faq = FaqEntry(
        question="Bagaimana memperbaiki NIK yang ditolak SIPOL?",
        answer="Cocokkan dengan KTP elektronik.",
        status=FaqStatus.APPROVED,
        created_at=NOW,
    )
    session.add(faq)
    session.flush()
    for position in range(1, problems + 1):
        problem = Problem(
            consultation_id=consultation.id,
            position=position,
            topic_id=(position - 1) % 9 + 1,
            description=f"Uraian permasalahan nomor {position}: data anggota tidak dapat diunggah ke SIPOL.",
            answer=f"Jawaban nomor {position}: unggah ulang berkas KTA dalam format PDF.",
            updated_at=NOW,
        )
        problem.references = [ProblemReference(regulation_id=rule.id, article=f"Pasal {position + 6}")]
        if position == 1:
            problem.references.append(ProblemReference(faq_id=faq.id))
        session.add(problem)
    session.flush()
    second = session.scalar(
        select(Problem).where(Problem.consultation_id == consultation.id, Problem.position == min(problems, 2))
    )
    session.add(
        Escalation(
            problem_id=second.id,
            office_id=consultation.office_id,
            note="Keanggotaan ganda lintas partai.",
            escalated_by=officer.id,
            escalated_at=NOW + timedelta(minutes=20),
            answer=ESCALATION_ANSWER,
            references="PKPU 4/2022 Pasal 36",
            answered_by=provincial.id,
            answered_at=NOW + timedelta(minutes=31),
        )
    )
    start = NOW
    for step, minutes in ((2, 8), (3, 41), (4, 12), (5, 6), (3, 4)):  # step 3 twice: its spans add up
        end = start + timedelta(minutes=minutes)
        session.add(StepSpan(consultation_id=consultation.id, step=step, started_at=start, ended_at=end))
        start = end
    for n in range(photos):
        path = photo_file(photo_dir, f"foto-{n}.jpg", colour=("steelblue", "seagreen", "khaki", "slategray")[n % 4])
        session.add(
            Photo(
                consultation_id=consultation.id,
                file_name=path.name,
                media_type="image/jpeg",
                width=800,
                height=600,
                size=path.stat().st_size,
                caption=f"Foto {n + 1}: konsultasi di meja 1",
                taken_by=officer.id,
                taken_at=NOW + timedelta(minutes=70 + n),
            )
        )
    session.add(
        Amendment(
            consultation_id=consultation.id,
            user_id=officer.id,
            at=NOW + timedelta(days=1),
            what=AMENDMENT,
            why="Salah ketik saat pencatatan.",
        )
    )
    consultation.closed_at = NOW + timedelta(minutes=75)
    session.commit()
    return consultation


def pdf_text(pdf: bytes) -> tuple[list[str], str]:
    """Each page's text, and all of it with line breaks and runs of spaces made single spaces."""
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    return pages, " ".join(" ".join(pages).split())


# Numbers


def test_numbers_count_up_per_office_and_start_again_each_year(session: Session) -> None:
    officer = make_user(session)
    first, second = new_consultation(session, officer.id), new_consultation(session, officer.id)
    assert number(session, first) == "001/HD-KPU-KPG/XI/2026"
    assert number(session, second, NOW + timedelta(days=10)) == "002/HD-KPU-KPG/XII/2026"

    other = Office(code="soe", name="KPU Kabupaten Timor Tengah Selatan", timezone="Asia/Makassar")
    session.add(other)
    session.commit()
    elsewhere = new_consultation(session, officer.id)
    elsewhere.office_id = other.id
    session.commit()
    assert number(session, elsewhere) == "001/HD-KPU-KPG/XI/2026"  # the other office counts on its own

    next_year = new_consultation(session, officer.id, NOW + timedelta(days=40))
    assert number(session, next_year, NOW + timedelta(days=40)) == "001/HD-KPU-KPG/I/2027"
    stored = session.get(Consultation, next_year.id)
    assert (stored.report_year, stored.report_seq, stored.report_number) == (2027, 1, "001/HD-KPU-KPG/I/2027")


def test_the_year_turns_at_midnight_in_the_office_not_in_utc(session: Session) -> None:
    officer = make_user(session)
    late, early = new_consultation(session, officer.id), new_consultation(session, officer.id)
    # 23.59 WITA on 31 December is still 2026; 00.30 WITA on 1 January is 2027, while UTC is still in 2026.
    assert number(session, late, datetime(2026, 12, 31, 15, 59, tzinfo=UTC)) == "001/HD-KPU-KPG/XII/2026"
    assert number(session, early, datetime(2026, 12, 31, 16, 30, tzinfo=UTC)) == "001/HD-KPU-KPG/I/2027"


def test_the_configured_pattern_and_code_are_used(session: Session) -> None:
    consultation = new_consultation(session, make_user(session).id)
    made = assign_number(session, consultation.id, "LHD.{code}.{year}.{month}.{seq}", "SOE", NOW, ZONE)
    assert made == "LHD.SOE.2026.XI.1"
    assert [roman_month(month) for month in range(1, 13)] == [
        "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"
    ]  # fmt: skip


def test_asking_again_gives_the_same_number(session: Session) -> None:
    officer = make_user(session)
    consultation = new_consultation(session, officer.id)
    assert number(session, consultation) == "001/HD-KPU-KPG/XI/2026"
    assert number(session, consultation, NOW + timedelta(days=45)) == "001/HD-KPU-KPG/XI/2026"
    assert number(session, new_consultation(session, officer.id)) == "002/HD-KPU-KPG/XI/2026"


def test_an_unknown_consultation_is_refused(session: Session) -> None:
    with pytest.raises(report.ReportNotFound):
        number(session, Consultation(id=999))


def test_officers_closing_reports_at_once_get_distinct_consecutive_numbers(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        officer = make_user(session)
        ids = [new_consultation(session, officer.id).id for _ in range(12)]
    threads_count = 6
    start = threading.Barrier(threads_count)
    got: dict[int, str] = {}
    failures: list[BaseException] = []

    def desk(share: list[int]) -> None:
        try:
            with sessions() as session:
                start.wait()
                for consultation_id in share:
                    # Each number is asked for twice, as a double click would: it must not move.
                    got[consultation_id] = assign_number(session, consultation_id, PATTERN, "KPG", NOW, ZONE)
                    assert assign_number(session, consultation_id, PATTERN, "KPG", NOW, ZONE) == got[consultation_id]
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    # Every thread works on every consultation, in a different order, so they really race for the same rows.
    threads = [threading.Thread(target=desk, args=(ids[n:] + ids[:n],)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(got.values()) == [f"{seq:03d}/HD-KPU-KPG/XI/2026" for seq in range(1, 13)]
    with sessions() as session:
        stored = session.execute(select(Consultation.id, Consultation.report_number)).all()
    assert dict(stored) == got


# Content and digest


def test_the_report_holds_the_visit_the_steps_and_the_problems(session: Session, tmp_path: Path) -> None:
    consultation = full_consultation(session, tmp_path / "photos")
    number(session, consultation)
    data = build_report(session, consultation.id, "id", ZONE)
    assert (data.number, data.visitor, data.officer, data.ticket) == (
        "001/HD-KPU-KPG/XI/2026", "Maria Lodia Nenobais", "Yohanes Bria", "A-001"
    )  # fmt: skip
    assert data.party == "Partai NasDem" and data.office == "KPU Kota Kupang"
    assert {step.number: (step.seconds // 60, step.over) for step in data.steps} == {
        2: (8, False), 3: (45, True), 4: (12, False), 5: (6, False), 6: (0, False)
    }  # fmt: skip
    assert [p.number for p in data.problems] == [1, 2, 3]
    first = data.problems[0]
    assert [ref.text for ref in first.references] == [
        "PKPU 4/2022 Pasal 7",
        "Bagaimana memperbaiki NIK yang ditolak SIPOL?",
    ]
    assert [e.answered_by for e in data.escalations] == ["Agustina Tefa"] and data.escalations[0].problem == 2
    assert [(p.caption, p.file_name) for p in data.photos][0] == ("Foto 1: konsultasi di meja 1", "foto-0.jpg")
    assert data.amendments[0].what == AMENDMENT and data.amendments[0].by == "Yohanes Bria"


def test_open_steps_count_up_to_the_close_and_removed_photos_are_left_out(session: Session, tmp_path: Path) -> None:
    consultation = new_consultation(session, make_user(session).id, visitor_type="public", party_id="")
    session.add(StepSpan(consultation_id=consultation.id, step=6, started_at=NOW))  # still open
    photo = photo_file(tmp_path, "dibuang.jpg")
    session.add(
        Photo(
            consultation_id=consultation.id, file_name=photo.name, media_type="image/jpeg", width=800, height=600,
            size=1, caption="Salah foto", taken_by=consultation.officer_id, taken_at=NOW, removed_at=NOW,
        )
    )  # fmt: skip
    session.commit()
    data = build_report(session, consultation.id, "id", ZONE)
    assert data.steps[-1].seconds == 0 and data.photos == ()  # nothing counted before the close
    assert (data.party, data.party_shown) == ("", "Masyarakat umum")
    assert build_report(session, consultation.id, "en", ZONE).party_shown == "Member of the public"

    consultation.closed_at = NOW + timedelta(minutes=12)
    session.commit()
    step_6 = build_report(session, consultation.id, "id", ZONE).steps[-1]
    assert (step_6.number, step_6.seconds, step_6.over) == (6, 720, True)


def test_the_digest_follows_the_content_and_nothing_else(session: Session, tmp_path: Path) -> None:
    consultation = full_consultation(session, tmp_path / "photos")
    before = digest(build_report(session, consultation.id, "id", ZONE))
    assert len(before) == 64 and int(before, 16) >= 0
    assert digest(build_report(session, consultation.id, "id", ZONE)) == before  # nothing changed
    assert digest(build_report(session, consultation.id, "en", ZONE)) == before  # read in English: same record

    problem = session.scalar(select(Problem).where(Problem.consultation_id == consultation.id, Problem.position == 3))
    problem.answer += " Hubungi operator SIPOL kabupaten."
    session.commit()
    changed = digest(build_report(session, consultation.id, "id", ZONE))
    assert changed != before

    data = build_report(session, consultation.id, "id", ZONE)
    moved = replace(data, photos=tuple(replace(p, file_name=f"lain-{p.file_name}") for p in data.photos))
    assert digest(moved) == changed  # where a photo's file lies is not content
    assert digest(replace(data, photos=data.photos[:1])) != changed  # how many photos there are is
    recaptioned = replace(data, photos=(replace(data.photos[0], caption="Penyerahan laporan"), *data.photos[1:]))
    assert digest(recaptioned) != changed


# The PDF


def test_the_pdf_says_what_the_record_says(session: Session, tmp_path: Path) -> None:
    consultation = full_consultation(session, tmp_path / "photos")
    number(session, consultation)
    data = build_report(session, consultation.id, "id", ZONE)
    pdf = render_pdf(data, tmp_path / "photos", "id")
    assert pdf.startswith(b"%PDF-")
    pages, text = pdf_text(pdf)
    for expected in (
        "LAPORAN HELPDESK",
        "Nomor: 001/HD-KPU-KPG/XI/2026",
        "KPU KOTA KUPANG",
        "Maria Lodia Nenobais",
        "Partai NasDem",
        "Sabtu, 28 November 2026",
        "14.05 WITA",
        "Yohanes Bria",
        "Melebihi standar",
        "PKPU 4/2022 Pasal 7",
        "FAQ: Bagaimana memperbaiki NIK yang ditolak SIPOL?",
        ESCALATION_ANSWER,
        "Dijawab oleh Agustina Tefa",
        AMENDMENT,
        "Salah ketik saat pencatatan.",
        "Foto 2: konsultasi di meja 1",
    ):
        assert expected in text
    for problem in data.problems:
        assert problem.description in text and problem.answer in text
    assert all(f"Halaman {n} dari {len(pages)}" in page for n, page in enumerate(pages, 1))


def test_an_english_report_has_english_labels(session: Session, tmp_path: Path) -> None:
    consultation = full_consultation(session, tmp_path / "photos", problems=1, photos=0)
    number(session, consultation)
    pages, text = pdf_text(render_pdf(build_report(session, consultation.id, "en", ZONE), tmp_path / "photos", "en"))
    for expected in (
        "HELPDESK REPORT",
        "Number: 001/HD-KPU-KPG/XI/2026",
        "Saturday, 28 November 2026",
        "Over standard",
    ):
        assert expected in text
    assert "LAPORAN HELPDESK" not in text and "Halaman" not in text and "Jawaban/solusi" not in text
    assert pages[0].count("Page 1 of") == 1


def test_ten_problems_and_four_photos_flow_over_several_pages(session: Session, tmp_path: Path) -> None:
    consultation = full_consultation(session, tmp_path / "photos", problems=10, photos=4)
    data = build_report(session, consultation.id, "id", ZONE)
    pdf = render_pdf(data, tmp_path / "photos", "id")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 3
    assert sum(len(page.images) for page in reader.pages) == 4
    _, text = pdf_text(pdf)
    assert all(f"Permasalahan {n}:" in text for n in range(1, 11))
    assert len(pdf) < 1_500_000  # photos are scaled down to what the page needs


def test_long_words_and_paragraphs_wrap_instead_of_breaking_the_report(session: Session, tmp_path: Path) -> None:
    consultation = full_consultation(session, tmp_path / "photos", problems=2, photos=1)
    data = build_report(session, consultation.id, "id", ZONE)
    word = "https://sipol.kpu.go.id/" + "x" * 600
    paragraph = "Partai belum dapat mengunggah data keanggotaan. " * 400  # about four pages on its own
    long = replace(
        data,
        visitor="Maria " + "Lodia" * 30,
        problems=(
            replace(data.problems[0], description=word, answer=paragraph),
            replace(data.problems[1], answer="Baris\r\nbaru\tdan\x07kontrol, emoji 🙂 dan aksara 中文."),
        ),
        photos=(replace(data.photos[0], caption="Keterangan " * 40), replace(data.photos[0], file_name="hilang.jpg")),
    )
    pdf = render_pdf(long, tmp_path / "photos", "id")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 5
    _, text = pdf_text(pdf)
    assert "Foto tidak tersedia" in text  # a missing file leaves a box, not an error
    assert "Baris baru dan kontrol" in text
    for page in reader.pages:  # nothing is drawn past the right edge of the paper
        assert _rightmost_text(page) <= float(page.mediabox.width) - 50  # the right margin is 20 mm, 57 pt


def _rightmost_text(page: Any) -> float:
    """Where the longest line of text on the page ends, in points, measured with the report's own fonts."""
    fonts = {style: TTFont(path) for style, path in report.font_paths().items()}
    ends = [0.0]

    def visit(text: str, _cm: Any, tm: Any, font: Any, size: Any) -> None:
        text = text.strip("\n")
        if not text.strip() or font is None:
            return
        face = fonts["B" if "Bold" in str(font.get("/BaseFont", "")) else ""]
        cmap, advances = face.getBestCmap(), face["hmtx"]
        units = sum(advances[cmap.get(ord(char), ".notdef")][0] for char in text)
        ends.append(float(tm[4]) + units * float(size) / face["head"].unitsPerEm)

    page.extract_text(visitor_text=visit)
    return max(ends)
