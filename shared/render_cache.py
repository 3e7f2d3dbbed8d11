"""Rendering a live view once per change, however many screens show it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class _Entry:
    view: tuple[int, float, Any]  # (sequence, built at, value), replaced whole so a reader never sees a mix
    lock: threading.Lock  # held while building, so one stream renders and the others wait for it


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

    def get(self, key: Hashable, sequence: int, build: Callable[[], T]) -> T:
        """The view (HTML, or data many views share) built at this sequence number or later; built if nobody has yet.

        A fresh view is read without the lock: a thousand streams queueing on one lock would be woken one
        at a time, and the last TV would wait for all the others.
        """
        entry = self._entry(key)
        if self._fresh(entry.view, sequence):
            return entry.view[2]
        with entry.lock:
            if not self._fresh(entry.view, sequence):
                entry.view = (sequence, time.monotonic(), build())
            return entry.view[2]

    def _fresh(self, view: tuple[int, float, Any], sequence: int) -> bool:
        built_for, built_at, _value = view
        return built_for >= sequence and time.monotonic() - built_at < self.max_age

    def _entry(self, key: Hashable) -> _Entry:
        entry = self._entries.get(key)  # a dict read is atomic; only adding an entry takes the guard
        if entry is not None:
            return entry
        with self._guard:
            entry = self._entries.get(key)
            if entry is None:
                if len(self._entries) >= self.max_entries:
                    self._forget_old()
                entry = self._entries[key] = _Entry((-1, 0.0, None), threading.Lock())
            return entry

    def _forget_old(self) -> None:
        cutoff = time.monotonic() - self.max_age
        for key in [k for k, e in self._entries.items() if e.view[1] < cutoff and not e.lock.locked()]:
            del self._entries[key]
