"""Ticket layouts, ESC/POS output, printer transports and the print queue; no Flask here."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path


def _import_escpos_quietly() -> None:
    """Import python-escpos without its import-time side effects leaking into the application.

    It calls logging.basicConfig() and writes a capabilities cache into the temp folder on import.
    """
    cache = Path(tempfile.gettempdir()) / f"helpdesk-escpos-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    cache.mkdir(exist_ok=True)
    os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(cache))
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    import escpos.printer  # noqa: F401

    root.handlers[:], root.level = handlers, level


def _below_warning_from_escpos(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING or f"{os.sep}escpos{os.sep}" not in record.pathname


def quiet_escpos_logging() -> None:
    """Drop python-escpos's INFO lines, which it writes to the root logger on every open and close."""
    logging.getLogger().addFilter(_below_warning_from_escpos)


_import_escpos_quietly()
