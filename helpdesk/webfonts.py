"""The screens' DejaVu Sans, cut down to the characters the helpdesk shows: `python -m helpdesk.webfonts`.

The full fonts in the pinned @fontsource/dejavu-sans package weigh 254 KB and 233 KB, half of a kiosk's first
load; these subsets keep every glyph a screen can need, with the hinting and OpenType features unchanged, so text
looks the same. They are made from node_modules with fontTools (the `test` extra) and kept in helpdesk/static/fonts
beside the fonts' licence, so every installation serves them, `pip install -e .` and `npm ci` alone included.
Run this again (`make fonts`) after changing the package's version or UNICODES; a test checks that the files
kept are what it makes, and that they hold every character the templates, scripts and messages use.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "node_modules" / "@fontsource" / "dejavu-sans"
TARGET = Path(__file__).resolve().parent / "static" / "fonts"
# Served name -> the package's file it is made from.
SOURCES = {
    "dejavu-sans-400.woff2": "files/dejavu-sans-latin-400-normal.woff2",
    "dejavu-sans-700.woff2": "files/dejavu-sans-latin-700-normal.woff2",
}

# Indonesian and English text and the punctuation of both, names typed at the kiosk or by officers (European
# names too: Latin-1 and Latin Extended-A), and the few symbols the screens draw: the on-screen keyboard's
# ⇧ ⌫ ✔, the priority tile's ♿, arrows and check marks. A character outside these falls back to another font.
UNICODES = (
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x00FF),  # Latin-1 Supplement: NBSP, · é ñ ü ...
    (0x0100, 0x017F),  # Latin Extended-A
    (0x2000, 0x206F),  # General Punctuation: spaces, – — ‘ ’ “ ” • …
    (0x20AC, 0x20AC),  # €
    (0x2122, 0x2122),  # ™
    (0x2190, 0x2193),  # ← ↑ → ↓
    (0x21E7, 0x21E7),  # ⇧ shift
    (0x2212, 0x2212),  # − minus
    (0x232B, 0x232B),  # ⌫ backspace
    (0x267F, 0x267F),  # ♿ priority visitors
    (0x2713, 0x2714),  # ✓ ✔
    (0xFFFD, 0xFFFD),  # � in place of bytes that were not text
)


def codepoints() -> set[int]:
    """Every character the subsets keep."""
    return {code for first, last in UNICODES for code in range(first, last + 1)}


def subset(source: Path, target: Path) -> None:
    """Write the subset of one font: the glyphs for UNICODES, every OpenType feature, hinting and names kept."""
    from fontTools import subset as fonttools_subset  # the `test` extra: only this maintenance step needs it

    options = fonttools_subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]  # kerning, ligatures, tabular figures (the TV's clock)
    options.name_IDs = ["*"]  # copyright, licence and the rest of the name table
    options.notdef_outline = True
    options.drop_tables = [*options.drop_tables, "FFTM"]  # FontForge's build time, which browsers ignore
    font = fonttools_subset.load_font(str(source), options)
    subsetter = fonttools_subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(codepoints()))
    subsetter.subset(font)
    target.parent.mkdir(parents=True, exist_ok=True)
    fonttools_subset.save_font(font, str(target), options)


def build(package: Path = PACKAGE, target: Path = TARGET) -> list[Path]:
    """Make every subset from the installed package into target, with the licence; return the fonts written."""
    if not package.is_dir():
        raise FileNotFoundError(f"{package} is missing: run `make deps` (npm ci) first")
    written = []
    for name, relative in SOURCES.items():
        subset(package / relative, target / name)
        written.append(target / name)
    shutil.copyfile(package / "LICENSE", target / "LICENSE")
    return written


def main() -> int:
    """Rebuild the subsets in helpdesk/static/fonts."""
    try:
        written = build()
    except (FileNotFoundError, ImportError) as error:
        print(f"cannot build the fonts: {error} (pip install -e '.[test]' brings fontTools)", file=sys.stderr)
        return 1
    for path in written:
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
