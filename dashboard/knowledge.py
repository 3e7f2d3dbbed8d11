"""The knowledge base's drafts: answers officers offered, approved by a supervisor before search shows them."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from werkzeug.wrappers import Response

from dashboard.auth import current_user, roles_required
from dashboard.routes import flash
from shared.consultation import knowledge
from shared.consultation.knowledge import KnowledgeError
from shared.models import Role
from shared.web import db, language, runtime

bp = Blueprint("knowledge", __name__, url_prefix="/dashboard/knowledge", template_folder="templates")
APPROVERS = (Role.SUPERVISOR, Role.ADMIN)


@bp.get("/drafts")
@roles_required(*APPROVERS)
def drafts() -> str:
    """Draft answers waiting for approval."""
    return render_template("knowledge/drafts.html", drafts=knowledge.drafts(db()))


@bp.post("/drafts/<int:faq_id>/approve")
@roles_required(*APPROVERS)
def approve(faq_id: int) -> Response | str:
    """Make a draft the office's answer: search finds it from now on."""
    user = current_user() or abort(401)
    try:
        knowledge.approve(db(), faq_id, user.id, runtime().now())
    except KnowledgeError as error:
        return flash(error.text(language()), status=409)
    return render_template("knowledge/_drafts.html", drafts=knowledge.drafts(db()))
