"""Printed documents: one layout description, rendered to ESC/POS bytes or to a PNG preview."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from escpos.capabilities import CAPABILITIES
from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy
from PIL import Image

from printers.canvas import Canvas
from shared.dates import clock_time, long_date
from shared.qr import qr_image

Align = Literal["left", "center", "right"]
CELL_WIDTH = 12  # dots per character in the printer's font A
SUBTITLE = "Helpdesk Pendaftaran dan Verifikasi Partai Politik"


@dataclass(frozen=True)
class Text:
    """A paragraph; it is word-wrapped to the paper before either renderer sees it."""

    text: str
    align: Align = "left"
    bold: bool = False
    size: int = 1  # character width and height multiplier, 1-8


@dataclass(frozen=True)
class QR:
    """A QR code, centred; module is the size of one square in dots."""

    data: str
    module: int = 8


@dataclass(frozen=True)
class Rule:
    """A dashed line across the paper."""


@dataclass(frozen=True)
class Feed:
    """Blank lines."""

    lines: int = 1


Block = Text | QR | Rule | Feed


@dataclass(frozen=True)
class Document:
    """A printout: blocks from top to bottom, then a cut."""

    blocks: tuple[Block, ...]


class EscposSink(Protocol):
    """The part of python-escpos's printer API a document is written with."""

    def set(self, **kwargs: Any) -> None: ...
    def textln(self, txt: str = "") -> None: ...
    def qr(self, content: str, **kwargs: Any) -> None: ...
    def image(self, img_source: Image.Image, **kwargs: Any) -> None: ...
    def ln(self, count: int = 1) -> None: ...
    def cut(self, mode: str = "FULL", feed: bool = True) -> None: ...


def wrap(text: Text, width_dots: int) -> list[str]:
    """Split a paragraph into the lines the printer will print."""
    columns = max(1, width_dots // (CELL_WIDTH * text.size))
    return textwrap.wrap(text.text, columns, break_long_words=True) or [""]


def write_escpos(document: Document, printer: EscposSink, width_dots: int, native_qr: bool = False) -> None:
    """Write a document to a python-escpos printer object."""
    for block in document.blocks:
        if isinstance(block, Text):
            printer.set(
                align=block.align,
                bold=block.bold,
                width=block.size,
                height=block.size,
                custom_size=block.size > 1,
                normal_textsize=block.size == 1,
            )
            for line in wrap(block, width_dots):
                printer.textln(line)
        elif isinstance(block, QR):
            printer.set(align="center", normal_textsize=True, bold=False)
            if native_qr:
                printer.qr(block.data, size=block.module, native=True, ec=QR_ECLEVEL_M)
            else:
                printer.image(qr_image(block.data, block.module), center=True)
            printer.ln()
        elif isinstance(block, Rule):
            printer.set(align="left", normal_textsize=True, bold=False)
            printer.textln("-" * (width_dots // CELL_WIDTH))
        else:
            printer.ln(block.lines)
    printer.set(align="left", normal_textsize=True, bold=False)
    printer.cut()


def to_escpos(document: Document, profile: str, native_qr: bool = False) -> bytes:
    """The ESC/POS bytes of a document for a python-escpos printer profile."""
    printer = Dummy(profile=profile)
    printer.hw("INIT")  # ESC @: whatever an earlier, cut-off job left half-done, this one starts clean
    write_escpos(document, printer, paper_width(profile), native_qr)
    return bytes(printer.output)


@lru_cache(maxsize=8)
def paper_width(profile: str) -> int:
    """Printable width in dots of a python-escpos profile (576 for 80 mm, 384 for 58 mm).

    Raises ValueError for a profile python-escpos does not know or that gives no width.
    """
    data = CAPABILITIES["profiles"].get(profile)
    pixels = data and data.get("media", {}).get("width", {}).get("pixels")
    if not isinstance(pixels, int):
        raise ValueError(
            f"unknown python-escpos profile {profile!r}, or it gives no paper width (80 mm: TM-T20II, 58 mm: POS-5890)"
        )
    return pixels


def to_png(document: Document, width_dots: int) -> Image.Image:
    """A picture of the printout, for the on-screen preview and the virtual printer."""
    canvas = Canvas(width_dots)
    for block in document.blocks:
        if isinstance(block, Text):
            for line in wrap(block, width_dots):
                canvas.text_line(line, align=block.align, bold=block.bold, width=block.size, height=block.size)
        elif isinstance(block, QR):
            canvas.image(qr_image(block.data, block.module), align="center")
            canvas.text_line("")
        elif isinstance(block, Rule):
            canvas.text_line("-" * (width_dots // CELL_WIDTH))
        else:
            for _ in range(block.lines):
                canvas.text_line("")
    canvas.cut()
    return canvas.result()


def ticket(payload: dict[str, Any]) -> Document:
    """The queue ticket, from the snapshot taken at check-in."""
    zone = ZoneInfo(payload["timezone"])
    issued = datetime.fromisoformat(payload["issued_at"])
    ahead = payload["ahead"]
    waiting = f"Menunggu sebelum Anda: {ahead} orang" + (f" (+/- {payload['wait_minutes']} menit)" if ahead else "")
    blocks: list[Block] = [
        Text(payload["office"].upper(), align="center", bold=True),
        Text(SUBTITLE, align="center"),
        Rule(),
        Text("NOMOR ANTREAN", align="center"),
        Text(payload["number"], align="center", bold=True, size=4),
    ]
    if payload["priority"]:
        blocks.append(Text("** LAYANAN PRIORITAS **", align="center", bold=True))
    blocks += [
        Text(f"{long_date(issued, zone)}, {clock_time(issued, zone)}", align="center"),
        Rule(),
        Text(f"Topik : {payload['topic']}"),
    ]
    if payload["party"]:
        blocks.append(Text(f"Partai: {payload['party']}"))
    blocks += [
        Text(waiting),
        QR(payload["url"]),
        Text("Pindai kode QR untuk melihat status antrean di HP Anda.", align="center"),
        Text("Simpan tiket ini dan tunggu nomor Anda dipanggil.", align="center"),
        Feed(1),
    ]
    return Document(tuple(blocks))


def test_page(office: str, printer: str, public_url: str, now: datetime, zone_name: str) -> Document:
    """A page for `helpdesk printer test`: sizes, alignment and a QR code to the kiosk."""
    zone = ZoneInfo(zone_name)
    return Document(
        (
            Text(office.upper(), align="center", bold=True),
            Text("Halaman uji printer", align="center"),
            Rule(),
            Text(f"Printer: {printer}"),
            Text(f"{long_date(now, zone)}, {clock_time(now, zone)}"),
            Text("Kiri"),
            Text("Tengah", align="center"),
            Text("Kanan", align="right"),
            Text("Tebal", bold=True),
            Text("A-123", align="center", bold=True, size=4),
            QR(f"{public_url}/kiosk"),
            Text("Jika halaman ini terbaca, printer siap.", align="center"),
        )
    )


DOCUMENTS = {"ticket": ticket}
