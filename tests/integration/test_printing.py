"""The print outbox: saved first, printed after, retried until the printer takes the whole job."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from printers.emulator import Emulator
from printers.outbox import PrinterSettings, PrintWorker, wake_on_new_jobs
from printers.transports import PrinterError, make_transport
from shared.db import make_sessionmaker
from shared.events import Broker
from shared.models import PrintJob, PrintStatus
from shared.print_status import PrinterTrouble, printer_trouble, ticket_print_status
from tests.conftest import NOW, free_port
from tests.integration.test_checkin import checkin

SETTINGS = PrinterSettings(profile="TM-T20II", max_backoff_seconds=30)


class RecordingTransport:
    """A printer stand-in that records jobs, and fails while told to."""

    description = "recording"

    def __init__(self) -> None:
        self.jobs: list[tuple[int, bytes]] = []
        self.failing = False

    def send(self, job_id: int, data: bytes, preview: Callable[[], Image.Image]) -> None:
        if self.failing:
            raise PrinterError("printer is off")
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
    assert (job.status, job.attempts, job.last_error) == (PrintStatus.PENDING, 1, "printer is off")
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
    assert printer_trouble(session) is None  # waiting for its first try is no trouble
    transport.failing = True
    worker.run_once()
    checkin(session, NOW + timedelta(minutes=3))  # queued behind the failed one
    session.rollback()
    assert printer_trouble(session) == PrinterTrouble(2, NOW, "printer is off")
    transport.failing = False
    assert worker.run_once(eager=True) is True
    session.rollback()
    assert printer_trouble(session) is None  # the one left has not failed: the printer works again
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
    assert "127.0.0.1" in (session.get_one(PrintJob, ticket.print_job_id).last_error or "")
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
    monkeypatch.setattr("printers.transports.NETWORK_TIMEOUT_SECONDS", 0.5)
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
    kiosk = make_sessionmaker(engine, publish=wake_on_new_jobs(wake))
    worker = PrintWorker(sessions, make_transport(f"tcp://127.0.0.1:{emulator.port}", tmp_path), SETTINGS, wake)
    worker.start()
    try:
        with kiosk() as session:
            checkin(session)
            checkin(session)
        wait_for(lambda: len(emulator.jobs()) == 2)
    finally:
        worker.stop()
