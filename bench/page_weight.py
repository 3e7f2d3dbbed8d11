"""Page-weight benchmark: what a cold load of the kiosk's welcome screen costs on the wire.

Starts `helpdesk printer emulate --no-pictures` and `helpdesk serve` on a fresh SQLite database as bench/checkin.py
does, opens /kiosk in headless Chromium with an empty cache (a new browser context, as a kiosk after a restart or a
cache wipe), waits until the page, its fonts and everything they pull in have loaded and the network is quiet, and
adds up what went over the wire from Chromium's network events: response headers plus encoded (compressed) bodies
received, request headers sent. Requests to any host but the server are counted, and fail at a proxy that is not
there instead of leaving the machine.

Exit code 0 when the load fits the goal (<= 250 KB, 0 requests off the machine), 1 when it does not, 2 if the
benchmark could not run.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/checkin.py, also when imported from elsewhere

from checkin import (  # noqa: E402 - after the path set-up
    HOST,
    BenchError,
    free_port,
    machine,
    run_and_report,
    services,
)

CHROMIUM = os.environ.get("HELPDESK_CHROMIUM", "/usr/bin/chromium")
# As the browser tests launch it: no background traffic of Chromium's own (updates, sync, safe browsing).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
GOAL_BYTES = 250_000  # KB here are 1000 bytes, as browsers' network panels count them
QUIET_MS = 1000  # the network counts as settled after this long without a request


@dataclass
class Transfer:
    """One request of the page load and what it cost."""

    url: str
    kind: str  # Chromium's resource type: document, stylesheet, script, font, fetch, ...
    status: int | None  # None: another host (refused on the machine) or failed
    encoding: str  # Content-Encoding, "" for none
    cache_control: str
    sent: int  # request line and headers
    received: int  # response headers + encoded body
    body: int  # decoded body, as the page sees it
    failure: str = ""

    @property
    def total(self) -> int:
        """Bytes both ways."""
        return self.sent + self.received


@dataclass
class Report:
    """The load as written to JSON."""

    command: str
    machine: dict[str, Any]
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    goals: dict[str, bool] = field(default_factory=dict)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default="/kiosk", help="the page to load (default /kiosk, the welcome screen)")
    parser.add_argument("--port", type=int, default=0, help="server port (0: a free one)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database and logs)")
    return parser.parse_args(argv)


def load_cold(base: str, path: str) -> list[Transfer]:
    """Open base+path in a fresh browser context and return every request the load made."""
    from playwright.sync_api import Request, sync_playwright

    if not shutil.which(CHROMIUM):
        raise BenchError(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    requests: list[Request] = []
    with sync_playwright() as playwright:
        # Every host but the server goes through a proxy that is not there (Chromium never proxies loopback
        # addresses), so a request for another host fails here instead of leaving the machine. Intercepting
        # requests in Playwright instead would change the request sizes Chromium reports.
        proxy = f"--proxy-server=http://{HOST}:{free_port()}"
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, proxy])
        try:
            context = browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True)
            page = context.new_page()
            page.on("request", lambda request: requests.append(request))
            page.goto(base + path, wait_until="load")
            page.evaluate("document.fonts.ready.then(() => document.fonts.size)")
            settle(page, requests)  # not "networkidle": a live screen's event stream stays open for good
            transfers = [transfer(request, elsewhere(request.url, base)) for request in requests]
        finally:
            browser.close()
    return transfers


def elsewhere(url: str, base: str) -> bool:
    """Whether a request goes to another host (data: and blob: URLs go nowhere)."""
    parts = urlsplit(url)
    return parts.scheme not in ("data", "blob") and parts.netloc != urlsplit(base).netloc


def settle(page: Any, requests: list[Any]) -> None:
    """Wait until no new request has started for QUIET_MS (scripts may fetch after the load event)."""
    seen, quiet_since = -1, time.monotonic()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if len(requests) != seen:
            seen, quiet_since = len(requests), time.monotonic()
        elif time.monotonic() - quiet_since >= QUIET_MS / 1000:
            return
        page.wait_for_timeout(100)
    raise BenchError("the page kept making requests for 30 s")


def transfer(request: Any, off_machine: bool) -> Transfer:
    """What one request cost, from Chromium's network events."""
    kind = request.resource_type
    if off_machine:
        return Transfer(request.url, kind, None, "", "", 0, 0, 0, f"another host: {request.failure or 'answered'}")
    response = request.response()
    if response is None:
        return Transfer(request.url, kind, None, "", "", 0, 0, 0, request.failure or "no response")
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        return Transfer(request.url, kind, response.status, "", "", 0, 0, 0, "live event stream: not counted")
    response.finished()
    sizes = request.sizes()
    headers = response.headers
    return Transfer(
        url=request.url,
        kind=kind,
        status=response.status,
        encoding=headers.get("content-encoding", ""),
        cache_control=headers.get("cache-control", ""),
        sent=sizes["requestHeadersSize"] + max(sizes["requestBodySize"], 0),
        received=sizes["responseHeadersSize"] + sizes["responseBodySize"],
        body=len(response.body()) if response.status not in (204, 304) else 0,
    )


def render_report(report: Report) -> str:
    """The human-readable report."""
    totals = report.totals
    lines = [
        "Page weight: a cold load in headless Chromium (empty cache), bytes on the wire from its network events",
        f"command: {report.command}",
        f"page:    {report.url}",
        "",
        f"  {'received':>9} {'sent':>6} {'decoded':>9} {'status':>6} {'enc':<5} {'type':<11} url / cache-control",
    ]
    for item in report.requests:
        path = item["url"] if item["failure"] else _path(item["url"])
        lines.append(
            f"  {item['received']:>9,} {item['sent']:>6,} {item['body']:>9,} {item['status'] or '-':>6} "
            f"{item['encoding'] or '-':<5} {item['kind']:<11} {path}"
        )
        lines.append(f"  {'':>52} {item['failure'] or item['cache_control'] or '(no Cache-Control)'}")
    lines += [
        "",
        f"  {totals['requests']} requests: {totals['received']:,} bytes received (headers + encoded bodies), "
        f"{totals['sent']:,} sent, {totals['transferred']:,} transferred; {totals['decoded']:,} bytes decoded",
        f"  requests to another host: {totals['off_machine']}",
        "",
        "Goals",
        f"  {'PASS' if report.goals['weight'] else 'FAIL'}  <= {GOAL_BYTES / 1000:.0f} KB transferred   "
        f"({totals['transferred'] / 1000:.1f} KB)",
        f"  {'PASS' if report.goals['local'] else 'FAIL'}  0 requests leave the machine   ({totals['off_machine']})",
    ]
    return "\n".join(lines)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def benchmark(args: argparse.Namespace, tmp: Path) -> Report:
    """Start the server, load the page cold, add it up."""
    app_port, printer_port = args.port or free_port(), free_port()
    base = f"http://{HOST}:{app_port}"
    report = Report(shlex.join([sys.executable, *sys.argv]), machine(), base + args.path)
    with services(tmp, app_port, printer_port) as run:
        transfers = load_cold(base, args.path)
        run.check()
    report.requests = [vars(item) for item in transfers]
    report.totals = {
        "requests": len(transfers),
        "received": sum(item.received for item in transfers),
        "sent": sum(item.sent for item in transfers),
        "transferred": sum(item.total for item in transfers),
        "decoded": sum(item.body for item in transfers),
        "off_machine": sum(1 for item in transfers if elsewhere(item.url, base)),
    }
    report.goals = {
        "weight": report.totals["transferred"] <= GOAL_BYTES,
        "local": report.totals["off_machine"] == 0,
    }
    return report


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the report, save the JSON; 1 if a goal is missed."""
    return run_and_report(
        parse_args(argv),
        "helpdesk-weight-",
        benchmark,
        render_report,
        "page-weight",
        lambda report: all(report.goals.values()),
    )


if __name__ == "__main__":
    sys.exit(main())
