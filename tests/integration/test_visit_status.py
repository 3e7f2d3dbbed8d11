"""What visitors' phones see: one ticket at a time, and every ticket of the day at once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from shared import calling
from shared.calling import Actor
from shared.models import Role, VisitStatus
from shared.visit_status import public_status, public_statuses
from tests.conftest import NOW, make_user
from tests.factories import SETTINGS, checkin


def test_the_days_statuses_in_one_query_match_each_ticket_looked_up_alone(session: Session) -> None:
    yesterday = checkin(session, NOW - timedelta(days=1))
    names = ["Ani", "Budi", "Citra", "Dewi", "Eko", "Fransiska Nomleni", "Gabriel Tefa"]
    tickets = [checkin(session, priority="1" if n in (2, 5) else "", name=name) for n, name in enumerate(names)]
    officer = make_user(session).id
    called = calling.call_next(session, 1, officer, SETTINGS, lambda: NOW)  # the first priority visitor
    served = calling.call_ticket(session, tickets[0].visit_id, 2, officer, NOW)
    calling.start_service(session, served.id, Actor(officer, Role.OFFICER, 2), NOW)
    calling.finish(
        session,
        calling.call_ticket(session, tickets[1].visit_id, 3, officer, NOW).id,
        Actor(officer, Role.OFFICER, 3),
        NOW,
    )

    statuses = public_statuses(session, SETTINGS.today(NOW))

    assert set(statuses) == {ticket.token for ticket in tickets}  # yesterday's ticket is looked up alone
    assert statuses == {ticket.token: public_status(session, ticket.token) for ticket in tickets}
    assert called is not None and statuses[tickets[2].token].status == VisitStatus.CALLED
    assert statuses[tickets[2].token].desk == "Meja 1" and statuses[tickets[0].token].desk == "Meja 2"
    waiting = {
        ticket.number: statuses[ticket.token].ahead
        for ticket in tickets
        if statuses[ticket.token].status == VisitStatus.WAITING
    }
    assert waiting == {"A-006": 0, "A-004": 1, "A-005": 2, "A-007": 3}  # the priority visitor first
    assert statuses[tickets[6].token].masked_name == "G*** T***"
    assert public_status(session, yesterday.token) is not None


def test_a_phone_may_ring_only_while_the_ticket_waits_or_is_called(session: Session) -> None:
    tickets = [checkin(session) for _ in range(5)]
    officer = make_user(session).id
    calling.call_ticket(session, tickets[1].visit_id, 1, officer, NOW)
    calling.call_ticket(session, tickets[2].visit_id, 2, officer, NOW)
    calling.start_service(session, tickets[2].visit_id, Actor(officer, Role.OFFICER, 2), NOW)
    for ticket, end in ((tickets[3], calling.finish), (tickets[4], calling.mark_no_show)):
        calling.call_ticket(session, ticket.visit_id, 3, officer, NOW)
        end(session, ticket.visit_id, Actor(officer, Role.OFFICER, 3), NOW)

    statuses = public_statuses(session, SETTINGS.today(NOW))

    assert {statuses[ticket.token].status: statuses[ticket.token].may_be_called for ticket in tickets} == {
        VisitStatus.WAITING: True,
        VisitStatus.CALLED: True,
        VisitStatus.SERVING: False,
        VisitStatus.DONE: False,
        VisitStatus.NO_SHOW: False,
    }
    assert public_status(session, tickets[4].token) == statuses[tickets[4].token]
