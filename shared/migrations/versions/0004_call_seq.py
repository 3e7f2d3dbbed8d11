"""The day's calls numbered in the order they were made, for the priority ratio

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Calls made before the upgrade are numbered in the order of their times, so today's ratio carries on.
NUMBER_PAST_CALLS = """
UPDATE visits SET call_seq = (
    SELECT count(*) FROM visits AS earlier
    WHERE earlier.office_id = visits.office_id
      AND earlier.service_day = visits.service_day
      AND earlier.called_at IS NOT NULL
      AND (earlier.called_at < visits.called_at OR (earlier.called_at = visits.called_at AND earlier.id <= visits.id))
)
WHERE called_at IS NOT NULL
"""


def upgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("call_seq", sa.Integer(), nullable=True))
    op.execute(NUMBER_PAST_CALLS)
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_visits_office_id_service_day_call_seq"), ["office_id", "service_day", "call_seq"]
        )


def downgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_visits_office_id_service_day_call_seq"), type_="unique")
        batch_op.drop_column("call_seq")
