"""Server-side validation of the kiosk check-in form."""

from __future__ import annotations

import base64
import binascii
import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from shared.models import VisitorType
from shared.phone import normalise_phone

NAME_MAX = 100
SIGNATURE_MAX_BYTES = 200_000
SIGNATURE_MAX_SIDE = 2000
SIGNATURE_MIN_INK = 40  # dark pixels: a tap or a stray dot is not a signature
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_MARKUP = re.compile(r"[<>{}\\]|&#|javascript:", re.IGNORECASE)
_NAME_CHARS = re.compile(r"[^\W\d_]|[ .,'\-]")


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


def parse_checkin(
    form: Mapping[str, str], *, party_ids: set[int], topic_ids: set[int]
) -> tuple[CheckinData | None, dict[str, str]]:
    """Validate the posted fields; return the data, or None and a message per bad field."""
    errors: dict[str, str] = {}
    name = _clean_name(form.get("name", ""), errors)
    phone = normalise_phone(form.get("phone", ""))
    if not form.get("phone", "").strip():
        errors["phone"] = "Nomor HP wajib diisi."
    elif phone is None:
        errors["phone"] = "Nomor HP tidak valid. Tulis nomor HP Indonesia, misalnya 0812 3456 7890."
    visitor_type = _choice(form.get("visitor_type", ""), errors)
    party_id = _party(form.get("party_id", ""), visitor_type, party_ids, errors)
    topic_id = _int_in(form.get("topic_id", ""), topic_ids)
    if topic_id is None:
        errors["topic_id"] = "Pilih topik konsultasi."
    signature = _signature(form.get("signature", ""), errors)
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
            priority=form.get("priority") in ("1", "on", "true"),
            signature_png=signature,
            language="en" if form.get("lang") == "en" else "id",
        ),
        {},
    )


def _clean_name(raw: str, errors: dict[str, str]) -> str:
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    if not name:
        errors["name"] = "Nama wajib diisi."
    elif len(name) > NAME_MAX:
        errors["name"] = f"Nama terlalu panjang (paling banyak {NAME_MAX} huruf)."
    elif _MARKUP.search(name) or any(unicodedata.category(c).startswith("C") for c in name):
        errors["name"] = "Nama tidak boleh berisi kode atau tanda < > { }."
    elif not all(_NAME_CHARS.fullmatch(c) for c in name) or sum(c.isalpha() for c in name) < 2:
        errors["name"] = "Nama hanya boleh berisi huruf, spasi, titik, koma, tanda petik dan tanda hubung."
    return name


def _choice(raw: str, errors: dict[str, str]) -> VisitorType | None:
    try:
        return VisitorType(raw)
    except ValueError:
        errors["visitor_type"] = "Pilih jenis pengunjung."
        return None


def _party(raw: str, visitor_type: VisitorType | None, party_ids: set[int], errors: dict[str, str]) -> int | None:
    if visitor_type is not VisitorType.PARTY:
        return None
    party_id = _int_in(raw, party_ids)
    if party_id is None:
        errors["party_id"] = "Pilih partai politik Anda."
    return party_id


def _int_in(raw: str, allowed: set[int]) -> int | None:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if value in allowed else None


def _signature(raw: str, errors: dict[str, str]) -> bytes | None:
    """Decode a data:image/png;base64 URL and check it is a real, reasonably sized PNG with ink."""
    if not raw:
        errors["signature"] = "Tanda tangan wajib diisi."
        return None
    header, _, encoded = raw.partition(",")
    if header != "data:image/png;base64" or len(encoded) > SIGNATURE_MAX_BYTES * 4 // 3 + 4:
        errors["signature"] = _signature_error(header, encoded)
        return None
    try:
        png = base64.b64decode(encoded, validate=True)
        if not png.startswith(PNG_MAGIC):
            raise ValueError("not a PNG")
        with Image.open(io.BytesIO(png)) as image:
            if image.format != "PNG" or max(image.size) > SIGNATURE_MAX_SIDE:
                raise ValueError("bad size or format")
            ink = _ink(image)
    except (binascii.Error, ValueError, UnidentifiedImageError, OSError, Image.DecompressionBombError):
        errors["signature"] = "Tanda tangan tidak terbaca. Silakan tanda tangan ulang."
        return None
    if ink < SIGNATURE_MIN_INK:
        errors["signature"] = "Tanda tangan masih kosong. Silakan tanda tangan di kotak."
        return None
    return png


def _signature_error(header: str, encoded: str) -> str:
    if header != "data:image/png;base64":
        return "Tanda tangan tidak terbaca. Silakan tanda tangan ulang."
    return "Tanda tangan terlalu besar. Silakan hapus dan tanda tangan ulang."


def _ink(image: Image.Image) -> int:
    """Count drawn pixels: opaque ones on a transparent pad, dark ones on an opaque pad."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        return sum(image.convert("RGBA").getchannel("A").histogram()[128:])
    return sum(image.convert("L").histogram()[:160])
