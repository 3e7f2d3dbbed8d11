"""DejaVu Sans Mono, loaded from the npm @fontsource package the web front-end already ships."""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path

from PIL import ImageFont

FONT_DIR_ENV = "HELPDESK_FONT_DIR"
_FILES = {
    False: "dejavu-mono-latin-400-normal.woff",
    True: "dejavu-mono-latin-700-normal.woff",
}

log = logging.getLogger(__name__)


def font_dir() -> Path:
    """Folder holding the DejaVu Sans Mono .woff files."""
    override = os.environ.get(FONT_DIR_ENV)
    if override:
        return Path(override)
    project_root = Path(__file__).resolve().parent.parent
    return project_root / "node_modules" / "@fontsource" / "dejavu-mono" / "files"


@functools.lru_cache(maxsize=64)
def mono_font(size_px: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """DejaVu Sans Mono at size_px, or Pillow's built-in font if the files are missing."""
    path = font_dir() / _FILES[bold]
    try:
        return ImageFont.truetype(str(path), size_px)
    except OSError:
        # A checkout without `npm install` should still print something legible.
        log.warning("font %s not found; falling back to Pillow's built-in font", path)
        return ImageFont.load_default(size_px)  # type: ignore[return-value]
