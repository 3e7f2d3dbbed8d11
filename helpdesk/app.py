"""The application factory: configuration, database, event broker and blueprints; no I/O at import."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any, Mapping

from flask import Flask, Response, request

from helpdesk import assets
from printers.layout import paper_width
from printers.outbox import wake_on_new_jobs
from shared.config import ConfigError, load_config
from shared.db import make_engine, make_sessionmaker
from shared.events import Broker, Event
from shared.settings import QueueSettings
from shared.web import Runtime, close_db, gettext, htmx, language


def create_app(test_config: Mapping[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """Build the Flask application; test_config overrides settings without touching the environment."""
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True, static_folder=None)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    config = load_config(Path(app.instance_path), overrides=test_config)
    try:
        paper_width(config["PRINTER_PROFILE"])
    except ValueError as error:
        raise ConfigError(f"HELPDESK_PRINTER_PROFILE: {error}") from None
    app.config.update(config)
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", MAX_CONTENT_LENGTH=2 * 1024 * 1024)

    engine = make_engine(config["DATABASE_URL"])
    broker = Broker()
    print_wake = multiprocessing.get_context("spawn").Event()  # shared with the print process
    wake_printer = wake_on_new_jobs(print_wake)

    def publish(events: list[Event]) -> None:
        broker.publish(events)
        wake_printer(events)

    app.extensions["helpdesk"] = Runtime(
        engine=engine,
        sessions=make_sessionmaker(engine, publish=publish),
        broker=broker,
        queue=QueueSettings.from_config(config),
        print_wake=print_wake,
    )
    htmx.init_app(app)
    app.teardown_appcontext(close_db)
    app.jinja_env.globals["_"] = gettext  # a global, so imported macros can translate too
    app.context_processor(lambda: {"lang": language(), "config": app.config})
    app.after_request(_vary_on_htmx)

    from dashboard.routes import bp as dashboard_bp
    from kiosk.routes import bp as kiosk_bp

    app.register_blueprint(assets.bp)
    app.register_blueprint(kiosk_bp)
    app.register_blueprint(dashboard_bp)
    return app


def _vary_on_htmx(response: Response) -> Response:
    # One URL serves a page or its fragment, so caches must key on the HX-Request header.
    if request.endpoint and not request.endpoint.startswith("assets."):
        response.vary.add("HX-Request")
    return response
