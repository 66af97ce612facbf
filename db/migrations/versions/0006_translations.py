"""Translations: the current texts of each translated lesson and question, per language.

One row per (language, lesson or question): the words only (lessons/translation.py's
payloads). A build rewrites a language's rows from the content; stale translations are not
stored, so a student reads the English until a translator has caught up. New table only:
nothing existing is touched, so every student's history stays put.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "translations",
        sa.Column("lang", sa.String(16), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),  # "lesson" or "question"
        sa.Column("ref", sa.String(100), primary_key=True),  # the lesson's or question's id
        sa.Column("payload", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("translations")
