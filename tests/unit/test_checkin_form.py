"""Server-side validation of the kiosk form: every bad field gets its own message."""

import base64
import io
import struct
import zlib

import pytest
from PIL import Image

from shared.checkin_form import parse_checkin
from shared.models import VisitorType
from tests.conftest import damaged_png, data_url, make_form, signature_png

PARTIES = {5, 6}
TOPICS = {1, 2}


def parse(**overrides: str):
    return parse_checkin(make_form(**overrides), party_ids=PARTIES, topic_ids=TOPICS)


def test_a_complete_form_gives_clean_data() -> None:
    data, errors = parse(name="  Maria   Lodia  ", priority="1")
    assert errors == {}
    assert data is not None
    assert (data.name, data.phone, data.visitor_type, data.party_id, data.topic_id, data.priority) == (
        "Maria Lodia",
        "+6281234567890",
        VisitorType.PARTY,
        5,
        1,
        True,
    )
    assert data.signature_png.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Nama wajib diisi."),
        ("name", "A" * 101, "Nama terlalu panjang (paling banyak 100 huruf)."),
        ("name", "<script>alert(1)</script>", "Nama tidak boleh berisi kode atau tanda < > { }."),
        ("name", "Budi\x00", "Nama berisi karakter tersembunyi atau kode kontrol. Silakan ketik ulang."),
        ("name", "R2D2 Robot", "Nama hanya boleh berisi huruf, spasi, titik, koma, tanda petik dan tanda hubung."),
        ("phone", "", "Nomor HP wajib diisi."),
        ("phone", "0380 821234", "Nomor HP tidak valid. Tulis nomor HP Indonesia, misalnya 0812 3456 7890."),
        ("visitor_type", "alien", "Pilih jenis pengunjung."),
        ("party_id", "", "Pilih partai politik Anda."),
        ("party_id", "999", "Pilih partai politik Anda."),
        ("topic_id", "x", "Pilih topik konsultasi."),
        ("signature", "", "Tanda tangan wajib diisi."),
    ],
)
def test_each_bad_field_is_named_with_a_message(field: str, value: str, message: str) -> None:
    data, errors = parse(**{field: value})
    assert data is None
    assert errors == {field: message}


def test_names_with_titles_and_apostrophes_are_accepted() -> None:
    data, errors = parse(name="Drs. Yohanes D'Costa-Lay, S.H.")
    assert errors == {} and data and data.name == "Drs. Yohanes D'Costa-Lay, S.H."


def test_party_is_not_asked_of_other_visitors() -> None:
    data, errors = parse(visitor_type="bawaslu", party_id="")
    assert errors == {} and data and data.party_id is None


def test_several_errors_are_reported_together() -> None:
    _, errors = parse(name="", phone="123", topic_id="")
    assert set(errors) == {"name", "phone", "topic_id"}


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("signature", "message"),
    [
        (
            data_url(_png(Image.new("RGBA", (600, 200), (0, 0, 0, 0)))),
            "Tanda tangan masih kosong. Silakan tanda tangan di kotak.",
        ),
        (
            "data:image/jpeg;base64," + base64.b64encode(b"\xff\xd8\xff").decode(),
            "Tanda tangan tidak terbaca. Silakan tanda tangan ulang.",
        ),
        ("data:image/png;base64,not-base64!!", "Tanda tangan tidak terbaca. Silakan tanda tangan ulang."),
        (
            "data:image/png;base64," + base64.b64encode(b"GIF89a" + b"\0" * 50).decode(),
            "Tanda tangan tidak terbaca. Silakan tanda tangan ulang.",
        ),
        ("data:image/png;base64," + "A" * 300_000, "Tanda tangan terlalu besar. Silakan hapus dan tanda tangan ulang."),
        (
            data_url(signature_png(size=(3000, 200))),
            "Tanda tangan terlalu besar. Silakan hapus dan tanda tangan ulang.",
        ),
    ],
    ids=["blank", "jpeg", "garbage", "not-png", "oversized", "huge-dimensions"],
)
def test_bad_signatures_are_refused(signature: str, message: str) -> None:
    data, errors = parse(signature=signature)
    assert data is None
    assert errors == {"signature": message}


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def size_claiming_png(width: int, height: int) -> bytes:
    """A PNG whose header announces a size that its few bytes of pixel data are far from filling."""
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def test_a_damaged_png_is_unreadable_rather_than_an_error() -> None:
    data, errors = parse(signature=data_url(damaged_png(signature_png())))
    assert data is None
    assert errors == {"signature": "Tanda tangan tidak terbaca. Silakan tanda tangan ulang."}


@pytest.mark.parametrize("error", [SyntaxError("broken PNG file"), struct.error("unpack"), EOFError(), RuntimeError()])
def test_whatever_the_image_decoder_raises_the_signature_is_unreadable(
    monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    def failing_open(*_args: object, **_kwargs: object) -> Image.Image:
        raise error

    monkeypatch.setattr(Image, "open", failing_open)
    data, errors = parse()
    assert data is None
    assert errors == {"signature": "Tanda tangan tidak terbaca. Silakan tanda tangan ulang."}


@pytest.mark.parametrize(
    "png",
    [signature_png(size=(2000, 1001)), size_claiming_png(2000, 2000)],
    ids=["over-two-million-pixels", "size-claimed-by-the-header"],
)
def test_the_pixel_count_is_capped_from_the_header_before_decoding(png: bytes) -> None:
    data, errors = parse(signature=data_url(png))
    assert data is None
    assert errors == {"signature": "Tanda tangan terlalu besar. Silakan hapus dan tanda tangan ulang."}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("party_id", " 5 "),
        ("party_id", "+5"),
        ("party_id", "0_5"),
        ("party_id", "\u0665"),  # ARABIC-INDIC DIGIT FIVE
        ("party_id", "\uff15"),  # FULLWIDTH DIGIT FIVE
        ("topic_id", "1\n"),
        ("topic_id", "+1"),
        ("topic_id", "\u0661"),  # ARABIC-INDIC DIGIT ONE
    ],
)
def test_ids_are_plain_ascii_digits_only(field: str, value: str) -> None:
    data, errors = parse(**{field: value})
    assert data is None
    assert errors == {field: {"party_id": "Pilih partai politik Anda.", "topic_id": "Pilih topik konsultasi."}[field]}


NAME_HIDDEN = "Nama berisi karakter tersembunyi atau kode kontrol. Silakan ketik ulang."
PHONE_HIDDEN = "Nomor HP berisi karakter tersembunyi atau kode kontrol. Silakan ketik ulang."
PRIORITY_UNREADABLE = "Pilihan layanan prioritas tidak terbaca. Silakan pilih ulang."
LANG_UNREADABLE = "Pilihan bahasa tidak terbaca. Silakan mulai lagi."


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "Budi\tSantoso", NAME_HIDDEN),
        ("name", "Budi\x1fSantoso", NAME_HIDDEN),  # str.split() would have turned it into a space
        ("name", "Budi\u200bSantoso", NAME_HIDDEN),  # ZERO WIDTH SPACE, category Cf
        ("name", "\u202eBudi Santoso", NAME_HIDDEN),  # RIGHT-TO-LEFT OVERRIDE
        ("phone", "0812\x1f3456\x1f7890", PHONE_HIDDEN),
        ("phone", "0812\u200b3456 7890", PHONE_HIDDEN),
        ("party_id", "\t5", "Pilih partai politik Anda."),
        ("topic_id", "1\x0b", "Pilih topik konsultasi."),
        ("priority", "1\x00", PRIORITY_UNREADABLE),
        ("priority", "1" * 11, PRIORITY_UNREADABLE),
        ("lang", "en\x00", LANG_UNREADABLE),
        ("lang", "e" * 11, LANG_UNREADABLE),
    ],
)
def test_control_characters_and_overlong_values_are_refused_in_every_field(
    field: str, value: str, message: str
) -> None:
    data, errors = parse(**{field: value})
    assert data is None
    assert errors == {field: message}


def test_a_stray_party_id_is_refused_even_when_no_party_is_asked() -> None:
    data, errors = parse(visitor_type="public", party_id="5\x00")
    assert data is None
    assert errors == {"party_id": "Pilih partai politik Anda."}


def test_the_kept_signature_is_a_clean_copy_of_its_pixels() -> None:
    original = signature_png()
    end = original.rindex(b"IEND") - 4  # the IEND chunk starts with its 4-byte length
    sender_extras = original[:end] + chunk(b"tEXt", b"Comment\x00sent by anyone") + original[end:] + b"trailing"
    data, errors = parse(signature=data_url(sender_extras))
    assert errors == {}
    assert b"tEXt" not in data.signature_png and not data.signature_png.endswith(b"trailing")
    kept, sent = Image.open(io.BytesIO(data.signature_png)), Image.open(io.BytesIO(original))
    assert kept.size == sent.size and kept.tobytes() == sent.tobytes()
