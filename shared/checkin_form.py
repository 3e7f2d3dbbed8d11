"""Server-side validation of the kiosk check-in form."""

from __future__ import annotations

import base64
import binascii
import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from PIL import Image

from shared.i18n import N_, Refusal
from shared.models import VisitorType
from shared.phone import normalise_phone
from shared.text import hidden_characters

NAME_MAX = 100
SIGNATURE_MAX_BYTES = 200_000
SIGNATURE_MAX_SIDE = 2000
SIGNATURE_MAX_PIXELS = 2_000_000  # a 2000 x 1000 pad; checked from the header, before anything is decoded
SIGNATURE_MIN_INK = 40  # dark pixels: a tap or a stray dot is not a signature
SIGNATURE_HEADER = "data:image/png;base64"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_MARKUP = re.compile(r"[<>{}\\]|&#|javascript:", re.IGNORECASE)
_NAME_CHARS = re.compile(r"[^\W\d_]|[ .,'\-]")
_ID = re.compile(r"[0-9]{1,9}")  # int() would also take " 1 ", "+5", "1_0" and "٥"

NAME_TOO_LONG = N_("Nama terlalu panjang (paling banyak 100 huruf).")  # NAME_MAX, written out: msgids are literals
PHONE_INVALID = N_("Nomor HP tidak valid. Tulis nomor HP Indonesia, misalnya 0812 3456 7890.")
PICK_TYPE = N_("Pilih jenis pengunjung.")
PICK_PARTY = N_("Pilih partai politik Anda.")
PICK_TOPIC = N_("Pilih topik konsultasi.")
PRIORITY_INVALID = N_("Pilihan layanan prioritas tidak terbaca. Silakan pilih ulang.")
LANG_INVALID = N_("Pilihan bahasa tidak terbaca. Silakan mulai lagi.")
SIGNATURE_UNREADABLE = N_("Tanda tangan tidak terbaca. Silakan tanda tangan ulang.")
SIGNATURE_TOO_BIG = N_("Tanda tangan terlalu besar. Silakan hapus dan tanda tangan ulang.")


@dataclass(frozen=True)
class _Limit:
    """The longest raw value a field may have, and what the visitor is told when it is longer or hides characters."""

    chars: int
    too_long: str
    hidden: str


# Every field the kiosk posts. The kiosk's own inputs never come near these lengths, and nothing it sends holds
# control, format or unassigned characters (Unicode category C): such values are refused before they are parsed.
FIELD_LIMITS: dict[str, _Limit] = {
    "name": _Limit(
        NAME_MAX * 4, NAME_TOO_LONG, N_("Nama berisi karakter tersembunyi atau kode kontrol. Silakan ketik ulang.")
    ),
    "phone": _Limit(
        40, PHONE_INVALID, N_("Nomor HP berisi karakter tersembunyi atau kode kontrol. Silakan ketik ulang.")
    ),
    "visitor_type": _Limit(40, PICK_TYPE, PICK_TYPE),
    "party_id": _Limit(40, PICK_PARTY, PICK_PARTY),
    "topic_id": _Limit(40, PICK_TOPIC, PICK_TOPIC),
    "priority": _Limit(10, PRIORITY_INVALID, PRIORITY_INVALID),
    "lang": _Limit(10, LANG_INVALID, LANG_INVALID),
    "signature": _Limit(
        len(SIGNATURE_HEADER) + 1 + SIGNATURE_MAX_BYTES * 4 // 3 + 4, SIGNATURE_TOO_BIG, SIGNATURE_UNREADABLE
    ),
}


@dataclass(frozen=True)
class CheckinData:
    """A validated check-in, ready to be saved."""

    name: str
    phone: str
    visitor_type: VisitorType
    party_id: int | None
    topic_id: int
    priority: bool
    signature_png: bytes
    language: str


class _Refused(ValueError):
    """A field's value cannot be used; the message is for the visitor."""


def unreadable_fields(form: Mapping[str, str]) -> dict[str, str]:
    """A message for each posted field that is far too long or hides control characters; nothing else is checked."""
    errors: dict[str, str] = {}
    for name, limit in FIELD_LIMITS.items():
        raw = form.get(name) or ""
        if len(raw) > limit.chars:
            errors[name] = limit.too_long
        elif hidden_characters(raw):
            errors[name] = limit.hidden
    return errors


def parse_checkin(
    form: Mapping[str, str], *, party_ids: set[int], topic_ids: set[int]
) -> tuple[CheckinData | None, dict[str, str]]:
    """Validate the posted fields; return the data, or None and a message per bad field."""
    unreadable = unreadable_fields(form)
    # An unreadable value is parsed as empty, then its own message replaces whatever that gave.
    raw = {name: "" if name in unreadable else form.get(name) or "" for name in FIELD_LIMITS}
    errors: dict[str, str] = {}
    name = _clean_name(raw["name"], errors)
    phone = normalise_phone(raw["phone"])
    if not raw["phone"].strip():
        errors["phone"] = N_("Nomor HP wajib diisi.")
    elif phone is None:
        errors["phone"] = PHONE_INVALID
    visitor_type = _choice(raw["visitor_type"], errors)
    party_id = _party(raw["party_id"], visitor_type, party_ids, errors)
    topic_id = _int_in(raw["topic_id"], topic_ids)
    if topic_id is None:
        errors["topic_id"] = PICK_TOPIC
    signature = _signature(raw["signature"], errors)
    errors.update(unreadable)
    if errors:
        return None, errors
    assert phone and visitor_type and topic_id is not None and signature  # narrowed by the checks above
    return (
        CheckinData(
            name=name,
            phone=phone,
            visitor_type=visitor_type,
            party_id=party_id,
            topic_id=topic_id,
            priority=raw["priority"] in ("1", "on", "true"),
            signature_png=signature,
            language="en" if raw["lang"] == "en" else "id",
        ),
        {},
    )


def _clean_name(raw: str, errors: dict[str, str]) -> str:
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    if not name:
        errors["name"] = N_("Nama wajib diisi.")
    elif len(name) > NAME_MAX:
        errors["name"] = NAME_TOO_LONG
    elif _MARKUP.search(name):
        errors["name"] = N_("Nama tidak boleh berisi kode atau tanda < > { }.")
    elif not all(_NAME_CHARS.fullmatch(c) for c in name) or sum(c.isalpha() for c in name) < 2:
        errors["name"] = N_("Nama hanya boleh berisi huruf, spasi, titik, koma, tanda petik dan tanda hubung.")
    return name


def _choice(raw: str, errors: dict[str, str]) -> VisitorType | None:
    try:
        return VisitorType(raw)
    except ValueError:
        errors["visitor_type"] = PICK_TYPE
        return None


def _party(raw: str, visitor_type: VisitorType | None, party_ids: set[int], errors: dict[str, str]) -> int | None:
    if visitor_type is not VisitorType.PARTY:
        return None
    party_id = _int_in(raw, party_ids)
    if party_id is None:
        errors["party_id"] = PICK_PARTY
    return party_id


def _int_in(raw: str, allowed: set[int]) -> int | None:
    if not _ID.fullmatch(raw):
        return None
    value = int(raw)
    return value if value in allowed else None


class SignatureRefused(Refusal):
    """A drawn signature that cannot be kept; the message is for the person who signed."""


def read_signature(raw: str) -> bytes:
    """A signature pad's data URL as a clean PNG with ink on it, or SignatureRefused saying what is wrong."""
    errors: dict[str, str] = {}
    png = _signature(raw, errors)
    if png is None:
        raise SignatureRefused(errors["signature"])
    return png


def _signature(raw: str, errors: dict[str, str]) -> bytes | None:
    """Decode a data:image/png;base64 URL and check it is a real, reasonably sized PNG with ink."""
    if not raw:
        errors["signature"] = N_("Tanda tangan wajib diisi.")
        return None
    try:
        png = _signature_png(raw)
    except _Refused as refusal:
        errors["signature"] = str(refusal)
        return None
    return png


def _signature_png(raw: str) -> bytes:
    header, _, encoded = raw.partition(",")
    if header != SIGNATURE_HEADER:
        raise _Refused(SIGNATURE_UNREADABLE)
    if len(encoded) > SIGNATURE_MAX_BYTES * 4 // 3 + 4:
        raise _Refused(SIGNATURE_TOO_BIG)
    try:
        png = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise _Refused(SIGNATURE_UNREADABLE) from None
    if not png.startswith(PNG_MAGIC):
        raise _Refused(SIGNATURE_UNREADABLE)
    ink, clean = _ink_and_clean_copy(png)
    if ink < SIGNATURE_MIN_INK:
        raise _Refused(N_("Tanda tangan masih kosong. Silakan tanda tangan di kotak."))
    return clean


def _ink_and_clean_copy(png: bytes) -> tuple[int, bytes]:
    """Count drawn pixels (opaque ones on a transparent pad, dark ones on an opaque pad) and re-encode the
    image, so what is kept holds only its pixels: no damaged chunk, trailing bytes or metadata of the sender's."""
    try:
        with Image.open(io.BytesIO(png), formats=["PNG"]) as image:
            width, height = image.size  # read from the header: no pixel is decoded yet
            if max(width, height) > SIGNATURE_MAX_SIDE or width * height > SIGNATURE_MAX_PIXELS:
                raise _Refused(SIGNATURE_TOO_BIG)
            image.load()
            clean = io.BytesIO()
            image.save(clean, format="PNG")
            if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                return sum(image.convert("RGBA").getchannel("A").histogram()[128:]), clean.getvalue()
            return sum(image.convert("L").histogram()[:160]), clean.getvalue()
    except _Refused:
        raise
    except Exception:
        # The bytes come from anyone: a damaged PNG makes Pillow raise SyntaxError, ValueError, OSError,
        # EOFError, struct.error or DecompressionBombError, and every one of them means "not a signature".
        raise _Refused(SIGNATURE_UNREADABLE) from None
