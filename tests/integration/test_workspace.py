"""The consultation at the desk on a real database: step clocks, the problem list, conflicts and who may edit."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared import calling
from shared.calling import Actor
from shared.consultation import receipt, report, workspace
from shared.consultation.models import AuditEntry, Consultation, FaqEntry, Problem, Regulation
from shared.consultation.workspace import EditConflict, WorkspaceError
from shared.models import Role
from tests.conftest import NOW, make_user, signature_png
from tests.factories import SETTINGS, served

MINUTE = timedelta(minutes=1)


@pytest.fixture
def officer(session: Session) -> Any:
    return make_user(session)


def seconds(consultation: Consultation, at: Any) -> dict[int, tuple[int, str, bool]]:
    return {
        time.step.number: (time.seconds, time.state, time.current) for time in workspace.step_times(consultation, at)
    }


def test_starting_service_opens_step_2_and_each_step_keeps_its_time(session: Session, officer: Any) -> None:
    consultation = served(session, officer.id)
    assert (consultation.step, consultation.officer_id) == (2, officer.id)
    assert seconds(consultation, NOW + 4 * MINUTE)[2] == (240, "ok", True)
    assert seconds(consultation, NOW + 8 * MINUTE)[2] == (480, "amber", True)  # 80 % of the standard 10 minutes

    workspace.go_to_step(session, consultation.id, 3, officer, NOW + 9 * MINUTE)
    workspace.go_to_step(session, consultation.id, 2, officer, NOW + 40 * MINUTE)  # back to step 2: time adds up
    times = seconds(consultation, NOW + 42 * MINUTE)
    assert times[2] == (11 * 60, "red", True)
    assert times[3] == (31 * 60, "red", False)
    assert times[4] == (0, "ok", False)
    steps = session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "step.changed")).all()
    assert [json.loads(detail) for detail in steps] == [{"from": 2, "to": 3}, {"from": 3, "to": 2}]


def test_the_clock_stops_when_the_visit_ends_and_resumes_when_a_transferred_visitor_is_served_again(
    session: Session, officer: Any
) -> None:
    consultation = served(session, officer.id)
    colleague = make_user(session, "petugas2")
    calling.transfer(session, consultation.visit_id, Actor(officer.id, Role.OFFICER, 2), 3, colleague.id, NOW + MINUTE)
    assert seconds(consultation, NOW + 30 * MINUTE)[2] == (60, "ok", False)  # stopped while walking over

    calling.start_service(session, consultation.visit_id, Actor(colleague.id, Role.OFFICER, 3), NOW + 5 * MINUTE)
    session.refresh(consultation)
    assert consultation.officer_id == colleague.id  # the new desk carries on with the same record
    calling.finish(session, consultation.visit_id, Actor(colleague.id, Role.OFFICER, 3), NOW + 7 * MINUTE)
    assert seconds(consultation, NOW + 60 * MINUTE)[2] == (180, "ok", False)


def test_problems_are_added_edited_moved_and_removed_in_order(session: Session, officer: Any) -> None:
    consultation = served(session, officer.id)
    first = workspace.add_problem(session, consultation.id, 1, "Lupa kata sandi SIPOL", officer, NOW)
    second = workspace.add_problem(session, consultation.id, 2, "  NIK ganda\r\nbaris dua  ", officer, NOW)
    assert second.description == "NIK ganda\nbaris dua"

    saved = workspace.save_problem(session, first.id, 1, officer, NOW, answer="Atur ulang lewat admin SIPOL.")
    assert (saved.version, saved.answer) == (2, "Atur ulang lewat admin SIPOL.")
    unchanged = workspace.save_problem(session, first.id, 2, officer, NOW, answer="Atur ulang lewat admin SIPOL.")
    assert unchanged.version == 2  # nothing changed, nothing to conflict with

    workspace.move_problem(session, second.id, -1, officer, NOW)
    session.expire_all()
    assert [problem.description for problem in consultation.problems] == [
        "NIK ganda\nbaris dua",
        "Lupa kata sandi SIPOL",
    ]
    workspace.remove_problem(session, second.id, 1, officer, NOW)
    session.expire_all()
    assert [(problem.position, problem.id) for problem in consultation.problems] == [(1, first.id)]


def test_a_save_from_a_stale_tab_is_refused_and_shows_what_is_saved(session: Session, officer: Any) -> None:
    consultation = served(session, officer.id)
    problem = workspace.add_problem(session, consultation.id, 1, "Awal", officer, NOW)
    workspace.save_problem(session, problem.id, 1, officer, NOW, description="Dari tab pertama")
    with pytest.raises(EditConflict) as conflict:
        workspace.save_problem(session, problem.id, 1, officer, NOW, description="Dari tab kedua")
    assert conflict.value.problem.description == "Dari tab pertama"
    with pytest.raises(EditConflict):
        workspace.remove_problem(session, problem.id, 1, officer, NOW)
    session.expire_all()
    assert session.get(Problem, problem.id).description == "Dari tab pertama"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a\x00b", "Teks berisi karakter yang tidak diizinkan."),
        ("bell\x07", "Teks berisi karakter yang tidak diizinkan."),
        ("x" * 5001, "Teks terlalu panjang: paling banyak 5000 karakter."),
    ],
)
def test_bad_text_is_refused_and_nothing_is_saved(session: Session, officer: Any, text: str, message: str) -> None:
    consultation = served(session, officer.id)
    problem = workspace.add_problem(session, consultation.id, 1, "Awal", officer, NOW)
    with pytest.raises(WorkspaceError, match=message):
        workspace.save_problem(session, problem.id, 1, officer, NOW, answer=text)
    with pytest.raises(WorkspaceError, match=message):
        workspace.add_problem(session, consultation.id, 1, text, officer, NOW)
    session.expire_all()
    assert [(p.answer, p.version) for p in consultation.problems] == [("", 1)]


def test_only_the_consultations_officer_or_a_supervisor_may_work_on_it(session: Session, officer: Any) -> None:
    consultation = served(session, officer.id)
    other = make_user(session, "petugas2")
    supervisor = make_user(session, "kepala", role="supervisor")
    with pytest.raises(WorkspaceError, match="ditangani petugas lain"):
        workspace.add_problem(session, consultation.id, 1, "Bukan meja saya", other, NOW)
    with pytest.raises(WorkspaceError, match="ditangani petugas lain"):
        workspace.go_to_step(session, consultation.id, 3, other, NOW)
    workspace.add_problem(session, consultation.id, 1, "Dibantu supervisor", supervisor, NOW)
    with pytest.raises(WorkspaceError, match="Pilih topik"):
        workspace.add_problem(session, consultation.id, 999, "Topik tidak ada", officer, NOW)
    with pytest.raises(WorkspaceError, match="Langkah tidak dikenal"):
        workspace.go_to_step(session, consultation.id, 7, officer, NOW)


def test_a_signed_record_changes_no_more(session: Session, officer: Any) -> None:
    consultation = served(session, officer.id)
    problem = workspace.add_problem(session, consultation.id, 1, "Awal", officer, NOW)
    consultation.receipt_signed_at = NOW
    session.commit()
    with pytest.raises(WorkspaceError, match="hanya lewat ralat"):
        workspace.save_problem(session, problem.id, 1, officer, NOW, answer="Terlambat")
    with pytest.raises(WorkspaceError, match="hanya lewat ralat"):
        workspace.go_to_step(session, consultation.id, 3, officer, NOW)


def test_an_answer_cites_rules_with_their_articles_and_approved_faq_entries(session: Session, officer: Any) -> None:
    consultation = served(session, officer.id)
    problem = workspace.add_problem(session, consultation.id, 1, "Syarat keanggotaan", officer, NOW)
    law = session.scalars(select(Regulation).where(Regulation.short_name == "PKPU 4/2022")).one()
    cited = workspace.add_reference(session, problem.id, officer, NOW, regulation_id=law.id, article="Pasal 7 ayat (1)")
    draft = FaqEntry(question="Draf", answer="Belum disetujui", created_at=NOW)
    session.add(draft)
    session.commit()
    with pytest.raises(WorkspaceError, match="belum disetujui"):
        workspace.add_reference(session, problem.id, officer, NOW, faq_id=draft.id)
    with pytest.raises(WorkspaceError, match="Pilih peraturan atau jawaban FAQ"):
        workspace.add_reference(session, problem.id, officer, NOW)
    with pytest.raises(WorkspaceError, match="Pilih peraturan dari daftar"):
        workspace.add_reference(session, problem.id, officer, NOW, regulation_id=99999)
    with pytest.raises(WorkspaceError, match="Pasal paling banyak"):
        workspace.add_reference(session, problem.id, officer, NOW, regulation_id=law.id, article="Pasal 1\nayat 2")
    session.expire_all()
    assert [(ref.regulation.short_name, ref.article) for ref in problem.references] == [
        ("PKPU 4/2022", "Pasal 7 ayat (1)")
    ]  # type: ignore[union-attr]

    workspace.remove_reference(session, cited.id, officer, NOW)
    session.expire_all()
    assert problem.references == []
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("reference.%"))).all()
    assert actions == ["reference.added", "reference.removed"]


def test_signing_stops_the_clock_so_the_signed_report_holds_every_step_up_to_the_signature(
    session: Session, officer: Any
) -> None:
    consultation = served(session, officer.id)
    workspace.add_problem(session, consultation.id, 1, "Lupa kata sandi", officer, NOW)
    workspace.go_to_step(session, consultation.id, 6, officer, NOW + 5 * MINUTE)
    receipt.sign(session, consultation.id, signature_png(), officer, NOW + 12 * MINUTE, SETTINGS, "{seq:03d}/{year}")
    data = report.build_report(session, consultation.id, "id", SETTINGS.timezone)
    assert {step.number: step.seconds for step in data.steps if step.seconds} == {2: 300, 6: 420}
    assert data.number == "001/2026"
