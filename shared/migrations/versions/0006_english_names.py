"""English names: optional for topics, and for generic parties such as "Partai lain"

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The generic entry `helpdesk seed` adds; party names proper stay the same in English.
OTHER_PARTY = "Partai lain / belum terverifikasi"
OTHER_PARTY_EN = ("Other party / not yet verified", "Other party")


def upgrade() -> None:
    with op.batch_alter_table("topics", schema=None) as batch_op:
        batch_op.alter_column("name_en", existing_type=sa.String(length=120), nullable=True)
    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_en", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("short_name_en", sa.String(length=40), nullable=True))
    parties = sa.table("parties", sa.column("name", sa.String), sa.column("name_en"), sa.column("short_name_en"))
    op.execute(
        parties.update()
        .where(parties.c.name == OTHER_PARTY)
        .values(name_en=OTHER_PARTY_EN[0], short_name_en=OTHER_PARTY_EN[1])
    )


def downgrade() -> None:
    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.drop_column("short_name_en")
        batch_op.drop_column("name_en")
    op.execute("UPDATE topics SET name_en = name_id WHERE name_en IS NULL")
    with op.batch_alter_table("topics", schema=None) as batch_op:
        batch_op.alter_column("name_en", existing_type=sa.String(length=120), nullable=False)
