"""Where a check-in's time goes: cProfile of POST /kiosk/checkin in process and of one ticket render.

Runs the Flask app through its test client (no sockets, no waitress, no print worker) on a fresh,
migrated and seeded SQLite file, then profiles printers.outbox.render for the saved ticket jobs.
Figures are per request / per render; profiling slows Python code down, so the unprofiled time
of the same work is printed first for scale.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from checkin import CONSENT_FIELD, TICKET_NUMBER, form_fields  # bench/checkin.py, beside this file
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from helpdesk import create_app
from printers.outbox import PrinterSettings, render
from shared import migrate
from shared.db import make_engine
from shared.models import PrintJob
from shared.seed import seed

ROOT = Path(__file__).resolve().parent.parent
HX = {"HX-Request": "true"}
FuncKey = tuple[str, int, str]


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="check-ins timed and profiled (each)")
    parser.add_argument("--warmup", type=int, default=20, help="check-ins before measuring")
    parser.add_argument("--top", type=int, default=20, help="rows per table")
    return parser.parse_args()


def make_app(tmp: Path) -> Flask:
    """The app on a migrated, seeded SQLite file, without the print worker."""
    url = f"sqlite:///{tmp / 'profile.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with sessionmaker(engine)() as session:
        seed(session, "KPU Kota Kupang", "Asia/Makassar")
    engine.dispose()
    config = {"DATABASE_URL": url, "SECRET_KEY": "x", "PRINT_WORKER": False, "PUBLIC_URL": "http://127.0.0.1:5000"}
    return create_app(config, instance_path=str(tmp / "instance"))


def consents(client: FlaskClient, count: int) -> list[str]:
    """Fresh consent tokens from the consent screen."""
    tokens = [
        CONSENT_FIELD.search(client.post("/kiosk/consent", data={"lang": "id"}, headers=HX).text) for _ in range(count)
    ]
    assert all(tokens), "no consent token"
    return [token.group(1) for token in tokens if token]


def checkins(client: FlaskClient, form: dict[str, str], tokens: list[str]) -> Callable[[], None]:
    """A function that posts one check-in per token and checks each got a ticket."""

    def run() -> None:
        for token in tokens:
            response = client.post("/kiosk/checkin", data={**form, "consent": token}, headers=HX)
            assert response.status_code == 200 and TICKET_NUMBER.search(response.text), response.status_code

    return run


def timed(work: Callable[[], object]) -> float:
    """Wall seconds of one call."""
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def profiled(work: Callable[[], None]) -> pstats.Stats:
    """cProfile statistics of one call."""
    profiler = cProfile.Profile()
    profiler.runcall(work)
    return pstats.Stats(profiler)


def where(key: FuncKey) -> str:
    """A function as module-relative path:line(name)."""
    path, line, name = key
    for marker in (str(ROOT) + "/", "site-packages/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name}  {path}:{line}" if line else name


def table(count: int, rows: list[tuple[FuncKey, Any]], title: str) -> str:
    """Rows of (function, cProfile entry) as ms per unit of work."""
    lines = [title, f"  {'cum ms':>8} {'self ms':>8} {'calls':>7}  function"]
    for key, (_, calls, self_s, cum_s, _) in rows:
        lines.append(f"  {cum_s * 1000 / count:8.2f} {self_s * 1000 / count:8.2f} {calls / count:7.1f}  {where(key)}")
    return "\n".join(lines)


def hot_spots(stats: pstats.Stats, count: int, root: str, top: int) -> str:
    """Three tables below the root function (ignoring the plumbing that calls it): project code and
    everything by cumulative time, and everything by self time."""
    entries: dict[FuncKey, Any] = stats.stats  # type: ignore[attr-defined]
    ceiling = max(entry[3] for key, entry in entries.items() if where(key).startswith(root))
    below = [(key, entry) for key, entry in entries.items() if entry[3] <= ceiling]
    by_cum = sorted(below, key=lambda row: row[1][3], reverse=True)
    project = [
        row
        for row in by_cum
        if row[0][0].startswith(str(ROOT)) and "/bench/" not in row[0][0] and "site-packages" not in row[0][0]
    ]
    by_self = sorted(below, key=lambda row: row[1][2], reverse=True)
    return "\n\n".join(
        [
            table(count, project[:top], "project code by cumulative time"),
            table(count, by_cum[:top], "all code by cumulative time"),
            table(count, by_self[: top // 2], "all code by self time"),
        ]
    )


def profile_checkins(app: Flask, args: argparse.Namespace) -> None:
    """Time POST /kiosk/consent, then time and profile POST /kiosk/checkin (consents fetched beforehand)."""
    client = app.test_client()
    form = form_fields()
    n = args.requests
    consent_wall = timed(lambda: consents(client, n))
    batches = [consents(client, count) for count in (args.warmup, n, n)]
    checkins(client, form, batches[0])()
    wall = timed(checkins(client, form, batches[1]))
    stats = profiled(checkins(client, form, batches[2]))
    print(f"POST /kiosk/consent in process: {consent_wall * 1000 / n:.2f} ms per request unprofiled")
    profiled_s: float = stats.total_tt  # type: ignore[attr-defined]
    print(
        f"POST /kiosk/checkin in process: {wall * 1000 / n:.2f} ms per request unprofiled, "
        f"{profiled_s * 1000 / n:.2f} ms profiled ({n} requests after {args.warmup} warm-up)\n"
    )
    print(hot_spots(stats, n, "checkin  kiosk/routes.py", args.top))


def profile_render(app: Flask, args: argparse.Namespace) -> None:
    """Time and profile printers.outbox.render over distinct saved ticket jobs (no PNG preview)."""
    settings = PrinterSettings(profile="TM-T20II")
    with app.extensions["helpdesk"].sessions() as session:
        jobs = list(session.scalars(select(PrintJob).where(PrintJob.kind == "ticket").order_by(PrintJob.id)))
        session.expunge_all()
    half = len(jobs) // 2

    def run(batch: list[PrintJob]) -> Callable[[], None]:
        def render_all() -> None:
            for job in batch:
                render(job, settings)

        return render_all

    wall = timed(run(jobs[:half]))
    stats = profiled(run(jobs[half:]))
    n = len(jobs) - half
    profiled_s: float = stats.total_tt  # type: ignore[attr-defined]
    print(
        f"\nprinters.outbox.render(job, TM-T20II): {wall * 1000 / half:.2f} ms per ticket unprofiled, "
        f"{profiled_s * 1000 / n:.2f} ms profiled ({n} distinct jobs)\n"
    )
    print(hot_spots(stats, n, "render  printers/outbox.py", args.top))


def main() -> int:
    """Profile the check-in request and the ticket render; print the tables."""
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="helpdesk-profile-") as tmp:
        app = make_app(Path(tmp))
        try:
            profile_checkins(app, args)
            profile_render(app, args)
        finally:
            app.extensions["helpdesk"].engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
