"""A visitor checks in at the kiosk in Chromium: on-screen keyboard, signature, confirmation, ticket."""

from __future__ import annotations

import io
import re
import sqlite3
from collections.abc import Callable, Iterator

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, Route, expect

from tests.browser.conftest import wait_for_job
from tests.browser.kiosk_steps import draw_signature, enter_details, fill_in_the_form, key, start_check_in, tap_keys
from tests.conftest import LiveServer, damaged_png, data_url, signature_png


def test_a_visitor_checks_in_and_leaves_with_a_printed_ticket(kiosk_page: Page, live_server: LiveServer) -> None:
    page = kiosk_page
    jobs_before = len(live_server.printer.jobs())
    fill_in_the_form(page, live_server, "Maria Nenobais")

    expect(page.get_by_role("heading", name="Periksa data Anda")).to_be_visible()
    expect(page.locator(".summary")).to_contain_text("0812-3456-7890")
    expect(page.locator(".summary")).to_contain_text("5. NasDem")
    page.get_by_role("button", name="Benar, ambil tiket").tap()

    number = page.locator(".ticket .number")
    expect(number).to_have_text(re.compile(r"^A-\d{3}$"))
    expect(page.locator(".ticket .qr-code svg")).to_be_visible()
    expect(page.locator(".print-status")).to_contain_text("Tiket sudah dicetak", timeout=10_000)

    jobs = wait_for_job(live_server, jobs_before + 1)
    printed = Image.open(live_server.printer.out_dir / f"job-{jobs[-1]['job']:04d}.png")
    (status_url,) = [result.text for result in zxingcpp.read_barcodes(printed)]
    assert status_url.startswith(f"{live_server.url}/t/")
    on_screen = Image.open(io.BytesIO(page.locator(".ticket .qr-code").screenshot()))
    assert [result.text for result in zxingcpp.read_barcodes(on_screen)] == [status_url]  # the same code

    phone = page.context.new_page()
    phone.goto(status_url)
    expect(phone.locator(".ticket-status .number")).to_have_text(number.inner_text())
    expect(phone.locator(".ticket-status")).to_contain_text("Menunggu")


def test_a_lost_response_is_explained_and_trying_again_gives_the_same_single_ticket(
    kiosk_page: Page, live_server: LiveServer
) -> None:
    page = kiosk_page
    fill_in_the_form(page, live_server, "Yosef Tefa")
    confirm = page.get_by_role("button", name="Benar, ambil tiket")

    def saved_but_lost(route: Route) -> None:
        route.fetch()  # the server saves the check-in...
        route.abort("connectionreset")  # ...and the answer never reaches the kiosk

    page.route("**/kiosk/checkin", saved_but_lost)
    confirm.tap()
    problem = page.get_by_role("alert")
    expect(problem).to_contain_text("Kios tidak tersambung ke server. Isian Anda masih ada")
    expect(page.get_by_role("heading", name="Periksa data Anda")).to_be_visible()  # nothing typed is lost

    page.unroute("**/kiosk/checkin")
    confirm.tap()
    expect(page.locator(".ticket .number")).to_have_text(re.compile(r"^A-\d{3}$"))
    expect(problem).to_be_hidden()
    with sqlite3.connect(live_server.database) as db:
        assert db.execute("SELECT count(*) FROM visits WHERE visitor_name = 'Yosef Tefa'").fetchone() == (1,)


def test_mistakes_are_explained_beside_each_field(kiosk_page: Page, live_server: LiveServer) -> None:
    page = kiosk_page
    start_check_in(page, live_server)
    page.locator("#phone").tap()
    tap_keys(page, "12345")
    page.locator('.simple-keyboard [data-skbtn="{done}"]').tap()
    page.get_by_role("button", name="Lanjut").tap()
    expect(page.locator("#name-error")).to_have_text("Nama wajib diisi.")
    expect(page.locator("#phone-error")).to_contain_text("Nomor HP tidak valid")
    expect(page.locator("#signature-error")).to_have_text("Tanda tangan wajib diisi.")
    expect(page.locator("#phone")).to_have_value("12345")  # what was typed stays


def test_names_get_a_capital_at_each_word_and_shift_changes_one_letter(
    kiosk_page: Page, live_server: LiveServer
) -> None:
    page = kiosk_page
    start_check_in(page, live_server)
    page.locator("#name").tap()
    expect(key(page, "M")).to_be_visible()
    expect(key(page, "m")).to_have_count(0)
    for letter in "Maria ":
        key(page, "{space}" if letter == " " else letter).tap()
    key(page, "{shift}").tap()  # "da" is written small
    for letter in "da Costa":
        key(page, "{space}" if letter == " " else letter).tap()
    expect(page.locator("#name")).to_have_value("Maria da Costa")
    key(page, "{bksp}").tap()
    expect(key(page, "a")).to_be_visible()  # still inside the word


def test_the_kiosk_returns_to_the_welcome_screen_when_left_alone(kiosk_page: Page, live_server: LiveServer) -> None:
    page = kiosk_page
    start_check_in(page, live_server)
    page.locator("#name").tap()
    tap_keys(page, "Budi")
    expect(page.get_by_role("heading", name="Selamat datang")).to_be_visible(timeout=15_000)
    page.get_by_role("button", name="Ambil nomor antrean").tap()
    page.get_by_role("button", name="Saya setuju", exact=True).tap()
    expect(page.locator("#name")).to_have_value("")


def test_left_alone_while_the_server_is_away_the_kiosk_clears_and_comes_back_by_itself(
    kiosk_page: Page, live_server: LiveServer
) -> None:
    page = kiosk_page
    start_check_in(page, live_server)
    page.locator("#name").tap()
    tap_keys(page, "Budi")
    page.route("**/*", lambda route: route.abort("connectionrefused"))
    expect(page.locator("#name")).to_have_count(0, timeout=15_000)  # the idle time is 10 s here
    expect(page.get_by_role("alert")).to_contain_text("Kios tidak tersambung ke server")
    assert "Budi" not in page.content()

    page.unroute("**/*")
    expect(page.get_by_role("heading", name="Selamat datang")).to_be_visible(timeout=10_000)


def test_english_throughout(kiosk_page: Page, live_server: LiveServer) -> None:
    page = kiosk_page
    page.goto(f"{live_server.url}/kiosk")
    page.get_by_role("link", name="English").tap()
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()
    page.get_by_role("button", name="Take a queue number").tap()
    page.get_by_role("button", name="I agree", exact=True).tap()
    page.get_by_role("button", name="Next").tap()
    expect(page.locator("#name-error")).to_have_text("Please enter your name.")


def inked_pixels(page: Page) -> int:
    """How many pixels of the signature pad are drawn on."""
    return int(
        page.locator("canvas[data-signature]").evaluate(
            """canvas => {
                const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
                let inked = 0;
                for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) inked++;
                return inked;
            }"""
        )
    )


def test_a_damaged_signature_is_explained_and_the_visitor_signs_again(
    kiosk_page: Page, live_server: LiveServer
) -> None:
    page = kiosk_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    enter_details(page, live_server, "Agus Salim")
    signature = page.locator("input[name=signature]")
    signature.evaluate("(input, url) => { input.value = url; }", data_url(damaged_png(signature_png())))
    page.get_by_role("button", name="Lanjut").tap()

    expect(page.locator("#signature-error")).to_have_text("Tanda tangan tidak terbaca. Silakan tanda tangan ulang.")
    expect(signature).to_have_value("")
    assert inked_pixels(page) == 0
    expect(page.locator("#name")).to_have_value("Agus Salim")  # the rest stays as typed
    draw_signature(page)
    page.get_by_role("button", name="Lanjut").tap()
    expect(page.get_by_role("heading", name="Periksa data Anda")).to_be_visible()
    assert errors == []


def test_back_from_the_review_the_pad_shows_the_signature_and_drops_one_it_cannot_draw(
    kiosk_page: Page, live_server: LiveServer
) -> None:
    page = kiosk_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    fill_in_the_form(page, live_server, "Agus Salim")
    page.get_by_role("button", name="Ubah data").tap()
    expect(page.get_by_role("heading", name="Isi data Anda")).to_be_visible()
    page.wait_for_function("() => document.querySelector('input[name=signature]').value.startsWith('data:image/png')")
    page.wait_for_timeout(200)  # the kept signature is drawn once its image has loaded
    assert inked_pixels(page) > 0

    page.get_by_role("button", name="Lanjut").tap()
    expect(page.get_by_role("heading", name="Periksa data Anda")).to_be_visible()
    not_a_picture = data_url(b"GIF89a" + bytes(64))  # no browser can draw it
    page.locator("form.review input[name=signature]").evaluate("(input, url) => { input.value = url; }", not_a_picture)
    page.get_by_role("button", name="Ubah data").tap()
    expect(page.get_by_role("heading", name="Isi data Anda")).to_be_visible()
    expect(page.locator("input[name=signature]")).to_have_value("")
    assert inked_pixels(page) == 0
    assert errors == []


ORIENTATIONS = {"portrait": {"width": 1080, "height": 1920}, "landscape": {"width": 1920, "height": 1080}}


@pytest.fixture(params=list(ORIENTATIONS))
def touch_kiosk(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    """A touchscreen kiosk page in each orientation the kiosk is installed in."""
    context = browser.new_context(viewport=ORIENTATIONS[request.param], has_touch=True)  # type: ignore[arg-type]
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


PRIORITY = 'input[name=priority][value="1"]'
NO_PRIORITY = 'input[name=priority][value="0"]'

# Where a control is on the form with the keyboard closed, with the form at its top and at its end.
WHERE = """el => {
    const screen = document.getElementById("screen");
    const kept = screen.scrollTop, max = screen.scrollHeight - screen.clientHeight;
    screen.scrollTop = 0;
    const top = el.getBoundingClientRect();
    screen.scrollTop = max;
    const end = el.getBoundingClientRect();
    screen.scrollTop = kept;
    return {max, x: top.x, y: top.y, width: top.width, height: top.height, moves: end.y !== top.y};
}"""


def test_closing_the_keyboard_never_taps_what_lies_under_it(touch_kiosk: Page, live_server: LiveServer) -> None:
    """Each control that can lie under the OK key of the keyboard or the keypad is put there, and OK is tapped."""
    page = touch_kiosk
    controls: dict[str, Callable[[Page], Locator]] = {
        "the priority answer Ya": lambda page: page.locator(f"label:has({PRIORITY})"),
        "the priority answer Tidak": lambda page: page.locator(f"label:has({NO_PRIORITY})"),
        "Batal": lambda page: page.get_by_role("button", name="Batal"),
        "Lanjut": lambda page: page.get_by_role("button", name="Lanjut"),
    }
    tried: list[str] = []
    fell_through: list[str] = []
    for field, typed in (("name", "Ina"), ("phone", "0812")):
        for control, find in controls.items():
            start_check_in(page, live_server)
            if find(page).count() == 0:
                continue  # no such control on this form
            page.locator("fieldset.types label", has_text="Partai politik").tap()  # the form at its tallest
            wants_priority = control == "the priority answer Tidak"
            if wants_priority:
                page.locator(f"label:has({PRIORITY})").tap()
            where = find(page).evaluate(WHERE)
            page.locator(f"#{field}").tap()
            tap_keys(page, typed)
            ok = key(page, "{done}").bounding_box()
            assert ok
            # Scroll the control under the OK key, no further than the form scrolls with the keyboard closed.
            scroll = 0.0
            if where["moves"]:
                scroll = min(max(where["y"] + where["height"] / 2 - (ok["y"] + ok["height"] / 2), 0), where["max"])
            page.locator("#screen").evaluate("(screen, top) => { screen.scrollTop = top; }", scroll)
            top = max(ok["y"], where["y"] - scroll)
            bottom = min(ok["y"] + ok["height"], where["y"] - scroll + where["height"])
            left, right = max(ok["x"], where["x"]), min(ok["x"] + ok["width"], where["x"] + where["width"])
            if top + 4 >= bottom or left + 4 >= right:
                continue  # this control never lies under this key
            case = f"{control} under the OK key of {field}"
            tried.append(case)
            page.touchscreen.tap((left + right) / 2, (top + bottom) / 2)
            expect(page.locator("#keyboard")).to_be_hidden()
            page.wait_for_timeout(500)  # long after any click the tap would have made
            if page.locator("#screen form.form").count() == 0:
                fell_through.append(f"{case}: the form was left")
            elif page.locator("#screen .error").count():
                fell_through.append(f"{case}: the form was sent")
            elif page.locator(PRIORITY).is_checked() != wants_priority:
                fell_through.append(f"{case}: the priority answer changed")
            else:
                expect(page.locator(f"#{field}")).to_have_value(typed)
    assert len(tried) >= 3, tried
    assert fell_through == [], f"tried: {tried}"


def test_a_message_leaves_its_field_as_soon_as_the_field_is_put_right(
    kiosk_page: Page, live_server: LiveServer
) -> None:
    page = kiosk_page
    start_check_in(page, live_server)
    page.get_by_role("button", name="Lanjut").tap()
    expect(page.locator("#name-error")).to_have_text("Nama wajib diisi.")
    expect(page.locator("#signature-error")).to_have_text("Tanda tangan wajib diisi.")

    page.locator("#name").tap()
    tap_keys(page, "Maria")
    expect(page.locator("#name-error")).to_have_count(0)
    expect(page.locator("#name")).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#phone-error")).to_have_text("Nomor HP wajib diisi.")  # not put right yet
    key(page, "{done}").tap()
    page.locator("fieldset.topics label", has_text="Akun dan login SIPOL").tap()
    expect(page.locator("#topic_id-error")).to_have_count(0)
    draw_signature(page)
    expect(page.locator("#signature-error")).to_have_count(0)
    expect(page.locator("#phone-error")).to_have_text("Nomor HP wajib diisi.")


def still_there(page: Page) -> Locator:
    """The kiosk's question before it forgets an unfinished check-in."""
    return page.get_by_role("alertdialog", name="Masih di sini?")


def test_before_forgetting_the_kiosk_asks_whether_the_visitor_is_still_there(
    kiosk_page: Page, live_server: LiveServer
) -> None:
    page = kiosk_page
    start_check_in(page, live_server)
    page.locator("#name").tap()
    tap_keys(page, "Budi")
    key(page, "{done}").tap()
    choice = page.locator("fieldset.types label", has_text="Masyarakat umum")
    choice.scroll_into_view_if_needed()
    spot = choice.bounding_box()
    assert spot
    warning = still_there(page)
    expect(warning).to_be_visible(timeout=10_000)  # the kiosk forgets after 10 s here
    box = warning.bounding_box()
    assert box and box["width"] >= 1080 / 2 and box["height"] >= 1920 / 4  # large enough to notice
    seconds = [int(re.findall(r"\d+", warning.inner_text())[0])]
    page.wait_for_timeout(1_500)
    seconds.append(int(re.findall(r"\d+", warning.inner_text())[0]))
    assert 0 < seconds[1] < seconds[0]  # counting down

    page.touchscreen.tap(spot["x"] + spot["width"] / 2, spot["y"] + spot["height"] / 2)  # any touch answers
    expect(warning).to_be_hidden()
    expect(page.locator("#name")).to_have_value("Budi")
    page.wait_for_timeout(500)
    expect(page.locator("input[name=visitor_type]:checked")).to_have_count(0)  # the touch chose nothing under it

    expect(warning).to_be_visible(timeout=10_000)  # left alone again
    expect(page.get_by_role("heading", name="Selamat datang")).to_be_visible(timeout=10_000)


def test_the_notice_gets_three_times_as_long_to_read(kiosk_page: Page, live_server: LiveServer) -> None:
    page = kiosk_page
    page.goto(f"{live_server.url}/kiosk")
    page.get_by_role("button", name="Ambil nomor antrean").tap()
    notice = page.get_by_role("heading", name="Pemberitahuan pelindungan data pribadi")
    expect(notice).to_be_visible()
    page.wait_for_timeout(12_000)  # longer than a form is kept here (10 s)
    expect(notice).to_be_visible()
    expect(still_there(page)).to_be_hidden()
    expect(still_there(page)).to_be_visible(timeout=20_000)
    page.touchscreen.tap(540, 400)
    expect(still_there(page)).to_be_hidden()
    expect(notice).to_be_visible()


IN_SIGHT = """el => {
    const box = el.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight || box.left < 0 || box.right > window.innerWidth) return false;
    return el.contains(document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2));
}"""


def in_sight(locator: Locator) -> bool:
    """Whether the element is on the screen, uncovered, without any scrolling."""
    return bool(locator.evaluate(IN_SIGHT))


def test_the_next_step_is_always_in_sight(touch_kiosk: Page, live_server: LiveServer) -> None:
    page = touch_kiosk
    page.goto(f"{live_server.url}/kiosk")
    page.get_by_role("button", name="Ambil nomor antrean").tap()
    expect(page.get_by_role("heading", name="Pemberitahuan pelindungan data pribadi")).to_be_visible()
    assert in_sight(page.get_by_role("button", name="Saya setuju", exact=True))
    page.get_by_role("button", name="Saya setuju", exact=True).tap()
    page.locator("fieldset.types label", has_text="Partai politik").tap()  # the form at its tallest
    for screen_top in (0, 10_000):
        page.locator("#screen").evaluate("(screen, top) => { screen.scrollTop = top; }", screen_top)
        assert in_sight(page.get_by_role("button", name="Lanjut"))
        assert in_sight(page.get_by_role("button", name="Batal"))
    # Scrolled to the end, the last field is not hidden behind the buttons.
    assert in_sight(page.get_by_role("button", name="Hapus tanda tangan"))


def test_a_refused_form_shows_its_first_mistake_without_opening_the_keyboard(
    kiosk_page: Page, live_server: LiveServer
) -> None:
    page = kiosk_page
    start_check_in(page, live_server)
    page.locator("#phone").tap()
    tap_keys(page, "081234567890")
    key(page, "{done}").tap()
    page.locator("fieldset.topics label", has_text="Akun dan login SIPOL").tap()
    draw_signature(page)
    page.get_by_role("button", name="Lanjut").tap()
    mistake = page.locator("#name-error")
    expect(mistake).to_have_text("Nama wajib diisi.")
    expect(mistake).to_be_focused()
    assert in_sight(mistake)
    expect(page.locator("#keyboard")).to_be_hidden()
    page.locator("#name").tap()  # the keyboard opens when the visitor asks for it
    expect(page.locator("#keyboard")).to_be_visible()


def test_priority_is_a_yes_or_no_question(kiosk_page: Page, live_server: LiveServer) -> None:
    page = kiosk_page
    start_check_in(page, live_server)
    question = page.get_by_role("group", name="Apakah Anda membutuhkan layanan prioritas?")
    expect(question.get_by_role("radio", name="Tidak")).to_be_checked()
    expect(question.get_by_role("radio", name="Ya")).not_to_be_checked()
    question.locator("label", has_text="Ya").tap()
    expect(question.get_by_role("radio", name="Ya")).to_be_checked()
    expect(question.get_by_role("radio", name="Tidak")).not_to_be_checked()
    question.locator("label", has_text="Tidak").tap()
    expect(question.get_by_role("radio", name="Ya")).not_to_be_checked()


def test_the_language_can_be_changed_on_every_step_keeping_everything(
    kiosk_page: Page, live_server: LiveServer
) -> None:
    page = kiosk_page
    page.goto(f"{live_server.url}/kiosk")
    page.get_by_role("button", name="Ambil nomor antrean").tap()
    page.get_by_role("button", name="English").tap()
    expect(page.get_by_role("heading", name="Personal data protection notice")).to_be_visible()
    page.get_by_role("button", name="I agree", exact=True).tap()
    expect(page.get_by_role("heading", name="Your details")).to_be_visible()
    page.get_by_role("button", name="Next").tap()
    expect(page.locator("#name-error")).to_have_text("Please enter your name.")
    page.get_by_role("button", name="Indonesia").tap()
    expect(page.locator("#name-error")).to_have_text("Nama wajib diisi.")  # the message stays, in Indonesian

    page.locator("#name").tap()
    tap_keys(page, "Yuliana Bessie")
    page.locator("#phone").tap()
    tap_keys(page, "081234567890")
    key(page, "{done}").tap()
    page.locator("fieldset.types label", has_text="Partai politik").tap()
    page.locator("label.party", has_text="NasDem").tap()
    page.locator("fieldset.topics label", has_text="Akun dan login SIPOL").tap()
    page.locator(f"label:has({PRIORITY})").tap()
    draw_signature(page)
    kept = {
        name: page.locator(f"input[name={name}]").input_value() for name in ("consent", "signature", "name", "phone")
    }
    chosen = page.locator("form input:checked").evaluate_all("inputs => inputs.map(i => i.name + '=' + i.value)")

    page.get_by_role("button", name="English").tap()
    expect(page.get_by_role("heading", name="Your details")).to_be_visible()
    for name, value in kept.items():
        expect(page.locator(f"input[name={name}]")).to_have_value(value)
    assert (
        page.locator("form input:checked").evaluate_all("inputs => inputs.map(i => i.name + '=' + i.value)") == chosen
    )
    page.wait_for_timeout(200)  # the kept signature is drawn once its image has loaded
    assert inked_pixels(page) > 0
    expect(page.locator("#name-error")).to_have_count(0)

    page.get_by_role("button", name="Next").tap()
    expect(page.get_by_role("heading", name="Check your details")).to_be_visible()  # the next step speaks English
    page.get_by_role("button", name="Indonesia").tap()
    expect(page.get_by_role("heading", name="Periksa data Anda")).to_be_visible()
    expect(page.locator(".summary")).to_contain_text("Yuliana Bessie")
    expect(page.locator(".summary")).to_contain_text("5. NasDem")
    page.get_by_role("button", name="Benar, ambil tiket").tap()
    number = page.locator(".ticket .number")
    expect(number).to_have_text(re.compile(r"^A-\d{3}$"))
    issued = number.inner_text()
    page.get_by_role("button", name="English").tap()
    expect(page.get_by_role("heading", name="Your queue number")).to_be_visible()
    expect(number).to_have_text(issued)
    with sqlite3.connect(live_server.database) as db:
        assert db.execute("SELECT count(*) FROM visits WHERE visitor_name = 'Yuliana Bessie'").fetchone() == (1,)


def test_the_page_allows_zoom_and_the_kiosk_takes_the_pinch_away(kiosk_page: Page, live_server: LiveServer) -> None:
    """Zoom is not forbidden in the page (axe-core's meta-viewport rule): touch-action and the kiosk browser's
    --disable-pinch (deploy/kiosk) keep a visitor's pinch from zooming the kiosk, while panning still scrolls.
    Headless Chromium performs no pinch zoom at all, so the rule that makes it is what is checked."""
    kiosk_page.goto(f"{live_server.url}/kiosk")
    assert "user-scalable" not in (kiosk_page.locator("meta[name=viewport]").get_attribute("content") or "")
    assert kiosk_page.evaluate("getComputedStyle(document.body).touchAction") == "pan-x pan-y"
