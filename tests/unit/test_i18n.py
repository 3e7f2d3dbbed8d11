"""The interface text: every Indonesian string in the code and templates has its English translation."""

from __future__ import annotations

import ast
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from shared import i18n
from shared.calling import STATUS_TEXT, QueueError
from shared.checkin_form import FIELD_LIMITS, parse_checkin
from shared.i18n import CatalogError, Nn_, Refusal, check_catalogs, translate, translate_plural
from shared.models import Role, VisitorType
from shared.print_status import PROBLEMS, UNKNOWN_PROBLEM

ROOT = Path(__file__).resolve().parents[2]
ENGLISH = ROOT / "shared" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def makefile_list(name: str) -> list[str]:
    """A `NAME := a b c` list from the Makefile, so the tests extract from what `make messages` extracts from."""
    line = re.search(rf"^{name} := (.+)$", (ROOT / "Makefile").read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert line, f"{name} is not set in the Makefile"
    return line.group(1).split()


def extracted() -> dict[str, tuple[str, ...]]:
    """Every msgid `make messages` would extract today (by babel.cfg), with where it is used."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict[str, set[str]] = {}
    for source in makefile_list("MESSAGE_SOURCES"):
        for filename, _line, message, _comments, _context in extract_from_dir(
            str(ROOT / source), method_map, options_map
        ):
            msgid = message if isinstance(message, str) else message[0]
            found.setdefault(msgid, set()).add(f"{source}/{filename}")
    return {msgid: tuple(sorted(files)) for msgid, files in found.items()}


def english() -> Catalog:
    with ENGLISH.open("rb") as po:
        return read_po(po)


def test_every_message_in_the_code_and_templates_has_an_english_translation() -> None:
    catalog = english()
    untranslated = {
        msgid: files
        for msgid, files in extracted().items()
        if (entry := catalog.get(msgid)) is None
        or entry.fuzzy
        or not all(entry.string if isinstance(entry.string, tuple) else (entry.string,))
    }
    assert untranslated == {}, "run `make messages`, then write the English of these in " + str(ENGLISH)


def test_the_template_holds_what_the_code_says() -> None:
    with (ROOT / "shared" / "translations" / "messages.pot").open("rb") as pot:
        template = {message.id if isinstance(message.id, str) else message.id[0] for message in read_po(pot)}
    assert sorted(set(extracted()) - template) == [], "run `make messages`"


@pytest.mark.parametrize(
    ("singular", "one", "two"),
    [
        ("%(num)d orang sebelum Anda", "1 person before you", "2 people before you"),
        ("<b>%(num)d</b> orang", "<b>1</b> person", "<b>2</b> people"),
        ("perkiraan %(num)d menit", "about 1 minute", "about 2 minutes"),
        ("%(num)d menit", "1 minute", "2 minutes"),
        ("%(num)d tiket belum tercetak.", "1 ticket not printed yet.", "2 tickets not printed yet."),
        ("<b>%(num)d</b> di meja", "<b>1</b> at a desk", "<b>2</b> at desks"),
    ],
)
def test_english_counts_read_right_in_the_singular_and_the_plural(singular: str, one: str, two: str) -> None:
    message = Nn_(singular, singular)
    assert translate_plural(message, 1, "en") % {"num": 1} == one
    assert translate_plural(message, 2, "en") % {"num": 2} == two
    assert translate_plural(message, 2, "id") == singular  # Indonesian has one form


def test_a_refusal_with_a_count_reads_right_in_both_languages() -> None:
    wait = "Terlalu banyak percobaan masuk dari perangkat ini. Coba lagi dalam {num} menit."
    assert Refusal(Nn_(wait, wait), num=1).text("en").endswith("Try again in 1 minute.")
    assert Refusal(Nn_(wait, wait), num=5).text("en").endswith("Try again in 5 minutes.")
    assert str(Refusal(Nn_(wait, wait), num=1)).endswith("Coba lagi dalam 1 menit.")


def test_refusals_are_translated_with_their_parameters() -> None:
    refusal = QueueError("Tiket {number} {state}.", number="A-001", state=STATUS_TEXT[next(iter(STATUS_TEXT))])
    assert refusal.text("en") == "Ticket A-001 is waiting."
    assert str(refusal) == refusal.text("id") == "Tiket A-001 sedang menunggu."


def test_messages_kept_in_constants_are_marked_for_extraction() -> None:
    _, errors = parse_checkin({}, party_ids=set(), topic_ids=set())
    kept = {
        *errors.values(),
        *(text for limit in FIELD_LIMITS.values() for text in (limit.too_long, limit.hidden)),
        *(t.label for t in VisitorType if t is not VisitorType.BAWASLU),
        *(role.label for role in Role),
        *STATUS_TEXT.values(),
        *PROBLEMS.values(),
        UNKNOWN_PROBLEM,
    }
    assert sorted(kept - set(extracted())) == []


def test_every_refusal_class_is_an_extraction_keyword() -> None:
    """A Refusal subclass missing from babel.cfg would keep its messages out of the catalog, in Indonesian."""
    bases, classes = {"Refusal"}, set()
    sources = [path for source in makefile_list("MESSAGE_SOURCES") for path in (ROOT / source).rglob("*.py")]
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in sources]
    while True:
        found = {
            node.name
            for tree in trees
            for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef) and any(getattr(b, "id", None) in bases for b in node.bases)
        }
        if found <= classes:
            break
        classes |= found
        bases |= found
    with (ROOT / "babel.cfg").open(encoding="utf-8") as config:
        _, options_map = parse_mapping_cfg(config)
    keywords = options_map["**.py"]["keywords"]
    assert {"Refusal", "QueueError", "StaffError", "PrintError"} <= classes | {"Refusal"}
    assert sorted((classes | {"Refusal"}) - set(keywords)) == []


def test_indonesian_is_the_source_and_needs_no_catalog() -> None:
    assert translate("Ambil nomor antrean", "id") == "Ambil nomor antrean"
    assert translate("Ambil nomor antrean", "en") == "Take a queue number"
    assert translate("Ambil nomor antrean", "fr") == "Ambil nomor antrean"
    assert translate("", "en") == ""  # not the catalog's header


def copy_of_the_catalogs(tmp_path: Path) -> Path:
    copy = tmp_path / "translations"
    shutil.copytree(ROOT / "shared" / "translations", copy)
    return copy


def test_the_catalog_check_passes_on_compiled_catalogs(tmp_path: Path) -> None:
    check_catalogs(copy_of_the_catalogs(tmp_path))  # copytree keeps the times: compiled after the .po
    check_catalogs()


def test_a_missing_compiled_catalog_is_refused(tmp_path: Path) -> None:
    catalogs = copy_of_the_catalogs(tmp_path)
    (catalogs / "en" / "LC_MESSAGES" / "messages.mo").unlink()
    with pytest.raises(CatalogError, match="messages.mo is missing; run make deps"):
        check_catalogs(catalogs)


def test_a_compiled_catalog_older_than_its_po_is_refused(tmp_path: Path) -> None:
    catalogs = copy_of_the_catalogs(tmp_path)
    po = catalogs / "en" / "LC_MESSAGES" / "messages.po"
    later = time.time() + 60
    os.utime(po, (later, later))
    with pytest.raises(CatalogError, match="older than messages.po"):
        check_catalogs(catalogs)


def test_the_application_does_not_start_without_its_english_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpdesk.app import create_app

    monkeypatch.setattr(i18n, "TRANSLATIONS", tmp_path / "nothing")
    with pytest.raises(CatalogError):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}, instance_path=str(tmp_path))
