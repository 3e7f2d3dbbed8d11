"""A strip of virtual thermal paper that prints text and images the way an ESC/POS printer does."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from printers.fonts import mono_font

PAPER = 255
INK = 0
# TM-T20II default line feed is 3.75 mm, i.e. 30 dots at 203 dpi.
LINE_SPACING = 30
CUT_ADVANCE = 16
# Character cell (width, height) in dots before scaling; font B is the printer's condensed font.
FONT_CELLS = {"a": (12, 24), "b": (9, 17)}
ALIGNS = ("left", "center", "right")


@dataclass(frozen=True)
class Span:
    """A run of characters printed in one style."""

    text: str
    bold: bool = False
    width: int = 1
    height: int = 1
    underline: int = 0  # thickness in dots, 0-2, like ESC - n
    invert: bool = False
    font: str = "a"

    def __post_init__(self) -> None:
        if not (1 <= self.width <= 8 and 1 <= self.height <= 8):
            raise ValueError(f"character size must be 1..8, got {self.width}x{self.height}")
        if self.font not in FONT_CELLS:
            raise ValueError(f"unknown font {self.font!r}")

    @property
    def cell(self) -> tuple[int, int]:
        """Size in dots of one character after scaling."""
        cell_w, cell_h = FONT_CELLS[self.font]
        return cell_w * self.width, cell_h * self.height


class Canvas:
    """A strip of thermal paper that grows downward as lines are printed."""

    def __init__(self, width_dots: int = 576) -> None:
        if width_dots < 1:
            raise ValueError("width_dots must be positive")
        self.width_dots = width_dots
        self._rows: list[Image.Image] = []
        self._height = 0

    @property
    def height(self) -> int:
        """Dots of paper printed or fed so far."""
        return self._height

    def text_line(
        self,
        text: str,
        *,
        align: str = "left",
        bold: bool = False,
        width: int = 1,
        height: int = 1,
        underline: bool = False,
        invert: bool = False,
    ) -> None:
        """Print one line of font-A text, wrapping at the paper edge; "" feeds one line."""
        span = Span(text, bold=bold, width=width, height=height, underline=int(underline), invert=invert)
        self.text_spans([span], align=align)

    def text_spans(self, spans: Sequence[Span], *, align: str = "left") -> None:
        """Print one line mixing styles (as a printer's line buffer can), wrapping at the paper edge."""
        if align not in ALIGNS:
            raise ValueError(f"align must be one of {ALIGNS}, got {align!r}")
        chars = [(char, span) for span in spans for char in span.text]
        if not chars:
            self.feed(LINE_SPACING)
            return
        # Printers wrap per character, not per word: a full buffer is printed as is.
        row: list[tuple[str, Span]] = []
        row_width = 0
        for char, span in chars:
            char_width = span.cell[0]
            if row and row_width + char_width > self.width_dots:
                self._print_row(row, row_width, align)
                row, row_width = [], 0
            row.append((char, span))
            row_width += char_width
        self._print_row(row, row_width, align)

    def image(self, img: Image.Image, *, align: str = "left") -> None:
        """Print a raster image in black and white, cropped at the paper edge."""
        if align not in ALIGNS:
            raise ValueError(f"align must be one of {ALIGNS}, got {align!r}")
        if img.width == 0 or img.height == 0:
            return
        if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
            flat = Image.new("RGBA", img.size, "white")
            flat.alpha_composite(img.convert("RGBA"))
            img = flat
        dots = img.convert("L").convert("1")
        if dots.width > self.width_dots:
            dots = dots.crop((0, 0, self.width_dots, dots.height))
        row = Image.new("L", (self.width_dots, dots.height), PAPER)
        row.paste(dots, (self._offset(dots.width, align), 0))
        self._append(row)

    def feed(self, dots: int) -> None:
        """Advance the paper by blank dots."""
        if dots < 0:
            raise ValueError("cannot feed backwards")
        if dots:
            self._append(Image.new("L", (self.width_dots, dots), PAPER))

    def cut(self) -> None:
        """Mark a paper cut with a dashed line across the strip."""
        row = Image.new("L", (self.width_dots, CUT_ADVANCE), PAPER)
        draw = ImageDraw.Draw(row)
        middle = CUT_ADVANCE // 2
        for x in range(0, self.width_dots, 8):
            draw.line([(x, middle), (x + 3, middle)], fill=INK)
        self._append(row)

    def result(self) -> Image.Image:
        """The printed strip so far: mode "L", black on white, at least 1 dot tall."""
        strip = Image.new("L", (self.width_dots, max(1, self._height)), PAPER)
        y = 0
        for row in self._rows:
            strip.paste(row, (0, y))
            y += row.height
        return strip

    def _append(self, row: Image.Image) -> None:
        self._rows.append(row)
        self._height += row.height

    def _offset(self, content_width: int, align: str) -> int:
        free = max(0, self.width_dots - content_width)
        return {"left": 0, "center": free // 2, "right": free}[align]

    def _print_row(self, row: list[tuple[str, Span]], row_width: int, align: str) -> None:
        cell_height = max(span.cell[1] for _, span in row)
        # A line taller than the line spacing pushes the paper by its own height, as on a TM printer.
        line = Image.new("L", (self.width_dots, max(LINE_SPACING, cell_height)), PAPER)
        x = self._offset(row_width, align)
        for span, group in itertools.groupby(row, key=lambda item: item[1]):
            run = _render_run("".join(char for char, _ in group), span)
            # Mixed sizes share a baseline: cells are bottom-aligned.
            line.paste(run, (x, cell_height - run.height))
            x += run.width
        self._append(line)


def _render_run(text: str, span: Span) -> Image.Image:
    """Render text at 1x from cached glyphs, then scale it up blockily like printer firmware does."""
    cell_w, cell_h = FONT_CELLS[span.font]
    strip = Image.new("1", (cell_w * len(text), cell_h), 1)
    for index, char in enumerate(text):
        strip.paste(_glyph(char, span.bold, span.font), (index * cell_w, 0))
    if span.width > 1 or span.height > 1:
        strip = strip.resize((strip.width * span.width, strip.height * span.height), Image.Resampling.NEAREST)
    run = strip.convert("L")
    if span.invert:
        run = run.point(lambda value: PAPER - value)
    elif span.underline:
        # Epson prints no underline on white/black reversed characters, and never scales its thickness.
        draw = ImageDraw.Draw(run)
        draw.rectangle([(0, run.height - span.underline), (run.width - 1, run.height - 1)], fill=INK)
    return run


@functools.lru_cache(maxsize=4096)
def _glyph(char: str, bold: bool, font: str) -> Image.Image:
    """One character drawn without anti-aliasing and centred in its 1x cell."""
    cell_w, cell_h = FONT_CELLS[font]
    cell = Image.new("1", (cell_w, cell_h), 1)
    if not char.isprintable() or char.isspace():
        return cell
    face = _face(font, bold)
    ascent, descent = face.getmetrics()
    draw = ImageDraw.Draw(cell)
    draw.text(((cell_w - face.getlength(char)) / 2, (cell_h - ascent - descent) / 2), char, font=face, fill=0)
    return cell


@functools.lru_cache(maxsize=8)
def _face(font: str, bold: bool) -> ImageFont.FreeTypeFont:
    """The largest font size whose line height and advance fit the printer's character cell."""
    cell_w, cell_h = FONT_CELLS[font]
    for size in range(cell_h, 5, -1):
        face = mono_font(size, bold)
        ascent, descent = face.getmetrics()
        if ascent + descent <= cell_h and face.getlength("M") <= cell_w + 0.5:
            return face
    return mono_font(6, bold)
