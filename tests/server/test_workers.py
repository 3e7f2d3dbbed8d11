"""Serving from several processes on PostgreSQL (a change made in one reaches live screens on all), and stopping."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from printers.emulator import Emulator
from tests.conftest import (
    BIN,
    Server,
    alive,
    check_in_over_http,
    children,
    eventually,
    free_port,
    helpdesk_server,
    needs_postgresql,
)


class Stream:
    """A ticket's status stream read over a raw socket, as the phone's EventSource reads it."""

    def __init__(self, server: Server, token: str) -> None:
        host, port = server.url.removeprefix("http://").split(":")
        self._socket = socket.create_connection((host, int(port)), timeout=10)
        self._socket.sendall(
            f"GET /t/{token}/events HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n".encode()
        )
        self._received = b""

    def next_status(self, timeout: float = 5.0) -> str:
        """The next `event: status` frame, waiting at most timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            start = self._received.find(b"event: status\n")
            end = self._received.find(b"\n\n", start) if start >= 0 else -1
            if end >= 0:
                frame, self._received = self._received[start:end], self._received[end + 2 :]
                return frame.decode()
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no status frame within {timeout} s"
            self._socket.settimeout(remaining)
            try:
                chunk = self._socket.recv(65536)
            except TimeoutError:
                chunk = None
            assert chunk != b"", "the server closed the stream"
            self._received += chunk or b""

    def close(self) -> None:
        """Hang up, as a phone does when the page closes."""
        self._socket.close()


def token_of(ticket_page: str) -> str:
    """The status-page token in the QR code of a ticket screen."""
    return re.search(r'data-qr="[^"]*/t/([^"]+)"', ticket_page).group(1)


def workers(server: Server) -> list[int]:
    """The worker processes: forked from the server, so they run its command line (the print process does not)."""
    command = Path(f"/proc/{server.process.pid}/cmdline").read_bytes()
    return [pid for pid in children(server.process.pid) if Path(f"/proc/{pid}/cmdline").read_bytes() == command]


def connections_per_worker(server: Server) -> dict[int, int]:
    """How many established connections each worker holds on the server's port, from /proc."""
    port = int(server.url.rsplit(":", 1)[1])
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                established.add(f"socket:[{fields[9]}]")
    return {
        pid: len({os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()} & established) for pid in workers(server)
    }


def test_sigterm_stops_the_server_and_its_print_process(tmp_path: Path) -> None:
    with helpdesk_server(tmp_path / "server", "preview") as server:
        processes = children(server.process.pid)
        assert processes  # the print process, at least
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(20) == 0
        eventually(lambda: not any(alive(pid) for pid in processes))


def test_sqlite_refuses_several_workers_and_says_why(tmp_path: Path) -> None:
    env = {**os.environ, "HELPDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'helpdesk.sqlite3'}"}
    result = subprocess.run(
        [str(BIN / "helpdesk"), "serve", "--workers", "2", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "--workers needs PostgreSQL: with SQLite the helpdesk runs in one process" in result.stderr


@pytest.mark.postgres
@needs_postgresql
def test_a_check_in_on_one_server_updates_a_stream_on_another(pg_url: str, tmp_path: Path) -> None:
    settings = {
        "DATABASE_URL": pg_url,
        "PRINT_WORKER": "false",
        "SSE_KEEPALIVE_SECONDS": "1",
    }  # closed streams end soon
    with (
        helpdesk_server(tmp_path / "a", "preview", **settings) as a,
        helpdesk_server(tmp_path / "b", "preview", **settings) as b,
    ):
        token = token_of(check_in_over_http(a))
        stream = Stream(b, token)
        try:
            assert "Anda berikutnya" in stream.next_status()
            check_in_over_http(a, priority="1")  # a priority visitor goes ahead
            assert "1 orang sebelum Anda" in stream.next_status(timeout=10.0)
        finally:
            stream.close()


@pytest.mark.postgres
@needs_postgresql
def test_several_workers_share_the_port_the_events_and_one_printer_and_stop_together(
    pg_url: str, tmp_path: Path
) -> None:
    with (
        Emulator("127.0.0.1", 0, tmp_path / "printer") as printer,
        helpdesk_server(
            tmp_path / "server",
            f"tcp://127.0.0.1:{printer.port}",
            ["--workers", "2"],
            DATABASE_URL=pg_url,
            SSE_KEEPALIVE_SECONDS="1",
        ) as server,
    ):
        # Two workers and the print process, which has started its own program: until then, the print process
        # is a copy of the server and would pass for a worker.
        eventually(lambda: len(workers(server)) == 2 and len(children(server.process.pid)) == 3)
        killed = workers(server)[0]
        os.kill(killed, signal.SIGKILL)
        eventually(lambda: len(workers(server)) == 2 and killed not in workers(server))
        eventually(lambda: f"worker {killed} exited unexpectedly" in server.log.read_text())

        token = token_of(check_in_over_http(server))
        streams: list[Stream] = []
        try:
            while len(streams) < 12 or not all(
                connections_per_worker(server).values()
            ):  # the kernel hands out connections
                assert len(streams) < 200, f"one worker took every stream: {connections_per_worker(server)}"
                streams.append(Stream(server, token))
                assert "Anda berikutnya" in streams[-1].next_status()
            check_in_over_http(server, priority="1")
            deadline = time.monotonic() + 10.0
            for stream in streams:
                assert "1 orang sebelum Anda" in stream.next_status(timeout=max(0.01, deadline - time.monotonic()))
        finally:
            for stream in streams:
                stream.close()
        for _ in range(10):
            with urllib.request.urlopen(f"{server.url}/kiosk", timeout=5) as response:
                assert response.status == 200
        eventually(lambda: len(printer.jobs()) == 2, timeout=5.0)  # the print process hears check-ins from any worker

        processes = children(server.process.pid)
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(20) == 0
        eventually(lambda: not any(alive(pid) for pid in processes))
