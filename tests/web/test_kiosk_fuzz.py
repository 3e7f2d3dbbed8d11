"""Hostile posts to the kiosk: damaged signatures and random fields never break it and never save a visit."""

from __future__ import annotations

import base64
import io
import re
import struct
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from shared.models import Visit
from tests.conftest import data_url, make_form, signature_png

HX = {"HX-Request": "true"}
STEPS = ("/kiosk/review", "/kiosk/checkin")
FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,  # nothing written beside the sources; a failure prints the example to reproduce it
    # The app and its database are built once per test: every example measures what it changed itself.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
SIGNATURE_MESSAGES = (
    "Tanda tangan tidak terbaca. Silakan tanda tangan ulang.",
    "Tanda tangan terlalu besar. Silakan hapus dan tanda tangan ulang.",
    "Tanda tangan masih kosong. Silakan tanda tangan di kotak.",
)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def consent_token(client: Any) -> str:
    response = client.post("/kiosk/consent", data={"lang": "id"}, headers=HX)
    match = re.search(r'name="consent" value="([^"]+)"', response.text)
    assert match
    return match.group(1)


def visits(app: Any) -> int:
    with app.extensions["helpdesk"].sessions() as session:
        return session.scalar(select(func.count()).select_from(Visit)) or 0


def _opaque_signature() -> bytes:
    """A signature on a white, opaque pad, saved with a palette: another PNG layout to damage."""
    image = Image.new("RGB", (500, 160), "white")
    ImageDraw.Draw(image).line([(20, 120), (200, 30), (480, 140)], fill="black", width=6)
    buffer = io.BytesIO()
    image.convert("P").save(buffer, format="PNG")
    return buffer.getvalue()


VALID_PNGS = (signature_png(), signature_png(strokes=1, size=(300, 120)), _opaque_signature())


def chunk_offsets(png: bytes) -> list[int]:
    """Where each chunk's length field starts, for as long as the chunk lengths hold together."""
    offsets, position = [], 8
    while position + 8 <= len(png):
        offsets.append(position)
        (length,) = struct.unpack(">I", png[position : position + 4])
        position += 12 + length
    return offsets


@st.composite
def damaged_pngs(draw: st.DrawFn) -> bytes:
    """A valid signature PNG with bits flipped, bytes inserted or removed, a chunk length changed or its end cut."""
    png = bytearray(draw(st.sampled_from(VALID_PNGS)))
    for _ in range(draw(st.integers(1, 3))):
        mutation = draw(st.sampled_from(["flip", "insert", "delete", "chunk-length", "truncate"]))
        if mutation == "flip":
            position = draw(st.integers(8, len(png) - 1))
            png[position] ^= 1 << draw(st.integers(0, 7))
        elif mutation == "insert":
            position = draw(st.integers(8, len(png)))
            png[position:position] = draw(st.binary(min_size=1, max_size=16))
        elif mutation == "delete":
            position = draw(st.integers(8, len(png) - 1))
            del png[position : position + draw(st.integers(1, 16))]
        elif mutation == "chunk-length" and (offsets := chunk_offsets(bytes(png))):
            position = draw(st.sampled_from(offsets))
            (length,) = struct.unpack(">I", png[position : position + 4])
            new_length = draw(
                st.one_of(
                    st.integers(max(length - 64, 0), length + 64),
                    st.sampled_from([0, 1, 0x7FFFFFFF, 0xFFFFFFFF]),
                    st.integers(0, 0xFFFFFFFF),
                )
            )
            png[position : position + 4] = struct.pack(">I", new_length)
        elif mutation == "truncate":
            del png[draw(st.integers(8, len(png) - 1)) :]
        if len(png) <= 8:
            break
    return bytes(png)


@FUZZ
@given(png=damaged_pngs())
def test_a_damaged_signature_never_breaks_the_kiosk_nor_saves_a_visit(client: Any, app: Any, png: bytes) -> None:
    token = consent_token(client)
    before = visits(app)
    answers = [
        client.post(step, data={**make_form(signature=data_url(png)), "consent": token}, headers=HX) for step in STEPS
    ]
    assert [answer.status_code for answer in answers] in ([200, 200], [422, 422])
    if answers[0].status_code == 422:
        for answer in answers:
            error = re.search(r'id="signature-error" role="alert">([^<]*)<', answer.text)
            assert error and error.group(1) in SIGNATURE_MESSAGES
            assert 'id="name-error"' not in answer.text and 'id="topic_id-error"' not in answer.text
        assert visits(app) == before
    else:  # the damage missed everything Pillow reads, such as a byte after the end; the image is whole
        Image.open(io.BytesIO(png)).load()


CONTROL_CHARACTERS = st.sampled_from(
    [chr(code) for code in range(0x20)] + ["\x7f", "\x85", "\xad", "\u200b", "\u200e", "\u202e", "\u2066", "\ufeff"]
)
HUGE = st.builds(
    lambda char, size: char * size, st.sampled_from("A5 \u0665"), st.sampled_from([10_000, 300_000, 1_100_000])
)


def insert(value: str, char: str, where: int) -> str:
    """The value with char put in at a place chosen by where."""
    where %= len(value) + 1
    return value[:where] + char + value[where:]


def with_control_character(base: str | st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """The value with a control or invisible character put somewhere in it."""
    values = base if isinstance(base, st.SearchStrategy) else st.just(base)
    return st.builds(insert, values, CONTROL_CHARACTERS, st.integers(0, 10_000))


NOT_AN_ID = st.one_of(
    st.sampled_from([" 5", "5 ", "+5", "0_5", "\u0665", "\uff15", "5.0", "-5", "", "5e0", "0x5"]),
    st.integers(10**4, 10**12).map(str),  # no party or topic has such an id
    st.integers(-(10**6), -1).map(str),
    st.text(st.characters(blacklist_categories=["Nd"]), min_size=1, max_size=12),
)


def bad_values(field: str, good: str) -> st.SearchStrategy[str]:
    """Values the kiosk must refuse for this field, whatever else is posted."""
    hostile = st.one_of(with_control_character(good), with_control_character(st.text(max_size=30)), HUGE)
    if field in ("party_id", "topic_id"):
        return st.one_of(hostile, NOT_AN_ID)
    if field == "visitor_type":
        return st.one_of(
            hostile,
            st.text(max_size=20).filter(lambda value: value not in ("party", "public", "bawaslu", "kpu", "other")),
        )
    if field == "signature":
        return st.one_of(hostile, damaged_pngs().map(data_url).filter(lambda url: not _decodes(url)))
    return hostile


def _decodes(url: str) -> bool:
    """True when Pillow can read the whole picture in the data URL."""
    try:
        Image.open(io.BytesIO(base64.b64decode(url.partition(",")[2]))).load()
    except Exception:
        return False
    return True


FORM_FIELDS = ("name", "phone", "visitor_type", "party_id", "topic_id", "priority", "lang", "signature")
GOOD = make_form(priority="1")
BAD_VALUES = {field: bad_values(field, GOOD[field]) for field in FORM_FIELDS}
Spoiler = Callable[[str], str]


# The consent token is only known once the test runs: its spoilers are drawn as functions of it.
CONSENT_SPOILERS: st.SearchStrategy[Spoiler] = st.one_of(
    st.builds(lambda char, where: lambda token: insert(token, char, where), CONTROL_CHARACTERS, st.integers(0, 200)),
    st.builds(lambda suffix: lambda token: token + suffix, st.sampled_from(["\x00\x00", "!!", "==", " ", "."])),
    HUGE.map(lambda huge: lambda _token: huge),
)


@st.composite
def hostile_forms(draw: st.DrawFn) -> tuple[dict[str, str], Spoiler | None, set[str]]:
    """A kiosk form with at least one field spoiled; also how to spoil the consent, and which fields are bad."""
    spoiled = draw(st.sets(st.sampled_from((*FORM_FIELDS, "consent")), min_size=1, max_size=4))
    form = {field: draw(BAD_VALUES[field]) if field in spoiled else GOOD[field] for field in FORM_FIELDS}
    return form, draw(CONSENT_SPOILERS) if "consent" in spoiled else None, spoiled


@FUZZ
@given(hostile=hostile_forms())
def test_a_form_with_any_bad_field_is_refused_with_its_message_and_saves_nothing(
    client: Any, app: Any, hostile: tuple[dict[str, str], Spoiler | None, set[str]]
) -> None:
    form, spoil_consent, spoiled = hostile
    token = consent_token(client)
    posted = {**form, "consent": spoil_consent(token) if spoil_consent else token}
    # A party id is only looked at for a party visitor, unless it hides characters.
    expected = spoiled - {"consent"} - ({"party_id"} if "visitor_type" in spoiled else set())
    before = visits(app)
    for step in STEPS:
        answer = client.post(step, data=posted, headers=HX)
        assert answer.status_code in (413, 422)
        if answer.status_code == 413:  # more than MAX_CONTENT_LENGTH in all: the form says so
            assert "Isian yang dikirim terlalu besar." in answer.text
            continue
        for field in expected:
            assert f'id="{field}-error"' in answer.text, field
        if "consent" in spoiled:
            assert "Persetujuan Anda diperlukan sebelum mengisi data." in answer.text
        assert not CONTROL.search(answer.text)  # nothing hidden is sent back to the screen
    assert visits(app) == before
