"""Indonesian dates and times: 'Sabtu, 28 November 2026', '14.05 WITA'."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def zone_abbreviation(zone: ZoneInfo) -> str:
    """WIB, WITA or WIT for Indonesian zones; the zone's own abbreviation elsewhere."""
    return ZONE_NAMES.get(zone.key, datetime.now(zone).tzname() or zone.key)


def long_date(moment: datetime, zone: ZoneInfo) -> str:
    """'Sabtu, 28 November 2026' in the given zone."""
    local = moment.astimezone(zone)
    return f"{DAYS[local.weekday()]}, {local.day} {MONTHS[local.month - 1]} {local.year}"


def clock_time(moment: datetime, zone: ZoneInfo) -> str:
    """'14.05 WITA' in the given zone."""
    local = moment.astimezone(zone)
    return f"{local:%H.%M} {zone_abbreviation(zone)}"
