"""Indonesian dates and times on tickets and screens."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from shared.dates import clock_time, long_date

WITA = ZoneInfo("Asia/Makassar")


def test_dates_are_written_the_indonesian_way_in_wita() -> None:
    moment = datetime(2026, 11, 28, 6, 5, tzinfo=UTC)
    assert long_date(moment, WITA) == "Sabtu, 28 November 2026"
    assert clock_time(moment, WITA) == "14.05 WITA"


def test_the_day_changes_at_local_midnight_not_utc() -> None:
    moment = datetime(2026, 11, 28, 16, 30, tzinfo=UTC)  # 00.30 WITA on Sunday
    assert long_date(moment, WITA) == "Minggu, 29 November 2026"
    assert clock_time(moment, ZoneInfo("Asia/Jakarta")) == "23.30 WIB"
