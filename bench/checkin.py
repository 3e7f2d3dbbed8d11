"""Check-in benchmark: the real server, print worker and virtual printer, driven over real sockets.

Starts `helpdesk printer emulate` and `helpdesk serve` on a fresh temporary SQLite database, then
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
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = Path(__file__).resolve().parent / "out"
HELPDESK = str(Path(sys.executable).parent / "helpdesk")
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


@dataclass
class Services:
    """The running printer emulator and server, and where they keep their files."""

    tmp: Path
    printer: subprocess.Popen[bytes]
    server: subprocess.Popen[bytes]
    app_port: int

    @property
    def printer_out(self) -> Path:
        """The emulator's output folder."""
        return self.tmp / "printer"

    @property
    def database(self) -> Path:
        """The bench SQLite file."""
        return self.tmp / "bench.sqlite3"

    @property
    def server_log(self) -> Path:
        """The server's stdout and stderr."""
        return self.tmp / "server.log"

    def check(self) -> None:
        """Raise with the log tail if a service died."""
        check_alive(self.server, "server", self.server_log)
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
    args = parser.parse_args(argv)
    if args.checkins <= args.warmup or args.kiosks < 1 or args.per_kiosk < 1:
        parser.error("need --checkins > --warmup, --kiosks >= 1 and --per-kiosk >= 1")
    return args


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


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


def server_env(tmp: Path, app_port: int, printer_port: int) -> dict[str, str]:
    """The environment of the server and its set-up commands."""
    return {
        **os.environ,
        "HELPDESK_DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
        "HELPDESK_PRINTER": f"tcp://{HOST}:{printer_port}",
        "HELPDESK_SECRET_KEY": "bench",
        "HELPDESK_PUBLIC_URL": f"http://{HOST}:{app_port}",
        "HELPDESK_PRINT_WORKER": "true",
    }


def run_step(args: list[str], env: dict[str, str]) -> None:
    """Run a set-up command; fail with its output."""
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise BenchError(f"{shlex.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")


def stop(process: subprocess.Popen[bytes] | None) -> None:
    """Terminate a service, killing it if it does not stop within 10 s."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def services(
    tmp: Path,
    app_port: int,
    printer_port: int,
    serve_args: Sequence[str] = (),
    prepare: Callable[[dict[str, str]], None] | None = None,
) -> Iterator[Services]:
    """The virtual printer and the server on a fresh database, stopped on the way out.

    serve_args go to `helpdesk serve`; prepare(env) runs after seeding, before the server starts.
    """
    printer = server = None
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
        env = server_env(tmp, app_port, printer_port)
        run_step([HELPDESK, "db", "upgrade"], env)
        run_step([HELPDESK, "seed"], env)
        if prepare is not None:
            prepare(env)
        server = spawn(
            [HELPDESK, "serve", "--host", HOST, "--port", str(app_port), *serve_args], env, tmp / "server.log"
        )
        wait_until(lambda: kiosk_answers(app_port), server, "server", tmp / "server.log", timeout=60)
        running = Services(tmp, printer, server, app_port)
        try:
            yield running
        except Exception:
            running.check()  # a dead server explains the failure better
            raise
        running.check()
    finally:
        stop(server)
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

    def __init__(self, port: int, form: str) -> None:
        self._connection = http.client.HTTPConnection(HOST, port, timeout=60)
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


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds a process used so far (Linux /proc), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def read_db(path: Path, query: str) -> list[tuple[Any, ...]]:
    """Rows from the bench database, opened read-only."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        return connection.execute(query).fetchall()


def wait_printed(path: Path, timeout: float = 15.0) -> None:
    """Give the print worker time to mark its last jobs printed."""
    deadline = time.monotonic() + timeout
    while (
        read_db(path, "SELECT count(*) FROM print_jobs WHERE status != 'printed'")[0][0] and time.monotonic() < deadline
    ):
        time.sleep(0.05)


def check_database(path: Path, issued: list[str]) -> tuple[dict[str, int], list[str]]:
    """Numbering and print jobs as the database has them: counts, and any problems."""
    visits = read_db(path, "SELECT prefix, seq, service_day FROM visits ORDER BY prefix, service_day, seq")
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
        path, "SELECT count(p.id) FROM visits v LEFT JOIN print_jobs p ON p.visit_id = v.id GROUP BY v.id"
    )
    not_one = sum(1 for (count,) in jobs_per_visit if count != 1)
    if not_one:
        problems.append(f"database: {not_one} visits do not have exactly one print job")
    statuses = dict(read_db(path, "SELECT status, count(*) FROM print_jobs GROUP BY status"))
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
    cpu_before = (cpu_seconds(run.server.pid), cpu_seconds(run.printer.pid))
    checkins = sequential(run.app_port, form, args.checkins, printer, args.timeout)
    issued = {c.number for c in checkins}
    arrivals = printer.wait_for(issued, args.timeout)
    cpu_after = (cpu_seconds(run.server.pid), cpu_seconds(run.printer.pid))
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
    cpu_before = (cpu_seconds(run.server.pid), cpu_seconds(run.printer.pid))
    checkins, start_epoch, wall = concurrent(run.app_port, form, args.kiosks, args.per_kiosk, consent_first)
    issued = {c.number for c in checkins}
    arrivals = printer.wait_for(issued, args.timeout)
    cpu_after = (cpu_seconds(run.server.pid), cpu_seconds(run.printer.pid))
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
    wait_printed(run.database)
    printer.refresh()
    db_counts, db_problems = check_database(run.database, issued)
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
    return f"  CPU per check-in: server {server:.1f} ms, printer emulator {printer:.1f} ms (of {os.cpu_count()} cores)"


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
    lines = [
        "Check-in benchmark (waitress server + print process + virtual printer without PNGs, SQLite, real sockets)",
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
    report = Report(shlex.join([sys.executable, *sys.argv]), machine(), vars(args).copy())
    form = urlencode(form_fields())
    app_port, printer_port = args.port or free_port(), args.printer_port or free_port()
    with services(tmp, app_port, printer_port) as run:
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
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="helpdesk-bench-"))
    try:
        report = benchmark(args, tmp)
    except BenchError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 2
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print(render_report(report))
    print(
        f"\nJSON: {save(report).relative_to(ROOT)}"
        + (f"; database, printouts and logs kept in {tmp}" if args.keep else "")
    )
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
