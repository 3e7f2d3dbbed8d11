"""The screens' fonts: subsets small enough for a quick first load that still draw every character the screens use."""

from __future__ import annotations

import ast
import html
import io
import re
from collections.abc import Iterator
from pathlib import Path

from flask import Flask
from fontTools.ttLib import TTFont

from helpdesk import assets, webfonts

ROOT = Path(__file__).resolve().parent.parent.parent
SCREENS = ("kiosk", "dashboard", "helpdesk", "shared")  # printers/ draws with the printer's own font
JS_ESCAPE = re.compile(r"\\u\{([0-9a-fA-F]+)\}|\\u([0-9a-fA-F]{4})")
CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6}) ?")
WOFF2_URL = re.compile(r"url\(\"?/vendor/([\w.-]+\.woff2)")


def texts() -> Iterator[tuple[Path, str]]:
    """Everything a screen can show, as written: templates, scripts, stylesheets, messages and catalogs."""
    for folder in SCREENS:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix == ".html":
                yield path, html.unescape(path.read_text(encoding="utf-8"))
            elif path.suffix == ".js":
                text = path.read_text(encoding="utf-8")
                yield path, JS_ESCAPE.sub(lambda m: chr(int(m[1] or m[2], 16)), text)
            elif path.suffix == ".css":
                yield path, CSS_ESCAPE.sub(lambda m: chr(int(m[1], 16)), path.read_text(encoding="utf-8"))
            elif path.suffix == ".po":
                yield path, path.read_text(encoding="utf-8")
            elif path.suffix == ".py":
                yield path, "".join(python_strings(path))


def python_strings(path: Path) -> Iterator[str]:
    """The string literals of a module, without docstrings and comments, which no screen shows."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.value


def used_characters() -> dict[str, Path]:
    """Each character beyond plain ASCII that the screens' sources hold, and the first file holding it."""
    used: dict[str, Path] = {}
    for path, text in texts():
        for char in text:
            if ord(char) > 0x7E:
                used.setdefault(char, path.relative_to(ROOT))
    return used


def served_fonts() -> dict[str, bytes]:
    """Every font a stylesheet of the screens names, as /vendor serves it."""
    names = {
        name
        for folder in SCREENS
        for sheet in (ROOT / folder).rglob("*.css")
        for name in WOFF2_URL.findall(sheet.read_text(encoding="utf-8"))
    }
    app = Flask(__name__)
    app.register_blueprint(assets.bp)
    client = app.test_client()
    return {name: client.get(f"/vendor/{name}").data for name in sorted(names)}


def test_the_fonts_are_small_and_draw_every_character_the_screens_use() -> None:
    used = used_characters()
    assert {"·", "–", "…", "⌫", "⇧", "✔", "♿"} <= used.keys()  # the scan finds what is there
    fonts = served_fonts()
    assert list(fonts) == ["dejavu-sans-400.woff2", "dejavu-sans-700.woff2"]
    for name, font in fonts.items():
        assert 0 < len(font) < 40_000, f"{name} is not cut down to the characters the screens use"
        cmap = TTFont(io.BytesIO(font)).getBestCmap()
        missing = {f"U+{ord(char):04X} {char} ({where})" for char, where in used.items() if ord(char) not in cmap}
        assert not missing, f"{name} lacks characters the screens use; add them to webfonts.UNICODES: {missing}"
        assert ord("é") in cmap and ord("—") in cmap and ord("’") in cmap  # names and text still to come


def test_the_kept_fonts_are_what_the_pinned_package_makes(tmp_path: Path) -> None:
    # `make fonts` on the package in node_modules gives the same glyphs, outlines, hinting and names, so the
    # fonts in git never drift from package.json; tables are compared decompressed (brotli may vary by version).
    made = webfonts.build(target=tmp_path)
    assert [path.name for path in made] == list(webfonts.SOURCES)
    for path in made:
        kept, fresh = TTFont(webfonts.TARGET / path.name), TTFont(path)
        tables = set(fresh.keys()) - {"GlyphOrder"}  # TTFont is not iterable: keys() lists its tables
        assert set(kept.keys()) - {"GlyphOrder"} == tables, path.name
        for tag in sorted(tables):
            assert kept.getTableData(tag) == fresh.getTableData(tag), f"{path.name}: {tag} differs"
    licence = (webfonts.TARGET / "LICENSE").read_text(encoding="utf-8")
    assert licence == (webfonts.PACKAGE / "LICENSE").read_text(encoding="utf-8") and "Bitstream" in licence
