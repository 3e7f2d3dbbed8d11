"""Indonesian mobile numbers: accept how people write them, store E.164."""

from __future__ import annotations

import re

# Mobile ranges start 81, 82, 83, 85, 87, 88 or 89; 84 and 86 are not in use for mobiles.
_MOBILE = re.compile(r"8[1235789]\d{7,10}")
_SEPARATORS = re.compile(r"[\s\-.()/]")


def normalise_phone(text: str) -> str | None:
    """Return +628... for an Indonesian mobile number written 08.., 8.., 628.. or +628..; else None."""
    compact = _SEPARATORS.sub("", text or "")
    if compact.startswith("+62"):
        national = compact[3:]
    elif compact.startswith("62"):
        national = compact[2:]
    elif compact.startswith("0"):
        national = compact[1:]
    else:
        national = compact
    return f"+62{national}" if _MOBILE.fullmatch(national) else None


def display_phone(e164: str) -> str:
    """Format +6281234567890 as 0812-3456-7890 for staff screens."""
    national = "0" + e164[3:]
    return "-".join([national[:4], national[4:8], national[8:]]).rstrip("-")
