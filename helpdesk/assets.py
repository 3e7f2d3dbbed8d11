"""The screens' files: browser libraries from node_modules and the fonts under /vendor, and every blueprint's static
folder, served from memory with versioned URLs, long caching and gzip; pages are gzipped on their way out too.

url_for() gives every such file a version, the start of its content's SHA-256 (`/vendor/htmx.min.js?v=3f0c...`).
That URL always means the same bytes, so browsers keep it for a year without asking again; an upgrade that changes
a file changes its URL. Stylesheets' own references to /vendor/... (their fonts) are versioned the same way as they
are served. A request without the current version (an address typed by hand, a page from before an upgrade) gets
the current file, cached for a few minutes only. The `npm ci` libraries are never committed.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, request, session
from werkzeug.security import safe_join
from werkzeug.wrappers import Response

bp = Blueprint("assets", __name__)

NODE_MODULES = Path(__file__).resolve().parent.parent / "node_modules"
FONTS = Path(__file__).resolve().parent / "static" / "fonts"  # made by helpdesk/webfonts.py, kept in git

# Only these files are public under /vendor/<name>.
FILES = {
    "htmx.min.js": NODE_MODULES / "htmx.org/dist/htmx.min.js",
    "sse.min.js": NODE_MODULES / "htmx-ext-sse/dist/sse.min.js",
    "signature_pad.umd.min.js": NODE_MODULES / "signature_pad/dist/signature_pad.umd.min.js",
    "qrcode.js": NODE_MODULES / "qrcode-generator/dist/qrcode.js",
    "simple-keyboard.js": NODE_MODULES / "simple-keyboard/build/index.js",
    "simple-keyboard.css": NODE_MODULES / "simple-keyboard/build/css/index.css",
    "dejavu-sans-400.woff2": FONTS / "dejavu-sans-400.woff2",
    "dejavu-sans-700.woff2": FONTS / "dejavu-sans-700.woff2",
}

VERSIONED_CACHE = "public, max-age=31536000, immutable"
UNVERSIONED_CACHE = "public, max-age=300"
# Named here rather than guessed from the system: Windows' registry may call .js text/plain, which nosniff refuses.
TYPES = {
    ".css": "text/css",
    ".js": "text/javascript",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
}
# Fonts and images are compressed already; gzip only makes text smaller.
COMPRESSIBLE = frozenset(
    {"text/html", "text/css", "text/javascript", "text/plain", "image/svg+xml", "application/json"}
)
MIN_COMPRESSED_SIZE = 1024  # smaller bodies fit in a packet or two either way
PAGE_LEVEL = 6  # pages are compressed on every request; files once, at the best level
VENDOR_URL = re.compile(r"""url\((["']?)/vendor/([\w.-]+)\1\)""")
CSRF_SESSION_KEY = "csrf"  # where dashboard.auth keeps a browser's CSRF token


@dataclass(frozen=True)
class Asset:
    """A file as served: its bytes, their gzip (None for formats that are compressed already) and version."""

    body: bytes
    gzipped: bytes | None
    mimetype: str
    version: str
    sources: tuple[tuple[Path, int, int], ...]  # (path, mtime_ns, size) of the file and of the files it names

    def is_current(self) -> bool:
        """Whether none of the files it was made from has changed since."""
        return all(_stat(path) == (mtime, size) for path, mtime, size in self.sources)


_assets: dict[Path, Asset] = {}  # per process; a changed file is read again, so edits show without a restart


def load(path: Path) -> Asset:
    """The file at path as served; FileNotFoundError if it is missing."""
    cached = _assets.get(path)
    if cached is not None and cached.is_current():
        return cached
    mtime, size = _stat(path)
    body = path.read_bytes()
    mimetype = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    sources = [(path, mtime, size)]
    if mimetype == "text/css":
        body, named = _version_references(body)
        sources += named
    gzipped = gzip.compress(body, compresslevel=9, mtime=0) if _worth_compressing(mimetype, body) else None
    asset = Asset(body, gzipped, mimetype, hashlib.sha256(body).hexdigest()[:12], tuple(sources))
    _assets[path] = asset
    return asset


def _stat(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


def _version_references(css: bytes) -> tuple[bytes, list[tuple[Path, int, int]]]:
    """The stylesheet with its url(/vendor/NAME) references versioned, and the files they name."""
    named: list[tuple[Path, int, int]] = []

    def versioned(match: re.Match[str]) -> str:
        path = FILES.get(match[2])
        if path is None or not path.is_file():
            return match[0]
        asset = load(path)
        named.extend(asset.sources)
        return f'url("/vendor/{match[2]}?v={asset.version}")'

    return VENDOR_URL.sub(versioned, css.decode()).encode(), named


def _worth_compressing(mimetype: str, body: bytes) -> bool:
    return mimetype in COMPRESSIBLE and len(body) >= MIN_COMPRESSED_SIZE


def asset_path(endpoint: str, values: dict[str, Any]) -> Path | None:
    """The file a URL of an asset endpoint names (/vendor/<name>, <blueprint>/static/<filename>), else None."""
    if endpoint == "assets.vendor":
        return FILES.get(values.get("name", ""))
    if not is_asset_endpoint(endpoint) or "filename" not in values:
        return None
    blueprint = current_app.blueprints.get(endpoint.removesuffix(".static"))
    folder = blueprint.static_folder if blueprint is not None else None
    joined = safe_join(folder, values["filename"]) if folder else None
    return Path(joined) if joined else None


def is_asset_endpoint(endpoint: str | None) -> bool:
    """Whether the endpoint serves one of the files above: nothing personal, so browsers may keep it."""
    return endpoint is not None and (endpoint == "assets.vendor" or endpoint.endswith(".static"))


@bp.app_url_defaults
def add_version(endpoint: str, values: dict[str, Any]) -> None:
    """url_for() of an asset carries its version (?v=...), which lets browsers keep it for good."""
    if "v" in values or not is_asset_endpoint(endpoint):
        return
    path = asset_path(endpoint, values)
    if path is not None and path.is_file():
        values["v"] = load(path).version


@bp.get("/vendor/<name>")
def vendor(name: str) -> Response:
    """One pinned third-party file or font."""
    path = FILES.get(name) or abort(404)
    if not path.is_file():
        current_app.logger.error("missing %s: run `make` (npm ci) to install the browser libraries", path)
        abort(404)
    return send(path)


@bp.before_app_request
def serve_static() -> Response | None:
    """Every blueprint's static folder is served here, as /vendor is, instead of by Flask's plain file view."""
    if request.method not in ("GET", "HEAD") or request.endpoint == "assets.vendor":
        return None  # OPTIONS is Flask's to answer; /vendor has its own view
    if not is_asset_endpoint(request.endpoint):
        return None
    path = asset_path(request.endpoint or "", request.view_args or {})
    if path is None or not path.is_file():
        abort(404)
    return send(path)


def send(path: Path) -> Response:
    """The file from memory: gzipped if the browser takes it, for a year if the URL has its version."""
    asset = load(path)
    gzipped = asset.gzipped is not None and request.accept_encodings["gzip"] > 0
    response = Response(asset.gzipped if gzipped else asset.body, mimetype=asset.mimetype)
    if asset.gzipped is not None:
        response.vary.add("Accept-Encoding")
    if gzipped:
        response.content_encoding = "gzip"
    response.set_etag(f"{asset.version}-gzip" if gzipped else asset.version)
    current = request.args.get("v") == asset.version
    response.headers["Cache-Control"] = VERSIONED_CACHE if current else UNVERSIONED_CACHE
    return response.make_conditional(request)


@bp.after_app_request
def compress_page(response: Response) -> Response:
    """Gzip a page or fragment for a browser that takes it.

    Left as they are: server-sent event streams (each event must reach the screen as it is sent), files (done
    above), and every page for a browser whose session holds a CSRF token: staff pages, and the refusals any
    screen may show, carry the token beside text the request chose (`next=` with the address asked for). Over
    HTTPS, compressing both together would let an eavesdropper read the token from response sizes (BREACH).
    """
    if (
        response.is_streamed
        or response.direct_passthrough
        or response.mimetype not in COMPRESSIBLE
        or "Content-Encoding" in response.headers
        or response.status_code in (204, 304)
        or is_asset_endpoint(request.endpoint)
        or CSRF_SESSION_KEY in session
    ):
        return response
    body = response.get_data()
    if len(body) < MIN_COMPRESSED_SIZE:
        return response
    response.vary.add("Accept-Encoding")
    if request.accept_encodings["gzip"] > 0:
        response.set_data(gzip.compress(body, compresslevel=PAGE_LEVEL))
        response.content_encoding = "gzip"
    return response
