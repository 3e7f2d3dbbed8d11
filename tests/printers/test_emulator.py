"""The ESC/POS emulator: what python-escpos sends must come out on virtual paper as a printer would print it."""

from __future__ import annotations

import random
import socket
import struct
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from escpos.printer import Dummy, Network
from PIL import Image, ImageChops, ImageOps

from printers import emulator
from printers.canvas import LINE_SPACING, Canvas, Span
from printers.emulator import Emulator, render, serve

URL = "https://helpdesk.example/antrean/A-012?kantor=kpu-kota-bandung"


def dummy() -> Dummy:
    return Dummy(profile="TM-T20II")


def only_page(printer: Dummy) -> Image.Image:
    pages = render(printer.output)
    assert len(pages) == 1
    return pages[0]


def ink_box(img: Image.Image) -> tuple[int, int, int, int]:
    box = ImageOps.invert(img).getbbox()
    assert box is not None, "nothing was printed"
    return box


def ink(img: Image.Image) -> int:
    return img.histogram()[0]


def same_image(a: Image.Image, b: Image.Image) -> bool:
    return a.size == b.size and ImageChops.difference(a, b).getbbox() is None


def decoded(img: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(img)]


# -- text ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("align", ["left", "center", "right"])
def test_alignment_positions_the_line(align: str) -> None:
    printer = dummy()
    printer.set(align=align)
    printer.textln("SELAMAT DATANG")
    left, _, right, _ = ink_box(only_page(printer))
    expected = {"left": left <= 3, "center": abs((left + right) / 2 - 288) <= 3, "right": right >= 573}
    assert expected[align], (left, right)


def test_double_and_custom_sizes_scale_the_text() -> None:
    sizes = {}
    styles: dict[str, dict[str, Any]] = {
        "normal": {"normal_textsize": True},
        "double": {"double_width": True, "double_height": True},
        "triple": {"custom_size": True, "width": 3, "height": 3},
    }
    for name, style in styles.items():
        printer = dummy()
        printer.set(**style)
        printer.textln("A-012")
        left, top, right, bottom = ink_box(only_page(printer))
        sizes[name] = (right - left, bottom - top)
    normal_width, normal_height = sizes["normal"]
    assert sizes["double"][0] == pytest.approx(2 * normal_width, abs=2)
    assert sizes["double"][1] == pytest.approx(2 * normal_height, abs=2)
    assert sizes["triple"][1] == pytest.approx(3 * normal_height, abs=3)


def test_double_height_only_makes_text_taller_not_wider() -> None:
    printer = dummy()
    printer.set(double_height=True)
    printer.textln("LOKET")
    tall = ink_box(only_page(printer))
    printer = dummy()
    printer.textln("LOKET")
    normal = ink_box(only_page(printer))
    assert tall[2] - tall[0] == normal[2] - normal[0]
    assert tall[3] - tall[1] == pytest.approx(2 * (normal[3] - normal[1]), abs=2)


def test_bold_prints_more_ink() -> None:
    plain, bold = dummy(), dummy()
    plain.textln("Pindah memilih")
    bold.set(bold=True)
    bold.textln("Pindah memilih")
    assert ink(only_page(bold)) > 1.2 * ink(only_page(plain))


def test_text_matches_the_canvas_whatever_code_pages_were_switched() -> None:
    # python-escpos switches code pages mid-line (ESC t) for these; one of them is ESC t 13, a CR byte.
    text = "Pemilih: Ünïcødé café €5 ñ ş ı"
    printer = dummy()
    printer.textln(text)
    assert b"\x1bt" in printer.output
    canvas = Canvas()
    canvas.text_line(text)
    assert same_image(only_page(printer), canvas.result())


def test_styles_can_change_within_a_line() -> None:
    printer = dummy()
    printer.set(bold=True)
    printer.text("Nomor: ")
    printer.set(bold=False, underline=1)
    printer.text("A-012")
    printer.set(underline=0, custom_size=True, width=2, height=2)
    printer.textln("!")
    canvas = Canvas()
    canvas.text_spans([Span("Nomor: ", bold=True), Span("A-012", underline=1), Span("!", width=2, height=2)])
    assert same_image(only_page(printer), canvas.result())


def test_font_b_invert_and_underline_reach_the_paper() -> None:
    printer = dummy()
    printer.set(font="b")
    printer.textln("x" * 64)  # font B fits 64 columns on 80 mm paper
    printer.set(font="a", invert=True)
    printer.textln("TUTUP")
    printer.set(invert=False, underline=2)
    printer.textln("garis")
    canvas = Canvas()
    canvas.text_spans([Span("x" * 64, font="b")])
    canvas.text_line("TUTUP", invert=True)
    canvas.text_spans([Span("garis", underline=2)])
    assert same_image(only_page(printer), canvas.result())


def test_alignment_changes_apply_from_the_next_line() -> None:
    printer = dummy()
    printer.text("kiri ")
    printer.set(align="right")
    printer.textln("juga kiri")
    printer.textln("kanan")
    page = only_page(printer)
    assert ink_box(page.crop((0, 0, 576, LINE_SPACING)))[0] <= 3
    assert ink_box(page.crop((0, LINE_SPACING, 576, 2 * LINE_SPACING)))[2] >= 573


def test_long_lines_wrap_and_each_row_is_aligned() -> None:
    printer = dummy()
    printer.set(align="center")
    printer.textln("x" * 48 + "y" * 10)
    page = only_page(printer)
    assert page.height == 2 * LINE_SPACING
    left, _, right, _ = ink_box(page.crop((0, LINE_SPACING, 576, 2 * LINE_SPACING)))
    assert abs((left + right) / 2 - 288) <= 3


def test_tabs_move_to_the_next_stop() -> None:
    printer = dummy()
    printer.control("HT")  # sets stops every 8 columns
    printer.textln("a\tb")
    canvas = Canvas()
    canvas.text_line("a       b")
    assert same_image(only_page(printer), canvas.result())


def test_commands_without_a_visible_effect_leave_no_stray_characters() -> None:
    printer = dummy()
    printer.hw("INIT")
    printer.hw("RESET")
    printer.line_spacing(30)
    printer.line_spacing()
    printer.cashdraw(2)
    printer.buzzer(3, 2)
    printer.panel_buttons(False)
    printer.target("ROLL")
    printer.set(density=3, smooth=True, flip=False)
    printer._raw(b"\x10\x04\x01")  # real-time status request
    printer.textln("hanya ini")
    canvas = Canvas()
    canvas.text_line("hanya ini")
    assert same_image(only_page(printer), canvas.result())


def test_text_for_a_line_display_does_not_print() -> None:
    printer = dummy()
    printer.linedisplay("Selamat datang")
    printer.textln("tiket")
    canvas = Canvas()
    canvas.text_line("tiket")
    assert same_image(only_page(printer), canvas.result())


# -- images and QR codes ------------------------------------------------------------------------------


def test_raster_qr_code_scans_back_to_the_url() -> None:
    printer = dummy()
    printer.qr(URL, size=8)
    assert decoded(only_page(printer)) == [URL]


def test_native_qr_code_is_drawn_at_the_requested_module_size() -> None:
    printer = dummy()
    printer.set(align="center")
    printer.qr(URL, native=True, size=8)
    page = only_page(printer)
    assert decoded(page) == [URL]
    left, top, right, bottom = ink_box(page)
    assert right - left == bottom - top
    assert (right - left) % 8 == 0 and ((right - left) // 8 - 21) % 4 == 0  # whole modules of a QR version
    assert abs((left + right) / 2 - 288) <= 4


def test_native_qr_code_follows_left_alignment_and_error_correction() -> None:
    low, high = dummy(), dummy()
    low.qr(URL, native=True, size=4)
    high.qr(URL, native=True, size=4, ec=3)  # QR_ECLEVEL_H needs a bigger symbol
    low_box, high_box = ink_box(only_page(low)), ink_box(only_page(high))
    assert low_box[0] == 0
    assert high_box[2] - high_box[0] > low_box[2] - low_box[0]


def test_tall_images_sent_in_fragments_print_seamlessly() -> None:
    printer = dummy()
    # Not image(center=True): python-escpos 3.1 then pads fragments with black. ESC a centres images too.
    printer.set(align="center")
    printer.image(Image.new("L", (200, 2100), 0))  # sent as 960 + 960 + 180 rows
    assert printer.output.count(b"\x1dv0") == 3
    page = only_page(printer)
    assert ink_box(page) == (188, 0, 388, 2100)
    assert ink(page) == 200 * 2100


def test_graphics_command_prints_like_the_raster_command() -> None:
    picture = Image.new("L", (120, 40), 255)
    picture.paste(0, (10, 5, 60, 30))
    raster, graphics = dummy(), dummy()
    raster.image(picture)
    graphics.image(picture, impl="graphics")
    assert same_image(only_page(raster), only_page(graphics))


def test_raster_scaling_modes() -> None:
    quadruple = b"\x1dv0\x03\x01\x00\x02\x00\xff\xff"  # 8x2 black, printed at double width and height
    left, top, right, bottom = ink_box(render(quadruple)[0])
    assert (right - left, bottom - top) == (16, 4)


def test_images_wider_than_the_paper_are_cut_off() -> None:
    printer = Dummy()  # no profile width, so python-escpos lets a too wide image through
    printer.image(Image.new("L", (800, 10), 0))
    page = only_page(printer)
    assert page.width == 576 and ink(page) == 576 * 10


# -- feeds, cuts and pages ----------------------------------------------------------------------------


def test_cuts_split_pages() -> None:
    printer = dummy()
    printer.textln("satu")
    printer.cut()
    printer.textln("dua")
    printer.cut(mode="PART")
    printer.cut(feed=False)  # nothing printed since the last cut: no blank page
    printer.textln("tiga")
    pages = render(printer.output)
    assert len(pages) == 3
    # cut() feeds 6 lines first so the text clears the cutter
    assert [page.height for page in pages] == [7 * LINE_SPACING, 7 * LINE_SPACING, LINE_SPACING]


def test_a_job_without_a_cut_is_one_page_and_an_empty_one_none() -> None:
    printer = dummy()
    printer.textln("tanpa potong")
    assert len(render(printer.output)) == 1
    assert render(b"") == []
    assert render(b"\x1b@\n\n\x1dV\x00") == []


def test_feeds_add_height() -> None:
    printer = dummy()
    printer.textln("x")
    printer.print_and_feed(3)
    printer.ln(2)
    printer.control("LF")
    printer._raw(b"\x1bJ\x64")  # ESC J 100: feed 100 dots
    printer.textln("y")
    page = only_page(printer)
    assert page.height == LINE_SPACING + 3 * LINE_SPACING + 3 * LINE_SPACING + 100 + LINE_SPACING
    assert ink_box(page)[3] > page.height - LINE_SPACING


def test_cut_with_feed_adds_the_feed() -> None:
    assert render(b"x\n\x1dVA\x50")[0].height == LINE_SPACING + 0x50


def test_random_bytes_never_crash_or_hang() -> None:
    rng = random.Random(20290214)
    # Command prefixes steer the noise into the parameter parsing paths.
    prefixes = b"\x1b \x1d \x1c \x10 \n \t \x1b! \x1b= \x1b* \x1b& \x1bD \x1cq".split(b" ")
    prefixes += b"\x1d(k \x1d(L \x1d8L \x1dv0 \x1dV \x1d! \x1dk".split(b" ")
    started = time.perf_counter()
    for _ in range(1500):
        parts = []
        for _ in range(rng.randint(0, 40)):
            if rng.random() < 0.5:
                parts.append(rng.choice(prefixes))
            parts.append(rng.randbytes(rng.randint(0, 12)))
        for page in render(b"".join(parts)):
            assert page.mode == "L" and page.width == 576 and page.height >= 1
    for _ in range(100):
        render(rng.randbytes(rng.randint(0, 3000)))
    assert time.perf_counter() - started < 6


def test_every_truncation_of_a_ticket_renders() -> None:
    printer = dummy()
    printer.set(align="center", bold=True, custom_size=True, width=2, height=2)
    printer.textln("A-012")
    printer.set(normal_textsize=True)
    printer.textln("Kantor KPU Kota Bandung · Ünïcødé")
    printer.qr(URL, native=True, size=6)
    printer.image(Image.new("L", (64, 16), 0))
    printer.cut()
    data = printer.output
    for end in range(len(data) + 1):
        render(data[:end])


# -- the network printer ------------------------------------------------------------------------------


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def wait_for_jobs(emu: Emulator, count: int) -> list[dict[str, Any]]:
    wait_until(lambda: len(emu.jobs()) >= count)
    return emu.jobs()


def print_ticket(port: int, number: str) -> None:
    printer = Network("127.0.0.1", port, timeout=5, profile="TM-T20II")
    printer.open()
    printer.set(align="center", double_width=True, double_height=True)
    printer.textln(number)
    printer.set(normal_textsize=True)
    printer.qr(URL, size=8, center=True)
    printer.cut()
    printer.close()


def ticket_bytes() -> bytes:
    printer = dummy()
    printer.textln("A-012")
    printer.qr(URL, size=8)
    printer.cut()
    return bytes(printer.output)


@pytest.fixture
def emu(tmp_path: Path) -> Any:
    with Emulator("127.0.0.1", 0, tmp_path / "printer") as running:
        yield running


def test_network_job_is_filed_as_bin_png_and_journal_line(emu: Emulator) -> None:
    before = time.time()
    print_ticket(emu.port, "A-012")
    (job,) = wait_for_jobs(emu, 1)
    assert job["job"] == 1 and job["pages"] == 1 and "error" not in job
    assert before <= job["first_byte_at"] <= job["last_byte_at"] <= time.time()
    assert datetime.fromisoformat(job["received_at"]).tzinfo == UTC
    assert job["peer"].startswith("127.0.0.1:")
    raw = (emu.out_dir / "job-0001.bin").read_bytes()
    assert len(raw) == job["bytes"]
    with Image.open(emu.out_dir / "job-0001.png") as png:
        assert decoded(png) == [URL]
    assert not list(emu.out_dir.glob("*.tmp")) and not list(emu.out_dir.glob(".*"))


def test_jobs_are_numbered_in_order(emu: Emulator) -> None:
    print_ticket(emu.port, "A-001")
    print_ticket(emu.port, "A-002")
    assert [job["job"] for job in wait_for_jobs(emu, 2)] == [1, 2]
    assert (emu.out_dir / "job-0002.png").exists()


def test_restarting_continues_the_numbering(tmp_path: Path) -> None:
    for expected in (1, 2):
        with Emulator("127.0.0.1", 0, tmp_path) as emu:
            print_ticket(emu.port, "A-003")
            assert wait_for_jobs(emu, expected)[-1]["job"] == expected
    assert sorted(path.name for path in tmp_path.glob("job-*")) == [
        "job-0001.bin", "job-0001.png", "job-0002.bin", "job-0002.png",
    ]  # fmt: skip


def test_a_job_with_several_cuts_files_one_png_per_page(emu: Emulator) -> None:
    with socket.create_connection(("127.0.0.1", emu.port)) as conn:
        conn.sendall(b"satu\n\x1dV\x00dua\n\x1dV\x01")
    assert wait_for_jobs(emu, 1)[0]["pages"] == 2
    assert (emu.out_dir / "job-0001-1.png").exists() and (emu.out_dir / "job-0001-2.png").exists()


def test_a_dropped_connection_still_files_the_partial_job(emu: Emulator) -> None:
    data = ticket_bytes()
    with socket.create_connection(("127.0.0.1", emu.port)) as conn:
        conn.sendall(data[: len(data) // 2])
    (job,) = wait_for_jobs(emu, 1)
    assert job["bytes"] == len(data) // 2 and "error" not in job
    # A reset instead of a clean close must not stop the printer either.
    conn = socket.create_connection(("127.0.0.1", emu.port))
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.sendall(data[:100])
    conn.close()
    with socket.create_connection(("127.0.0.1", emu.port)) as conn:
        conn.sendall(data)
    wait_until(lambda: emu.jobs()[-1]["bytes"] == len(data))
    assert emu.jobs()[-1]["pages"] == 1


def test_a_second_client_waits_until_the_first_has_finished(emu: Emulator) -> None:
    data = ticket_bytes()
    first = socket.create_connection(("127.0.0.1", emu.port))
    first.sendall(data[:50])
    with socket.create_connection(("127.0.0.1", emu.port)) as second:
        second.sendall(data)
    time.sleep(0.3)
    assert emu.jobs() == []
    first.sendall(data[50:])
    first.close()
    assert [job["bytes"] for job in wait_for_jobs(emu, 2)] == [len(data), len(data)]


def test_a_job_that_fails_to_render_is_still_recorded(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(data: bytes, width_dots: int = 576) -> list[Image.Image]:
        raise RuntimeError("boom")

    monkeypatch.setattr(emulator, "render", broken)
    with socket.create_connection(("127.0.0.1", emu.port)) as conn:
        conn.sendall(b"halo\n")
    (job,) = wait_for_jobs(emu, 1)
    assert job["pages"] == 0 and job["error"] == "RuntimeError: boom"
    assert (emu.out_dir / "job-0001.bin").read_bytes() == b"halo\n"


def test_serve_runs_in_the_foreground_until_stopped(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ready, stop = threading.Event(), threading.Event()
    thread = threading.Thread(target=serve, args=("127.0.0.1", port, tmp_path), kwargs={"ready": ready, "stop": stop})
    thread.start()
    try:
        assert ready.wait(5)
        print_ticket(port, "A-005")
        wait_until((tmp_path / "job-0001.png").exists)
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
    assert len((tmp_path / "jobs.jsonl").read_text().splitlines()) == 1
