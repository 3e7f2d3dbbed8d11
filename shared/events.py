"""Events raised by services after commit, fanned out to live screens."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    """Something that changed: a name such as 'visit.checked_in' and a small JSON-able payload."""

    name: str
    data: dict[str, Any] = field(default_factory=dict)


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


class Broker:
    """In-process publish/subscribe; every subscriber gets every event."""

    def __init__(self) -> None:
        self._subscribers: set[Subscription] = set()
        self._lock = threading.Lock()

    def subscribe(self) -> Subscription:
        """Start listening."""
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
        with self._lock:
            subscribers = list(self._subscribers)
        for item in events:
            for subscription in subscribers:
                subscription.put(item)

    @property
    def subscriber_count(self) -> int:
        """How many listeners are connected."""
        with self._lock:
            return len(self._subscribers)
