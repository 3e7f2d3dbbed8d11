"""What a visitor's fingers do at the kiosk, step by step, for the browser tests."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from tests.conftest import LiveServer


def key(page: Page, name: str) -> Locator:
    """A key of the on-screen keyboard as it is shown now."""
    return page.locator(f'.simple-keyboard [data-skbtn="{name}"]')


def tap_keys(page: Page, text: str) -> None:
    """Type on the on-screen keyboard, one key at a time, as a finger would: shift when the letter isn't shown."""
    for char in text:
        button = key(page, "{space}" if char == " " else char)
        if button.count() == 0:
            key(page, "{shift}").tap()
        button.tap()


def draw_signature(page: Page) -> None:
    """A signature drawn on the page's pad (a stroke needs moves, which Playwright's touchscreen cannot make)."""
    pad = page.locator("canvas[data-signature]")
    pad.evaluate("pad => pad.scrollIntoView({block: 'center'})")
    box = pad.bounding_box()
    assert box
    page.mouse.move(box["x"] + 40, box["y"] + box["height"] * 0.7)
    page.mouse.down()
    for step in range(1, 30):
        page.mouse.move(box["x"] + 40 + step * 15, box["y"] + box["height"] * (0.7 - 0.4 * ((step % 6) / 6)))
    page.mouse.up()


def start_check_in(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/kiosk")
    page.get_by_role("button", name="Ambil nomor antrean").tap()
    expect(page.get_by_role("heading", name="Pemberitahuan pelindungan data pribadi")).to_be_visible()
    page.get_by_role("button", name="Saya setuju", exact=True).tap()
    expect(page.get_by_role("heading", name="Isi data Anda")).to_be_visible()


def fill_in_the_form(page: Page, server: LiveServer, name: str) -> None:
    """Everything a party visitor does up to the confirmation screen, with fingers only."""
    enter_details(page, server, name)
    page.get_by_role("button", name="Lanjut").tap()


def enter_details(page: Page, server: LiveServer, name: str) -> None:
    """A party visitor's details and signature, entered with fingers only, not yet sent."""
    start_check_in(page, server)
    page.locator("#name").tap()
    tap_keys(page, name)
    expect(page.locator("#name")).to_have_value(name)
    page.locator("#phone").tap()
    expect(page.locator('.simple-keyboard [data-skbtn="Q"]')).to_have_count(0)  # the phone gets a keypad
    tap_keys(page, "081234567890")
    page.locator('.simple-keyboard [data-skbtn="{done}"]').tap()
    page.locator("fieldset.types label", has_text="Partai politik").tap()
    page.locator("label.party", has_text="NasDem").tap()
    page.locator("fieldset.topics label", has_text="Akun dan login SIPOL").tap()
    draw_signature(page)
