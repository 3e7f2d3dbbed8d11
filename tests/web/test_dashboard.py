"""The officers' dashboard through HTTP: signing in, choosing a desk, calling and serving visitors."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select, update

from dashboard.auth import AttemptLimiter
from printers.outbox import MAX_ATTEMPTS, mark_failed, mark_printed
from printers.transports import PrinterError
from shared.models import PrintJob, PrintStatus, User, Visit
from tests.conftest import NOW, make_user
from tests.factories import at_desk, checkin, csrf, sign_in


def sessions(app: Any) -> Any:
    return app.extensions["helpdesk"].sessions


@pytest.fixture
def officer(app: Any) -> User:
    with sessions(app)() as session:
        return make_user(session, "petugas1", name="Yohana Bria")


@pytest.fixture
def staff(client: Any, officer: User) -> Any:
    """A client signed in as an officer at Meja 2, with the CSRF header htmx sends."""
    return at_desk(client, "petugas1", 2)


def waiting_visits(app: Any, count: int, **overrides: str) -> list[int]:
    with sessions(app)() as session:
        return [checkin(session, **overrides).visit_id for _ in range(count)]


def test_signing_in_leads_to_the_desk_choice_then_the_dashboard(client: Any, officer: User) -> None:
    assert client.get("/dashboard/").headers["Location"].startswith("/login")
    response = sign_in(client)
    assert response.headers["Location"] == "/dashboard/"
    assert "Di meja mana Anda bertugas hari ini?" in client.get("/dashboard/").text
    client.post("/dashboard/desk", data={"desk_id": "2", "csrf_token": csrf(client)})
    page = client.get("/dashboard/").text
    assert "Meja 2" in page and "Panggil berikutnya" in page and 'sse-connect="/dashboard/events"' in page


def test_a_wrong_password_says_so_and_five_lock_the_account(client: Any, officer: User) -> None:
    for _ in range(4):
        response = sign_in(client, password="salah-sandi")
        assert response.status_code == 401 and "Nama pengguna atau kata sandi salah." in response.text
    locked = sign_in(client, password="salah-sandi")
    assert "Akun dikunci 15 menit" in locked.text
    still_locked = sign_in(client)  # even the right password waits out the lock
    assert still_locked.status_code == 401 and "Akun dikunci" in still_locked.text


def test_sign_in_attempts_from_one_device_are_rate_limited(client: Any, app: Any, officer: User) -> None:
    app.extensions["login_limiter"] = AttemptLimiter(limit=3, window=300)
    for _ in range(3):
        assert sign_in(client, username="tidak-ada").status_code == 401
    response = sign_in(client)
    assert response.status_code == 429 and "Terlalu banyak percobaan masuk" in response.text


def test_the_session_cookie_is_httponly_and_samesite(client: Any, officer: User) -> None:
    cookie = sign_in(client).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_state_changes_without_the_csrf_token_are_refused(staff: Any, app: Any) -> None:
    waiting_visits(app, 1)
    del staff.environ_base["HTTP_X_CSRF_TOKEN"]
    response = staff.post("/dashboard/call-next")
    assert response.status_code == 400 and "Sesi formulir kedaluwarsa" in response.text
    with sessions(app)() as session:
        assert session.scalars(select(Visit.status)).one() == "waiting"


def test_call_next_serve_and_finish(staff: Any, app: Any) -> None:
    waiting_visits(app, 2)
    called = staff.post("/dashboard/call-next")
    assert called.status_code == 200
    assert "A-001" in called.text and "Maria Lodia Nenobais" in called.text and "0812-3456-7890" in called.text
    visit_id = re.search(r"/dashboard/visits/(\d+)/start", called.text).group(1)
    serving = staff.post(f"/dashboard/visits/{visit_id}/start")
    assert "Sedang dilayani" in serving.text
    done = staff.post(f"/dashboard/visits/{visit_id}/finish")
    assert "Panggil berikutnya" in done.text
    with sessions(app)() as session:
        statuses = dict(session.execute(select(Visit.seq, Visit.status)).all())
    assert statuses == {1: "done", 2: "waiting"}


def test_an_empty_queue_says_so(staff: Any) -> None:
    response = staff.post("/dashboard/call-next")
    assert response.headers["HX-Retarget"] == "#flash"
    assert "Tidak ada pengunjung yang menunggu." in response.text


def test_a_wrong_transition_is_explained(staff: Any, app: Any) -> None:
    (visit_id,) = waiting_visits(app, 1)
    response = staff.post(f"/dashboard/visits/{visit_id}/finish")
    assert response.status_code == 409 and "Tiket A-001 sedang menunggu." in response.text


def test_the_board_lists_waiting_visitors_without_names(staff: Any, app: Any) -> None:
    waiting_visits(app, 1)
    waiting_visits(app, 1, priority="1")
    board = staff.get("/dashboard/board").text
    assert "A-001" in board and "A-002" in board and "Prioritas" in board
    assert "Maria" not in board and "0812" not in board


def test_a_scanned_ticket_opens_and_can_be_called_out_of_order(staff: Any, app: Any) -> None:
    waiting_visits(app, 2)
    with sessions(app)() as session:
        token = session.scalars(select(Visit.token).where(Visit.seq == 2)).one()
    opened = staff.post("/dashboard/scan", data={"code": f"http://helpdesk.test/t/{token}"})
    assert "A-002" in opened.text and "Panggil ke meja saya" in opened.text
    visit_id = re.search(r"/dashboard/visits/(\d+)/call", opened.text).group(1)
    called = staff.post(f"/dashboard/visits/{visit_id}/call")
    assert "A-002" in called.text and "Dipanggil" in called.text
    assert staff.post("/dashboard/scan", data={"code": "not a ticket"}).status_code == 404


def test_transfer_sends_the_visitor_to_another_desk(staff: Any, app: Any) -> None:
    waiting_visits(app, 1)
    called = staff.post("/dashboard/call-next")
    visit_id = re.search(r"/dashboard/visits/(\d+)/transfer", called.text).group(1)
    moved = staff.post(f"/dashboard/visits/{visit_id}/transfer", data={"desk_id": "3"})
    assert "Belum ada pengunjung di meja ini." in moved.text
    with sessions(app)() as session:
        assert session.scalars(select(Visit.desk_id)).one() == 3


def test_the_dashboard_stream_sends_board_and_desk_then_changes(staff: Any, app: Any) -> None:
    response = staff.get("/dashboard/events")
    stream = response.response
    assert next(stream) == b"retry: 2000\n\n"
    first = "".join(next(stream).decode() for _ in range(3))
    assert "event: board" in first and "event: printer" in first and "event: desk" in first
    waiting_visits(app, 1)
    update = next(stream).decode()
    assert update.startswith("event: board") and "A-001" in update
    response.close()


def test_officers_see_a_printer_fault_until_the_held_tickets_printed(staff: Any, app: Any) -> None:
    with sessions(app)() as session:
        ticket = checkin(session)
        refused = PrinterError("unreachable", "tcp://10.0.0.5:9100: [Errno 111]\nConnection refused", delivered=False)
        mark_failed(session, ticket.print_job_id, refused, NOW)
    page = staff.get("/dashboard/", headers={"HX-Request": ""}).text
    assert "Printer tiket bermasalah" in page and "1 tiket belum tercetak sejak 14.05 WITA." in page
    assert "Kesalahan terakhir: Printer tidak dapat dihubungi: periksa daya" in page
    assert "Errno" not in page and "10.0.0.5" not in page  # the raw error is for the log, not for officers

    response = staff.get("/dashboard/events")
    stream = response.response
    opening = "".join(next(stream).decode() for _ in range(4))
    printer = opening.split("event: printer\n", 1)[1].split("\n\n", 1)[0]
    assert 'class="printer-trouble"' in printer and "1 tiket belum tercetak" in printer
    with sessions(app)() as session:
        mark_printed(session, ticket.print_job_id, NOW)
    assert next(stream).decode() == "event: printer\ndata: \n\n"  # the notice goes; the queue did not change
    response.close()


def test_the_printer_notice_speaks_the_officers_language(staff: Any, app: Any) -> None:
    with sessions(app)() as session:
        mark_failed(session, checkin(session).print_job_id, PrinterError("paper_out", delivered=False), NOW)
    staff.post("/language", data={"lang": "en", "csrf_token": staff.environ_base["HTTP_X_CSRF_TOKEN"]})
    english = staff.get("/dashboard/").text
    assert "Last error: The printer is out of paper: put in a new roll." in english


def set_aside(app: Any) -> int:
    """A ticket whose printout failed mid-print too often and now waits for an officer."""
    with sessions(app)() as session:
        job_id = checkin(session).print_job_id
        for _ in range(MAX_ATTEMPTS):
            session.execute(update(PrintJob).where(PrintJob.id == job_id).values(attempts=PrintJob.attempts + 1))
            session.commit()
            mark_failed(session, job_id, PrinterError("interrupted", "reset"), NOW)
    return job_id


def test_a_set_aside_printout_is_shown_with_a_button_that_prints_it_again(staff: Any, app: Any) -> None:
    job_id = set_aside(app)
    page = staff.get("/dashboard/").text
    assert "Cetakan yang disisihkan" in page and "A-001: Printer memutus sambungan di tengah pencetakan." in page
    assert f'hx-post="/dashboard/print-jobs/{job_id}/reprint"' in page
    notice = staff.post(f"/dashboard/print-jobs/{job_id}/reprint", headers={"HX-Request": "true"})
    assert notice.status_code == 200 and "Cetakan yang disisihkan" not in notice.text
    with sessions(app)() as session:
        job = session.get_one(PrintJob, job_id)
        assert (job.status, job.attempts, job.last_error) == (PrintStatus.PENDING, 0, None)
    again = staff.post(f"/dashboard/print-jobs/{job_id}/reprint", headers={"HX-Request": "true"})
    assert again.status_code == 409 and "tidak sedang menunggu dicetak ulang" in again.text


@pytest.mark.parametrize("job_id", ["0", "99999", "99999999999999999999999", "-1", "abc", "1%00"])
def test_printing_again_an_unknown_printout_is_refused_plainly(staff: Any, job_id: str) -> None:
    response = staff.post(f"/dashboard/print-jobs/{job_id}/reprint", headers={"HX-Request": "true"})
    assert response.status_code in (404, 409)


def test_printing_again_needs_the_csrf_token(client: Any, officer: User, app: Any) -> None:
    job_id = set_aside(app)
    at_desk(client, "petugas1", 1)
    client.environ_base.pop("HTTP_X_CSRF_TOKEN", None)
    assert client.post(f"/dashboard/print-jobs/{job_id}/reprint").status_code in (400, 403)
    with sessions(app)() as session:
        assert session.get_one(PrintJob, job_id).status == PrintStatus.SET_ASIDE


def test_transfer_to_another_officer(staff: Any, app: Any) -> None:
    with sessions(app)() as session:
        colleague = make_user(session, "petugas2", name="Agustinus Lake")
    waiting_visits(app, 1)
    called = staff.post("/dashboard/call-next")
    assert "Agustinus Lake" in called.text
    visit_id = re.search(r"/dashboard/visits/(\d+)/transfer", called.text).group(1)
    staff.post(f"/dashboard/visits/{visit_id}/transfer", data={"desk_id": "2", "officer_id": str(colleague.id)})
    with sessions(app)() as session:
        assert session.execute(select(Visit.desk_id, Visit.officer_id)).one() == (2, colleague.id)
    board = staff.get("/dashboard/board").text
    assert "Agustinus Lake" in board


def test_staff_can_work_in_english_and_refusals_are_translated(staff: Any, app: Any) -> None:
    (visit_id,) = waiting_visits(app, 1)
    staff.post(
        "/language", data={"lang": "en", "csrf_token": staff.environ_base["HTTP_X_CSRF_TOKEN"], "next": "/dashboard/"}
    )
    page = staff.get("/dashboard/", headers={"HX-Request": ""}).text
    assert "Call next" in page and 'lang="en"' in page
    refused = staff.post(f"/dashboard/visits/{visit_id}/finish")
    assert "Ticket A-001 is waiting." in refused.text


def visit_state(app: Any) -> tuple[Any, ...]:
    """The one visit's place in the queue: status, desk, officer and times."""
    with sessions(app)() as session:
        return tuple(
            session.execute(
                select(
                    Visit.status, Visit.desk_id, Visit.officer_id, Visit.called_at, Visit.served_at, Visit.finished_at
                )
            ).one()
        )


def test_an_officer_cannot_act_on_a_visitor_at_another_officers_desk(staff: Any, app: Any, officer: User) -> None:
    with sessions(app)() as session:
        make_user(session, "petugas2", name="Agustinus Lake")
    colleague = at_desk(app.test_client(), "petugas2", 1)
    waiting_visits(app, 1)
    visit_id = re.search(r"/dashboard/visits/(\d+)/start", staff.post("/dashboard/call-next").text).group(1)
    called = visit_state(app)
    assert called[:3] == ("called", 2, officer.id)

    for action in ("start", "recall", "no-show", "finish", "return", "transfer"):
        refused = colleague.post(f"/dashboard/visits/{visit_id}/{action}", data={"desk_id": "1"})
        assert refused.status_code == 409 and refused.headers["HX-Retarget"] == "#flash", action
        assert (
            "Tiket A-001 sedang di Meja 2. Hanya petugas di meja itu atau supervisor yang dapat melayaninya."
            in refused.text
        )
    assert visit_state(app) == called
    colleague.post("/language", data={"lang": "en", "csrf_token": colleague.environ_base["HTTP_X_CSRF_TOKEN"]})
    refused = colleague.post(f"/dashboard/visits/{visit_id}/finish")
    assert "Ticket A-001 is at Meja 2. Only the officer at that desk or a supervisor may attend to it." in refused.text

    staff.post(f"/dashboard/visits/{visit_id}/no-show")
    came_back = colleague.post(f"/dashboard/visits/{visit_id}/call")  # absent, then back: anyone may call them
    assert came_back.status_code == 200 and "A-001" in came_back.text and "Meja 1" in came_back.text
    assert visit_state(app)[:2] == ("called", 1)


def test_a_supervisor_may_act_at_another_desk_and_the_visitor_stays_with_its_officer(
    staff: Any, app: Any, officer: User
) -> None:
    with sessions(app)() as session:
        make_user(session, "kepala", role="supervisor", name="Kepala Sekretariat")
    supervisor = at_desk(app.test_client(), "kepala", 1)
    waiting_visits(app, 1)
    visit_id = re.search(r"/dashboard/visits/(\d+)/start", staff.post("/dashboard/call-next").text).group(1)

    started = supervisor.post(f"/dashboard/visits/{visit_id}/start")
    assert started.status_code == 200 and "Belum ada pengunjung di meja ini." in started.text  # Meja 1 is still free
    assert visit_state(app)[:3] == ("serving", 2, officer.id)
    assert "Sedang dilayani" in staff.get("/dashboard/", headers={"HX-Request": ""}).text
    assert supervisor.post(f"/dashboard/visits/{visit_id}/transfer", data={"desk_id": "3"}).status_code == 200
    assert supervisor.post(f"/dashboard/visits/{visit_id}/finish").status_code == 200
    assert visit_state(app)[:2] == ("done", 3)


def visit_id_in(page: str, action: str) -> str:
    """The id of the visit whose button for an action the page shows."""
    return re.search(rf"/dashboard/visits/(\d+)/{action}", page).group(1)  # type: ignore[union-attr]


def test_absent_sits_apart_from_recall_asks_first_and_can_be_undone(staff: Any, app: Any, officer: User) -> None:
    waiting_visits(app, 1)
    called = staff.post("/dashboard/call-next").text
    rows = re.findall(r'<div class="action-row[^"]*">(.*?)</div>', called, re.S)
    assert any("/recall" in row for row in rows) and not any("/recall" in row and "/no-show" in row for row in rows)
    absent = re.search(r'<button[^>]*/no-show"[^>]*>', called, re.S).group(0)  # type: ignore[union-attr]
    assert 'hx-confirm="A-001 dipindahkan ke daftar tidak hadir.' in absent
    assert 'data-confirm-title="Tandai A-001 tidak hadir?"' in absent
    visit_id = visit_id_in(called, "no-show")

    marked = staff.post(f"/dashboard/visits/{visit_id}/no-show").text
    assert "Belum ada pengunjung di meja ini." in marked
    notice = marked.split('<div id="flash" hx-swap-oob="innerHTML">', 1)[1]
    assert "A-001 ditandai tidak hadir." in notice and f'hx-post="/dashboard/visits/{visit_id}/undo-no-show"' in notice
    assert visit_state(app)[0] == "no_show"

    undone = staff.post(f"/dashboard/visits/{visit_id}/undo-no-show")
    assert undone.status_code == 200 and "Dipanggil, menunggu pengunjung datang" in undone.text
    assert '<div id="flash" hx-swap-oob="innerHTML"></div>' in undone.text  # the offer to undo is gone
    assert visit_state(app)[:3] == ("called", 2, officer.id)
    again = staff.post(f"/dashboard/visits/{visit_id}/undo-no-show")
    assert again.status_code == 409 and "Tiket A-001 sudah dipanggil." in again.text


def test_the_board_keeps_todays_absent_visitors_with_a_button_to_call_them_again(staff: Any, app: Any) -> None:
    first, _second = waiting_visits(app, 2)
    for _ in range(2):
        staff.post(f"/dashboard/visits/{visit_id_in(staff.post('/dashboard/call-next').text, 'no-show')}/no-show")
    board = staff.get("/dashboard/board").text
    absent = board.split('id="absent-title"', 1)[1]
    assert "Tidak hadir hari ini" in absent and absent.index("A-002") < absent.index("A-001")  # the latest first
    assert f'hx-post="/dashboard/visits/{first}/call"' in absent and "Panggil lagi" in absent
    waiting = board.split('id="absent-title"', 1)[0]
    assert "A-001" not in waiting and "A-002" not in waiting

    called_again = staff.post(f"/dashboard/visits/{first}/call")
    assert called_again.status_code == 200 and "A-001" in called_again.text
    assert "A-001" not in staff.get("/dashboard/board").text.split('id="absent-title"', 1)[1]


def test_the_header_names_the_role_only_where_the_name_does_not_say_it(app: Any, officer: User) -> None:
    with sessions(app)() as session:
        make_user(session, "admin2", role="admin", name="Administrator")
    for username, desk, expected in (
        ("admin2", 1, '<span class="name">Administrator</span>'),
        ("petugas1", 2, '<span class="name">Yohana Bria <span class="role">(Petugas helpdesk)</span></span>'),
    ):
        page = at_desk(app.test_client(), username, desk).get("/dashboard/", headers={"HX-Request": ""}).text
        who = page.split('<div class="who">', 1)[1].split("</div>", 1)[0]
        assert expected in who and who.count("Administrator") <= 1 and f"Meja {desk}" in who


def test_the_transfer_list_starts_with_no_desk_chosen_and_needs_one(staff: Any, app: Any) -> None:
    waiting_visits(app, 1)
    called = staff.post("/dashboard/call-next").text
    select = re.search(r'<select name="desk_id"([^>]*)>(.*?)</select>', called, re.S)
    assert select and "required" in select.group(1)
    chosen = [option for option in re.findall(r"<option[^>]*>", select.group(2)) if "selected" in option]
    assert chosen == ['<option value="" selected disabled>']
    refused = staff.post(f"/dashboard/visits/{visit_id_in(called, 'transfer')}/transfer", data={})
    assert refused.status_code == 409 and visit_state(app)[:2] == ("called", 2)


def test_a_scanned_ticket_opens_in_a_card_of_its_own(staff: Any, app: Any) -> None:
    waiting_visits(app, 2)
    staff.post("/dashboard/call-next")  # A-001 comes to this officer's desk
    with sessions(app)() as session:
        tokens = dict(session.execute(select(Visit.seq, Visit.token)).all())
    other = staff.post("/dashboard/scan", data={"code": tokens[2]}).text
    assert "Tiket dipindai: A-002" in other and "data-close-scanned" in other and "Panggil ke meja saya" in other
    mine = staff.post("/dashboard/scan", data={"code": tokens[1]}).text
    assert "Tiket dipindai: A-001" in mine and 'kartu "Meja saya"' in mine
    assert "/dashboard/visits/" not in mine  # its buttons are on the desk's own card, not twice
