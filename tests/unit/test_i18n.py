"""Every Indonesian interface string has its English translation."""

import re
from pathlib import Path

from shared.checkin_form import parse_checkin
from shared.i18n import EN
from shared.models import VisitorType
from shared.seed import PARTIES

ROOT = Path(__file__).resolve().parents[2]


def template_strings() -> set[str]:
    found: set[str] = set()
    for template in ROOT.glob("*/templates/**/*.html"):
        found.update(re.findall(r"_\('([^']+)'\)", template.read_text(encoding="utf-8")))
    return found


def test_template_strings_are_translated() -> None:
    strings = template_strings()
    assert len(strings) > 40
    assert sorted(strings - EN.keys()) == []


def test_validation_messages_visitor_types_and_party_labels_are_translated() -> None:
    _, errors = parse_checkin({}, party_ids=set(), topic_ids=set())
    labels = {t.label for t in VisitorType} | {short for number, _, short in PARTIES if number is None}
    assert sorted((set(errors.values()) | labels) - EN.keys() - {"Bawaslu"}) == []


def test_no_interface_string_is_translated_twice() -> None:
    source = (ROOT / "shared" / "i18n.py").read_text(encoding="utf-8")
    keys = re.findall(r'^\s+"((?:[^"\\]|\\.)*)":', source, flags=re.MULTILINE) + re.findall(
        r"^\s+'([^']*)':", source, flags=re.MULTILINE
    )
    assert len(keys) == len(set(keys)) == len(EN)
