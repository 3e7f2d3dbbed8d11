"""Documentation photos (SOP step 6): checked by decoding, re-encoded without metadata, kept outside the web root.

A photo arrives as the bytes of whatever the officer's camera or file picker produced. Only what Pillow decodes as
a JPEG or PNG of a sane size is kept, and never those bytes: the pixels are turned upright, flattened onto white
and saved as a fresh JPEG, so EXIF (GPS position, camera serial, time) and anything hidden in the file are gone.
Files get random names under the photo folder (instance/photos/), which no URL maps to: staff screens serve them
through read_photo() after their own access checks.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import secrets
import tempfile
from datetime import datetime
from pathlib import Path

from PIL import Image, ImageOps
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.db import write
from shared.i18n import N_, Refusal
from shared.models import AuditEntry, Consultation, Photo  # not shared.consultation.models: that import is circular
from shared.text import hidden_characters, typed_text

log = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024  # "10 MB" as phones and Windows count it
MAX_PIXELS = 40_000_000  # read from the header and refused before a single pixel is decoded
MAX_EDGE = 2560  # longer edges are scaled down: plenty for a report page, a fraction of a phone photo's size
JPEG_QUALITY = 85
CAPTION_MAX = 200  # the column's length
MEDIA_TYPE = "image/jpeg"  # every stored photo, whatever it arrived as
JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_FILE_NAME = re.compile(r"[0-9a-f]{32}\.jpg")

WRONG_TYPE = N_("Foto harus berformat JPEG atau PNG.")
TOO_BIG = N_("Foto terlalu besar: paling besar 10 MB.")  # MAX_BYTES, written out: msgids are literals
EMPTY = N_("Foto kosong. Silakan ambil atau pilih foto lagi.")
UNREADABLE = N_("Foto rusak atau tidak terbaca. Silakan ambil atau pilih foto lagi.")
TOO_MANY_PIXELS = N_("Resolusi foto terlalu besar: paling banyak 40 megapiksel.")  # MAX_PIXELS
CAPTION_TOO_LONG = N_("Keterangan foto terlalu panjang: paling banyak 200 karakter.")  # CAPTION_MAX
CAPTION_HIDDEN = N_("Keterangan foto berisi karakter tersembunyi atau kode kontrol. Silakan ketik ulang.")
LOCKED = N_("Laporan konsultasi ini sudah ditandatangani dan dikunci: foto tidak dapat ditambahkan lagi.")
NO_CONSULTATION = N_("Konsultasi tidak ditemukan.")
NOT_FOUND = N_("Foto tidak ditemukan.")


class PhotoRejected(Refusal):
    """A photo cannot be stored, removed or shown; the message is for the officer."""


def store_photo(
    session: Session,
    photo_dir: Path,
    consultation_id: int,
    data: bytes,
    caption: str,
    user_id: int,
    now: datetime,
) -> Photo:
    """Check, clean and keep a documentation photo of a consultation that is not locked yet.

    Raises PhotoRejected, and keeps nothing, when the photo, its caption or the consultation is refused.
    """
    caption = clean_caption(caption)
    jpeg, width, height = clean_image(data)
    photo_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # photos of faces: readable by the service alone
    temporary = _write_temporary(photo_dir, jpeg)
    final = photo_dir / f"{secrets.token_hex(16)}.jpg"
    placed = False
    try:
        with write(session):
            # Locked against a receipt being signed at this moment (PostgreSQL; SQLite's writes are serial).
            consultation = session.get(Consultation, consultation_id, with_for_update=True)
            if consultation is None:
                raise PhotoRejected(NO_CONSULTATION)
            if consultation.locked:
                raise PhotoRejected(LOCKED)
            photo = Photo(
                consultation_id=consultation_id,
                file_name=final.name,
                media_type=MEDIA_TYPE,
                width=width,
                height=height,
                size=len(jpeg),
                caption=caption,
                taken_by=user_id,
                taken_at=now,
            )
            session.add(photo)
            session.flush()  # claims the unique file name before the file does, so no photo is ever overwritten
            _audit(session, photo, user_id, now, "photo.added")
            os.replace(temporary, final)
            placed = True
            _sync_directory(photo_dir)
    except BaseException:
        temporary.unlink(missing_ok=True)
        if placed:  # the commit failed after the file was in place
            final.unlink(missing_ok=True)
        raise
    return photo


def remove_photo(session: Session, photo_dir: Path, photo_id: int, user_id: int, now: datetime) -> Photo:
    """Mark a photo removed (its row stays for the audit trail) and delete its file."""
    with write(session):
        photo = session.get(Photo, photo_id, with_for_update=True)
        if photo is None or photo.removed_at is not None:
            raise PhotoRejected(NOT_FOUND)
        path = photo_path(photo_dir, photo)
        photo.removed_at = now
        _audit(session, photo, user_id, now, "photo.removed")
    try:
        path.unlink(missing_ok=True)
    except OSError:
        # The removal is recorded and the photo is no longer served; the file is left for the operator.
        log.warning("photo %s is removed but its file %s could not be deleted", photo.id, path, exc_info=True)
    return photo


def photos_of(session: Session, consultation_id: int) -> list[Photo]:
    """The consultation's photos that are not removed, oldest first."""
    query = (
        select(Photo)
        .where(Photo.consultation_id == consultation_id, Photo.removed_at.is_(None))
        .order_by(Photo.taken_at, Photo.id)
    )
    return list(session.scalars(query))


def photo_path(photo_dir: Path, photo: Photo) -> Path:
    """Where a photo's file is; PhotoRejected if its name would lead anywhere but straight into photo_dir."""
    base = photo_dir.resolve()
    if not _FILE_NAME.fullmatch(photo.file_name):
        raise PhotoRejected(NOT_FOUND)
    path = (base / photo.file_name).resolve()  # follows a symbolic link planted in the folder
    if path.parent != base:
        raise PhotoRejected(NOT_FOUND)
    return path


def read_photo(session: Session, photo_dir: Path, photo_id: int) -> tuple[Photo, bytes]:
    """A photo that is not removed and its JPEG bytes, for a staff screen that has checked who may see it."""
    photo = session.get(Photo, photo_id)
    if photo is None or photo.removed_at is not None:
        raise PhotoRejected(NOT_FOUND)
    path = photo_path(photo_dir, photo)
    try:
        return photo, path.read_bytes()
    except FileNotFoundError:
        raise PhotoRejected(NOT_FOUND) from None


def clean_caption(raw: str) -> str:
    """The caption without surrounding spaces; PhotoRejected if too long or holding control characters."""
    caption = typed_text(raw)
    if len(caption) > CAPTION_MAX:
        raise PhotoRejected(CAPTION_TOO_LONG)
    # Checked on what was sent: a caption field is one line, so even a stray newline came from no screen of ours.
    if hidden_characters(raw):
        raise PhotoRejected(CAPTION_HIDDEN)
    return caption


def clean_image(data: bytes) -> tuple[bytes, int, int]:
    """Decode a JPEG or PNG and return it as a fresh upright RGB JPEG with no metadata, with its width and height."""
    if not data:
        raise PhotoRejected(EMPTY)
    if len(data) > MAX_BYTES:
        raise PhotoRejected(TOO_BIG)
    if data.startswith(JPEG_MAGIC):
        kind = "JPEG"
    elif data.startswith(PNG_MAGIC):
        kind = "PNG"
    else:
        raise PhotoRejected(WRONG_TYPE)
    try:
        with Image.open(io.BytesIO(data), formats=[kind]) as image:
            width, height = image.size  # from the header: nothing is decoded yet
            if width * height > MAX_PIXELS:
                raise PhotoRejected(TOO_MANY_PIXELS)
            if kind == "JPEG":
                image.draft("RGB", (MAX_EDGE, MAX_EDGE))  # libjpeg decodes straight at 1/2, 1/4 or 1/8 size
            image.load()
            has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
            upright = ImageOps.exif_transpose(image)
            clean = _on_white(upright) if has_alpha else upright.convert("RGB")
            clean.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.LANCZOS)
            buffer = io.BytesIO()
            clean.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)  # no exif=, no icc_profile=
    except PhotoRejected:
        raise
    except Image.DecompressionBombError:  # Pillow's own cap, met by headers far past ours
        raise PhotoRejected(TOO_MANY_PIXELS) from None
    except Exception:
        # The bytes come from anyone: a damaged file makes Pillow raise SyntaxError, ValueError, OSError,
        # EOFError, struct.error, ZeroDivisionError and more, and every one of them means "not a photo".
        raise PhotoRejected(UNREADABLE) from None
    return buffer.getvalue(), clean.width, clean.height


def _on_white(image: Image.Image) -> Image.Image:
    # JPEG has no transparency; converting straight to RGB would show transparent areas in whatever colour they hide.
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, "white")
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat


def _write_temporary(directory: Path, content: bytes) -> Path:
    """Write content to a new private file in directory and flush it to disk; a failure leaves nothing behind."""
    handle, name = tempfile.mkstemp(dir=directory, prefix=".incoming-", suffix=".part")  # mode 0600
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def _sync_directory(directory: Path) -> None:
    # Makes the rename itself durable before the row is committed; Windows cannot open a folder for this.
    if os.name != "posix":
        return
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _audit(session: Session, photo: Photo, user_id: int, now: datetime, action: str) -> None:
    detail = json.dumps({"photo_id": photo.id}, sort_keys=True)
    session.add(
        AuditEntry(consultation_id=photo.consultation_id, user_id=user_id, at=now, action=action, detail=detail)
    )
