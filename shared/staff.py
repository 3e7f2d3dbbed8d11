"""Staff accounts: creating them, signing in with lock-out, and the desks they work at."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from shared.db import write
from shared.i18n import Refusal
from shared.models import Desk, Role, User

MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
MIN_PASSWORD = 8
WRONG_SIGN_IN = "Nama pengguna atau kata sandi salah."
_USERNAME = re.compile(r"[a-z0-9._-]{3,40}")
# Compared against when the username is unknown, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-password")


class StaffError(Refusal):
    """An account could not be created or used; the message is for the person at the screen."""


def add_user(session: Session, username: str, name: str, role: Role, password: str, now: datetime) -> User:
    """Create a staff account with a scrypt password hash."""
    username = username.strip().lower()
    if not _USERNAME.fullmatch(username):
        raise StaffError("Nama pengguna 3-40 karakter: huruf kecil, angka, titik, garis bawah atau tanda hubung.")
    if not name.strip():
        raise StaffError("Nama lengkap wajib diisi.")
    if len(password) < MIN_PASSWORD:
        raise StaffError("Kata sandi paling sedikit {count} karakter.", count=MIN_PASSWORD)
    with write(session):
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            raise StaffError("Nama pengguna {username} sudah dipakai.", username=username)
        user = User(
            username=username,
            name=name.strip(),
            role=role,
            password_hash=generate_password_hash(password),
            created_at=now,
        )
        session.add(user)
    return user


def ensure_admin(session: Session, now: datetime) -> str | None:
    """Create an 'admin' account when there is no account at all; return its new password."""
    if session.scalar(select(func.count()).select_from(User)):
        return None
    password = secrets.token_urlsafe(12)
    add_user(session, "admin", "Administrator", Role.ADMIN, password, now)
    return password


def authenticate(session: Session, username: str, password: str, now: datetime) -> User:
    """Check a sign-in; repeated failures lock the account for a while. Raises StaffError."""
    with write(session):
        user = session.scalar(select(User).where(User.username == username.strip().lower(), User.active))
        problem = _sign_in_problem(user, password, now)
    if problem is not None or user is None:
        raise problem or StaffError(WRONG_SIGN_IN)
    return user


def _sign_in_problem(user: User | None, password: str, now: datetime) -> StaffError | None:
    """Why this sign-in fails, counting the failure against the account; None if it succeeds."""
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return StaffError(WRONG_SIGN_IN)
    if user.locked_until is not None and user.locked_until > now:
        minutes = max(1, round((user.locked_until - now).total_seconds() / 60))
        return StaffError(
            "Akun dikunci karena terlalu banyak percobaan gagal. Coba lagi dalam {minutes} menit.", minutes=minutes
        )
    if check_password_hash(user.password_hash, password):
        user.failed_logins, user.locked_until = 0, None
        return None
    user.failed_logins += 1
    if user.failed_logins < MAX_FAILED_LOGINS:
        return StaffError(WRONG_SIGN_IN)
    user.failed_logins, user.locked_until = 0, now + timedelta(minutes=LOCK_MINUTES)
    return StaffError(
        "Akun dikunci {minutes} menit karena {failures} kali salah kata sandi.",
        minutes=LOCK_MINUTES,
        failures=MAX_FAILED_LOGINS,
    )


def ensure_desks(session: Session, count: int) -> int:
    """Make sure desks "Meja 1" to "Meja N" exist; return how many were added."""
    with write(session):
        known = set(session.scalars(select(Desk.name)))
        missing = [n for n in range(1, count + 1) if f"Meja {n}" not in known]
        for number in missing:
            session.add(Desk(name=f"Meja {number}", sort_order=number))
    return len(missing)


def active_desks(session: Session) -> list[Desk]:
    """The desks officers can work at, in order."""
    return list(session.scalars(select(Desk).where(Desk.active).order_by(Desk.sort_order, Desk.id)))


QUEUE_ROLES = (Role.OFFICER, Role.SUPERVISOR, Role.ADMIN)


def queue_officers(session: Session) -> list[User]:
    """Active staff who serve visitors at desks, by name."""
    return list(session.scalars(select(User).where(User.active, User.role.in_(QUEUE_ROLES)).order_by(User.name)))
