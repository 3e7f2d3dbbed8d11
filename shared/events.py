"""Events raised by services after commit, fanned out to live screens."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Event:
    """Something that changed: a name such as 'visit.checked_in' and a small JSON-able payload."""

    name: str
    data: dict[str, Any] = field(default_factory=dict)


RESYNC = Event("live.resync")  # events may have been lost (a listener reconnected): redraw everything
CLOSING = Event("live.closing")  # the server is stopping: live streams end, so its threads can finish


class Subscription:
    """One listener's queue of events; close it when the listener goes away."""

    def __init__(self, broker: Broker, rank: int = 0) -> None:
        self._queue: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self._broker = broker
        self.rank = rank
        self.idle = threading.Event()  # set while the listener waits for news, done with the last event

    def put(self, item: Event) -> None:
        """Deliver an event to this listener."""
        self.idle.clear()
        self._queue.put(item)

    def get(self, timeout: float) -> Event | None:
        """The next event, or None when nothing arrived within timeout seconds."""
        if timeout > 0 and self._queue.empty():
            self.idle.set()
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        self.idle.clear()
        return item

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
    """In-process publish/subscribe; every subscriber gets every event, in order.

    Subscribers of the lowest rank present hear of an event at once; each higher rank only when the rank
    before it has dealt with it, or after head_start seconds. With a thousand streams open, every thread
    woken at once would queue for the interpreter, and the officers' screens would wait behind the TVs.

    feed, if given, builds a Feed that publishes into this broker; it starts with the first subscriber, so
    a process that never serves a live screen never connects for events.
    """

    def __init__(self, feed: Callable[[Publish], Feed] | None = None, head_start: float = 0.25) -> None:
        self._subscribers: set[Subscription] = set()
        self._ranks: list[list[Subscription]] | None = None  # by rank, kept until someone joins or leaves
        self._lock = threading.Lock()
        self._sequence = 0
        self._later: queue.SimpleQueue[tuple[list[list[Subscription]], list[Event], float] | None] = queue.SimpleQueue()
        self._dispatcher: threading.Thread | None = None
        self._closed = False
        self.head_start = head_start
        self._feed = feed(self.publish) if feed is not None else None

    def subscribe(self, rank: int = 0) -> Subscription:
        """Start listening; once this returns, every event committed afterwards reaches the subscription."""
        if self._feed is not None:
            self._feed.start()
        subscription = Subscription(self, rank)
        with self._lock:
            if self._closed:
                subscription.put(CLOSING)
            self._subscribers.add(subscription)
            self._ranks = None
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Stop a listener."""
        with self._lock:
            self._subscribers.discard(subscription)
            self._ranks = None

    def publish(self, events: Iterable[Event]) -> None:
        """Deliver events to the first rank now and to the others in turn, on the dispatcher thread."""
        events = list(events)
        with self._lock:
            self._sequence += len(events)
            if self._ranks is None:
                ranks = sorted({subscription.rank for subscription in self._subscribers})
                self._ranks = [[s for s in self._subscribers if s.rank == rank] for rank in ranks]
            groups = self._ranks
            if len(groups) > 1 and self._dispatcher is None:
                self._dispatcher = threading.Thread(target=self._dispatch, name="events-by-rank", daemon=True)
                self._dispatcher.start()
        if groups:
            _deliver(groups[0], events)
        if len(groups) > 1:
            self._later.put((groups, events, time.monotonic() + self.head_start))

    def _dispatch(self) -> None:
        while (work := self._later.get()) is not None:
            groups, events, deadline = work
            for before, group in zip(groups, groups[1:], strict=False):
                for subscription in before:
                    subscription.idle.wait(max(0.0, deadline - time.monotonic()))
                _deliver(group, events)

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
        """Tell every listener the server is stopping, then stop the feed, if there is one, and the dispatcher."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            subscribers = list(self._subscribers)
        _deliver(subscribers, [CLOSING])
        self._later.put(None)
        if self._feed is not None:
            self._feed.close()


def _deliver(subscriptions: list[Subscription], events: list[Event]) -> None:
    for subscription in subscriptions:
        for item in events:
            subscription.put(item)
