"""Fixtures: a migrated database per test (SQLite file, and PostgreSQL when configured), the app, factories."""

from __future__ import annotations

import base64
import contextlib
import html
import http.client
import io
import os
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from printers.emulator import Emulator
from shared import migrate
from shared.db import make_engine, make_sessionmaker
from shared.events import Broker
from shared.models import Base
from shared.seed import seed

PG_URL = os.environ.get("HELPDESK_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
NOW = datetime(2026, 11, 28, 6, 5, tzinfo=UTC)  # Saturday 14.05 WITA


def pytest_configure(config: pytest.Config) -> None:
    """Under CI every PostgreSQL test must run: a missing database URL is an error, not a skip."""
    if os.environ.get("CI") and not PG_URL:
        raise pytest.UsageError(
            "CI=true but HELPDESK_TEST_DATABASE_URL is not set: the PostgreSQL tests would be skipped"
        )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated and seeded SQLite file that each test copies."""
    path = tmp_path_factory.mktemp("template") / "helpdesk.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with sessionmaker(engine)() as session:
        seed(session, "KPU Kota Kupang", "Asia/Makassar", desks=3)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[str]:
    """A private schema in the PostgreSQL test database, migrated once per run."""
    schema = f"hd_test_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, seeded, empty-of-visits database URL; runs once per configured backend."""
    if request.param == "sqlite":
        path = tmp_path / "helpdesk.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("pg_schema_url")
    engine = make_engine(url)
    with sessionmaker(engine)() as session:
        seed(session, "KPU Kota Kupang", "Asia/Makassar", desks=3)
    engine.dispose()
    yield url
    _truncate(url)


def _truncate(url: str) -> None:
    engine = make_engine(url)
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on the test database."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def broker() -> Broker:
    """An in-process event broker."""
    return Broker()


@pytest.fixture
def sessions(engine: Engine, broker: Broker) -> sessionmaker[Session]:
    """Session factory publishing to the broker, as the app builds it."""
    return make_sessionmaker(engine, publish=broker.publish)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One session, closed after the test."""
    with sessions() as session:
        yield session


@pytest.fixture
def app_config(db_url: str) -> dict[str, Any]:
    """Settings for a test app: no background printing unless a test starts it."""
    return {
        "DATABASE_URL": db_url,
        "SECRET_KEY": "test-secret",
        "PRINT_WORKER": False,
        "PUBLIC_URL": "http://helpdesk.test",
    }


@pytest.fixture
def app(app_config: dict[str, Any], tmp_path: Path) -> Any:
    """The Flask application on the test database."""
    from helpdesk import create_app

    app = create_app(app_config, instance_path=str(tmp_path / "instance"))
    app.testing = True
    app.extensions["helpdesk"].clock = lambda: NOW
    yield app
    app.extensions["helpdesk"].close()


@pytest.fixture
def client(app: Any) -> Any:
    """A test client."""
    return app.test_client()


def make_user(
    session: Session, username: str = "petugas1", role: str = "officer", password: str = "rahasia-123", **overrides: Any
) -> Any:
    """A staff account (password 'rahasia-123' unless given)."""
    from shared.models import Role
    from shared.staff import add_user

    user = add_user(session, username, overrides.pop("name", f"Petugas {username}"), Role(role), password, NOW)
    for key, value in overrides.items():
        setattr(user, key, value)
    session.commit()
    return user


def signature_png(strokes: int = 3, size: tuple[int, int] = (600, 200)) -> bytes:
    """A PNG that looks like a signature: a few thick strokes on a transparent pad."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for i in range(strokes):
        draw.line([(40 + i * 60, 150), (120 + i * 80, 40), (200 + i * 90, 160)], fill=(0, 0, 0, 255), width=5)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def data_url(png: bytes) -> str:
    """A PNG as the data URL the signature pad posts."""
    return "data:image/png;base64," + base64.b64encode(png).decode()


def damaged_png(png: bytes) -> bytes:
    """The PNG with its first IDAT chunk's length ten bytes short, as a broken upload might be: Pillow raises
    SyntaxError on it and browsers cannot draw it."""
    start = png.index(b"IDAT") - 4
    (length,) = struct.unpack(">I", png[start : start + 4])
    return png[:start] + struct.pack(">I", length - 10) + png[start + 4 :]


def make_form(**overrides: str) -> dict[str, str]:
    """A valid kiosk form (party id 5 and topic id 1 exist in the seed data); override any field."""
    form = {
        "name": "Maria Lodia Nenobais",
        "phone": "0812-3456-7890",
        "visitor_type": "party",
        "party_id": "5",
        "topic_id": "1",
        "signature": data_url(signature_png()),
        "lang": "id",
    }
    form.update(overrides)
    return form


BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running `helpdesk serve` on its own SQLite file (or the DATABASE_URL it was given)."""

    url: str
    database: Path
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes]


@dataclass
class LiveServer(Server):
    """A server and the virtual network printer it prints to."""

    printer: Emulator


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"helpdesk serve exited: {log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("helpdesk serve did not start")


@contextmanager
def helpdesk_server(
    folder: Path, printer: str, serve_args: Sequence[str] = (), *, own_group: bool = False, **settings: str
) -> Iterator[Server]:
    """Migrate, seed and serve a fresh database as an operator would; settings are HELPDESK_* values.

    own_group starts the server in a process group of its own, as a service manager does, so a test can
    signal the whole group.
    """
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {
        **os.environ,
        "HELPDESK_DATABASE_URL": f"sqlite:///{folder / 'helpdesk.sqlite3'}",
        "HELPDESK_PRINTER": printer,
        "HELPDESK_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "HELPDESK_SECRET_KEY": "server-tests",
        **{f"HELPDESK_{key}": value for key, value in settings.items()},
    }
    for command in (["db", "upgrade"], ["seed"]):
        subprocess.run([BIN / "helpdesk", *command], env=env, check=True, capture_output=True)
    log_path = folder / "server.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [BIN / "helpdesk", "serve", "--port", str(port), *serve_args],
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=own_group,
        )
        server = Server(f"http://127.0.0.1:{port}", folder / "helpdesk.sqlite3", env, log_path, process)
        try:
            _wait_until_up(f"{server.url}/kiosk", process, server.log)
            yield server
        finally:
            process.terminate()
            process.wait(20)
            if own_group:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)  # nothing the test started may outlive it


@contextmanager
def serve_with_printer(folder: Path) -> Iterator[LiveServer]:
    """The product as an operator runs it: migrated, seeded, served by waitress, printing over TCP."""
    with (
        Emulator("127.0.0.1", 0, folder / "printer") as printer,
        helpdesk_server(folder, f"tcp://127.0.0.1:{printer.port}", KIOSK_IDLE_SECONDS="10") as server,
    ):
        yield LiveServer(**vars(server), printer=printer)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One served product for the tests that don't mind what others left in its queue."""
    with serve_with_printer(tmp_path_factory.mktemp("live")) as server:
        yield server


def check_in_over_http(server: Server, **form: str) -> str:
    """Take the consent screen and check in over HTTP as the kiosk does; returns the ticket screen."""
    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    headers = {"HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded"}
    connection.request("POST", "/kiosk/consent", body="lang=id", headers=headers)
    page = connection.getresponse().read().decode()
    consent = html.unescape(page.split('name="consent" value="', 1)[1].split('"', 1)[0])
    connection.request(
        "POST", "/kiosk/checkin", body=urlencode({**make_form(**form), "consent": consent}), headers=headers
    )
    response = connection.getresponse()
    assert response.status == 200
    return response.read().decode()


def newest_token(server: Server) -> str:
    """The status-page token of the latest check-in."""
    with sqlite3.connect(server.database) as db:
        return str(db.execute("SELECT token FROM visits ORDER BY id DESC LIMIT 1").fetchone()[0])


def eventually(condition: Callable[[], object], timeout: float = 15.0) -> None:
    """Wait until condition() is true; generous, so a loaded machine cannot fail a test."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def children(pid: int) -> list[int]:
    """The live processes whose parent is pid."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, parent = stat.read_text().rsplit(")", 1)[1].split()[:2]
        except OSError:
            continue
        if int(parent) == pid and state != "Z":
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    """Whether a process still runs (a zombie waiting to be reaped does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


needs_postgresql = pytest.mark.skipif(not PG_URL, reason="set HELPDESK_TEST_DATABASE_URL to run the PostgreSQL tests")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """An empty schema of its own on the test PostgreSQL server; the servers migrate and seed it as an operator would."""
    schema = f"hd_serve_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
