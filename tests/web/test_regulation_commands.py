"""`helpdesk regulation`: the administrator keeps the list of rules answers cite."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from shared.models import Regulation, RegulationKind
from tests.factories import helpdesk


def listed(app: Any, *options: str) -> list[str]:
    """The short names `helpdesk regulation list` shows, in order."""
    result = helpdesk(app, "regulation", "list", *options)
    assert result.exit_code == 0, result.output
    return [line.split("  ")[0] for line in result.output.splitlines()]


def test_the_seeded_rules_are_listed_in_order(app: Any) -> None:
    result = helpdesk(app, "regulation", "list")
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("UU 7/2017 ") and " uu " in first and "Undang-Undang Nomor 7 Tahun 2017" in first
    assert listed(app)[:2] == ["UU 7/2017", "PKPU 4/2022"]


def test_an_added_rule_is_listed_last_with_its_kind_and_title(app: Any) -> None:
    result = helpdesk(
        app,
        "regulation",
        "add",
        "SE KPU 1/2022",
        "--kind",
        "surat_edaran",
        "--title",
        "Surat Edaran KPU tentang helpdesk",
    )
    assert result.exit_code == 0, result.output
    assert "SE KPU 1/2022" in result.output and "Surat edaran" in result.output
    assert listed(app)[-1] == "SE KPU 1/2022"
    with app.extensions["helpdesk"].sessions() as session:
        rule = session.scalars(select(Regulation).where(Regulation.short_name == "SE KPU 1/2022")).one()
        assert (rule.kind, rule.title, rule.active) == (
            RegulationKind.CIRCULAR,
            "Surat Edaran KPU tentang helpdesk",
            True,
        )


def test_a_deactivated_rule_leaves_the_list_but_not_the_record(app: Any) -> None:
    result = helpdesk(app, "regulation", "deactivate", "UU 27/2022")
    assert result.exit_code == 0 and "UU 27/2022 deactivated" in result.output
    assert "UU 27/2022" not in listed(app)
    everything = helpdesk(app, "regulation", "list", "--all")
    assert any(line.startswith("UU 27/2022 ") and "(deactivated)" in line for line in everything.output.splitlines())
    again = helpdesk(app, "regulation", "deactivate", "UU 27/2022")
    assert again.exit_code != 0 and "Peraturan UU 27/2022 sudah dinonaktifkan." in again.output


def test_the_commands_refuse_with_the_reason(app: Any) -> None:
    duplicate = helpdesk(app, "regulation", "add", "uu 7/2017", "--kind", "uu", "--title", "Undang-Undang Pemilu")
    assert duplicate.exit_code != 0 and "Peraturan UU 7/2017 sudah ada dalam daftar." in duplicate.output
    too_long = helpdesk(app, "regulation", "add", "PKPU 1/2023", "--kind", "pkpu", "--title", "x" * 301)
    assert too_long.exit_code != 0 and "Judul peraturan paling banyak 300 karakter." in too_long.output
    unknown_kind = helpdesk(app, "regulation", "add", "Perda 1/2020", "--kind", "perda", "--title", "Perda")
    assert unknown_kind.exit_code != 0 and "perda" in unknown_kind.output
    unknown = helpdesk(app, "regulation", "deactivate", "PKPU 99/2099")
    assert unknown.exit_code != 0 and "Peraturan PKPU 99/2099 tidak ada dalam daftar." in unknown.output
    assert "PKPU 1/2023" not in listed(app, "--all") and "Perda 1/2020" not in listed(app, "--all")
