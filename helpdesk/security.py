"""Security headers on every response, the session cookie's flags and, if asked, trust in a reverse proxy."""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

from helpdesk.assets import is_asset_endpoint

# Only the helpdesk's own files run or style a page: no inline script, inline style or eval (page.html turns
# off htmx's inline indicator style and its eval). Images and media may also come from data: and blob: URLs,
# which never run code: the signature pad redraws a kept signature from a PNG data: URL and the review screen
# shows it as one, the favicon is an empty `data:,`, and a camera picture is previewed from a blob: URL before
# it is sent. The TV's chime (Web Audio oscillators) and speech load nothing, so they need no source; live
# updates (EventSource) and the kiosk's reconnect check (fetch) go to 'self'.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "media-src 'self' data: blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Referrer-Policy": "same-origin",  # a status page's address is the ticket's secret
}


def init_app(app: Flask) -> None:
    """Send the security headers on every response and set the session cookie's flags from the settings."""
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=app.config["SECURE_COOKIES"],
    )
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        # The sign-in limiter counts attempts per client address, which a proxy would otherwise hide.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    app.after_request(_add_headers)


def _add_headers(response: Response) -> Response:
    response.headers.update(HEADERS)
    # Pages, fragments and streams may show names and phone numbers: no browser or proxy keeps a copy.
    # Stylesheets, scripts and fonts hold nothing personal and keep the caching helpdesk.assets gives them.
    if not is_asset_endpoint(request.endpoint):
        response.headers["Cache-Control"] = "no-store"
    return response
