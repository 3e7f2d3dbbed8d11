"""The waiting-room TV: public, ticket numbers and desks only."""

from __future__ import annotations

import json

from flask import Blueprint, Response, render_template

from shared.board import display
from shared.dates import clock_time, long_date
from shared.events import Event
from shared.live import ROOM, Frames, live_stream, shared
from shared.web import db, event_stream, language, runtime

bp = Blueprint(
    "display", __name__, template_folder="templates", static_folder="static", static_url_path="/display/static"
)

SPOKEN_EVENTS = ("visit.called", "visit.recalled", "visit.transferred")


@bp.get("/display")
def index() -> str:
    """The full-screen waiting-room display."""
    moment, zone = runtime().now(), runtime().queue.timezone
    return render_template(
        "display/display.html",
        board=display(db(), runtime().queue.today(moment)),
        date=long_date(moment, zone, language()),
        clock=clock_time(moment, zone, language()),
        server_ms=int(moment.timestamp() * 1000),
    )


@bp.get("/display/events")
def events() -> Response:
    """Server-sent events: the whole board on every (re)connect and change, and each call to announce."""
    return event_stream(live_stream(board_frames, announce=announcement, rank=ROOM))


def board_frames() -> Frames:
    """The board fragment, rendered once per change for all TVs; no session is held while waiting."""
    return [("board", shared("display-board", render_board))]


def render_board() -> str:
    """Today's board as HTML."""
    with runtime().sessions() as session:
        state = display(session, runtime().queue.today(runtime().now()))
    return render_template("display/_board.html", board=state)


def announcement(event: Event) -> Frames:
    """What the TV chimes and speaks for a call, recall or transfer."""
    if event.name not in SPOKEN_EVENTS:
        return []
    call = {"number": event.data["number"], "desk": event.data["desk"], "recall": event.name == "visit.recalled"}
    return [("announce", json.dumps(call))]
