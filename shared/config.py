"""Settings: defaults, an optional instance file, then HELPDESK_* environment variables."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PREFIX = "HELPDESK_"
INSTANCE_FILE = "helpdesk.cfg"
PRINTER_SCHEMES = ("preview", "tcp", "usb", "serial", "file", "win32")

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,  # a SQLite file in the instance folder
    "PRINTER": "preview",
    "PRINTER_PROFILE": "TM-T20II",
    "PRINTER_NATIVE_QR": False,
    "PUBLIC_URL": "",  # empty: where `helpdesk serve` listens, on the machine's LAN address
    "SECRET_KEY": None,  # generated once and kept in the instance folder
    "TIMEZONE": "Asia/Makassar",
    "OFFICE_NAME": "KPU Kota Kupang",
    "PROVINCE_NAME": "KPU Provinsi Nusa Tenggara Timur",  # whose helpdesk answers escalations
    "REPORT_CODE": "KPG",  # the office's code in report numbers
    # {seq} the year's report count at the office, {code} REPORT_CODE, {month} in Roman numerals, {year}
    "REPORT_NUMBER": "{seq:03d}/HD-KPU-{code}/{month}/{year}",
    "REPORT_DOWNLOAD_DAYS": 30,  # how long a visitor may download their report from the receipt's QR code
    "KIOSK_IDLE_SECONDS": 60,
    "TICKET_PREFIX": "A",
    "PRIORITY_PREFIX": "",
    "CALL_RATIO": "2:1",  # normal : priority calls while both are waiting; priority goes first
    "DESKS": 2,
    "MINUTES_PER_VISITOR": 15,
    "SSE_KEEPALIVE_SECONDS": 15,
    "PRINT_RETRY_MAX_SECONDS": 30,
    "PRINT_WORKER": True,
    "SECURE_COOKIES": False,  # true: browsers send the session cookie over HTTPS only
    "TRUSTED_PROXIES": 0,  # reverse proxies whose X-Forwarded-For and -Proto are believed
}

_INTS = {
    "KIOSK_IDLE_SECONDS": (10, 3600),
    "DESKS": (1, 99),
    "MINUTES_PER_VISITOR": (1, 240),
    "SSE_KEEPALIVE_SECONDS": (1, 300),
    "PRINT_RETRY_MAX_SECONDS": (1, 3600),
    "TRUSTED_PROXIES": (0, 5),
    "REPORT_DOWNLOAD_DAYS": (0, 3650),
}
_BOOLS = ("PRINTER_NATIVE_QR", "PRINT_WORKER", "SECURE_COOKIES")


class ConfigError(ValueError):
    """A setting is invalid; the message names the environment variable."""


def load_config(
    instance_path: Path, environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Merge defaults, the instance file, the environment and overrides, then validate."""
    environ = os.environ if environ is None else environ
    config = dict(DEFAULTS)
    config.update(_read_instance_file(instance_path / INSTANCE_FILE))
    config.update(
        {k[len(PREFIX) :]: v for k, v in environ.items() if k.startswith(PREFIX) and k[len(PREFIX) :] in DEFAULTS}
    )
    config.update(overrides or {})
    return validate(config, instance_path)


def _read_instance_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    values: dict[str, Any] = {}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), {}, values)  # noqa: S102 - operator's own file
    return {k: v for k, v in values.items() if k in DEFAULTS}


def validate(config: dict[str, Any], instance_path: Path) -> dict[str, Any]:
    """Coerce types and fill derived defaults; raise ConfigError naming the bad variable."""
    for key, (low, high) in _INTS.items():
        config[key] = _int(key, config[key], low, high)
    for key in _BOOLS:
        config[key] = _bool(key, config[key])
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{instance_path / 'helpdesk.sqlite3'}"
    _check_database_url(str(config["DATABASE_URL"]))
    _check_printer(str(config["PRINTER"]))
    if config["PUBLIC_URL"]:
        _check_public_url(str(config["PUBLIC_URL"]))
    config["PUBLIC_URL"] = str(config["PUBLIC_URL"]).rstrip("/")
    try:
        ZoneInfo(str(config["TIMEZONE"]))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{PREFIX}TIMEZONE: unknown time zone {config['TIMEZONE']!r} (example: Asia/Makassar)"
        ) from None
    for key in ("TICKET_PREFIX", "PRIORITY_PREFIX"):
        value = str(config[key])
        if len(value) > 3 or not all(c.isalpha() and c.isascii() for c in value):
            raise ConfigError(f"{PREFIX}{key}: use up to 3 letters A-Z, got {value!r}")
        config[key] = value.upper()
    config["CALL_RATIO"] = _ratio(str(config["CALL_RATIO"]))
    if not config["TICKET_PREFIX"]:
        raise ConfigError(f"{PREFIX}TICKET_PREFIX: must not be empty")
    for key in ("OFFICE_NAME", "PROVINCE_NAME"):
        if not str(config[key]).strip():
            raise ConfigError(f"{PREFIX}{key}: must not be empty")
    _check_report_number(str(config["REPORT_NUMBER"]))
    config["SECRET_KEY"] = config["SECRET_KEY"] or _instance_secret(instance_path)
    return config


def _check_report_number(pattern: str) -> None:
    try:
        number = pattern.format(seq=12, code="KPG", month="XII", year=2026)
    except (KeyError, IndexError, ValueError) as error:
        raise ConfigError(
            f"{PREFIX}REPORT_NUMBER: {error!s} in {pattern!r}; use {{seq}}, {{code}}, {{month}} and {{year}},"
            " such as {seq:03d}/HD-KPU-{code}/{month}/{year}"
        ) from None
    if "12" not in number or not 0 < len(number) <= 80:
        raise ConfigError(f"{PREFIX}REPORT_NUMBER: must contain {{seq}} and stay under 80 characters")


def _ratio(value: str) -> str:
    normal, _, priority = value.replace(" ", "").partition(":")
    if not (normal.isdigit() and priority.isdigit() and 1 <= int(normal) <= 20 and 1 <= int(priority) <= 20):
        raise ConfigError(f"{PREFIX}CALL_RATIO: expected NORMAL:PRIORITY such as 2:1, got {value!r}")
    return f"{int(normal)}:{int(priority)}"


def _int(key: str, value: Any, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{PREFIX}{key}: expected a whole number, got {value!r}") from None
    if not low <= number <= high:
        raise ConfigError(f"{PREFIX}{key}: must be between {low} and {high}, got {number}")
    return number


def _bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{PREFIX}{key}: expected true or false, got {value!r}")


def _check_database_url(url: str) -> None:
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    if scheme not in ("sqlite", "postgresql"):
        raise ConfigError(f"{PREFIX}DATABASE_URL: expected sqlite:///PATH or postgresql://..., got {url!r}")


def _check_printer(value: str) -> None:
    parts = urlsplit(value)
    scheme = parts.scheme or value
    if scheme not in PRINTER_SCHEMES:
        raise ConfigError(
            f"{PREFIX}PRINTER: unknown printer {value!r}; use preview, tcp://HOST:PORT, usb://VID:PID, "
            "serial://DEVICE?baudrate=N, file://PATH or win32://NAME"
        )
    if scheme == "tcp":
        try:
            port = parts.port
        except ValueError:
            port = None
        if not parts.hostname or port is None:
            raise ConfigError(f"{PREFIX}PRINTER: a network printer needs tcp://HOST:PORT, got {value!r}")
    if scheme == "usb":
        ids = value[len("usb://") :].split(":")
        if len(ids) != 2 or not all(_is_hex(i) for i in ids):
            raise ConfigError(
                f"{PREFIX}PRINTER: a USB printer needs usb://VID:PID in hex (usb://04b8:0e15), got {value!r}"
            )
    if scheme in ("serial", "file", "win32") and not value.split("://", 1)[-1].split("?", 1)[0]:
        raise ConfigError(f"{PREFIX}PRINTER: {scheme}:// needs a device, path or printer name, got {value!r}")
    baudrate = parse_qs(parts.query).get("baudrate", ["9600"])[0]
    if scheme == "serial" and not baudrate.isdigit():
        raise ConfigError(f"{PREFIX}PRINTER: baudrate must be a number, got {baudrate!r}")


def _is_hex(text: str) -> bool:
    try:
        return 0 <= int(text, 16) <= 0xFFFF
    except ValueError:
        return False


def _check_public_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"{PREFIX}PUBLIC_URL: expected an http(s) address such as http://192.168.1.10:5000, got {url!r}"
        )


def _instance_secret(instance_path: Path) -> str:
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()
