"""The `helpdesk` command as an operator uses it: serving many live screens, printers, bad settings."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import time
from pathlib import Path

import zxingcpp
from PIL import Image

from printers.emulator import Emulator
from shared.settings import lan_ip, unreachable_by_phones
from tests.conftest import BIN, LiveServer, check_in_over_http, free_port, helpdesk_server, newest_token


def open_stream(server: LiveServer, path: str) -> socket.socket:
    """Open a server-sent event stream and read until the ticket's state arrives, as EventSource does."""
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n".encode())
    received = b""
    while b"event: status" not in received:
        chunk = sock.recv(4096)
        assert chunk, received
        received += chunk
    assert received.startswith(b"HTTP/1.1 200"), received[:200]
    return sock


def test_two_hundred_live_screens_do_not_starve_the_kiosk(live_server: LiveServer) -> None:
    check_in_over_http(live_server)
    token = newest_token(live_server)
    streams = [open_stream(live_server, f"/t/{token}/events") for _ in range(200)]
    try:
        host, port = live_server.url.removeprefix("http://").split(":")
        started = time.monotonic()
        for _ in range(20):
            connection = http.client.HTTPConnection(host, int(port), timeout=5)
            connection.request("GET", "/kiosk")
            assert connection.getresponse().status == 200
            connection.close()
        assert time.monotonic() - started < 5
    finally:
        for stream in streams:
            stream.close()


def run(*args: str, env: dict[str, str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "helpdesk"), *args], env=env, capture_output=True, text=True, timeout=timeout)


def test_printer_test_prints_a_page_on_a_network_printer(live_server: LiveServer, tmp_path: Path) -> None:
    with Emulator("127.0.0.1", 0, tmp_path / "printer") as printer:
        result = run("printer", "test", env={**live_server.env, "HELPDESK_PRINTER": f"tcp://127.0.0.1:{printer.port}"})
        assert result.returncode == 0, result.stderr
        deadline = time.monotonic() + 5
        while not printer.jobs() and time.monotonic() < deadline:
            time.sleep(0.05)
        page = Image.open(printer.out_dir / "job-0001.png")
        assert [r.text for r in zxingcpp.read_barcodes(page)] == [f"{live_server.url}/kiosk"]


def test_printer_test_says_when_the_printer_is_off(live_server: LiveServer) -> None:
    result = run("printer", "test", env={**live_server.env, "HELPDESK_PRINTER": f"tcp://127.0.0.1:{free_port()}"})
    assert result.returncode != 0
    assert "the printer did not take the test page" in result.stderr


def test_the_emulator_command_renders_jobs_it_receives(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "helpdesk"), "printer", "emulate", "--port", str(port), "--out", str(tmp_path / "out")],
        env={**os.environ, "HELPDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        from escpos.printer import Network

        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the emulator did not start"
                time.sleep(0.1)
        printer = Network("127.0.0.1", port)
        printer.open()
        printer.qr("https://helpdesk.test/t/abc", size=6)
        printer.cut()
        printer.close()
        while not (tmp_path / "out" / "job-0002.png").exists():  # the probe connection above was empty, not a job
            if (tmp_path / "out" / "job-0001.png").exists():
                break
            assert time.monotonic() < deadline + 5
            time.sleep(0.05)
        page = Image.open(tmp_path / "out" / "job-0001.png")
        assert [r.text for r in zxingcpp.read_barcodes(page)] == ["https://helpdesk.test/t/abc"]
    finally:
        process.terminate()
        process.wait(10)


def test_bad_settings_stop_start_up_naming_the_variable(tmp_path: Path) -> None:
    env = {**os.environ, "HELPDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "HELPDESK_PRINTER": "lpt1"}
    result = run("serve", "--port", str(free_port()), env=env)
    assert result.returncode != 0
    assert "HELPDESK_PRINTER: unknown printer 'lpt1'" in result.stderr


def test_serve_refuses_an_empty_database_with_a_hint(tmp_path: Path) -> None:
    env = {**os.environ, "HELPDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"}
    result = run("serve", "--port", str(free_port()), env=env)
    assert result.returncode != 0
    assert "helpdesk db upgrade" in result.stderr


def test_the_print_process_ends_when_the_server_is_killed(tmp_path: Path) -> None:
    with helpdesk_server(tmp_path / "server", "preview") as server:
        children = _children(server.process.pid)
        assert children, "the print process should be running"
        server.process.kill()  # no clean shutdown at all
        server.process.wait(5)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in children):
            assert time.monotonic() < deadline, "the print process outlived the server"
            time.sleep(0.2)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def test_without_a_public_address_qr_codes_follow_the_real_port_and_loopback_is_warned_about(tmp_path: Path) -> None:
    with helpdesk_server(tmp_path / "local", "preview", PUBLIC_URL="") as server:
        port = server.url.rsplit(":", 1)[1]
        ticket = check_in_over_http(server)
        log = server.log.read_text()
    assert f"visitors' phones open http://127.0.0.1:{port}/t/..." in log and "WARNING" in log
    assert f'data-qr="http://127.0.0.1:{port}/t/' in ticket

    with helpdesk_server(tmp_path / "lan", "preview", ["--host", "0.0.0.0"], PUBLIC_URL="") as server:
        port = server.url.rsplit(":", 1)[1]
        ticket = check_in_over_http(server)
        log = server.log.read_text()
    address = f"http://{lan_ip()}:{port}"
    assert f"visitors' phones open {address}/t/..." in log and f"the TV opens {address}/display" in log
    assert f'data-qr="{address}/t/' in ticket
    assert ("WARNING" in log) is unreachable_by_phones(address)  # no warning on a machine with a network
