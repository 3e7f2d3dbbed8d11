"""The check-in kiosk and the visitor's ticket status page: public screens, no login."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from kiosk.forms import FIELDS, CheckinForm
from kiosk.live import status_stream
from shared.checkin import check_in, existing_ticket
from shared.consent import CONSENT_MAX_CHARS, NOTICE_VERSION, RETENTION_YEARS, consent_token
from shared.i18n import N_
from shared.phone import display_phone
from shared.print_status import TicketPrintStatus, ticket_print_status
from shared.visit_status import public_status
from shared.web import db, event_stream, runtime, use_language, wants_fragment

bp = Blueprint("kiosk", __name__, template_folder="templates", static_folder="static", static_url_path="/kiosk/static")


bp.add_app_template_filter(display_phone, "phone")


def screen(name: str, status: int = 200, **context: object) -> tuple[str, int]:
    """A kiosk step: the fragment for htmx (with the page's header in its language), the whole page otherwise."""
    template = "kiosk/_screen.html" if wants_fragment() else "kiosk/kiosk.html"
    return render_template(template, screen=name, **context), status


@bp.get("/")
def root() -> Response:
    """The bare address opens the kiosk."""
    return redirect(url_for("kiosk.index"))


@bp.get("/kiosk")
def index() -> tuple[str, int]:
    """Welcome screen."""
    return screen("welcome")


@bp.get("/kiosk/notice")
def notice() -> tuple[str, int]:
    """The data-protection notice, with its own consent button."""
    return screen("notice", version=NOTICE_VERSION, retention_years=RETENTION_YEARS)


@bp.post("/kiosk/consent")
def consent() -> tuple[str, int]:
    """Record the moment of consent in a signed token and show the empty form."""
    token = consent_token(current_app.config["SECRET_KEY"], runtime().now())
    form = CheckinForm({"consent": token}, db())
    return screen("form", form=form)


@bp.post("/kiosk/form")
def edit() -> tuple[str, int]:
    """The form again, keeping what was entered: back from the confirmation, or in another language."""
    form = CheckinForm.from_request(db())
    form.recheck(request.form.getlist("recheck"))
    return screen("form", form=form)


@bp.post("/kiosk/review")
def review() -> tuple[str, int]:
    """Validate the form and show it back for confirmation."""
    form = CheckinForm.from_request(db())
    if not form.validate():
        return screen("form", 422, form=form)
    return screen("review", form=form)


@bp.post("/kiosk/checkin")
def checkin() -> tuple[str, int]:
    """Save the check-in, queue the ticket print and show the ticket."""
    form = CheckinForm.from_request(db())
    if not form.validate():
        return screen("form", 422, form=form)
    assert form.data and form.consent
    ticket = check_in(db(), form.data, form.consent, runtime().queue, runtime().now())
    return screen(
        "ticket",
        ticket=ticket,
        print_status=TicketPrintStatus(ticket.print_job_id, printed=False, delayed=False),
        consent=form.values["consent"],
    )


@bp.post("/kiosk/ticket")
def ticket() -> tuple[str, int]:
    """The ticket just issued, shown again in the language the visitor now chose."""
    proof = request.form.get("consent", "")
    issued = existing_ticket(db(), proof, runtime().queue) if 0 < len(proof) <= CONSENT_MAX_CHARS else None
    if issued is None:
        return screen("welcome")
    printing = ticket_print_status(db(), issued.print_job_id)
    return screen(
        "ticket",
        ticket=issued,
        print_status=printing or TicketPrintStatus(issued.print_job_id, printed=False, delayed=False),
        consent=proof,
    )


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error: RequestEntityTooLarge) -> tuple[str, int]:
    """A post far bigger than the kiosk ever sends: explain it on the form rather than show an error page."""
    # The body, and the language chosen in it, cannot be read: only the address may name the language.
    use_language(request.args.get("lang", ""))
    form = CheckinForm(
        dict.fromkeys(FIELDS, ""), db(), errors={"consent": N_("Isian yang dikirim terlalu besar. Silakan mulai lagi.")}
    )
    return screen("form", 413, form=form)


@bp.get("/kiosk/prints/<int:job_id>")
def print_status(job_id: int) -> str:
    """The ticket's print state, polled by the ticket screen until it is printed."""
    state = ticket_print_status(db(), job_id) or abort(404)
    return render_template("kiosk/_print_status.html", print_status=state)


@bp.get("/t/<token>")
def status(token: str) -> str:
    """The visitor's live ticket page behind the QR code."""
    state = public_status(db(), token) or abort(404)
    use_language(state.language)
    return render_template("kiosk/status.html", state=state, token=token)


@bp.get("/t/<token>/events")
def status_events(token: str) -> Response:
    """Server-sent events with the ticket's state, sent on connect and after every queue change."""
    state = public_status(db(), token) or abort(404)
    use_language(state.language)
    return event_stream(status_stream(token))


@bp.app_errorhandler(404)
def not_found(_error: Exception) -> tuple[str, int]:
    """A plain page for unknown addresses and tickets."""
    return render_template("kiosk/not_found.html"), 404
