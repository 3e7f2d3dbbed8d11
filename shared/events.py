"""Events raised by services after commit, fanned out to live screens."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Event:
    """Something that changed: a name such as 'visit.checked_in' and a small JSON-able payload."""

    name: str
    data: dict[str, Any] = field(default_factory=dict)


RESYNC = Event("live.resync")  # events may have been lost (a listener reconnected): redraw everything


class Subscription:
    """One listener's queue of events; close it when the listener goes away."""

    def __init__(self, broker: Broker) -> None:
        self._queue: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self._broker = broker

    def put(self, item: Event) -> None:
        """Deliver an event to this listener."""
        self._queue.put(item)

    def get(self, timeout: float) -> Event | None:
        """The next event, or None when nothing arrived within timeout seconds."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        """Stop receiving events."""
        self._broker.unsubscribe(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class Feed(Protocol):
    """A source of events from other processes, such as a PostgreSQL listener."""

    def start(self) -> None: ...
    def close(self) -> None: ...


Publish = Callable[[list[Event]], None]


class Broker:
    """In-process publish/subscribe; every subscriber gets every event.

    feed, if given, builds a Feed that publishes into this broker; it starts with the first subscriber, so
    a process that never serves a live screen never connects for events.
    """

    def __init__(self, feed: Callable[[Publish], Feed] | None = None) -> None:
        self._subscribers: set[Subscription] = set()
        self._lock = threading.Lock()
        self._sequence = 0
        self._feed = feed(self.publish) if feed is not None else None

    def subscribe(self) -> Subscription:
        """Start listening; once this returns, every event committed afterwards reaches the subscription."""
        if self._feed is not None:
            self._feed.start()
        subscription = Subscription(self)
        with self._lock:
            self._subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Stop a listener."""
        with self._lock:
            self._subscribers.discard(subscription)

    def publish(self, events: Iterable[Event]) -> None:
        """Deliver events to every current subscriber."""
        events = list(events)
        with self._lock:
            self._sequence += len(events)
            subscribers = list(self._subscribers)
        for item in events:
            for subscription in subscribers:
                subscription.put(item)

    @property
    def sequence(self) -> int:
        """How many events this broker has delivered: a view rendered before the latest one may be stale."""
        with self._lock:
            return self._sequence

    @property
    def subscriber_count(self) -> int:
        """How many listeners are connected."""
        with self._lock:
            return len(self._subscribers)

    def close(self) -> None:
        """Stop the feed, if there is one."""
        if self._feed is not None:
            self._feed.close()
