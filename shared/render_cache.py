"""Rendering a live view once per change, however many screens show it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass


@dataclass
class _Entry:
    sequence: int
    rendered_at: float
    html: str
    lock: threading.Lock


class SharedViews:
    """A cache of rendered fragments keyed by view, valid for one event sequence number and max_age seconds.

    When an event reaches a thousand open TVs, the first stream to wake renders the board and the rest
    wait for it and send the same text, instead of each querying the database and rendering again.
    max_age bounds how stale a view may get when time alone changes it (minutes waited).
    """

    def __init__(self, max_age: float = 10.0, max_entries: int = 2000) -> None:
        self.max_age = max_age
        self.max_entries = max_entries
        self._entries: dict[Hashable, _Entry] = {}
        self._guard = threading.Lock()

    def get(self, key: Hashable, sequence: int, build: Callable[[], str]) -> str:
        """The view rendered at this sequence number (or later), building it if nobody has yet."""
        entry = self._entry(key)
        with entry.lock:
            now = time.monotonic()
            if entry.sequence < sequence or now - entry.rendered_at >= self.max_age or not entry.html:
                entry.html, entry.sequence, entry.rendered_at = build(), sequence, now
            return entry.html

    def _entry(self, key: Hashable) -> _Entry:
        with self._guard:
            entry = self._entries.get(key)
            if entry is None:
                if len(self._entries) >= self.max_entries:
                    self._forget_old()
                entry = self._entries[key] = _Entry(-1, 0.0, "", threading.Lock())
            return entry

    def _forget_old(self) -> None:
        cutoff = time.monotonic() - self.max_age
        for key in [k for k, e in self._entries.items() if e.rendered_at < cutoff and not e.lock.locked()]:
            del self._entries[key]
