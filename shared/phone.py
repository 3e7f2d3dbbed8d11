"""Indonesian mobile numbers: accept how people write them, store E.164, show the national format."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

# Digits and the separators people write; phonenumbers would read letters as keypad digits ("0812-ABC").
_WRITTEN = re.compile(r"\s*\+?[0-9\s\-.()/]+")
_SEPARATORS = re.compile(r"[\s\-.()/]")
# "+62 0812...": the trunk 0 belongs to the national form only; such a number is mistyped, not guessed at.
_TRUNK_AFTER_COUNTRY_CODE = re.compile(r"\+?620")
_MOBILE = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


def normalise_phone(text: str) -> str | None:
    """Return +628... for an Indonesian mobile number written 08.., 8.., 628.. or +628..; else None."""
    if not text or not _WRITTEN.fullmatch(text):
        return None
    compact = _SEPARATORS.sub("", text)
    if _TRUNK_AFTER_COUNTRY_CODE.match(compact):
        return None
    # A leading 62 is the country code: read nationally, "62811..." would be a landline, never a mobile number.
    written = "+" + compact if compact.startswith("62") else compact
    try:
        number = phonenumbers.parse(written, "ID")
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number_for_region(number, "ID") or phonenumbers.number_type(number) not in _MOBILE:
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """Format +6281234567890 as 0812-3456-7890 for staff screens; a number it cannot read is shown as stored."""
    try:
        number = phonenumbers.parse(e164, "ID")
    except NumberParseException:
        return e164
    return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
