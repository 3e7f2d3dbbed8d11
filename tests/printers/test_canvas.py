"""The virtual thermal paper: line geometry, wrapping, images, cuts and the font fallback."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import qrcode
import zxingcpp
from PIL import Image, ImageOps

from printers import fonts
from printers.canvas import LINE_SPACING, Canvas, Span


def ink_box(img: Image.Image) -> tuple[int, int, int, int]:
    box = ImageOps.invert(img.convert("L")).getbbox()
    assert box is not None, "nothing was printed"
    return box


def ink(img: Image.Image) -> int:
    return img.convert("L").histogram()[0]


def line(text: str, **style: object) -> Image.Image:
    canvas = Canvas()
    canvas.text_line(text, **style)  # type: ignore[arg-type]
    return canvas.result()


def test_blank_paper_is_one_white_dot_tall() -> None:
    strip = Canvas(384).result()
    assert (strip.mode, strip.size) == ("L", (384, 1))
    assert ink(strip) == 0


def test_a_normal_line_takes_the_printers_line_spacing() -> None:
    canvas = Canvas()
    canvas.text_line("Antrean A-012")
    canvas.text_line("")
    assert canvas.result().height == 2 * LINE_SPACING


def test_taller_characters_push_the_paper_further() -> None:
    assert line("A", height=2).height == 48
    assert line("A", height=8).height == 192


def test_alignment_places_the_text() -> None:
    left, _, right, _ = ink_box(line("NOMOR ANTREAN", align="center"))
    assert abs((left + right) / 2 - 288) <= 3
    assert ink_box(line("X", align="right"))[2] >= 576 - 3
    assert ink_box(line("X", align="left"))[0] <= 3


def test_long_text_wraps_per_character_like_a_printer() -> None:
    assert line("x" * 48).height == LINE_SPACING
    assert line("x" * 49).height == 2 * LINE_SPACING
    # Double width halves the characters per line.
    assert line("x" * 25, width=2).height == 2 * LINE_SPACING


def test_double_size_doubles_the_glyphs() -> None:
    normal = ink_box(line("HELPDESK"))
    double = ink_box(line("HELPDESK", width=2, height=2))
    assert (double[2] - double[0]) == pytest.approx(2 * (normal[2] - normal[0]), abs=2)
    assert (double[3] - double[1]) == pytest.approx(2 * (normal[3] - normal[1]), abs=2)


def test_bold_underline_and_invert_change_the_ink() -> None:
    plain = line("Pindah memilih")
    assert ink(line("Pindah memilih", bold=True)) > ink(plain) * 1.2
    underlined = line("Pindah memilih", underline=True)
    assert ink(underlined) > ink(plain)
    left, _, right, bottom = ink_box(underlined)
    assert right - left >= 14 * 12 - 2  # the underline runs under every character cell
    inverted = line("Pindah memilih", invert=True)
    left, top, right, bottom = ink_box(inverted)
    assert ink(inverted.crop((left, top, right, bottom))) > 0.5 * (right - left) * (bottom - top)


def test_spans_mix_sizes_with_character_cells_bottom_aligned() -> None:
    canvas = Canvas()
    canvas.text_spans([Span("Loket "), Span("3", width=2, height=2, bold=True)])
    strip = canvas.result()
    assert strip.height == 48
    small = ink_box(strip.crop((0, 0, 6 * 12, 48)))
    big = ink_box(strip.crop((6 * 12, 0, 6 * 12 + 24, 48)))
    assert small[1] >= 24 > big[1]  # the normal-size cell sits in the lower half of the tall line


def test_image_is_pasted_aligned_and_cropped_at_the_paper_edge() -> None:
    canvas = Canvas(200)
    canvas.image(Image.new("L", (100, 10), 0), align="center")
    canvas.image(Image.new("RGB", (300, 5), "black"))
    transparent = Image.new("RGBA", (50, 7), (0, 0, 0, 0))
    canvas.image(transparent, align="right")
    strip = canvas.result()
    assert strip.size == (200, 22)
    assert ink_box(strip.crop((0, 0, 200, 10))) == (50, 0, 150, 10)
    assert ink_box(strip.crop((0, 10, 200, 15))) == (0, 0, 200, 5)
    assert ink(strip.crop((0, 15, 200, 22))) == 0  # transparency prints as paper


def test_a_pasted_qr_code_stays_scannable() -> None:
    code = qrcode.QRCode(box_size=6, border=4)
    code.add_data("https://helpdesk.example/antrean/A-012")
    canvas = Canvas()
    canvas.image(code.make_image().get_image(), align="center")
    assert [r.text for r in zxingcpp.read_barcodes(canvas.result())] == ["https://helpdesk.example/antrean/A-012"]


def test_feed_and_cut_advance_the_paper() -> None:
    canvas = Canvas()
    canvas.feed(40)
    assert canvas.result().height == 40
    canvas.cut()
    strip = canvas.result()
    cut_row = strip.crop((0, 40, 576, strip.height))
    assert 0 < ink(cut_row) < 576  # dashed, not solid
    assert ink(strip.crop((0, 0, 576, 40))) == 0


def test_bad_arguments_are_refused() -> None:
    canvas = Canvas()
    with pytest.raises(ValueError):
        canvas.text_line("x", align="justify")
    with pytest.raises(ValueError):
        canvas.text_line("x", width=9)
    with pytest.raises(ValueError):
        canvas.feed(-1)


def test_missing_font_files_fall_back_to_pillows_font(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(fonts.FONT_DIR_ENV, str(tmp_path))
    fonts.mono_font.cache_clear()
    try:
        face = fonts.mono_font(20)
        assert face.getbbox("A") is not None
    finally:
        fonts.mono_font.cache_clear()


def test_the_npm_font_is_used_when_present() -> None:
    assert fonts.mono_font(20).getname()[0] == "DejaVu Sans Mono"
    assert fonts.mono_font(20, bold=True).getname() == ("DejaVu Sans Mono", "Bold")


def test_a_ticket_renders_in_milliseconds() -> None:
    code = qrcode.QRCode(box_size=8, border=1)
    code.add_data("https://helpdesk.example/antrean/A-012")
    qr_image = code.make_image().get_image()
    Canvas().text_line("warm the glyph cache ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789")
    started = time.perf_counter()
    for _ in range(10):
        canvas = Canvas()
        for index in range(15):
            canvas.text_line(f"Baris {index}: layanan informasi pemilih", align="center", bold=index == 0)
        canvas.image(qr_image, align="center")
        canvas.result()
    assert (time.perf_counter() - started) / 10 < 0.05
