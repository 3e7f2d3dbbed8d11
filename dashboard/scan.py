"""What a USB barcode scanner types when it reads a ticket's QR code."""

from __future__ import annotations

import re

_TOKEN = re.compile(r"(?:/t/)?([A-Za-z0-9_-]{20,64})/?$")


def token_from_scan(code: str) -> str | None:
    """The ticket token in a scanned status URL (or a bare token), or None if it is not one."""
    match = _TOKEN.search(code.strip())
    return match.group(1) if match else None
