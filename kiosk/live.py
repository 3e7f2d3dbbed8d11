"""The visitor's status stream: the full state on connect, then again after every queue change."""

from __future__ import annotations

from collections.abc import Iterator

from flask import current_app, render_template

from shared.visit_status import public_status
from shared.web import runtime, sse


def status_stream(token: str) -> Iterator[str]:
    """Yield server-sent events for one ticket; no database session is held between events."""
    rt = runtime()
    keepalive = current_app.config["SSE_KEEPALIVE_SECONDS"]
    with rt.broker.subscribe() as subscription:
        yield "retry: 2000\n\n"
        last = None
        while True:
            with rt.sessions() as session:
                state = public_status(session, token)
            if state is None:
                return
            html = render_template("kiosk/_status.html", state=state)
            if html != last:
                yield sse("status", html)
                last = html
            event = subscription.get(timeout=keepalive)
            while event is not None and not event.name.startswith("visit."):
                event = subscription.get(timeout=keepalive)
            if event is None:
                yield ": keep-alive\n\n"
