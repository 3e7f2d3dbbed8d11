"""Documentation photos on a real database and a real folder: what is kept, what is refused, and that a refusal or
a failure leaves neither a file nor a row behind."""

from __future__ import annotations

import contextlib
import errno
import functools
import io
import json
import os
import stat
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageDraw, ImageFile
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from shared.consultation import photos
from shared.consultation.photos import PhotoRejected, photo_path, photos_of, read_photo, remove_photo, store_photo
from shared.db import write
from shared.i18n import translate
from shared.models import AuditEntry, Consultation, Photo, Visit
from tests.conftest import NOW, damaged_png, make_user
from tests.factories import checkin

RED, BLUE = (220, 20, 20), (20, 20, 220)
GPS_TAGS = {
    ExifTags.GPS.GPSLatitudeRef: "S",
    ExifTags.GPS.GPSLatitude: (10.0, 10.0, 12.5),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (123.0, 36.0, 7.0),
}
SECRET_MAKE = "KameraRahasia-Serial-0042"


def picture(size: tuple[int, int] = (60, 40), mode: str = "RGB") -> Image.Image:
    """Red on the left half, blue on the right: which way up it is stored shows."""
    image = Image.new("RGB", size, BLUE)
    ImageDraw.Draw(image).rectangle([0, 0, size[0] // 2 - 1, size[1]], fill=RED)
    return image.convert(mode)


def encode(image: Image.Image, kind: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=kind, **options)
    return buffer.getvalue()


def jpeg(size: tuple[int, int] = (60, 40), **options: Any) -> bytes:
    return encode(picture(size), "JPEG", quality=95, **options)


def png(size: tuple[int, int] = (60, 40), mode: str = "RGB", **options: Any) -> bytes:
    return encode(picture(size, mode), "PNG", **options)


def camera_exif(orientation: int = 1) -> Image.Exif:
    """What a phone writes: its make, the orientation and where the photo was taken."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = SECRET_MAKE
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = GPS_TAGS
    return exif


def with_dimensions(data: bytes, width: int, height: int) -> bytes:
    """The image with the size in its header changed and nothing else: what a decompression bomb looks like."""
    if data.startswith(photos.PNG_MAGIC):
        header = data[12:29]  # IHDR's type, then width and height first in its data; its CRC follows
        header = header[:4] + struct.pack(">II", width, height) + header[12:]
        return data[:12] + header + struct.pack(">I", zlib.crc32(header)) + data[33:]
    # The frame header (SOF0 baseline, SOF2 progressive): marker, length (2), precision (1), height, width.
    found = [at for marker in (b"\xff\xc0", b"\xff\xc2") if (at := data.find(marker)) >= 0]
    if not found:
        raise ValueError("no frame header")
    start = min(found) + 5
    return data[:start] + struct.pack(">HH", height, width) + data[start + 4 :]


def png_chunk(kind: bytes, content: bytes) -> bytes:
    return struct.pack(">I", len(content)) + kind + content + struct.pack(">I", zlib.crc32(kind + content))


@functools.cache
def png_bomb(side: int, rows: int) -> bytes:
    """A greyscale PNG side x side whose first rows of zeros are really there, compressed a thousandfold."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (side + 1)  # the filter byte, then one byte per pixel
    idat = b"".join(compressor.compress(row) for _ in range(rows)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return photos.PNG_MAGIC + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


@pytest.fixture
def officer(session: Session) -> Any:
    return make_user(session)


@pytest.fixture
def consultation(session: Session, officer: Any) -> Consultation:
    """An open consultation of a checked-in visitor, at SOP step 6."""
    visit = session.get_one(Visit, checkin(session).visit_id)
    consultation = Consultation(
        visit_id=visit.id, office_id=visit.office_id, officer_id=officer.id, step=6, started_at=NOW
    )
    with write(session):
        session.add(consultation)
    return consultation


@pytest.fixture
def photo_dir(tmp_path: Path) -> Path:
    return tmp_path / "instance" / "photos"  # made by the first photo stored


def store(session: Session, photo_dir: Path, consultation: Consultation, data: bytes, caption: str = "") -> Photo:
    return store_photo(session, photo_dir, consultation.id, data, caption, consultation.officer_id, NOW)


def files(photo_dir: Path) -> list[str]:
    return sorted(path.name for path in photo_dir.iterdir()) if photo_dir.exists() else []


def saved(session: Session, photo_dir: Path) -> tuple[int, int, list[str]]:
    """Photo rows, photo audit entries and files in the photo folder."""
    rows = session.scalar(select(func.count()).select_from(Photo)) or 0
    audits = session.scalar(select(func.count()).where(AuditEntry.action.like("photo.%"))) or 0
    return rows, audits, files(photo_dir)


def stored_image(photo_dir: Path, photo: Photo) -> Image.Image:
    image = Image.open(photo_dir / photo.file_name)
    image.load()
    return image


def close_to(pixel: Any, colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(pixel, colour, strict=True))


# What is kept


def test_a_jpeg_is_kept_as_a_private_jpeg_with_its_row_and_audit_entry(
    session: Session, photo_dir: Path, consultation: Consultation
) -> None:
    photo = store(session, photo_dir, consultation, jpeg((640, 480)), "  Penyerahan laporan kepada LO  ")
    [name] = files(photo_dir)
    assert name == photo.file_name and len(name) == len("0123456789abcdef" * 2 + ".jpg")
    assert int(name.removesuffix(".jpg"), 16) >= 0
    path = photo_dir / name
    assert (photo.media_type, photo.width, photo.height) == ("image/jpeg", 640, 480)
    assert photo.size == path.stat().st_size
    assert (photo.caption, photo.taken_by, photo.taken_at) == (
        "Penyerahan laporan kepada LO",
        consultation.officer_id,
        NOW,
    )
    assert stored_image(photo_dir, photo).format == "JPEG"
    if os.name == "posix":  # photos of faces: readable by the service's account alone
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(photo_dir.stat().st_mode) & 0o077 == 0
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "photo.added")).one()
    assert (audit.consultation_id, audit.user_id, audit.at) == (consultation.id, consultation.officer_id, NOW)
    assert json.loads(audit.detail) == {"photo_id": photo.id}
    assert [p.id for p in photos_of(session, consultation.id)] == [photo.id]


def test_a_png_is_kept_as_a_jpeg_and_its_transparent_parts_become_white(
    session: Session, photo_dir: Path, consultation: Consultation
) -> None:
    image = Image.new("RGBA", (60, 40), (0, 0, 0, 0))  # transparent black: shown as black if merely converted
    ImageDraw.Draw(image).rectangle([30, 0, 59, 39], fill=(*BLUE, 255))
    photo = store(session, photo_dir, consultation, encode(image, "PNG"))
    kept = stored_image(photo_dir, photo)
    assert (kept.format, kept.mode, kept.size) == ("JPEG", "RGB", (60, 40))
    assert close_to(kept.getpixel((5, 20)), (255, 255, 255))
    assert close_to(kept.getpixel((50, 20)), BLUE)


@pytest.mark.parametrize("mode", ["P", "L", "LA", "I;16", "1"])
def test_pngs_of_every_common_layout_are_kept(
    session: Session, photo_dir: Path, consultation: Consultation, mode: str
) -> None:
    photo = store(session, photo_dir, consultation, png(mode=mode))
    assert stored_image(photo_dir, photo).mode == "RGB"


@pytest.mark.parametrize("kind", ["JPEG", "PNG"])
def test_exif_with_the_gps_position_and_other_metadata_is_gone_from_the_stored_file(
    session: Session, photo_dir: Path, consultation: Consultation, kind: str
) -> None:
    options: dict[str, Any] = {"exif": camera_exif()}
    if kind == "PNG":
        from PIL.PngImagePlugin import PngInfo

        text = PngInfo()
        text.add_text("Comment", f"{SECRET_MAKE} di -10.17, 123.60")
        options["pnginfo"] = text
    sent = encode(picture(), kind, **options)
    with Image.open(io.BytesIO(sent)) as original:  # the position really was in what was sent
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "S"
    assert SECRET_MAKE.encode() in sent

    photo = store(session, photo_dir, consultation, sent)
    kept_bytes = (photo_dir / photo.file_name).read_bytes()
    kept = stored_image(photo_dir, photo)
    assert dict(kept.getexif()) == {}
    assert kept.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert "exif" not in kept.info and "icc_profile" not in kept.info
    assert b"Exif" not in kept_bytes and SECRET_MAKE.encode() not in kept_bytes


@pytest.mark.parametrize(
    ("orientation", "size", "red_at", "blue_at"),
    [
        (1, (60, 40), (10, 20), (50, 20)),
        (3, (60, 40), (50, 20), (10, 20)),  # upside down: red ends up on the right
        (6, (40, 60), (20, 10), (20, 50)),  # turned a quarter clockwise: the left half ends up on top
        (8, (40, 60), (20, 50), (20, 10)),  # a quarter anticlockwise: the left half ends up at the bottom
    ],
)
def test_the_camera_orientation_is_applied_to_the_pixels(
    session: Session,
    photo_dir: Path,
    consultation: Consultation,
    orientation: int,
    size: tuple[int, int],
    red_at: tuple[int, int],
    blue_at: tuple[int, int],
) -> None:
    photo = store(session, photo_dir, consultation, jpeg(exif=camera_exif(orientation)))
    kept = stored_image(photo_dir, photo)
    assert (photo.width, photo.height) == kept.size == size
    assert close_to(kept.getpixel(red_at), RED) and close_to(kept.getpixel(blue_at), BLUE)
    assert kept.getexif().get(ExifTags.Base.Orientation) is None  # not turned a second time by a viewer


@pytest.mark.parametrize(
    ("data", "size"), [(lambda: jpeg((5200, 3900)), (2560, 1920)), (lambda: png((900, 3000)), (768, 2560))]
)
def test_large_photos_are_scaled_down_to_the_longest_edge(
    session: Session, photo_dir: Path, consultation: Consultation, data: Any, size: tuple[int, int]
) -> None:
    photo = store(session, photo_dir, consultation, data())
    assert (photo.width, photo.height) == stored_image(photo_dir, photo).size == size


def test_a_photo_of_exactly_10_mb_is_accepted(session: Session, photo_dir: Path, consultation: Consultation) -> None:
    sent = jpeg()
    sent += b"\x00" * (photos.MAX_BYTES - len(sent))  # bytes after the image's end are ignored, not kept
    photo = store(session, photo_dir, consultation, sent)
    assert photo.size < 10_000


def test_captions_up_to_200_characters_are_kept(session: Session, photo_dir: Path, consultation: Consultation) -> None:
    caption = "Dokumentasi " + "é" * 188  # composed from e and a combining accent: 200 characters once composed
    photo = store(session, photo_dir, consultation, jpeg(), " " + caption.replace("é", "e\u0301") + "\u3000")
    assert photo.caption == caption and len(photo.caption) == 200


# What is refused


def refusal_cases() -> list[Any]:
    gif = encode(picture(), "GIF")
    text_file = b"Laporan helpdesk: ini bukan foto.\n"
    return [
        pytest.param(gif, "", photos.WRONG_TYPE, id="gif"),
        pytest.param(encode(picture(), "WEBP"), "", photos.WRONG_TYPE, id="webp"),
        pytest.param(encode(picture(), "PDF"), "", photos.WRONG_TYPE, id="pdf"),
        pytest.param(encode(picture(), "BMP"), "", photos.WRONG_TYPE, id="bmp"),
        pytest.param(encode(picture(), "TIFF"), "", photos.WRONG_TYPE, id="tiff"),
        pytest.param(text_file, "", photos.WRONG_TYPE, id="text"),
        pytest.param(b"\xff\xd8", "", photos.WRONG_TYPE, id="two-bytes-of-jpeg"),
        pytest.param(b"", "", photos.EMPTY, id="zero-bytes"),
        pytest.param(jpeg() + b"\x00" * (photos.MAX_BYTES + 1 - len(jpeg())), "", photos.TOO_BIG, id="over-10-mb"),
        pytest.param(damaged_png(png()), "", photos.UNREADABLE, id="damaged-png"),
        pytest.param(png()[:40], "", photos.UNREADABLE, id="png-cut-after-header"),
        pytest.param(png()[: len(png()) // 2], "", photos.UNREADABLE, id="png-cut-in-half"),
        pytest.param(png()[:-24], "", photos.UNREADABLE, id="png-cut-in-its-last-data"),
        pytest.param(jpeg()[:3], "", photos.UNREADABLE, id="jpeg-magic-only"),
        pytest.param(jpeg()[: len(jpeg()) // 2], "", photos.UNREADABLE, id="jpeg-cut-in-half"),
        pytest.param(jpeg((640, 480))[:-200], "", photos.UNREADABLE, id="jpeg-cut-near-end"),
        pytest.param(jpeg()[:-2], "", photos.UNREADABLE, id="jpeg-without-end-marker"),
        pytest.param(photos.JPEG_MAGIC + b"\xe0" + gif, "", photos.UNREADABLE, id="gif-behind-jpeg-magic"),
        pytest.param(png_bomb(30_000, 64), "", photos.TOO_MANY_PIXELS, id="png-bomb-30000"),
        pytest.param(png_bomb(8_000, 8_000), "", photos.TOO_MANY_PIXELS, id="png-bomb-8000"),
        pytest.param(with_dimensions(jpeg(), 7_000, 7_000), "", photos.TOO_MANY_PIXELS, id="jpeg-header-7000"),
        pytest.param(with_dimensions(jpeg(), 65_000, 65_000), "", photos.TOO_MANY_PIXELS, id="jpeg-header-65000"),
        pytest.param(with_dimensions(png(), 7_000, 6_000), "", photos.TOO_MANY_PIXELS, id="png-header-7000"),
        pytest.param(jpeg(), "x" * 10_000, photos.CAPTION_TOO_LONG, id="caption-10000"),
        pytest.param(jpeg(), "x" * 201, photos.CAPTION_TOO_LONG, id="caption-201"),
        pytest.param(jpeg(), "Foto\x00 bersama", photos.CAPTION_HIDDEN, id="caption-nul"),
        pytest.param(jpeg(), "Foto\nbersama", photos.CAPTION_HIDDEN, id="caption-newline"),
        pytest.param(jpeg(), "Foto bersama\n", photos.CAPTION_HIDDEN, id="caption-trailing-newline"),
        pytest.param(jpeg(), "Foto\x1b[31m merah", photos.CAPTION_HIDDEN, id="caption-escape"),
        pytest.param(jpeg(), "Foto \u202eLO", photos.CAPTION_HIDDEN, id="caption-right-to-left-override"),
        pytest.param(jpeg(), "Foto\u200bbersama", photos.CAPTION_HIDDEN, id="caption-zero-width-space"),
        pytest.param(jpeg(), "Foto\x7f", photos.CAPTION_HIDDEN, id="caption-delete"),
    ]


@pytest.mark.parametrize(("data", "caption", "message"), refusal_cases())
def test_each_refusal_says_why_and_keeps_nothing(
    session: Session,
    photo_dir: Path,
    consultation: Consultation,
    monkeypatch: pytest.MonkeyPatch,
    data: bytes,
    caption: str,
    message: str,
) -> None:
    decoded = []
    load = ImageFile.ImageFile.load
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda image: decoded.append(image.size) or load(image))
    with pytest.raises(PhotoRejected) as refused:
        store(session, photo_dir, consultation, data, caption)
    assert str(refused.value) == message
    assert translate(message, "en") != message  # the English screen says it in English
    assert saved(session, photo_dir) == (0, 0, [])
    assert all(width * height <= photos.MAX_PIXELS for width, height in decoded)  # no bomb was ever decoded


def test_a_gif_saved_under_a_jpg_name_is_still_refused(
    session: Session, photo_dir: Path, consultation: Consultation, tmp_path: Path
) -> None:
    upload = tmp_path / "foto-kegiatan.jpg"
    picture().save(upload, format="GIF")
    with pytest.raises(PhotoRejected, match="^Foto harus berformat JPEG atau PNG.$"):
        store(session, photo_dir, consultation, upload.read_bytes())
    assert saved(session, photo_dir) == (0, 0, [])


def test_the_messages_read_as_the_office_writes_them() -> None:
    assert PhotoRejected(photos.WRONG_TYPE).text("id") == "Foto harus berformat JPEG atau PNG."
    assert PhotoRejected(photos.TOO_BIG).text("id") == "Foto terlalu besar: paling besar 10 MB."
    assert PhotoRejected(photos.TOO_BIG).text("en") == "The photo is too large: 10 MB at most."


def test_a_locked_consultation_takes_no_more_photos(
    session: Session, photo_dir: Path, consultation: Consultation
) -> None:
    store(session, photo_dir, consultation, jpeg())
    with write(session):
        consultation.receipt_signed_at = NOW
    before = saved(session, photo_dir)
    with pytest.raises(PhotoRejected) as refused:
        store(session, photo_dir, consultation, jpeg(), "Foto susulan")
    assert str(refused.value) == photos.LOCKED
    assert saved(session, photo_dir) == before


def test_a_photo_for_no_consultation_is_refused(session: Session, photo_dir: Path, officer: Any) -> None:
    with pytest.raises(PhotoRejected) as refused:
        store_photo(session, photo_dir, 999_999, jpeg(), "", officer.id, NOW)
    assert str(refused.value) == photos.NO_CONSULTATION
    assert saved(session, photo_dir) == (0, 0, [])


# Failures after the file is written


def test_a_failed_commit_removes_the_file_it_had_put_in_place(
    sessions: sessionmaker[Session],
    session: Session,
    photo_dir: Path,
    consultation: Consultation,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    placed: list[str] = []
    real_replace = os.replace

    def replace_and_note(source: Any, target: Any) -> None:
        real_replace(source, target)
        placed.extend(files(photo_dir))  # the file was really there before the commit failed

    def failing_commit() -> None:
        raise OperationalError("COMMIT", {}, Exception("the database server went away"))

    monkeypatch.setattr(os, "replace", replace_and_note)
    monkeypatch.setattr(session, "commit", failing_commit)
    with pytest.raises(OperationalError):
        store(session, photo_dir, consultation, jpeg())
    monkeypatch.undo()
    assert len(placed) == 1 and placed[0].endswith(".jpg")
    with sessions() as fresh:
        assert saved(fresh, photo_dir) == (0, 0, [])


def test_a_file_name_already_taken_fails_in_the_database_and_never_overwrites_the_other_photo(
    session: Session, photo_dir: Path, consultation: Consultation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(photos.secrets, "token_hex", lambda _n: "ab" * 16)
    first = store(session, photo_dir, consultation, jpeg())
    first_bytes = (photo_dir / first.file_name).read_bytes()
    with pytest.raises(IntegrityError):
        store(session, photo_dir, consultation, png((300, 200)))
    assert saved(session, photo_dir) == (1, 1, [first.file_name])
    assert (photo_dir / first.file_name).read_bytes() == first_bytes


def test_a_disk_failure_while_writing_leaves_no_half_file(
    session: Session, photo_dir: Path, consultation: Consultation, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        store(session, photo_dir, consultation, jpeg())
    monkeypatch.undo()
    assert saved(session, photo_dir) == (0, 0, [])


# Removing and reading


def test_removing_a_photo_deletes_its_file_and_keeps_its_row_for_the_audit_trail(
    session: Session, photo_dir: Path, consultation: Consultation
) -> None:
    kept = store(session, photo_dir, consultation, jpeg(), "Tetap")
    photo = store(session, photo_dir, consultation, png(), "Salah foto")
    later = NOW.replace(minute=30)
    remove_photo(session, photo_dir, photo.id, consultation.officer_id, later)
    assert files(photo_dir) == [kept.file_name]
    assert session.get_one(Photo, photo.id).removed_at == later
    assert [p.id for p in photos_of(session, consultation.id)] == [kept.id]
    removal = session.scalars(select(AuditEntry).where(AuditEntry.action == "photo.removed")).one()
    assert (removal.consultation_id, removal.user_id, removal.at) == (consultation.id, consultation.officer_id, later)
    assert json.loads(removal.detail) == {"photo_id": photo.id}
    for attempt in (
        lambda: read_photo(session, photo_dir, photo.id),
        lambda: remove_photo(session, photo_dir, photo.id, consultation.officer_id, later),
    ):
        with pytest.raises(PhotoRejected, match=f"^{photos.NOT_FOUND}$"):
            attempt()
    assert session.scalar(select(func.count()).where(AuditEntry.action == "photo.removed")) == 1


def test_a_removed_photo_whose_file_cannot_be_deleted_is_no_longer_served(
    session: Session,
    photo_dir: Path,
    consultation: Consultation,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    photo = store(session, photo_dir, consultation, jpeg())

    def refuse(_path: Path, missing_ok: bool = False) -> None:
        raise PermissionError(errno.EACCES, "Access is denied")  # Windows, while a viewer holds the file open

    monkeypatch.setattr(Path, "unlink", refuse)
    remove_photo(session, photo_dir, photo.id, consultation.officer_id, NOW)
    monkeypatch.undo()
    assert files(photo_dir) == [photo.file_name]
    assert f"photo {photo.id} is removed but its file" in caplog.text
    with pytest.raises(PhotoRejected, match=f"^{photos.NOT_FOUND}$"):
        read_photo(session, photo_dir, photo.id)
    assert photos_of(session, consultation.id) == []


def test_a_photo_is_read_back_as_stored(session: Session, photo_dir: Path, consultation: Consultation) -> None:
    photo = store(session, photo_dir, consultation, png())
    found, data = read_photo(session, photo_dir, photo.id)
    assert found.id == photo.id and data == (photo_dir / photo.file_name).read_bytes() and data[:3] == b"\xff\xd8\xff"
    assert photo_path(photo_dir, photo) == (photo_dir / photo.file_name).resolve()
    (photo_dir / photo.file_name).unlink()
    with pytest.raises(PhotoRejected, match=f"^{photos.NOT_FOUND}$"):
        read_photo(session, photo_dir, photo.id)
    with pytest.raises(PhotoRejected, match=f"^{photos.NOT_FOUND}$"):
        read_photo(session, photo_dir, 999_999)


def planted(session: Session, consultation: Consultation, file_name: str) -> Photo:
    """A row whose file name was changed in the database behind the service's back."""
    photo = Photo(
        consultation_id=consultation.id,
        file_name=file_name,
        media_type="image/jpeg",
        width=1,
        height=1,
        size=6,
        taken_by=consultation.officer_id,
        taken_at=NOW,
    )
    with write(session):
        session.add(photo)
    return photo


@pytest.mark.parametrize("how", ["parent", "absolute", "symlink"])
def test_a_file_name_leading_out_of_the_photo_folder_is_neither_read_nor_deleted(
    session: Session, photo_dir: Path, consultation: Consultation, tmp_path: Path, how: str
) -> None:
    secret = tmp_path / "instance" / "secret.jpg"
    secret.parent.mkdir(parents=True)
    secret.write_bytes(b"rahasia")
    photo_dir.mkdir()
    if how == "parent":
        name = "../secret.jpg"
    elif how == "absolute":
        name = str(secret)
    else:  # a name of the right shape, but a link planted in the folder
        name = "0f" * 16 + ".jpg"
        (photo_dir / name).symlink_to(secret)
    assert (photo_dir / name).read_bytes() == b"rahasia"  # opened naively, the name does reach the secret
    photo = planted(session, consultation, name)
    with pytest.raises(PhotoRejected, match=f"^{photos.NOT_FOUND}$"):
        read_photo(session, photo_dir, photo.id)
    with pytest.raises(PhotoRejected, match=f"^{photos.NOT_FOUND}$"):
        photo_path(photo_dir, photo)
    with pytest.raises(PhotoRejected, match=f"^{photos.NOT_FOUND}$"):
        remove_photo(session, photo_dir, photo.id, consultation.officer_id, NOW)
    assert secret.read_bytes() == b"rahasia"
    assert session.get_one(Photo, photo.id).removed_at is None


# Anything at all


def _seed_jpeg() -> bytes:
    return jpeg((48, 32), exif=camera_exif(6))


SEEDS = (
    _seed_jpeg(),
    encode(picture((40, 30)), "JPEG", progressive=True),
    png((40, 30)),
    png((40, 30), "RGBA"),
    png((40, 30), "P", transparency=0),
)
IMAGE_MESSAGES = {photos.WRONG_TYPE, photos.EMPTY, photos.UNREADABLE, photos.TOO_MANY_PIXELS}
FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,  # nothing written beside the sources; a failure prints the example to reproduce it
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def mutated_images(draw: st.DrawFn) -> bytes:
    """A valid JPEG or PNG with bits flipped, bytes inserted, removed or overwritten, its size changed or end cut."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        mutation = draw(st.sampled_from(["flip", "insert", "delete", "overwrite", "truncate", "dimensions"]))
        # Mostly past the signature, which a damaged transfer rarely hits and which is refused outright.
        position = draw(st.integers(min(draw(st.sampled_from([8, 8, 8, 0])), len(data) - 1), len(data) - 1))
        if mutation == "flip":
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif mutation == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=32))
        elif mutation == "delete":
            del data[position : position + draw(st.integers(1, 32))]
        elif mutation == "overwrite":
            chunk = draw(st.sampled_from([b"\xff\xff\xff\xff", b"\x00\x00\x00\x00", b"\x7f\xff\xff\xff", b"\xff\xd9"]))
            data[position : position + len(chunk)] = chunk
        elif mutation == "truncate":
            del data[position:]
        elif mutation == "dimensions":
            side = st.one_of(st.sampled_from([0, 1, 6_324, 6_325, 9_500, 30_000, 65_535]), st.integers(0, 65_535))
            with contextlib.suppress(ValueError):  # its header may already be broken beyond finding
                data = bytearray(with_dimensions(bytes(data), draw(side), draw(side)))
    return bytes(data)


# Pillow warns, then goes on or raises, on headers past its own limit and on damaged EXIF.
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.filterwarnings("ignore::UserWarning:PIL.TiffImagePlugin")
@FUZZ
@given(data=mutated_images())
def test_damaged_images_are_stored_clean_or_refused_and_never_leave_a_stray_file(
    session: Session, photo_dir: Path, consultation: Consultation, data: bytes
) -> None:
    rows_before = saved(session, photo_dir)[0]
    try:
        photo = store(session, photo_dir, consultation, data)
    except PhotoRejected as refused:
        assert str(refused) in IMAGE_MESSAGES
        assert saved(session, photo_dir)[0] == rows_before
    else:  # the damage missed what Pillow reads; what is kept is a whole, clean JPEG
        kept = stored_image(photo_dir, photo)
        assert kept.format == "JPEG" and kept.size == (photo.width, photo.height)
        assert max(kept.size) <= photos.MAX_EDGE and "exif" not in kept.info
    live = session.scalars(select(Photo.file_name).where(Photo.removed_at.is_(None))).all()
    assert files(photo_dir) == sorted(live)  # nothing half-written, nothing without its row
