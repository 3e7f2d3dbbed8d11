"""Stopping: SIGTERM or Ctrl-C, sent to the server or to its whole process group (as systemd does), ends
everything within seconds with live screens open, on SQLite and on PostgreSQL with several workers, and loses
no queued ticket."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from shared.db import make_engine
from shared.models import PrintJob
from tests.conftest import (
    PG_URL,
    Server,
    alive,
    check_in_over_http,
    children,
    eventually,
    free_port,
    helpdesk_server,
)

STOP_WITHIN_SECONDS = 5.0
WAYS = [
    pytest.param(signal.SIGTERM, False, id="SIGTERM-process"),
    pytest.param(signal.SIGTERM, True, id="SIGTERM-group"),
    pytest.param(signal.SIGINT, False, id="SIGINT-process"),
    pytest.param(signal.SIGINT, True, id="SIGINT-group"),
]


def descendants(pid: int) -> list[int]:
    """Every live process below pid: workers and the print process."""
    found = children(pid)
    for child in list(found):
        found += descendants(child)
    return found


def stop_and_time(server: Server, signum: int, whole_group: bool) -> float:
    """Send the signal as an operator or a service manager would; seconds until every process is gone."""
    processes = [server.process.pid, *descendants(server.process.pid)]
    assert len(processes) >= 2  # the server and its print process, at least
    started = time.monotonic()
    if whole_group:
        os.killpg(server.process.pid, signum)
    else:
        os.kill(server.process.pid, signum)
    server.process.wait(30)
    eventually(lambda: not any(alive(pid) for pid in processes), timeout=30)
    return time.monotonic() - started


def print_jobs(database_url: str) -> list[tuple[str, str | None]]:
    """The print jobs in the database: their state and the printer's last problem."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(PrintJob.status, PrintJob.last_error).order_by(PrintJob.id))
            return [(str(status), error) for status, error in rows]
    finally:
        engine.dispose()


@contextmanager
def live_screens(server: Server, count: int = 4) -> Iterator[None]:
    """TVs with their live stream open, each holding one of the server's threads."""
    host, port = server.url.removeprefix("http://").split(":")
    screens = [socket.create_connection((host, int(port)), timeout=10) for _ in range(count)]
    try:
        for screen in screens:
            screen.sendall(f"GET /display/events HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        for screen in screens:
            assert b"200 OK" in screen.recv(4096)  # the stream is open and holds its thread
        yield
    finally:
        for screen in screens:
            screen.close()


@contextmanager
def server_with_printer_off(folder: Path, serve_args: list[str], **settings: str) -> Iterator[Server]:
    """A server whose printer is off, holding one check-in's ticket in its print queue."""
    port = free_port()
    with helpdesk_server(folder, f"tcp://127.0.0.1:{port}", serve_args, own_group=True, **settings) as server:
        check_in_over_http(server)
        eventually(lambda: print_jobs(settings["DATABASE_URL"]) == [("pending", "unreachable")])
        with live_screens(server):
            yield server


@pytest.mark.parametrize(("signum", "whole_group"), WAYS)
def test_sqlite_server_stops_within_seconds_and_keeps_the_queued_ticket(
    tmp_path: Path, signum: int, whole_group: bool
) -> None:
    database = f"sqlite:///{tmp_path / 'server' / 'helpdesk.sqlite3'}"
    with server_with_printer_off(tmp_path / "server", [], DATABASE_URL=database) as server:
        elapsed = stop_and_time(server, signum, whole_group)
        log = server.log.read_text()
    assert elapsed < STOP_WITHIN_SECONDS, log
    assert "Traceback" not in log
    assert print_jobs(database) == [("pending", "unreachable")]  # kept for the next start


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="set HELPDESK_TEST_DATABASE_URL to run the PostgreSQL tests")
@pytest.mark.parametrize(("signum", "whole_group"), WAYS)
def test_postgresql_server_with_workers_stops_within_seconds_and_keeps_the_queued_ticket(
    pg_url: str, tmp_path: Path, signum: int, whole_group: bool
) -> None:
    with server_with_printer_off(tmp_path / "server", ["--workers", "2"], DATABASE_URL=pg_url) as server:
        eventually(lambda: len(descendants(server.process.pid)) >= 3)  # two workers and the print process
        elapsed = stop_and_time(server, signum, whole_group)
        log = server.log.read_text()
    assert elapsed < STOP_WITHIN_SECONDS, log
    assert "Traceback" not in log
    assert print_jobs(pg_url) == [("pending", "unreachable")]
