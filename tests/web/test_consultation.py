"""The consultation workspace over HTTP: it opens when service starts, steps, autosave, conflicts, bad input."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from shared.consultation.models import Problem
from shared.models import User
from tests.factories import at_desk, checkin


@pytest.fixture
def staff(client: Any, officer: User) -> Any:
    return at_desk(client, "petugas1", 2)


@pytest.fixture
def officer(app: Any) -> User:
    from tests.conftest import make_user

    with app.extensions["helpdesk"].sessions() as session:
        return make_user(session)  # type: ignore[no-any-return]


def open_workspace(app: Any, staff: Any) -> tuple[str, str]:
    """Call and start serving a visitor; returns the workspace's address and page."""
    with app.extensions["helpdesk"].sessions() as session:
        checkin(session)
    called = staff.post("/dashboard/call-next")
    visit_id = re.search(r"/dashboard/visits/(\d+)/start", called.text).group(1)
    started = staff.post(f"/dashboard/visits/{visit_id}/start")
    assert started.headers["HX-Redirect"] == f"/dashboard/consultations/visit/{visit_id}"
    address = staff.get(started.headers["HX-Redirect"]).headers["Location"]
    return address, staff.get(address).text


def test_starting_service_opens_the_workspace_at_step_2_beside_the_queue(app: Any, staff: Any) -> None:
    address, page = open_workspace(app, staff)
    assert "Maria Lodia Nenobais" in page and "0812-3456-7890" in page
    assert re.search(r'aria-current="step"[^>]*>\s*<span class="step-number">2<', page)
    assert 'id="board"' in page and 'sse-swap="board"' in page  # the live queue stays on screen
    moved = staff.post(f"{address}/steps/3")
    assert re.search(r'aria-current="step"[^>]*>\s*<span class="step-number">3<', moved.text)


def test_a_problem_saves_as_it_is_typed_and_a_stale_tab_is_told(app: Any, staff: Any) -> None:
    address, _ = open_workspace(app, staff)
    listed = staff.post(f"{address}/problems", data={"topic_id": "1", "description": "Lupa kata sandi SIPOL"})
    problem_id = re.search(r'data-problem="(\d+)"', listed.text).group(1)
    saved = staff.post(
        f"/dashboard/consultations/problems/{problem_id}", data={"version": "1", "answer": "Atur ulang."}
    )
    assert "Tersimpan" in saved.text and 'value="2"' in saved.text  # the form's version moves on
    stale = staff.post(f"/dashboard/consultations/problems/{problem_id}", data={"version": "1", "answer": "Lain"})
    assert "Diubah di tab lain." in stale.text and "Muat versi tersimpan" in stale.text
    assert "Atur ulang." in staff.get(address).text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("answer", "x\x00y", "Teks berisi karakter yang tidak diizinkan."),
        ("answer", "x" * 6000, "Teks terlalu panjang"),
        ("topic_id", "999999999999999999999", "Pilih topik dari daftar."),
        ("version", "abc", "Diubah di tab lain."),
    ],
)
def test_bad_input_is_explained_and_nothing_is_saved(
    app: Any, staff: Any, field: str, value: str, message: str
) -> None:
    address, _ = open_workspace(app, staff)
    listed = staff.post(f"{address}/problems", data={"topic_id": "1", "description": "Awal"})
    problem_id = re.search(r'data-problem="(\d+)"', listed.text).group(1)
    response = staff.post(f"/dashboard/consultations/problems/{problem_id}", data={"version": "1", field: value})
    assert response.status_code == 200 and message in response.text
    with app.extensions["helpdesk"].sessions() as session:
        assert session.scalars(select(Problem.version)).all() == [1]


def test_another_officer_may_look_but_not_change(app: Any, staff: Any) -> None:
    address, _ = open_workspace(app, staff)
    with app.extensions["helpdesk"].sessions() as session:
        from tests.conftest import make_user

        make_user(session, "petugas2")
    colleague = at_desk(app.test_client(), "petugas2", 1)
    page = colleague.get(address).text
    assert "Tambah masalah" not in page
    refused = colleague.post(f"{address}/problems", data={"topic_id": "1", "description": "Bukan meja saya"})
    assert refused.status_code == 409 and "ditangani petugas lain" in refused.text
