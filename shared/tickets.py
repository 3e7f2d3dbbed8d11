"""Ticket numbers and queue positions."""

from __future__ import annotations

import math
from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shared.models import DailyCounter, Topic, Visit, VisitStatus
from shared.settings import QueueSettings


def next_number(session: Session, office_id: int, day: date, prefix: str) -> int:
    """Take the next number of the day for a prefix, atomically: no duplicates, no gaps."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(DailyCounter)
        .values(office_id=office_id, service_day=day, prefix=prefix, last_number=1)
        .on_conflict_do_update(
            index_elements=["office_id", "service_day", "prefix"],
            set_={"last_number": DailyCounter.last_number + 1},
        )
        .returning(DailyCounter.last_number)
    )
    return session.execute(statement).scalar_one()


def prefix_for(settings: QueueSettings, topic: Topic, priority: bool) -> str:
    """The ticket prefix: the priority prefix if set, else the topic's own, else the default."""
    if priority and settings.priority_prefix:
        return settings.priority_prefix
    return topic.prefix or settings.ticket_prefix


def waiting_ahead(session: Session, visit: Visit) -> int:
    """How many waiting visitors will be called before this one (priority visitors go first)."""
    same_queue = and_(
        Visit.office_id == visit.office_id,
        Visit.service_day == visit.service_day,
        Visit.status == VisitStatus.WAITING,
        Visit.id != visit.id,
    )
    earlier = Visit.id < visit.id
    ahead = and_(Visit.priority, earlier) if visit.priority else or_(Visit.priority, earlier)
    return session.scalar(select(func.count()).select_from(Visit).where(same_queue, ahead)) or 0


def estimated_wait_minutes(settings: QueueSettings, ahead: int) -> int:
    """A rough wait: the standard minutes per visitor spread over the desks, in steps of 5 minutes."""
    minutes = ahead * settings.minutes_per_visitor / settings.desks
    return int(math.ceil(minutes / 5) * 5)
