"""Where print jobs go: the PNG preview folder, a network printer over TCP, or a device through python-escpos."""

from __future__ import annotations

import contextlib
import logging
import os
import select
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

from escpos import printer as escpos_printer
from escpos.escpos import Escpos
from PIL import Image

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 5.0
STATUS_TIMEOUT_SECONDS = 1.0  # a printer that answers status requests does so within milliseconds
PRINT_TIMEOUT_SECONDS = 20.0  # the longest a ticket takes to be taken in and processed
QUIET_SECONDS = 1.5  # a silent printer that raised no error this long after the last byte has the job
REPROBE_SECONDS = 300.0  # a printer that did not answer (perhaps busy with an earlier connection) is asked again

DLE_EOT = b"\x10\x04"
ASK_ONLINE, ASK_PAPER = DLE_EOT + b"\x01", DLE_EOT + b"\x04"  # real-time: answered at once, even mid-job
ASK_PAPER_AFTER_JOB = b"\x1dr\x01"  # GS r 1: answered once everything sent before it was processed
OFFLINE = 0x08  # DLE EOT 1
PAPER_LOW, PAPER_OUT = 0x0C, 0x60  # DLE EOT 4
AFTER_JOB_LOW, AFTER_JOB_OUT = 0x03, 0x0C  # GS r 1


class PrinterError(OSError):
    """The printer could not take the job; it stays queued and is retried.

    reason is a code from shared.print_status.PROBLEMS, shown to staff in their language; detail is for the log.
    delivered says whether the job may have reached the paper: False when nothing was sent, so a retry cannot
    print it twice.
    """

    def __init__(self, reason: str, detail: str = "", *, delivered: bool = True) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.delivered = delivered


class Transport(Protocol):
    """Sends one finished job; raises PrinterError when it could not be delivered.

    paper is what the printer last said of its paper ("ok", "low", "out"), or None if it does not say.
    """

    description: str
    paper: str | None

    def send(self, job_id: int, data: bytes, preview: Callable[[], Image.Image]) -> None: ...


class PreviewTransport:
    """The virtual printer: each job becomes a PNG and its raw bytes in a folder."""

    paper: str | None = None

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.description = f"preview ({folder})"

    def send(self, job_id: int, data: bytes, preview: Callable[[], Image.Image]) -> None:
        """Write job-N.bin and job-N.png, replacing files atomically so readers never see half a file."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            base = self.folder / f"job-{job_id:06d}"
            _replace(base.with_suffix(".bin"), lambda path: path.write_bytes(data))
            _replace(base.with_suffix(".png"), lambda path: preview().save(path, format="PNG"))
        except OSError as error:
            raise PrinterError("failed", str(error), delivered=False) from error


def _replace(target: Path, write: Callable[[Path], object]) -> None:
    partial = target.with_name(target.name + ".part")
    write(partial)
    os.replace(partial, target)


class TcpTransport:
    """A network printer (port 9100): one connection per job, and proof that the printer took it.

    A printer that answers status requests is asked for its paper before the job (nothing is sent when it
    is out) and, with GS r after the job, answers once it has processed every byte: that answer is the
    proof. One that does not answer is remembered as silent (and asked again after a while); for it, every
    byte acknowledged by its TCP stack and a quiet moment without a reset count as printed, whether or not it
    then closes the connection.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        status_timeout: float = STATUS_TIMEOUT_SECONDS,
        print_timeout: float = PRINT_TIMEOUT_SECONDS,
        quiet: float = QUIET_SECONDS,
    ) -> None:
        self.host, self.port = host, port
        self.description = f"tcp://{host}:{port}"
        self.answers_status: bool | None = None  # learned from the first job, checked again now and then
        self._silent_since = 0.0
        self.paper: str | None = None
        self._status_timeout, self._print_timeout, self._quiet = status_timeout, print_timeout, quiet

    def send(self, job_id: int, data: bytes, preview: Callable[[], Image.Image]) -> None:
        """Deliver one job and return once the printer has it; raise PrinterError otherwise."""
        try:
            sock = socket.create_connection((self.host, self.port), timeout=CONNECT_TIMEOUT_SECONDS)
        except OSError as error:
            raise PrinterError("unreachable", str(error), delivered=False) from error
        with sock:
            if self.answers_status is not False or time.monotonic() - self._silent_since > REPROBE_SECONDS:
                self._check_before(sock)
            try:
                sock.settimeout(self._print_timeout)
                sock.sendall(data + (ASK_PAPER_AFTER_JOB if self.answers_status else b""))
            except OSError as error:
                raise PrinterError("interrupted", str(error)) from error
            if self.answers_status:
                self._confirm_by_status(sock)
            else:
                self._confirm_by_silence(sock)

    def _check_before(self, sock: socket.socket) -> None:
        """Ask whether the printer is online and has paper; learn whether it answers at all."""
        try:
            sock.sendall(ASK_ONLINE + ASK_PAPER)
            answer = _read(sock, 2, self._status_timeout)
        except OSError as error:
            raise PrinterError("unreachable", str(error), delivered=False) from error
        if len(answer) < 2:
            if self.answers_status is not False:
                log.info("%s does not answer status requests; printing without them", self.description)
            self.answers_status, self._silent_since = False, time.monotonic()
            return
        if not self.answers_status:
            log.info("%s answers status requests: each job is confirmed by the printer", self.description)
        self.answers_status = True
        online, paper = answer
        self.paper = "out" if paper & PAPER_OUT == PAPER_OUT else "low" if paper & PAPER_LOW == PAPER_LOW else "ok"
        if self.paper == "out":
            raise PrinterError("paper_out", delivered=False)
        if online & OFFLINE:
            raise PrinterError("offline", delivered=False)

    def _confirm_by_status(self, sock: socket.socket) -> None:
        """The answer to GS r comes once the printer processed the job; it also says how the paper is."""
        try:
            answer = _read(sock, 1, self._print_timeout)
        except OSError as error:
            raise PrinterError("interrupted", str(error)) from error
        if not answer:
            raise PrinterError("no_answer", f"no status {self._print_timeout:.0f} s after the job")
        status = answer[0]
        self.paper = "out" if status & AFTER_JOB_OUT else "low" if status & AFTER_JOB_LOW else "ok"
        if self.paper == "out":
            raise PrinterError("paper_out", "the paper ran out during the job")

    def _confirm_by_silence(self, sock: socket.socket) -> None:
        """Every byte acknowledged, then no reset for a quiet moment: the printer has the job."""
        deadline = time.monotonic() + self._print_timeout
        try:
            while _unacknowledged(sock) > 0:
                if time.monotonic() > deadline:
                    raise PrinterError("stalled", "the printer stopped taking data")
                if _readable(sock, 0.01) and not _drain(sock):
                    raise PrinterError("interrupted", "the printer closed the connection mid-job")
            sock.shutdown(socket.SHUT_WR)
            quiet_until = time.monotonic() + self._quiet
            while (left := quiet_until - time.monotonic()) > 0:
                if _readable(sock, left) and not _drain(sock):
                    return  # the printer closed its side cleanly
        except PrinterError:
            raise
        except OSError as error:  # a reset: the printer dropped the job
            raise PrinterError("interrupted", str(error)) from error


def _read(sock: socket.socket, count: int, timeout: float) -> bytes:
    """Up to count bytes, waiting at most timeout seconds in all."""
    answer, deadline = b"", time.monotonic() + timeout
    while len(answer) < count and (left := deadline - time.monotonic()) > 0:
        if not _readable(sock, left):
            break
        chunk = sock.recv(count - len(answer))
        if not chunk:
            break
        answer += chunk
    return answer


def _readable(sock: socket.socket, timeout: float) -> bool:
    return bool(select.select([sock], [], [], timeout)[0])


def _drain(sock: socket.socket) -> bool:
    """Read what the printer sent unasked (status bytes); False once it closed its side."""
    return bool(sock.recv(4096))


def _unacknowledged(sock: socket.socket) -> int:
    """Bytes sent but not yet acknowledged by the printer; 0 where the system cannot tell (not Linux)."""
    if not sys.platform.startswith("linux"):
        return 0
    import fcntl
    import struct
    import termios

    return int(struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0"))[0])


class EscposTransport:
    """A USB, serial, file or Windows printer: a fresh python-escpos device per job, opened, written, closed."""

    paper: str | None = None

    def __init__(self, description: str, factory: Callable[[], Escpos]) -> None:
        self.description = description
        self._factory = factory

    def send(self, job_id: int, data: bytes, preview: Callable[[], Image.Image]) -> None:
        """Deliver the bytes; the job counts as printed once the device took them and closed."""
        try:
            device = self._factory()
            device.open()
        except Exception as error:  # python-escpos raises its own errors, OSError and AssertionError
            raise PrinterError("unreachable", str(error) or type(error).__name__, delivered=False) from error
        try:
            device._raw(data)  # noqa: SLF001 - the bytes are already ESC/POS; python-escpos has no public raw write
        except Exception as error:
            raise PrinterError("interrupted", str(error) or type(error).__name__) from error
        finally:
            _close_quietly(device)


def _close_quietly(device: Escpos) -> None:
    # A failed close after a failed write must not hide the first error.
    with contextlib.suppress(Exception):
        device.close()


def make_transport(url: str, preview_folder: Path) -> Transport:
    """Build the transport named by HELPDESK_PRINTER (validated by shared.config)."""
    parts = urlsplit(url)
    scheme = parts.scheme or url
    target = url.split("://", 1)[-1]
    if scheme == "preview":
        return PreviewTransport(preview_folder)
    if scheme == "tcp":
        return TcpTransport(parts.hostname or "", parts.port or 9100)
    if scheme == "usb":
        vendor, product = (int(part, 16) for part in target.split(":"))
        return EscposTransport(url, lambda: escpos_printer.Usb(vendor, product))
    if scheme == "serial":
        device, _, query = target.partition("?")
        baudrate = int(parse_qs(query).get("baudrate", ["9600"])[0])
        return EscposTransport(url, lambda: escpos_printer.Serial(device, baudrate=baudrate))
    if scheme == "file":
        return EscposTransport(url, lambda: escpos_printer.File(target))
    if scheme == "win32":
        return EscposTransport(url, lambda: escpos_printer.Win32Raw(target))
    raise ValueError(f"unknown printer {url!r}")
