"""Staff accounts: creating them, signing in with lock-out, and the desks they work at."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from shared.db import write
from shared.i18n import N_, Nn_, Refusal
from shared.models import Desk, Province, Role, StaffSession, User

MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
MIN_PASSWORD = 8
MAX_PASSWORD = 200
WRONG_SIGN_IN = N_("Nama pengguna atau kata sandi salah.")
_USERNAME = re.compile(r"[a-z0-9._-]{3,40}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
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
    if (problem := _new_password_problem(password, password)) is not None:
        raise problem
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
        if role == Role.PROVINCIAL:  # answers the escalations of the offices in this deployment's province
            user.province_id = session.scalar(select(Province.id).order_by(Province.id).limit(1))
        session.add(user)
    return user


def ensure_admin(session: Session, now: datetime) -> str | None:
    """Create an 'admin' account when there is no account at all; return its one-time password.

    It must be changed at the first sign-in: it was printed on a terminal, perhaps into a log.
    """
    if session.scalar(select(func.count()).select_from(User)):
        return None
    password = secrets.token_urlsafe(12)
    user = add_user(session, "admin", "Administrator", Role.ADMIN, password, now)
    with write(session):
        session.get_one(User, user.id).must_change_password = True
    return password


def start_session(session: Session, user_id: int, now: datetime) -> str:
    """A new signed-in browser for the account; returns the token for its cookie."""
    token = secrets.token_urlsafe(32)
    with write(session):
        session.add(StaffSession(token_hash=_token_hash(token), user_id=user_id, created_at=now))
    return token


def session_user(session: Session, token: str) -> User | None:
    """The active account signed in with this token, or None once it was signed out or ended."""
    if not token:
        return None
    return session.scalar(
        select(User)
        .join(StaffSession, StaffSession.user_id == User.id)
        .where(StaffSession.token_hash == _token_hash(token), User.active)
    )


def end_session(session: Session, token: str) -> None:
    """Sign one browser out: the token opens nothing any more."""
    with write(session):
        session.execute(delete(StaffSession).where(StaffSession.token_hash == _token_hash(token)))


def change_password(session: Session, user_id: int, current: str, new: str, confirm: str, now: datetime) -> str:
    """The user's own change: checks the current password, ends every sign-in; returns a new token for this one."""
    problem = _new_password_problem(new, confirm)
    with write(session):
        user = session.get_one(User, user_id)
        if not _password_matches(user.password_hash, current):
            raise StaffError("Kata sandi sekarang salah.")
        if problem is not None:
            raise problem
        if check_password_hash(user.password_hash, new):
            raise StaffError("Kata sandi baru harus berbeda dari yang sekarang.")
        _replace_password(session, user, new, must_change=False)
    return start_session(session, user_id, now)


def reset_password(session: Session, username: str, password: str) -> User:
    """An operator sets a password for someone (who forgot theirs); they must change it at their next sign-in."""
    problem = _new_password_problem(password, password)
    if problem is not None:
        raise problem
    with write(session):
        user = _account(session, username)
        _replace_password(session, user, password, must_change=True)
        user.failed_logins, user.locked_until = 0, None
    return user


def deactivate(session: Session, username: str, now: datetime) -> User:
    """Close an account: it can no longer sign in and its sign-ins end; what it did stays on record."""
    with write(session):
        user = _account(session, username)
        if not user.active:
            raise StaffError("Akun {username} sudah dinonaktifkan.", username=user.username)
        user.active, user.deactivated_at = False, now
        session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
    return user


def _account(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()).with_for_update())
    if user is None:
        raise StaffError("Akun {username} tidak ada.", username=username.strip().lower())
    return user


def _password_matches(password_hash: str, password: str) -> bool:
    # scrypt's HMAC pads keys with zero bytes, so "x\0" would match "x": no password holds control characters.
    return not _CONTROL.search(password) and check_password_hash(password_hash, password)


def _new_password_problem(new: str, confirm: str) -> StaffError | None:
    if _CONTROL.search(new):
        return StaffError("Kata sandi tidak boleh berisi karakter tersembunyi (seperti tab atau baris baru).")
    if len(new) < MIN_PASSWORD:
        return StaffError("Kata sandi paling sedikit {count} karakter.", count=MIN_PASSWORD)
    if len(new) > MAX_PASSWORD:
        return StaffError("Kata sandi paling banyak {count} karakter.", count=MAX_PASSWORD)
    if new != confirm:
        return StaffError("Kedua kata sandi baru tidak sama.")
    return None


def _replace_password(session: Session, user: User, password: str, must_change: bool) -> None:
    user.password_hash, user.must_change_password = generate_password_hash(password), must_change
    session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
            Nn_(
                "Akun dikunci karena terlalu banyak percobaan gagal. Coba lagi dalam {num} menit.",
                "Akun dikunci karena terlalu banyak percobaan gagal. Coba lagi dalam {num} menit.",
            ),
            num=minutes,
        )
    if _password_matches(user.password_hash, password):
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
