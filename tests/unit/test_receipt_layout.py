"""The receipt layout: what the visitor signed for, on 80 mm and 58 mm paper, with the QR code to the report."""

from __future__ import annotations

import re
from typing import Any

import pytest
import zxingcpp
from PIL import Image, ImageChops

from printers.canvas import CUT_ADVANCE
from printers.emulator import render
from printers.layout import (
    DOCUMENTS,
    QR,
    Document,
    Fields,
    Line,
    Numbered,
    lines,
    paper_width,
    receipt,
    to_escpos,
    to_png,
)
from printers.outbox import PrinterSettings
from printers.outbox import render as render_job
from shared.models import PrintJob

URL = "http://192.168.1.10:5000/r/Qm9rYXNpLXRlc3QtdG9rZW4tMDEyMzQ1Njc4OWFi"
PAYLOAD: dict[str, Any] = {
    "office": "KPU Kota Kupang",
    "number": "012/HD-KPU-KPG/XII/2026",
    "signed_at": "2026-12-01T06:05:00+00:00",
    "timezone": "Asia/Makassar",
    "language": "id",
    "visitor": "M*** L*** N***",
    "party": "5. NasDem",
    "problems": [
        {"topic": "Akun dan login SIPOL", "answer": "Atur ulang kata sandi melalui admin SIPOL partai."},
        {"topic": "Keanggotaan ganda", "answer": "Ajukan klarifikasi anggota. Bawa KTA dan KTP asli saat verifikasi."},
        {"topic": "Kantor tetap (domisili)", "answer": "Lampirkan surat keterangan domisili.\nContoh ada di Juknis."},
    ],
    "officer": "Yohana Bria",
    "url": URL,
}
ENGLISH: dict[str, Any] = {
    **PAYLOAD,
    "language": "en",
    "problems": [
        {"topic": "SIPOL account and login", "answer": "Reset the password through the party's SIPOL administrator."},
        {"topic": "Double membership", "answer": "Ask the member to sign a statement. Bring the originals."},
    ],
}
# Long, but what an office could type: a long first sentence, a long office name, an unverified party.
WORDY: dict[str, Any] = {
    **PAYLOAD,
    "office": "Komisi Pemilihan Umum Kabupaten Timor Tengah Selatan",
    "party": "Partai Garda Perubahan Indonesia (belum terverifikasi)",
    "problems": [
        {
            "topic": "Keanggotaan ganda: anggota yang tercatat di dua partai politik dan status BMS/TMS",
            "answer": "Anggota yang tercatat ganda diminta membuat surat pernyataan bermeterai yang menyebut partai "
            "pilihannya, lalu operator SIPOL partai mengunggah surat itu sebelum masa perbaikan berakhir pada "
            "tanggal yang ditetapkan KPU.",
        }
    ],
}
HOSTILE: list[dict[str, Any]] = [
    {**PAYLOAD, "visitor": "M" + "*" * 99},  # a 100-character name in one word
    {**PAYLOAD, "visitor": "M*** " * 20, "officer": "Yohana " * 14 + "Bria"},  # 100 characters in words
    {**PAYLOAD, "problems": [{"topic": ("Keanggotaan ganda lintas partai " * 10)[:300], "answer": "Ya."}]},
    {**PAYLOAD, "problems": [{"topic": "SIPOL", "answer": "x" * 2000}]},  # an answer that is one word
    {**PAYLOAD, "problems": [{"topic": f"Topik {n}", "answer": f"Jawaban {n}."} for n in range(1, 31)]},
    {**PAYLOAD, "problems": [{"topic": "Akun\x1b@\r\nSIPOL\t", "answer": "\n\n  Satu\x1dV\x00 baris.\nDua."}]},
    {**PAYLOAD, "problems": [], "party": None},
    {**ENGLISH, "office": "X" * 100, "number": "0" * 60, "problems": [{"topic": "", "answer": ""}]},
]
# The receipt's own Indonesian words: none may be left on a receipt printed in English.
INDONESIAN = {
    "tanda", "terima", "laporan", "nomor", "tanggal", "pengunjung", "partai", "petugas", "permasalahan",
    "tidak", "ada", "dicatat", "lengkap", "bukti", "keasliannya", "pindai", "kode", "ini", "dapat", "diunduh",
    "untuk", "waktu", "terbatas", "selasa", "desember",
}  # fmt: skip
WIDTHS = [576, 384]  # 80 mm and 58 mm paper
PROFILES = [("TM-T20II", 576), ("POS-5890", 384)]
MARGIN = 2  # characters of blank paper kept on each side, at least
CHAR = 12  # dots per character of font A


def printed(document: Document, width: int) -> list[Line]:
    """The text lines the printer prints, margins included."""
    return [line for block in document.blocks if not isinstance(block, QR) for line in lines(block, width)]


def texts(payload: dict[str, Any], width: int = 576) -> list[str]:
    return [line.text.strip() for line in printed(receipt(payload), width)]


def problem_lines(payload: dict[str, Any], width: int) -> list[Line]:
    """The lines of the numbered problems."""
    return [line for block in receipt(payload).blocks if isinstance(block, Numbered) for line in lines(block, width)]


def field_lines(payload: dict[str, Any], width: int) -> list[str]:
    """The lines of the labelled values."""
    return [line.text for block in receipt(payload).blocks if isinstance(block, Fields) for line in lines(block, width)]


def qr_texts(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def test_the_receipt_says_what_was_signed_for_whom_and_by_whom() -> None:
    lines_ = texts(PAYLOAD)
    assert lines_[:2] == ["KPU KOTA KUPANG", "TANDA TERIMA LAPORAN HELPDESK"]
    assert "Nomor laporan : 012/HD-KPU-KPG/XII/2026" in lines_
    assert lines_[lines_.index("Tanggal       : Selasa, 1 Desember 2026") + 1] == "14.05 WITA"
    assert "Pengunjung    : M*** L*** N***" in lines_
    assert "Partai        : 5. NasDem" in lines_
    assert "Petugas       : Yohana Bria" in lines_
    heading = lines_.index("PERMASALAHAN")
    assert lines_[heading + 1] == "1. Akun dan login SIPOL"
    assert "Laporan lengkap dan bukti keasliannya: pindai kode QR ini." in " ".join(lines_)
    assert "PDF laporan dapat diunduh untuk waktu terbatas." in " ".join(lines_)
    assert [block.data for block in receipt(PAYLOAD).blocks if isinstance(block, QR)] == [URL]


@pytest.mark.parametrize("width", WIDTHS)
def test_an_english_receipt_has_english_labels_and_no_indonesian_wording_left(width: int) -> None:
    lines_ = texts(ENGLISH, width)
    text = " ".join(lines_)
    assert "HELPDESK REPORT RECEIPT" in text and "PROBLEMS" in lines_
    for label in ("Report number", "Date", "Visitor", "Party", "Officer"):
        assert any(re.match(rf"{label} *:", line) for line in lines_), label
    assert "Tuesday, 1 December 2026" in lines_ or "Date          : Tuesday, 1 December 2026" in lines_
    assert "For the full report and proof that it is genuine, scan this QR code." in text
    assert "The report's PDF can be downloaded for a limited time." in text
    words = set(re.findall(r"[a-z]+", text.lower()))
    assert words & INDONESIAN == set()


@pytest.mark.parametrize("width", WIDTHS)
def test_no_party_means_no_party_line(width: int) -> None:
    assert any(line.startswith("Partai") for line in texts(PAYLOAD, width))
    assert not any(line.startswith("Partai") for line in texts({**PAYLOAD, "party": None}, width))
    assert "5. NasDem" not in " ".join(texts({**PAYLOAD, "party": None}, width))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("payload", [PAYLOAD, ENGLISH, WORDY])
def test_every_problem_is_on_the_receipt_numbered_with_its_topic(payload: dict[str, Any], width: int) -> None:
    listed = " ".join(line.text.strip() for line in problem_lines(payload, width))
    for number, problem in enumerate(payload["problems"], start=1):
        assert f"{number}. {problem['topic']}" in listed


@pytest.mark.parametrize("width", WIDTHS)
def test_each_answer_is_summed_up_by_its_first_sentence_or_line(width: int) -> None:
    listed = " ".join(line.text.strip() for line in problem_lines(PAYLOAD, width))
    assert "Ajukan klarifikasi anggota." in listed and "Bawa KTA" not in listed
    assert "Lampirkan surat keterangan domisili." in listed and "Contoh" not in listed


@pytest.mark.parametrize("width", WIDTHS)
def test_a_long_answer_is_cut_to_two_lines_ending_in_an_ellipsis_after_a_whole_word(width: int) -> None:
    answer = WORDY["problems"][0]["answer"]
    summary = [line for line in problem_lines(WORDY, width) if not line.bold]
    assert len(summary) == 2
    kept = " ".join(line.text.strip() for line in summary)
    assert kept.endswith("...")
    assert answer.startswith(kept.removesuffix("..."))
    assert answer[len(kept) - 3] == " "  # the cut falls between words
    assert len(summary[-1].text) > (width // CHAR - MARGIN) - 12  # the second line is used, not left short


@pytest.mark.parametrize("width", WIDTHS)
def test_an_answer_that_is_one_long_word_is_cut_too(width: int) -> None:
    summary = [line for line in problem_lines(HOSTILE[3], width) if not line.bold]
    assert len(summary) == 2
    assert summary[-1].text.endswith("x...")
    assert all(len(line.text) <= width // CHAR - MARGIN for line in summary)


def test_topics_and_summaries_hang_in_one_column_to_the_right_of_the_numbers() -> None:
    listed = [line.text for line in problem_lines(HOSTILE[4], 384)]
    assert listed[0] == "   1. Topik 1" and listed[18] == "  10. Topik 10" and listed[-2] == "  30. Topik 30"
    assert {len(text) - len(text.lstrip()) for text in listed if not re.match(r" *\d+\.", text)} == {6}


@pytest.mark.parametrize("width", WIDTHS)
def test_a_long_topic_is_cut_after_four_lines(width: int) -> None:
    titles = [line.text.strip() for line in problem_lines(HOSTILE[2], width) if line.bold]
    assert len(titles) == 4 and titles[-1].endswith("...")
    assert " ".join(titles).startswith("1. Keanggotaan ganda lintas partai Keanggotaan")


@pytest.mark.parametrize(
    ("payload", "note"), [(PAYLOAD, "Tidak ada permasalahan yang dicatat."), (ENGLISH, "No problems were recorded.")]
)
def test_a_receipt_without_problems_says_none_were_recorded(payload: dict[str, Any], note: str) -> None:
    assert note not in " ".join(texts(payload))
    assert note in " ".join(texts({**payload, "problems": []}))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("payload", [PAYLOAD, ENGLISH])
def test_the_report_number_and_the_date_are_never_broken_up(payload: dict[str, Any], width: int) -> None:
    lines_ = texts(payload, width)
    assert any(line.endswith("012/HD-KPU-KPG/XII/2026") for line in lines_)
    assert any(re.search(r"1 (Desember|December) 2026$", line) for line in lines_)
    assert any(line.endswith("14.05 WITA") for line in lines_)


def test_labels_form_one_column_on_80_mm_and_values_wrap_under_their_own() -> None:
    rows = field_lines(WORDY, 576)
    column = rows[0].index(" : ") + len(" : ")
    assert column == MARGIN + len("Nomor laporan : ")
    for row in rows:
        label, value = row[:column], row[column:]
        assert label.startswith(" " * MARGIN) and label.endswith(" : ") or not label.strip()
        assert value and not value[0].isspace()
    assert len(rows) > 6  # the party wraps in its column


def test_on_58_mm_each_label_heads_its_value_rather_than_squeezing_it() -> None:
    rows = field_lines(PAYLOAD, 384)
    labels = [row for row in rows if not row.startswith(" " * (MARGIN + 1))]
    assert [label.strip() for label in labels] == ["Nomor laporan:", "Tanggal:", "Pengunjung:", "Partai:", "Petugas:"]
    values = [row for row in rows if row not in labels]
    assert all(value.startswith(" " * (MARGIN + 2)) and value[MARGIN + 2] != " " for value in values)
    assert values[0].strip() == "012/HD-KPU-KPG/XII/2026"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("payload", [PAYLOAD, ENGLISH, WORDY, *HOSTILE])
def test_no_line_runs_into_the_margins(payload: dict[str, Any], width: int) -> None:
    per_line = width // CHAR
    for line in printed(receipt(payload), width):
        assert line.text.isprintable()
        if line.align == "left":
            assert line.text.startswith(" " * MARGIN) or not line.text
            assert len(line.text.rstrip()) <= per_line - MARGIN, line.text
        else:
            assert len(line.text.strip()) * line.size <= per_line - 2 * MARGIN, line.text


@pytest.mark.parametrize(("profile", "width"), PROFILES)
@pytest.mark.parametrize("payload", [PAYLOAD, ENGLISH, *HOSTILE])
def test_the_printed_receipt_keeps_its_margins_matches_its_preview_and_its_qr_opens_the_report(
    payload: dict[str, Any], profile: str, width: int
) -> None:
    assert paper_width(profile) == width
    data = to_escpos(receipt(payload), profile)
    assert data.startswith(b"\x1b@") and data.count(b"\x1b@") == 1  # nothing typed at a desk resets the printer
    pages = render(data, width)
    assert len(pages) == 1
    page = pages[0].crop((0, 0, width, pages[0].height - CUT_ADVANCE))  # the cut mark runs edge to edge
    for edge in ((0, 0, MARGIN * CHAR, page.height), (width - MARGIN * CHAR, 0, width, page.height)):
        assert page.crop(edge).getextrema() == (255, 255), "ink in the margin"
    assert qr_texts(pages[0]) == [URL]
    preview = to_png(receipt(payload), width)
    assert preview.width == width and qr_texts(preview) == [URL]
    printed_part = pages[0].crop((0, 0, width, preview.height - CUT_ADVANCE))
    assert (
        ImageChops.difference(preview.crop((0, 0, width, preview.height - CUT_ADVANCE)), printed_part).getbbox() is None
    )


@pytest.mark.parametrize(("profile", "width"), PROFILES)
def test_the_print_outbox_renders_a_receipt_job(profile: str, width: int) -> None:
    data, preview = render_job(PrintJob(kind="receipt", payload=ENGLISH), PrinterSettings(profile=profile))
    assert data.startswith(b"\x1b@") and b"HELPDESK REPORT RECEIPT" in data
    assert DOCUMENTS["receipt"] is receipt
    image = preview()
    assert image.width == width and qr_texts(image) == [URL]
