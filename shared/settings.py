"""The subset of configuration that services need, as a typed value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
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
