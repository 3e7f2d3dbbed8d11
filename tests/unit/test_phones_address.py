"""The address behind tickets' QR codes, when nobody set one."""

from __future__ import annotations

import pytest

from shared.settings import phones_address, unreachable_by_phones


def lan() -> str:
    return "192.168.1.10"


@pytest.mark.parametrize(
    ("configured", "host", "port", "expected"),
    [
        ("https://helpdesk.kpu.test", "0.0.0.0", 8080, "https://helpdesk.kpu.test"),  # the operator's word wins
        ("", "0.0.0.0", 8080, "http://192.168.1.10:8080"),
        ("", "::", 5000, "http://192.168.1.10:5000"),
        ("", "", 5000, "http://192.168.1.10:5000"),
        ("", "10.0.0.7", 5001, "http://10.0.0.7:5001"),
        ("", "127.0.0.1", 5002, "http://127.0.0.1:5002"),
        ("", "fe80::1", 5000, "http://[fe80::1]:5000"),
    ],
)
def test_the_address_follows_where_the_server_listens(configured: str, host: str, port: int, expected: str) -> None:
    assert phones_address(configured, host, port, lan) == expected


@pytest.mark.parametrize(
    ("url", "unreachable"),
    [
        ("http://127.0.0.1:5000", True),
        ("http://127.8.9.10:5000", True),
        ("http://localhost:5000", True),
        ("http://[::1]:5000", True),
        ("http://192.168.1.10:5000", False),
        ("https://helpdesk.kpu-kupang.go.id", False),
    ],
)
def test_loopback_addresses_are_flagged(url: str, unreachable: bool) -> None:
    assert unreachable_by_phones(url) is unreachable
