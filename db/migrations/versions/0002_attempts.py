"""Students and their attempts (answers, verdicts, misconceptions), tied to question versions.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "students",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime, server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        "attempts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("student_id", sa.Integer, sa.ForeignKey("students.id"), nullable=False, index=True),
        sa.Column("question_id", sa.String(100), sa.ForeignKey("questions.id"), nullable=False, index=True),
        sa.Column("version_id", sa.Integer, sa.ForeignKey("question_versions.id"), nullable=False, index=True),
        sa.Column("seed", sa.Integer, nullable=False),
        sa.Column("score", sa.Float, nullable=True),
        sa.Column("complete", sa.Boolean, nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False, index=True),
    )
    op.create_table(
        "attempt_fields",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("attempt_id", sa.Integer, sa.ForeignKey("attempts.id"), nullable=False, index=True),
        sa.Column("field", sa.String(100), nullable=False),
        sa.Column("given", sa.Text, nullable=False),
        sa.Column("expected", sa.Text, nullable=False),
        sa.Column("verdict", sa.String(20), nullable=False),
        sa.Column("misconception", sa.String(100), nullable=True, index=True),
        sa.Column("credit", sa.Float, nullable=False),
        sa.Column("carried_from", sa.String(100), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("attempt_fields")
    op.drop_table("attempts")
    op.drop_table("students")
