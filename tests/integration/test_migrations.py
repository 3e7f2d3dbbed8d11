"""Migrations on a real database: from empty to head and back, keeping the visits already recorded."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from shared import migrate
from shared.consultation.knowledge import search
from shared.db import make_engine
from tests.conftest import BACKENDS, PG_URL

ROWS = [
    "INSERT INTO offices (id, code, name, timezone) VALUES (1, 'main', 'KPU Kota Kupang', 'Asia/Makassar')",
    "INSERT INTO topics (id, code, name_id, name_en, active, sort_order) VALUES (1, 'sipol', 'SIPOL', 'SIPOL', TRUE, 0)",
    "INSERT INTO visits (id, office_id, service_day, prefix, seq, token, visitor_name, phone, visitor_type, topic_id,"
    " priority, language, status, desk, checked_in_at) VALUES (1, 1, '2026-11-28', 'A', 7, 'tok', 'Maria', '+6281234567890',"
    " 'party', 1, FALSE, 'id', 'called', 'Meja 2', '2026-11-28 06:05:00+00')",
    "INSERT INTO consents (visit_id, notice_version, proof, language, accepted_at) VALUES (1, 'v1', 'p', 'id', '2026-11-28 06:03:00+00')",
    "INSERT INTO print_jobs (kind, visit_id, payload, status, attempts, created_at, next_attempt_at)"
    " VALUES ('ticket', 1, '{}', 'printed', 1, '2026-11-28 06:05:00+00', '2026-11-28 06:05:00+00')",
]


@pytest.fixture(params=BACKENDS)
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database (a new SQLite file, or a new PostgreSQL schema)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
        yield engine
        engine.dispose()
        return
    schema = f"hd_migrate_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine = make_engine(f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}")
    yield engine
    engine.dispose()
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def test_upgrade_keeps_visits_and_downgrade_returns_to_empty(empty_engine: Engine) -> None:
    assert migrate.current(empty_engine) is None
    migrate.upgrade(empty_engine, "0001")
    with empty_engine.begin() as connection:
        for statement in ROWS:
            connection.execute(text(statement))
    migrate.upgrade(empty_engine)
    with empty_engine.connect() as connection:
        visit = connection.execute(text("SELECT seq, status, desk_id, officer_id FROM visits")).one()
        assert tuple(visit) == (7, "called", None, None)
        assert connection.execute(text("SELECT count(*) FROM consents")).scalar() == 1
        assert connection.execute(text("SELECT count(*) FROM print_jobs")).scalar() == 1
    migrate.downgrade(empty_engine, "base")
    assert migrate.current(empty_engine) is None
    migrate.upgrade(empty_engine)
    assert migrate.current(empty_engine) == "0008"


def test_the_models_and_the_migrations_agree(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from shared.models import Base

    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": migrate.described_by_models}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_calls_made_before_the_upgrade_keep_their_order_for_the_priority_ratio(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine, "0003")
    calls = [
        (1, "2026-11-28", "06:10"),
        (2, "2026-11-28", "06:05"),
        (3, "2026-11-28", None),
        (4, "2026-11-29", "06:00"),
    ]
    with empty_engine.begin() as connection:
        for statement in ROWS[:2]:
            connection.execute(text(statement))
        for visit_id, day, called in calls:
            connection.execute(
                text(
                    "INSERT INTO visits (id, office_id, service_day, prefix, seq, token, visitor_name, phone, visitor_type,"
                    " topic_id, priority, language, status, checked_in_at, called_at) VALUES (:id, 1, :day, 'A', :id,"
                    " :token, 'Maria', '+6281234567890', 'party', 1, FALSE, 'id', :status, :checked_in, :called)"
                ),
                {
                    "id": visit_id,
                    "day": day,
                    "token": f"tok{visit_id}",
                    "status": "called" if called else "waiting",
                    "checked_in": f"{day} 05:00:00+00",
                    "called": f"{day} {called}:00+00" if called else None,
                },
            )
    migrate.upgrade(empty_engine)
    with empty_engine.connect() as connection:
        numbered = connection.execute(text("SELECT id, call_seq FROM visits ORDER BY id")).all()
    assert [tuple(row) for row in numbered] == [(1, 2), (2, 1), (3, None), (4, 1)]


def test_the_generic_party_gets_english_names_and_topics_may_lack_one(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine, "0005")
    with empty_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO parties (id, ballot_number, name, short_name, active, sort_order) VALUES"
                " (1, 5, 'Partai NasDem', 'NasDem', TRUE, 0),"
                " (2, NULL, 'Partai lain / belum terverifikasi', 'Partai lain', TRUE, 1)"
            )
        )
    migrate.upgrade(empty_engine)
    with empty_engine.begin() as connection:
        names = connection.execute(text("SELECT short_name, name_en, short_name_en FROM parties ORDER BY id")).all()
        assert [tuple(row) for row in names] == [
            ("NasDem", None, None),
            ("Partai lain", "Other party / not yet verified", "Other party"),
        ]
        connection.execute(
            text("INSERT INTO topics (id, code, name_id, active, sort_order) VALUES (1, 'baru', 'Topik baru', TRUE, 0)")
        )
    migrate.downgrade(empty_engine, "0005")
    with empty_engine.connect() as connection:
        assert connection.execute(text("SELECT name_en FROM topics")).scalar() == "Topik baru"


def search_index(connection: Connection) -> list[str]:
    """How the knowledge base's full-text index is made, as the database tells it."""
    if connection.dialect.name == "sqlite":
        query = "SELECT sql FROM sqlite_master WHERE name LIKE 'faq_search%' ORDER BY name"
    else:
        query = (
            "SELECT generation_expression FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = 'faq_entries' AND column_name = 'search'"
            " UNION ALL SELECT indexdef FROM pg_indexes"
            " WHERE schemaname = current_schema() AND indexname = 'ix_faq_entries_search'"
        )
    return list(connection.execute(text(query)).scalars())


def test_entries_written_before_0008_are_found_by_half_typed_and_joined_words(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine, "0007")
    with empty_engine.begin() as connection:
        before = search_index(connection)
        connection.execute(
            text(
                'INSERT INTO faq_entries (id, question, answer, "references", status, sample, created_at) VALUES'
                " (1, 'Kelengkapan dokumen', 'Cocokkan KTA/KTP di sipol.kpu.go.id, seperti Bu Thérèse.', 'UU 7/2017',"
                " 'approved', FALSE, '2026-11-28 06:05:00+00'),"
                " (2, 'Jadwal verifikasi', 'Lihat jadwal tahapan.', '', 'approved', FALSE, '2026-11-28 06:05:00+00')"
            )
        )
    migrate.upgrade(empty_engine, "0008")
    with Session(empty_engine) as session:
        for typed in ("kelengk", "ktp", "kpu go id", "therese", "7/20", "kelengkapan"):
            assert [hit.id for hit in search(session, typed)] == [1], typed
        assert [hit.id for hit in search(session, "jadw")] == [2]

    migrate.downgrade(empty_engine, "0007")
    with empty_engine.connect() as connection:
        assert search_index(connection) == before
    with Session(empty_engine) as session:
        assert [hit.id for hit in search(session, "kelengkapan")] == [1]
