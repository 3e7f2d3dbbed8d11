"""The consultation workspace: SOP steps 2 to 6 for the visitor at the officer's desk, beside the live queue."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from dashboard.auth import current_user, roles_required
from dashboard.routes import flash, my_desk, printer_notice, queue_frames, queue_or_printer, today_board
from shared import calling
from shared.calling import Actor, QueueError
from shared.checkin_form import SignatureRefused, read_signature
from shared.consultation import escalations, knowledge, photos, receipt, report, sop, workspace
from shared.consultation.escalations import EscalationError
from shared.consultation.knowledge import KnowledgeError
from shared.consultation.models import Consultation, Photo, Problem, Regulation
from shared.consultation.photos import PhotoRejected
from shared.consultation.receipt import ReceiptError
from shared.consultation.workspace import EditConflict, WorkspaceError
from shared.dates import clock_time
from shared.events import Event
from shared.i18n import N_
from shared.live import Frames, live_stream
from shared.models import Amendment, Role, Topic, User
from shared.staff import QUEUE_ROLES
from shared.web import accepts_uploads, db, event_stream, form_number, language, runtime, use_language

bp = Blueprint("consultation", __name__, url_prefix="/dashboard/consultations", template_folder="templates")
UPLOAD_OVERHEAD = 64 * 1024  # the caption and the multipart form's own bytes around a photo


@bp.get("/<int:consultation_id>")
@roles_required(*QUEUE_ROLES)
def page(consultation_id: int) -> str:
    """The workspace: the visitor, the step clocks and the problem list, with the queue beside them."""
    consultation = db().get(Consultation, consultation_id) or abort(404)
    return render_template(
        "consultation/page.html",
        consultation=consultation,
        board=today_board(),
        **printer_notice(db()),
        **workspace_view(consultation),
    )


@bp.get("/visit/<int:visit_id>")
@roles_required(*QUEUE_ROLES)
def for_visit(visit_id: int) -> Response:
    """The workspace of a visit being served."""
    consultation = workspace.for_visit(db(), visit_id) or abort(404)
    return redirect(url_for("consultation.page", consultation_id=consultation.id))


@bp.post("/<int:consultation_id>/finish")
@roles_required(*QUEUE_ROLES)
def finish(consultation_id: int) -> Response:
    """Service is over: back to the desk, ready to call the next visitor."""
    consultation = db().get(Consultation, consultation_id) or abort(404)
    desk = my_desk() or abort(409)
    user = me()
    try:
        calling.finish(db(), consultation.visit_id, Actor(user.id, user.role, desk.id), runtime().now())
    except QueueError as error:
        return flash(error.text(language()), status=409)
    return redirect(url_for("dashboard.index"))


@bp.get("/<int:consultation_id>/events")
@roles_required(*QUEUE_ROLES)
def events(consultation_id: int) -> Response:
    """The queue beside the workspace, and the province's answers to its escalations as they come."""
    app, lang, user = runtime(), language(), me()

    def render() -> Frames:
        frames = queue_frames(app, lang)
        with app.sessions() as session_:
            consultation = session_.get(Consultation, consultation_id)
            if consultation is not None:
                rows = escalations.for_consultation(session_, consultation_id, app.now(), lang)
                editable = workspace.may_edit(consultation, user) and not consultation.locked
                frames += [
                    (f"escalation-{problem.id}", render_escalation(problem, rows, editable))
                    for problem in consultation.problems
                ]
        return frames

    def relevant(event: Event) -> bool:
        mine = event.data.get("consultation_id") == consultation_id
        return queue_or_printer(event) or (mine and event.name.startswith(("escalation.", "consultation.")))

    return event_stream(live_stream(render, relevant=relevant))


@bp.post("/problems/<int:problem_id>/escalate")
@roles_required(*QUEUE_ROLES)
def escalate(problem_id: int) -> Response | str:
    """Send a problem the desk cannot solve to the provincial helpdesk, with a note."""
    problem = db().get(Problem, problem_id) or abort(404)
    if not workspace.may_edit(problem.consultation, me()):
        return flash(WorkspaceError("Konsultasi ini ditangani petugas lain.").text(language()), status=409)
    try:
        escalations.escalate(db(), problem_id, request.form.get("note", ""), me().id, runtime().now())
    except EscalationError as error:
        return flash(error.text(language()), status=409)
    db().refresh(problem)
    rows = escalations.for_consultation(db(), problem.consultation_id, runtime().now(), language())
    return render_escalation(problem, rows, editable=True)


def render_escalation(problem: Problem, rows: list[escalations.EscalationRow], editable: bool) -> str:
    """A problem's escalations, their answers, and the form to send it up when none is waiting."""
    mine = [row for row in rows if row.problem_id == problem.id]
    waiting = any(row.status != escalations.EscalationStatus.ANSWERED for row in mine)
    return render_template(
        "consultation/_escalation.html", problem=problem, rows=mine, editable=editable, waiting=waiting
    )


@bp.post("/<int:consultation_id>/steps/<int:step>")
@roles_required(*QUEUE_ROLES)
def go_to_step(consultation_id: int, step: int) -> Response | str:
    """Move the consultation to another SOP step."""
    try:
        consultation = workspace.go_to_step(db(), consultation_id, step, me(), runtime().now())
    except WorkspaceError as error:
        return flash(error.text(language()), status=409)
    return render_template("consultation/_steps.html", consultation=consultation, **workspace_view(consultation))


@bp.post("/<int:consultation_id>/problems")
@roles_required(*QUEUE_ROLES)
def add_problem(consultation_id: int) -> Response | str:
    """Add a problem to the list."""
    topic_id = form_number("topic_id") or 0
    try:
        problem = workspace.add_problem(
            db(), consultation_id, topic_id, request.form.get("description", ""), me(), runtime().now()
        )
    except WorkspaceError as error:
        return flash(error.text(language()), status=409)
    return render_problems(problem.consultation)


@bp.post("/problems/<int:problem_id>")
@roles_required(*QUEUE_ROLES)
def save_problem(problem_id: int) -> Response | str:
    """Autosave: the fields the officer changed, if nobody saved the problem since this copy was loaded."""
    form = request.form
    try:
        problem = workspace.save_problem(
            db(),
            problem_id,
            form_number("version") or 0,
            me(),
            runtime().now(),
            description=form.get("description"),
            answer=form.get("answer"),
            topic_id=(form_number("topic_id") or 0) if "topic_id" in form else None,
        )
    except EditConflict as error:
        return render_template("consultation/_saved.html", problem=error.problem, conflict=True)
    except WorkspaceError as error:
        return render_template("consultation/_saved.html", problem=None, problem_id=problem_id, error=error)
    return render_template("consultation/_saved.html", problem=problem, saved_at=saved_at(problem))


@bp.get("/problems/<int:problem_id>")
@roles_required(*QUEUE_ROLES)
def problem(problem_id: int) -> str:
    """One problem as saved now (to replace a stale copy after a conflict)."""
    problem = db().get(Problem, problem_id) or abort(404)
    return render_template("consultation/_problem.html", problem=problem, **workspace_view(problem.consultation))


@bp.post("/problems/<int:problem_id>/<any(up, down):direction>")
@roles_required(*QUEUE_ROLES)
def move_problem(problem_id: int, direction: str) -> Response | str:
    """Move a problem up or down the list."""
    problem = db().get(Problem, problem_id) or abort(404)
    try:
        workspace.move_problem(db(), problem_id, -1 if direction == "up" else 1, me(), runtime().now())
    except WorkspaceError as error:
        return flash(error.text(language()), status=409)
    return render_problems(problem.consultation)


@bp.post("/problems/<int:problem_id>/remove")
@roles_required(*QUEUE_ROLES)
def remove_problem(problem_id: int) -> Response | str:
    """Remove a problem that nobody changed elsewhere in the meantime."""
    problem = db().get(Problem, problem_id) or abort(404)
    consultation = problem.consultation
    try:
        workspace.remove_problem(db(), problem_id, form_number("version") or 0, me(), runtime().now())
    except WorkspaceError as error:
        return flash(error.text(language()), status=409)
    return render_problems(consultation)


@bp.post("/problems/<int:problem_id>/references")
@roles_required(*QUEUE_ROLES)
def add_reference(problem_id: int) -> Response | str:
    """Cite a rule, with its article, or an approved FAQ entry under the problem's answer."""
    try:
        problem = workspace.add_reference(
            db(),
            problem_id,
            me(),
            runtime().now(),
            regulation_id=form_number("regulation_id") if "regulation_id" in request.form else None,
            article=request.form.get("article", ""),
            faq_id=form_number("faq_id") if "faq_id" in request.form else None,
        ).problem_id
    except WorkspaceError as error:
        return flash(error.text(language()), status=409)
    return render_references(problem)


@bp.post("/references/<int:reference_id>/remove")
@roles_required(*QUEUE_ROLES)
def remove_reference(reference_id: int) -> Response | str:
    """Take a reference away from an answer."""
    try:
        problem = workspace.remove_reference(db(), reference_id, me(), runtime().now())
    except WorkspaceError as error:
        return flash(error.text(language()), status=409)
    return render_references(problem.id)


@bp.get("/problems/<int:problem_id>/faq")
@roles_required(*QUEUE_ROLES)
def search_faq(problem_id: int) -> str:
    """Approved knowledge-base entries matching what the officer types, best first."""
    problem = db().get(Problem, problem_id) or abort(404)
    query = request.args.get("q", "")
    hits = knowledge.search(db(), query, limit=5)  # on every keystroke: nothing else is read
    return render_template("consultation/_faq_results.html", problem=problem, hits=hits, query=query)


@bp.post("/problems/<int:problem_id>/faq-draft")
@roles_required(*QUEUE_ROLES)
def save_faq_draft(problem_id: int) -> Response | str:
    """Offer the problem and its answer to the knowledge base as a draft a supervisor approves."""
    problem = db().get(Problem, problem_id) or abort(404)
    references = "; ".join(
        f"{ref.regulation.short_name} {ref.article}".strip() for ref in problem.references if ref.regulation
    )
    try:
        knowledge.add_draft(
            db(), problem.description, problem.answer, problem.topic_id, references, me().id, runtime().now()
        )
    except KnowledgeError as error:
        return flash(error.text(language()), status=409)
    return flash(N_("Disimpan sebagai draf FAQ. Supervisor memeriksanya sebelum muncul di pencarian."))


@bp.post("/<int:consultation_id>/photos")
@accepts_uploads(photos.MAX_BYTES + UPLOAD_OVERHEAD)  # a 10 MB photo, its caption and the form around them
@roles_required(*QUEUE_ROLES)
def add_photo(consultation_id: int) -> Response | str:
    """Documentation photo from the webcam or a file: decoded, re-encoded without EXIF, kept outside the web root."""
    consultation = db().get(Consultation, consultation_id) or abort(404)
    if not workspace.may_edit(consultation, me()):
        return flash(WorkspaceError("Konsultasi ini ditangani petugas lain.").text(language()), status=409)
    try:
        upload = request.files.get("photo")
        photos.store_photo(
            db(),
            photo_dir(),
            consultation_id,
            upload.read(photos.MAX_BYTES + 1) if upload else b"",
            request.form.get("caption", ""),
            me().id,
            runtime().now(),
        )
    except RequestEntityTooLarge:
        use_language(session.get("lang", ""))  # the body cannot be read, so the language comes from the session
        return flash(PhotoRejected(photos.TOO_BIG).text(language()), status=413)
    except PhotoRejected as error:
        return flash(error.text(language()), status=400)
    return render_photos(consultation)


@bp.post("/photos/<int:photo_id>/remove")
@roles_required(*QUEUE_ROLES)
def remove_photo(photo_id: int) -> Response | str:
    """Take a photo out of the documentation (the record of it stays in the history)."""
    photo = db().get(Photo, photo_id) or abort(404)
    consultation = db().get(Consultation, photo.consultation_id) or abort(404)
    if not workspace.may_edit(consultation, me()) or consultation.locked:
        return flash(WorkspaceError("Laporan sudah ditandatangani: perubahan hanya lewat ralat.").text(language()), 409)
    try:
        photos.remove_photo(db(), photo_dir(), photo_id, me().id, runtime().now())
    except PhotoRejected as error:
        return flash(error.text(language()), status=404)
    return render_photos(consultation)


@bp.get("/photos/<int:photo_id>")
@roles_required(*QUEUE_ROLES)
def photo(photo_id: int) -> Response:
    """A documentation photo, for staff only and never kept by the browser's cache."""
    try:
        _, data = photos.read_photo(db(), photo_dir(), photo_id)
    except PhotoRejected:
        abort(404)
    return Response(data, mimetype=photos.MEDIA_TYPE, headers={"Cache-Control": "no-store"})


@bp.get("/<int:consultation_id>/report.pdf")
@roles_required(*QUEUE_ROLES)
def report_pdf(consultation_id: int) -> Response:
    """The Laporan Helpdesk as it stands, in the officer's language."""
    data = build_report_or_404(consultation_id)
    name = (data.number or f"laporan-{consultation_id}").replace("/", "-")
    return Response(
        report.render_pdf(data, photo_dir(), language()),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}.pdf"', "Cache-Control": "no-store"},
    )


@bp.post("/<int:consultation_id>/receipt")
@roles_required(*QUEUE_ROLES)
def sign_receipt(consultation_id: int) -> Response | str:
    """The visitor signs for the report: the record locks and the receipt prints."""
    try:
        signature = read_signature(request.form.get("signature", ""))
        consultation = receipt.sign(
            db(),
            consultation_id,
            signature,
            me(),
            runtime().now(),
            runtime().queue,
            current_app.config["REPORT_NUMBER"],
        )
    except (SignatureRefused, ReceiptError) as error:
        return flash(error.text(language()), status=409)
    return render_closing(consultation)


@bp.post("/<int:consultation_id>/amendments")
@roles_required(*QUEUE_ROLES)
def amend(consultation_id: int) -> Response | str:
    """A correction to a signed record, with its reason."""
    form = request.form
    try:
        workspace.amend(db(), consultation_id, form.get("what", ""), form.get("why", ""), me(), runtime().now())
    except WorkspaceError as error:
        return flash(error.text(language()), status=409)
    return render_closing(db().get_one(Consultation, consultation_id))


@bp.get("/<int:consultation_id>/history")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def history(consultation_id: int) -> str:
    """Who changed what in the consultation, and when."""
    consultation = db().get(Consultation, consultation_id) or abort(404)
    return render_template(
        "consultation/history.html",
        consultation=consultation,
        entries=workspace.history(db(), consultation_id),
        actions=workspace.AUDIT_ACTIONS,
    )


def build_report_or_404(consultation_id: int) -> report.ReportData:
    """The consultation's report data, in the officer's language."""
    try:
        return report.build_report(db(), consultation_id, language(), runtime().queue.timezone)
    except report.ReportNotFound:
        abort(404)


def render_closing(consultation: Consultation) -> str:
    """The report, receipt and amendments section after a change."""
    db().refresh(consultation)
    return render_template("consultation/_closing.html", consultation=consultation, **workspace_view(consultation))


def photo_dir() -> Path:
    """Where photos are kept: the instance folder, which the web server never serves."""
    return Path(current_app.instance_path) / "photos"


def render_photos(consultation: Consultation) -> str:
    """The consultation's photos after a change."""
    return render_template("consultation/_photos.html", consultation=consultation, **workspace_view(consultation))


def render_references(problem_id: int) -> str:
    """A problem's references after a change."""
    problem = db().get(Problem, problem_id) or abort(404)
    db().refresh(problem)
    return render_template("consultation/_references.html", problem=problem, **workspace_view(problem.consultation))


def me() -> User:
    """The signed-in officer."""
    return current_user() or abort(401)


def topics() -> list[Topic]:
    """The check-in topics a problem can have."""
    return list(db().scalars(select(Topic).where(Topic.active).order_by(Topic.sort_order)))


def workspace_view(consultation: Consultation) -> dict[str, object]:
    """What the workspace templates show besides the consultation."""
    rows = escalations.for_consultation(db(), consultation.id, runtime().now(), language())
    return {
        "escalation_rows": rows,
        "photos": photos.photos_of(db(), consultation.id),
        "amendments": db()
        .scalars(select(Amendment).where(Amendment.consultation_id == consultation.id).order_by(Amendment.at))
        .all(),
        "times": workspace.step_times(consultation, runtime().now()),
        "steps": sop.STEPS,
        "topics": topics(),
        "regulations": db().scalars(select(Regulation).where(Regulation.active).order_by(Regulation.sort_order)).all(),
        "editable": workspace.may_edit(consultation, me()) and not consultation.locked,
        "may_amend": workspace.may_edit(consultation, me()) and consultation.locked,
        "receipt_url": url_for("receipt.page", token=consultation.receipt_token) if consultation.receipt_token else "",
    }


def render_problems(consultation: Consultation) -> str:
    """The problem list after a change to it."""
    db().refresh(consultation)
    return render_template("consultation/_problems.html", consultation=consultation, **workspace_view(consultation))


def saved_at(problem: Problem) -> str:
    """When the problem was saved, on the office clock."""
    return clock_time(problem.updated_at, runtime().queue.timezone, language())
