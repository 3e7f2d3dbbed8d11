"""The `helpdesk` command: serve, database, seed data and printer tools."""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from helpdesk.app import create_app
from helpdesk.server import run_server, run_workers, workers_refused
from shared import migrate
from shared.consultation.knowledge import KnowledgeError, add_regulation, deactivate_regulation, list_regulations
from shared.models import RegulationKind, Role
from shared.seed import seed as seed_data
from shared.settings import lan_ip, phones_address, unreachable_by_phones
from shared.staff import StaffError, add_user, deactivate, ensure_admin, reset_password
from shared.web import runtime

cli = FlaskGroup(create_app=create_app, help="KPU walk-in helpdesk.")


def _app() -> Flask:
    return current_app._get_current_object()  # type: ignore[attr-defined]


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0 for the LAN).")
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=24, show_default=True, type=int, help="Threads for ordinary requests, per worker.")
@click.option(
    "--streams",
    default=400,
    show_default=True,
    type=int,
    help="Live screens (server-sent event streams) kept open at once, per worker.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Web server processes; more than one needs Linux and PostgreSQL.",
)
@with_appcontext
def serve(host: str, port: int, threads: int, streams: int, workers: int) -> None:
    """Serve the helpdesk with waitress (Linux and Windows) and run the print worker."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = _app()
    refused = workers_refused(app.config["DATABASE_URL"], workers)
    if refused:
        raise click.ClickException(refused)
    if migrate.current(runtime().engine) is None:
        raise click.ClickException("the database is empty: run `helpdesk db upgrade` and `helpdesk seed` first")
    _announce_phones_address(app, host, port)
    if workers == 1:
        run_server(app, host, port, threads, streams)
    else:
        run_workers(partial(create_app, instance_path=app.instance_path), app, host, port, threads, streams, workers)


def _announce_phones_address(app: Flask, host: str, port: int) -> None:
    """Put the address phones will open into ticket QR codes, say it, and warn loudly when no phone can open it."""
    configured = app.config["PUBLIC_URL"] if app.config["PUBLIC_URL_CONFIGURED"] else ""
    address = phones_address(configured, host, port, lan_ip)
    app.config["PUBLIC_URL"] = os.environ["HELPDESK_PUBLIC_URL"] = address  # the environment: for --workers too
    runtime().queue = dataclasses.replace(runtime().queue, public_url=address)
    click.echo(
        f"Helpdesk: visitors' phones open {address}/t/... (the QR codes on tickets); the TV opens {address}/display"
    )
    if unreachable_by_phones(address):
        click.secho(
            f"\nWARNING: {address} is this computer's own loopback address: no phone can open the QR codes on\n"
            "tickets. Serve on the network with `helpdesk serve --host 0.0.0.0` (`make run HOST=0.0.0.0`), or set\n"
            "HELPDESK_PUBLIC_URL to the address phones reach this server at.\n",
            fg="red",
            bold=True,
            err=True,
        )


@cli.group()
def db() -> None:
    """Database schema."""


@db.command()
@with_appcontext
def upgrade() -> None:
    """Create or migrate the database schema to the newest version."""
    migrate.upgrade(runtime().engine)
    click.echo(f"database at revision {migrate.current(runtime().engine)}")


@cli.command()
@with_appcontext
def seed() -> None:
    """Add the office, parties and consultation topics that are missing."""
    app = _app()
    with runtime().sessions() as session:
        added = seed_data(
            session,
            app.config["OFFICE_NAME"],
            app.config["TIMEZONE"],
            app.config["DESKS"],
            app.config["PROVINCE_NAME"],
            app.config["REPORT_CODE"],
            datetime.now(UTC),
        )
        password = ensure_admin(session, datetime.now(UTC))
    click.echo("seeded: " + ", ".join(f"{count} {what.replace('_', ' ')}" for what, count in added.items()))
    if password:
        click.echo(
            "\nAn administrator account was created. Sign in at /login with\n"
            f"  username: admin\n  password: {password}\n"
            "This password works once: the first sign-in asks for a password of your own.\n"
            'Add officers with `helpdesk officer add USERNAME --name "..." --role officer`.'
        )


@cli.group()
def officer() -> None:
    """Staff accounts."""


@officer.command("add")
@click.argument("username")
@click.option("--name", required=True, help="Full name, as shown to colleagues.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.OFFICER.value, show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of asking.")
@with_appcontext
def officer_add(username: str, name: str, role: str, password_stdin: bool) -> None:
    """Create a staff account."""
    password = _read_password(password_stdin)
    with runtime().sessions() as session:
        try:
            user = add_user(session, username, name, Role(role), password, datetime.now(UTC))
        except StaffError as error:
            raise click.ClickException(str(error)) from error
    click.echo(f"account {user.username} ({Role(role).label}) created")


@officer.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of asking.")
@with_appcontext
def officer_passwd(username: str, password_stdin: bool) -> None:
    """Set a new password for an account (one who forgot theirs); they must change it at their next sign-in."""
    password = _read_password(password_stdin)
    with runtime().sessions() as session:
        try:
            user = reset_password(session, username, password)
        except StaffError as error:
            raise click.ClickException(str(error)) from error
    click.echo(f"password of {user.username} set; they choose their own at the next sign-in, and are signed out now")


@officer.command("deactivate")
@click.argument("username")
@with_appcontext
def officer_deactivate(username: str) -> None:
    """Close an account: it can no longer sign in and is signed out everywhere; its work stays on record."""
    with runtime().sessions() as session:
        try:
            user = deactivate(session, username, datetime.now(UTC))
        except StaffError as error:
            raise click.ClickException(str(error)) from error
    click.echo(f"account {user.username} deactivated")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@cli.group()
def regulation() -> None:
    """The rules answers cite (laws, KPU regulations and decisions, guidelines, circulars)."""


@regulation.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include deactivated rules.")
@with_appcontext
def regulation_list(show_all: bool) -> None:
    """Show the rules officers can cite, in order."""
    with runtime().sessions() as session:
        rules = list_regulations(session, active_only=not show_all)
    for rule in rules:
        state = "" if rule.active else "(deactivated) "
        click.echo(f"{rule.short_name:<34}  {rule.kind.value:<12}  {state}{rule.title}")
    if not rules:
        click.echo("no rules listed")


@regulation.command("add")
@click.argument("short_name")
@click.option("--kind", required=True, type=click.Choice([kind.value for kind in RegulationKind]))
@click.option("--title", required=True, help='The full title, e.g. "Peraturan KPU Nomor 4 Tahun 2022 tentang ...".')
@with_appcontext
def regulation_add(short_name: str, kind: str, title: str) -> None:
    """Add a rule (such as "PKPU 4/2022") to the list; a deactivated one comes back with this kind and title."""
    with runtime().sessions() as session:
        try:
            rule = add_regulation(session, kind, short_name, title)
        except KnowledgeError as error:
            raise click.ClickException(str(error)) from error
    click.echo(f"rule {rule.short_name} ({rule.kind.label}) listed")


@regulation.command("deactivate")
@click.argument("short_name")
@with_appcontext
def regulation_deactivate(short_name: str) -> None:
    """Stop offering a rule for new answers; answers that already cite it keep it."""
    with runtime().sessions() as session:
        try:
            rule = deactivate_regulation(session, short_name)
        except KnowledgeError as error:
            raise click.ClickException(str(error)) from error
    click.echo(f"rule {rule.short_name} deactivated")


@cli.group()
def printer() -> None:
    """Printer tools."""


@printer.command("test")
@with_appcontext
def printer_test() -> None:
    """Print a test page on the configured printer now, bypassing the queue."""
    from printers.layout import paper_width, test_page, to_escpos, to_png
    from printers.transports import PrinterError, make_transport

    app = _app()
    profile = app.config["PRINTER_PROFILE"]
    document = test_page(
        app.config["OFFICE_NAME"],
        app.config["PRINTER"],
        app.config["PUBLIC_URL"],
        datetime.now(UTC),
        app.config["TIMEZONE"],
    )
    transport = make_transport(app.config["PRINTER"], Path(app.instance_path) / "printouts")
    try:
        transport.send(
            0,
            to_escpos(document, profile, app.config["PRINTER_NATIVE_QR"]),
            lambda: to_png(document, paper_width(profile)),
        )
    except PrinterError as error:
        raise click.ClickException(f"the printer did not take the test page: {error}") from error
    click.echo(f"test page sent to {transport.description}")


@printer.command("emulate")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=9100, show_default=True, type=int)
@click.option(
    "--out", "out_dir", default="printouts", show_default=True, type=click.Path(file_okay=False, path_type=Path)
)
@click.option(
    "--width",
    default="576",
    show_default=True,
    type=click.Choice(["576", "384"]),
    help="Paper width in dots (80 or 58 mm).",
)
@click.option(
    "--pictures/--no-pictures", default=True, show_default=True, help="Render a PNG per job (off for load tests)."
)
def emulate(host: str, port: int, out_dir: Path, width: str, pictures: bool) -> None:
    """Run a virtual network printer that renders each ESC/POS job to a PNG."""
    from printers.emulator import serve as serve_emulator

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    out_dir.mkdir(parents=True, exist_ok=True)
    click.echo(f"virtual printer on tcp://{host}:{port}, writing PNGs into {out_dir}")
    serve_emulator(host, port, out_dir, width_dots=int(width), pictures=pictures)


def main() -> None:
    """Entry point of the `helpdesk` console script."""
    sys.exit(cli.main())
