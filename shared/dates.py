"""Dates and times in the interface language: 'Selasa, 1 Desember 2026' or 'Tuesday, 1 December 2026', '14.05 WITA'."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

# Babel's "full" date pads the Indonesian day ("Selasa, 01 Desember 2026") and writes English the American way
# ("Tuesday, December 1, 2026"): one pattern gives both languages the form the office writes.
DATE_PATTERN = "EEEE, d MMMM y"
# Babel's short Indonesian time: the office writes 14.05, and so do the English screens of an Indonesian office.
TIME_PATTERN = "HH.mm"
ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def zone_abbreviation(zone: ZoneInfo) -> str:
    """WIB, WITA or WIT for Indonesian zones; the zone's own abbreviation elsewhere."""
    return ZONE_NAMES.get(zone.key, datetime.now(zone).tzname() or zone.key)


def long_date(moment: datetime, zone: ZoneInfo, lang: str) -> str:
    """'Sabtu, 28 November 2026' (or 'Saturday, 28 November 2026' in English) in the given zone."""
    return format_date(moment.astimezone(zone).date(), DATE_PATTERN, locale=lang)


def clock_time(moment: datetime, zone: ZoneInfo, lang: str) -> str:
    """'14.05 WITA' in the given zone."""
    local = moment.astimezone(zone)
    return f"{format_time(local, TIME_PATTERN, locale=lang)} {zone_abbreviation(zone)}"
