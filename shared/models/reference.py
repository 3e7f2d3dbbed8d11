"""Reference data: offices, parties and consultation topics (editable by staff)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db import Base


class Province(Base):
    """A provincial KPU office, whose helpdesk answers the escalations of the city offices in its province."""

    __tablename__ = "provinces"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))


class Office(Base):
    """A KPU office running a helpdesk; ticket numbers restart daily per office."""

    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(40))
    province_id: Mapped[int | None] = mapped_column(ForeignKey("provinces.id"))
    report_code: Mapped[str] = mapped_column(String(40), default="")  # "KPG" in 012/HD-KPU-KPG/XII/2026

    province: Mapped[Province | None] = relationship()


class Party(Base):
    """A political party, with its ballot number where it has one.

    Party names are proper names, the same in every language; only a generic entry such as "Partai lain" has
    English names.
    """

    __tablename__ = "parties"

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_number: Mapped[int | None] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    short_name: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str | None] = mapped_column(String(120))
    short_name_en: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)

    def short(self, lang: str) -> str:
        """The short name in the given language."""
        return (self.short_name_en if lang == "en" else None) or self.short_name

    def label(self, lang: str) -> str:
        """Ballot number and short name, as the review screen, the dashboard and the ticket show it."""
        return f"{self.ballot_number}. {self.short(lang)}" if self.ballot_number else self.short(lang)


class Topic(Base):
    """A consultation topic; an optional prefix gives its tickets their own sequence."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_id: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str | None] = mapped_column(String(120))  # a topic staff add may not have one yet
    prefix: Mapped[str | None] = mapped_column(String(3))
    active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)

    def name(self, lang: str) -> str:
        """The topic's name in the given language; the Indonesian one where there is no English name."""
        return (self.name_en if lang == "en" else None) or self.name_id
