"""Signing in and out, the signed-in user, role checks and CSRF protection for staff screens."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for
from flask.blueprints import BlueprintSetupState
from flask_htmx import make_response
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from shared.i18n import LANGUAGES, N_, Nn_, Refusal
from shared.models import Role, User
from shared.staff import StaffError, authenticate, change_password, end_session, session_user, start_session
from shared.web import db, htmx, language, runtime, use_language
from shared.web import gettext as _

bp = Blueprint("auth", __name__, template_folder="templates")

# Screens without a staff sign-in; every other blueprint is a staff one, and its changes need the CSRF token.
PUBLIC_BLUEPRINTS = {"kiosk", "receipt", "display", "assets"}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
View = TypeVar("View", bound=Callable[..., Any])
PASSWORD_CHANGED = N_("Kata sandi Anda sudah diganti. Sesi masuk di perangkat lain sudah diakhiri.")


class AttemptLimiter:
    """At most `limit` sign-in attempts per client address within `window` seconds (per process)."""

    def __init__(self, limit: int = 10, window: float = 300.0) -> None:
        self.limit, self.window = limit, window
        self._attempts: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def retry_after(self, client: str, now: float) -> int:
        """Record an attempt; seconds to wait if the client is over the limit, else 0."""
        with self._lock:
            attempts = self._attempts[client]
            while attempts and attempts[0] <= now - self.window:
                attempts.popleft()
            if len(attempts) >= self.limit:
                return int(attempts[0] + self.window - now) + 1
            attempts.append(now)
            return 0


@bp.record_once
def _attach_limiter(state: BlueprintSetupState) -> None:
    # One per application, so that separate apps (and tests) never share attempt counts.
    state.app.extensions["login_limiter"] = AttemptLimiter()


def current_user() -> User | None:
    """The signed-in staff member, if any: the cookie's sign-in must still exist on the server."""
    if "user" not in g:
        token = session.get("token")
        g.user = session_user(db(), token) if isinstance(token, str) else None
    return g.user


def _begin_session(token: str) -> None:
    """A fresh cookie for a new sign-in (never the one before it), keeping only the language chosen."""
    language_chosen = session.get("lang")
    session.clear()
    session["token"] = token
    if language_chosen:
        session["lang"] = language_chosen
    csrf_token()


def csrf_token() -> str:
    """The session's CSRF token, sent back by every staff form and htmx request."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


@bp.before_app_request
def check_csrf() -> None:
    """Refuse a state-changing staff request that does not carry the session's token.

    The public kiosk has no signed-in session to abuse; its check-in carries a signed, single-use
    consent token instead.
    """
    if request.method not in UNSAFE_METHODS or request.blueprint in PUBLIC_BLUEPRINTS:
        return
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    if not hmac.compare_digest(sent, session.get("csrf", "")):
        abort(400, description=N_("Sesi formulir kedaluwarsa. Muat ulang halaman lalu coba lagi."))


def roles_required(*roles: Role) -> Callable[[View], View]:
    """Only signed-in staff with one of these roles may use the view."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                target = url_for("auth.login", next=request.full_path if request.method == "GET" else None)
                return make_response(redirect=target) if htmx else redirect(target)
            if user.must_change_password:
                target = url_for("auth.password")
                return make_response(redirect=target) if htmx else redirect(target)
            if user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


@bp.app_context_processor
def staff_context() -> dict[str, Any]:
    """Templates can show the user and must send the CSRF token."""
    return {"current_user": current_user, "csrf_token": csrf_token}


@bp.app_errorhandler(400)
@bp.app_errorhandler(403)
@bp.app_errorhandler(409)
@bp.app_errorhandler(413)
def refused(error: HTTPException) -> Response | tuple[str, int]:
    """Explain a refused request: in the dashboard's notice area for htmx, else as a page."""
    messages = {
        403: N_("Akun Anda tidak berhak membuka halaman ini."),
        413: N_("Yang dikirim terlalu besar."),
    }
    if error.code == 413:  # the body cannot be read, so the language comes from the session alone
        use_language(session.get("lang", ""))
    message = messages.get(error.code or 400, error.description or "")
    if htmx:
        body = render_template("dashboard/_flash.html", message=message)
        return make_response(body, error.code, retarget="#flash", reswap="innerHTML")
    return render_template("auth/message.html", title=f"{error.code}", message=message), error.code or 400


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int] | str:
    """Sign in with a username and password."""
    if request.method == "GET":
        return render_template("auth/login.html", next=request.args.get("next", ""))
    wait = current_app.extensions["login_limiter"].retry_after(request.remote_addr or "?", time.monotonic())
    if wait:
        refusal = Refusal(
            Nn_(
                "Terlalu banyak percobaan masuk dari perangkat ini. Coba lagi dalam {num} menit.",
                "Terlalu banyak percobaan masuk dari perangkat ini. Coba lagi dalam {num} menit.",
            ),
            num=wait // 60 + 1,
        )
        return render_template(
            "auth/login.html", error=refusal.text(language()), next=request.form.get("next", "")
        ), 429
    try:
        user = authenticate(db(), request.form.get("username", ""), request.form.get("password", ""), runtime().now())
    except StaffError as error:
        return render_template("auth/login.html", error=error.text(language()), next=request.form.get("next", "")), 401
    _begin_session(start_session(db(), user.id, runtime().now()))
    return redirect(_safe_next(request.form.get("next", "")) or home(user))


def home(user: User) -> str:
    """Where an account starts: the provincial inbox for provincial officers, the desk for everyone else."""
    return url_for("province.inbox") if user.role == Role.PROVINCIAL else url_for("dashboard.index")


@bp.post("/logout")
def logout() -> Response:
    """Sign out: the sign-in ends on the server too, so a copy of the cookie opens nothing."""
    token = session.get("token")
    if isinstance(token, str):
        end_session(db(), token)
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def password() -> Response | tuple[str, int] | str:
    """Change one's own password; required after a password someone else chose."""
    user = current_user()
    if user is None:
        return redirect(url_for("auth.login", next=url_for("auth.password")))
    if request.method == "GET":
        return render_template("auth/password.html", forced=user.must_change_password)
    form = request.form
    try:
        token = change_password(
            db(), user.id, form.get("current", ""), form.get("new", ""), form.get("confirm", ""), runtime().now()
        )
    except StaffError as error:
        return render_template(
            "auth/password.html", forced=user.must_change_password, error=error.text(language())
        ), 400
    _begin_session(token)
    g.pop("user", None)
    return render_template("auth/message.html", title=_("Kata sandi diganti"), message=PASSWORD_CHANGED)


@bp.post("/language")
def choose_language() -> Response:
    """Switch the staff screens between Bahasa Indonesia and English, then go back."""
    chosen = request.form.get("lang", "id")
    session["lang"] = chosen if chosen in LANGUAGES else "id"
    return redirect(_safe_next(request.form.get("next", "")) or url_for("dashboard.index"))


def _safe_next(target: str) -> str | None:
    """Only a path on this site, so the sign-in page cannot send anyone elsewhere."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
