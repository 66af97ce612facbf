"""The language of each course member: the roster's optional `lang` column (en, zh), the
language of the student's handouts and feedback. Empty for every existing member, who then
gets the instructor's language, as before.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN (SQLite and PostgreSQL both have it): a batch rebuild of the table
    # would drop it, which the assignments' foreign keys refuse
    op.add_column("course_members", sa.Column("lang", sa.String(16), nullable=True))


def downgrade() -> None:
    op.drop_column("course_members", "lang")  # SQLite 3.35+ drops a column in place
