"""A virtual ESC/POS network printer: interprets print jobs and files each one as .bin + .png.

Interpreted (everything python-escpos 3.1 sends for text, set(), images, QR codes, feeds and cuts):
  LF, FF (prints the line buffer), HT (default tab stops every 8 characters, or those set by ESC D),
  ESC @, ESC !, ESC -, ESC E, ESC G, ESC M, ESC a, ESC d, ESC J, ESC t, ESC =, ESC i, ESC m, ESC D,
  GS !, GS B, GS V (all functions), GS v 0 (raster image), GS ( k cn=49 (QR code model 2),
  GS ( L / GS 8 L functions 112 and 50 (store and print raster graphics),
  GS k (hardware barcode: printed as a "[barcode ...]" placeholder line).
Skipped by their length (bytes counted from the ESC/GS/FS/DLE prefix, parameters included):
  2: ESC 2, ESC <, ESC L, ESC S, ESC v, GS :, GS c, FS &, FS .
  3: ESC SP, ESC %, ESC ?, ESC +, ESC 3, ESC A, ESC R, ESC T, ESC U, ESC V, ESC e, ESC K, ESC r, ESC u, ESC {,
     GS /, GS E, GS H, GS I, GS T, GS a, GS b, GS f, GS h, GS r, GS w, GS |, FS !, FS -, FS C, FS W,
     DLE EOT n, DLE ENQ n
  4: ESC $, ESC \\, ESC B, ESC c x n, ESC f, GS $, GS \\, GS L, GS P, GS W, FS ?, FS S, FS p,
     DLE DC4 7 m
  5: ESC p, GS ^, GS z, DLE DC4 fn (other fn)      6: GS g      10: ESC W, DLE DC4 8
  76: FS 2
  variable: ESC & (user-defined characters), ESC * (column bit image), ESC ( x / GS ( x / FS ( x
     (5 + pL + pH*256), GS 8 x (7 + 4-byte length), GS * (4 + x*y*8), FS q (NV bit images)
Any other ESC/GS/FS x is taken as 2 bytes and any other control byte as 1, so a wrong guess can
print stray parameter bytes as text but can never stall the interpreter.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import json
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import qrcode
from PIL import Image
from qrcode.exceptions import DataOverflowError

from printers.canvas import FONT_CELLS, LINE_SPACING, Canvas, Span

log = logging.getLogger(__name__)

LF, HT, FF, DLE, ESC, FS, GS = 0x0A, 0x09, 0x0C, 0x10, 0x1B, 0x1C, 0x1D
DLE_EOT, GS_R = b"\x10\x04", b"\x1dr"  # status requests, answered when answers_status is set

# ESC t n table numbers are Epson's; only those with a Python codec are listed, others are ignored.
CODE_PAGES: dict[int, str] = {
    0: "cp437", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865", 13: "cp857", 14: "cp737",
    15: "iso8859_7", 16: "cp1252", 17: "cp866", 18: "cp852", 19: "cp858", 32: "cp720", 33: "cp775",
    34: "cp855", 35: "cp861", 36: "cp862", 37: "cp864", 38: "cp869", 39: "iso8859_2", 40: "iso8859_15",
    44: "cp1125", 45: "cp1250", 46: "cp1251", 47: "cp1253", 48: "cp1254", 49: "cp1255", 50: "cp1256",
    51: "cp1257", 52: "cp1258", 53: "kz1048",
}  # fmt: skip

_SKIP_ESC = {
    **dict.fromkeys(b"2<LSv", 2),
    **dict.fromkeys(b" %?+3ARTUVeKru{", 3),
    **dict.fromkeys(b"$\\Bcf", 4),
    ord("p"): 5,
    ord("W"): 10,
}
_SKIP_GS = {
    **dict.fromkeys(b":c", 2),
    **dict.fromkeys(b"/EHITabfhrw|", 3),
    **dict.fromkeys(b"$\\LPW", 4),
    **dict.fromkeys(b"^z", 5),
    ord("g"): 6,
}
_SKIP_FS = {
    **dict.fromkeys(b"&.", 2),
    **dict.fromkeys(b"!-CW", 3),
    **dict.fromkeys(b"?Sp", 4),
    ord("2"): 76,
}
# Text is taken in bounded runs so the paper budget below is checked often enough.
_TEXT = re.compile(rb"[\x20-\xff]{1,512}")
# 12.5 m of paper: far beyond any ticket, and it bounds the memory a garbage stream can claim.
MAX_JOB_DOTS = 100_000
_QR_EC = {
    48: qrcode.constants.ERROR_CORRECT_L,
    49: qrcode.constants.ERROR_CORRECT_M,
    50: qrcode.constants.ERROR_CORRECT_Q,
    51: qrcode.constants.ERROR_CORRECT_H,
}
_ALIGN = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}
_DEFAULT_TABS = tuple(range(8, 256, 8))


@dataclass(frozen=True)
class _Mode:
    """Character settings in force; each printed character keeps the ones it was received with."""

    bold: bool = False
    double_strike: bool = False
    underline: int = 0
    width: int = 1
    height: int = 1
    invert: bool = False
    font: str = "a"

    def span(self, text: str) -> Span:
        return Span(
            text,
            bold=self.bold or self.double_strike,
            width=self.width,
            height=self.height,
            underline=self.underline,
            invert=self.invert,
            font=self.font,
        )


class _Printer:
    """Interprets one job's byte stream onto paper, one Canvas per cut-off page."""

    def __init__(self, data: bytes, width_dots: int) -> None:
        self.data = data
        self.width_dots = width_dots
        self.pages: list[Image.Image] = []
        self.paged_dots = 0
        self.canvas = Canvas(width_dots)
        self.inked = False  # feeds alone don't make a page worth keeping
        self.enabled = True
        self._reset()
        esc: dict[int, Callable[[int], int]] = {
            ord("@"): self._esc_init,
            ord("!"): self._esc_print_mode,
            ord("-"): self._esc_underline,
            ord("E"): self._esc_bold,
            ord("G"): self._esc_double_strike,
            ord("M"): self._esc_font,
            ord("a"): self._esc_align,
            ord("d"): self._esc_feed_lines,
            ord("J"): self._esc_feed_dots,
            ord("t"): self._esc_code_page,
            ord("="): self._esc_select,
            ord("i"): self._esc_cut,
            ord("m"): self._esc_cut,
            ord("D"): self._esc_tabs,
            ord("&"): self._esc_user_chars,
            ord("*"): self._esc_bit_image,
            ord("("): self._skip_sized,
        }
        gs: dict[int, Callable[[int], int]] = {
            ord("!"): self._gs_size,
            ord("B"): self._gs_invert,
            ord("V"): self._gs_cut,
            ord("v"): self._gs_raster,
            ord("("): self._gs_sized,
            ord("8"): self._gs_sized_long,
            ord("*"): self._gs_downloaded_image,
            ord("k"): self._gs_barcode,
        }
        fs: dict[int, Callable[[int], int]] = {
            ord("("): self._skip_sized,
            ord("q"): self._fs_nv_images,
        }
        self._prefixed = {ESC: (esc, _SKIP_ESC), GS: (gs, _SKIP_GS), FS: (fs, _SKIP_FS)}

    def _reset(self) -> None:
        self.mode = _Mode()
        self.align = "left"
        self.line_align = "left"
        self.codec = "cp437"
        self.tabs = _DEFAULT_TABS
        self.line: list[Span] = []
        self.line_width = 0
        self.qr_module, self.qr_ec, self.qr_data = 3, qrcode.constants.ERROR_CORRECT_L, b""
        self.graphics: Image.Image | None = None

    def run(self) -> list[Image.Image]:
        pos, end = 0, len(self.data)
        while pos < end:
            if self.paged_dots + self.canvas.height > MAX_JOB_DOTS:
                log.warning("job exceeds %d dots of paper; the rest is not rendered", MAX_JOB_DOTS)
                break
            byte = self.data[pos]
            if not self.enabled:
                # A deselected printer (ESC = 2, e.g. a line display is addressed) ignores all but ESC =.
                pos = self._esc_select(pos) if self.data.startswith(b"\x1b=", pos) else pos + 1
            elif byte >= 0x20:
                match = _TEXT.match(self.data, pos)
                assert match is not None
                self._add_text(codecs.decode(match.group(), self.codec, errors="replace"))
                pos = match.end()
            else:
                pos = max(pos + 1, self._control(pos))
        if self.line:
            # A real printer would keep this in its buffer; showing it is more useful than hiding it.
            self._print_line()
        self._end_page()
        return self.pages

    def _control(self, pos: int) -> int:
        byte = self.data[pos]
        if byte == LF:
            self._print_line()
        elif byte == FF:
            if self.line:
                self._print_line()
        elif byte == HT:
            self._tab()
        elif byte in self._prefixed and pos + 1 < len(self.data):
            command = self.data[pos + 1]
            handlers, skips = self._prefixed[byte]
            if command in handlers:
                return handlers[command](pos)
            return pos + skips.get(command, 2)
        elif byte == DLE and pos + 1 < len(self.data):
            return pos + self._dle_length(pos)
        return pos + 1

    def _dle_length(self, pos: int) -> int:
        command = self.data[pos + 1]
        if command in (0x04, 0x05):  # DLE EOT n, DLE ENQ n: real-time status / request
            return 3
        if command == 0x14:  # DLE DC4 fn ...
            function = self._arg(pos + 2)
            return {7: 4, 8: 10}.get(function or 0, 5)
        return 1

    def _arg(self, index: int) -> int | None:
        return self.data[index] if index < len(self.data) else None

    def _word(self, index: int) -> int:
        """Little-endian 16-bit parameter (a truncated one only makes the caller skip to the end)."""
        return int.from_bytes(self.data[index : index + 2], "little")

    # -- text ---------------------------------------------------------------------------------------

    def _add_text(self, text: str) -> None:
        char_width = self.mode.span(" ").cell[0]
        while text:
            if not self.line:
                # ESC a only takes effect at the start of a line.
                self.line_align = self.align
            room = (self.width_dots - self.line_width) // char_width
            if room <= 0 and self.line:
                self._print_line()
                continue
            # Like the printer, a full line buffer is printed at once and filling goes on below it.
            taken = text[: max(1, room)]
            self.line.append(self.mode.span(taken))
            self.line_width += len(taken) * char_width
            text = text[len(taken) :]
            if text:
                self._print_line()

    def _print_line(self) -> None:
        if self.line:
            self.inked = True
        self.canvas.text_spans(self.line, align=self.line_align)
        self.line = []
        self.line_width = 0

    def _flush_line(self) -> None:
        """Print buffered text before something that starts on a fresh line (images, cuts, feeds)."""
        if self.line:
            self._print_line()

    def _tab(self) -> None:
        cell_width = self.mode.span(" ").cell[0]
        stop = next((n * FONT_CELLS["a"][0] for n in self.tabs if n * FONT_CELLS["a"][0] > self.line_width), None)
        if stop is not None and stop <= self.width_dots:
            self._add_text(" " * -(-(stop - self.line_width) // cell_width))

    # -- ESC commands -------------------------------------------------------------------------------

    def _esc_init(self, pos: int) -> int:
        self._reset()
        return pos + 2

    def _esc_print_mode(self, pos: int) -> int:
        n = self._arg(pos + 2)
        if n is not None:
            self.mode = replace(
                self.mode,
                font="b" if n & 0x01 else "a",
                bold=bool(n & 0x08),
                height=2 if n & 0x10 else 1,
                width=2 if n & 0x20 else 1,
                underline=1 if n & 0x80 else 0,
            )
        return pos + 3

    def _esc_underline(self, pos: int) -> int:
        n = self._arg(pos + 2)
        if n in (0, 1, 2, 48, 49, 50):
            self.mode = replace(self.mode, underline=n % 48)
        return pos + 3

    def _esc_bold(self, pos: int) -> int:
        n = self._arg(pos + 2)
        if n is not None:
            self.mode = replace(self.mode, bold=bool(n & 1))
        return pos + 3

    def _esc_double_strike(self, pos: int) -> int:
        n = self._arg(pos + 2)
        if n is not None:
            self.mode = replace(self.mode, double_strike=bool(n & 1))
        return pos + 3

    def _esc_font(self, pos: int) -> int:
        n = self._arg(pos + 2)
        if n in (0, 48):
            self.mode = replace(self.mode, font="a")
        elif n in (1, 49):
            self.mode = replace(self.mode, font="b")
        return pos + 3

    def _esc_align(self, pos: int) -> int:
        n = self._arg(pos + 2)
        if n in _ALIGN:
            self.align = _ALIGN[n]
        return pos + 3

    def _esc_feed_lines(self, pos: int) -> int:
        lines = self._arg(pos + 2) or 0
        if self.line:
            self._print_line()
            lines -= 1
        self.canvas.feed(max(0, lines) * LINE_SPACING)
        return pos + 3

    def _esc_feed_dots(self, pos: int) -> int:
        dots = self._arg(pos + 2) or 0
        if self.line:
            self._print_line()
            dots -= LINE_SPACING
        self.canvas.feed(max(0, dots))
        return pos + 3

    def _esc_code_page(self, pos: int) -> int:
        n = self._arg(pos + 2)
        if n in CODE_PAGES:
            self.codec = CODE_PAGES[n]
        return pos + 3

    def _esc_select(self, pos: int) -> int:
        n = self._arg(pos + 2)
        if n is not None:
            self.enabled = bool(n & 1)
        return pos + 3

    def _esc_cut(self, pos: int) -> int:
        self._cut(0)
        return pos + 2

    def _esc_tabs(self, pos: int) -> int:
        # ESC D n1 ... nk NUL, at most 32 ascending positions; an empty list clears all tab stops.
        stops: list[int] = []
        index = pos + 2
        while index < len(self.data) and len(stops) < 32 and self.data[index] != 0:
            if stops and self.data[index] <= stops[-1]:
                break
            stops.append(self.data[index])
            index += 1
        self.tabs = tuple(stops)
        return index + 1 if self._arg(index) == 0 else index

    def _esc_user_chars(self, pos: int) -> int:
        # ESC & y c1 c2 [x d1 ... d(y*x)] for each character c1..c2
        y, first, last = (self._arg(pos + i) or 0 for i in (2, 3, 4))
        index = pos + 5
        for _ in range(max(0, last - first + 1)):
            columns = self._arg(index)
            if columns is None:
                break
            index += 1 + y * columns
        return index

    def _esc_bit_image(self, pos: int) -> int:
        # ESC * m nL nH d1 ... dk: k columns of 1 byte (8-dot modes) or 3 bytes (24-dot modes)
        mode = self._arg(pos + 2) or 0
        columns = self._word(pos + 3)
        return pos + 5 + columns * (3 if mode in (32, 33) else 1)

    def _skip_sized(self, pos: int) -> int:
        # ESC ( x pL pH ..., FS ( x pL pH ...
        return pos + 5 + self._word(pos + 3)

    # -- GS commands --------------------------------------------------------------------------------

    def _gs_size(self, pos: int) -> int:
        n = self._arg(pos + 2)
        if n is not None:
            self.mode = replace(self.mode, width=(n >> 4 & 7) + 1, height=(n & 7) + 1)
        return pos + 3

    def _gs_invert(self, pos: int) -> int:
        n = self._arg(pos + 2)
        if n is not None:
            self.mode = replace(self.mode, invert=bool(n & 1))
        return pos + 3

    def _gs_cut(self, pos: int) -> int:
        # GS V m (m = 0, 1, 48, 49) cuts; GS V m n (m = 65, 66, 97, 98, 103, 104) feeds n dots first.
        m = self._arg(pos + 2)
        if m in (65, 66, 97, 98, 103, 104):
            self._cut(self._arg(pos + 3) or 0)
            return pos + 4
        self._cut(0)
        return pos + 3

    def _gs_raster(self, pos: int) -> int:
        # GS v 0 m xL xH yL yH d1 ... dk, k = x bytes per row * y rows
        if self._arg(pos + 2) != ord("0"):
            return pos + 2
        scale = self._arg(pos + 3) or 0
        row_bytes, rows = self._word(pos + 4), self._word(pos + 6)
        start = pos + 8
        self._print_raster(self.data[start : start + row_bytes * rows], row_bytes, scale & 1, scale & 2)
        return start + row_bytes * rows

    def _gs_sized(self, pos: int) -> int:
        # GS ( x pL pH cn fn ...
        size = self._word(pos + 3)
        body = self.data[pos + 5 : pos + 5 + size]
        function = self._arg(pos + 2)
        if function == ord("k"):
            self._qr(body)
        elif function == ord("L"):
            self._graphics(body)
        return pos + 5 + size

    def _gs_sized_long(self, pos: int) -> int:
        # GS 8 x p1 p2 p3 p4 ...: the 32-bit-length twin of GS ( x
        size = int.from_bytes(self.data[pos + 3 : pos + 7], "little")
        if self._arg(pos + 2) == ord("L"):
            self._graphics(self.data[pos + 7 : pos + 7 + size])
        return pos + 7 + size

    def _gs_downloaded_image(self, pos: int) -> int:
        # GS * x y d1 ... d(x*y*8)
        x, y = self._arg(pos + 2) or 0, self._arg(pos + 3) or 0
        return pos + 4 + x * y * 8

    def _gs_barcode(self, pos: int) -> int:
        # GS k m d1 ... dk NUL (m <= 6) or GS k m n d1 ... dn (m >= 65)
        kind = self._arg(pos + 2)
        if kind is None:
            return pos + 3
        if kind <= 6:
            nul = self.data.find(b"\x00", pos + 3)
            end = len(self.data) if nul < 0 else nul
            payload, after = self.data[pos + 3 : end], end + 1
        else:
            length = self._arg(pos + 3) or 0
            payload, after = self.data[pos + 4 : pos + 4 + length], pos + 4 + length
        # No barcode renderer here; a labelled placeholder keeps its place on the ticket visible.
        self._flush_line()
        self._add_text(f"[barcode {payload[:64].decode('latin-1')}]")
        self._flush_line()
        return after

    # -- FS commands --------------------------------------------------------------------------------

    def _fs_nv_images(self, pos: int) -> int:
        # FS q n [xL xH yL yH d1 ... d(x*y*8)] repeated n times
        count = self._arg(pos + 2) or 0
        index = pos + 3
        for _ in range(count):
            if index >= len(self.data):
                break
            index += 4 + self._word(index) * self._word(index + 2) * 8
        return index

    # -- images, QR codes, cuts ---------------------------------------------------------------------

    def _print_raster(self, bits: bytes, row_bytes: int, double_width: int, double_height: int) -> None:
        """Print row-major 1-bit data (1 = black); rows cut short by the end of the stream are dropped."""
        rows = len(bits) // row_bytes if row_bytes else 0
        if not rows:
            return
        # Anything right of the paper is cut off anyway; trimming first bounds the work on garbage input.
        visible = min(row_bytes, -(-self.width_dots // 8))
        img = Image.frombytes("1", (row_bytes * 8, rows), bits[: row_bytes * rows], "raw", "1;I")
        img = img.crop((0, 0, visible * 8, rows))
        if double_width or double_height:
            size = (img.width * (2 if double_width else 1), rows * (2 if double_height else 1))
            img = img.resize(size, Image.Resampling.NEAREST)
        self._flush_line()
        self.canvas.image(img, align=self.align)
        self.inked = True

    def _graphics(self, body: bytes) -> None:
        # m fn [a bx by c xL xH yL yH d1 ... dk]: fn 112 stores a raster graphic, fn 50 prints it.
        if len(body) < 2:
            return
        function = body[1]
        if function == 112 and len(body) >= 10:
            scale_x, scale_y = body[3], body[4]
            width, height = int.from_bytes(body[6:8], "little"), int.from_bytes(body[8:10], "little")
            row_bytes = -(-width // 8)
            rows = min(height, len(body[10:]) // row_bytes) if row_bytes else 0
            self.graphics = None
            if rows:
                img = Image.frombytes("1", (row_bytes * 8, rows), body[10 : 10 + row_bytes * rows], "raw", "1;I")
                img = img.crop((0, 0, min(width, self.width_dots), rows))
                size = (img.width * (2 if scale_x == 2 else 1), rows * (2 if scale_y == 2 else 1))
                self.graphics = img.resize(size, Image.Resampling.NEAREST)
        elif function in (2, 50) and self.graphics is not None:
            self._flush_line()
            self.canvas.image(self.graphics, align=self.align)
            self.inked = True

    def _qr(self, body: bytes) -> None:
        # cn fn [parameters]; only cn = 49 (QR code) is drawn.
        if len(body) < 3 or body[0] != 49:
            return
        function, params = body[1], body[2:]
        if function == 67 and 1 <= params[0] <= 16:
            self.qr_module = params[0]
        elif function == 69 and params[0] in _QR_EC:
            self.qr_ec = _QR_EC[params[0]]
        elif function == 80:
            self.qr_data = params[1:]
        elif function == 81 and self.qr_data:
            symbol = _qr_symbol(self.qr_data, self.qr_ec)
            if symbol is None:
                return  # the printer silently prints nothing for data that does not fit
            size = symbol.width * self.qr_module
            self._flush_line()
            self.canvas.image(symbol.resize((size, size), Image.Resampling.NEAREST), align=self.align)
            self.inked = True

    def _cut(self, feed_dots: int) -> None:
        self._flush_line()
        self.canvas.feed(feed_dots)
        self._end_page()

    def _end_page(self) -> None:
        if self.inked:
            self.pages.append(self.canvas.result())
            self.paged_dots += self.canvas.height
        self.canvas = Canvas(self.width_dots)
        self.inked = False


@functools.lru_cache(maxsize=16)
def _qr_symbol(data: bytes, error_correction: int) -> Image.Image | None:
    """A model 2 QR symbol, one dot per module, or None if the data does not fit."""
    code = qrcode.QRCode(error_correction=error_correction, box_size=1, border=0)
    code.add_data(data)
    try:
        code.make(fit=True)
    except DataOverflowError:
        return None
    matrix = code.get_matrix()
    # Printers add no quiet zone: the sender has to leave room, e.g. by centring the symbol.
    symbol = Image.new("1", (len(matrix), len(matrix)), 1)
    symbol.putdata([0 if dark else 1 for row in matrix for dark in row])
    return symbol


def render(data: bytes, width_dots: int = 576) -> list[Image.Image]:
    """Interpret an ESC/POS byte stream; one image per page, pages being split at paper cuts."""
    return _Printer(data, width_dots).run()


# -- network printer ------------------------------------------------------------------------------

_JOB_FILE = re.compile(r"job-(\d+)(?:-\d+)?\.(?:bin|png)$")


class Emulator:
    """A virtual network printer on a TCP port; each connection is one job filed in out_dir."""

    def __init__(
        self,
        host: str,
        port: int,
        out_dir: Path,
        width_dots: int = 576,
        pictures: bool = True,
        *,
        answers_status: bool = False,
        linger: float = 0.0,
    ) -> None:
        self.host = host
        self.out_dir = Path(out_dir)
        self.width_dots = width_dots
        self.pictures = pictures  # off for load tests: the raw bytes and the journal only
        # Like many real printers, answer DLE EOT n and GS r n; otherwise stay silent, like many cheap ones.
        self.answers_status = answers_status
        self.paper = "ok"  # what the paper sensors report: "ok", "low" or "out"
        self.offline = False  # cover open: DLE EOT 1 reports the printer offline
        self.linger = linger  # seconds to keep the connection open after the job, as some firmware does
        self._requested_port = port
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def port(self) -> int:
        """The port actually listened on (useful when constructed with port 0)."""
        if self._listener is None:
            raise RuntimeError("emulator is not listening")
        return int(self._listener.getsockname()[1])

    def listen(self) -> None:
        """Bind and listen without serving yet."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        listener = socket.create_server((self.host, self._requested_port), backlog=8)
        # A short accept timeout lets the serving loop notice stop requests.
        listener.settimeout(0.2)
        self._listener = listener
        log.info("printer emulator listening on %s:%d, filing jobs in %s", self.host, self.port, self.out_dir)

    def start(self) -> None:
        """Listen and serve in a background thread; returns once connections are accepted."""
        self.listen()
        self._thread = threading.Thread(target=self.serve_forever, name="printer-emulator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving (a job in progress is filed as received so far) and close the port."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.close()

    def close(self) -> None:
        """Close the listening socket."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def serve_forever(self, stop: threading.Event | None = None) -> None:
        """Handle one connection at a time, like a real printer, until stop() or `stop` is set."""
        if self._listener is None:
            raise RuntimeError("call listen() first")

        def stopping() -> bool:
            return self._stopping.is_set() or (stop is not None and stop.is_set())

        while not stopping():
            try:
                conn, peer = self._listener.accept()
            except TimeoutError:
                continue
            with conn:
                job = self._receive_job(conn, stopping)
            # Filed after closing, as a printer hangs up once it has the bytes, not once the paper is out.
            if job is not None:
                try:
                    self._file_job(*job, peer=f"{peer[0]}:{peer[1]}")
                except OSError:
                    log.exception("could not file the job from %s:%s", *peer[:2])

    def jobs(self) -> list[dict[str, Any]]:
        """The job records filed so far, oldest first."""
        try:
            text = (self.out_dir / "jobs.jsonl").read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        # A line still being appended has no newline yet.
        complete = text[: text.rfind("\n") + 1]
        return [json.loads(line) for line in complete.splitlines() if line.strip()]

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _receive_job(
        self, conn: socket.socket, stopping: Callable[[], bool]
    ) -> tuple[bytes, float, float, float] | None:
        """Read until the client closes: the data, accept time, first and last byte times; None if nothing came."""
        accepted_at = time.time()
        conn.settimeout(0.2)
        chunks: list[bytes] = []
        first_byte_at = last_byte_at = 0.0
        status = _StatusRequests()
        while not stopping():
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break  # reset by the peer: keep what arrived
            if not chunk:
                self._linger(conn, stopping)
                break
            last_byte_at = time.time()
            first_byte_at = first_byte_at or last_byte_at
            chunks.append(chunk)
            requests = status.feed(chunk)
            if self.answers_status:
                with contextlib.suppress(OSError):
                    conn.sendall(b"".join(self._status_byte(request) for request in requests))
        if not chunks or status.requests_only:
            return None  # nothing, or only questions: nothing to print
        return b"".join(chunks), accepted_at, first_byte_at, last_byte_at

    def _linger(self, conn: socket.socket, stopping: Callable[[], bool]) -> None:
        """Keep the connection open a while after the job, as some printers' firmware does."""
        started = time.monotonic()
        while time.monotonic() - started < self.linger and not stopping():  # linger may be shortened meanwhile
            time.sleep(0.05)

    def _status_byte(self, request: bytes) -> bytes:
        """The answer to DLE EOT n (real-time status) or GS r n (status once the data before it is processed)."""
        low, out = self.paper in ("low", "out"), self.paper == "out"
        if request[0] == GS:
            return bytes([(0x03 if low else 0) | (0x0C if out else 0)])
        kind = request[2]
        if kind == 1:
            return bytes([0x12 | (0x08 if self.offline or out else 0)])
        if kind == 4:
            return bytes([0x12 | (0x0C if low else 0) | (0x60 if out else 0)])
        return b"\x12"

    def _file_job(self, data: bytes, accepted_at: float, first: float, last: float, *, peer: str) -> None:
        number = self._next_job_number()
        stem = f"job-{number:04d}"
        record: dict[str, Any] = {
            "job": number,
            "bytes": len(data),
            "pages": 0,
            "received_at": datetime.fromtimestamp(accepted_at, UTC).isoformat(),  # connection accepted
            "first_byte_at": first,
            "last_byte_at": last,
            "peer": peer,
        }
        _write_atomically(self.out_dir / f"{stem}.bin", data)
        if self.pictures:
            self._draw_pages(stem, data, record)
        # Appended last so a reader that sees the line also finds the job's files.
        with open(self.out_dir / "jobs.jsonl", "a", encoding="utf-8") as journal:
            journal.write(json.dumps(record) + "\n")
        log.info("job %d: %d bytes from %s, %d page(s)", number, len(data), peer, record["pages"])

    def _draw_pages(self, stem: str, data: bytes, record: dict[str, Any]) -> None:
        try:
            pages = render(data, self.width_dots)
            for index, page in enumerate(pages, start=1):
                name = f"{stem}.png" if len(pages) == 1 else f"{stem}-{index}.png"
                _save_png_atomically(self.out_dir / name, page)
            record["pages"] = len(pages)
        except Exception as exc:  # a bad job must not take the printer down
            log.exception("job %s could not be rendered", stem)
            record["error"] = f"{type(exc).__name__}: {exc}"

    def _next_job_number(self) -> int:
        # Derived from the folder each time so a restarted emulator never overwrites earlier jobs.
        numbers = [int(m.group(1)) for p in self.out_dir.iterdir() if (m := _JOB_FILE.match(p.name))]
        return max(numbers, default=0) + 1


class _StatusRequests:
    """Finds status requests at the end of what has arrived: a client asking for status waits for the answer
    before it sends more, so a request is the last thing received (bytes inside image data are mistaken for
    one only if a chunk happens to end with them)."""

    def __init__(self) -> None:
        self._tail = b""  # the last bytes received, for a request split across two chunks
        self._received = 0  # bytes received in all
        self._answered_to = 0  # requests before this position were answered already
        self._request_bytes = 0

    def feed(self, chunk: bytes) -> list[bytes]:
        """The requests, in order, that end the stream once this chunk has arrived."""
        self._received += len(chunk)
        data = self._tail + chunk
        offset = self._received - len(data)  # the stream position of data[0]
        found: list[bytes] = []
        end = len(data)
        while end >= 3 and offset + end - 3 >= self._answered_to and data[end - 3 : end - 1] in (DLE_EOT, GS_R):
            found.append(data[end - 3 : end])
            end -= 3
        if found:
            self._answered_to = self._received
            self._request_bytes += 3 * len(found)
        self._tail = data[-8:]
        return found[::-1]

    @property
    def requests_only(self) -> bool:
        """Whether everything received so far was status requests (answered or not)."""
        return self._received > 0 and self._request_bytes == self._received


def _write_atomically(path: Path, data: bytes) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_bytes(data)
    os.replace(temp, path)


def _save_png_atomically(path: Path, image: Image.Image) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    image.save(temp, format="PNG")
    os.replace(temp, path)


def serve(
    host: str,
    port: int,
    out_dir: Path,
    *,
    width_dots: int = 576,
    pictures: bool = True,
    ready: threading.Event | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Run the printer emulator in the foreground until `stop` is set or Ctrl-C."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    emulator = Emulator(host, port, out_dir, width_dots, pictures)
    emulator.listen()
    if ready is not None:
        ready.set()
    try:
        emulator.serve_forever(stop)
    except KeyboardInterrupt:
        log.info("printer emulator stopped")
    finally:
        emulator.close()
