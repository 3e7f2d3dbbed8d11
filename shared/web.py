"""Flask glue shared by the blueprints: the request's database session, language and SSE framing."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import flask_babel
from flask import Response, current_app, g, request, session, stream_with_context
from flask_htmx import HTMX
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from shared.events import Broker
from shared.i18n import LANGUAGES, SOURCE_LANGUAGE
from shared.render_cache import SharedViews
from shared.settings import QueueSettings

htmx = HTMX()


def wants_fragment() -> bool:
    """True for an htmx request that swaps part of a page; a history restore needs the whole page."""
    return bool(htmx) and not htmx.history_restore_request


@dataclass
class Runtime:
    """What the application built at start-up and every request may use."""

    engine: Engine
    sessions: sessionmaker[Session]
    broker: Broker
    queue: QueueSettings
    print_wake: threading.Event | None  # set when a print job is queued; None on PostgreSQL (the printer listens)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))  # tests set their own
    views: SharedViews = field(default_factory=SharedViews)

    def now(self) -> datetime:
        """The server's current time: visitors and officers never supply it."""
        return self.clock()

    def close(self) -> None:
        """Stop listening for events and close the database connections."""
        self.broker.close()
        self.engine.dispose()


def runtime() -> Runtime:
    """The current application's runtime."""
    return current_app.extensions["helpdesk"]


def db() -> Session:
    """The request's database session, opened on first use and closed at teardown."""
    if "db" not in g:
        g.db = runtime().sessions()
    return g.db


def close_db(_error: BaseException | None = None) -> None:
    """Close the request's session, if one was opened."""
    session = g.pop("db", None)
    if session is not None:
        session.close()


def language() -> str:
    """The interface language chosen for this request: Indonesian unless English was asked for.

    Flask-Babel's locale selector, so `_()`, `ngettext()` and `gettext()` translate into it.
    """
    if "lang" not in g:
        asked = request.values.get("lang") or session.get("lang", "")
        g.lang = asked if asked in LANGUAGES else SOURCE_LANGUAGE
    return g.lang


def use_language(lang: str) -> None:
    """Serve the rest of this request in the given language, whatever the request asked for (a ticket's own)."""
    g.lang = lang if lang in LANGUAGES else SOURCE_LANGUAGE
    flask_babel.refresh()  # Flask-Babel keeps the locale it selected first


def gettext(text: str, **params: object) -> str:
    """Indonesian interface text in the request's language, as plain text (escaped where a template shows it).

    Also the `translated` template filter, for text marked with N_() elsewhere: `{{ message|translated }}`.
    """
    return flask_babel.gettext(text, **params) if text else text  # gettext("") is the catalog's header


def event_stream(events: Iterator[str]) -> Response:
    """A server-sent event response; refused with 503 when all stream slots are taken, so requests never starve."""
    limit = current_app.config.get("SSE_MAX_STREAMS")
    if limit is not None and runtime().broker.subscriber_count >= limit:
        return Response("busy\n", 503, {"Retry-After": "5"}, mimetype="text/plain")
    return Response(
        stream_with_context(events),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def sse(event: str, data: str) -> str:
    """Frame one server-sent event; every line of data gets its own data: field."""
    lines = "".join(f"data: {line}\n" for line in data.splitlines() or [""])
    return f"event: {event}\n{lines}\n"


MAX_ROW_ID = 2**31 - 1  # the largest id every database here stores; larger numbers name no row


def form_number(name: str) -> int | None:
    """A whole number from the submitted form: ASCII digits within a row id's range, else None."""
    value = request.form.get(name, "")
    if not (value.isascii() and value.isdigit()) or len(value) > 10 or int(value) > MAX_ROW_ID:
        return None
    return int(value)


UPLOAD_LIMIT = 2 * 1024 * 1024  # what any request may send, unless its view accepts larger uploads
V = TypeVar("V", bound=Callable[..., Any])


def accepts_uploads(limit: int) -> Callable[[V], V]:
    """Let a view receive a body of up to limit bytes (the app raises the cap before anything reads the body)."""

    def mark(view: V) -> V:
        view.upload_limit = limit  # type: ignore[attr-defined]
        return view

    return mark


def upload_limit() -> None:
    """Before each request: the body limit of the view it goes to."""
    view = current_app.view_functions.get(request.endpoint or "")
    request.max_content_length = getattr(view, "upload_limit", UPLOAD_LIMIT)
