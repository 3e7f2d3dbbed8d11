"""The officers' dashboard: the live queue, calling visitors and moving them through service."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_htmx import make_response
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from dashboard.auth import current_user, roles_required
from dashboard.scan import token_from_scan
from shared import calling, print_status
from shared.board import AT_DESK, Board, board, visit_at_desk
from shared.calling import Actor, QueueError
from shared.dates import clock_time
from shared.events import Event
from shared.i18n import N_
from shared.live import Frames, live_stream, queue_changed, shared
from shared.models import Desk, Visit
from shared.print_status import printer_trouble
from shared.settings import unreachable_by_phones
from shared.staff import QUEUE_ROLES, active_desks, queue_officers
from shared.web import db, event_stream, form_number, language, runtime, wants_fragment
from shared.web import gettext as _

bp = Blueprint(
    "dashboard",
    __name__,
    url_prefix="/dashboard",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
bp.add_app_template_global(lambda status: calling.STATUS_TEXT[status], "status_text")
bp.add_app_template_global(unreachable_by_phones)


def my_desk() -> Desk | None:
    """The desk this officer chose when starting work."""
    desk_id = session.get("desk_id")
    desk = db().get(Desk, desk_id) if desk_id else None
    return desk if desk is not None and desk.active else None


def today_board() -> Board:
    """Today's queue board."""
    moment = runtime().now()
    return board(db(), runtime().queue.today(moment), moment, language())


@bp.get("/")
@roles_required(*QUEUE_ROLES)
def index() -> str | Response:
    """The dashboard, or the desk chooser when the officer has not picked a desk."""
    desk = my_desk()
    if desk is None:
        return render_template("dashboard/choose_desk.html", desks=active_desks(db()))
    return render_template(
        "dashboard/index.html",
        board=today_board(),
        desk=desk,
        **printer_notice(db()),
        visit=visit_at_desk(db(), desk.id),
        **transfer_choices(db()),
    )


def printer_notice(session_: Session) -> dict[str, Any]:
    """What dashboard/_printer.html shows: the printer's trouble, if any, with times on the office clock."""
    trouble, zone = printer_trouble(session_), runtime().queue.timezone
    return {
        "trouble": trouble,
        "since": clock_time(trouble.since, zone, language()) if trouble.since else "",
        "down_since": clock_time(trouble.down_since, zone, language()) if trouble.down_since else "",
    }


@bp.post("/desk")
@roles_required(*QUEUE_ROLES)
def choose_desk() -> Response:
    """Start work at a desk."""
    desk = db().get(Desk, form_number("desk_id") or 0)
    if desk is None or not desk.active:
        abort(400, description=N_("Pilih meja yang tersedia."))
    session["desk_id"] = desk.id
    return redirect(url_for("dashboard.index"))


@bp.get("/board")
@roles_required(*QUEUE_ROLES)
def board_fragment() -> str:
    """The queue board: waiting visitors, counts and desks."""
    return render_template("dashboard/_board.html", board=today_board())


@bp.get("/events")
@roles_required(*QUEUE_ROLES)
def events() -> Response:
    """The board and this officer's desk, pushed after every change anywhere."""
    desk_id, app, lang = session.get("desk_id"), runtime(), language()

    def build_desk(desk_id: int) -> str:
        with app.sessions() as session_:
            desk = session_.get(Desk, desk_id)
            visit = visit_at_desk(session_, desk_id)
            return render_template("dashboard/_my_desk.html", desk=desk, visit=visit, **transfer_choices(session_))

    def render() -> Frames:
        frames = queue_frames(app, lang)
        if desk_id:
            frames.append(("desk", shared(("dashboard-desk", desk_id), partial(build_desk, desk_id))))
        return frames

    return event_stream(live_stream(render, relevant=queue_or_printer))


def queue_frames(app: Any, lang: str) -> Frames:
    """The board and the printer notice every staff screen keeps live, rendered once per change for all."""

    def build_board() -> str:
        moment = app.now()
        with app.sessions() as session_:
            board_ = board(session_, app.queue.today(moment), moment, lang)
            return render_template("dashboard/_board.html", board=board_)

    def build_printer() -> str:
        with app.sessions() as session_:
            return render_template("dashboard/_printer.html", **printer_notice(session_))

    return [
        ("board", shared("dashboard-board", build_board)),
        ("printer", shared("dashboard-printer", build_printer)),
    ]


def queue_or_printer(event: Event) -> bool:
    """Changes staff screens follow: the queue's, and the print process's (delayed, printed)."""
    return queue_changed(event) or event.name.startswith("print.")


@bp.post("/call-next")
@roles_required(*QUEUE_ROLES)
def call_next() -> Response | str:
    """Call the next visitor to this officer's desk."""
    desk = my_desk() or abort(409, description=N_("Pilih meja terlebih dahulu."))
    visit = calling.call_next(db(), desk.id, current_user().id, runtime().queue, runtime().now)  # type: ignore[union-attr]
    if visit is None:
        return flash(N_("Tidak ada pengunjung yang menunggu."))
    return render_my_desk(desk, visit)


ACTIONS: dict[str, Callable[[int, Actor], Visit]] = {
    "call": lambda visit_id, by: calling.call_ticket(db(), visit_id, by.desk_id, by.officer_id, runtime().now()),
    "recall": lambda visit_id, by: calling.recall(db(), visit_id, by),
    "start": lambda visit_id, by: calling.start_service(db(), visit_id, by, runtime().now()),
    "finish": lambda visit_id, by: calling.finish(db(), visit_id, by, runtime().now()),
    "no-show": lambda visit_id, by: calling.mark_no_show(db(), visit_id, by, runtime().now()),
    "undo-no-show": lambda visit_id, by: calling.undo_no_show(db(), visit_id, by),
    "return": lambda visit_id, by: calling.return_to_queue(db(), visit_id, by, runtime().now()),
    "transfer": lambda visit_id, by: calling.transfer(
        db(),
        visit_id,
        by,
        form_number("desk_id") or 0,
        form_number("officer_id"),
        runtime().now(),
    ),
}


@bp.post("/visits/<int:visit_id>/<action>")
@roles_required(*QUEUE_ROLES)
def act(visit_id: int, action: str) -> Response | str:
    """Call, recall, start, finish, mark absent (or take it back), return or transfer one ticket."""
    desk = my_desk() or abort(409, description=N_("Pilih meja terlebih dahulu."))
    handler = ACTIONS.get(action) or abort(404)
    user = current_user() or abort(401)
    try:
        visit = handler(visit_id, Actor(user.id, user.role, desk.id))
    except QueueError as error:
        return flash(error.text(language()), status=409)
    at_my_desk = visit.desk_id == desk.id and visit.status in AT_DESK
    body = render_my_desk(desk, visit if at_my_desk else None, marked_absent=visit if action == "no-show" else None)
    if action == "start" and at_my_desk:  # service starts: the consultation workspace opens
        return make_response(body, redirect=url_for("consultation.for_visit", visit_id=visit.id))
    return body


@bp.post("/scan")
@roles_required(*QUEUE_ROLES)
def scan() -> Response | str:
    """Open the ticket whose QR code a barcode scanner typed in."""
    token = token_from_scan(request.form.get("code", ""))
    visit = db().scalar(select(Visit).where(Visit.token == token)) if token else None
    if visit is None:
        return flash(N_("Tiket tidak dikenal. Pindai kode QR pada tiket pengunjung."), status=404)
    return render_template("dashboard/_ticket.html", visit=visit, desk=my_desk(), **transfer_choices(db()))


@bp.post("/print-jobs/<int:job_id>/reprint")
@roles_required(*QUEUE_ROLES)
def reprint(job_id: int) -> Response | str:
    """Print a set-aside printout again, once an officer has looked at the printer."""
    try:
        print_status.reprint(db(), job_id, runtime().now())
    except print_status.PrintError as error:
        return flash(error.text(language()), status=409)
    return render_template("dashboard/_printer.html", **printer_notice(db()))


def render_my_desk(desk: Desk, visit: Visit | None, marked_absent: Visit | None = None) -> str:
    """The officer's desk panel after an action; the notice area offers to take back an "absent" just marked."""
    return render_template(
        "dashboard/_desk_update.html", desk=desk, visit=visit, marked_absent=marked_absent, **transfer_choices(db())
    )


def transfer_choices(session: Session) -> dict[str, list[Any]]:
    """Where a visitor can be sent: the desks and the officers."""
    return {"desks": active_desks(session), "officers": queue_officers(session)}


def flash(message: str, status: int = 200) -> Response:
    """A short message in the dashboard's notice area, whatever the request targeted; the template translates it."""
    body = render_template("dashboard/_flash.html", message=message)
    if wants_fragment():
        return make_response(body, status, retarget="#flash", reswap="innerHTML")
    return make_response(render_template("auth/message.html", title=_("Pemberitahuan"), message=message), status)
