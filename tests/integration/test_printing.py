"""The print outbox: saved first, printed after, retried until the printer takes the whole job."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from threading import Event

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from printers import quiet_escpos_logging
from printers.emulator import Emulator
from printers.lock import printer_lock
from printers.outbox import MAX_ATTEMPTS, PrinterSettings, PrintWorker, utcnow, wake_on_new_jobs
from printers.transports import PrinterError, make_transport
from shared.db import make_sessionmaker
from shared.events import Broker
from shared.models import PrinterState, PrintJob, PrintStatus
from shared.print_status import (
    PROBLEMS,
    PrintError,
    PrinterTrouble,
    SetAside,
    printer_down,
    printer_running,
    printer_trouble,
    reprint,
    ticket_print_status,
)
from tests.conftest import NOW, free_port
from tests.factories import checkin

SETTINGS = PrinterSettings(profile="TM-T20II", max_backoff_seconds=30)


class RecordingTransport:
    """A printer stand-in that records jobs, and fails while told to."""

    description = "recording"
    paper = None

    def __init__(self) -> None:
        self.jobs: list[tuple[int, bytes]] = []
        self.failing = False

    def send(self, job_id: int, data: bytes, preview: Callable[[], Image.Image]) -> None:
        if self.failing:
            raise PrinterError("unreachable", "printer is off", delivered=False)
        self.jobs.append((job_id, data))


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def decoded_qr(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Emulator]:
    with Emulator("127.0.0.1", 0, tmp_path / "printer") as printer:
        yield printer


def wait_for(condition: Callable[[], object], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_job_counts_as_printed_only_after_the_printer_took_it(
    session: Session, sessions: sessionmaker[Session], broker: Broker
) -> None:
    ticket = checkin(session)
    transport = RecordingTransport()
    worker = PrintWorker(sessions, transport, SETTINGS, threading.Event(), clock=Clock(NOW))
    assert ticket_print_status(session, ticket.print_job_id).printed is False
    with broker.subscribe() as events:
        assert worker.run_once() is True
        assert events.get(0.1).name == "print.printed"
    assert [job_id for job_id, _ in transport.jobs] == [ticket.print_job_id]
    assert b"A-001" in transport.jobs[0][1]
    session.rollback()
    assert ticket_print_status(session, ticket.print_job_id).printed is True
    assert worker.run_once() is None


def test_a_failing_printer_delays_the_job_and_backs_off(session: Session, sessions: sessionmaker[Session]) -> None:
    ticket = checkin(session)
    transport, clock = RecordingTransport(), Clock(NOW)
    transport.failing = True
    worker = PrintWorker(sessions, transport, SETTINGS, threading.Event(), clock=clock)
    assert worker.run_once() is False
    assert worker.run_once() is None  # backing off: not due yet
    session.rollback()
    job = session.get_one(PrintJob, ticket.print_job_id)
    assert (job.status, job.attempts, job.last_error) == (PrintStatus.PENDING, 0, "unreachable")
    assert ticket_print_status(session, job.id).delayed is True
    clock.now += timedelta(seconds=1)
    assert worker.run_once() is False
    session.rollback()
    assert session.get_one(PrintJob, job.id).next_attempt_at == clock.now + timedelta(seconds=2)
    transport.failing = False
    assert worker.run_once(eager=True) is True  # a new check-in wakes the worker: try at once
    assert [job_id for job_id, _ in transport.jobs] == [job.id]


def test_jobs_print_in_check_in_order_after_an_outage(session: Session, sessions: sessionmaker[Session]) -> None:
    transport, clock = RecordingTransport(), Clock(NOW)
    worker = PrintWorker(sessions, transport, SETTINGS, threading.Event(), clock=clock)
    transport.failing = True
    first = checkin(session)
    worker.run_once()
    second = checkin(session)
    transport.failing = False
    while worker.run_once(eager=True):
        pass
    assert [job_id for job_id, _ in transport.jobs] == [first.print_job_id, second.print_job_id]


def test_staff_learn_of_a_printer_fault_until_every_held_ticket_printed(
    session: Session, sessions: sessionmaker[Session]
) -> None:
    transport, clock = RecordingTransport(), Clock(NOW)
    worker = PrintWorker(sessions, transport, SETTINGS, threading.Event(), clock=clock)
    first = checkin(session)
    assert not printer_trouble(session)  # waiting for its first try is no trouble
    transport.failing = True
    worker.run_once()
    checkin(session, NOW + timedelta(minutes=3))  # queued behind the failed one
    session.rollback()
    assert printer_trouble(session) == PrinterTrouble(unprinted=2, since=NOW, problem=PROBLEMS["unreachable"])
    transport.failing = False
    assert worker.run_once(eager=True) is True
    session.rollback()
    assert not printer_trouble(session)  # the one left has not failed: the printer works again
    assert worker.run_once(eager=True) is True
    assert [job_id for job_id, _ in transport.jobs][0] == first.print_job_id


def test_a_job_claimed_by_a_crashed_process_is_taken_over(session: Session, sessions: sessionmaker[Session]) -> None:
    ticket = checkin(session)
    job = session.get_one(PrintJob, ticket.print_job_id)
    job.status, job.claimed_until = PrintStatus.PRINTING, NOW + timedelta(seconds=60)
    session.commit()
    transport, clock = RecordingTransport(), Clock(NOW)
    worker = PrintWorker(sessions, transport, SETTINGS, threading.Event(), clock=clock)
    assert worker.run_once(eager=True) is None
    clock.now += timedelta(seconds=61)
    assert worker.run_once() is True


def test_a_ticket_reaches_a_network_printer_and_its_qr_opens_the_status_page(
    session: Session, sessions: sessionmaker[Session], emulator: Emulator, tmp_path: Path
) -> None:
    ticket = checkin(session)
    transport = make_transport(f"tcp://127.0.0.1:{emulator.port}", tmp_path)
    worker = PrintWorker(sessions, transport, SETTINGS, threading.Event())
    assert worker.run_once() is True
    wait_for(emulator.jobs)
    (job,) = emulator.jobs()
    page = Image.open(emulator.out_dir / "job-0001.png")
    assert page.width == 576
    assert decoded_qr(page) == [ticket.status_url]


def test_refused_then_back_the_job_prints(session: Session, sessions: sessionmaker[Session], tmp_path: Path) -> None:
    ticket = checkin(session)
    port = free_port()
    transport = make_transport(f"tcp://127.0.0.1:{port}", tmp_path)
    worker = PrintWorker(sessions, transport, SETTINGS, threading.Event())
    assert worker.run_once() is False  # nothing listens: connection refused
    session.rollback()
    assert session.get_one(PrintJob, ticket.print_job_id).last_error == "unreachable"
    with Emulator("127.0.0.1", port, tmp_path / "printer") as printer:
        assert worker.run_once(eager=True) is True
        wait_for(printer.jobs)
        assert decoded_qr(Image.open(printer.out_dir / "job-0001.png")) == [ticket.status_url]


def _dropping_printer(ready: threading.Event, port_box: list[int]) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port_box.append(server.getsockname()[1])
        ready.set()
        conn, _ = server.accept()
        conn.recv(64)  # takes a little, then the power goes
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        conn.close()


def test_a_printer_that_drops_mid_job_keeps_the_job_queued(
    session: Session, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    ticket = checkin(session)
    ready, port_box = threading.Event(), []
    thread = threading.Thread(target=_dropping_printer, args=(ready, port_box))
    thread.start()
    ready.wait(5)
    worker = PrintWorker(
        sessions, make_transport(f"tcp://127.0.0.1:{port_box[0]}", tmp_path), SETTINGS, threading.Event()
    )
    assert worker.run_once() is False
    thread.join(5)
    session.rollback()
    job = session.get_one(PrintJob, ticket.print_job_id)
    assert job.status == PrintStatus.PENDING and job.last_error


def test_a_printer_that_does_not_answer_times_out(
    session: Session, sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("printers.transports.CONNECT_TIMEOUT_SECONDS", 0.5)
    checkin(session)
    with socket.socket() as server, socket.socket() as queued:
        server.bind(("127.0.0.1", 0))
        server.listen(0)  # never accepts; once the backlog is full, new connections hang
        queued.setblocking(False)
        queued.connect_ex(server.getsockname())
        worker = PrintWorker(
            sessions,
            make_transport(f"tcp://127.0.0.1:{server.getsockname()[1]}", tmp_path),
            SETTINGS,
            threading.Event(),
        )
        started = time.monotonic()
        assert worker.run_once() is False
        assert time.monotonic() - started < 5


def test_the_preview_printer_writes_png_and_bytes(
    session: Session, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    ticket = checkin(session)
    worker = PrintWorker(sessions, make_transport("preview", tmp_path / "printouts"), SETTINGS, threading.Event())
    assert worker.run_once() is True
    base = tmp_path / "printouts" / f"job-{ticket.print_job_id:06d}"
    assert base.with_suffix(".bin").read_bytes().startswith(b"\x1b")
    assert decoded_qr(Image.open(base.with_suffix(".png"))) == [ticket.status_url]


def test_the_background_worker_prints_as_soon_as_a_job_is_queued(
    engine: Engine, sessions: sessionmaker[Session], emulator: Emulator, tmp_path: Path
) -> None:
    wake = threading.Event()
    kiosk = make_sessionmaker(engine, publish=wake_on_new_jobs(wake.set))
    worker = PrintWorker(sessions, make_transport(f"tcp://127.0.0.1:{emulator.port}", tmp_path), SETTINGS, wake)
    worker.start()
    try:
        with kiosk() as session:
            checkin(session)
            checkin(session)
        wait_for(lambda: len(emulator.jobs()) == 2)
    finally:
        worker.stop()


class FlakyTransport(RecordingTransport):
    """A printer that fails given jobs as told, taking (or not taking) their bytes first."""

    def __init__(self, error: PrinterError, failing_jobs: set[int]) -> None:
        super().__init__()
        self.error, self.failing_jobs, self.tries = error, failing_jobs, 0

    def send(self, job_id: int, data: bytes, preview: Callable[[], Image.Image]) -> None:
        self.tries += 1
        if job_id in self.failing_jobs:
            raise self.error
        super().send(job_id, data, preview)


@pytest.mark.parametrize("answers_status", [False, True], ids=["silent", "answering"])
def test_a_printer_that_keeps_the_connection_open_prints_each_ticket_once(
    session: Session, sessions: sessionmaker[Session], tmp_path: Path, answers_status: bool
) -> None:
    tickets = [checkin(session), checkin(session)]
    # It holds each connection open for longer than any close timeout, and the next one waits meanwhile.
    with Emulator("127.0.0.1", 0, tmp_path / "printer", answers_status=answers_status, linger=11) as printer:
        worker = PrintWorker(sessions, make_transport(f"tcp://127.0.0.1:{printer.port}", tmp_path), SETTINGS, Event())
        started = time.monotonic()
        assert [worker.run_once(), worker.run_once()] == [True, True]
        assert time.monotonic() - started < 10
        assert worker.run_once(eager=True) is None  # printed: nothing is sent again
        session.rollback()
        assert [session.get_one(PrintJob, ticket.print_job_id).attempts for ticket in tickets] == [1, 1]
        printer.linger = 0  # let it take the second connection, which waited in its queue
        wait_for(lambda: len(printer.jobs()) == 2)
    assert [b"A-00" + str(n).encode() in (printer.out_dir / f"job-000{n}.bin").read_bytes() for n in (1, 2)] == [
        True,
        True,
    ]


def test_a_printer_that_answers_status_confirms_each_job_and_says_when_paper_runs_low(
    session: Session, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    printer_running(session, "this-process", NOW)
    first, second = checkin(session), checkin(session)
    with Emulator("127.0.0.1", 0, tmp_path / "printer", answers_status=True) as printer:
        transport = make_transport(f"tcp://127.0.0.1:{printer.port}", tmp_path)
        worker = PrintWorker(sessions, transport, SETTINGS, Event())
        assert worker.run_once() is True  # the answer to GS r is the proof: no waiting for the printer to hang up
        assert transport.answers_status is True
        printer.paper = "low"
        assert worker.run_once() is True
        session.rollback()
        assert printer_trouble(session).paper_low is True
    assert [job["bytes"] > 100 for job in printer.jobs()] == [True, True]
    first_bytes = (printer.out_dir / "job-0001.bin").read_bytes()
    assert first_bytes.startswith(b"\x10\x04\x01\x10\x04\x04\x1b@") and first_bytes.endswith(b"\x1dr\x01")
    assert {first.print_job_id, second.print_job_id} == set(
        session.scalars(select(PrintJob.id).where(PrintJob.status == PrintStatus.PRINTED))
    )


def test_a_printer_out_of_paper_is_not_sent_the_job_until_paper_is_back(
    session: Session, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    ticket = checkin(session)
    with Emulator("127.0.0.1", 0, tmp_path / "printer", answers_status=True) as printer:
        printer.paper = "out"
        worker = PrintWorker(sessions, make_transport(f"tcp://127.0.0.1:{printer.port}", tmp_path), SETTINGS, Event())
        assert worker.run_once() is False
        session.rollback()
        job = session.get_one(PrintJob, ticket.print_job_id)
        assert (job.status, job.attempts, job.last_error) == (PrintStatus.PENDING, 0, "paper_out")
        assert printer_trouble(session).problem == PROBLEMS["paper_out"]
        printer.paper = "ok"
        assert worker.run_once(eager=True) is True
        wait_for(printer.jobs)
    assert len(printer.jobs()) == 1  # the questions asked while it was out printed nothing


def test_a_job_that_keeps_failing_mid_print_is_set_aside_and_the_queue_goes_on(
    session: Session, sessions: sessionmaker[Session], broker: Broker
) -> None:
    stuck, behind = checkin(session), checkin(session)
    transport = FlakyTransport(PrinterError("interrupted", "reset"), {stuck.print_job_id})
    worker = PrintWorker(sessions, transport, SETTINGS, Event(), clock=Clock(NOW))
    with broker.subscribe() as events:
        results = [worker.run_once(eager=True) for _ in range(MAX_ATTEMPTS + 1)]
        names = [event.name for event in iter(lambda: events.get(0.05), None)]
    assert results == [False] * MAX_ATTEMPTS + [True]
    assert names == ["print.delayed"] * (MAX_ATTEMPTS - 1) + ["print.set_aside", "print.printed"]
    assert [job_id for job_id, _ in transport.jobs] == [behind.print_job_id]
    session.rollback()
    trouble = printer_trouble(session)
    assert trouble.set_aside == (SetAside(stuck.print_job_id, "A-001", PROBLEMS["interrupted"]),)
    assert worker.run_once(eager=True) is None  # a set-aside job waits for an officer

    transport.failing_jobs.clear()
    reprint(session, stuck.print_job_id, NOW)
    assert worker.run_once() is True
    assert [job_id for job_id, _ in transport.jobs] == [behind.print_job_id, stuck.print_job_id]
    session.rollback()
    assert not printer_trouble(session)
    with pytest.raises(PrintError):
        reprint(session, stuck.print_job_id, NOW)  # printed now: nothing to print again


def test_a_printer_that_cannot_be_reached_never_has_its_jobs_set_aside(
    session: Session, sessions: sessionmaker[Session]
) -> None:
    ticket = checkin(session)
    transport = FlakyTransport(PrinterError("unreachable", delivered=False), {1, ticket.print_job_id})
    worker = PrintWorker(sessions, transport, SETTINGS, Event(), clock=Clock(NOW))
    assert [worker.run_once(eager=True) for _ in range(10)] == [False] * 10
    session.rollback()
    job = session.get_one(PrintJob, ticket.print_job_id)
    assert (job.status, job.attempts) == (PrintStatus.PENDING, 0)  # nothing was sent, so nothing can print twice


def test_the_log_says_each_change_of_the_printer_state_once(
    session: Session, sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    ticket = checkin(session)
    transport = FlakyTransport(PrinterError("unreachable", "refused", delivered=False), {ticket.print_job_id})
    worker = PrintWorker(sessions, transport, SETTINGS, Event(), clock=Clock(NOW))
    with caplog.at_level(logging.DEBUG):
        for _ in range(5):
            worker.run_once(eager=True)
        transport.failing_jobs.clear()
        worker.run_once(eager=True)
    lines = [(record.name, record.levelname, record.getMessage()) for record in caplog.records]
    assert lines == [
        ("printers.outbox", "WARNING", "recording cannot print (unreachable: refused); retrying with back-off"),
        ("printers.outbox", "INFO", "recording prints again"),
    ]


def test_python_escpos_info_lines_are_dropped_and_its_warnings_kept(caplog: pytest.LogCaptureFixture) -> None:
    from escpos.printer import Network

    quiet_escpos_logging()
    with caplog.at_level(logging.INFO):
        printer = Network("127.0.0.1", free_port(), timeout=0.2)
        with contextlib.suppress(Exception):
            printer.open()
        printer.close()
        logging.getLogger().warning("the application's own lines stay")
    assert [record.getMessage() for record in caplog.records] == ["the application's own lines stay"]


def test_a_new_holder_of_the_printer_takes_over_a_dead_process_job_at_once(
    db_url: str, engine: Engine, session: Session, sessions: sessionmaker[Session]
) -> None:
    ticket = checkin(session)
    job = session.get_one(PrintJob, ticket.print_job_id)
    job.status, job.attempts, job.claimed_until = PrintStatus.PRINTING, 1, utcnow() + timedelta(seconds=60)
    session.commit()
    transport = RecordingTransport()
    worker = PrintWorker(sessions, transport, SETTINGS, Event(), lock=printer_lock(engine, db_url), holder="new")
    worker.start()
    try:
        wait_for(lambda: transport.jobs, timeout=5)  # not after the dead process's 60 s claim
    finally:
        worker.stop()
    session.expire_all()
    assert session.get_one(PrintJob, ticket.print_job_id).attempts == 2  # the dead process's try counts


def test_one_process_prints_while_another_stands_by_and_takes_over_when_it_stops(
    db_url: str, engine: Engine, session: Session, sessions: sessionmaker[Session]
) -> None:
    first, second = RecordingTransport(), RecordingTransport()
    wake_first, wake_second = Event(), Event()
    printing = PrintWorker(sessions, first, SETTINGS, wake_first, lock=printer_lock(engine, db_url), holder="one")
    printing.start()
    wait_for(lambda: session.get(PrinterState, 1) is not None or session.rollback())
    standby = PrintWorker(sessions, second, SETTINGS, wake_second, lock=printer_lock(engine, db_url), holder="two")
    standby.start()
    try:
        for _ in range(3):
            checkin(session)
            wake_first.set()
            wake_second.set()
        wait_for(lambda: len(first.jobs) == 3)
        assert second.jobs == []
        printing.stop()
        ticket = checkin(session)
        wake_second.set()
        wait_for(lambda: [job_id for job_id, _ in second.jobs] == [ticket.print_job_id])
        session.rollback()
        assert session.get_one(PrinterState, 1).holder == "two"
    finally:
        printing.stop()
        standby.stop()


def test_officers_learn_that_printing_stopped_while_no_print_process_runs(session: Session) -> None:
    printer_running(session, "old", NOW)
    job_id = checkin(session).print_job_id
    assert not printer_trouble(session)
    assert printer_down(session, "old", NOW + timedelta(seconds=5)) is True
    assert printer_trouble(session).down_since == NOW + timedelta(seconds=5)
    assert ticket_print_status(session, job_id).delayed is True  # the kiosk says so too
    printer_running(session, "new", NOW + timedelta(seconds=7))
    assert printer_down(session, "old", NOW + timedelta(seconds=8)) is False  # the new one holds the printer
    assert not printer_trouble(session).down_since
