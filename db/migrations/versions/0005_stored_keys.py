"""Stored answer keys and grading runs: grading reads each student's expected answers instead
of re-simulating them, and a file graded before is recognised.

- `assignment_keys`: one row per assignment, written by `course assign` (or on demand by the
  first grading of an older bank): the expected answers and worked solutions of the student's
  variant, with the question version, seed and simulator version they were computed with. A
  row whose version, seed or simulator differs from the assignment's is stale and recomputed.
- `grading_runs`: per set, the digest of the last submissions file graded and the state of the
  set's grades it left, with its report, so grading the same file again does no work.

New tables only: nothing existing is touched, so every student's history stays put.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assignment_keys",
        sa.Column("assignment_id", sa.Integer, sa.ForeignKey("assignments.id"), primary_key=True),
        sa.Column("version_id", sa.Integer, sa.ForeignKey("question_versions.id"), nullable=False),
        sa.Column("seed", sa.BigInteger, nullable=False),
        sa.Column("simulator", sa.String(64), nullable=False),
        sa.Column("key", sa.JSON, nullable=False),
    )
    op.create_table(
        "grading_runs",
        sa.Column("set_id", sa.Integer, sa.ForeignKey("assessment_sets.id"), primary_key=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("state", sa.String(64), nullable=False),
        sa.Column("report", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("grading_runs")
    op.drop_table("assignment_keys")
