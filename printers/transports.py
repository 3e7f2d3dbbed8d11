"""Where print jobs go: the PNG preview folder or a real printer through python-escpos."""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

from escpos import printer as escpos_printer
from escpos.escpos import Escpos
from PIL import Image

NETWORK_TIMEOUT_SECONDS = 5.0
CLOSE_TIMEOUT_SECONDS = 10.0


class PrinterError(OSError):
    """The printer could not take the job; it stays queued and is retried."""


class Transport(Protocol):
    """Sends one finished job; raises PrinterError when it could not be delivered."""

    description: str

    def send(self, job_id: int, data: bytes, preview: Callable[[], Image.Image]) -> None: ...


class PreviewTransport:
    """The virtual printer: each job becomes a PNG and its raw bytes in a folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.description = f"preview ({folder})"

    def send(self, job_id: int, data: bytes, preview: Callable[[], Image.Image]) -> None:
        """Write job-N.bin and job-N.png, replacing files atomically so readers never see half a file."""
        self.folder.mkdir(parents=True, exist_ok=True)
        base = self.folder / f"job-{job_id:06d}"
        _replace(base.with_suffix(".bin"), lambda path: path.write_bytes(data))
        _replace(base.with_suffix(".png"), lambda path: preview().save(path, format="PNG"))


def _replace(target: Path, write: Callable[[Path], object]) -> None:
    partial = target.with_name(target.name + ".part")
    write(partial)
    os.replace(partial, target)


class EscposTransport:
    """A real printer: a fresh python-escpos device per job, opened, written and closed."""

    def __init__(self, description: str, factory: Callable[[], Escpos]) -> None:
        self.description = description
        self._factory = factory

    def send(self, job_id: int, data: bytes, preview: Callable[[], Image.Image]) -> None:
        """Deliver the bytes; the job counts as printed only once the connection closed cleanly."""
        device = self._factory()
        try:
            device.open()
            device._raw(data)  # noqa: SLF001 - the bytes are already ESC/POS; python-escpos has no public raw write
            if isinstance(device, escpos_printer.Network):
                _await_printer_close(device.device)
        except Exception as error:  # python-escpos raises its own errors, OSError and AssertionError
            raise PrinterError(f"{self.description}: {error}".strip() or type(error).__name__) from error
        finally:
            _close_quietly(device)


def _await_printer_close(sock: socket.socket) -> None:
    """End our side and wait for the printer to close its own.

    Bytes handed to the kernel are not yet printed: a printer that read everything closes cleanly,
    one that dropped the job mid-way resets the connection, and one that stopped reading times out.
    """
    sock.shutdown(socket.SHUT_WR)
    sock.settimeout(CLOSE_TIMEOUT_SECONDS)
    while sock.recv(4096):  # status bytes some printers send back are ignored
        pass


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
        host, port = parts.hostname or "", parts.port or 9100
        return EscposTransport(url, lambda: escpos_printer.Network(host, port, timeout=NETWORK_TIMEOUT_SECONDS))
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
