"""Staff: officers and their roles, and the desks they serve at."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, EnumText
from shared.i18n import N_


class Role(enum.StrEnum):
    """What a staff account may do."""

    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    PROVINCIAL = "provincial"

    @property
    def label(self) -> str:
        """The Indonesian name of the role."""
        return _ROLE_LABELS[self]


_ROLE_LABELS = {
    Role.OFFICER: N_("Petugas helpdesk"),
    Role.SUPERVISOR: N_("Supervisor"),
    Role.ADMIN: N_("Administrator"),
    Role.PROVINCIAL: N_("Petugas helpdesk provinsi"),
}


class User(Base):
    """A staff account; the password is kept only as a scrypt hash."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(EnumText(Role, 16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    must_change_password: Mapped[bool] = mapped_column(default=False)  # set when someone else chose it
    deactivated_at: Mapped[datetime | None]
    # A provincial officer answers the escalations of the offices in this province.
    province_id: Mapped[int | None] = mapped_column(ForeignKey("provinces.id"))


class StaffSession(Base):
    """A signed-in browser: the cookie holds a random token, this table only its hash.

    Signing out deletes the row, so a copy of the cookie opens nothing any more; a password change or a
    deactivation deletes all of the account's rows.
    """

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]


class Desk(Base):
    """A service desk ("Meja 1"), shown on the TV when a visitor is called to it."""

    __tablename__ = "desks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)
