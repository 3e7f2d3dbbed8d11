"""Dates and times on tickets and screens, in Indonesian and English."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from shared.dates import clock_time, long_date

WITA = ZoneInfo("Asia/Makassar")


def test_dates_are_written_the_indonesian_way_in_wita() -> None:
    moment = datetime(2026, 11, 28, 6, 5, tzinfo=UTC)
    assert long_date(moment, WITA, "id") == "Sabtu, 28 November 2026"
    assert clock_time(moment, WITA, "id") == "14.05 WITA"


def test_the_day_changes_at_local_midnight_not_utc() -> None:
    moment = datetime(2026, 11, 28, 16, 30, tzinfo=UTC)  # 00.30 WITA on Sunday
    assert long_date(moment, WITA, "id") == "Minggu, 29 November 2026"
    assert clock_time(moment, ZoneInfo("Asia/Jakarta"), "id") == "23.30 WIB"


def test_single_digit_days_are_not_padded() -> None:
    moment = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    assert long_date(moment, WITA, "id") == "Selasa, 1 Desember 2026"


def test_english_screens_write_the_day_before_the_month_and_keep_the_office_clock() -> None:
    moment = datetime(2026, 12, 1, 6, 5, tzinfo=UTC)
    assert long_date(moment, WITA, "en") == "Tuesday, 1 December 2026"
    assert clock_time(moment, WITA, "en") == "14.05 WITA"
