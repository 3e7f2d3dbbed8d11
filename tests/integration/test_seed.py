"""The starting reference data: added once, and English names given to the rows that lack them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.models import Party, Topic
from shared.seed import seed


def test_seeding_again_restores_missing_english_names_and_keeps_the_ones_staff_wrote(session: Session) -> None:
    other = session.scalars(select(Party).where(Party.short_name == "Partai lain")).one()
    sipol = session.scalars(select(Topic).where(Topic.code == "sipol-akun")).one()
    assert (other.label("en"), other.label("id"), other.name_en) == (
        "Other party",
        "Partai lain",
        "Other party / not yet verified",
    )
    other.name_en, other.short_name_en, sipol.name_en = None, "Another party", None
    session.commit()

    assert seed(session, "KPU Kota Kupang", "Asia/Makassar", desks=3) == {
        "offices": 0,
        "parties": 0,
        "topics": 0,
        "desks": 0,
    }
    session.refresh(other)
    session.refresh(sipol)
    assert (other.name_en, other.short_name_en) == ("Other party / not yet verified", "Another party")
    assert sipol.name("en") == "SIPOL account and login"


def test_party_names_are_proper_names_in_every_language(session: Session) -> None:
    nasdem = session.scalars(select(Party).where(Party.short_name == "NasDem")).one()
    assert nasdem.label("en") == nasdem.label("id") == "5. NasDem"


def test_a_topic_without_an_english_name_shows_its_indonesian_one(session: Session) -> None:
    topic = Topic(code="baru", name_id="Topik baru", name_en=None, sort_order=99)
    session.add(topic)
    session.commit()
    assert topic.name("en") == "Topik baru"
