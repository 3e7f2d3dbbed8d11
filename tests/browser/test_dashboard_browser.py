"""The officers' dashboard in Chromium on a touch-capable desk PC: sizes, marking absent, the scanner's card, live state."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from shared import calling
from shared.calling import Actor
from shared.db import make_engine, make_sessionmaker
from shared.models import Role, User, Visit
from tests.browser.conftest import PUSHED, add_officer, sign_in_at_desk
from tests.conftest import LiveServer, check_in_over_http

DESK_SCREENS = ((1366, 768), (1920, 1080))
# Every control on screen narrower or lower than a fingertip (44 CSS px), with what it says.
SMALL_CONTROLS = """() => Array.from(document.querySelectorAll("button, select, input, textarea, a.btn"))
  .filter((el) => el.type !== "hidden" && el.checkVisibility())
  .map((el) => ({control: (el.textContent || el.name || el.id).trim().slice(0, 40), box: el.getBoundingClientRect()}))
  .filter(({box}) => box.height < 44 || box.width < 44)
  .map(({control, box}) => `${control}: ${Math.round(box.width)}x${Math.round(box.height)}`)"""
ROOT_FONT = "parseFloat(getComputedStyle(document.documentElement).fontSize)"
TEXT_ON_SCREEN = "parseFloat(getComputedStyle(document.querySelector('#my-desk dd')).fontSize) * devicePixelRatio"
# How far apart two buttons of the officer's desk are, across or down (negative when they overlap both ways).
BUTTONS_APART = """([first, second]) => {
  const box = (text) => [...document.querySelectorAll("#my-desk button")]
    .find((button) => button.textContent.trim() === text).getBoundingClientRect();
  const [a, b] = [box(first), box(second)];
  return Math.max(b.top - a.bottom, a.top - b.bottom, b.left - a.right, a.left - b.right);
}"""
# Records any use of the browser's own confirm box, which the dashboard must not need.
WATCH_CONFIRM = (
    "window.__confirms = []; window.confirm = (question) => { window.__confirms.push(question); return true; };"
)


@pytest.fixture
def server(staffed_server: LiveServer) -> LiveServer:
    """A server of its own with an officer account and three visitors waiting (A-001 to A-003)."""
    for _ in range(3):
        check_in_over_http(staffed_server)
    return staffed_server


@pytest.fixture
def desk_pc(touch_screens: Any) -> Any:
    """Opens touch-capable desk PC pages that record the questions asked with window.confirm."""

    def open_page(width: int = 1366, height: int = 768, **options: Any) -> Page:
        page = touch_screens(width, height, **options)
        page.context.add_init_script(WATCH_CONFIRM)
        return page  # type: ignore[no-any-return]

    return open_page


def absent_earlier(server: LiveServer, number: int) -> None:
    """A visitor called to Meja 1 by another officer and marked absent, before the test's pages open."""
    add_officer(server, "agustinus", "Agustinus Lake")
    sessions = make_sessionmaker(make_engine(f"sqlite:///{server.database}"))
    with sessions() as session:
        officer = session.scalars(select(User.id).where(User.username == "agustinus")).one()
        visit_id = session.scalars(select(Visit.id).where(Visit.seq == number)).one()
        now = datetime.now(UTC)
        calling.call_ticket(session, visit_id, 1, officer, now)
        calling.mark_no_show(session, visit_id, Actor(officer, Role.OFFICER, 1), now)


def token(server: LiveServer, number: int) -> str:
    """The status-page token printed on a ticket's QR code."""
    sessions = make_sessionmaker(make_engine(f"sqlite:///{server.database}"))
    with sessions() as session:
        return str(session.scalars(select(Visit.token).where(Visit.seq == number)).one())


def scan(page: Page, server: LiveServer, number: int) -> None:
    """A USB scanner reads a ticket's QR code into the scan box and presses Enter."""
    page.locator("#scan").fill(f"{server.url}/t/{token(server, number)}")
    page.locator("#scan").press("Enter")


def test_controls_fit_a_finger_and_text_follows_the_window_the_text_size_setting_and_zoom(
    desk_pc: Any, server: LiveServer
) -> None:
    absent_earlier(server, 3)
    root_font = {}
    for width, height in DESK_SCREENS:
        page = desk_pc(width, height)
        sign_in_at_desk(page, server, "Meja 2")
        if width == DESK_SCREENS[0][0]:
            page.get_by_role("button", name="Panggil berikutnya").click()
        expect(page.locator("#my-desk")).to_contain_text("A-001")
        scan(page, server, 2)
        expect(page.locator("#scan-result")).to_contain_text("A-002")
        expect(page.locator("#board")).to_contain_text("A-002")
        assert page.evaluate(SMALL_CONTROLS) == [], f"at {width}x{height}"
        page.get_by_role("button", name="Tidak hadir", exact=True).click()
        expect(page.get_by_role("dialog")).to_be_visible()  # its buttons too
        assert page.evaluate(SMALL_CONTROLS) == [], f"the question at {width}x{height}"
        page.get_by_role("dialog").get_by_role("button", name="Batal").click()
        root_font[width] = page.evaluate(ROOT_FONT)
    assert root_font[1366] >= 16 and root_font[1920] > root_font[1366], root_font  # the wide screen's text is larger

    # Text is sized in rem: the browser's own text size setting still counts...
    page = desk_pc(1920, 1080)
    sign_in_at_desk(page, server, "Meja 2")
    expect(page.locator("#my-desk dd").first).to_be_visible()
    plain = page.evaluate(TEXT_ON_SCREEN)
    page.context.new_cdp_session(page).send("Page.setFontSizes", {"fontSizes": {"standard": 24, "fixed": 20}})
    page.reload()
    expect(page.locator("#my-desk dd").first).to_be_visible()
    assert page.evaluate(TEXT_ON_SCREEN) > plain * 1.2
    # ...and so does zooming in: 150 % on the same 1920 px screen is a 1280 px wide page at 1.5 device pixels.
    zoomed = desk_pc(1280, 720, device_scale_factor=1.5)
    sign_in_at_desk(zoomed, server, "Meja 2")
    expect(zoomed.locator("#my-desk dd").first).to_be_visible()
    assert zoomed.evaluate(TEXT_ON_SCREEN) > plain * 1.2
    assert "user-scalable=no" not in (zoomed.locator("meta[name=viewport]").get_attribute("content") or "")


def test_absent_asks_in_the_page_keeps_the_visitor_listed_and_can_be_undone_or_called_again(
    desk_pc: Any, server: LiveServer
) -> None:
    page = desk_pc()
    sign_in_at_desk(page, server, "Meja 2")
    page.get_by_role("button", name="Panggil berikutnya").click()
    desk, flash = page.locator("#my-desk"), page.locator("#flash")
    expect(desk).to_contain_text("A-001")

    # Read in one go: the live stream may redraw the desk at any moment.
    apart = page.evaluate(BUTTONS_APART, ["Panggil ulang", "Tidak hadir"])
    assert apart >= 44, f"'Tidak hadir' is {apart:.0f} px from 'Panggil ulang'"
    absent = page.get_by_role("button", name="Tidak hadir", exact=True)

    # It asks first, in the page, with the safe answer focused; saying no changes nothing.
    absent.click()
    question = page.get_by_role("dialog", name="Tandai A-001 tidak hadir?")
    expect(question).to_be_visible()
    expect(question).to_contain_text("Jika pengunjung datang kemudian, panggil lagi dari daftar itu.")
    expect(question.get_by_role("button", name="Batal")).to_be_focused()
    page.keyboard.press("Escape")
    expect(question).to_be_hidden()
    expect(desk).to_contain_text("Dipanggil, menunggu pengunjung datang")

    absent.click()
    question.get_by_role("button", name="Ya, tidak hadir").click()
    expect(desk).to_contain_text("Belum ada pengunjung di meja ini.")
    absent_list = page.get_by_role("region", name="Tidak hadir hari ini")
    expect(absent_list).to_contain_text("A-001", timeout=PUSHED)

    # Undo, right after: the visitor is called at this desk again and leaves the absent list.
    expect(flash).to_contain_text("A-001 ditandai tidak hadir.")
    flash.get_by_role("button", name="Batalkan").click()
    expect(desk).to_contain_text("A-001")
    expect(desk).to_contain_text("Dipanggil, menunggu pengunjung datang")
    expect(flash).to_be_empty()
    expect(absent_list).not_to_contain_text("A-001", timeout=PUSHED)

    # Absent again, and back later: any officer calls them again from the list.
    page.get_by_role("button", name="Tidak hadir", exact=True).click()
    question.get_by_role("button", name="Ya, tidak hadir").click()
    expect(desk).to_contain_text("Belum ada pengunjung di meja ini.")
    absent_list.get_by_role("button", name="Panggil lagi A-001").click()
    expect(desk).to_contain_text("A-001")
    expect(absent_list).not_to_contain_text("A-001", timeout=PUSHED)
    assert page.evaluate("window.__confirms") == []


def test_a_scanned_ticket_has_a_card_of_its_own_that_closes(desk_pc: Any, server: LiveServer) -> None:
    page = desk_pc()
    sign_in_at_desk(page, server, "Meja 2")
    page.get_by_role("button", name="Panggil berikutnya").click()
    my_desk = page.get_by_role("region", name="Meja saya Meja 2")
    expect(my_desk).to_contain_text("A-001")

    scan(page, server, 2)
    card = page.get_by_role("region", name="Tiket dipindai: A-002")
    expect(card).to_be_visible()
    expect(page.locator("#scan")).to_have_value("")
    look = "el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).borderTopColor]"
    assert card.evaluate(look) != my_desk.evaluate(look)  # the two cards do not look alike
    card.get_by_role("button", name="Tutup").click()
    expect(card).to_be_hidden()
    expect(page.locator("#scan")).to_be_focused()

    # A step taken on the scanned ticket closes its card; the visitor is then on "Meja saya".
    my_desk.get_by_role("button", name="Mulai layanan").click()
    expect(page.get_by_role("heading", name="Konsultasi A-001")).to_be_visible()  # the workspace opens
    page.get_by_role("link", name="Kembali ke meja saya").click()
    my_desk.get_by_role("button", name="Selesai", exact=True).click()
    scan(page, server, 2)
    card.get_by_role("button", name="Panggil ke meja saya").click()
    expect(card).to_be_hidden()
    expect(my_desk).to_contain_text("A-002")


def test_at_1366x768_the_whole_desk_fits_beside_a_scanned_ticket_and_the_transfer_unfolds(
    desk_pc: Any, server: LiveServer
) -> None:
    page = desk_pc(1366, 768)
    sign_in_at_desk(page, server, "Meja 2")
    page.get_by_role("button", name="Panggil berikutnya").tap()
    scan(page, server, 2)
    expect(page.get_by_role("region", name="Tiket dipindai: A-002")).to_be_visible()
    my_desk = page.get_by_role("region", name="Meja saya Meja 2")
    absent = my_desk.get_by_role("button", name="Tidak hadir", exact=True)
    assert absent.evaluate("el => el.getBoundingClientRect().bottom") <= 768  # no scrolling to reach any step

    transfer_to = my_desk.get_by_label("Pindahkan ke")
    expect(transfer_to).to_be_hidden()
    my_desk.get_by_text("Pindahkan…").tap()
    transfer_to.select_option(label="Meja 1")
    my_desk.get_by_role("button", name="Pindahkan", exact=True).tap()
    expect(my_desk).not_to_contain_text("A-001")


def test_the_header_shows_plainly_whether_live_updates_arrive(desk_pc: Any, server: LiveServer) -> None:
    page = desk_pc()
    sign_in_at_desk(page, server, "Meja 2")
    live = page.get_by_role("banner").get_by_role("status")
    expect(live).to_have_text("Tersambung ke server", use_inner_text=True)
    connected = live.evaluate("el => getComputedStyle(el).backgroundColor")

    server.process.terminate()  # the server stops: the screen no longer follows the queue
    server.process.wait(20)
    expect(live).to_contain_text("Koneksi terputus", use_inner_text=True, timeout=PUSHED)
    expect(live).to_contain_text("layar tidak diperbarui", use_inner_text=True)
    assert live.evaluate("el => getComputedStyle(el).backgroundColor") != connected


def test_the_workspace_opens_on_start_saves_as_the_officer_types_and_keeps_it_over_a_reload(
    desk_pc: Any, server: LiveServer
) -> None:
    page = desk_pc(1366, 768)
    sign_in_at_desk(page, server, "Meja 2")
    page.get_by_role("button", name="Panggil berikutnya").tap()
    page.get_by_role("button", name="Mulai layanan").tap()
    expect(page.get_by_role("heading", name="Konsultasi A-001")).to_be_visible()
    expect(page.locator("#board")).to_contain_text("A-002")  # the queue stays in sight
    expect(page.locator(".step.current")).to_contain_text("Terima dan catat permasalahan")

    page.get_by_label("Masalah baru").fill("Lupa kata sandi SIPOL")
    page.get_by_role("button", name="Tambah masalah").tap()
    answer = page.get_by_label("Jawaban / solusi")
    answer.tap()
    answer.press_sequentially("Atur ulang lewat admin SIPOL partai.")
    expect(page.locator(".save-state")).to_contain_text("Tersimpan")
    page.get_by_role("button", name="3 Jawab permasalahan").tap()
    expect(page.locator(".step.current")).to_contain_text("Jawab permasalahan")

    page.reload()
    expect(page.get_by_label("Jawaban / solusi")).to_have_value("Atur ulang lewat admin SIPOL partai.")
    expect(page.locator(".step.current")).to_contain_text("Jawab permasalahan")
