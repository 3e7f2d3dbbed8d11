"""Check-in benchmark: the real server, print worker and virtual printer, driven over real sockets.

Starts `helpdesk printer emulate` and `helpdesk serve` on a fresh temporary SQLite database (or a fresh
schema on PostgreSQL, several workers, or gunicorn instead: --database-url, --workers, --server), then
plays kiosks: POST /kiosk/consent, then POST /kiosk/checkin with a valid form. It measures the time
from sending a check-in to the last byte of its ticket arriving at the printer, and how many
check-ins per second four concurrent kiosks get through, then checks the numbering and printing.
Exit code 0 when every correctness check passes (goals are reported, not enforced), 1 otherwise.
"""

from __future__ import annotations

import argparse
import base64
import html
import http.client
import io
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import psycopg
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = Path(__file__).resolve().parent / "out"
HELPDESK = str(Path(sys.executable).parent / "helpdesk")
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
INSTANCE = ROOT / "instance"  # the instance folder of a server started from the checkout, as the benchmarks do
HOST = "127.0.0.1"
HEADERS = {"HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded"}
CONSENT_FIELD = re.compile(r'name="consent" value="([^"]+)"')
TICKET_NUMBER = re.compile(r'class="number">\s*([A-Z]{1,3}-\d{3,})\s*<')
PRINTED_NUMBER = re.compile(rb"(?<![\w-])([A-Z]{1,3}-\d{3,})(?![\w-])")
GOAL_P95_MS = 100.0
GOAL_RATE = 200.0


class BenchError(RuntimeError):
    """The benchmark could not run: a process died or a request failed."""


@dataclass(frozen=True)
class Checkin:
    """One visitor at a kiosk: the ticket number and the client-side timings."""

    number: str
    t0: float  # epoch seconds just before the POST /kiosk/checkin was sent
    consent_ms: float
    checkin_ms: float


@dataclass
class PrintedJob:
    """One job as the virtual printer filed it."""

    job: int
    last_byte_at: float
    numbers: list[str]
    error: str | None


@dataclass(frozen=True)
class ServerChoice:
    """Which server the benchmark starts, on which database, with how many processes and threads.

    helpdesk: `helpdesk serve --workers N --threads T --streams S` (waitress, its own print process).
    gunicorn: `gunicorn -k CLASS -w N --threads T+S 'helpdesk:create_app()'` with HELPDESK_PRINT_WORKER=false,
    and the print process started beside it by the benchmark, as `helpdesk serve` starts its own.
    """

    kind: str = "helpdesk"
    workers: int = 1
    threads: int = 24  # ordinary requests, per worker
    streams: int = 400  # live screens, per worker
    database_url: str = ""  # PostgreSQL server to make a fresh schema on; empty: a SQLite file in the temp folder
    worker_class: str = "gthread"  # gunicorn only
    stream_cap: bool = False  # gunicorn only: refuse streams past --streams per worker, as `helpdesk serve` does

    @property
    def gunicorn_threads(self) -> int:
        """gunicorn's threads per worker: every stream holds one, and ordinary requests need their own."""
        return self.threads + self.streams

    def describe(self) -> str:
        """The server as a command line, for the reports."""
        if self.kind == "gunicorn":
            cap = f" + stream cap {self.streams}" if self.stream_cap else ""
            return (
                f"gunicorn -k {self.worker_class} -w {self.workers} --threads {self.gunicorn_threads}{cap} "
                "+ print process"
            )
        return f"helpdesk serve --workers {self.workers} --threads {self.threads} --streams {self.streams}"

    def database(self) -> str:
        """The kind of database, for the reports."""
        return "PostgreSQL" if self.database_url else "SQLite"


@dataclass
class Services:
    """The running printer emulator and server, and where they keep their files."""

    tmp: Path
    printer: subprocess.Popen[bytes]
    server: subprocess.Popen[bytes]
    app_port: int
    database_url: str = ""
    print_process: subprocess.Popen[bytes] | None = None  # started by the benchmark beside gunicorn
    stopped: bool = False  # the benchmark stopped the server itself: its exit is no failure

    @property
    def printer_out(self) -> Path:
        """The emulator's output folder."""
        return self.tmp / "printer"

    @property
    def server_log(self) -> Path:
        """The server's stdout and stderr."""
        return self.tmp / "server.log"

    def server_pids(self) -> list[int]:
        """Every process serving the helpdesk: the server, its workers and children, and the print process."""
        roots = [self.server.pid] + ([self.print_process.pid] if self.print_process else [])
        return [pid for root in roots for pid in [root, *descendants(root)]]

    def web_pids(self) -> list[int]:
        """The processes answering HTTP: the server and its workers (and helpers), not the print process."""
        return [self.server.pid, *(pid for pid in descendants(self.server.pid) if not is_print_process(pid))]

    def check(self) -> None:
        """Raise with the log tail if a service died."""
        if not self.stopped:
            check_alive(self.server, "server", self.server_log)
        if self.print_process is not None:
            check_alive(self.print_process, "print process", self.tmp / "print.log")
        check_alive(self.printer, "printer emulator", self.tmp / "printer.log")


@dataclass
class Report:
    """Everything measured and checked, as written to JSON."""

    command: str
    machine: dict[str, Any]
    options: dict[str, Any]
    latency: dict[str, Any] = field(default_factory=dict)
    throughput: dict[str, Any] = field(default_factory=dict)
    visitors: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)
    goals: dict[str, bool] = field(default_factory=dict)


# -- set-up ---------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--checkins", type=int, default=300, help="sequential check-ins in the latency phase (use at least 200)"
    )
    parser.add_argument("--warmup", type=int, default=20, help="first latency-phase check-ins left out of the figures")
    parser.add_argument("--kiosks", type=int, default=4, help="concurrent kiosks in the throughput phase")
    parser.add_argument("--per-kiosk", type=int, default=100, help="check-ins per kiosk in the throughput phase")
    parser.add_argument("--port", type=int, default=0, help="server port (0: a free one)")
    parser.add_argument("--printer-port", type=int, default=0, help="virtual printer port (0: a free one)")
    parser.add_argument(
        "--timeout", type=float, default=180.0, help="seconds to wait for all tickets to reach the printer"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, printouts, logs)")
    parser.add_argument("--threads", type=int, default=24, help="server threads for ordinary requests, per worker")
    parser.add_argument("--streams", type=int, default=400, help="server live-screen streams, per worker")
    add_server_args(parser)
    args = parser.parse_args(argv)
    if args.checkins <= args.warmup or args.kiosks < 1 or args.per_kiosk < 1:
        parser.error("need --checkins > --warmup, --kiosks >= 1 and --per-kiosk >= 1")
    check_server_args(parser, args)
    return args


def add_server_args(parser: argparse.ArgumentParser) -> None:
    """The options that choose the server and the database (see ServerChoice)."""
    parser.add_argument(
        "--server",
        choices=("helpdesk", "gunicorn"),
        default="helpdesk",
        help="helpdesk: `helpdesk serve` (waitress); gunicorn: gunicorn plus a print process started beside it",
    )
    parser.add_argument("--workers", type=int, default=1, help="server processes (more than one needs PostgreSQL)")
    parser.add_argument(
        "--database-url",
        default="",
        help="a PostgreSQL server (postgresql://USER@HOST/DB) to run on, in a fresh schema dropped afterwards; "
        "default: a fresh SQLite file",
    )
    parser.add_argument("--worker-class", default="gthread", help="gunicorn's worker class (-k)")
    parser.add_argument(
        "--stream-cap",
        action="store_true",
        help="gunicorn: refuse streams past --streams per worker with 503, as `helpdesk serve` does (a config hook)",
    )


def check_server_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse server choices that cannot work."""
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.database_url and not args.database_url.startswith("postgresql"):
        parser.error("--database-url takes a postgresql:// URL (SQLite is the default)")
    if args.workers > 1 and not args.database_url:
        parser.error("--workers above 1 needs --database-url: live screens hear of changes in one process on SQLite")
    if args.server == "gunicorn" and not args.database_url:
        parser.error("--server gunicorn needs --database-url: on SQLite the print process reports through its server")


def server_choice(args: argparse.Namespace, streams: int | None = None) -> ServerChoice:
    """The server the options describe; streams overrides --streams."""
    return ServerChoice(
        kind=args.server,
        workers=args.workers,
        threads=args.threads,
        streams=args.streams if streams is None else streams,
        database_url=args.database_url,
        worker_class=args.worker_class,
        stream_cap=args.stream_cap,
    )


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextmanager
def scratch(prefix: str, keep: bool) -> Iterator[Path]:
    """A folder for a run's database, printouts and logs, removed afterwards unless --keep asks otherwise."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        if keep:
            print(f"files kept in {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


def run_and_report(
    argv_args: argparse.Namespace,
    prefix: str,
    benchmark: Callable[[argparse.Namespace, Path], Any],
    render: Callable[[Any], str],
    name: str,
    passed: Callable[[Any], bool],
) -> int:
    """Run a benchmark in a scratch folder, print its report and save the JSON.

    2 when it could not run, 1 when a goal or check failed, 0 otherwise.
    """
    with scratch(prefix, argv_args.keep) as folder:
        try:
            report = benchmark(argv_args, folder)
        except BenchError as error:
            print(f"benchmark failed: {error}", file=sys.stderr)
            return 2
    print(render(report))
    print(f"\nJSON: {save(report, name).relative_to(ROOT)}")
    return 0 if passed(report) else 1


def log_tail(path: Path, lines: int = 30) -> str:
    """The last lines of a process log."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def check_alive(process: subprocess.Popen[bytes], name: str, log: Path) -> None:
    """Raise with the log tail if a service process has exited."""
    if process.poll() is not None:
        raise BenchError(f"{name} exited with code {process.returncode}; last lines of {log}:\n{log_tail(log)}")


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start a service with stdout and stderr going to a log file."""
    with open(log, "wb") as out:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_until(ready: Any, process: subprocess.Popen[bytes], name: str, log: Path, timeout: float = 30.0) -> None:
    """Poll ready() until it is true; fail if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while not ready():
        check_alive(process, name, log)
        if time.monotonic() > deadline:
            raise BenchError(f"{name} not ready after {timeout:.0f} s; last lines of {log}:\n{log_tail(log)}")
        time.sleep(0.05)


def port_open(port: int) -> bool:
    """Whether something accepts connections on the port."""
    try:
        socket.create_connection((HOST, port), timeout=0.5).close()
        return True
    except OSError:
        return False


def kiosk_answers(port: int) -> bool:
    """Whether GET /kiosk answers 200."""
    connection = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        connection.request("GET", "/kiosk")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def server_env(database_url: str, app_port: int, printer_port: int) -> dict[str, str]:
    """The environment of the server and its set-up commands."""
    return {
        **os.environ,
        "HELPDESK_DATABASE_URL": database_url,
        "HELPDESK_PRINTER": f"tcp://{HOST}:{printer_port}",
        "HELPDESK_SECRET_KEY": "bench",
        "HELPDESK_PUBLIC_URL": f"http://{HOST}:{app_port}",
        "HELPDESK_PRINT_WORKER": "true",
    }


@contextmanager
def fresh_database(tmp: Path, postgresql: str) -> Iterator[str]:
    """A fresh database's URL: a SQLite file in tmp, or a new schema on the PostgreSQL server, dropped afterwards."""
    if not postgresql:
        yield f"sqlite:///{tmp / 'bench.sqlite3'}"
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(libpq_url(postgresql), autocommit=True) as connection:
            connection.execute(f"CREATE SCHEMA {schema}")
    except psycopg.Error as error:
        raise BenchError(f"cannot create a schema on {postgresql}: {error}") from error
    try:
        yield f"{postgresql}{'&' if '?' in postgresql else '?'}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(libpq_url(postgresql), autocommit=True) as connection:
            connection.execute("SET lock_timeout = '20s'")
            connection.execute(f"DROP SCHEMA {schema} CASCADE")


def libpq_url(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as libpq takes it."""
    return "postgresql://" + url.split("://", 1)[1]


def server_command(choice: ServerChoice, app_port: int) -> list[str]:
    """The command line that starts the chosen server."""
    if choice.kind == "gunicorn":
        threads = choice.gunicorn_threads
        return [
            GUNICORN,
            *("-k", choice.worker_class, "-w", str(choice.workers), "--threads", str(threads)),
            # As waitress is set up by `helpdesk serve`: a connection limit above the threads, idle connections
            # kept 60 s (the kiosks reuse theirs), a backlog of 1024.
            *("--worker-connections", str(threads + 100), "--keep-alive", "60", "--backlog", "1024"),
            *(("-c", str(Path(__file__).resolve().parent / "gunicorn_conf.py")) if choice.stream_cap else ()),
            *("--no-control-socket", "-b", f"{HOST}:{app_port}", "helpdesk:create_app()"),
        ]
    workers = ["--workers", str(choice.workers)] if choice.workers > 1 else []
    return [
        HELPDESK,
        *("serve", "--host", HOST, "--port", str(app_port)),
        *("--threads", str(choice.threads), "--streams", str(choice.streams), *workers),
    ]


def gunicorn_env(env: dict[str, str], choice: ServerChoice) -> dict[str, str]:
    """The server's environment for gunicorn: no print process of its own, glibc arenas as `helpdesk serve` sets."""
    return {
        **env,
        "HELPDESK_PRINT_WORKER": "false",
        "MALLOC_ARENA_MAX": "2",
        **({"BENCH_SSE_MAX_STREAMS": str(choice.streams)} if choice.stream_cap else {}),
    }


def start_print_process(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`python -m printers.service`, as helpdesk.printing starts it: the settings as one JSON line on stdin.

    On PostgreSQL it hears of new jobs through LISTEN itself, so nothing else goes down the pipe until the stop.
    """
    from printers.service import ServiceSettings
    from shared.config import load_config

    settings = ServiceSettings.from_config(load_config(INSTANCE, environ=env), str(INSTANCE), uuid.uuid4().hex)
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "printers.service"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    assert process.stdin is not None
    process.stdin.write((json.dumps(asdict(settings)) + "\n").encode())
    process.stdin.flush()
    return process


def stop_print_process(process: subprocess.Popen[bytes] | None) -> None:
    """Ask the print process to stop after the job in hand (the stop byte), as the server does."""
    if process is None or process.poll() is not None:
        return
    from printers.service import STOP

    with suppress(OSError, ValueError):
        assert process.stdin is not None
        process.stdin.write(STOP)
        process.stdin.close()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        stop(process)


def run_step(args: list[str], env: dict[str, str]) -> None:
    """Run a set-up command; fail with its output."""
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise BenchError(f"{shlex.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")


def stop(process: subprocess.Popen[bytes] | None, timeout: float = 10.0) -> None:
    """Terminate a service, killing it if it does not stop within timeout seconds.

    Its processes still running then (a server's workers) are killed too, by their ids.
    """
    if process is None or process.poll() is not None:
        return
    below = descendants(process.pid)
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for pid in below:
        with suppress(OSError):
            os.kill(pid, signal.SIGKILL)


@contextmanager
def services(
    tmp: Path,
    app_port: int,
    printer_port: int,
    choice: ServerChoice | None = None,
    prepare: Callable[[dict[str, str]], None] | None = None,
) -> Iterator[Services]:
    """The virtual printer and the chosen server (default: `helpdesk serve` on SQLite) on a fresh database,
    stopped on the way out.

    prepare(env) runs after seeding, before the server starts.
    """
    choice = choice or ServerChoice()
    # gunicorn waits up to its graceful timeout (30 s) for the requests in hand, live streams included.
    stop_timeout = 35.0 if choice.kind == "gunicorn" else 10.0
    with (
        fresh_database(tmp, choice.database_url) as database_url,
        _services(tmp, app_port, printer_port, choice, database_url, prepare, stop_timeout) as running,
    ):
        yield running


@contextmanager
def _services(
    tmp: Path,
    app_port: int,
    printer_port: int,
    choice: ServerChoice,
    database_url: str,
    prepare: Callable[[dict[str, str]], None] | None,
    stop_timeout: float,
) -> Iterator[Services]:
    printer = server = print_process = None
    try:
        printer_log = tmp / "printer.log"
        printer = spawn(
            [
                HELPDESK,
                "printer",
                "emulate",
                "--host",
                HOST,
                "--port",
                str(printer_port),
                "--out",
                str(tmp / "printer"),
                "--no-pictures",
            ],
            dict(os.environ),
            printer_log,
        )
        wait_until(lambda: port_open(printer_port), printer, "printer emulator", printer_log)
        env = server_env(database_url, app_port, printer_port)
        run_step([HELPDESK, "db", "upgrade"], env)
        run_step([HELPDESK, "seed"], env)
        if prepare is not None:
            prepare(env)
        if choice.kind == "gunicorn":
            env = gunicorn_env(env, choice)
            print_process = start_print_process(env, tmp / "print.log")
        server = spawn(server_command(choice, app_port), env, tmp / "server.log")
        wait_until(lambda: kiosk_answers(app_port), server, "server", tmp / "server.log", timeout=60)
        running = Services(tmp, printer, server, app_port, database_url, print_process)
        try:
            yield running
        except Exception:
            running.check()  # a dead server explains the failure better
            raise
        running.check()
    finally:
        stop(server, stop_timeout)
        stop_print_process(print_process)
        stop(printer)


# -- kiosks ---------------------------------------------------------------------------------------


def signature_png() -> bytes:
    """A drawn signature: a few thick strokes on a transparent 600 x 200 pad."""
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for i in range(3):
        draw.line([(40 + i * 60, 150), (120 + i * 80, 40), (200 + i * 90, 160)], fill=(0, 0, 0, 255), width=5)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def form_fields() -> dict[str, str]:
    """A valid check-in form without its consent token, as tests/conftest.make_form fills it."""
    return {
        "name": "Maria Lodia Nenobais",
        "phone": "0812-3456-7890",
        "visitor_type": "party",
        "party_id": "5",
        "topic_id": "1",
        "signature": "data:image/png;base64," + base64.b64encode(signature_png()).decode(),
        "lang": "id",
    }


class Kiosk:
    """One kiosk with its own persistent HTTP connection."""

    def __init__(self, port: int, form: str, timeout: float = 60.0) -> None:
        self._connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
        self._form = form

    def _post(self, path: str, body: str) -> str:
        """POST a form as htmx does; the page on 200, else BenchError."""
        self._connection.request("POST", path, body=body.encode(), headers=HEADERS)
        response = self._connection.getresponse()
        page = response.read().decode()
        if response.status != 200:
            raise BenchError(f"POST {path}: HTTP {response.status}: {page[:300]!r}")
        return page

    def consent(self) -> tuple[str, float]:
        """The consent screen: a signed consent token and the response time in ms."""
        started = time.perf_counter()
        consent = CONSENT_FIELD.search(self._post("/kiosk/consent", "lang=id"))
        if consent is None:
            raise BenchError("POST /kiosk/consent: no consent token in the form")
        return html.unescape(consent.group(1)), (time.perf_counter() - started) * 1000

    def checkin(self, token: str, consent_ms: float = 0.0) -> Checkin:
        """The check-in request that saves the visit and queues its ticket."""
        body = f"{self._form}&consent={quote(token)}"
        t0 = time.time()
        started = time.perf_counter()
        ticket = TICKET_NUMBER.search(self._post("/kiosk/checkin", body))
        checkin_ms = (time.perf_counter() - started) * 1000
        if ticket is None:
            raise BenchError("POST /kiosk/checkin: no ticket number on the ticket screen")
        return Checkin(ticket.group(1), t0, consent_ms, checkin_ms)

    def visit(self) -> Checkin:
        """One visitor: the consent screen, then the check-in; returns the ticket number and timings."""
        return self.checkin(*self.consent())

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()


def sequential(port: int, form: str, count: int, printer: PrinterLog, timeout: float) -> list[Checkin]:
    """One kiosk checking visitors in one after another, each once the previous ticket is out of the printer.

    A kiosk serves one visitor at a time, minutes apart; firing check-ins back to back would measure the
    queue they build up in front of the printer, which the throughput phase measures instead.
    """
    kiosk = Kiosk(port, form)
    checkins: list[Checkin] = []
    try:
        for _ in range(count):
            checkins.append(kiosk.visit())
            printer.wait_for({checkins[-1].number}, timeout)
        return checkins
    finally:
        kiosk.close()


def concurrent(
    port: int, form: str, kiosks: int, per_kiosk: int, consent_first: bool
) -> tuple[list[Checkin], float, float]:
    """Kiosks in parallel threads, as fast as they can: the check-ins, start (epoch) and wall seconds.

    consent_first takes every visitor's consent screen before the clock starts, so only check-in
    requests are timed; otherwise each visitor's consent screen and check-in are timed together.
    """
    results: list[list[Checkin]] = [[] for _ in range(kiosks)]
    errors: list[BaseException] = []
    gate = threading.Barrier(kiosks + 1)

    def run(index: int) -> None:
        kiosk = Kiosk(port, form)
        try:
            tokens = [kiosk.consent() for _ in range(per_kiosk)] if consent_first else []
            gate.wait()
            if consent_first:
                results[index] = [kiosk.checkin(*token) for token in tokens]
            else:
                results[index] = [kiosk.visit() for _ in range(per_kiosk)]
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
            gate.abort()
        finally:
            kiosk.close()

    threads = [threading.Thread(target=run, args=(i,), name=f"kiosk-{i + 1}") for i in range(kiosks)]
    for thread in threads:
        thread.start()
    with suppress(threading.BrokenBarrierError):
        gate.wait()
    start_epoch, started = time.time(), time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise BenchError(f"{len(errors)} kiosk(s) failed; first: {errors[0]}")
    return [checkin for kiosk in results for checkin in kiosk], start_epoch, wall


# -- printer and database -------------------------------------------------------------------------


class PrinterLog:
    """The emulator's filed jobs, each matched to ticket numbers by the text in its bytes."""

    def __init__(self, out_dir: Path) -> None:
        self._out = out_dir
        self.jobs: dict[int, PrintedJob] = {}

    def refresh(self) -> None:
        """Read the journal lines filed since the last call."""
        try:
            text = (self._out / "jobs.jsonl").read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        for line in text[: text.rfind("\n") + 1].splitlines():
            record = json.loads(line)
            if record["job"] not in self.jobs:
                data = (self._out / f"job-{record['job']:04d}.bin").read_bytes()
                numbers = sorted({m.decode() for m in PRINTED_NUMBER.findall(data)})
                self.jobs[record["job"]] = PrintedJob(
                    record["job"], record["last_byte_at"], numbers, record.get("error")
                )

    def arrivals(self, issued: set[str]) -> dict[str, list[float]]:
        """For each issued number printed so far, the last-byte times of the jobs that carried it."""
        found: dict[str, list[float]] = {}
        for job in self.jobs.values():
            for number in issued.intersection(job.numbers):
                found.setdefault(number, []).append(job.last_byte_at)
        return found

    def wait_for(self, issued: set[str], timeout: float) -> dict[str, list[float]]:
        """Wait until every issued number reached the printer, or time ran out."""
        deadline = time.monotonic() + timeout
        while True:
            self.refresh()
            found = self.arrivals(issued)
            if issued <= found.keys() or time.monotonic() > deadline:
                return found
            time.sleep(0.02)


def descendants(pid: int) -> list[int]:
    """Every process below pid (children, their children, ...), from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(")") + 2 :].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def is_print_process(pid: int) -> bool:
    """Whether the process is the print process (`python -m printers.service`)."""
    try:
        return b"printers.service" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def serving_cpu(run: Services) -> float | None:
    """CPU seconds used so far by the processes answering HTTP (those still running), or None."""
    seconds = [cpu_seconds(pid) for pid in run.web_pids()]
    known = [s for s in seconds if s is not None]
    return sum(known) if known else None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds a process used so far (Linux /proc), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def read_db(url: str, query: str) -> list[tuple[Any, ...]]:
    """Rows from the bench database (a SQLite file opened read-only, or the PostgreSQL schema)."""
    if url.startswith("sqlite:///"):
        with closing(sqlite3.connect(f"file:{url.removeprefix('sqlite:///')}?mode=ro", uri=True)) as connection:
            return connection.execute(query).fetchall()
    with psycopg.connect(libpq_url(url)) as connection:
        return connection.execute(query).fetchall()


def wait_printed(url: str, timeout: float = 15.0) -> None:
    """Give the print worker time to mark its last jobs printed."""
    deadline = time.monotonic() + timeout
    while (
        read_db(url, "SELECT count(*) FROM print_jobs WHERE status != 'printed'")[0][0] and time.monotonic() < deadline
    ):
        time.sleep(0.05)


def check_database(url: str, issued: list[str]) -> tuple[dict[str, int], list[str]]:
    """Numbering and print jobs as the database has them: counts, and any problems."""
    visits = read_db(url, "SELECT prefix, seq, service_day FROM visits ORDER BY prefix, service_day, seq")
    by_queue: dict[tuple[str, str], list[int]] = {}
    for prefix, seq, day in visits:
        by_queue.setdefault((prefix, day), []).append(seq)
    problems = [
        f"database: {prefix} on {day} has numbers other than 1..{len(seqs)} (duplicates or gaps)"
        for (prefix, day), seqs in by_queue.items()
        if seqs != list(range(1, len(seqs) + 1))
    ]
    db_numbers = sorted(f"{prefix}-{seq:03d}" for prefix, seq, _ in visits)
    if db_numbers != sorted(issued):
        problems.append(f"database: {len(visits)} visits do not match the {len(issued)} tickets the kiosks got")
    jobs_per_visit = read_db(
        url, "SELECT count(p.id) FROM visits v LEFT JOIN print_jobs p ON p.visit_id = v.id GROUP BY v.id"
    )
    not_one = sum(1 for (count,) in jobs_per_visit if count != 1)
    if not_one:
        problems.append(f"database: {not_one} visits do not have exactly one print job")
    statuses = dict(read_db(url, "SELECT status, count(*) FROM print_jobs GROUP BY status"))
    if set(statuses) - {"printed"}:
        problems.append(f"database: print jobs not printed at the end: {statuses}")
    counts = {
        "visits": len(visits),
        "print_jobs": sum(statuses.values()),
        "printed": statuses.get("printed", 0),
        "visits_without_exactly_one_job": not_one,
    }
    return counts, problems


def check_printer(printer: PrinterLog, issued: list[str]) -> tuple[dict[str, int], list[str]]:
    """One printer job per ticket, each carrying exactly one issued number and rendered cleanly."""
    wanted = set(issued)
    jobs = list(printer.jobs.values())
    copies = Counter(number for job in jobs for number in wanted.intersection(job.numbers))
    counts = {
        "jobs": len(jobs),
        "missing": len(wanted - copies.keys()),
        "printed_twice": sum(1 for n in copies.values() if n > 1),
        "unmatched_jobs": sum(1 for job in jobs if len(wanted.intersection(job.numbers)) != 1),
        "render_errors": sum(1 for job in jobs if job.error),
    }
    problems = [f"printer: {counts['jobs']} jobs for {len(wanted)} tickets"] if counts["jobs"] != len(wanted) else []
    problems += [
        f"printer: {value} {name.replace('_', ' ')}" for name, value in counts.items() if name != "jobs" and value
    ]
    return counts, problems


# -- figures --------------------------------------------------------------------------------------


def summary(values: list[float]) -> dict[str, float]:
    """p50, p95 and max of a list of milliseconds."""
    if not values:
        return {"n": 0}
    p95 = statistics.quantiles(values, n=100, method="inclusive")[94] if len(values) > 1 else values[0]
    return {
        "n": len(values),
        "p50": round(statistics.median(values), 3),
        "p95": round(p95, 3),
        "max": round(max(values), 3),
    }


def print_delays(checkins: list[Checkin], arrivals: dict[str, list[float]]) -> list[float]:
    """Milliseconds from sending each check-in to the last byte of its ticket at the printer."""
    return [(min(arrivals[c.number]) - c.t0) * 1000 for c in checkins if c.number in arrivals]


def cpu_per(
    before: tuple[float | None, float | None], after: tuple[float | None, float | None], count: int
) -> list[float | None]:
    """CPU milliseconds per item for the server and the printer between two readings."""
    return [None if a is None or b is None else (a - b) * 1000 / count for b, a in zip(before, after, strict=False)]


def machine() -> dict[str, Any]:
    """CPU count and model, OS and Python version."""
    model = ""
    with suppress(OSError):
        model = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            "",
        )
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def latency_phase(
    run: Services, form: str, args: argparse.Namespace, printer: PrinterLog
) -> tuple[dict[str, Any], list[str]]:
    """Sequential check-ins: consent, check-in and check-in-to-printer times; returns figures and numbers."""
    cpu_before = (serving_cpu(run), cpu_seconds(run.printer.pid))
    checkins = sequential(run.app_port, form, args.checkins, printer, args.timeout)
    issued = {c.number for c in checkins}
    arrivals = printer.wait_for(issued, args.timeout)
    cpu_after = (serving_cpu(run), cpu_seconds(run.printer.pid))
    measured = checkins[args.warmup :]
    server_cpu, printer_cpu = cpu_per(cpu_before, cpu_after, len(checkins))
    figures = {
        "checkins": len(checkins),
        "measured": len(measured),
        "consent_ms": summary([c.consent_ms for c in measured]),
        "checkin_response_ms": summary([c.checkin_ms for c in measured]),
        "checkin_to_printer_ms": summary(print_delays(measured, arrivals)),
        "not_printed_in_time": len(issued - arrivals.keys()),
        "server_cpu_ms_per_checkin": server_cpu,
        "printer_cpu_ms_per_job": printer_cpu,
    }
    return figures, [c.number for c in checkins]


def throughput_phase(
    run: Services, form: str, args: argparse.Namespace, printer: PrinterLog, consent_first: bool
) -> tuple[dict[str, Any], list[str]]:
    """Concurrent kiosks as fast as they go: check-ins per second and printed tickets per second."""
    cpu_before = (serving_cpu(run), cpu_seconds(run.printer.pid))
    checkins, start_epoch, wall = concurrent(run.app_port, form, args.kiosks, args.per_kiosk, consent_first)
    issued = {c.number for c in checkins}
    arrivals = printer.wait_for(issued, args.timeout)
    cpu_after = (serving_cpu(run), cpu_seconds(run.printer.pid))
    last_byte = max((min(times) for times in arrivals.values()), default=start_epoch)
    print_wall = last_byte - start_epoch
    server_cpu, printer_cpu = cpu_per(cpu_before, cpu_after, len(checkins))
    figures = {
        "kiosks": args.kiosks,
        "checkins": len(checkins),
        "wall_s": wall,
        "checkins_per_s": len(checkins) / wall,
        "last_ticket_at_printer_s": print_wall,
        "printed_per_s": len(arrivals) / print_wall if print_wall > 0 else 0.0,
        "not_printed_in_time": len(issued - arrivals.keys()),
        "consent_ms": summary([c.consent_ms for c in checkins]),
        "checkin_response_ms": summary([c.checkin_ms for c in checkins]),
        "checkin_to_printer_ms": summary(print_delays(checkins, arrivals)),
        "server_cpu_ms_per_checkin": server_cpu,
        "printer_cpu_ms_per_job": printer_cpu,
    }
    return figures, [c.number for c in checkins]


def verify(run: Services, printer: PrinterLog, issued: list[str]) -> tuple[dict[str, Any], list[str]]:
    """All correctness checks over the kiosks' numbers, the database and the printer."""
    duplicates = sorted(number for number, n in Counter(issued).items() if n > 1)
    problems = [f"kiosks: {len(duplicates)} ticket numbers issued twice: {duplicates[:5]}"] if duplicates else []
    wait_printed(run.database_url)
    printer.refresh()
    db_counts, db_problems = check_database(run.database_url, issued)
    printer_counts, printer_problems = check_printer(printer, issued)
    checks = {
        "tickets": len(issued),
        "duplicate_numbers": len(duplicates),
        "database": db_counts,
        "printer": printer_counts,
    }
    return checks, problems + db_problems + printer_problems


# -- report ---------------------------------------------------------------------------------------

HEADER = f"  {'':<46} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9}"


def ms_row(label: str, figures: dict[str, float]) -> str:
    """A table row of p50, p95 and max milliseconds."""
    if not figures.get("n"):
        return f"  {label:<46} {'no data':>9}"
    return f"  {label:<46} {figures['p50']:>9.1f} {figures['p95']:>9.1f} {figures['max']:>9.1f}"


def cpu_line(figures: dict[str, Any]) -> str:
    """Server and printer CPU per check-in."""
    server, printer = figures["server_cpu_ms_per_checkin"], figures["printer_cpu_ms_per_job"]
    if server is None or printer is None:
        return "  CPU per check-in: n/a (no /proc)"
    return (
        f"  CPU per check-in: server {server:.1f} ms (web processes), printer emulator {printer:.1f} ms "
        f"(of {os.cpu_count()} cores)"
    )


def counts_text(counts: dict[str, int]) -> str:
    """Counts as 'name value' pairs."""
    return ", ".join(f"{name.replace('_', ' ')} {value}" for name, value in counts.items())


def timing_lines(figures: dict[str, Any]) -> list[str]:
    """Response and check-in-to-printer times of one phase, and its CPU cost."""
    return [
        HEADER,
        ms_row("consent screen  POST /kiosk/consent", figures["consent_ms"]),
        ms_row("check-in        POST /kiosk/checkin", figures["checkin_response_ms"]),
        ms_row("check-in sent -> last ticket byte at printer", figures["checkin_to_printer_ms"]),
        cpu_line(figures),
        "",
    ]


def throughput_lines(title: str, figures: dict[str, Any], unit: str) -> list[str]:
    """One throughput phase as report lines."""
    return [
        title,
        f"  {unit:<15} {figures['checkins_per_s']:8.1f}   ({figures['checkins']} in {figures['wall_s']:.2f} s)",
        f"  printed/s       {figures['printed_per_s']:8.1f}   (last ticket at the printer {figures['last_ticket_at_printer_s']:.2f} s after the start)",
        *timing_lines(figures),
    ]


def render_report(report: Report) -> str:
    """The human-readable report."""
    lat, thr, m = report.latency, report.throughput, report.machine
    server = report.options.get("server_command") or "helpdesk serve"
    lines = [
        f"Check-in benchmark ({server}, print process, virtual printer without PNGs, "
        f"{report.options.get('database') or 'SQLite'}, real sockets)",
        f"command: {report.command}",
        f"machine: {m['cpus']} CPUs {m['cpu_model']}, {m['platform']}, Python {m['python']}",
        "",
        f"Latency: {lat['checkins']} check-ins one after another, each once the previous ticket was printed; "
        f"first {report.options['warmup']} left out",
        *timing_lines(lat),
        *throughput_lines(
            f"Throughput: {thr['kiosks']} kiosks x {report.options['per_kiosk']} check-in requests, as fast as they go "
            "(each visitor's consent screen taken before the clock starts)",
            thr,
            "check-ins/s",
        ),
        *throughput_lines(
            f"Whole visitors: {thr['kiosks']} kiosks x {report.options['per_kiosk']}, consent screen and check-in each",
            report.visitors,
            "visitors/s",
        ),
        "Correctness",
        f"  kiosks:   {report.checks['tickets']} tickets, {report.checks['duplicate_numbers']} duplicate numbers",
        f"  database: {counts_text(report.checks['database'])}",
        f"  printer:  {counts_text(report.checks['printer'])}",
        *(
            [f"  FAIL  {problem}" for problem in report.problems]
            or ["  PASS  no duplicates, no gaps, one job per visit, all printed, one printer job per ticket"]
        ),
        "",
        "Goals",
    ]
    p95, rate = lat["checkin_to_printer_ms"].get("p95", float("inf")), thr["checkins_per_s"]
    lines += [
        f"  {'PASS' if report.goals['latency'] else 'FAIL'}  check-in -> last printer byte p95 <= {GOAL_P95_MS:.0f} ms   (p95 {p95:.1f} ms)",
        f"  {'PASS' if report.goals['throughput'] else 'FAIL'}  >= {GOAL_RATE:.0f} check-ins/s with {thr['kiosks']} kiosks   ({rate:.1f}/s)",
        f"  {'PASS' if report.goals['no_duplicates'] else 'FAIL'}  0 duplicate ticket numbers   ({report.checks['duplicate_numbers']})",
    ]
    return "\n".join(lines)


def save(report: Any, name: str = "checkin") -> Path:
    """Write a report (a dataclass) as JSON into bench/out."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(asdict(report), indent=2) + "\n", encoding="utf-8")
    return path


def benchmark(args: argparse.Namespace, tmp: Path) -> Report:
    """Start everything, run both phases, check the results."""
    choice = server_choice(args)
    options = vars(args) | {"server_command": choice.describe(), "database": choice.database()}
    report = Report(shlex.join([sys.executable, *sys.argv]), machine(), options)
    form = urlencode(form_fields())
    app_port, printer_port = args.port or free_port(), args.printer_port or free_port()
    with services(tmp, app_port, printer_port, choice) as run:
        printer = PrinterLog(run.printer_out)
        report.latency, latency_numbers = latency_phase(run, form, args, printer)
        report.throughput, throughput_numbers = throughput_phase(run, form, args, printer, consent_first=True)
        report.visitors, visitor_numbers = throughput_phase(run, form, args, printer, consent_first=False)
        issued = latency_numbers + throughput_numbers + visitor_numbers
        report.checks, report.problems = verify(run, printer, issued)
    report.goals = {
        "latency": report.latency["checkin_to_printer_ms"].get("p95", float("inf")) <= GOAL_P95_MS,
        "throughput": report.throughput["checkins_per_s"] >= GOAL_RATE,
        "no_duplicates": report.checks["duplicate_numbers"] == 0,
    }
    return report


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the report, save the JSON; 1 if a correctness check failed."""
    return run_and_report(
        parse_args(argv), "helpdesk-bench-", benchmark, render_report, "checkin", lambda report: not report.problems
    )


if __name__ == "__main__":
    sys.exit(main())
