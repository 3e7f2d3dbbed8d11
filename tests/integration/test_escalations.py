"""Escalation to the provincial helpdesk on a real database: sent once, claimed exactly once, answered once."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from shared.checkin import default_office
from shared.consultation import escalations
from shared.consultation.escalations import EscalationError, EscalationStatus
from shared.db import make_sessionmaker
from shared.events import Broker, Event
from shared.models import Amendment, AuditEntry, Consultation, Escalation, Office, Problem, Province, User
from tests.conftest import NOW, make_user
from tests.factories import checkin

NOTE = "Pengurus sudah unggah SK kepengurusan tetapi SIPOL menolak: apakah keterwakilan 30% dihitung per kecamatan?"


@dataclass
class Desk:
    """A consultation at the city desk with one problem, its officer and a provincial officer of the same province."""

    consultation_id: int
    problem_id: int
    officer: User
    provincial: User


def new_problem(session: Session, officer: User, office_id: int | None = None, description: str = "SK ditolak") -> int:
    """A visitor checked in, a consultation started for them and one problem recorded; the problem's id."""
    visit_id = checkin(session).visit_id
    consultation = Consultation(
        visit_id=visit_id,
        office_id=office_id or default_office(session).id,
        officer_id=officer.id,
        step=4,
        started_at=NOW,
    )
    session.add(consultation)
    session.flush()
    problem = Problem(consultation_id=consultation.id, position=1, topic_id=1, description=description, updated_at=NOW)
    session.add(problem)
    session.commit()
    return problem.id


def provincial(session: Session, username: str, name: str | None = None, province_id: Any = "same") -> User:
    """A provincial helpdesk officer, of the seeded office's province unless told otherwise."""
    if province_id == "same":
        province_id = default_office(session).province_id
    return make_user(session, username, role="provincial", name=name or f"Provinsi {username}", province_id=province_id)


@pytest.fixture
def desk(session: Session) -> Desk:
    """Yohana Bria at the city desk with one problem; Agustinus Fanggidae at the provincial helpdesk."""
    officer = make_user(session, "petugas1", name="Yohana Bria")
    problem_id = new_problem(session, officer)
    consultation_id = session.get_one(Problem, problem_id).consultation_id
    return Desk(consultation_id, problem_id, officer, provincial(session, "prov1", "Agustinus Fanggidae"))


def sent(session: Session, desk: Desk, at: datetime = NOW) -> Escalation:
    """The desk's problem escalated by its officer."""
    return escalations.escalate(session, desk.problem_id, NOTE, desk.officer.id, at)


def close(session: Session, consultation_id: int, at: datetime = NOW, signed: bool = True) -> None:
    """The report was closed and, when signed, the visitor signed the receipt: the record is locked."""
    consultation = session.get_one(Consultation, consultation_id)
    consultation.closed_at = at
    consultation.receipt_signed_at = at if signed else None
    session.commit()


def count(session: Session, model: Any, *where: Any) -> int:
    """How many rows the database holds now."""
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def drain(subscription: Any) -> list[Event]:
    """Every event the subscription has heard so far."""
    received = []
    while (item := subscription.get(0.05)) is not None:
        received.append(item)
    return received


def test_a_problem_is_escalated_with_its_note_audited_and_announced(
    session: Session, desk: Desk, broker: Broker
) -> None:
    with broker.subscribe() as events:
        escalation = escalations.escalate(
            session, desk.problem_id, f"  {NOTE}\r\nSudah dicoba dua kali.\t", desk.officer.id, NOW
        )
        received = drain(events)
    office = default_office(session)
    assert escalation.note == f"{NOTE}\nSudah dicoba dua kali."  # a textarea's CRLF made plain, ends trimmed
    assert (escalation.office_id, escalation.escalated_by, escalation.escalated_at) == (office.id, desk.officer.id, NOW)
    assert escalations.status_of(escalation) == EscalationStatus.OPEN
    assert received == [
        Event(
            "escalation.sent",
            {
                "escalation_id": escalation.id,
                "consultation_id": desk.consultation_id,
                "office_id": office.id,
                "province_id": office.province_id,
            },
        )
    ]
    audit = session.scalars(select(AuditEntry)).all()
    assert [(a.action, a.consultation_id, a.user_id, a.at) for a in audit] == [
        ("escalation.sent", desk.consultation_id, desk.officer.id, NOW)
    ]


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("", escalations.NOTE_REQUIRED),
        (" \r\n\t ", escalations.NOTE_REQUIRED),
        ("SIPOL\x00menolak", escalations.NOTE_HIDDEN),
        ("SIPOL \x1b[31mmenolak", escalations.NOTE_HIDDEN),
        ("SIPOL menolak\x0b", escalations.NOTE_HIDDEN),  # str.strip() would have dropped it quietly
        ("SIPOL \x85menolak", escalations.NOTE_HIDDEN),
        ("SIPOL \u202emenolak", escalations.NOTE_HIDDEN),  # reads backwards on screen
        ("x" * 2001, escalations.NOTE_TOO_LONG),
        ("x" * 1_000_000, escalations.NOTE_TOO_LONG),
    ],
)
def test_a_note_that_is_empty_hides_characters_or_is_too_long_is_refused(
    session: Session, desk: Desk, broker: Broker, note: str, message: str
) -> None:
    with broker.subscribe() as events, pytest.raises(EscalationError) as refused:
        escalations.escalate(session, desk.problem_id, note, desk.officer.id, NOW)
    assert refused.value.template == message
    assert events.get(0.05) is None
    assert count(session, Escalation) == count(session, AuditEntry) == 0


def test_a_note_of_the_longest_length_with_line_breaks_and_other_scripts_is_kept(session: Session, desk: Desk) -> None:
    note = "Keanggotaan ganda — NIK 5371…\n\t" + "é" * (2000 - 31)
    assert len(note) == 2000
    assert escalations.escalate(session, desk.problem_id, note, desk.officer.id, NOW).note == note


def test_refusals_read_in_english_too(session: Session, desk: Desk) -> None:
    with pytest.raises(EscalationError) as refused:
        escalations.escalate(session, desk.problem_id, "x" * 2001, desk.officer.id, NOW)
    assert str(refused.value) == "Catatan terlalu panjang (paling banyak 2000 karakter)."
    assert refused.value.text("en") == "The note is too long (at most 2000 characters)."


def test_a_problem_is_escalated_again_only_once_the_last_escalation_is_answered(session: Session, desk: Desk) -> None:
    first = sent(session, desk)
    with pytest.raises(
        EscalationError, match="^Permasalahan ini sudah dieskalasi ke helpdesk provinsi dan belum dijawab.$"
    ):
        sent(session, desk, NOW + timedelta(minutes=1))
    escalations.claim(session, first.id, desk.provincial, NOW + timedelta(minutes=2))
    with pytest.raises(EscalationError, match="sudah dieskalasi"):  # claimed is not answered yet
        sent(session, desk, NOW + timedelta(minutes=3))
    escalations.answer(session, first.id, desk.provincial, "Dihitung per kabupaten/kota.", "PKPU 4/2022", NOW)
    second = sent(session, desk, NOW + timedelta(minutes=5))
    assert count(session, Escalation) == 2 and second.id != first.id


def test_two_officers_escalating_the_same_problem_at_once_send_it_once(
    sessions: sessionmaker[Session], desk: Desk
) -> None:
    outcomes: list[str] = []
    start = threading.Barrier(8)
    problem_id, officer_id = desk.problem_id, desk.officer.id

    def officer() -> None:
        with sessions() as session:
            start.wait()
            try:
                escalations.escalate(session, problem_id, NOTE, officer_id, NOW)
                outcomes.append("sent")
            except EscalationError as error:
                outcomes.append(error.template)

    threads = [threading.Thread(target=officer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == sorted(["sent"] + [escalations.ALREADY_ESCALATED] * 7)
    with sessions() as session:
        assert count(session, Escalation) == 1


@pytest.mark.parametrize("signed", [True, False])
def test_a_closed_or_locked_consultation_is_not_escalated(session: Session, desk: Desk, signed: bool) -> None:
    close(session, desk.consultation_id, signed=signed)
    with pytest.raises(EscalationError) as refused:
        sent(session, desk, NOW + timedelta(minutes=1))
    assert refused.value.template == escalations.CONSULTATION_CLOSED
    assert count(session, Escalation) == 0


def test_only_city_staff_escalate_and_only_problems_that_exist(session: Session, desk: Desk) -> None:
    with pytest.raises(EscalationError) as refused:
        escalations.escalate(session, desk.problem_id, NOTE, desk.provincial.id, NOW)
    assert refused.value.template == escalations.NOT_CITY_STAFF
    with pytest.raises(EscalationError, match="^Permasalahan tidak ditemukan.$"):
        escalations.escalate(session, 999, NOTE, desk.officer.id, NOW)
    desk.officer.active = False
    session.commit()
    with pytest.raises(EscalationError) as refused:
        sent(session, desk)
    assert refused.value.template == escalations.UNKNOWN_USER
    assert count(session, Escalation) == 0


def test_events_are_published_only_after_the_commit_and_never_for_a_refusal(engine: Any, desk: Desk) -> None:
    readers = sessionmaker(engine)
    seen: list[tuple[str, int]] = []

    def publish(events: list[Event]) -> None:
        """What a live screen redrawing at once would read from the database."""
        with readers() as reader:
            for item in events:
                found = reader.get(Escalation, item.data["escalation_id"])
                seen.append((item.name, 0 if found is None else 1 + (found.claimed_by is not None)))

    with make_sessionmaker(engine, publish=publish)() as session:
        escalation = sent(session, desk)
        escalations.claim(session, escalation.id, desk.provincial, NOW)
        other = provincial(session, "prov2")
        with pytest.raises(EscalationError):
            escalations.claim(session, escalation.id, other, NOW)
        with pytest.raises(EscalationError):
            sent(session, desk)
    assert seen == [("escalation.sent", 1), ("escalation.claimed", 2)]  # each saw its change committed


def race(sessions: sessionmaker[Session], escalation_id: int, user_ids: list[int]) -> tuple[list[int], list[str]]:
    """Every officer presses "claim" on the same escalation at the same moment; who won, and what the others read."""
    winners: list[int] = []
    refusals: list[str] = []
    failures: list[BaseException] = []
    start = threading.Barrier(len(user_ids))

    def officer(user_id: int) -> None:
        try:
            with sessions() as session:
                user = session.get_one(User, user_id)  # as the signed-in request loads its user
                start.wait()
                try:
                    escalations.claim(session, escalation_id, user, NOW + timedelta(minutes=1))
                    winners.append(user_id)
                except EscalationError as error:
                    refusals.append(str(error))
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=officer, args=(user_id,)) for user_id in user_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    return winners, refusals


def test_eight_provincial_officers_pressing_claim_at_once_one_gets_it_the_others_are_told_who(
    sessions: sessionmaker[Session], broker: Broker
) -> None:
    with sessions() as session:
        officer = make_user(session, "petugas1")
        problems = [new_problem(session, officer) for _ in range(5)]
        users = [provincial(session, f"prov{n}", f"Petugas Provinsi {n}") for n in range(8)]
        sent_ids = [escalations.escalate(session, p, NOTE, officer.id, NOW).id for p in problems]
        names = {user.id: user.name for user in users}
    user_ids = list(names)
    with broker.subscribe() as events:
        for escalation_id in sent_ids:  # five rounds: a lucky schedule would not pass them all
            winners, refusals = race(sessions, escalation_id, user_ids)
            assert len(winners) == 1, winners
            assert refusals == [f"Sudah diambil oleh {names[winners[0]]}."] * 7
            with sessions() as session:
                assert session.get_one(Escalation, escalation_id).claimed_by == winners[0]
                assert (
                    count(session, AuditEntry, AuditEntry.action == "escalation.claimed")
                    == sent_ids.index(escalation_id) + 1
                )
        claimed = [e for e in drain(events) if e.name == "escalation.claimed"]
    assert sorted(e.data["escalation_id"] for e in claimed) == sent_ids  # one event per escalation, none for losers


def test_the_claim_refusal_reads_in_english(session: Session, desk: Desk) -> None:
    escalation = sent(session, desk)
    escalations.claim(session, escalation.id, desk.provincial, NOW)
    with pytest.raises(EscalationError) as refused:
        escalations.claim(session, escalation.id, provincial(session, "prov2"), NOW)
    assert refused.value.text("en") == "Already taken by Agustinus Fanggidae."
    again = escalations.claim(session, escalation.id, desk.provincial, NOW + timedelta(minutes=3))
    assert again.claimed_at == NOW  # pressing twice keeps the first claim


def other_province(session: Session) -> int:
    """A second province, whose officers answer for none of the seeded office's visitors."""
    province = Province(code="ntb", name="KPU Provinsi Nusa Tenggara Barat")
    session.add(province)
    session.commit()
    return province.id


def test_only_provincial_officers_of_the_offices_province_may_claim(session: Session, desk: Desk) -> None:
    escalation = sent(session, desk)
    elsewhere = provincial(session, "prov-ntb", province_id=other_province(session))
    no_province = provincial(session, "prov-none", province_id=None)
    supervisor = make_user(session, "kepala", role="supervisor")
    cases = [
        (elsewhere, escalations.OTHER_PROVINCE),
        (no_province, escalations.NO_PROVINCE),
        (desk.officer, escalations.NOT_PROVINCIAL),
        (supervisor, escalations.NOT_PROVINCIAL),
    ]
    for user, message in cases:
        for act in (escalations.claim, escalations.release):
            with pytest.raises(EscalationError) as refused:
                act(session, escalation.id, user, NOW)
            assert refused.value.template == message, (user.username, act)
        with pytest.raises(EscalationError) as refused:
            escalations.answer(session, escalation.id, user, "Jawaban", "", NOW)
        assert refused.value.template == message
    with pytest.raises(EscalationError, match="^Eskalasi tidak ditemukan.$"):
        escalations.claim(session, 999, desk.provincial, NOW)
    session.expire_all()
    assert session.get_one(Escalation, escalation.id).claimed_by is None
    assert escalations.claim(session, escalation.id, desk.provincial, NOW).claimed_by == desk.provincial.id


def test_only_the_claimer_answers_and_only_once(session: Session, desk: Desk, broker: Broker) -> None:
    escalation = sent(session, desk)
    colleague = provincial(session, "prov2", "Maria Ndolu")
    with pytest.raises(EscalationError) as refused:
        escalations.answer(session, escalation.id, desk.provincial, "Dihitung per kabupaten/kota.", "", NOW)
    assert refused.value.template == escalations.CLAIM_FIRST
    escalations.claim(session, escalation.id, desk.provincial, NOW)
    with pytest.raises(EscalationError) as refused:
        escalations.answer(session, escalation.id, colleague, "Jawaban lain.", "", NOW)
    assert str(refused.value) == (
        "Eskalasi ini diambil oleh Agustinus Fanggidae; hanya petugas itu yang dapat menjawabnya."
    )
    with broker.subscribe() as events:
        answered = escalations.answer(
            session,
            escalation.id,
            desk.provincial,
            "Dihitung per kabupaten/kota.\r\nLihat Pasal 7.",
            "PKPU 4/2022 Pasal 7",
            NOW + timedelta(minutes=9),
        )
        received = drain(events)
    assert (answered.answer, answered.references) == (
        "Dihitung per kabupaten/kota.\nLihat Pasal 7.",
        "PKPU 4/2022 Pasal 7",
    )
    assert (answered.answered_by, answered.answered_at) == (desk.provincial.id, NOW + timedelta(minutes=9))
    assert [(e.name, e.data["consultation_id"], e.data["amended"]) for e in received] == [
        ("escalation.answered", desk.consultation_id, False)
    ]
    for user in (desk.provincial, colleague):
        with pytest.raises(EscalationError, match="^Eskalasi ini sudah dijawab oleh Agustinus Fanggidae.$"):
            escalations.answer(session, escalation.id, user, "Jawaban kedua.", "", NOW + timedelta(minutes=10))
    with pytest.raises(EscalationError, match="sudah dijawab"):
        escalations.release(session, escalation.id, desk.provincial, NOW)
    session.expire_all()
    assert session.get_one(Escalation, escalation.id).answer == "Dihitung per kabupaten/kota.\nLihat Pasal 7."
    assert count(session, Amendment) == 0  # the consultation was still open


@pytest.mark.parametrize(
    ("text", "references", "message"),
    [
        ("", "", escalations.ANSWER_REQUIRED),
        ("Jawaban\x07", "", escalations.ANSWER_HIDDEN),
        ("x" * 4001, "", escalations.ANSWER_TOO_LONG),
        ("Jawaban", "PKPU\x00", escalations.REFERENCES_HIDDEN),
        ("Jawaban", "x" * 1001, escalations.REFERENCES_TOO_LONG),
    ],
)
def test_an_unusable_answer_is_refused(session: Session, desk: Desk, text: str, references: str, message: str) -> None:
    escalation = sent(session, desk)
    escalations.claim(session, escalation.id, desk.provincial, NOW)
    with pytest.raises(EscalationError) as refused:
        escalations.answer(session, escalation.id, desk.provincial, text, references, NOW)
    assert refused.value.template == message
    session.expire_all()
    assert session.get_one(Escalation, escalation.id).answered_at is None


def test_the_claimer_may_release_it_for_someone_else(session: Session, desk: Desk, broker: Broker) -> None:
    escalation = sent(session, desk)
    colleague = provincial(session, "prov2", "Maria Ndolu")
    with pytest.raises(EscalationError, match="^Eskalasi ini belum diambil siapa pun.$"):
        escalations.release(session, escalation.id, desk.provincial, NOW)
    escalations.claim(session, escalation.id, desk.provincial, NOW)
    with pytest.raises(EscalationError, match="^Eskalasi ini diambil oleh Agustinus Fanggidae; hanya petugas itu"):
        escalations.release(session, escalation.id, colleague, NOW)
    with broker.subscribe() as events:
        released = escalations.release(session, escalation.id, desk.provincial, NOW + timedelta(minutes=1))
        assert [e.name for e in drain(events)] == ["escalation.released"]
    assert (released.claimed_by, released.claimed_at) == (None, None)
    assert escalations.claim(session, escalation.id, colleague, NOW + timedelta(minutes=2)).claimed_by == colleague.id
    assert escalations.answer(session, escalation.id, colleague, "Sudah benar.", "", NOW).answered_by == colleague.id


@pytest.mark.parametrize("signed", [True, False])
def test_an_answer_arriving_after_the_report_was_closed_is_added_as_an_amendment(
    session: Session, desk: Desk, broker: Broker, signed: bool
) -> None:
    escalation = sent(session, desk)
    escalations.claim(session, escalation.id, desk.provincial, NOW + timedelta(minutes=5))
    close(session, desk.consultation_id, NOW + timedelta(minutes=10), signed=signed)
    with broker.subscribe() as events:
        escalations.answer(
            session,
            escalation.id,
            desk.provincial,
            "Dihitung per kabupaten/kota.",
            "PKPU 4/2022",
            NOW + timedelta(minutes=40),
        )
        received = drain(events)
    session.expire_all()
    amendments = session.scalars(select(Amendment)).all()
    assert [(a.consultation_id, a.user_id, a.at, a.why) for a in amendments] == [
        (
            desk.consultation_id,
            desk.provincial.id,
            NOW + timedelta(minutes=40),
            "Jawaban eskalasi dari helpdesk provinsi diterima setelah laporan ditutup",
        )
    ]
    assert amendments[0].what == (
        "Jawaban helpdesk provinsi untuk permasalahan 1 (Akun dan login SIPOL), oleh Agustinus Fanggidae:\n"
        "Dihitung per kabupaten/kota.\nRujukan: PKPU 4/2022"
    )
    assert session.get_one(Escalation, escalation.id).answer == "Dihitung per kabupaten/kota."  # kept there too
    assert [(e.name, e.data["consultation_id"], e.data["amended"]) for e in received] == [
        ("escalation.answered", desk.consultation_id, True)
    ]


def test_the_provincial_inbox_lists_unanswered_escalations_oldest_first_and_flags_the_overdue(
    session: Session, desk: Desk
) -> None:
    officer = desk.officer
    later = escalations.escalate(
        session, new_problem(session, officer, description="NIK ganda"), "Mohon dicek.", officer.id, NOW
    )
    oldest = sent(session, desk, NOW - timedelta(minutes=5))
    answered = escalations.escalate(
        session, new_problem(session, officer), "Sudah dijawab.", officer.id, NOW - timedelta(minutes=30)
    )
    escalations.claim(session, answered.id, desk.provincial, NOW)
    escalations.answer(session, answered.id, desk.provincial, "Jawaban.", "", NOW)
    province_b = other_province(session)
    office_b = Office(code="ntb-1", name="KPU Kota Mataram", timezone="Asia/Makassar", province_id=province_b)
    session.add(office_b)
    session.commit()
    elsewhere = escalations.escalate(
        session, new_problem(session, officer, office_b.id), "Dari NTB.", officer.id, NOW - timedelta(minutes=60)
    )
    escalations.claim(session, oldest.id, desk.provincial, NOW + timedelta(minutes=1))
    province_id = default_office(session).province_id
    assert province_id is not None

    at_fifteen = escalations.inbox(session, province_id, NOW + timedelta(minutes=10))
    assert [item.escalation_id for item in at_fifteen] == [oldest.id, later.id]
    first = at_fifteen[0]
    assert (first.office, first.party, first.topic, first.problem, first.note, first.escalated_by) == (
        "KPU Kota Kupang",
        "5. NasDem",
        "Akun dan login SIPOL",
        "SK ditolak",
        NOTE,
        "Yohana Bria",
    )
    assert (first.claimed_by, first.claimed_by_id, first.claimed_at) == (
        "Agustinus Fanggidae",
        desk.provincial.id,
        NOW + timedelta(minutes=1),
    )
    assert (at_fifteen[1].claimed_by, at_fifteen[1].problem, at_fifteen[1].consultation_id) == (
        None,
        "NIK ganda",
        session.get_one(Problem, later.problem_id).consultation_id,
    )
    assert [(i.waited_minutes, i.overdue) for i in at_fifteen] == [(15, False), (10, False)]  # 15 minutes is on time
    just_past = escalations.inbox(session, province_id, NOW + timedelta(minutes=10, seconds=1))
    assert [(i.waited_minutes, i.overdue) for i in just_past] == [(15, True), (10, False)]
    assert [
        (i.waited_minutes, i.overdue) for i in escalations.inbox(session, province_id, NOW + timedelta(minutes=16))
    ] == [
        (21, True),
        (16, True),
    ]
    english = escalations.inbox(session, province_id, NOW, lang="en")
    assert english[0].topic == "SIPOL account and login"
    assert [i.escalation_id for i in escalations.inbox(session, province_b, NOW)] == [elsewhere.id]


def test_a_visitor_who_came_for_no_party_is_shown_as_the_kind_of_visitor(session: Session) -> None:
    officer = make_user(session, "petugas1")
    visit_id = checkin(session, visitor_type="public", party_id="").visit_id
    consultation = Consultation(
        visit_id=visit_id, office_id=default_office(session).id, officer_id=officer.id, step=4, started_at=NOW
    )
    session.add(consultation)
    session.flush()
    problem = Problem(
        consultation_id=consultation.id, position=1, topic_id=1, description="Nama dicatut", updated_at=NOW
    )
    session.add(problem)
    session.commit()
    escalations.escalate(session, problem.id, NOTE, officer.id, NOW)
    province_id = default_office(session).province_id
    assert province_id is not None
    assert [i.party for i in escalations.inbox(session, province_id, NOW)] == ["Masyarakat umum"]
    assert [i.party for i in escalations.inbox(session, province_id, NOW, lang="en")] == ["Member of the public"]


def test_the_city_workspace_sees_each_escalation_with_its_status_and_answer(session: Session, desk: Desk) -> None:
    first = sent(session, desk, NOW - timedelta(minutes=40))
    escalations.claim(session, first.id, desk.provincial, NOW - timedelta(minutes=35))
    escalations.answer(
        session, first.id, desk.provincial, "Dihitung per kabupaten/kota.", "PKPU 4/2022", NOW - timedelta(minutes=30)
    )
    second = sent(session, desk, NOW - timedelta(minutes=20))
    rows = escalations.for_consultation(session, desk.consultation_id, NOW)
    assert [(r.escalation_id, r.status, r.waited_minutes, r.overdue) for r in rows] == [
        (first.id, EscalationStatus.ANSWERED, 10, False),  # answered within the standard time
        (second.id, EscalationStatus.OPEN, 20, True),
    ]
    answered = rows[0]
    assert (answered.answer, answered.references, answered.answered_by, answered.answered_at) == (
        "Dihitung per kabupaten/kota.",
        "PKPU 4/2022",
        "Agustinus Fanggidae",
        NOW - timedelta(minutes=30),
    )
    assert (answered.position, answered.topic, answered.note, answered.escalated_by) == (
        1,
        "Akun dan login SIPOL",
        NOTE,
        "Yohana Bria",
    )
    assert (rows[1].answer, rows[1].answered_by, rows[1].claimed_by) == (None, None, None)
    escalations.claim(session, second.id, desk.provincial, NOW)
    claimed = escalations.for_consultation(session, desk.consultation_id, NOW, lang="en")[1]
    assert (claimed.status, claimed.claimed_by, claimed.topic) == (
        EscalationStatus.CLAIMED,
        "Agustinus Fanggidae",
        "SIPOL account and login",
    )
    assert escalations.for_consultation(session, desk.consultation_id + 1, NOW) == []
