"""Server-side validation of the kiosk form: every bad field gets its own message."""

import base64
import io

import pytest
from PIL import Image

from shared.checkin_form import parse_checkin
from shared.models import VisitorType
from tests.conftest import data_url, make_form, signature_png

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
        ("name", "Budi\x00", "Nama tidak boleh berisi kode atau tanda < > { }."),
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
        (data_url(signature_png(size=(3000, 200))), "Tanda tangan tidak terbaca. Silakan tanda tangan ulang."),
    ],
    ids=["blank", "jpeg", "garbage", "not-png", "oversized", "huge-dimensions"],
)
def test_bad_signatures_are_refused(signature: str, message: str) -> None:
    data, errors = parse(signature=signature)
    assert data is None
    assert errors == {"signature": message}
