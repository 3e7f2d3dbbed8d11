"""The waiting-room TV through HTTP: the page, what it never shows, and its event stream."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from shared.calling import Actor, call_ticket, mark_no_show, recall, transfer
from shared.models import Role
from tests.conftest import NOW, make_user
from tests.factories import checkin

NAME, PHONE = "Maria Lodia Nenobais", "0812-3456-7890"
PRIVATE = ("Maria", "Lodia", "Nenobais", "M***", "0812", "3456", "7890", "+62812")


@pytest.fixture
def officer(app: Any) -> int:
    """An officer account that makes the calls."""
    with app.extensions["helpdesk"].sessions() as session:
        return int(make_user(session).id)


def check_in_and_call(app: Any, officer: int, desk_id: int | None = None) -> int:
    """Check a visitor in with a known name and phone; call them to the desk if given. Returns the visit id."""
    with app.extensions["helpdesk"].sessions() as session:
        visit_id = checkin(session, name=NAME, phone=PHONE).visit_id
        if desk_id is not None:
            call_ticket(session, visit_id, desk_id, officer, NOW)
    return visit_id


def frame(stream: Any) -> str:
    return next(stream).decode()


def payload(sse_frame: str) -> str:
    """The data of one server-sent event, its lines joined again."""
    return "\n".join(line.removeprefix("data: ") for line in sse_frame.splitlines() if line.startswith("data: "))


def number_at(board: str, desk: str) -> str:
    match = re.search(rf'data-desk="{desk}">\s*<span class="number">([^<]+)<', payload(board))
    assert match, f"{desk} is not on the board"
    return match.group(1)


def test_the_page_shows_the_office_the_date_and_every_desk(client: Any) -> None:
    page = client.get("/display")
    assert page.status_code == 200
    assert "KPU Kota Kupang" in page.text
    assert "Sabtu, 28 November 2026" in page.text and "14.05 WITA" in page.text
    assert all(f'data-desk="Meja {n}"' in page.text for n in (1, 2, 3))
    assert 'sse-connect="/display/events"' in page.text and "Sentuh layar untuk mengaktifkan suara" in page.text


def test_the_page_speaks_english_on_request(client: Any) -> None:
    page = client.get("/display?lang=en")
    assert "Latest calls" in page.text and 'sse-connect="/display/events?lang=en"' in page.text


def test_names_and_phones_never_reach_the_screen(app: Any, client: Any, officer: int) -> None:
    check_in_and_call(app, officer, desk_id=1)
    check_in_and_call(app, officer)
    page = client.get("/display").text
    response = client.get("/display/events")
    stream = response.response
    frame(stream)
    board = frame(stream)
    response.close()
    assert "A-001" in page and "A-001" in board
    for text in (page, board):
        assert [word for word in PRIVATE if word in text] == []


def test_the_stream_sends_the_board_then_announces_calls_transfers_and_recalls(
    app: Any, client: Any, officer: int
) -> None:
    visit_id = check_in_and_call(app, officer)
    response = client.get("/display/events")
    assert response.mimetype == "text/event-stream"
    stream = response.response
    assert frame(stream) == "retry: 2000\n\n"
    board = frame(stream)
    assert board.startswith("event: board\n") and all(f"Meja {n}" in board for n in (1, 2, 3))
    assert "data-waiting>1<" in board

    with app.extensions["helpdesk"].sessions() as session:
        call_ticket(session, visit_id, 2, officer, NOW)
    announce = frame(stream)
    assert announce.startswith("event: announce\n")
    assert json.loads(payload(announce)) == {"number": "A-001", "desk": "Meja 2", "recall": False}
    board = frame(stream)
    assert board.startswith("event: board\n")
    assert number_at(board, "Meja 2") == "A-001" and number_at(board, "Meja 1") == "–"
    assert "data-waiting>0<" in board

    with app.extensions["helpdesk"].sessions() as session:
        transfer(session, visit_id, Actor(officer, Role.OFFICER, 2), 3, None, NOW)
    assert json.loads(payload(frame(stream))) == {"number": "A-001", "desk": "Meja 3", "recall": False}
    assert number_at(frame(stream), "Meja 3") == "A-001"

    with app.extensions["helpdesk"].sessions() as session:
        recall(session, visit_id, Actor(officer, Role.OFFICER, 3))
    assert json.loads(payload(frame(stream))) == {"number": "A-001", "desk": "Meja 3", "recall": True}
    response.close()


def latest_calls(page: str) -> list[str]:
    """The rows of the latest-calls list, as HTML."""
    return re.findall(r"<li\b.*?</li>", page.split('class="recent"', 1)[1], flags=re.DOTALL)


def test_a_ticket_that_did_not_come_stays_in_the_latest_calls_marked_absent(
    app: Any, client: Any, officer: int
) -> None:
    missed = check_in_and_call(app, officer, desk_id=1)
    check_in_and_call(app, officer, desk_id=2)
    with app.extensions["helpdesk"].sessions() as session:
        mark_no_show(session, missed, Actor(officer, Role.OFFICER, 1), NOW)

    for path, absent in (("/display", "Tidak hadir"), ("/display?lang=en", "Absent")):
        page = client.get(path).text
        called, missed_row = latest_calls(page)
        assert "A-002" in called and "Meja 2" in called and absent not in called and "absent" not in called
        assert 'class="absent"' in missed_row and "A-001" in missed_row and "Meja 1" in missed_row
        assert absent in missed_row
        assert [word for word in PRIVATE if word in page] == []
