"""Live screens over server-sent events: the whole state on connect, then again after each change."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from typing import TypeVar

from flask import current_app

from shared.events import CLOSING, RESYNC, Event, Subscription
from shared.web import language, runtime, sse

Frames = list[tuple[str, str]]  # (SSE event name, HTML or JSON data)

# Who hears of a change first when many streams are open: staff at work, then visitors' phones, then the TVs.
STAFF, VISITOR, ROOM = 0, 1, 2
T = TypeVar("T")


def queue_changed(event: Event) -> bool:
    """Events that change what queue screens show; a resync after lost events may change anything."""
    return event.name.startswith("visit.") or event.name == RESYNC.name


def shared(key: Hashable, build: Callable[[], str]) -> str:
    """A fragment rendered once per change for every stream showing it; key must name all it depends on."""
    return shared_data((key, language()), build)


def shared_data(key: Hashable, build: Callable[[], T]) -> T:
    """Data loaded once per change for every stream that needs it, such as all tickets' states for the phones."""
    app = runtime()
    return app.views.get(key, app.broker.sequence, build)


def live_stream(
    render: Callable[[], Frames],
    relevant: Callable[[Event], bool] = queue_changed,
    announce: Callable[[Event], Frames] | None = None,
    rank: int = STAFF,
) -> Iterator[str]:
    """Yield SSE frames: render() on connect and after relevant events, sending only frames that changed.

    A burst of events is rendered once. announce() may add frames for the event itself (such as a call
    the TV speaks) ahead of the new state. rank says who hears first (STAFF, VISITOR, ROOM). No database
    session is held while waiting.
    """
    keepalive = current_app.config["SSE_KEEPALIVE_SECONDS"]
    with runtime().broker.subscribe(rank) as subscription:
        yield "retry: 2000\n\n"
        sent: dict[str, str] = {}
        while True:
            for name, data in render():
                if sent.get(name) != data:
                    sent[name] = data
                    yield sse(name, data)
            events = _next_events(subscription, relevant, keepalive)
            if CLOSING in events:
                return  # the server is stopping; the browser reconnects to whichever server comes back
            if not events:
                yield ": keep-alive\n\n"
            if announce is not None:
                for name, data in (frame for event in events for frame in announce(event)):
                    yield sse(name, data)


def _next_events(subscription: Subscription, relevant: Callable[[Event], bool], timeout: float) -> list[Event]:
    """Wait for a relevant event, then take whatever else has already arrived."""
    first = subscription.get(timeout)
    while first is not None and first != CLOSING and not relevant(first):
        first = subscription.get(timeout)
    if first is None:
        return []
    events = [first]
    while (more := subscription.get(0)) is not None:
        if relevant(more) or more == CLOSING:
            events.append(more)
    return events
