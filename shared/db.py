"""Database engine, sessions and the one place that commits."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, String, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC on every backend and always returned timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class EnumText(TypeDecorator[enum.StrEnum]):
    """A string enum stored as its plain value, read back as the enum member."""

    impl = String
    cache_ok = True

    def __init__(self, enum_class: type[enum.StrEnum], length: int) -> None:
        super().__init__(length)
        self.enum_class = enum_class

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else self.enum_class(value).value

    def process_result_value(self, value: Any, dialect: Any) -> enum.StrEnum | None:
        return None if value is None else self.enum_class(value)


class Base(DeclarativeBase):
    """Declarative base for all tables."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime}


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout, foreign keys and explicit BEGIN modes."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]  # psycopg 3 is the driver we install
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control from the sqlite3 module so write transactions can BEGIN IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # A write transaction takes the lock up front; a deferred one could fail to upgrade under load.
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def make_sessionmaker(
    engine: Engine,
    publish: Callable[[list[Any]], None] | None = None,
    notify: Callable[[Session, list[Any]], None] | None = None,
) -> sessionmaker[Session]:
    """Build the session factory; events queued on a session go to publish after its commit.

    With notify instead, they go to notify(session, events) just before the commit, inside the transaction:
    that is how PostgreSQL's NOTIFY delivers them to every process if and only if the transaction commits.
    """
    if publish is not None and notify is not None:
        raise ValueError("events are either published after commit or notified before it, not both")
    factory = sessionmaker(engine, expire_on_commit=False)
    if publish is not None:
        factory.configure(info={"publish": publish})
    if notify is not None:
        factory.configure(info={"notify": notify})
    return factory


def queue_event(session: Session, item: Any) -> None:
    """Queue an event to be published once the current transaction commits."""
    session.info.setdefault("pending_events", []).append(item)


@event.listens_for(Session, "before_commit")
def _notify_before_commit(session: Session) -> None:
    notify = session.info.get("notify")
    if notify is not None and session.info.get("pending_events"):
        notify(session, session.info.pop("pending_events"))


@event.listens_for(Session, "after_commit")
def _publish_after_commit(session: Session) -> None:
    events = session.info.pop("pending_events", [])
    publish = session.info.get("publish")
    if events and publish is not None:
        publish(events)


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_rollback(session: Session, _transaction: Any) -> None:
    session.info.pop("pending_events", None)


@contextmanager
def write(session: Session) -> Iterator[Session]:
    """Run one write transaction and commit it: the only place the application commits."""
    if session.in_transaction():
        session.rollback()  # end a read transaction so the write starts on fresh data
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
