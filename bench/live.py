"""Live-screen benchmark: how fast a queue change reaches 100 and 1000 open server-sent event streams.

For each subscriber count S it starts `helpdesk printer emulate --no-pictures` and `helpdesk serve --streams N`
on a fresh SQLite database (as bench/checkin.py does, which also offers PostgreSQL, several workers and gunicorn:
--database-url, --workers, --server), opens S SSE connections from one thread with
non-blocking sockets and `selectors` (mostly the waiting-room TV, /display/events; a few signed-in dashboards,
/dashboard/events, and visitors' phones, /t/<token>/events), then triggers events one at a time, alternating
a kiosk check-in and an officer's call-next, and times each subscriber's first frame caused by each event.
It also reads the server's memory with all streams open, and with --busy-kiosks, times ordinary kiosk requests
while every stream is open.

Exit code 0 when it measured (goals are reported, not enforced), 1 if subscribers missed events, 2 if the
benchmark could not run.
"""

from __future__ import annotations

import argparse
import errno
import http.client
import os
import re
import resource
import selectors
import shlex
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/checkin.py, also when imported from elsewhere

import contextlib

from checkin import (  # noqa: E402 - after the path set-up
    HELPDESK,
    HOST,
    ROOT,
    BenchError,
    Kiosk,
    Services,
    add_server_args,
    check_server_args,
    form_fields,
    free_port,
    log_tail,
    machine,
    read_db,
    save,
    scratch,
    server_choice,
    services,
    serving_cpu,
    summary,
)

GOAL_P95_MS = {100: 250.0, 1000: 1000.0}  # p95 delay goal per subscriber count
GOAL_RSS_MB = 200.0  # the serve process itself, at 1000 subscribers
OFFICER, PASSWORD, DESK_ID = "bench", "bench-sandi-rahasia-123", 1
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
WAITING = re.compile(r"data-waiting>\s*(\d+)\s*<")
CALLED_NUMBER = re.compile(r'class="number">\s*([A-Z]{1,3}-\d{3,})')

# Which SSE frame names count as "caused by" an event, per event kind and per kind of screen. The first such
# frame after the trigger is timed. A phone's ticket does not change when someone checks in behind it.
EXPECTED: dict[str, dict[str, frozenset[str]]] = {
    "checkin": {"display": frozenset({"board"}), "dashboard": frozenset({"board", "desk"}), "phone": frozenset()},
    "call": {
        "display": frozenset({"announce"}),
        "dashboard": frozenset({"board", "desk"}),
        "phone": frozenset({"status"}),
    },
}
INITIAL = {"display": "board", "dashboard": "board", "phone": "status"}  # the state frame sent on connect


# -- processes ------------------------------------------------------------------------------------


def raise_nofile() -> tuple[int, int]:
    """Raise this process's soft limit on open files to the hard limit; returns (soft, hard)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 16)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def proc_status(pid: int) -> dict[str, str]:
    """/proc/<pid>/status as a dict, or {} if the process is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return {key: value.strip() for key, _, value in (line.partition(":") for line in text.splitlines())}


def kb_to_mb(value: str | None) -> float | None:
    """'123456 kB' as megabytes (MiB)."""
    return round(int(value.split()[0]) / 1024, 1) if value else None


def cmdline(pid: int) -> str:
    """A process's command line, shortened."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    text = " ".join(
        Path(a.decode(errors="replace")).name if i == 0 else a.decode(errors="replace") for i, a in enumerate(args) if a
    )
    return text[:100]


def rss_breakdown(pid: int) -> dict[str, float] | None:
    """Resident MB by kind of mapping, from /proc/<pid>/smaps: thread stacks (8 MB anonymous mappings), the main
    heap, other anonymous memory (Python's object arenas, malloc's per-thread arenas) and files (code, libraries)."""
    try:
        text = Path(f"/proc/{pid}/smaps").read_text()
    except OSError:
        return None
    kinds: Counter[str] = Counter()
    kind = "files"
    size = 0
    for line in text.splitlines():
        head = line.split()
        if not head:
            continue
        if "-" in head[0] and not head[0].endswith(":"):  # a mapping's header line
            name = head[5] if len(head) > 5 else ""
            kind = (
                "heap"
                if name == "[heap]"
                else "stack"
                if name.startswith("[stack")
                else "anon"
                if not name
                else "files"
            )
            size = 0
        elif head[0] == "Size:":
            size = int(head[1])
            if kind == "anon":
                kind = "thread_stacks" if size in (8192, 8196) else "other_anon"
        elif head[0] == "Rss:":
            kinds[kind] += int(head[1])
    return {name: round(kb / 1024, 1) for name, kb in sorted(kinds.items())}


def pss_mb(pid: int) -> float | None:
    """Proportional set size: resident memory with pages shared between processes split among them."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    kb = next((int(line.split()[1]) for line in text.splitlines() if line.startswith("Pss:")), None)
    return None if kb is None else round(kb / 1024, 1)


def memory(running: Services) -> dict[str, Any]:
    """RSS, peak RSS, threads and open files of the server process, the same for each other process serving
    (workers, print process, helpers), and the totals over all of them."""

    def one(p: int) -> dict[str, Any]:
        status = proc_status(p)
        try:
            fds = len(os.listdir(f"/proc/{p}/fd"))
        except OSError:
            fds = None
        return {
            "pid": p,
            "cmd": cmdline(p),
            "rss_mb": kb_to_mb(status.get("VmRSS")),
            "pss_mb": pss_mb(p),
            "peak_rss_mb": kb_to_mb(status.get("VmHWM")),
            "threads": int(status.get("Threads", 0)),
            "fds": fds,
        }

    pid = running.server.pid
    serve = one(pid) | {"rss_by_kind_mb": rss_breakdown(pid)}
    children = [one(p) for p in running.server_pids() if p != pid]
    every = [serve, *children]
    return {
        "serve": serve,
        "children": children,
        "processes": len(every),
        "total_rss_mb": round(sum(p["rss_mb"] or 0 for p in every), 1),
        "total_pss_mb": round(sum(p["pss_mb"] or 0 for p in every), 1),
        "total_threads": sum(p["threads"] for p in every),
    }


def connections_by_process(pids: list[int], port: int) -> dict[int, int]:
    """How many established connections to the port each process holds, from /proc (sockets matched by inode)."""
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                established.add(fields[9])
    counts = {}
    for pid in pids:
        try:
            links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        except OSError:
            continue
        counts[pid] = sum(1 for link in links if link.startswith("socket:[") and link[8:-1] in established)
    return counts


def add_officer(env: dict[str, str]) -> None:
    """Create the officer account who calls visitors."""
    args = [HELPDESK, "officer", "add", OFFICER, "--name", "Petugas Bench", "--role", "officer", "--password-stdin"]
    done = subprocess.run(args, cwd=ROOT, env=env, input=PASSWORD + "\n", capture_output=True, text=True)
    if done.returncode:
        raise BenchError(f"{shlex.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")


# -- the SSE client: one thread, non-blocking sockets, selectors -----------------------------------


@dataclass
class Frame:
    """One SSE frame as it arrived."""

    at: float  # epoch seconds when epoll reported the socket readable
    name: str
    event: int | None  # index of the event being triggered when it arrived, None before the first
    waiting: int | None  # the display board's waiting count


class Stream:
    """One SSE connection: the HTTP response head, chunked decoding and SSE framing, all incremental."""

    def __init__(self, index: int, kind: str, path: str, cookie: str = "") -> None:
        self.index, self.kind, self.path, self.cookie = index, kind, path, cookie
        self.sock: socket.socket | None = None
        self.state = "new"  # connecting, head, open, refused, dropped
        self.outbuf = b""
        self.raw = bytearray()  # bytes not yet de-chunked
        self.body = bytearray()  # de-chunked bytes not yet split into lines
        self.chunked = False
        self.chunk_state, self.chunk_left = "size", 0
        self.status: int | None = None
        self.error = ""
        self.field_event, self.field_data = "", []  # the frame being read
        self.frames: list[Frame] = []
        self.started_at: float | None = None  # when the connect began
        self.ready_at: float | None = None  # arrival of the initial state frame
        self.got: set[int] = set()  # events whose expected frame arrived


class Client:
    """Many SSE streams served from one thread with a selector."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.selector = selectors.DefaultSelector()
        self.streams: list[Stream] = []
        self.event: int | None = None  # the event being triggered now
        self.event_kind = ""
        self.received: Counter[int] = Counter()  # event index -> subscribers that got their expected frame
        self.last_frame_at = 0.0
        self.connecting = 0
        self.max_batch_s = 0.0  # longest time spent handling one select() batch (client-side lag)

    # connections

    def start(self, stream: Stream) -> None:
        """Begin a non-blocking connect."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        stream.sock, stream.state, stream.started_at = sock, "connecting", time.time()
        cookie = f"Cookie: {stream.cookie}\r\n" if stream.cookie else ""
        stream.outbuf = (
            f"GET {stream.path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nAccept: text/event-stream\r\n"
            f"Cache-Control: no-cache\r\n{cookie}\r\n"
        ).encode()
        code = sock.connect_ex((HOST, self.port))
        if code not in (0, errno.EINPROGRESS):
            self._fail(stream, "refused", f"connect: {os.strerror(code)}")
            return
        self.connecting += 1
        self.selector.register(sock, selectors.EVENT_WRITE, stream)

    def open(
        self,
        streams: list[Stream],
        max_pending: int,
        timeout: float,
        alive: Callable[[], None],
        keep_going: bool = False,
    ) -> float:
        """Open every stream, at most max_pending connecting at once; wait for each one's initial frame.

        Returns the seconds it took. Streams that fail are marked refused; the caller counts them. Streams still
        without their first frame after timeout seconds fail the benchmark, unless keep_going: they are then left
        as they are (stuck, or not started) and the caller counts them.
        """
        started = time.time()
        todo = list(streams)
        self.streams.extend(streams)
        todo.reverse()
        while True:
            waiting = sum(
                1 for s in streams if s.state in ("connecting", "head") or (s.state == "open" and s.ready_at is None)
            )
            while todo and waiting < max_pending:
                self.start(todo.pop())
                waiting += 1
            if not todo and not waiting:
                return time.time() - started
            if time.time() - started > timeout:
                if keep_going:
                    return time.time() - started
                raise BenchError(f"{waiting + len(todo)} streams not open with their first frame after {timeout:.0f} s")
            self.pump(0.05)
            alive()

    def close_all(self) -> None:
        """Close every connection."""
        for stream in self.streams:
            self._disconnect(stream)
        self.selector.close()

    def _fail(self, stream: Stream, state: str, error: str) -> None:
        if stream.state == "connecting":
            self.connecting -= 1
        stream.state, stream.error = state, error
        self._disconnect(stream)

    def _disconnect(self, stream: Stream) -> None:
        if stream.sock is None:
            return
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(stream.sock)
        stream.sock.close()
        stream.sock = None

    # I/O

    def pump(self, timeout: float) -> None:
        """Wait up to timeout for sockets to be ready and handle every one that is."""
        ready = self.selector.select(timeout)
        now = time.time()
        for key, mask in ready:
            stream: Stream = key.data
            if stream.state == "connecting":
                self._connected(stream)
            elif mask & selectors.EVENT_WRITE and stream.outbuf:
                self._send(stream)
            else:
                self._receive(stream, now)
        if ready:
            self.max_batch_s = max(self.max_batch_s, time.time() - now)

    def _connected(self, stream: Stream) -> None:
        assert stream.sock is not None
        code = stream.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code:
            self._fail(stream, "refused", f"connect: {os.strerror(code)}")
            return
        self.connecting -= 1
        stream.state = "head"
        self._send(stream)

    def _send(self, stream: Stream) -> None:
        assert stream.sock is not None
        try:
            sent = stream.sock.send(stream.outbuf)
        except BlockingIOError:
            sent = 0
        except OSError as error:
            self._fail(stream, "refused", f"send: {error}")
            return
        stream.outbuf = stream.outbuf[sent:]
        self.selector.modify(stream.sock, selectors.EVENT_WRITE if stream.outbuf else selectors.EVENT_READ, stream)

    def _receive(self, stream: Stream, now: float) -> None:
        assert stream.sock is not None
        try:
            data = stream.sock.recv(1 << 16)
        except BlockingIOError:
            return
        except OSError as error:
            self._fail(stream, "dropped" if stream.state == "open" else "refused", f"recv: {error}")
            return
        if not data:
            self._fail(stream, "dropped" if stream.state == "open" else "refused", "closed by the server")
            return
        stream.raw += data
        if stream.state == "head" and not self._head(stream):
            return
        if stream.state != "open":
            return
        if stream.chunked:
            self._dechunk(stream)
        else:
            stream.body += stream.raw
            stream.raw.clear()
        self._lines(stream, now)

    def _head(self, stream: Stream) -> bool:
        """Parse the response head once it is complete; False until then or if the stream was refused."""
        end = stream.raw.find(b"\r\n\r\n")
        if end < 0:
            return False
        lines = bytes(stream.raw[:end]).decode("latin-1").split("\r\n")
        del stream.raw[: end + 4]
        try:
            stream.status = int(lines[0].split()[1])
        except (IndexError, ValueError):
            self._fail(stream, "refused", f"bad status line {lines[0]!r}")
            return False
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        if stream.status != 200 or not headers.get("content-type", "").startswith("text/event-stream"):
            self._fail(
                stream, "refused", f"HTTP {stream.status} {headers.get('content-type', '')}: {bytes(stream.raw[:80])!r}"
            )
            return False
        stream.chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        stream.state = "open"
        return True

    def _dechunk(self, stream: Stream) -> None:
        raw = stream.raw
        while True:
            if stream.chunk_state == "size":
                end = raw.find(b"\r\n")
                if end < 0:
                    return
                size = int(bytes(raw[:end]).split(b";")[0], 16)
                del raw[: end + 2]
                if size == 0:
                    self._fail(stream, "dropped", "the server ended the stream")
                    return
                stream.chunk_state, stream.chunk_left = "data", size
            elif stream.chunk_state == "data":
                take = min(stream.chunk_left, len(raw))
                if not take:
                    return
                stream.body += raw[:take]
                del raw[:take]
                stream.chunk_left -= take
                if not stream.chunk_left:
                    stream.chunk_state = "crlf"
            else:
                if len(raw) < 2:
                    return
                del raw[:2]
                stream.chunk_state = "size"

    def _lines(self, stream: Stream, now: float) -> None:
        body = stream.body
        start = 0
        while (end := body.find(b"\n", start)) >= 0:
            line = bytes(body[start:end]).rstrip(b"\r").decode("utf-8", errors="replace")
            start = end + 1
            if not line:
                if stream.field_event or stream.field_data:
                    self._frame(stream, stream.field_event or "message", "\n".join(stream.field_data), now)
                stream.field_event, stream.field_data = "", []
            elif line.startswith(":"):
                continue  # a comment: the keep-alive
            else:
                name, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if name == "event":
                    stream.field_event = value
                elif name == "data":
                    stream.field_data.append(value)
        del body[:start]

    def _frame(self, stream: Stream, name: str, data: str, now: float) -> None:
        waiting = None
        if name == "board" and stream.kind == "display":
            match = WAITING.search(data)
            waiting = int(match.group(1)) if match else None
        stream.frames.append(Frame(now, name, self.event, waiting))
        if stream.ready_at is None:
            stream.ready_at = now
        if self.event is not None:
            self.last_frame_at = now
            if self.event not in stream.got and name in EXPECTED[self.event_kind][stream.kind]:
                stream.got.add(self.event)
                self.received[self.event] += 1

    def open_streams(self) -> list[Stream]:
        """Streams that are open now."""
        return [s for s in self.streams if s.state == "open"]


# -- triggers: a kiosk and an officer over plain HTTP, from one helper thread -----------------------


class Officer:
    """A signed-in officer at a desk, keeping the session cookie by hand."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection(HOST, port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.token = ""

    @property
    def cookie(self) -> str:
        """The Cookie header value."""
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        """One request with the session cookie; remembers the cookies the answer sets."""
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = self.cookie
        body = None
        if form is not None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=sent)
        response = self.connection.getresponse()
        text = response.read().decode()
        for value in response.headers.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(value)
            for name, morsel in jar.items():
                if morsel.value:
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response.status, text

    def csrf(self) -> str:
        """The session's CSRF token, from the sign-in page."""
        status, page = self.request("GET", "/login")
        match = CSRF_FIELD.search(page)
        if status != 200 or match is None:
            raise BenchError(f"GET /login: HTTP {status}, no csrf_token")
        return match.group(1)

    def sign_in(self) -> None:
        """Sign in and start work at the desk, as tests/web/test_dashboard.py does."""
        status, page = self.request(
            "POST", "/login", {"username": OFFICER, "password": PASSWORD, "csrf_token": self.csrf()}
        )
        if status != 302:
            raise BenchError(f"POST /login: HTTP {status}: {page[:300]!r}")
        self.token = self.csrf()
        status, page = self.request("POST", "/dashboard/desk", {"desk_id": str(DESK_ID), "csrf_token": self.token})
        if status != 302:
            raise BenchError(f"POST /dashboard/desk: HTTP {status}: {page[:300]!r}")

    def reconnect(self) -> None:
        """A fresh connection (waitress closes idle ones after 60 s); the session cookie stays."""
        self.connection.close()
        self.connection = http.client.HTTPConnection(HOST, self.port, timeout=60)

    def call_next(self) -> tuple[float, float, str]:
        """POST /dashboard/call-next: t0 (epoch, just before sending), response ms and the number called."""
        headers = {"X-CSRF-Token": self.token, "HX-Request": "true"}
        t0 = time.time()
        started = time.perf_counter()
        status, page = self.request("POST", "/dashboard/call-next", {}, headers)
        elapsed = (time.perf_counter() - started) * 1000
        match = CALLED_NUMBER.search(page)
        if status != 200 or match is None:
            raise BenchError(f"POST /dashboard/call-next: HTTP {status}, nobody called: {page[:300]!r}")
        return t0, elapsed, match.group(1)


@dataclass
class Triggered:
    """One event as it was triggered."""

    index: int
    kind: str  # checkin or call
    t0: float  # epoch seconds just before the triggering request was sent
    response_ms: float
    number: str
    expected: int  # subscribers that should see it
    received: int = 0
    complete_ms: float | None = None  # t0 until the last expected subscriber had its frame


def trigger(kind: str, kiosk: Kiosk, officer: Officer) -> tuple[float, float, str]:
    """Check a visitor in, or call the next one: (t0, response ms, ticket number)."""
    if kind == "checkin":
        token, _ = kiosk.consent()  # the consent screen changes nothing anyone watches
        checkin = kiosk.checkin(token)
        return checkin.t0, checkin.checkin_ms, checkin.number
    return officer.call_next()


# -- one run at S subscribers ---------------------------------------------------------------------


def plan_streams(subscribers: int, dashboards: int, phones: int, officer: Officer, tokens: list[str]) -> list[Stream]:
    """S streams: a few dashboards and phones spread among the displays."""
    kinds = ["dashboard"] * dashboards + ["phone"] * phones
    kinds += ["display"] * (subscribers - len(kinds))
    step = max(1, subscribers // max(1, dashboards + phones))
    order = ["display"] * subscribers  # spread the special ones out so they are not all first
    for n, kind in enumerate(k for k in kinds if k != "display"):
        order[min(subscribers - 1, n * step + step // 2)] = kind
    streams, phone = [], 0
    for index, kind in enumerate(order):
        if kind == "dashboard":
            streams.append(Stream(index, kind, "/dashboard/events", officer.cookie))
        elif kind == "phone":
            streams.append(Stream(index, kind, f"/t/{tokens[phone % len(tokens)]}/events"))
            phone += 1
        else:
            streams.append(Stream(index, kind, "/display/events"))
    return streams


def run_events(
    client: Client, services: Services, plan: list[str], kiosk: Kiosk, officer: Officer, args: argparse.Namespace
) -> list[Triggered]:
    """Trigger each event, wait until every open subscriber that should see it has, then a quiet gap."""
    done: list[Triggered] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="trigger") as pool:
        for index, kind in enumerate(plan):
            open_now = client.open_streams()
            expected = sum(1 for s in open_now if EXPECTED[kind][s.kind])
            client.event, client.event_kind = index, kind
            future: Future[tuple[float, float, str]] = pool.submit(trigger, kind, kiosk, officer)
            deadline = time.time() + args.event_timeout
            while not (future.done() and (client.received[index] >= expected or time.time() > deadline)):
                client.pump(0.01)
                if time.time() > deadline + 60:
                    raise BenchError(f"event {index + 1} ({kind}): the triggering request did not answer in time")
            try:
                t0, response_ms, number = future.result()
            except (OSError, http.client.HTTPException) as error:  # a timeout too: the request got no answer
                raise BenchError(f"event {index + 1} ({kind}): the triggering request failed: {error!r}") from error
            event = Triggered(index, kind, t0, response_ms, number, expected, client.received[index])
            if event.received >= expected:
                last = max(
                    (f.at for s in open_now for f in s.frames if f.event == index and f.name in EXPECTED[kind][s.kind]),
                    default=t0,
                )
                event.complete_ms = round((last - t0) * 1000, 3)
            done.append(event)
            quiet_from = time.time()
            while time.time() - max(client.last_frame_at, quiet_from) < args.gap:  # trailing frames, then a pause
                client.pump(0.01)
            services.check()
            if args.verbose:
                print(
                    f"    event {index + 1:3d} {kind:<7} {number:<7} {event.received}/{expected} "
                    f"complete {event.complete_ms} ms",
                    file=sys.stderr,
                )
    client.event = None
    return done


def delays(client: Client, events: list[Triggered]) -> tuple[dict[str, list[float]], int, Counter[str]]:
    """Milliseconds from each trigger to each subscriber's first expected frame, grouped; missed count; other frames."""
    groups: dict[str, list[float]] = {}
    missed = 0
    other: Counter[str] = Counter()
    by_index = {e.index: e for e in events}
    for stream in client.streams:
        if stream.ready_at is None:
            continue  # never opened: counted as refused
        first: dict[int, Frame] = {}
        for frame in stream.frames:
            if frame.event is None:
                continue
            event = by_index[frame.event]
            if frame.name in EXPECTED[event.kind][stream.kind] and frame.event not in first:
                first[frame.event] = frame
            elif frame.name not in EXPECTED[event.kind][stream.kind]:
                other[f"{stream.kind} {frame.name} after {event.kind}"] += 1
        for event in events:
            if not EXPECTED[event.kind][stream.kind]:
                continue
            frame = first.get(event.index)
            if frame is None:
                missed += 1
                continue
            ms = (frame.at - event.t0) * 1000
            for key in ("all", f"{event.kind} {stream.kind}", f"{event.kind}"):
                groups.setdefault(key, []).append(ms)
    return groups, missed, other


def check_waiting_counts(client: Client, events: list[Triggered], start: int) -> list[str]:
    """The displays' waiting count must go up by one per check-in and down by one per call."""
    problems = []
    displays = [s for s in client.streams if s.kind == "display" and s.ready_at is not None]
    for stream in displays[:3]:
        expected, seen = start, []
        for event in events:
            expected += 1 if event.kind == "checkin" else -1
            boards = [f.waiting for f in stream.frames if f.event == event.index and f.name == "board"]
            if boards and boards[-1] != expected:
                seen.append(f"event {event.index + 1} ({event.kind}): {boards[-1]} waiting, expected {expected}")
        if seen:
            problems.append(f"display stream {stream.index}: " + "; ".join(seen[:3]))
    return problems


def server_problems(log: Path) -> list[str]:
    """Warnings, errors and tracebacks from the server log."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return []
    keep = [line for line in lines if re.search(r"WARNING|ERROR|CRITICAL|Traceback|Error:|Exception", line)]
    return keep[-40:]


def stream_states(streams: list[Stream]) -> dict[str, Any]:
    """How many streams are in each state, and why the failed ones failed."""
    states = Counter(s.state for s in streams)
    return {
        "open": states.get("open", 0),
        "ready": sum(1 for s in streams if s.ready_at is not None),
        "refused": states.get("refused", 0),
        "dropped": states.get("dropped", 0),
        "not_started": states.get("new", 0),
        "stuck": sum(
            1 for s in streams if s.state in ("connecting", "head") or (s.state == "open" and s.ready_at is None)
        ),
        "refusals": Counter(s.error for s in streams if s.state == "refused").most_common(5),
        "drops": Counter(s.error for s in streams if s.state == "dropped").most_common(5),
    }


def busy_phase(client: Client, running: Services, form: str, args: argparse.Namespace) -> dict[str, Any]:
    """Ordinary requests with every stream open: --busy-kiosks kiosks, --busy-visits visitors each (consent screen,
    then check-in), as fast as they go; a request that gets no answer in --busy-timeout seconds counts as starved,
    and a kiosk starved three times gives up its remaining visitors.

    The client keeps reading its streams meanwhile, from this thread.
    """
    consent_ms: list[float] = []
    checkin_ms: list[float] = []
    starved: list[str] = []
    errors: list[str] = []

    def kiosk_run() -> None:
        kiosk = Kiosk(running.app_port, form, timeout=args.busy_timeout)
        mine = 0  # this kiosk's starved requests
        try:
            for _ in range(args.busy_visits):
                try:
                    token, took = kiosk.consent()
                    consent_ms.append(took)
                    checkin_ms.append(kiosk.checkin(token).checkin_ms)
                except TimeoutError as error:
                    starved.append(str(error))
                    mine += 1
                    if mine == 3:
                        return
                    kiosk.close()  # a fresh connection for the next visitor, as a kiosk page reloads
                    kiosk = Kiosk(running.app_port, form, timeout=args.busy_timeout)
                except (OSError, http.client.HTTPException, BenchError) as error:
                    errors.append(f"{type(error).__name__}: {error}"[:200])
                    kiosk.close()
                    kiosk = Kiosk(running.app_port, form, timeout=args.busy_timeout)
        finally:
            kiosk.close()

    started = time.time()
    with ThreadPoolExecutor(max_workers=args.busy_kiosks, thread_name_prefix="busy-kiosk") as pool:
        futures = [pool.submit(kiosk_run) for _ in range(args.busy_kiosks)]
        while not all(future.done() for future in futures):
            client.pump(0.01)
        for future in futures:
            future.result()
    wall = time.time() - started
    running.check()
    requests = len(consent_ms) + len(checkin_ms) + len(starved) + len(errors)
    return {
        "kiosks": args.busy_kiosks,
        "visits": args.busy_kiosks * args.busy_visits,
        "requests": requests,
        "wall_s": round(wall, 3),
        "requests_per_s": round(requests / wall, 1) if wall > 0 else None,
        "consent_ms": summary(consent_ms),
        "checkin_ms": summary(checkin_ms),
        "all_ms": summary(consent_ms + checkin_ms),
        "starved": len(starved),
        "errors": len(errors),
        "error_samples": Counter(errors).most_common(3),
        "timeout_s": args.busy_timeout,
    }


def run_one(subscribers: int, args: argparse.Namespace, tmp: Path, result: dict[str, Any]) -> None:
    """Start a fresh server for S subscribers, open the streams, trigger the events; figures go into result.

    result keeps whatever was measured before a BenchError, and the streams' states when it happened.
    """
    plan = ["checkin" if i % 2 == 0 else "call" for i in range(args.events)]
    calls = plan.count("call")
    streams_limit = args.streams or subscribers + 50
    app_port, printer_port = free_port(), free_port()
    choice = server_choice(args, streams=streams_limit)
    result.update(
        {
            "server_streams": streams_limit,
            "server_threads": args.threads,
            "server": choice.describe(),
            "database": choice.database(),
        }
    )
    with services(tmp, app_port, printer_port, choice, prepare=add_officer) as running:
        form = urlencode(form_fields())
        kiosk, officer = Kiosk(app_port, form), Officer(app_port)
        officer.sign_in()
        # Visitors already waiting, so every call has someone to call and the phones' tickets stay in the queue
        # (each call moves them up one place, which their phones show).
        queue = calls + args.phones
        for _ in range(queue):
            kiosk.visit()
        tokens = [
            row[0]
            for row in read_db(
                running.database_url, f"SELECT token FROM visits ORDER BY id DESC LIMIT {max(args.phones, 1)}"
            )
        ]
        result["waiting_before"] = queue
        result["memory_idle"] = memory(running)

        client = Client(app_port)
        streams = plan_streams(subscribers, args.dashboards, args.phones, officer, tokens)
        result["streams"] = dict(Counter(s.kind for s in streams))
        try:
            print(f"  S={subscribers}: opening {subscribers} streams ...", file=sys.stderr)
            open_s = client.open(streams, args.max_pending, args.open_timeout, running.check, args.keep_going)
            result["open"] = {
                "seconds": round(open_s, 3),
                **stream_states(streams),
                "connect_to_first_frame_ms": summary(
                    [
                        (s.ready_at - s.started_at) * 1000
                        for s in streams
                        if s.ready_at is not None and s.started_at is not None
                    ]
                ),
            }
            settle_until = time.time() + 1.0
            while time.time() < settle_until:
                client.pump(0.05)
            result["memory_streams_open"] = memory(running)
            result["streams_per_process"] = connections_by_process(running.web_pids(), app_port)
            if args.busy_kiosks:
                print(f"  S={subscribers}: {args.busy_kiosks} kiosks with every stream open ...", file=sys.stderr)
                result["busy"] = busy_phase(client, running, form, args)
                result["waiting_before"] += result["busy"]["checkin_ms"].get("n", 0)  # they wait in the queue too
            kiosk.close()
            kiosk = Kiosk(app_port, form)
            officer.reconnect()

            print(f"  S={subscribers}: {args.events} events ...", file=sys.stderr)
            cpu_before = serving_cpu(running)
            started = time.time()
            events = run_events(client, running, plan, kiosk, officer, args)
            wall = time.time() - started
            cpu_after = serving_cpu(running)
            result["memory_after_events"] = memory(running)
            groups, missed, other = delays(client, events)
            result["after_events"] = stream_states(streams)
        except BenchError:
            alive = running.server.poll() is None
            result["failed_with"] = stream_states(streams) | {
                "server_fds": memory(running)["serve"]["fds"] if alive else None,
                "server_exit_code": running.server.poll(),
            }
            raise
        finally:
            kiosk.close()
            client.close_all()
            result["server_problems"] = server_problems(running.server_log)
        running.check()

    complete = [e.complete_ms for e in events if e.complete_ms is not None]
    result["events"] = {
        "count": len(events),
        "checkins": plan.count("checkin"),
        "calls": calls,
        "wall_s": round(wall, 3),
        "pairs": len(groups.get("all", [])),
        "missed": missed,
        "events_incomplete": sum(1 for e in events if e.received < e.expected),
        "other_frames": dict(other),
        "server_cpu_s": None if cpu_before is None or cpu_after is None else round(cpu_after - cpu_before, 3),
        "client_max_batch_ms": round(client.max_batch_s * 1000, 3),
    }
    result["delay_ms"] = {key: summary(values) for key, values in sorted(groups.items())}
    result["fanout_complete_ms"] = summary(complete)
    result["trigger_response_ms"] = {
        kind: summary([e.response_ms for e in events if e.kind == kind]) for kind in ("checkin", "call")
    }
    result["problems"] = check_waiting_counts(client, events, result["waiting_before"])
    result["per_event"] = [asdict(e) for e in events]


# -- report ---------------------------------------------------------------------------------------


@dataclass
class Report:
    """Everything measured, as written to JSON."""

    command: str
    machine: dict[str, Any]
    options: dict[str, Any]
    runs: list[dict[str, Any]] = field(default_factory=list)
    goals: dict[str, Any] = field(default_factory=dict)


def ms_row(label: str, figures: dict[str, float]) -> str:
    """A table row of n, p50, p95 and max milliseconds."""
    if not figures.get("n"):
        return f"    {label:<40} {'no data':>8}"
    return f"    {label:<40} {figures['n']:>7} {figures['p50']:>9.1f} {figures['p95']:>9.1f} {figures['max']:>9.1f}"


def memory_line(label: str, mem: dict[str, Any] | None) -> list[str]:
    """The serve process, then its children."""
    if not mem:
        return [f"    {label:<22} not measured"]
    serve = mem["serve"]
    lines = [
        f"    {label:<22} serve RSS {serve['rss_mb'] or 0:>7.1f} MB (peak {serve['peak_rss_mb'] or 0:.1f}), "
        f"{serve['threads']} threads, {serve['fds']} fds"
    ]
    if "total_rss_mb" in mem:
        lines.append(
            f"    {'':<22}   all {mem['processes']} processes: RSS {mem['total_rss_mb']:.1f} MB, "
            f"PSS {mem['total_pss_mb']:.1f} MB, {mem['total_threads']} threads"
        )
    if serve.get("rss_by_kind_mb"):
        lines.append(
            f"    {'':<22}   serve RSS by mapping: "
            + ", ".join(f"{k.replace('_', ' ')} {v:.1f}" for k, v in serve["rss_by_kind_mb"].items())
        )
    for child in mem["children"]:
        lines.append(
            f"    {'':<22}   child {child['pid']} RSS {child['rss_mb'] or 0:>6.1f} MB, {child['threads']} threads  "
            f"{child['cmd']}"
        )
    return lines


def states_line(label: str, states: dict[str, Any]) -> list[str]:
    """Streams open, refused and dropped, with the reasons."""
    lines = [
        f"  {label}: {states['open']} open ({states['ready']} got their first frame), refused {states['refused']}, "
        f"dropped {states['dropped']}"
        + (f", {states['not_started']} not yet started" if states.get("not_started") else "")
        + (f", STUCK (connected, no answer yet) {states['stuck']}" if states.get("stuck") else "")
    ]
    if states["refusals"]:
        lines.append(f"    refusals: {states['refusals']}")
    if states["drops"]:
        lines.append(f"    drops: {states['drops']}")
    return lines


def render_run(run: dict[str, Any]) -> list[str]:
    """One subscriber count as report lines."""
    kinds = ", ".join(f"{n} {k}" for k, n in run.get("streams", {}).items())
    server = (
        run.get("server")
        or f"helpdesk serve --streams {run.get('server_streams')} --threads {run.get('server_threads')}"
    )
    lines = [f"S = {run['subscribers']} subscribers ({kinds}); {server}, {run.get('database', 'SQLite')}"]
    opened = run.get("open")
    if opened:
        lines += states_line(f"streams opened in {opened['seconds']:.2f} s", opened)
        lines.append(ms_row("connect -> first (state) frame", opened["connect_to_first_frame_ms"]))
    if len(run.get("streams_per_process") or {}) > 1:
        lines.append(
            "  connections per web process: "
            + ", ".join(f"{pid}: {count}" for pid, count in run["streams_per_process"].items())
        )
    busy = run.get("busy")
    if busy:
        lines += [
            f"  ordinary requests with every stream open: {busy['kiosks']} kiosks x {busy['visits'] // busy['kiosks']} "
            f"visitors, {busy['requests']} requests in {busy['wall_s']:.1f} s ({busy['requests_per_s']}/s); "
            f"STARVED (no answer in {busy['timeout_s']:.0f} s) {busy['starved']}, errors {busy['errors']}",
            f"    {'':<40} {'n':>7} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9}",
            ms_row("POST /kiosk/consent", busy["consent_ms"]),
            ms_row("POST /kiosk/checkin", busy["checkin_ms"]),
            ms_row("both", busy["all_ms"]),
        ]
        if busy["error_samples"]:
            lines.append(f"    errors: {busy['error_samples']}")
    ev = run.get("events")
    if ev:
        lines += states_line("streams after the events", run["after_events"])
        lines += [
            f"  events: {ev['count']} ({ev['checkins']} check-ins, {ev['calls']} calls, {run['waiting_before']} waiting at the start) "
            f"in {ev['wall_s']:.1f} s; subscriber-event pairs {ev['pairs']}, MISSED {ev['missed']}",
            f"    {'delay: trigger sent -> first frame':<40} {'n':>7} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9}",
        ]
        labels = {"all": "ALL pairs", "checkin": "check-in -> next board/desk", "call": "call -> announce/status/board"}
        for key in ("all", "checkin", "call"):
            if key in run["delay_ms"]:
                lines.append(ms_row(labels[key], run["delay_ms"][key]))
        for key, figures in run["delay_ms"].items():
            if key not in labels:
                lines.append(ms_row(f"  {key}", figures))
        lines += [
            ms_row("fan-out complete (last subscriber)", run["fanout_complete_ms"]),
            ms_row("POST /kiosk/checkin response", run["trigger_response_ms"]["checkin"]),
            ms_row("POST /dashboard/call-next response", run["trigger_response_ms"]["call"]),
        ]
        cpu = ev["server_cpu_s"]
        if cpu is not None:
            lines.append(
                f"    server CPU during the events {cpu:.2f} s = {cpu * 1000 / max(1, ev['count']):.0f} ms per event "
                f"(of {os.cpu_count()} cores); client's longest select batch {ev['client_max_batch_ms']:.1f} ms"
            )
        if ev["other_frames"]:
            lines.append(f"    other frames (not timed): {ev['other_frames']}")
    lines.append("  memory")
    lines += memory_line("idle (no streams)", run.get("memory_idle"))
    lines += memory_line("all streams open", run.get("memory_streams_open"))
    lines += memory_line("after the events", run.get("memory_after_events"))
    for problem in run.get("problems", []):
        lines.append(f"  PROBLEM {problem}")
    if run.get("error"):
        failed = run.get("failed_with")
        lines.append("  FAILED")
        if failed:
            server = (
                f"server had {failed['server_fds']} fds open"
                if failed["server_fds"] is not None
                else f"server had exited with code {failed['server_exit_code']}"
            )
            lines += states_line(f"streams when it failed ({server})", failed)
        lines += [f"    {line}" for line in run["error"].splitlines()]
    elif run.get("server_problems"):
        lines.append(f"  server log: {len(run['server_problems'])} warning/error lines, last ones:")
        lines += [f"    | {line[:160]}" for line in run["server_problems"][-8:]]
    else:
        lines.append("  server log: no warnings or errors")
    return lines + [""]


def judge(report: Report) -> None:
    """PASS/FAIL per goal; a run that did not finish fails its goals."""
    for run in report.runs:
        s, finished = run["subscribers"], "events" in run
        p95 = run["delay_ms"].get("all", {}).get("p95", float("inf")) if finished else float("inf")
        if s in GOAL_P95_MS:
            report.goals[f"p95_{s}"] = {
                "goal_ms": GOAL_P95_MS[s],
                "p95_ms": p95,
                "pass": finished and p95 <= GOAL_P95_MS[s],
            }
        if s == 1000:
            measured = [m for m in (run.get("memory_streams_open"), run.get("memory_after_events")) if m]
            rss = max((m["serve"]["rss_mb"] or 0 for m in measured), default=None)
            children = round(sum(c["rss_mb"] or 0 for c in measured[-1]["children"]), 1) if measured else None
            total = max((m.get("total_rss_mb") or 0 for m in measured), default=None)
            report.goals["rss_1000"] = {
                "goal_mb": GOAL_RSS_MB,
                "serve_rss_mb": rss,
                "children_rss_mb": children,
                "total_rss_mb": total,
                "pass": rss is not None and finished and rss <= GOAL_RSS_MB,
            }
        missed = run["events"]["missed"] if finished else None
        report.goals[f"missed_{s}"] = {"missed": missed, "pass": missed == 0}


def render_report(report: Report) -> str:
    """The human-readable report."""
    m = report.machine
    server = report.options.get("server_command") or "helpdesk serve"
    lines = [
        f"Live-screen benchmark ({server}, print process, virtual printer without PNGs, "
        f"{report.options.get('database') or 'SQLite'}, real sockets; one client thread with epoll)",
        f"command: {report.command}",
        f"machine: {m['cpus']} CPUs {m['cpu_model']}, {m['platform']}, Python {m['python']}; "
        f"client RLIMIT_NOFILE {m.get('nofile')}",
        "delay = arrival of the first frame caused by the event (check-in: the next board; call: the TV's announce, the "
        "phone's status,",
        "        the dashboard's board/desk) minus t0, taken just before the triggering request was sent; arrival = when "
        "epoll reported the socket",
        "",
    ]
    for run in report.runs:
        lines += render_run(run)
    lines.append("Goals")
    for name, goal in report.goals.items():
        verdict = "PASS" if goal["pass"] else "FAIL"
        if name.startswith("p95_"):
            lines.append(
                f"  {verdict}  p95 <= {goal['goal_ms']:.0f} ms with {name[4:]} subscribers   (p95 {goal['p95_ms']:.1f} ms)"
            )
        elif name == "rss_1000":
            rss = "not measured" if goal["serve_rss_mb"] is None else f"{goal['serve_rss_mb']:.1f} MB"
            lines.append(
                f"  {verdict}  serve RSS <= {goal['goal_mb']:.0f} MB with 1000 subscribers   "
                f"({rss}; children {goal['children_rss_mb']} MB, not counted; all processes {goal['total_rss_mb']} MB)"
            )
        else:
            lines.append(
                f"  {verdict}  no missed events with {name[7:]} subscribers   "
                f"({'run did not finish' if goal['missed'] is None else goal['missed']})"
            )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--subscribers", default="100,1000", help="comma-separated subscriber counts, one fresh server each"
    )
    parser.add_argument("--events", type=int, default=50, help="events per count, alternating check-in and call-next")
    parser.add_argument(
        "--dashboards", type=int, default=5, help="signed-in /dashboard/events streams among the subscribers"
    )
    parser.add_argument(
        "--phones", type=int, default=5, help="visitors' /t/<token>/events streams among the subscribers"
    )
    parser.add_argument("--streams", type=int, default=0, help="server --streams (0: subscribers + 50)")
    parser.add_argument("--threads", type=int, default=24, help="server --threads for ordinary requests")
    parser.add_argument("--gap", type=float, default=0.3, help="quiet seconds after each event before the next one")
    parser.add_argument(
        "--event-timeout", type=float, default=30.0, help="seconds to wait for every subscriber to see an event"
    )
    parser.add_argument("--open-timeout", type=float, default=300.0, help="seconds to open all streams")
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help="streams still without their first frame after --open-timeout are counted as stuck, not a failure",
    )
    parser.add_argument(
        "--max-pending", type=int, default=100, help="streams connecting (without their first frame) at once"
    )
    parser.add_argument(
        "--busy-kiosks",
        type=int,
        default=0,
        help="kiosks checking visitors in as fast as they go once every stream is open, before the events (0: none)",
    )
    parser.add_argument("--busy-visits", type=int, default=25, help="visitors per busy kiosk")
    parser.add_argument(
        "--busy-timeout", type=float, default=10.0, help="seconds a busy kiosk waits for an answer (then: starved)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders (database, logs)")
    parser.add_argument("--verbose", action="store_true", help="print each event's fan-out as it happens")
    add_server_args(parser)
    args = parser.parse_args(argv)
    check_server_args(parser, args)
    try:
        args.counts = [int(n) for n in args.subscribers.split(",") if n.strip()]
    except ValueError:
        parser.error("--subscribers takes numbers separated by commas")
    if not args.counts or min(args.counts) < args.dashboards + args.phones + 1 or args.events < 2:
        parser.error("each subscriber count must exceed --dashboards + --phones, and --events must be at least 2")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run every subscriber count, print the report, save the JSON.

    0 when everything was measured, 1 if subscribers missed events, 2 if a run could not finish.
    """
    args = parse_args(argv)
    soft, hard = raise_nofile()
    need = max(args.counts) + 200
    choice = server_choice(args)
    server = "helpdesk serve (waitress)" if choice.kind == "helpdesk" else f"gunicorn -k {choice.worker_class}"
    report = Report(
        shlex.join([sys.executable, *sys.argv]),
        {**machine(), "nofile": [soft, hard]},
        {k: v for k, v in vars(args).items() if k != "counts"}
        | {"server_command": f"{server}, {choice.workers} worker(s)", "database": choice.database()},
    )
    if soft < need:
        print(f"benchmark failed: only {soft} open files allowed (hard limit {hard}); need {need}", file=sys.stderr)
        return 2
    for subscribers in args.counts:
        run: dict[str, Any] = {"subscribers": subscribers}
        report.runs.append(run)
        with scratch(f"helpdesk-live-{subscribers}-", args.keep) as tmp:
            try:
                run_one(subscribers, args, tmp, run)
            except BenchError as error:
                run["error"] = str(error)
                if "last lines of" not in run["error"]:
                    run["error"] += f"\nlast lines of the server log:\n{log_tail(tmp / 'server.log', 25)}"
    judge(report)
    print(render_report(report))
    print(f"\nJSON: {save(report, 'live').relative_to(ROOT)}")
    if any("error" in run for run in report.runs):
        return 2
    return 1 if any(run["events"]["missed"] for run in report.runs) else 0


if __name__ == "__main__":
    sys.exit(main())
