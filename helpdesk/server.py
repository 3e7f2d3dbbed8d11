"""Serving: waitress for the web, a child process for printing."""

from __future__ import annotations

import click
from flask import Flask

from helpdesk.printing import PrintProcess


def run_server(app: Flask, host: str, port: int, threads: int, streams: int) -> None:
    """Serve until interrupted; each live screen holds a thread, so streams get their own share."""
    import waitress

    app.config["SSE_MAX_STREAMS"] = streams
    printer = PrintProcess(app) if app.config["PRINT_WORKER"] else None
    if printer:
        printer.start()
    click.echo(f"Helpdesk: kiosk at http://{host}:{port}/kiosk  (printer: {app.config['PRINTER']})")
    try:
        waitress.serve(app, host=host, port=port, threads=threads + streams,
                       connection_limit=threads + streams + 100, channel_timeout=60, ident="helpdesk")
    finally:
        if printer:
            printer.stop()
