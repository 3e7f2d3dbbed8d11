"""Printed documents: one layout description, rendered to ESC/POS bytes or to a PNG preview."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from escpos.capabilities import CAPABILITIES
from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy
from PIL import Image

from printers.canvas import Canvas
from shared.dates import clock_time, long_date
from shared.i18n import LANGUAGES, N_, SOURCE_LANGUAGE, Nn_, translate, translate_plural
from shared.qr import qr_image, qr_matrix

Align = Literal["left", "center", "right"]
CELL_WIDTH = 12  # dots per character in the printer's font A
# Blank characters kept left and right of everything printed: 3 mm, so nothing runs to the paper's edge.
MARGIN = 2
NBSP = "\u00a0"  # a space the wrapping never breaks at: "3 orang", "25 menit" stay on one line
# Where a paragraph too long for one line breaks first: after a sentence ("Anda berikutnya. | Silakan ...").
SENTENCE_END = re.compile(r"(?<=[a-z][.!?]) +(?=[A-Z])")
TEST_PAGE_LANGUAGE = "id"  # the printer test page is for staff; tickets are printed in the visitor's language
# Long labels on 58 mm paper leave a value column that breaks dates and numbers into scraps; narrower than this,
# each label gets a line of its own with its value indented beneath it.
NARROWEST_VALUES = 16
# Three dots, not "…": python-escpos sends "…" to a 58 mm POS-5890 after ESC t 25, a table Epson's numbering (and so
# the emulator) lacks, and it prints as "à"; ASCII prints alike on every printer and in the preview.
ELLIPSIS = "..."
# Where an answer's first sentence ends: a capital must follow, so "PKPU No. 4 Tahun 2022" stays whole.
SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")

SUBTITLE = N_("Helpdesk Pendaftaran dan Verifikasi Partai Politik")
YOUR_NUMBER = N_("Nomor antrean Anda")
PRIORITY = N_("Layanan prioritas")
TOPIC = N_("Topik")
PARTY = N_("Partai")
WAITING = N_("Menunggu sebelum Anda")
PEOPLE = Nn_("%(num)d orang", "%(num)d orang")
ABOUT_MINUTES = Nn_("perkiraan %(num)d menit", "perkiraan %(num)d menit")  # the kiosk's ticket screen says so too
YOU_ARE_NEXT = N_("Anda berikutnya. Silakan tunggu dipanggil.")
SCAN = N_("Pindai kode QR ini dengan HP Anda untuk melihat status antrean.")
KEEP = N_("Simpan tiket ini dan tunggu nomor Anda dipanggil.")
RECEIPT_TITLE = N_("TANDA TERIMA LAPORAN HELPDESK")
REPORT_NUMBER = N_("Nomor laporan")
DATE = N_("Tanggal")
VISITOR = N_("Pengunjung")
OFFICER = N_("Petugas")
PROBLEMS = N_("Permasalahan")
NO_PROBLEMS = N_("Tidak ada permasalahan yang dicatat.")
SCAN_RECEIPT = N_("Laporan lengkap dan bukti keasliannya: pindai kode QR ini.")
DOWNLOAD = N_("PDF laporan dapat diunduh untuk waktu terbatas.")


@dataclass(frozen=True)
class Text:
    """A paragraph, wrapped inside the margins before either renderer sees it.

    Given as phrases, it prints them on one line joined by `joiner` where they fit, else each on lines of its own.
    """

    text: str | tuple[str, ...]
    align: Align = "left"
    bold: bool = False
    size: int = 1  # character width and height multiplier, 1-8
    invert: bool = False  # white on black
    joiner: str = " "


@dataclass(frozen=True)
class Fields:
    """Labelled values: the labels padded to one width, each value wrapped in the column to their right.

    A value given as phrases is joined by `joiner` where they fit, as a Text's is. Where that column would be
    narrower than NARROWEST_VALUES, each value goes on the lines under its label instead.
    """

    rows: tuple[tuple[str, str | tuple[str, ...]], ...]
    joiner: str = ", "


@dataclass(frozen=True)
class Numbered:
    """A numbered list: each title in bold after its number, a summary under it; both cut with an ellipsis if long.

    The numbers are right-aligned, so every title and summary wraps in one column to their right.
    """

    items: tuple[tuple[str, str], ...]
    title_lines: int = 4
    summary_lines: int = 2


@dataclass(frozen=True)
class QR:
    """A QR code, centred; module is the size of one square in dots, made smaller if the code would not fit."""

    data: str
    module: int = 8


@dataclass(frozen=True)
class Rule:
    """A dashed line between the margins."""


@dataclass(frozen=True)
class Feed:
    """Blank lines."""

    lines: int = 1


Block = Text | Fields | Numbered | QR | Rule | Feed


@dataclass(frozen=True)
class Document:
    """A printout: blocks from top to bottom, then a cut."""

    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Line:
    """One printed line of text, margins included: both renderers print exactly these."""

    text: str
    align: Align = "left"
    bold: bool = False
    size: int = 1
    invert: bool = False


class EscposSink(Protocol):
    """The part of python-escpos's printer API a document is written with."""

    def set(self, **kwargs: Any) -> None: ...
    def textln(self, txt: str = "") -> None: ...
    def qr(self, content: str, **kwargs: Any) -> None: ...
    def image(self, img_source: Image.Image, **kwargs: Any) -> None: ...
    def ln(self, count: int = 1) -> None: ...
    def cut(self, mode: str = "FULL", feed: bool = True) -> None: ...


def columns(width_dots: int) -> int:
    """Characters of font A that fit between the margins (44 on 80 mm paper, 28 on 58 mm)."""
    return max(1, width_dots // CELL_WIDTH - 2 * MARGIN)


def lines(block: Text | Fields | Numbered | Rule | Feed, width_dots: int) -> list[Line]:
    """The lines a block prints on paper width_dots wide."""
    if isinstance(block, Text):
        return _text_lines(block, columns(width_dots))
    if isinstance(block, Fields):
        return _field_lines(block, columns(width_dots))
    if isinstance(block, Numbered):
        return _numbered_lines(block, columns(width_dots))
    if isinstance(block, Rule):
        return [Line(" " * MARGIN + "-" * columns(width_dots))]
    return [Line("")] * block.lines


def _text_lines(block: Text, width: int) -> list[Line]:
    # White on black gets a space each side, so the black band reaches past the first and last letter.
    pad = " " if block.invert else ""
    phrases = (block.text,) if isinstance(block.text, str) else block.text
    # Big text too wide for the paper (a long ticket number on 58 mm) is printed smaller rather than broken up.
    longest = max((len(word) for phrase in phrases for word in phrase.split(" ")), default=0)
    size = block.size
    while size > 1 and longest > width // size - 2 * len(pad):
        size -= 1
    fitted = _fill(phrases, block.joiner, max(1, width // size - 2 * len(pad)), balanced=block.align == "center")
    before, after = {"left": (" " * MARGIN, ""), "center": ("", ""), "right": ("", " " * MARGIN)}[block.align]
    return [Line(f"{before}{pad}{text}{pad}{after}", block.align, block.bold, size, block.invert) for text in fitted]


def _field_lines(block: Fields, width: int) -> list[Line]:
    label_width = max((len(label) for label, _ in block.rows), default=0)
    stacked = width - label_width - len(" : ") < NARROWEST_VALUES
    result = []
    for label, value in block.rows:
        phrases = (value,) if isinstance(value, str) else value
        if stacked:
            labels = _fill((label,), " ", max(1, width - 1), balanced=True)
            values = _fill(phrases, block.joiner, max(1, width - 2), balanced=True)
            result += [Line(" " * MARGIN + line + ":") for line in labels]
            result += [Line(" " * (MARGIN + 2) + line) for line in values]
            continue
        head = " " * MARGIN + f"{label:<{label_width}} : "
        first, *rest = _fill(phrases, block.joiner, max(1, width + MARGIN - len(head)), balanced=True)
        result.append(Line(head + first))
        result += [Line(" " * len(head) + more) for more in rest]
    return result


def _numbered_lines(block: Numbered, width: int) -> list[Line]:
    number_width = len(f"{len(block.items)}.")
    indent = " " * (MARGIN + number_width + 1)
    column = max(1, width + MARGIN - len(indent))
    result = []
    for number, (title, summary) in enumerate(block.items, start=1):
        first, *rest = _cut(title, column, block.title_lines)
        result.append(Line(" " * MARGIN + f"{f'{number}.':>{number_width}} " + first, bold=True))
        result += [Line(indent + more, bold=True) for more in rest]
        result += [Line(indent + line) for line in _cut(summary, column, block.summary_lines) if line]
    return result


def _cut(text: str, width: int, most: int) -> list[str]:
    """Text on at most `most` lines of width characters, the last ending in an ellipsis if the rest was left off."""
    wrapped = _fill((text,), " ", width, balanced=False)
    if len(wrapped) <= most:
        return _fill((text,), " ", width, balanced=True)
    last = wrapped[most - 1]
    while len(last) + len(ELLIPSIS) > width and " " in last:
        last = last.rsplit(" ", 1)[0]  # leave off a whole word where there is one to leave
    return [*wrapped[: most - 1], last[: max(0, width - len(ELLIPSIS))].rstrip(" ,;:.") + ELLIPSIS]


def _fill(phrases: tuple[str, ...], joiner: str, width: int, balanced: bool) -> list[str]:
    """Lines of at most width characters; a phrase, or a sentence, goes on the line before only if all of it fits."""
    filled: list[str] = []
    for phrase in phrases:
        for index, part in enumerate(SENTENCE_END.split(phrase)):
            glue = " " if index else joiner
            if filled and len(filled[-1]) + len(glue) + len(part) <= width:
                filled[-1] += glue + part
            else:
                filled += _words(part, width, balanced)
    return [line.replace(NBSP, " ") for line in filled] or [""]


def _words(text: str, width: int, balanced: bool) -> list[str]:
    """Word-wrapped lines; balanced evens them out over the same number of lines, so no word is left alone."""
    wrapped = textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]
    words = [word for word in text.split(" ") if word]
    if not balanced or len(wrapped) < 2 or max(map(len, words)) > width:
        return wrapped

    @cache
    def even(start: int, count: int) -> tuple[int, tuple[str, ...]] | None:
        """The least sum of squared gaps setting words[start:] on exactly count lines, and those lines."""
        if start == len(words) or count == 0:
            return (0, ()) if start == len(words) and count == 0 else None
        options = []
        for end in range(start + 1, len(words) + 1):
            line = " ".join(words[start:end])
            if len(line) > width:
                break
            if (rest := even(end, count - 1)) is not None:
                options.append(((width - len(line)) ** 2 + rest[0], (line, *rest[1])))
        return min(options, default=None)

    best = even(0, len(wrapped))
    return list(best[1]) if best else wrapped


def keep_together(text: str) -> str:
    """Text that is never broken across lines, such as a number and its unit."""
    return text.replace(" ", NBSP)


def qr_module(block: QR, width_dots: int) -> int:
    """Dots per square: the block's own, or fewer so the code and its quiet zone fit between the margins."""
    squares = len(qr_matrix(block.data)) + 2
    return max(1, min(block.module, (width_dots - 2 * MARGIN * CELL_WIDTH) // squares))


def write_escpos(document: Document, printer: EscposSink, width_dots: int, native_qr: bool = False) -> None:
    """Write a document to a python-escpos printer object."""
    style: tuple[Align, bool, int, bool] | None = None
    for block in document.blocks:
        if isinstance(block, QR):
            style = None
            printer.set(align="center", normal_textsize=True, bold=False, invert=False)
            module = qr_module(block, width_dots)
            if native_qr:
                printer.qr(block.data, size=module, native=True, ec=QR_ECLEVEL_M)
            else:
                printer.image(qr_image(block.data, module), center=True)
            printer.ln()
            continue
        for line in lines(block, width_dots):
            if style != (line.align, line.bold, line.size, line.invert):
                style = (line.align, line.bold, line.size, line.invert)
                printer.set(
                    align=line.align,
                    bold=line.bold,
                    width=line.size,
                    height=line.size,
                    custom_size=line.size > 1,
                    normal_textsize=line.size == 1,
                    invert=line.invert,
                )
            printer.textln(line.text)
    printer.set(align="left", normal_textsize=True, bold=False, invert=False)
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
        if isinstance(block, QR):
            canvas.image(qr_image(block.data, qr_module(block, width_dots)), align="center")
            canvas.text_line("")
            continue
        for line in lines(block, width_dots):
            canvas.text_line(
                line.text, align=line.align, bold=line.bold, width=line.size, height=line.size, invert=line.invert
            )
    canvas.cut()
    return canvas.result()


def ticket(payload: dict[str, Any]) -> Document:
    """The queue ticket, from the snapshot taken at check-in, in the language the visitor used the kiosk in."""
    lang = payload.get("language", SOURCE_LANGUAGE)  # jobs queued before tickets had a language are Indonesian
    lang = lang if lang in LANGUAGES else SOURCE_LANGUAGE
    zone = ZoneInfo(payload["timezone"])
    issued = datetime.fromisoformat(payload["issued_at"])
    fields = [(translate(TOPIC, lang), payload["topic"])]
    if payload["party"]:
        fields.append((translate(PARTY, lang), payload["party"]))
    blocks: list[Block] = [
        Text(payload["office"].upper(), align="center", bold=True),
        Text(translate(SUBTITLE, lang), align="center"),
        Rule(),
        Text(translate(YOUR_NUMBER, lang), align="center"),
        Text(payload["number"], align="center", bold=True, size=4),
    ]
    if payload["priority"]:
        blocks.append(Text(translate(PRIORITY, lang).upper(), align="center", bold=True, invert=True))
    blocks += [
        Text((long_date(issued, zone, lang), clock_time(issued, zone, lang)), align="center", joiner=", "),
        Rule(),
        Fields(tuple(fields)),
        Rule(),
        *_waiting(payload["ahead"], payload["wait_minutes"], lang),
        Feed(1),  # the code's one-square border alone is too thin a quiet zone for some phone cameras
        QR(payload["url"]),
        Text(translate(SCAN, lang), align="center"),
        Feed(1),
        Text(translate(KEEP, lang), align="center"),
        Feed(1),
    ]
    return Document(tuple(blocks))


def _waiting(ahead: int, minutes: int, lang: str) -> list[Block]:
    """The kiosk's ticket screen in print: who waits before the visitor and for about how long."""
    if not ahead:
        return [Text(translate(YOU_ARE_NEXT, lang), align="center", bold=True)]
    people = translate_plural(PEOPLE, ahead, lang) % {"num": ahead}
    about = translate_plural(ABOUT_MINUTES, minutes, lang) % {"num": minutes}
    return [
        Text((f"{translate(WAITING, lang)}:", keep_together(people)), align="center", bold=True),
        Text(keep_together(about), align="center"),
    ]


def receipt(payload: dict[str, Any]) -> Document:
    """The receipt the visitor signs for, in their language: who, when, the problems in one line each, and a QR code."""
    lang = payload["language"] if payload.get("language") in LANGUAGES else SOURCE_LANGUAGE
    zone = ZoneInfo(payload["timezone"])
    signed = datetime.fromisoformat(payload["signed_at"])
    fields: list[tuple[str, str | tuple[str, ...]]] = [
        (translate(REPORT_NUMBER, lang), _plain(payload["number"])),
        (translate(DATE, lang), (long_date(signed, zone, lang), keep_together(clock_time(signed, zone, lang)))),
        (translate(VISITOR, lang), _plain(payload["visitor"])),
    ]
    if payload.get("party"):
        fields.append((translate(PARTY, lang), _plain(payload["party"])))
    fields.append((translate(OFFICER, lang), _plain(payload["officer"])))
    problems = tuple((_plain(p["topic"]), _first_sentence(p["answer"])) for p in payload["problems"])
    return Document(
        (
            Text(_plain(payload["office"]).upper(), align="center", bold=True),
            Text(translate(RECEIPT_TITLE, lang), align="center"),
            Rule(),
            Fields(tuple(fields)),
            Rule(),
            Text(translate(PROBLEMS, lang).upper(), bold=True),
            Numbered(problems) if problems else Text(translate(NO_PROBLEMS, lang)),
            Rule(),
            Text(translate(SCAN_RECEIPT, lang), align="center"),
            Feed(1),  # the quiet zone, as on the ticket
            QR(payload["url"]),
            Text(translate(DOWNLOAD, lang), align="center"),
            Feed(1),
        )
    )


def _plain(text: str | None) -> str:
    """Text typed at a desk on one line: line breaks and control characters, which a printer would obey, as spaces."""
    return " ".join("".join(char if char.isprintable() else " " for char in text or "").split())


def _first_sentence(answer: str | None) -> str:
    """An answer's first line, and of that its first sentence: the receipt lists answers, the report holds them."""
    first_line = next((line for line in (answer or "").splitlines() if line.strip()), "")
    return _plain(SENTENCE.split(first_line.strip(), maxsplit=1)[0])


def test_page(office: str, printer: str, public_url: str, now: datetime, zone_name: str) -> Document:
    """A page for `helpdesk printer test`: sizes, alignment and a QR code to the kiosk."""
    zone = ZoneInfo(zone_name)
    return Document(
        (
            Text(office.upper(), align="center", bold=True),
            Text("Halaman uji printer", align="center"),
            Rule(),
            Text(f"Printer: {printer}"),
            Text((long_date(now, zone, TEST_PAGE_LANGUAGE), clock_time(now, zone, TEST_PAGE_LANGUAGE)), joiner=", "),
            Text("Kiri"),
            Text("Tengah", align="center"),
            Text("Kanan", align="right"),
            Text("Tebal", bold=True),
            Text("A-123", align="center", bold=True, size=4),
            QR(f"{public_url}/kiosk"),
            Text("Jika halaman ini terbaca, printer siap.", align="center"),
        )
    )


DOCUMENTS = {"ticket": ticket, "receipt": receipt}
