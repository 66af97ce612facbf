"""Seeds as BIGINT: `quiz grade --seed 2147483648 --student ...` is stored, not "integer out of range".

SQLite's INTEGER already holds 64 bits, so only other databases (PostgreSQL) change.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table in ("attempts", "assignments"):
        op.alter_column(table, "seed", type_=sa.BigInteger, existing_type=sa.Integer, existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table in ("attempts", "assignments"):
        op.alter_column(table, "seed", type_=sa.Integer, existing_type=sa.BigInteger, existing_nullable=False)
