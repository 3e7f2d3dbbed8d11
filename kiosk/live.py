"""The visitor's status stream."""

from __future__ import annotations

from collections.abc import Iterator

from flask import render_template

from shared.live import Frames, live_stream
from shared.visit_status import public_status
from shared.web import runtime


def status_stream(token: str) -> Iterator[str]:
    """Server-sent events with one ticket's state, for the page behind the QR code."""

    def render() -> Frames:
        with runtime().sessions() as session:
            state = public_status(session, token)
        return [("status", render_template("kiosk/_status.html", state=state))] if state else []

    return live_stream(render)
