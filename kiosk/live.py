"""The visitor's status stream."""

from __future__ import annotations

from collections.abc import Iterator

from flask import render_template

from shared.live import VISITOR, Frames, live_stream, shared, shared_data
from shared.visit_status import PublicStatus, public_status, public_statuses
from shared.web import runtime


def status_stream(token: str) -> Iterator[str]:
    """Server-sent events with one ticket's state, for the page behind the QR code."""

    def build() -> str:
        state = shared_data("public-statuses", todays_statuses).get(token)
        if state is None:  # a ticket from an earlier day
            with runtime().sessions() as session:
                state = public_status(session, token)
        return render_template("kiosk/_status.html", state=state) if state else ""

    def render() -> Frames:
        html = shared(("status", token), build)
        return [("status", html)] if html else []

    return live_stream(render, rank=VISITOR)


def todays_statuses() -> dict[str, PublicStatus]:
    """Every ticket of today, loaded once per change for all open phones instead of once per phone."""
    app = runtime()
    with app.sessions() as session:
        return public_statuses(session, app.queue.today(app.now()))
