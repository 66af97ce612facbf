"""Recording attempts and reading a student's history. Each attempt is one short
transaction, so concurrent sessions (and a build) interleave without losing anything."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..grading.grader import Grade, show
from ..practice.scheduler import AttemptRecord, Candidate
from . import models as m


def student_id(engine: Engine, name: str) -> int:
    with Session(engine) as session:
        found = session.scalar(select(m.Student.id).where(m.Student.name == name))
    if found is not None:
        return found
    try:
        with Session(engine) as session, session.begin():
            row = m.Student(name=name)
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:  # another process created it first
        with Session(engine) as session:
            return session.scalar(select(m.Student.id).where(m.Student.name == name))


def record(engine: Engine, *, student: int, question_id: str, version_id: int, seed: int, grade: Grade,
           now: datetime, source: str = "practice", complete: bool = True) -> int:
    with Session(engine) as session, session.begin():
        attempt = m.Attempt(
            student_id=student, question_id=question_id, version_id=version_id, seed=seed,
            score=grade.score, complete=complete, source=source, created_at=now,
            fields=[
                m.AttemptField(field=f.field, given=f.given, expected=show(f.expected), verdict=f.verdict,
                               misconception=f.misconception, credit=f.credit, carried_from=f.carried_from)
                for f in grade.fields
            ],
        )
        session.add(attempt)
        session.flush()
        return attempt.id


def history(engine: Engine, student: int) -> list[AttemptRecord]:
    with Session(engine) as session:
        rows = session.execute(
            select(m.Attempt, m.QuestionVersion.spec)
            .join(m.QuestionVersion, m.QuestionVersion.id == m.Attempt.version_id)
            .where(m.Attempt.student_id == student)
            .order_by(m.Attempt.created_at, m.Attempt.id)
        ).all()
        return [
            AttemptRecord(a.question_id, tuple(spec["topics"]), a.created_at, _readable_score(a),
                          tuple(f.misconception for f in a.fields if f.misconception))
            for a, spec in rows
        ]


def _readable_score(attempt: m.Attempt) -> float | None:
    """Mastery is measured on what could be read: an unreadable answer never counts against it."""
    counted = [f.credit for f in attempt.fields if f.verdict != "unreadable"]
    return sum(counted) / len(counted) if counted else None


def candidates(engine: Engine, *, lesson: str | None, topic: str | None, kind: str | None) -> list[Candidate]:
    from .queries import questions

    with Session(engine) as session:
        rows = questions(session, lesson=lesson, topic=topic)
    return [Candidate(r.id, tuple(r.topics)) for r in rows if kind is None or r.kind == kind]


def recent(engine: Engine, student: int, limit: int = 20) -> list[m.Attempt]:
    with Session(engine) as session:
        return list(session.scalars(
            select(m.Attempt).where(m.Attempt.student_id == student)
            .order_by(m.Attempt.created_at.desc(), m.Attempt.id.desc()).limit(limit)
        ))
