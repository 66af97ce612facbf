"""Lessons, questions and their versions, topics.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "topics",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
    )
    op.create_table(
        "lessons",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("topics", sa.JSON, nullable=False),
        sa.Column("objectives", sa.JSON, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("source_name", sa.String(300), nullable=False),
        sa.Column("markdown", sa.Text, nullable=False),
        sa.Column("scenarios", sa.JSON, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_table(
        "questions",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("lesson_id", sa.String(100), sa.ForeignKey("lessons.id"), nullable=False, index=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("current_version_id", sa.Integer, nullable=True),
    )
    op.create_table(
        "question_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("question_id", sa.String(100), sa.ForeignKey("questions.id"), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("difficulty", sa.Integer, nullable=False),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("question_id", "version"),
        sa.UniqueConstraint("question_id", "content_hash"),
    )
    with op.batch_alter_table("questions") as batch:
        batch.create_foreign_key("fk_questions_current_version", "question_versions", ["current_version_id"], ["id"])
    op.create_table(
        "question_topics",
        sa.Column("version_id", sa.Integer, sa.ForeignKey("question_versions.id"), primary_key=True),
        sa.Column("topic_id", sa.String(64), sa.ForeignKey("topics.id"), primary_key=True, index=True),
    )
    op.create_table(
        "bank_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("bank_meta", "question_topics", "questions", "question_versions", "lessons", "topics"):
        op.drop_table(table)
