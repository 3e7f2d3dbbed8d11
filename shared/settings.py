"""The subset of configuration that services need, as a typed value."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class QueueSettings:
    """How tickets are numbered, linked and estimated."""

    timezone: ZoneInfo
    ticket_prefix: str
    priority_prefix: str
    public_url: str
    minutes_per_visitor: int
    desks: int
    call_ratio: tuple[int, int] = (2, 1)  # normal : priority while both are waiting

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> QueueSettings:
        """Build from the application's validated configuration."""
        return cls(
            timezone=ZoneInfo(config["TIMEZONE"]),
            ticket_prefix=config["TICKET_PREFIX"],
            priority_prefix=config["PRIORITY_PREFIX"],
            public_url=config["PUBLIC_URL"],
            minutes_per_visitor=config["MINUTES_PER_VISITOR"],
            desks=config["DESKS"],
            call_ratio=tuple(int(part) for part in config["CALL_RATIO"].split(":")),  # type: ignore[arg-type]
        )

    def today(self, now: datetime) -> date:
        """The office's service day at this moment."""
        return now.astimezone(self.timezone).date()

    def status_url(self, token: str) -> str:
        """The address behind a ticket's QR code."""
        return f"{self.public_url}/t/{token}"

    def receipt_url(self, token: str) -> str:
        """The address behind a receipt's QR code: the report's proof and download."""
        return f"{self.public_url}/r/{token}"


def phones_address(configured: str, host: str, port: int, lan_ip: Callable[[], str]) -> str:
    """The address behind tickets' QR codes: HELPDESK_PUBLIC_URL if set, else where this server listens.

    A server listening on every interface (0.0.0.0, ::) is reached at the machine's LAN address.
    """
    if configured:
        return configured
    if host in ("", "0.0.0.0", "::"):
        host = lan_ip()
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def unreachable_by_phones(url: str) -> bool:
    """Whether a phone can never open this address: a loopback address only reaches the server itself."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: the office's DNS may well resolve it


def lan_ip() -> str:
    """This machine's address on the network its default route leads to (no packet is sent); loopback if none."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere, only used to choose an interface
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"
