"""How long the print process takes to start: from the server starting it to it holding the printer.

Measured with the machine idle and with every core busy (as under a rush of check-ins), over several
starts each, on a fresh SQLite database; it also times the kill-and-replace path the server uses when
the print process dies. Prints the figures and writes them to bench/out/print-start-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from checkin import save  # noqa: E402 - after the path set-up

from helpdesk import create_app  # noqa: E402
from helpdesk.printing import PrintProcess  # noqa: E402
from shared import migrate  # noqa: E402
from shared.events import Subscription  # noqa: E402
from shared.seed import seed  # noqa: E402


def spin(stop: Any) -> None:
    """Keep one core busy until stop is set."""
    while not stop.is_set():
        sum(range(10_000))


def wait_for(events: Subscription, name: str, timeout: float = 60.0) -> float:
    """Seconds until an event of that name arrives."""
    started = time.monotonic()
    while (left := timeout - (time.monotonic() - started)) > 0:
        event = events.get(left)
        if event is not None and event.name == name:
            return time.monotonic() - started
    raise SystemExit(f"no {name} within {timeout} s")


def measure(app: Any, starts: int) -> dict[str, list[float]]:
    """Start the print process `starts` times, and kill it once per start to time its replacement."""
    runtime = app.extensions["helpdesk"]
    first, replaced = [], []
    for _ in range(starts):
        printer = PrintProcess(app)
        with runtime.broker.subscribe() as events:
            printer.start()
            first.append(wait_for(events, "print.up"))
            os.kill(printer.pid or 0, signal.SIGKILL)
            replaced.append(wait_for(events, "print.up"))
        printer.stop()
    return {"start_s": first, "replace_after_kill_s": replaced}


@dataclass
class StartReport:
    """Seconds from starting the print process to it holding the printer, per start."""

    idle: dict[str, list[float]]
    all_cores_busy: dict[str, list[float]] = field(default_factory=dict)


def summary(values: list[float]) -> dict[str, float]:
    """Median and worst of a list of seconds."""
    return {"median": round(statistics.median(values), 3), "max": round(max(values), 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--starts", type=int, default=5, help="starts per condition")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/helpdesk.sqlite3"
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"}, instance_path=f"{folder}/instance")
        migrate.upgrade(app.extensions["helpdesk"].engine)
        with app.extensions["helpdesk"].sessions() as session:
            seed(session, "KPU Kota Kupang", "Asia/Makassar", desks=2)
        report = StartReport(idle=measure(app, args.starts))
        stop = multiprocessing.Event()
        hogs = [multiprocessing.Process(target=spin, args=(stop,)) for _ in range(os.cpu_count() or 2)]
        for hog in hogs:
            hog.start()
        try:
            report.all_cores_busy = measure(app, args.starts)
        finally:
            stop.set()
            for hog in hogs:
                hog.join()
        app.extensions["helpdesk"].close()
    for condition, figures in asdict(report).items():
        for name, values in figures.items():
            print(f"{condition:>15} {name:>22}: {summary(values)} s over {len(values)}")
    print(f"report: {save(report, 'print-start')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
