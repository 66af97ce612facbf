"""Courses: rosters, assessment sets, per-student assignments; attempts tied to them.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "courses",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
    )
    op.create_table(
        "course_members",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("course_id", sa.String(100), sa.ForeignKey("courses.id"), nullable=False, index=True),
        sa.Column("roster_id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("email", sa.String(300), nullable=False),
        sa.Column("student_id", sa.Integer, sa.ForeignKey("students.id"), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.UniqueConstraint("course_id", "roster_id"),
    )
    op.create_table(
        "assessment_sets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("course_id", sa.String(100), sa.ForeignKey("courses.id"), nullable=False, index=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("carry_forward", sa.Boolean, nullable=False),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.UniqueConstraint("course_id", "name"),
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("set_id", sa.Integer, sa.ForeignKey("assessment_sets.id"), nullable=False, index=True),
        sa.Column("member_id", sa.Integer, sa.ForeignKey("course_members.id"), nullable=False, index=True),
        sa.Column("question_id", sa.String(100), sa.ForeignKey("questions.id"), nullable=False),
        sa.Column("version_id", sa.Integer, sa.ForeignKey("question_versions.id"), nullable=False),
        sa.Column("seed", sa.Integer, nullable=False),
        sa.Column("points", sa.Float, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.UniqueConstraint("set_id", "member_id", "question_id"),
    )
    # A plain ADD COLUMN and a unique index: no table rebuild, so every attempt stays put.
    if op.get_bind().dialect.name == "sqlite":  # SQLite can add a nullable referencing column in place
        op.execute("ALTER TABLE attempts ADD COLUMN assignment_id INTEGER REFERENCES assignments (id)")
    else:
        op.add_column("attempts", sa.Column("assignment_id", sa.Integer, sa.ForeignKey("assignments.id"), nullable=True))
    op.create_index("uq_attempts_assignment", "attempts", ["assignment_id"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_attempts_assignment", table_name="attempts")
    with op.batch_alter_table("attempts") as batch:
        batch.drop_column("assignment_id")
    for table in ("assignments", "assessment_sets", "course_members", "courses"):
        op.drop_table(table)
