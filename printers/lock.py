"""The printer lock: one print process prints at a time, and the system frees the lock the moment it dies.

Because a dead holder can no longer hold the lock, whoever takes it next knows that jobs marked as
printing were left by a dead process and takes them over at once, instead of waiting for a timeout.
On PostgreSQL it is a session advisory lock (freed when the connection drops); on SQLite an exclusive
lock on a file beside the database (freed by the operating system when the process ends).
"""

from __future__ import annotations

import sys
import zlib
from pathlib import Path
from typing import IO, Any, Protocol

from sqlalchemy import Connection, Engine, text

from shared.pg_events import channel_for, is_postgresql

LOCK_CLASS = 0x4B5055  # "KPU": the first key of PostgreSQL's two-key advisory locks, for this application


class PrinterLock(Protocol):
    """Held by the process that prints."""

    def acquire(self) -> bool:
        """Take the lock if it is free; never waits."""
        ...

    def held(self) -> bool:
        """Whether this process still holds it."""
        ...

    def release(self) -> None:
        """Give it up."""
        ...


def printer_lock(engine: Engine, url: str) -> PrinterLock:
    """The lock for this database: advisory on PostgreSQL, a lock file beside a SQLite database."""
    if is_postgresql(url):
        return AdvisoryLock(engine, zlib.crc32(channel_for(url).encode()) - 2**31)
    database = engine.url.database
    if not database or database == ":memory:":
        return NoLock()
    return FileLock(Path(database).with_name(Path(database).name + ".printer-lock"))


class NoLock:
    """An in-memory database lives in one process: there is nobody to exclude."""

    def acquire(self) -> bool:
        return True

    def held(self) -> bool:
        return True

    def release(self) -> None:
        pass


class AdvisoryLock:
    """pg_try_advisory_lock on a connection of its own, kept open while the lock is held."""

    def __init__(self, engine: Engine, key: int) -> None:
        self._engine, self._key = engine, key
        self._connection: Connection | None = None

    def acquire(self) -> bool:
        connection = self._engine.connect()
        taken = connection.scalar(text("SELECT pg_try_advisory_lock(:a, :b)"), {"a": LOCK_CLASS, "b": self._key})
        connection.commit()
        if not taken:
            connection.close()
            return False
        self._connection = connection
        return True

    def held(self) -> bool:
        if self._connection is None:
            return False
        try:
            self._connection.scalar(text("SELECT 1"))
            self._connection.commit()
            return True
        except Exception:  # the connection dropped, and the lock with it
            self._connection.invalidate()
            self._connection = None
            return False

    def release(self) -> None:
        if self._connection is not None:
            self._connection.close()  # ends the database session, which frees the lock
            self._connection = None


class FileLock:
    """An exclusive, non-blocking lock on a file; the operating system frees it when the process ends."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._file: IO[Any] | None = None

    def acquire(self) -> bool:
        handle = open(self._path, "a+b")  # noqa: SIM115 - kept open for as long as the lock is held
        try:
            _lock(handle)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    def held(self) -> bool:
        return self._file is not None

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the file frees the lock
            self._file = None


if sys.platform == "win32":
    import msvcrt

    def _lock(handle: IO[Any]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

else:
    import fcntl

    def _lock(handle: IO[Any]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
