"""The provincial helpdesk's inbox: escalations from the city offices of its province, claimed and answered."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from werkzeug.wrappers import Response

from dashboard.auth import current_user, roles_required
from dashboard.routes import flash
from shared.consultation import escalations
from shared.consultation.escalations import EscalationError
from shared.events import Event
from shared.live import Frames, live_stream
from shared.models import Role, User
from shared.web import db, event_stream, language, runtime

bp = Blueprint("province", __name__, url_prefix="/dashboard/province", template_folder="templates")


@bp.get("/")
@roles_required(Role.PROVINCIAL)
def inbox() -> str:
    """Waiting escalations, oldest first, and the ones this officer is answering."""
    items = escalations.inbox(db(), me().province_id or 0, runtime().now(), language())
    return render_template(
        "province/inbox.html", items=items, answering=[i for i in items if i.claimed_by_id == me().id]
    )


@bp.get("/events")
@roles_required(Role.PROVINCIAL)
def events() -> Response:
    """The inbox, pushed when an escalation is sent, claimed, released or answered (and each minute it waits)."""
    app, lang, province_id = runtime(), language(), me().province_id or 0

    def render() -> Frames:
        with app.sessions() as session_:
            items = escalations.inbox(session_, province_id, app.now(), lang)
        return [("inbox", render_template("province/_inbox.html", items=items))]

    def relevant(event: Event) -> bool:
        return event.name.startswith("escalation.") and event.data.get("province_id") == province_id

    return event_stream(live_stream(render, relevant=relevant))


@bp.post("/<int:escalation_id>/claim")
@roles_required(Role.PROVINCIAL)
def claim(escalation_id: int) -> Response | str:
    """Take an escalation to answer it; only one officer gets it."""
    try:
        escalations.claim(db(), escalation_id, me(), runtime().now())
    except EscalationError as error:
        return flash(error.text(language()), status=409)
    return render_answering()


@bp.post("/<int:escalation_id>/release")
@roles_required(Role.PROVINCIAL)
def release(escalation_id: int) -> Response | str:
    """Give an escalation back to the inbox unanswered."""
    try:
        escalations.release(db(), escalation_id, me(), runtime().now())
    except EscalationError as error:
        return flash(error.text(language()), status=409)
    return render_answering()


@bp.post("/<int:escalation_id>/answer")
@roles_required(Role.PROVINCIAL)
def answer(escalation_id: int) -> Response | str:
    """Answer a claimed escalation; the city officer's workspace shows it at once."""
    form = request.form
    try:
        escalations.answer(
            db(), escalation_id, me(), form.get("answer", ""), form.get("references", ""), runtime().now()
        )
    except EscalationError as error:
        return flash(error.text(language()), status=409)
    return render_answering()


def me() -> User:
    """The signed-in provincial officer."""
    return current_user() or abort(401)


def render_answering() -> str:
    """The escalations this officer is answering, after a change."""
    items = escalations.inbox(db(), me().province_id or 0, runtime().now(), language())
    return render_template("province/_answering.html", answering=[i for i in items if i.claimed_by_id == me().id])
