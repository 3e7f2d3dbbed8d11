"""Worker processes: what a worker killed with SIGKILL, and a server stopped with SIGTERM, do to live screens and kiosks.

Starts the chosen server (`--server helpdesk`: `helpdesk serve --workers N`; `--server gunicorn`: gunicorn with
threaded workers and a print process beside it, as bench/checkin.py starts them) on a fresh PostgreSQL schema,
opens --streams-open waiting-room streams from one client thread (bench/live.py's client), then:

1. --kills times: kills one worker with SIGKILL while a probe kiosk asks for GET /kiosk every 20 ms on a fresh
   connection. Measured: the time until a new worker process exists, the time until it holds a connection (a new
   stream is opened every 50 ms until one lands on it), the streams dropped with the killed worker, and the probe's
   failures and slowest answer from the kill until the new worker serves. The dropped streams are then reopened.
2. SIGTERM to the server with the streams open: the time until the server process has exited and every worker is
   gone, and how the streams ended (ended by the server, closed, reset).

Writes the report to stdout and JSON to bench/out/workers-<timestamp>.json. Exit code 0 when measured, 2 if the
benchmark could not run.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shlex
import signal
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/checkin.py and bench/live.py

from checkin import (  # noqa: E402 - after the path set-up
    HOST,
    ROOT,
    BenchError,
    Services,
    add_server_args,
    check_server_args,
    free_port,
    log_tail,
    machine,
    save,
    scratch,
    server_choice,
    services,
    summary,
)
from live import Client, Stream, connections_by_process, raise_nofile  # noqa: E402

PROBE_EVERY = 0.02  # seconds between the probe kiosk's requests
OPEN_EVERY = 0.05  # seconds between new streams while waiting for the new worker to serve


@dataclass
class Report:
    """Everything measured, as written to JSON."""

    command: str
    machine: dict[str, Any]
    options: dict[str, Any]
    kills: list[dict[str, Any]] = field(default_factory=list)
    stop: dict[str, Any] = field(default_factory=dict)
    error: str = ""


class Probe:
    """A kiosk asking for GET /kiosk on a fresh connection every 20 ms, in a thread of its own."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.results: list[tuple[float, float | None, str]] = []  # (sent at, ms or None, error)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="probe", daemon=True)

    def start(self) -> None:
        """Start asking."""
        self._thread.start()

    def stop(self) -> None:
        """Stop asking, and wait for the request in hand."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            sent = time.time()
            connection = http.client.HTTPConnection(HOST, self.port, timeout=10)
            try:
                connection.request("GET", "/kiosk")
                response = connection.getresponse()
                response.read()
                if response.status == 200:
                    self.results.append((sent, (time.time() - sent) * 1000, ""))
                else:
                    self.results.append((sent, None, f"HTTP {response.status}"))
            except (OSError, http.client.HTTPException) as error:
                self.results.append((sent, None, f"{type(error).__name__}: {error}"[:120]))
            finally:
                connection.close()
            self._stop.wait(PROBE_EVERY)

    def window(self, start: float, end: float) -> dict[str, Any]:
        """The requests sent between two epoch times: how many, failures, and their times."""
        inside = [r for r in self.results if start <= r[0] <= end]
        return {
            "requests": len(inside),
            "failed": sum(1 for r in inside if r[1] is None),
            "failures": Counter(r[2] for r in inside if r[1] is None).most_common(3),
            "ms": summary([r[1] for r in inside if r[1] is not None]),
        }


def workers(running: Services) -> list[int]:
    """The worker processes: children of the server running its command line (the print process does not)."""
    try:
        command = Path(f"/proc/{running.server.pid}/cmdline").read_bytes()
    except OSError:
        return []
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            same = (entry / "cmdline").read_bytes() == command
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if int(fields[1]) == running.server.pid and fields[0] != "Z" and same:
            found.append(int(entry.name))
    return sorted(found)


def alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


def top_up(client: Client, target: int, args: argparse.Namespace, running: Services) -> None:
    """Open streams until target are open (each with its first frame)."""
    missing = target - len(client.open_streams())
    if missing > 0:
        start = len(client.streams)
        fresh = [Stream(start + i, "display", "/display/events") for i in range(missing)]
        client.open(fresh, args.max_pending, args.open_timeout, running.check)


def kill_one(client: Client, running: Services, probe: Probe, args: argparse.Namespace) -> dict[str, Any]:
    """SIGKILL one worker; time its replacement, and what the streams and the probe kiosk saw meanwhile."""
    before = workers(running)
    if not before:
        raise BenchError("no worker processes found")
    per_worker = connections_by_process(before, running.app_port)
    victim = max(before, key=lambda pid: per_worker.get(pid, 0))
    open_before = {id(s) for s in client.open_streams()}
    killed_at = time.time()
    os.kill(victim, signal.SIGKILL)
    new_pid = None
    forked_at = serving_at = None
    deadline = killed_at + args.replace_timeout
    next_open = killed_at
    while time.time() < deadline and serving_at is None:
        client.pump(0.005)
        now = time.time()
        if new_pid is None:
            fresh = [pid for pid in workers(running) if pid not in before]
            if fresh:
                new_pid, forked_at = fresh[0], now
        if new_pid is not None:
            if now >= next_open:
                stream = Stream(len(client.streams), "display", "/display/events")
                client.streams.append(stream)
                client.start(stream)
                next_open = now + OPEN_EVERY
            if connections_by_process([new_pid], running.app_port).get(new_pid):
                serving_at = now
    settle = time.time() + 0.5
    while time.time() < settle:
        client.pump(0.01)
    dropped = [s for s in client.streams if id(s) in open_before and s.state == "dropped"]
    result = {
        "killed": victim,
        "streams_on_it": per_worker.get(victim, 0),
        "streams_dropped": len(dropped),
        "drop_reasons": Counter(s.error for s in dropped).most_common(3),
        "replacement": new_pid,
        "new_process_after_ms": None if forked_at is None else round((forked_at - killed_at) * 1000, 1),
        "serving_after_ms": None if serving_at is None else round((serving_at - killed_at) * 1000, 1),
        "workers_after": len(workers(running)),
        "probe_until_serving": probe.window(killed_at, serving_at or time.time()),
    }
    top_up(client, args.streams_open, args, running)
    return result


def stop_server(client: Client, running: Services, args: argparse.Namespace) -> dict[str, Any]:
    """SIGTERM to the server with the streams open: how long until every process is gone, and how streams ended."""
    pids = workers(running)
    open_now = client.open_streams()
    ended_at: dict[int, float] = {}
    running.stopped = True
    sent_at = time.time()
    running.server.send_signal(signal.SIGTERM)
    server_gone = workers_gone = None
    deadline = sent_at + args.stop_timeout
    while time.time() < deadline and (server_gone is None or workers_gone is None or len(ended_at) < len(open_now)):
        client.pump(0.01)
        now = time.time()
        for stream in open_now:
            if stream.state != "open" and id(stream) not in ended_at:
                ended_at[id(stream)] = now
        if server_gone is None and running.server.poll() is not None:
            server_gone = now
        if workers_gone is None and not any(alive(pid) for pid in pids):
            workers_gone = now
    endings = Counter(s.error if s.state != "open" else "still open" for s in open_now)
    return {
        "streams_open": len(open_now),
        "workers": len(pids),
        "server_exit_after_s": None if server_gone is None else round(server_gone - sent_at, 2),
        "server_exit_code": running.server.poll(),
        "workers_gone_after_s": None if workers_gone is None else round(workers_gone - sent_at, 2),
        "streams_ended_ms": summary([(t - sent_at) * 1000 for t in ended_at.values()]),
        "stream_endings": endings.most_common(4),
        "timeout_s": args.stop_timeout,
    }


def benchmark(args: argparse.Namespace, tmp: Path, report: Report) -> None:
    """Start the server, open the streams, kill workers, then stop it."""
    choice = server_choice(args)
    app_port, printer_port = free_port(), free_port()
    with services(tmp, app_port, printer_port, choice) as running:
        client = Client(app_port)
        probe = Probe(app_port)
        try:
            print(f"  opening {args.streams_open} streams ...", file=sys.stderr)
            top_up(client, args.streams_open, args, running)
            probe.start()
            for n in range(args.kills):
                time.sleep(1.0)
                print(f"  kill {n + 1} of {args.kills} ...", file=sys.stderr)
                report.kills.append(kill_one(client, running, probe, args))
            probe.stop()
            print("  SIGTERM to the server ...", file=sys.stderr)
            report.stop = stop_server(client, running, args)
        finally:
            probe.stop()
            client.close_all()
        if report.stop.get("server_exit_after_s") is None:
            raise BenchError(f"the server did not stop within {args.stop_timeout:.0f} s of SIGTERM")


def render(report: Report) -> str:
    """The human-readable report."""
    o, m = report.options, report.machine
    lines = [
        f"Worker processes ({o['server_command']}, {o['database']}): a worker killed, then the server stopped",
        f"command: {report.command}",
        f"machine: {m['cpus']} CPUs {m['cpu_model']}, {m['platform']}, Python {m['python']}",
        f"{o['streams_open']} waiting-room streams open throughout; a probe kiosk asks for GET /kiosk every "
        f"{PROBE_EVERY * 1000:.0f} ms on a fresh connection",
        "",
    ]
    for n, kill in enumerate(report.kills, 1):
        probe = kill["probe_until_serving"]
        lines += [
            f"kill {n}: SIGKILL to worker {kill['killed']} ({kill['streams_on_it']} connections): "
            f"{kill['streams_dropped']} streams dropped {kill['drop_reasons']}",
            f"  new worker {kill['replacement']} exists after {kill['new_process_after_ms']} ms, serves after "
            f"{kill['serving_after_ms']} ms; {kill['workers_after']} workers",
            f"  probe until then: {probe['requests']} requests, {probe['failed']} failed {probe['failures'] or ''}, "
            f"p50 {probe['ms'].get('p50')} ms, max {probe['ms'].get('max')} ms",
        ]
    stop = report.stop
    if stop:
        lines += [
            "",
            f"SIGTERM to the server with {stop['streams_open']} streams open: server exited after "
            f"{stop['server_exit_after_s']} s (code {stop['server_exit_code']}), its {stop['workers']} workers gone "
            f"after {stop['workers_gone_after_s']} s",
            f"  streams ended after p50 {stop['streams_ended_ms'].get('p50')} ms, max "
            f"{stop['streams_ended_ms'].get('max')} ms: {stop['stream_endings']}",
        ]
    if report.error:
        lines += ["", "FAILED", *(f"  {line}" for line in report.error.splitlines())]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams-open", type=int, default=400, help="waiting-room streams kept open (all workers)")
    parser.add_argument("--kills", type=int, default=3, help="workers killed one after another")
    parser.add_argument("--threads", type=int, default=24, help="server threads for ordinary requests, per worker")
    parser.add_argument("--streams", type=int, default=400, help="server live-screen streams, per worker")
    parser.add_argument("--replace-timeout", type=float, default=30.0, help="seconds to wait for a new worker")
    parser.add_argument("--stop-timeout", type=float, default=60.0, help="seconds to wait for the server to stop")
    parser.add_argument("--open-timeout", type=float, default=120.0, help="seconds to open the streams")
    parser.add_argument("--max-pending", type=int, default=100, help="streams connecting at once")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, logs)")
    add_server_args(parser)
    parser.set_defaults(workers=2, database_url=os.environ.get("HELPDESK_TEST_DATABASE_URL", ""))
    args = parser.parse_args(argv)
    if args.workers < 2:
        parser.error("--workers must be at least 2: one is killed while the others serve")
    check_server_args(parser, args)
    return args


def main(argv: list[str] | None = None) -> int:
    """Run, print the report, save the JSON; 2 if the benchmark could not run."""
    args = parse_args(argv)
    raise_nofile()
    choice = server_choice(args)
    report = Report(
        shlex.join([sys.executable, *sys.argv]),
        machine(),
        vars(args) | {"server_command": choice.describe(), "database": choice.database()},
    )
    with scratch("helpdesk-workers-", args.keep) as tmp:
        try:
            benchmark(args, tmp, report)
        except BenchError as error:
            report.error = str(error)
            if "last lines of" not in report.error:
                report.error += f"\nlast lines of the server log:\n{log_tail(tmp / 'server.log', 25)}"
    print(render(report))
    print(f"\nJSON: {save(report, 'workers').relative_to(ROOT)}")
    return 2 if report.error else 0


if __name__ == "__main__":
    sys.exit(main())
