"""What a screen's first load costs: versioned files browsers keep for a year, gzip for text, never for live streams."""

from __future__ import annotations

import gzip
import re
from typing import Any

YEAR = "public, max-age=31536000, immutable"
GZIP = {"Accept-Encoding": "gzip, deflate"}  # what Chromium sends over plain HTTP


def kiosk_files(client: Any) -> list[str]:
    """The URLs of the stylesheets and scripts the kiosk page loads, and of the fonts its stylesheets name."""
    page = client.get("/kiosk").text
    urls = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page) + re.findall(r'<script src="([^"]+)"', page)
    fonts = [
        url
        for sheet in urls
        if ".css" in sheet
        for url in re.findall(r'url\("?([^")]+\.woff2[^")]*)"?\)', client.get(sheet).text)
    ]
    return urls + fonts


def test_the_kiosk_loads_versioned_files_that_browsers_keep_for_a_year(client: Any) -> None:
    urls = kiosk_files(client)
    assert len([url for url in urls if ".woff2" in url]) == 2 and len(urls) == 9
    for url in urls:
        assert re.search(r"\?v=[0-9a-f]{12}$", url), url
        assert client.get(url).headers["Cache-Control"] == YEAR, url

    # The same file under an address without its version (or with an old one) may change: a short cache only.
    for stale in (urls[0].split("?")[0], urls[0].split("?")[0] + "?v=000000000000"):
        response = client.get(stale)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "public, max-age=300", stale


def test_text_files_are_gzipped_for_browsers_that_ask_and_fonts_are_not(client: Any) -> None:
    for url in kiosk_files(client):
        plain, packed, head = client.get(url), client.get(url, headers=GZIP), client.head(url, headers=GZIP)
        if ".woff2" in url:  # compressed already: the same bytes whatever the browser takes
            assert "Content-Encoding" not in packed.headers and packed.data == plain.data, url
            assert "Accept-Encoding" not in packed.headers.get("Vary", ""), url
            continue
        assert "Content-Encoding" not in plain.headers, url
        assert packed.headers.get("Content-Encoding") == "gzip", url
        assert gzip.decompress(packed.data) == plain.data and len(packed.data) < len(plain.data), url
        assert "Accept-Encoding" in plain.headers["Vary"] and "Accept-Encoding" in packed.headers["Vary"], url
        assert packed.headers["ETag"] != plain.headers["ETag"], url
        assert head.data == b"" and head.headers.get("Content-Encoding") == "gzip", url
        assert head.headers["Content-Length"] == str(len(packed.data)), url
        again = client.get(url, headers={**GZIP, "If-None-Match": packed.headers["ETag"]})
        assert again.status_code == 304 and again.data == b"", url


def test_pages_are_gzipped_but_live_streams_and_staff_sign_in_are_not(client: Any) -> None:
    plain, packed = client.get("/display"), client.get("/display", headers=GZIP)
    assert packed.headers.get("Content-Encoding") == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data and packed.headers["Cache-Control"] == "no-store"
    head = client.head("/display", headers=GZIP)
    assert head.headers.get("Content-Encoding") == "gzip" and head.data == b""

    # Each event must reach the TV the moment it is sent: the stream is neither compressed nor held back.
    stream = client.get("/display/events", headers=GZIP, buffered=False)
    assert stream.mimetype == "text/event-stream" and "Content-Encoding" not in stream.headers
    assert "Accept-Encoding" not in stream.headers.get("Vary", "")
    assert next(stream.response) == b"retry: 2000\n\n"
    stream.close()

    # The sign-in page carries the CSRF token beside the next= address a link chooses (BREACH over HTTPS); so may
    # any page that browser gets from then on (a refusal shows the staff header), so none is compressed.
    login = client.get("/login?next=/dashboard/", headers=GZIP)
    assert login.status_code == 200 and "Content-Encoding" not in login.headers
    assert "Content-Encoding" not in client.get("/display", headers=GZIP).headers
