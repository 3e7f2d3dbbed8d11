"""The check-in form as the kiosk views see it: posted values, choices and errors."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cached_property

from flask import current_app, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.checkin import ConsentRecord
from shared.checkin_form import CheckinData, parse_checkin, unreadable_fields
from shared.consent import ConsentError, read_consent
from shared.models import Party, Topic, VisitorType

FIELDS = ("name", "phone", "visitor_type", "party_id", "topic_id", "priority", "signature", "consent")


@dataclass
class Choices:
    """What the visitor can pick from."""

    parties: list[Party]
    topics: list[Topic]
    visitor_types: tuple[VisitorType, ...] = tuple(VisitorType)

    @classmethod
    def load(cls, session: Session) -> Choices:
        """Active parties and topics in their display order."""
        parties = list(session.scalars(select(Party).where(Party.active).order_by(Party.sort_order, Party.id)))
        topics = list(session.scalars(select(Topic).where(Topic.active).order_by(Topic.sort_order, Topic.id)))
        return cls(parties, topics)

    def party(self, party_id: int | None) -> Party | None:
        """The chosen party."""
        return next((p for p in self.parties if p.id == party_id), None)

    def topic(self, topic_id: int | None) -> Topic | None:
        """The chosen topic."""
        return next((t for t in self.topics if t.id == topic_id), None)


@dataclass
class CheckinForm:
    """Posted values, and after validate() the clean data or a message per field."""

    values: dict[str, str]
    session: Session
    errors: dict[str, str] = field(default_factory=dict)
    data: CheckinData | None = None
    consent: ConsentRecord | None = None

    @classmethod
    def from_request(cls, session: Session) -> CheckinForm:
        """The form as posted."""
        return cls({name: request.form.get(name, "") for name in FIELDS}, session)

    @cached_property
    def choices(self) -> Choices:
        """Parties and topics, loaded only when a page shows them."""
        return Choices.load(self.session)

    def validate(self) -> bool:
        """Check everything on the server; the page's own checks are only a help."""
        posted = {**self.values, "lang": request.values.get("lang", "id")}
        self.data, self.errors = parse_checkin(
            posted,
            party_ids=set(self.session.scalars(select(Party.id).where(Party.active))),
            topic_ids=set(self.session.scalars(select(Topic.id).where(Topic.active))),
        )
        for name in unreadable_fields(posted).keys() & self.values.keys():
            self.values[name] = ""  # hidden characters or a megabyte of text are not shown back: it is typed again
        try:
            self.consent = read_consent(current_app.config["SECRET_KEY"], self.values["consent"])
        except ConsentError as error:
            self.errors["consent"] = str(error)
            self.values["consent"] = ""  # useless now: the visitor starts again from the notice
            self.data = None
        return self.data is not None

    def recheck(self, names: Collection[str]) -> None:
        """Check again the fields whose messages were still showing, and keep only their messages.

        The page drops a field's message as soon as the visitor changes that field; what is left is shown again, in
        the language now chosen, when the form comes back (after a change of language). Nothing else is refused
        before the next submit, and every value is kept but those a message says must be entered again.
        """
        if not names:
            return
        kept = dict(self.values)
        self.validate()
        self.errors = {name: message for name, message in self.errors.items() if name in names}
        self.values = {name: self.values[name] if name in self.errors else value for name, value in kept.items()}
        self.data = None
