"""Browser libraries and fonts from node_modules, served under /vendor (installed by npm, never committed)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory
from werkzeug.wrappers import Response

bp = Blueprint("assets", __name__)

NODE_MODULES = Path(__file__).resolve().parent.parent / "node_modules"

# Only these files are public; the name in the URL maps to a file inside node_modules.
FILES = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "sse.min.js": "htmx-ext-sse/dist/sse.min.js",
    "signature_pad.umd.min.js": "signature_pad/dist/signature_pad.umd.min.js",
    "qrcode.js": "qrcode-generator/dist/qrcode.js",
    "simple-keyboard.js": "simple-keyboard/build/index.js",
    "simple-keyboard.css": "simple-keyboard/build/css/index.css",
    "dejavu-sans-400.woff2": "@fontsource/dejavu-sans/files/dejavu-sans-latin-400-normal.woff2",
    "dejavu-sans-700.woff2": "@fontsource/dejavu-sans/files/dejavu-sans-latin-700-normal.woff2",
}


@bp.get("/vendor/<name>")
def vendor(name: str) -> Response:
    """One pinned third-party file, cached by the browser for a day."""
    relative = FILES.get(name) or abort(404)
    path = NODE_MODULES / relative
    if not path.is_file():
        current_app.logger.error("missing %s: run `make` (npm ci) to install the browser libraries", path)
        abort(404)
    return send_from_directory(path.parent, path.name, max_age=86400)
