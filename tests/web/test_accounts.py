"""Staff accounts: sign-ins that end on the server, passwords people choose themselves, closed accounts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from shared.models import StaffSession, User
from shared.staff import ensure_admin
from tests.conftest import NOW, make_user
from tests.factories import at_desk, csrf, helpdesk, sign_in

NEW = "kata-sandi-baru-9"


@pytest.fixture
def officer(app: Any) -> User:
    with app.extensions["helpdesk"].sessions() as session:
        return make_user(session, "petugas1", name="Yohana Bria")


def change_password(client: Any, current: str, new: str = NEW, confirm: str | None = None) -> Any:
    data = {"current": current, "new": new, "confirm": new if confirm is None else confirm, "csrf_token": csrf(client)}
    return client.post("/account/password", data=data)


def signed_in(client: Any) -> bool:
    """Whether the dashboard opens, rather than sending the browser (or htmx) to sign in."""
    response = client.get("/dashboard/")
    return response.status_code == 200 and "HX-Redirect" not in response.headers


def test_a_copied_cookie_opens_nothing_after_signing_out(app: Any, officer: User) -> None:
    client = at_desk(app.test_client(), "petugas1", 1)
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert signed_in(copy)
    client.post("/logout", data={"csrf_token": csrf(client)})
    assert not signed_in(client)
    assert copy.get("/dashboard/").headers["Location"].startswith("/login")


def test_the_generated_admin_password_must_be_replaced_at_the_first_sign_in(app: Any) -> None:
    with app.extensions["helpdesk"].sessions() as session:
        password = ensure_admin(session, NOW)
    assert password
    client = app.test_client()
    assert sign_in(client, "admin", password).status_code == 302
    response = client.get("/dashboard/")
    assert response.status_code == 302 and response.headers["Location"] == "/account/password"
    assert "Kata sandi Anda dibuat oleh orang lain" in client.get("/account/password").text
    done = change_password(client, password)
    assert done.status_code == 200 and "Kata sandi Anda sudah diganti" in done.text
    assert client.get("/dashboard/").status_code == 200  # a desk to choose: signed in and free to work
    assert sign_in(app.test_client(), "admin", password).status_code == 401
    assert sign_in(app.test_client(), "admin", NEW).status_code == 302


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        ("salah-sekali", NEW, NEW, "Kata sandi sekarang salah."),
        ("rahasia-123", "pendek", "pendek", "Kata sandi paling sedikit 8 karakter."),
        ("rahasia-123", NEW, NEW + "x", "Kedua kata sandi baru tidak sama."),
        ("rahasia-123", "rahasia-123", "rahasia-123", "Kata sandi baru harus berbeda dari yang sekarang."),
        ("rahasia-123", "x" * 201, "x" * 201, "Kata sandi paling banyak 200 karakter."),
        ("rahasia-123", "x" * 100_000, "x" * 100_000, "Kata sandi paling banyak 200 karakter."),
        ("rahasia-123\x00", NEW, NEW, "Kata sandi sekarang salah."),  # scrypt alone would take it as "rahasia-123"
        ("rahasia-123", "baru\tsekali-1", "baru\tsekali-1", "karakter tersembunyi"),
    ],
)
def test_a_refused_password_change_says_why_and_changes_nothing(
    app: Any, officer: User, current: str, new: str, confirm: str, message: str
) -> None:
    client = at_desk(app.test_client(), "petugas1", 1)
    response = change_password(client, current, new, confirm)
    assert response.status_code == 400 and message in response.text
    assert signed_in(client)
    assert sign_in(app.test_client(), "petugas1", "rahasia-123").status_code == 302


def test_changing_the_password_signs_out_every_other_browser(app: Any, officer: User) -> None:
    here, elsewhere = at_desk(app.test_client(), "petugas1", 1), at_desk(app.test_client(), "petugas1", 2)
    assert change_password(here, "rahasia-123").status_code == 200
    assert signed_in(here) and not signed_in(elsewhere)


def test_a_password_change_needs_the_csrf_token(app: Any, officer: User) -> None:
    client = at_desk(app.test_client(), "petugas1", 1)
    client.environ_base.pop("HTTP_X_CSRF_TOKEN")
    response = client.post("/account/password", data={"current": "rahasia-123", "new": NEW, "confirm": NEW})
    assert response.status_code == 400
    assert sign_in(app.test_client(), "petugas1", "rahasia-123").status_code == 302


def test_an_operator_resets_a_forgotten_password_and_the_officer_then_chooses_one(app: Any, officer: User) -> None:
    client = at_desk(app.test_client(), "petugas1", 1)
    result = helpdesk(app, "officer", "passwd", "petugas1", "--password-stdin", stdin="sementara-123\n")
    assert result.exit_code == 0, result.output
    assert not signed_in(client)  # signed out at once
    assert sign_in(client, "petugas1", "sementara-123").status_code == 302
    assert client.get("/dashboard/", headers={"HX-Request": ""}).headers["Location"] == "/account/password"


def test_a_deactivated_account_is_signed_out_and_cannot_sign_in_but_its_history_stays(app: Any, officer: User) -> None:
    client = at_desk(app.test_client(), "petugas1", 1)
    result = helpdesk(app, "officer", "deactivate", "petugas1")
    assert result.exit_code == 0 and "deactivated" in result.output
    assert not signed_in(client)
    refused = sign_in(app.test_client(), "petugas1", "rahasia-123")
    assert refused.status_code == 401 and "Nama pengguna atau kata sandi salah." in refused.text
    with app.extensions["helpdesk"].sessions() as session:
        user = session.scalar(select(User).where(User.username == "petugas1"))
        assert user is not None and not user.active and user.deactivated_at is not None
        assert session.scalar(select(func.count()).select_from(StaffSession)) == 0
    again = helpdesk(app, "officer", "deactivate", "petugas1")
    assert again.exit_code != 0 and "sudah dinonaktifkan" in again.output


@pytest.mark.parametrize("command", [["passwd", "nobody", "--password-stdin"], ["deactivate", "nobody"]])
def test_the_commands_name_an_unknown_account(app: Any, command: list[str]) -> None:
    result = helpdesk(app, "officer", *command, stdin="sementara-123\n")
    assert result.exit_code != 0 and "Akun nobody tidak ada." in result.output


def test_the_sign_in_page_and_cookie_hold_no_password_or_user_id(app: Any, officer: User) -> None:
    client = at_desk(app.test_client(), "petugas1", 1)
    cookie = client.get_cookie("session").value
    assert "rahasia" not in cookie and not re.search(r"user_id", cookie)


@pytest.mark.parametrize("suffix", ["\x00", "\x00\x00", "\n"])
def test_a_password_with_hidden_characters_added_does_not_sign_in(app: Any, officer: User, suffix: str) -> None:
    assert sign_in(app.test_client(), "petugas1", "rahasia-123" + suffix).status_code == 401


def test_administrators_see_where_phones_go_and_a_warning_when_no_phone_can(app: Any) -> None:
    with app.extensions["helpdesk"].sessions() as session:
        make_user(session, "kepala", role="admin")
        make_user(session, "petugas1")
    app.config["PUBLIC_URL"] = "http://127.0.0.1:5000"
    admin = at_desk(app.test_client(), "kepala", 1).get("/dashboard/").text
    assert "http://127.0.0.1:5000/display" in admin and "HP pengunjung tidak dapat membukanya" in admin
    app.config["PUBLIC_URL"] = "http://192.168.1.10:5000"
    admin = at_desk(app.test_client(), "kepala", 1).get("/dashboard/").text
    assert "http://192.168.1.10:5000/t/" in admin and "tidak dapat membukanya" not in admin
    assert "Alamat untuk HP pengunjung" not in at_desk(app.test_client(), "petugas1", 2).get("/dashboard/").text
