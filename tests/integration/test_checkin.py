"""Check-in on a real database: numbering, consent proof, print job, concurrency."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import Session, sessionmaker

from shared.checkin import ConsentRecord, check_in
from shared.checkin_form import parse_checkin
from shared.events import Broker
from shared.models import Consent, PrintJob, Signature, Topic, Visit
from shared.settings import QueueSettings
from tests.conftest import NOW, make_form
from tests.factories import SETTINGS, checkin


def test_a_check_in_saves_visit_consent_signature_and_print_job_together(session: Session) -> None:
    ticket = checkin(session)
    visit = session.get_one(Visit, ticket.visit_id)
    assert ticket.number == visit.number == "A-001"
    assert len(ticket.token) >= 40
    assert ticket.status_url == f"http://helpdesk.test/t/{ticket.token}"
    assert visit.phone == "+6281234567890" and visit.checked_in_at == NOW
    consent = session.scalar(select(Consent).where(Consent.visit_id == visit.id))
    assert consent and consent.notice_version == "2026-11-29" and consent.accepted_at == NOW - timedelta(minutes=2)
    assert session.get_one(Signature, visit.id).png.startswith(b"\x89PNG")
    job = session.get_one(PrintJob, ticket.print_job_id)
    assert job.status == "pending" and job.payload["number"] == "A-001" and job.payload["url"] == ticket.status_url
    assert job.payload["party"] == "5. NasDem"


def test_numbers_count_up_and_restart_at_local_midnight_keeping_history(session: Session) -> None:
    assert [checkin(session).number for _ in range(3)] == ["A-001", "A-002", "A-003"]
    before_midnight = datetime(2026, 11, 28, 15, 59, tzinfo=UTC)  # 23.59 WITA
    after_midnight = datetime(2026, 11, 28, 16, 1, tzinfo=UTC)  # 00.01 WITA, next day
    assert checkin(session, before_midnight).number == "A-004"
    assert checkin(session, after_midnight).number == "A-001"
    assert session.scalar(select(func.count()).select_from(Visit)) == 5


def test_waiting_ahead_and_estimate(session: Session) -> None:
    first, second, third = (checkin(session) for _ in range(3))
    assert (first.ahead, second.ahead, third.ahead) == (0, 1, 2)
    assert third.wait_minutes == 15  # 2 ahead x 15 min over 2 desks


def test_priority_visitors_go_ahead_of_normal_ones(session: Session) -> None:
    checkin(session)
    checkin(session)
    priority = checkin(session, priority="1")
    assert priority.ahead == 0
    assert checkin(session).ahead == 3


def test_priority_and_topic_prefixes_have_their_own_sequences(session: Session) -> None:
    settings = QueueSettings(**{**SETTINGS.__dict__, "priority_prefix": "P"})
    session.get_one(Topic, 2).prefix = "B"
    session.commit()
    numbers = [
        checkin(session, settings=settings).number,
        checkin(session, settings=settings, priority="1").number,
        checkin(session, settings=settings, topic_id="2").number,
        checkin(session, settings=settings).number,
    ]
    assert numbers == ["A-001", "P-001", "B-001", "A-002"]


def test_a_repeated_submission_gets_the_same_ticket(session: Session) -> None:
    first = checkin(session, proof="same-consent")
    again = checkin(session, proof="same-consent")
    assert again == first
    assert session.scalar(select(func.count()).select_from(Visit)) == 1


def test_events_are_published_only_after_commit(sessions: sessionmaker[Session], broker: Broker) -> None:
    with broker.subscribe() as subscription, sessions() as session:
        ticket = checkin(session)
        names = [subscription.get(0.1), subscription.get(0.1)]
    assert [e.name for e in names if e] == ["visit.checked_in", "print.queued"]
    assert names[0] and names[0].data["number"] == ticket.number


def test_parallel_check_ins_never_duplicate_or_skip_a_number(sessions: sessionmaker[Session]) -> None:
    kiosks, per_kiosk = 8, 10
    numbers: list[int] = []
    failures: list[BaseException] = []
    start = threading.Barrier(kiosks)

    def kiosk() -> None:
        try:
            with sessions() as session:
                start.wait()
                for _ in range(per_kiosk):
                    numbers.append(int(checkin(session).number.split("-")[1]))
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=kiosk) for _ in range(kiosks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert sorted(numbers) == list(range(1, kiosks * per_kiosk + 1))


@pytest.mark.parametrize("field", ["topic_id", "party_id"])
def test_a_failed_check_in_saves_nothing(session: Session, field: str) -> None:
    data, _ = parse_checkin(make_form(), party_ids={5}, topic_ids={1})
    assert data is not None
    broken = data.__class__(**{**data.__dict__, field: 9999})
    with pytest.raises(NoResultFound):
        check_in(session, broken, ConsentRecord("v", NOW, "p"), SETTINGS, NOW)
    assert session.scalar(select(func.count()).select_from(Visit)) == 0
    assert session.scalar(select(func.count()).select_from(PrintJob)) == 0
