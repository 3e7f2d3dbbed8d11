"""The visitor's status stream."""

from __future__ import annotations

from collections.abc import Iterator

from flask import render_template

from shared.live import Frames, live_stream, shared
from shared.visit_status import public_status
from shared.web import runtime


def status_stream(token: str) -> Iterator[str]:
    """Server-sent events with one ticket's state, for the page behind the QR code."""

    def build() -> str:
        with runtime().sessions() as session:
            state = public_status(session, token)
        return render_template("kiosk/_status.html", state=state) if state else ""

    def render() -> Frames:
        html = shared(("status", token), build)
        return [("status", html)] if html else []

    return live_stream(render)
