"""Phone numbers as visitors type them."""

import pytest

from shared.phone import display_phone, normalise_phone


@pytest.mark.parametrize(
    "typed",
    [
        "081234567890",
        "0812-3456-7890",
        "0812 3456 7890",
        "+62 812 3456 7890",
        "62812-3456-7890",
        "62 812 3456 7890",
        "+62-812.3456.7890",
        "(0812) 3456 7890",
    ],
)
def test_common_ways_of_writing_a_mobile_number_are_stored_alike(typed: str) -> None:
    assert normalise_phone(typed) == "+6281234567890"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("0811 380 123", "+62811380123"), ("0895-1234-56789", "+62895123456789"), ("085212345678", "+6285212345678")],
)
def test_short_and_long_mobile_numbers(typed: str, stored: str) -> None:
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "0380 821234",
        "(0380) 821234",
        "+62 380 821234",
        "62 21 5555 1234",
        "+1 415 555 0100",
        "112",
        "0812",
        "0812 345",
        "0812345678901234",
        "08123abc567",
        "0842 1234 5678",
        "+62 0812 3456 789",
        "+62 (0) 812 3456 7890",
    ],
)
def test_landlines_foreign_and_malformed_numbers_are_refused(typed: str) -> None:
    assert normalise_phone(typed) is None


def test_digits_of_other_scripts_are_refused_not_stored() -> None:
    assert normalise_phone("081٢٣٤٥٦٧٨٩٠") is None  # Arabic-Indic digits after 081


def test_staff_see_the_local_format() -> None:
    assert display_phone("+6281234567890") == "0812-3456-7890"


@pytest.mark.parametrize(
    "typed", ["+62 811 380 123", "62 811-380-123", "0811 380 123", "0811-380-123", "+62-811-380-123"]
)
def test_a_ten_digit_mobile_number_is_shown_in_its_national_grouping(typed: str) -> None:
    assert display_phone(normalise_phone(typed) or "") == "0811-380-123"


def test_a_stored_number_that_cannot_be_read_is_shown_as_it_is() -> None:
    assert display_phone("unknown") == "unknown"
