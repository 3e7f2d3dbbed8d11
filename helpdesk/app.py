"""The application factory: configuration, database, event broker and blueprints; no I/O at import."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from flask_babel import Babel
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.routing import IntegerConverter, Map
from werkzeug.utils import import_string

from helpdesk import security
from printers.layout import paper_width
from printers.outbox import wake_on_new_jobs
from shared.config import ConfigError, load_config
from shared.dates import clock_time
from shared.db import make_engine, make_sessionmaker
from shared.events import Broker, Event
from shared.i18n import SOURCE_LANGUAGE, TRANSLATIONS, check_catalogs
from shared.pg_events import Listener, channel_for, is_postgresql, notifier
from shared.settings import QueueSettings, lan_ip, phones_address
from shared.web import Runtime, close_db, gettext, htmx, language, runtime, upload_limit

DEFAULT_PORT = 5000  # `helpdesk serve`'s
# Imported by name when the app is built, so importing this module stays free of side effects.
BLUEPRINTS = (
    "helpdesk.assets:bp",
    "kiosk.routes:bp",
    "kiosk.receipt:bp",
    "kiosk.display:bp",
    "dashboard.auth:bp",
    "dashboard.routes:bp",
    "dashboard.consultation:bp",
    "dashboard.province:bp",
    "dashboard.knowledge:bp",
)


def create_app(test_config: Mapping[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """Build the Flask application; test_config overrides settings without touching the environment."""
    check_catalogs()  # a missing or stale English catalog would show English users Indonesian without a word
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True, static_folder=None)
    app.url_map.converters["int"] = RowId
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    config = load_config(Path(app.instance_path), overrides=test_config)
    try:
        paper_width(config["PRINTER_PROFILE"])
    except ValueError as error:
        raise ConfigError(f"HELPDESK_PRINTER_PROFILE: {error}") from None
    app.config.update(config, PUBLIC_URL_CONFIGURED=bool(config["PUBLIC_URL"]))
    if not config["PUBLIC_URL"]:  # `helpdesk serve` corrects the port once it knows where it listens
        app.config["PUBLIC_URL"] = config["PUBLIC_URL"] = phones_address("", "", DEFAULT_PORT, lan_ip)
    app.before_request(upload_limit)  # first, so no check reads a body before its limit is set
    security.init_app(app)

    engine = make_engine(config["DATABASE_URL"])
    broker, sessions, print_wake = _events(config["DATABASE_URL"], engine)
    app.extensions["helpdesk"] = Runtime(
        engine=engine,
        sessions=sessions,
        broker=broker,
        queue=QueueSettings.from_config(config),
        print_wake=print_wake,
    )
    htmx.init_app(app)
    app.teardown_appcontext(close_db)
    # _(), gettext() and ngettext() in templates (globals, so imported macros translate too), in language().
    Babel(
        app, locale_selector=language, default_locale=SOURCE_LANGUAGE, default_translation_directories=str(TRANSLATIONS)
    )
    app.jinja_env.filters["translated"] = gettext  # text marked with N_() elsewhere: {{ message|translated }}
    app.jinja_env.filters["clock"] = lambda moment: clock_time(moment, runtime().queue.timezone, language())
    app.context_processor(lambda: {"lang": language(), "config": app.config})
    app.after_request(_vary_on_htmx)

    for name in BLUEPRINTS:
        app.register_blueprint(import_string(name))
    return app


class RowId(IntegerConverter):
    """<int:...> in every route: a row id, so a number too large for the database is a 404, not a crash."""

    def __init__(self, url_map: Map, fixed_digits: int = 0, min: int | None = 1, max: int | None = 2**31 - 1) -> None:
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max)


def _vary_on_htmx(response: Response) -> Response:
    # One URL serves a page or its fragment, so caches must key on the HX-Request header.
    if request.endpoint and not request.endpoint.startswith("assets."):
        response.vary.add("HX-Request")
    return response


def _events(url: str, engine: Engine) -> tuple[Broker, sessionmaker[Session], threading.Event | None]:
    """How committed events reach live screens and the printer: the broker, sessions and the print wake-up.

    SQLite runs one process: events go straight to its broker and wake the print process through an Event
    that helpdesk.printing relays to it. On PostgreSQL they go out with NOTIFY and every process, this one included, hears them through its
    own listener; the print process listens for itself, so there is nothing to share with it.
    """
    if is_postgresql(url):
        channel = channel_for(url)
        return Broker(feed=partial(Listener, url, channel)), make_sessionmaker(engine, notify=notifier(channel)), None
    broker = Broker()
    print_wake = threading.Event()  # helpdesk.printing relays it to the print process; setting it never blocks
    wake_printer = wake_on_new_jobs(print_wake.set)

    def publish(events: list[Event]) -> None:
        broker.publish(events)
        wake_printer(events)

    return broker, make_sessionmaker(engine, publish=publish), print_wake
