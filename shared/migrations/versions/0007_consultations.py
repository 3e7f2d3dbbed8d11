"""The consultation at the desk: provinces, steps, problems, knowledge base, escalations, photos, report

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), nullable=False)


def _fk(column: str, table: str, source: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{table}.id"], name=op.f(f"fk_{source}_{column}_{table}"))


def upgrade() -> None:
    op.create_table(
        "provinces",
        _id(),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provinces")),
        sa.UniqueConstraint("code", name=op.f("uq_provinces_code")),
    )
    with op.batch_alter_table("offices") as batch:
        batch.add_column(sa.Column("province_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("report_code", sa.String(40), nullable=False, server_default=""))
        batch.create_foreign_key(op.f("fk_offices_province_id_provinces"), "provinces", ["province_id"], ["id"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("province_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_users_province_id_provinces"), "provinces", ["province_id"], ["id"])

    op.create_table(
        "consultations",
        _id(),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("started_at", TIME, nullable=False),
        sa.Column("closed_at", TIME, nullable=True),
        sa.Column("report_year", sa.Integer(), nullable=True),
        sa.Column("report_seq", sa.Integer(), nullable=True),
        sa.Column("report_number", sa.String(80), nullable=True),
        sa.Column("receipt_token", sa.String(64), nullable=True),
        sa.Column("receipt_signature", sa.LargeBinary(), nullable=True),
        sa.Column("receipt_signed_at", TIME, nullable=True),
        sa.Column("digest", sa.String(64), nullable=True),
        sa.Column("surveyed", sa.Boolean(), nullable=False),
        _fk("visit_id", "visits", "consultations"),
        _fk("office_id", "offices", "consultations"),
        _fk("officer_id", "users", "consultations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultations")),
        sa.UniqueConstraint("visit_id", name=op.f("uq_consultations_visit_id")),
        sa.UniqueConstraint("receipt_token", name=op.f("uq_consultations_receipt_token")),
        sa.UniqueConstraint(
            "office_id", "report_year", "report_seq", name=op.f("uq_consultations_office_id_report_year_report_seq")
        ),
    )
    op.create_table(
        "consultation_steps",
        _id(),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("started_at", TIME, nullable=False),
        sa.Column("ended_at", TIME, nullable=True),
        _fk("consultation_id", "consultations", "consultation_steps"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_steps")),
    )
    op.create_index(op.f("ix_consultation_steps_consultation_id"), "consultation_steps", ["consultation_id"])
    op.create_table(
        "problems",
        _id(),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        _fk("consultation_id", "consultations", "problems"),
        _fk("topic_id", "topics", "problems"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problems")),
    )
    op.create_index(op.f("ix_problems_consultation_id"), "problems", ["consultation_id"])
    op.create_table(
        "regulations",
        _id(),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("short_name", sa.String(80), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regulations")),
        sa.UniqueConstraint("short_name", name=op.f("uq_regulations_short_name")),
    )
    op.create_table(
        "faq_entries",
        _id(),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=True),
        sa.Column("references", sa.Text(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("sample", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.Column("approved_at", TIME, nullable=True),
        _fk("topic_id", "topics", "faq_entries"),
        _fk("created_by", "users", "faq_entries"),
        _fk("approved_by", "users", "faq_entries"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faq_entries")),
    )
    op.create_table(
        "problem_references",
        _id(),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("regulation_id", sa.Integer(), nullable=True),
        sa.Column("article", sa.String(120), nullable=False),
        sa.Column("faq_id", sa.Integer(), nullable=True),
        _fk("problem_id", "problems", "problem_references"),
        _fk("regulation_id", "regulations", "problem_references"),
        _fk("faq_id", "faq_entries", "problem_references"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_references")),
    )
    op.create_index(op.f("ix_problem_references_problem_id"), "problem_references", ["problem_id"])
    op.create_table(
        "escalations",
        _id(),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("escalated_by", sa.Integer(), nullable=False),
        sa.Column("escalated_at", TIME, nullable=False),
        sa.Column("claimed_by", sa.Integer(), nullable=True),
        sa.Column("claimed_at", TIME, nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("references", sa.Text(), nullable=False),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("answered_at", TIME, nullable=True),
        _fk("problem_id", "problems", "escalations"),
        _fk("office_id", "offices", "escalations"),
        _fk("escalated_by", "users", "escalations"),
        _fk("claimed_by", "users", "escalations"),
        _fk("answered_by", "users", "escalations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
    )
    op.create_index(op.f("ix_escalations_problem_id"), "escalations", ["problem_id"])
    op.create_index("ix_escalations_open", "escalations", ["office_id", "answered_at"])
    op.create_table(
        "photos",
        _id(),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(80), nullable=False),
        sa.Column("media_type", sa.String(20), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("caption", sa.String(200), nullable=False),
        sa.Column("taken_by", sa.Integer(), nullable=False),
        sa.Column("taken_at", TIME, nullable=False),
        sa.Column("removed_at", TIME, nullable=True),
        _fk("consultation_id", "consultations", "photos"),
        _fk("taken_by", "users", "photos"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photos")),
        sa.UniqueConstraint("file_name", name=op.f("uq_photos_file_name")),
    )
    op.create_index(op.f("ix_photos_consultation_id"), "photos", ["consultation_id"])
    op.create_table(
        "amendments",
        _id(),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        _fk("consultation_id", "consultations", "amendments"),
        _fk("user_id", "users", "amendments"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_amendments")),
    )
    op.create_index(op.f("ix_amendments_consultation_id"), "amendments", ["consultation_id"])
    op.create_table(
        "audit_log",
        _id(),
        sa.Column("consultation_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", TIME, nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        _fk("consultation_id", "consultations", "audit_log"),
        _fk("user_id", "users", "audit_log"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_consultation_id"), "audit_log", ["consultation_id"])
    op.create_table(
        "survey_responses",
        _id(),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("service_day", sa.Date(), nullable=False),
        sa.Column("scores", sa.String(9), nullable=False),
        _fk("office_id", "offices", "survey_responses"),
        _fk("topic_id", "topics", "survey_responses"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
    )
    _create_search()


def _create_search() -> None:
    """The knowledge base's full-text index, in each database's own kind (shared.consultation.knowledge)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE faq_search USING fts5(question, answer, \"references\", content='faq_entries',"
            " content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
        )
        op.execute(
            "CREATE TRIGGER faq_search_insert AFTER INSERT ON faq_entries BEGIN"
            ' INSERT INTO faq_search(rowid, question, answer, "references")'
            ' VALUES (new.id, new.question, new.answer, new."references"); END'
        )
        op.execute(
            "CREATE TRIGGER faq_search_delete AFTER DELETE ON faq_entries BEGIN"
            ' INSERT INTO faq_search(faq_search, rowid, question, answer, "references")'
            " VALUES ('delete', old.id, old.question, old.answer, old.\"references\"); END"
        )
        op.execute(
            "CREATE TRIGGER faq_search_update AFTER UPDATE ON faq_entries BEGIN"
            ' INSERT INTO faq_search(faq_search, rowid, question, answer, "references")'
            " VALUES ('delete', old.id, old.question, old.answer, old.\"references\");"
            ' INSERT INTO faq_search(rowid, question, answer, "references")'
            ' VALUES (new.id, new.question, new.answer, new."references"); END'
        )
    else:
        op.execute(
            "ALTER TABLE faq_entries ADD COLUMN search tsvector GENERATED ALWAYS AS ("
            " setweight(to_tsvector('indonesian', question), 'A')"
            " || setweight(to_tsvector('indonesian', answer), 'B')"
            " || setweight(to_tsvector('indonesian', \"references\"), 'C')) STORED"
        )
        op.execute("CREATE INDEX ix_faq_entries_search ON faq_entries USING gin (search)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("faq_search_insert", "faq_search_delete", "faq_search_update"):
            op.execute(f"DROP TRIGGER {trigger}")
        op.execute("DROP TABLE faq_search")
    for table in (
        "survey_responses",
        "audit_log",
        "amendments",
        "photos",
        "escalations",
        "problem_references",
        "faq_entries",
        "regulations",
        "problems",
        "consultation_steps",
        "consultations",
    ):
        op.drop_table(table)
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("fk_users_province_id_provinces"), type_="foreignkey")
        batch.drop_column("province_id")
    with op.batch_alter_table("offices") as batch:
        batch.drop_constraint(op.f("fk_offices_province_id_provinces"), type_="foreignkey")
        batch.drop_column("report_code")
        batch.drop_column("province_id")
    op.drop_table("provinces")
