"""Text people type: which characters no keyboard of ours sends, and the one way such text is tidied."""

from __future__ import annotations

import re
import unicodedata

LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x85]")
TEXTAREA_CONTROLS = frozenset("\r\n\t")  # a textarea sends its line breaks as \r\n
# What secrets.token_urlsafe writes, as tickets and receipts use it: anything else names nothing and is not looked up
# (PostgreSQL refuses a NUL in a query outright).
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Plain ASCII text, the usual case, is checked by a regular expression instead of character by character.
_ASCII_CONTROLS = {False: re.compile(r"[\x00-\x1f\x7f]"), True: re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")}


def hidden_characters(text: str, multiline: bool = False) -> bool:
    """Whether the text holds control, format, private-use or unassigned characters (Unicode category C).

    Such characters hide what a value really says (a bidi override turns text around); only the line breaks
    and tabs of a multi-line field pass.
    Checked before typed_text(): str.split() and str.strip() take some control characters for spaces.
    """
    if text.isascii():
        return _ASCII_CONTROLS[multiline].search(text) is not None
    allowed = TEXTAREA_CONTROLS if multiline else frozenset()
    return any(unicodedata.category(char)[0] == "C" and char not in allowed for char in text)


def typed_text(text: str, multiline: bool = False) -> str:
    """Text as it is kept: NFC, every line break as \\n, trimmed; one-line text has its runs of spaces made one."""
    text = LINE_BREAKS.sub("\n", unicodedata.normalize("NFC", text))
    return text.strip() if multiline else " ".join(text.split())


def is_token(text: str) -> bool:
    """Whether the text could be a ticket's or a receipt's token."""
    return TOKEN.fullmatch(text) is not None
