"""The ticket layout: the same document as ESC/POS bytes and as a PNG preview, in the visitor's language."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import zxingcpp
from escpos.printer import Dummy
from PIL import Image, ImageChops

from printers.canvas import CUT_ADVANCE
from printers.emulator import render
from printers.layout import QR, Document, Line, Text, lines, paper_width, ticket, to_escpos, to_png, write_escpos
from shared.checkin import ticket_payload
from shared.models import Office, Party, Topic, Visit
from tests.conftest import NOW
from tests.factories import SETTINGS

URL = "http://192.168.1.10:5000/t/6c7bM1o1v3HnQ2s0kR8m9fE4xW5yZ7aB1cD3eF5gH7i"
PAYLOAD = {
    "office": "KPU Kota Kupang",
    "number": "A-007",
    "issued_at": "2026-11-28T06:05:00+00:00",
    "timezone": "Asia/Makassar",
    "language": "id",
    "topic": "Akun dan login SIPOL",
    "party": "5. NasDem",
    "priority": False,
    "ahead": 3,
    "wait_minutes": 25,
    "url": URL,
}
ENGLISH = {**PAYLOAD, "language": "en", "topic": "SIPOL account and login"}
LONG = {
    **PAYLOAD,
    "office": "Komisi Pemilihan Umum Kabupaten Timor Tengah Selatan",
    "topic": "Keanggotaan ganda: anggota yang tercatat di dua partai politik dan status BMS/TMS",
    "party": "11. Garuda",
    "priority": True,
    "ahead": 12,
    "issued_at": "2026-09-30T06:05:00+00:00",  # Rabu / Wednesday: the longest day names
}
LONG_ENGLISH = {
    **LONG,
    "language": "en",
    "topic": "Double membership: members registered with two political parties and status BMS/TMS",
}
# The ticket's own Indonesian words: none may be left on a ticket printed in English.
INDONESIAN = {
    "nomor", "antrean", "anda", "layanan", "prioritas", "topik", "partai", "menunggu", "sebelum", "orang",
    "perkiraan", "menit", "berikutnya", "silakan", "tunggu", "dipanggil", "pindai", "kode", "dengan", "untuk",
    "melihat", "simpan", "tiket", "ini", "dan", "pendaftaran", "verifikasi", "politik", "sabtu", "rabu",
}  # fmt: skip
WIDTHS = [576, 384]  # 80 mm and 58 mm paper
MARGIN = 2  # characters of blank paper kept on each side, at least
CHAR = 12  # dots per character of font A


def printed(document: Document, width: int) -> list[Line]:
    """The text lines the printer prints, margins included."""
    return [line for block in document.blocks if not isinstance(block, QR) for line in lines(block, width)]


def wording(document: Document, width: int = 576) -> str:
    """The printed text as one string, lines joined by a space."""
    return " ".join(line.text.strip() for line in printed(document, width))


def qr_texts(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def test_the_ticket_says_what_the_visitor_needs() -> None:
    texts = [line.text.strip() for line in printed(ticket(PAYLOAD), 576)]
    assert texts[:3] == ["KPU KOTA KUPANG", "Helpdesk Pendaftaran dan", "Verifikasi Partai Politik"]
    assert texts[4:6] == ["Nomor antrean Anda", "A-007"]
    assert "Sabtu, 28 November 2026, 14.05 WITA" in texts
    assert "Topik  : Akun dan login SIPOL" in texts and "Partai : 5. NasDem" in texts
    assert "Menunggu sebelum Anda: 3 orang" in texts and "perkiraan 25 menit" in texts
    assert "Pindai kode QR ini dengan HP Anda untuk melihat status antrean." in wording(ticket(PAYLOAD))
    assert [b.data for b in ticket(PAYLOAD).blocks if isinstance(b, QR)] == [URL]


def test_a_visitor_who_used_the_kiosk_in_english_gets_an_english_ticket() -> None:
    texts = [line.text.strip() for line in printed(ticket({**ENGLISH, "ahead": 1, "wait_minutes": 8}), 576)]
    assert "Political Party Registration and Verification Helpdesk" in " ".join(texts)
    assert "Your queue number" in texts
    assert "Saturday, 28 November 2026, 14.05 WITA" in texts
    assert "Topic : SIPOL account and login" in texts and "Party : 5. NasDem" in texts
    assert "Waiting before you: 1 person" in texts and "about 8 minutes" in texts


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("id", ["Nomor antrean Anda", "Topik  : Akun dan login SIPOL", "Sabtu, 28 November 2026, 14.05 WITA"]),
        ("en", ["Your queue number", "Topic : SIPOL account and login", "Saturday, 28 November 2026, 14.05 WITA"]),
    ],
)
def test_the_check_in_snapshot_prints_in_the_language_the_kiosk_was_used_in(lang: str, expected: list[str]) -> None:
    topic = Topic(code="sipol-akun", name_id="Akun dan login SIPOL", name_en="SIPOL account and login")
    party = Party(ballot_number=5, name="Partai NasDem", short_name="NasDem")
    visit = Visit(
        prefix="A", seq=7, token="t", language=lang, topic=topic, party=party, priority=False, checked_in_at=NOW
    )
    office = Office(code="kupang", name="KPU Kota Kupang", timezone="Asia/Makassar")
    payload = json.loads(json.dumps(ticket_payload(visit, office, SETTINGS, 3)))  # as the print job stores it
    assert payload["language"] == lang
    texts = [line.text.strip() for line in printed(ticket(payload), 576)]
    assert all(text in texts for text in expected)


@pytest.mark.parametrize("payload", [ENGLISH, LONG_ENGLISH, {**ENGLISH, "ahead": 0, "party": None}])
def test_an_english_ticket_has_no_indonesian_wording_left(payload: dict[str, Any]) -> None:
    for width in WIDTHS:
        words = set(re.findall(r"[a-z]+", wording(ticket(payload), width).lower()))
        assert words & INDONESIAN == set()


@pytest.mark.parametrize(
    ("payload", "next_in_line"),
    [(PAYLOAD, "Anda berikutnya. Silakan tunggu dipanggil."), (ENGLISH, "You are next. Please wait to be called.")],
)
def test_a_visitor_with_nobody_ahead_is_told_they_are_next(payload: dict[str, Any], next_in_line: str) -> None:
    text = wording(ticket({**payload, "ahead": 0, "wait_minutes": 0}))
    assert next_in_line in text
    assert not re.search(r"\b0 (orang|people)\b", text) and "menit" not in text and "minutes" not in text


def test_the_priority_mark_is_printed_white_on_black() -> None:
    marks = [line for line in printed(ticket({**ENGLISH, "priority": True}), 576) if line.invert]
    assert [(line.text, line.bold) for line in marks] == [(" PRIORITY SERVICE ", True)]
    assert not any(line.invert for line in printed(ticket(PAYLOAD), 576))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("payload", [PAYLOAD, ENGLISH, LONG, LONG_ENGLISH])
def test_the_labels_form_one_column_and_values_wrap_under_their_own(payload: dict[str, Any], width: int) -> None:
    texts = [line.text for line in printed(ticket(payload), width)]
    first = next(i for i, text in enumerate(texts) if text.strip().startswith(("Topik", "Topic")))
    last = next(i for i, text in enumerate(texts) if text.rstrip().endswith(payload["party"]))
    rows = texts[first : last + 1]
    assert len(rows) >= (4 if payload in (LONG, LONG_ENGLISH) else 2)  # the long topic takes several lines
    column = rows[0].index(": ") + 2
    for row in rows:
        label, value = row[:column], row[column:]
        assert label.startswith(" " * MARGIN) and not label[MARGIN].isspace() or not label.strip()
        assert label.rstrip().endswith(":") or not label.strip()  # a label, or the space under the labels
        assert value and not value[0].isspace()
    assert " ".join(row[column:] for row in rows[:-1]) == payload["topic"]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("payload", [PAYLOAD, ENGLISH, LONG, LONG_ENGLISH, {**LONG, "number": "ABC-1000"}])
def test_no_line_runs_into_the_margins(payload: dict[str, Any], width: int) -> None:
    per_line = width // CHAR
    for line in printed(ticket(payload), width):
        if line.align == "left":
            assert line.text.startswith(" " * MARGIN) or not line.text
            assert len(line.text.rstrip()) <= per_line - MARGIN, line.text
        else:  # centred by the printer: what is printed must leave both margins free
            assert len(line.text.strip() if not line.invert else line.text) * line.size <= per_line - 2 * MARGIN


@pytest.mark.parametrize("width", WIDTHS)
def test_no_word_is_left_alone_on_the_last_line_of_a_centred_paragraph(width: int) -> None:
    for payload in (PAYLOAD, ENGLISH, LONG, LONG_ENGLISH):
        for block in ticket(payload).blocks:
            if isinstance(block, Text) and block.align == "center" and len(texts := lines(block, width)) > 1:
                assert " " in texts[-1].text.strip(), [line.text for line in texts]


@pytest.mark.parametrize(("profile", "width"), [("TM-T20II", 576), ("POS-5890", 384)])
@pytest.mark.parametrize("payload", [PAYLOAD, LONG_ENGLISH])
def test_the_printed_ticket_keeps_its_margins_matches_its_preview_and_its_qr_opens_the_status_page(
    payload: dict[str, Any], profile: str, width: int
) -> None:
    assert paper_width(profile) == width
    pages = render(to_escpos(ticket(payload), profile), width)
    assert len(pages) == 1
    page = pages[0].crop((0, 0, width, pages[0].height - CUT_ADVANCE))  # the cut mark runs edge to edge
    for edge in ((0, 0, MARGIN * CHAR, page.height), (width - MARGIN * CHAR, 0, width, page.height)):
        assert page.crop(edge).getextrema() == (255, 255), "ink in the margin"
    assert qr_texts(pages[0]) == [URL]
    preview = to_png(ticket(payload), width)
    printed_part = pages[0].crop((0, 0, width, preview.height - CUT_ADVANCE))
    assert (
        ImageChops.difference(preview.crop((0, 0, width, preview.height - CUT_ADVANCE)), printed_part).getbbox() is None
    )


@pytest.mark.parametrize(("profile", "width"), [("TM-T20II", 576), ("POS-5890", 384)])
def test_the_png_preview_fits_the_paper_and_its_qr_opens_the_status_page(profile: str, width: int) -> None:
    assert paper_width(profile) == width
    image = to_png(ticket(PAYLOAD), width)
    assert image.width == width
    assert 600 < image.height < 2000
    assert qr_texts(image) == [URL]


@pytest.mark.parametrize("native", [False, True])
def test_the_escpos_bytes_print_the_same_qr(native: bool) -> None:
    data = to_escpos(ticket(PAYLOAD), "TM-T20II", native_qr=native)
    assert (b"\x1d(k" in data) is native
    assert (b"\x1dv0" in data) is not native
    pages = render(data, 576)
    assert len(pages) == 1
    assert qr_texts(pages[0]) == [URL]


def test_the_big_number_is_sent_at_four_times_the_size() -> None:
    printer = Dummy(profile="TM-T20II")
    write_escpos(Document((Text("A-007", align="center", bold=True, size=4),)), printer, 576)
    assert b"\x1d!\x33" in printer.output  # GS ! with width 4, height 4
    assert b"A-007\n" in printer.output
    assert b"\x1d!\x33" in to_escpos(ticket(LONG), "POS-5890")
    long_number = printed(ticket({**PAYLOAD, "number": "ABC-1000"}), 384)
    assert [(line.text, line.size) for line in long_number if "1000" in line.text] == [("ABC-1000", 3)]


@pytest.mark.parametrize("profile", ["TM-T20II", "POS-5890"])
def test_every_job_starts_by_resetting_the_printer(profile: str) -> None:
    # A job cut off mid-image leaves the printer mid-command: ESC @ first puts it back to its defaults.
    assert to_escpos(ticket(PAYLOAD), profile).startswith(b"\x1b@")


def test_a_ticket_queued_before_tickets_had_a_language_prints_in_indonesian() -> None:
    older = {key: value for key, value in PAYLOAD.items() if key != "language"}
    assert "Nomor antrean Anda" in wording(ticket(older))
