"""The kiosk through HTTP: every step, the validation messages, and what public pages reveal."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from shared.calling import call_ticket
from shared.models import Consent, PrintJob, Visit
from tests.conftest import NOW, damaged_png, data_url, make_form, make_user, signature_png

HX = {"HX-Request": "true"}


def consent_token(client: Any, lang: str = "id") -> str:
    response = client.post("/kiosk/consent", data={"lang": lang}, headers=HX)
    assert response.status_code == 200
    match = re.search(r'name="consent" value="([^"]+)"', response.text)
    assert match
    return match.group(1)


def count(app: Any, model: type) -> int:
    with runtime_sessions(app)() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def runtime_sessions(app: Any) -> Any:
    return app.extensions["helpdesk"].sessions


def test_the_kiosk_opens_on_the_welcome_screen(client: Any) -> None:
    page = client.get("/kiosk")
    assert page.status_code == 200
    assert "Selamat datang" in page.text and "Ambil nomor antrean" in page.text
    assert 'lang="id"' in page.text
    assert "HX-Request" in page.headers["Vary"]
    assert client.get("/").headers["Location"].endswith("/kiosk")


def test_english_is_one_tap_away(client: Any) -> None:
    page = client.get("/kiosk?lang=en")
    assert "Welcome" in page.text and 'lang="en"' in page.text


def test_a_fragment_for_htmx_and_a_whole_page_otherwise(client: Any) -> None:
    fragment = client.get("/kiosk/notice", headers=HX)
    assert fragment.text.lstrip().startswith("<section") and "Undang-Undang Nomor 27 Tahun 2022" in fragment.text
    assert "<html" in client.get("/kiosk/notice").text
    assert "<html" in client.get("/kiosk/notice", headers={**HX, "HX-History-Restore-Request": "true"}).text


def test_the_whole_check_in(client: Any, app: Any) -> None:
    token = consent_token(client)
    review = client.post("/kiosk/review", data={**make_form(), "consent": token}, headers=HX)
    assert review.status_code == 200
    assert "Periksa data Anda" in review.text and "0812-3456-7890" in review.text and "5. NasDem" in review.text
    assert count(app, Visit) == 0  # nothing is saved before the visitor confirms
    ticket = client.post("/kiosk/checkin", data={**make_form(), "consent": token}, headers=HX)
    assert ticket.status_code == 200
    assert "A-001" in ticket.text and "Tiket sedang dicetak" in ticket.text
    assert re.search(r'data-qr="http://helpdesk.test/t/[\w-]{40,}"', ticket.text)
    with runtime_sessions(app)() as session:
        visit = session.scalars(select(Visit)).one()
        consent = session.scalars(select(Consent)).one()
        assert consent.visit_id == visit.id and consent.notice_version
        assert session.scalars(select(PrintJob)).one().visit_id == visit.id


def test_a_double_tap_on_confirm_issues_one_ticket(client: Any, app: Any) -> None:
    token = consent_token(client)
    first = client.post("/kiosk/checkin", data={**make_form(), "consent": token}, headers=HX)
    second = client.post("/kiosk/checkin", data={**make_form(), "consent": token}, headers=HX)
    assert "A-001" in first.text and "A-001" in second.text
    assert count(app, Visit) == 1 and count(app, PrintJob) == 1


@pytest.mark.parametrize(
    ("field", "value", "message_id", "message_en"),
    [
        ("name", "", "Nama wajib diisi.", "Please enter your name."),
        ("name", "<b>Budi</b>", "Nama tidak boleh berisi kode", "The name must not contain code"),
        ("phone", "12345", "Nomor HP tidak valid.", "This is not a valid mobile number."),
        ("signature", "", "Tanda tangan wajib diisi.", "Please sign in the box."),
        ("topic_id", "", "Pilih topik konsultasi.", "Choose a consultation topic."),
    ],
)
@pytest.mark.parametrize("lang", ["id", "en"])
def test_bad_input_gets_a_message_beside_its_field_and_saves_nothing(
    client: Any, app: Any, field: str, value: str, message_id: str, message_en: str, lang: str
) -> None:
    token = consent_token(client, lang)
    for step in ("/kiosk/review", "/kiosk/checkin"):
        response = client.post(step, data={**make_form(**{field: value}), "consent": token, "lang": lang}, headers=HX)
        assert response.status_code == 422
        message = message_en if lang == "en" else message_id
        assert re.search(
            rf'id="{field}-error"[^>]*>{re.escape(message)}', response.text.replace("&lt;", "<").replace("&gt;", ">")
        )
    assert count(app, Visit) == 0


def test_markup_is_never_echoed_as_html(client: Any) -> None:
    token = consent_token(client)
    response = client.post(
        "/kiosk/review", data={**make_form(name="<script>alert(1)</script>"), "consent": token}, headers=HX
    )
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;" in response.text


@pytest.mark.parametrize("consent", ["", "forged.token.value"])
def test_no_check_in_without_consent(client: Any, app: Any, consent: str) -> None:
    response = client.post("/kiosk/checkin", data={**make_form(), "consent": consent}, headers=HX)
    assert response.status_code == 422
    assert "Persetujuan Anda diperlukan" in response.text
    assert count(app, Visit) == 0


def test_back_to_the_form_keeps_what_was_typed(client: Any) -> None:
    token = consent_token(client)
    form = client.post("/kiosk/form", data={**make_form(), "consent": token}, headers=HX)
    assert 'value="Maria Lodia Nenobais"' in form.text and 'value="0812-3456-7890"' in form.text


def test_every_step_brings_the_header_in_its_own_language(client: Any) -> None:
    notice = client.get("/kiosk/notice?lang=en", headers=HX)
    header = re.search(r'<header id="bar"[^>]*hx-swap-oob="true"[^>]*>.*?</header>', notice.text, re.DOTALL)
    assert header and "Political Party Registration and Verification Helpdesk" in header.group(0)
    assert 'data-lang="en"' in header.group(0)
    assert re.search(r'aria-pressed="false"[^>]*hx-vals=\'{"lang": "id"}\'[^>]*hx-get="/kiosk/notice"', header.group(0))


def test_another_language_shows_the_form_again_with_the_messages_still_showing(client: Any) -> None:
    token = consent_token(client)
    posted = {**make_form(name="", topic_id=""), "consent": token, "lang": "en", "recheck": ["name", "consent"]}
    form = client.post("/kiosk/form", data=posted, headers=HX)
    assert form.status_code == 200
    assert re.search(r'id="name-error"[^>]*>Please enter your name\.', form.text)
    assert "topic_id-error" not in form.text  # its message had gone: it waits for the next submit
    assert 'value="0812-3456-7890"' in form.text and f'value="{token}"' in form.text
    assert f'value="{make_form()["signature"]}"' in form.text
    assert "Your details" in form.text


def test_priority_is_no_unless_the_visitor_says_yes(client: Any) -> None:
    form = client.post("/kiosk/consent", data={"lang": "id"}, headers=HX)
    assert re.search(r'name="priority" value="0" checked', form.text)
    assert not re.search(r'name="priority" value="1" checked', form.text)
    token = consent_token(client)
    review = client.post("/kiosk/review", data={**make_form(priority="0"), "consent": token}, headers=HX)
    assert re.search(r"Layanan prioritas</dt><dd>Tidak</dd>", review.text)


def test_the_ticket_is_shown_again_in_another_language(client: Any, app: Any) -> None:
    token = consent_token(client)
    client.post("/kiosk/checkin", data={**make_form(), "consent": token}, headers=HX)
    again = client.post("/kiosk/ticket", data={"consent": token, "lang": "en"}, headers=HX)
    assert again.status_code == 200
    assert "Your queue number" in again.text and "A-001" in again.text
    assert count(app, Visit) == 1
    unknown = client.post("/kiosk/ticket", data={"consent": "forged.token.value", "lang": "en"}, headers=HX)
    assert "Welcome" in unknown.text and "A-001" not in unknown.text


def checked_in_token(client: Any) -> str:
    token = consent_token(client)
    ticket = client.post("/kiosk/checkin", data={**make_form(), "consent": token}, headers=HX)
    match = re.search(r"/kiosk/prints/(\d+)", ticket.text)
    assert match
    with runtime_sessions(client.application)() as session:
        return session.scalars(select(Visit.token)).one()


def test_the_status_page_shows_the_ticket_but_no_personal_data(client: Any) -> None:
    token = checked_in_token(client)
    page = client.get(f"/t/{token}")
    assert page.status_code == 200
    assert "A-001" in page.text and "M*** L*** N***" in page.text and "Menunggu" in page.text
    for secret in ("Maria", "Nenobais", "0812", "+62812", "3456"):
        assert secret not in page.text
    assert f'sse-connect="/t/{token}/events"' in page.text


def test_the_status_stream_sends_the_whole_state_first(client: Any) -> None:
    token = checked_in_token(client)
    response = client.get(f"/t/{token}/events")
    assert response.mimetype == "text/event-stream"
    stream = response.response
    assert next(stream) == b"retry: 2000\n\n"
    first = next(stream).decode()
    assert first.startswith("event: status\n") and "A-001" in first and "M*** L*** N***" in first
    response.close()


def test_unknown_tickets_get_a_plain_404(client: Any) -> None:
    garbled = ("/t/%00", "/t/a%00b/events", "/t/%E2%80%AE", "/t/" + "x" * 10_000)  # PostgreSQL refuses a NUL
    for path in ("/t/not-a-real-token", "/t/not-a-real-token/events", "/kiosk/prints/999", *garbled):
        response = client.get(path)
        assert response.status_code == 404
        assert "Halaman tidak ditemukan" in response.text


def test_the_print_status_poll_stops_once_printed(client: Any, app: Any) -> None:
    checked_in_token(client)
    waiting = client.get("/kiosk/prints/1", headers=HX)
    assert 'hx-trigger="load delay:1s"' in waiting.text
    with runtime_sessions(app)() as session:
        session.get_one(PrintJob, 1).status = "printed"
        session.commit()
    printed = client.get("/kiosk/prints/1", headers=HX)
    assert "Tiket sudah dicetak" in printed.text and "hx-trigger" not in printed.text


def test_browser_libraries_come_from_node_modules(client: Any) -> None:
    for name in (
        "htmx.min.js",
        "sse.min.js",
        "signature_pad.umd.min.js",
        "simple-keyboard.js",
        "dejavu-sans-400.woff2",
    ):
        assert client.get(f"/vendor/{name}").status_code == 200, name
    assert client.get("/vendor/package.json").status_code == 404


def test_the_status_stream_pushes_each_change(client: Any, app: Any) -> None:
    token = checked_in_token(client)
    response = client.get(f"/t/{token}/events")
    stream = response.response
    next(stream), next(stream)  # retry hint, then the current state
    with runtime_sessions(app)() as session:
        officer = make_user(session)
        call_ticket(session, session.scalars(select(Visit.id)).one(), 2, officer.id, NOW)
    update = next(stream).decode()
    assert update.startswith("event: status\n")
    assert 'data-status="called"' in update and "Dipanggil! Silakan menuju Meja 2" in update
    response.close()


def test_a_damaged_signature_is_asked_for_again_not_a_server_error(client: Any, app: Any) -> None:
    token = consent_token(client)
    for step in ("/kiosk/review", "/kiosk/checkin"):
        response = client.post(
            step, data={**make_form(signature=data_url(damaged_png(signature_png()))), "consent": token}, headers=HX
        )
        assert response.status_code == 422
        assert (
            'id="signature-error" role="alert">Tanda tangan tidak terbaca. Silakan tanda tangan ulang.' in response.text
        )
    assert count(app, Visit) == 0


def spare_bits_variant(token: str) -> str:
    """The token with the unused low bits of its last base64 character set: the same signature bytes."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return token[:-1] + alphabet[alphabet.index(token[-1]) ^ 1]


@pytest.mark.parametrize(
    "variant",
    [lambda t: t + "\x00\x00", lambda t: t + "!!", lambda t: t + "==", spare_bits_variant],
    ids=["nul", "bangs", "padding", "spare-bits"],
)
def test_an_altered_copy_of_a_used_consent_gives_no_second_ticket(client: Any, app: Any, variant: Any) -> None:
    token = consent_token(client)
    first = client.post("/kiosk/checkin", data={**make_form(), "consent": token}, headers=HX)
    assert "A-001" in first.text
    again = client.post("/kiosk/checkin", data={**make_form(), "consent": variant(token)}, headers=HX)
    assert again.status_code == 422
    assert "Persetujuan Anda diperlukan sebelum mengisi data." in again.text
    assert "A-002" not in again.text
    assert count(app, Visit) == 1
    with runtime_sessions(app)() as session:
        assert session.scalars(select(Consent.proof)).one() == token


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "Maria\x00Lodia", 'id="name-error" role="alert">Nama berisi karakter tersembunyi'),
        ("phone", "0812\x1f3456\x1f7890", 'id="phone-error" role="alert">Nomor HP berisi karakter tersembunyi'),
        ("party_id", "5\x0b", 'id="party_id-error" role="alert">Pilih partai politik Anda.'),
        ("topic_id", "\t1", 'id="topic_id-error" role="alert">Pilih topik konsultasi.'),
        ("priority", "1\x00", 'id="priority-error" role="alert">Pilihan layanan prioritas tidak terbaca.'),
        ("lang", "en\x00", 'id="lang-error" role="alert">Pilihan bahasa tidak terbaca.'),
        (
            "signature",
            data_url(signature_png()) + "\x00",
            'id="signature-error" role="alert">Tanda tangan tidak terbaca.',
        ),
    ],
    ids=["name", "phone", "party_id", "topic_id", "priority", "lang", "signature"],
)
def test_control_characters_in_any_field_are_refused_and_never_echoed(
    client: Any, app: Any, field: str, value: str, message: str
) -> None:
    token = consent_token(client)
    for step in ("/kiosk/review", "/kiosk/checkin"):
        response = client.post(step, data={**make_form(**{field: value}), "consent": token}, headers=HX)
        assert response.status_code == 422
        assert message in response.text
        assert not re.search(r"[\x00\x0b\x1f]", response.text)
    assert count(app, Visit) == 0


def test_a_consent_with_control_characters_is_refused_before_it_is_used(client: Any, app: Any) -> None:
    token = consent_token(client) + "\x00"
    response = client.post("/kiosk/checkin", data={**make_form(), "consent": token}, headers=HX)
    assert response.status_code == 422
    assert "Persetujuan Anda diperlukan sebelum mengisi data." in response.text
    assert "\x00" not in response.text
    assert count(app, Visit) == 0


def test_the_message_for_hidden_characters_is_in_the_visitors_language(client: Any) -> None:
    token = consent_token(client, "en")
    response = client.post(
        "/kiosk/review", data={**make_form(name="Maria\u200bLodia"), "consent": token, "lang": "en"}, headers=HX
    )
    assert response.status_code == 422
    assert "The name contains hidden characters or control codes. Please type it again." in response.text


def test_a_huge_name_is_explained_and_not_sent_back(client: Any, app: Any) -> None:
    token = consent_token(client)
    response = client.post("/kiosk/review", data={**make_form(name="A" * 1_000_000), "consent": token}, headers=HX)
    assert response.status_code == 422
    assert 'id="name-error" role="alert">Nama terlalu panjang (paling banyak 100 huruf).' in response.text
    assert len(response.text) < 100_000
    assert count(app, Visit) == 0


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_post_too_big_to_read_gets_a_readable_form_not_an_error_page(
    client: Any, app: Any, encoding: str, lang: str
) -> None:
    token = consent_token(client)
    size = 3_000_000 if encoding == "urlencoded" else 600_000  # over MAX_CONTENT_LENGTH, over MAX_FORM_MEMORY_SIZE
    form = {**make_form(name="A" * size), "consent": token}
    response = client.post(
        f"/kiosk/checkin?lang={lang}",
        data=form,
        content_type="application/x-www-form-urlencoded" if encoding == "urlencoded" else "multipart/form-data",
        headers=HX,
    )
    assert response.status_code == 413
    assert 'data-screen="form"' in response.text
    message = "What was sent is too large. Please start again." if lang == "en" else "Isian yang dikirim terlalu besar."
    assert message in response.text
    assert count(app, Visit) == 0
