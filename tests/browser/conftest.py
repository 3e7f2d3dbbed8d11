"""Debian's Chromium through Playwright."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import waitress
from waitress import wasyncore

from tests.conftest import BIN, LiveServer, Server, serve_with_printer

CHROMIUM = os.environ.get("HELPDESK_CHROMIUM", "/usr/bin/chromium")
# Pushed updates arrive in milliseconds (bench/live.py measures it); the generous wait only keeps a loaded
# test machine from failing the test. What matters here is that they arrive without a reload.
PUSHED = 5_000


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Chromium; without it the browser tests skip, except under CI where they fail."""
    if not shutil.which(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def kiosk_page(browser: object, live_server: object) -> Iterator[object]:
    """A portrait 1080x1920 touchscreen page."""
    context = browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True)  # type: ignore[attr-defined]
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def add_officer(server: Server, username: str = "yohana", name: str = "Yohana Bria", role: str = "officer") -> None:
    """An officer account made as an operator makes one; the password is rahasia-123."""
    subprocess.run(
        [BIN / "helpdesk", "officer", "add", username, "--name", name, "--role", role, "--password-stdin"],
        input="rahasia-123\n",
        text=True,
        env=server.env,
        capture_output=True,
        check=True,
    )


def sign_in(page: Any, server: Server, username: str = "yohana") -> None:
    """Sign a staff member in on the page."""
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "rahasia-123")
    page.get_by_role("button", name="Masuk").click()


def sign_in_at_desk(page: Any, server: Server, desk: str, username: str = "yohana") -> None:
    """Sign an officer in on the page and start work at a desk."""
    sign_in(page, server, username)
    page.get_by_role("button", name=desk).click()


@pytest.fixture
def staffed_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server of its own, printing over TCP, with an officer account (yohana)."""
    with serve_with_printer(tmp_path) as server:
        add_officer(server)
        yield server


class ThreadedServer:
    """The test app served by waitress in this process, so the test's service calls reach the page's stream."""

    def __init__(self, app: Any) -> None:
        self.app, self.port = app, 0
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.connections: dict[int, Any] = {}
        self.server = waitress.create_server(
            self.app, map=self.connections, host="127.0.0.1", port=self.port, threads=16
        )
        self.port = self.server.effective_port
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        # server.close() would leave open streams running; a real restart drops them too.
        wasyncore.close_all(self.connections)
        self.server.task_dispatcher.shutdown(timeout=3)
        self.thread.join(3)


def wait_for_job(server: LiveServer, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    """The printer's job records once it has received count jobs."""
    deadline = time.monotonic() + timeout
    while len(server.printer.jobs()) < count:
        assert time.monotonic() < deadline, "the ticket never reached the printer"
        time.sleep(0.05)
    return server.printer.jobs()


@pytest.fixture
def touch_screens(browser: Any) -> Iterator[Any]:
    """Opens touch-capable pages of a given size (a desk PC, a tablet); none of them may hit a script error."""
    contexts: list[Any] = []
    errors: list[str] = []

    def open_page(width: int = 1366, height: int = 768, **options: Any) -> Any:
        context = browser.new_context(viewport={"width": width, "height": height}, has_touch=True, **options)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert errors == [], errors
