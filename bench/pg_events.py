"""PostgreSQL event latency: from a committed transaction to a live-screen subscription in another process.

One process commits transactions that each carry one event (sent with NOTIFY inside the transaction, as the app
does on PostgreSQL); a second process, started first, hears them through the app's Listener and Broker and notes
when each reached its subscription. Both read CLOCK_MONOTONIC, which Linux shares between processes. Reported per
event: from calling commit() to delivery, and from commit() returning to delivery (negative when the listener
was faster than the committing client), as p50 / p95 / max, paced (one event every --gap ms) and in a burst.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import time
import uuid
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path

from shared.db import make_engine, make_sessionmaker, queue_event, write
from shared.events import Broker, Event
from shared.pg_events import Listener, channel_for, notifier

OUT_DIR = Path(__file__).resolve().parent / "out"


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", default=os.environ.get("HELPDESK_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    )
    parser.add_argument("--events", type=int, default=200, help="events per phase")
    parser.add_argument("--gap", type=float, default=10.0, help="milliseconds between paced commits")
    return parser.parse_args()


def listen(url: str, count: int, pipe: Connection) -> None:
    """The other process: subscribe, say so, then report when each of count events arrived."""
    broker = Broker(feed=partial(Listener, url, channel_for(url)))
    arrived: dict[int, int] = {}
    with broker.subscribe() as subscription:
        pipe.send("listening")
        while len(arrived) < count:
            event = subscription.get(10.0)
            if event is None:
                break
            arrived[event.data["i"]] = time.monotonic_ns()
    broker.close()
    pipe.send(arrived)


def run_phase(url: str, count: int, gap_seconds: float) -> dict[str, float]:
    """Send count events, one committed transaction each, and measure their delivery to another process."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    listener = context.Process(target=listen, args=(url, count, theirs))
    listener.start()
    assert ours.recv() == "listening"
    engine = make_engine(url)
    sessions = make_sessionmaker(engine, notify=notifier(channel_for(url)))
    asked: dict[int, int] = {}
    committed: dict[int, int] = {}
    with sessions() as session:
        for i in range(count):
            with write(session):
                queue_event(session, Event("bench.ping", {"i": i}))
                asked[i] = time.monotonic_ns()
            committed[i] = time.monotonic_ns()
            time.sleep(gap_seconds)
    arrived: dict[int, int] = ours.recv()
    listener.join()
    engine.dispose()
    if len(arrived) != count:
        raise SystemExit(f"only {len(arrived)} of {count} events arrived")
    return {
        **summary("from commit() called", [arrived[i] - asked[i] for i in arrived]),
        **summary("from commit() returned", [arrived[i] - committed[i] for i in arrived]),
    }


def summary(label: str, nanoseconds: list[int]) -> dict[str, float]:
    """p50, p95 and max in milliseconds."""
    ms = sorted(n / 1e6 for n in nanoseconds)
    return {
        f"{label} p50 ms": round(statistics.median(ms), 3),
        f"{label} p95 ms": round(ms[int(0.95 * (len(ms) - 1))], 3),
        f"{label} max ms": round(ms[-1], 3),
    }


def main() -> None:
    """Run both phases on a channel of their own and print the report."""
    args = parse_args()
    separator = "&" if "?" in args.url else "?"
    url = f"{args.url}{separator}options=-csearch_path%3Dhd_bench_{uuid.uuid4().hex[:8]}"  # a channel nobody else uses
    report = {
        "events": args.events,
        f"paced ({args.gap:g} ms apart)": run_phase(url, args.events, args.gap / 1000),
        "burst": run_phase(url, args.events, 0.0),
    }
    text = json.dumps(report, indent=2)
    print(text)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / f"pg-events-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
