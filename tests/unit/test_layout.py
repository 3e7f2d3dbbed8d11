"""The ticket layout: the same document as ESC/POS bytes and as a PNG preview."""

from __future__ import annotations

import pytest
import zxingcpp
from escpos.printer import Dummy
from PIL import Image

from printers.emulator import render
from printers.layout import QR, Document, Text, paper_width, ticket, to_escpos, to_png, wrap, write_escpos

URL = "http://192.168.1.10:5000/t/6c7bM1o1v3HnQ2s0kR8m9fE4xW5yZ7aB1cD3eF5gH7i"
PAYLOAD = {
    "office": "KPU Kota Kupang",
    "number": "A-007",
    "issued_at": "2026-11-28T06:05:00+00:00",
    "timezone": "Asia/Makassar",
    "topic": "Akun dan login SIPOL",
    "party": "5. NasDem",
    "priority": False,
    "ahead": 3,
    "wait_minutes": 25,
    "url": URL,
}


def texts(document: Document) -> list[str]:
    return [block.text for block in document.blocks if isinstance(block, Text)]


def qr_texts(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def test_the_ticket_says_what_the_visitor_needs() -> None:
    lines = texts(ticket(PAYLOAD))
    assert lines[:2] == ["KPU KOTA KUPANG", "Helpdesk Pendaftaran dan Verifikasi Partai Politik"]
    assert "A-007" in lines
    assert "Sabtu, 28 November 2026, 14.05 WITA" in lines
    assert "Topik : Akun dan login SIPOL" in lines and "Partai: 5. NasDem" in lines
    assert "Menunggu sebelum Anda: 3 orang (+/- 25 menit)" in lines
    assert [b.data for b in ticket(PAYLOAD).blocks if isinstance(b, QR)] == [URL]


def test_priority_is_marked_and_the_party_line_is_left_out_when_there_is_none() -> None:
    lines = texts(ticket({**PAYLOAD, "priority": True, "party": None, "ahead": 0}))
    assert "** LAYANAN PRIORITAS **" in lines
    assert not any(line.startswith("Partai:") for line in lines)
    assert "Menunggu sebelum Anda: 0 orang" in lines


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


def test_long_lines_are_word_wrapped_to_the_paper() -> None:
    paragraph = Text("Pindai kode QR untuk melihat status antrean di HP Anda.")
    assert wrap(paragraph, 576) == ["Pindai kode QR untuk melihat status antrean di", "HP Anda."]
    assert all(len(line) <= 32 for line in wrap(paragraph, 384))


@pytest.mark.parametrize("profile", ["TM-T20II", "POS-5890"])
def test_every_job_starts_by_resetting_the_printer(profile: str) -> None:
    # A job cut off mid-image leaves the printer mid-command: ESC @ first puts it back to its defaults.
    assert to_escpos(ticket(PAYLOAD), profile).startswith(b"\x1b@")
