"""Configuration: bad settings stop start-up with a message naming the variable."""

from pathlib import Path

import pytest

from shared.config import ConfigError, load_config


def load(tmp_path: Path, **environ: str) -> dict:
    return load_config(tmp_path, environ={f"HELPDESK_{k}": v for k, v in environ.items()})


def test_defaults_run_on_sqlite_with_the_preview_printer(tmp_path: Path) -> None:
    config = load(tmp_path)
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'helpdesk.sqlite3'}"
    assert config["PRINTER"] == "preview"
    assert config["TIMEZONE"] == "Asia/Makassar"
    assert config["SECRET_KEY"] and config["SECRET_KEY"] == load(tmp_path)["SECRET_KEY"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PRINTER", "lpt1"),
        ("PRINTER", "tcp://printer"),
        ("PRINTER", "usb://epson"),
        ("PRINTER", "serial://"),
        ("PRINTER", "serial:///dev/ttyS0?baudrate=fast"),
        ("TIMEZONE", "Mars/Olympus"),
        ("DATABASE_URL", "mysql://x"),
        ("PUBLIC_URL", "helpdesk.local"),
        ("KIOSK_IDLE_SECONDS", "soon"),
        ("KIOSK_IDLE_SECONDS", "1"),
        ("PRINTER_NATIVE_QR", "maybe"),
        ("SECURE_COOKIES", "maybe"),
        ("TRUSTED_PROXIES", "9"),
        ("TRUSTED_PROXIES", "all"),
        ("TICKET_PREFIX", "A1"),
        ("OFFICE_NAME", "  "),
        ("PROVINCE_NAME", ""),
        ("REPORT_NUMBER", "{seq:03d}/{office}/{year}"),
        ("REPORT_NUMBER", "{seq:03d}/{"),
        ("REPORT_NUMBER", "HD/{year}"),
        ("REPORT_NUMBER", "{seq:x>200}"),
        ("REPORT_DOWNLOAD_DAYS", "-1"),
    ],
)
def test_bad_values_name_the_variable(tmp_path: Path, variable: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"^HELPDESK_{variable}: "):
        load(tmp_path, **{variable: value})


def test_environment_overrides_the_instance_file(tmp_path: Path) -> None:
    (tmp_path / "helpdesk.cfg").write_text('OFFICE_NAME = "KPU Kabupaten Kupang"\nDESKS = 3\n')
    assert load(tmp_path)["OFFICE_NAME"] == "KPU Kabupaten Kupang"
    assert load(tmp_path)["DESKS"] == 3
    assert load(tmp_path, OFFICE_NAME="KPU Kota Kupang")["OFFICE_NAME"] == "KPU Kota Kupang"


def test_printer_addresses_are_accepted(tmp_path: Path) -> None:
    for printer in (
        "tcp://192.168.1.50:9100",
        "usb://04b8:0e15",
        "serial:///dev/ttyUSB0?baudrate=19200",
        "file:///dev/usb/lp0",
        "win32://EPSON TM-T20II",
    ):
        assert load(tmp_path, PRINTER=printer)["PRINTER"] == printer


def test_an_unknown_printer_profile_stops_the_app(tmp_path: Path) -> None:
    from helpdesk import create_app

    with pytest.raises(ConfigError, match="^HELPDESK_PRINTER_PROFILE: unknown python-escpos profile 'TM-X1'"):
        create_app(
            {"PRINTER_PROFILE": "TM-X1", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"},
            instance_path=str(tmp_path),
        )
