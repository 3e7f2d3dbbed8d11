"""Serving: waitress for the web, a child process for printing; on Linux with PostgreSQL, several web workers."""

from __future__ import annotations

import ctypes
import logging
import os
import select
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask import Flask

from helpdesk.printing import PrintProcess
from shared.pg_events import is_postgresql

log = logging.getLogger(__name__)
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
M_ARENA_MAX = -8  # glibc's mallopt() parameter number for the arena limit


def run_server(app: Flask, host: str, port: int, threads: int, streams: int) -> None:
    """Serve in this process until SIGTERM or Ctrl-C; each live screen holds a thread, so streams get their own share."""
    with _printing(app):
        click.echo(f"Helpdesk: kiosk at http://{host}:{port}/kiosk  (printer: {app.config['PRINTER']})")
        _serve(app, threads, streams, host=host, port=port)


def workers_refused(database_url: str, workers: int) -> str | None:
    """Why this installation cannot serve from that many processes, or None if it can."""
    if workers == 1:
        return None
    if not hasattr(os, "fork"):
        return "--workers needs Linux: on this system serve from one process (raise --threads instead)"
    if not is_postgresql(database_url):
        return (
            "--workers needs PostgreSQL: with SQLite the helpdesk runs in one process, because live screens "
            "hear about changes inside that process. Set HELPDESK_DATABASE_URL=postgresql://... or leave out --workers"
        )
    return None


def run_workers(
    make_app: Callable[[], Flask], app: Flask, host: str, port: int, threads: int, streams: int, workers: int
) -> None:
    """Serve from forked worker processes sharing one listening socket, until SIGTERM or Ctrl-C; then stop them all.

    Each worker builds its own app after the fork (its own engine and event listener); a worker that dies is
    replaced. One print process serves them all.
    """
    stop = threading.Event()
    for signum in STOP_SIGNALS:
        signal.signal(signum, lambda *_: stop.set())
    app.extensions["helpdesk"].close()  # no database connection may cross a fork
    with _bind(host, port) as sock, _printing(app):
        click.echo(
            f"Helpdesk: kiosk at http://{host}:{port}/kiosk  (printer: {app.config['PRINTER']}, {workers} workers)"
        )
        children = {_fork_worker(make_app, sock, threads, streams): time.monotonic() for _ in range(workers)}
        try:
            while not stop.is_set():
                _replace_dead_workers(children, lambda: _fork_worker(make_app, sock, threads, streams))
                time.sleep(0.2)
        finally:
            _stop_workers(list(children))


def _serve(app: Flask, threads: int, streams: int, **where: Any) -> None:
    """Run waitress until SIGTERM or Ctrl-C, then close the app's connections."""
    from waitress.server import create_server

    app.config["SSE_MAX_STREAMS"] = streams
    _allow_open_files(threads + streams + 200)
    _limit_malloc_arenas()
    # poll() has no limit on descriptor numbers; select() fails past 1023 and would take the server down.
    server = create_server(
        app,
        threads=threads + streams,
        connection_limit=threads + streams + 100,
        channel_timeout=60,
        ident="helpdesk",
        asyncore_use_poll=hasattr(select, "poll"),
        **where,
    )
    _stop_on_signals(app)
    try:
        server.run()
    finally:
        app.extensions["helpdesk"].close()


def _allow_open_files(needed: int) -> None:
    """Raise this process's open-file limit towards what its connections need (Linux defaults to 1024)."""
    try:
        import resource
    except ImportError:  # Windows has no such limit to raise
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _limit_malloc_arenas(arenas: int = 2) -> None:
    """Let glibc's malloc share a few arenas among the threads instead of up to eight per core.

    Every live screen holds a thread; with an arena each, freed memory stays scattered and the server's
    memory grows with the number of screens rather than with what they show.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (musl has no arenas to limit)
        return
    libc.mallopt(M_ARENA_MAX, arenas)


def _stop_on_signals(app: Flask) -> None:
    """SIGTERM and Ctrl-C stop waitress (it stops on SystemExit) once the live streams have been told to end.

    Waitress waits for its threads before it exits, and each open live screen holds one: ending the streams
    first is what lets the server stop within seconds however many screens are open.
    """

    def stop(*_args: object) -> None:
        # A thread of its own: a signal handler must not take locks the interrupted code may hold.
        threading.Thread(target=app.extensions["helpdesk"].broker.close, name="end-streams", daemon=True).start()
        raise SystemExit(0)

    for signum in STOP_SIGNALS:
        signal.signal(signum, stop)


@contextmanager
def _printing(app: Flask) -> Iterator[None]:
    """Run the print process, when configured, for as long as the server runs."""
    printer = PrintProcess(app) if app.config["PRINT_WORKER"] else None
    if printer:
        printer.start()
    try:
        yield
    finally:
        if printer:
            printer.stop()


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket: bound once by the parent, inherited by every worker, so the kernel shares out connections."""
    return socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET, backlog=1024)


def _fork_worker(make_app: Callable[[], Flask], sock: socket.socket, threads: int, streams: int) -> int:
    """Start a worker process serving the inherited socket; returns its process id."""
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        for signum in STOP_SIGNALS:  # until _serve installs its own: nothing to finish yet
            signal.signal(signum, lambda *_: os._exit(0))
        _serve(make_app(), threads, streams, sockets=[sock])
        code = 0
    except Exception:
        log.exception("worker %s failed", os.getpid())
    finally:
        os._exit(code)  # never return into the parent's code, nor run its exit handlers


def _replace_dead_workers(children: dict[int, float], fork: Callable[[], int]) -> None:
    """Start a new worker for each one that exited."""
    for pid, started in list(children.items()):
        done, status = os.waitpid(pid, os.WNOHANG)
        if not done:
            continue
        del children[pid]
        log.error("worker %s exited unexpectedly (code %s); starting another", pid, os.waitstatus_to_exitcode(status))
        if time.monotonic() - started < 1:
            time.sleep(1)  # a worker that cannot even start must not make us spin
        children[fork()] = time.monotonic()


def _stop_workers(pids: list[int], timeout: float = 15.0) -> None:
    """Ask every worker to finish, then kill the ones still running after timeout seconds."""
    for pid in pids:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for pid in pids:
        while os.waitpid(pid, os.WNOHANG)[0] == 0:
            if time.monotonic() > deadline:
                log.warning("worker %s did not stop in %s s; killing it", pid, timeout)
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                break
            time.sleep(0.05)
