"""The starting reference data: added once, and English names given to the rows that lack them."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.models import Office, Party, Province, Regulation, Topic
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
        "regulations": 0,
        "faq_samples": 0,
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


def test_the_office_belongs_to_its_province_and_the_rules_answers_cite_are_listed(session: Session) -> None:
    office = session.scalar(select(Office))
    assert office is not None and office.province is not None
    assert (office.province.name, office.report_code) == ("KPU Provinsi Nusa Tenggara Timur", "KPG")
    seed(session, "KPU Kota Kupang", "Asia/Makassar", desks=3, province_name="KPU Provinsi NTT", report_code="KPG2")
    session.refresh(office)
    assert (office.province.name, office.report_code) == ("KPU Provinsi NTT", "KPG2")
    assert session.scalar(select(func.count()).select_from(Province)) == 1
    rules = set(session.scalars(select(Regulation.short_name)))
    assert {"UU 7/2017", "PKPU 4/2022"} <= rules
