"""Reading the bank through SQLAlchemy: the lessons, and (from bank.reads, which every backend
shares) the questions and their translations."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from .. import i18n
from . import models as m
from .build import BuildReport, ensure_current
from .reads import (  # noqa: F401  (the reads every backend shares; re-exported for the commands that write)
    LoadedQuestion, NotFound, QuestionRow, from_spec, load_question, localized, localized_with, questions,
    lesson_titles, scenario_titles, topic_titles, translations,
)


def ensure_built(engine: Engine, announce=None) -> BuildReport | None:
    """Build the bank from the shipped content when it is empty or stale (see
    build.rebuild_reason and build.ensure_current); None when it is up to date."""
    return ensure_current(engine, announce)


@dataclass(frozen=True)
class LessonRow:
    id: str
    title: str
    topics: list[str]
    questions: int
    predict: int

    def to_json(self) -> dict:
        return dict(self.__dict__)


def lessons(session: Session) -> list[LessonRow]:
    counts = dict(
        session.execute(
            select(m.Question.lesson_id, func.count()).where(m.Question.active).group_by(m.Question.lesson_id)
        ).all()
    )
    predicts = dict(
        session.execute(
            select(m.Question.lesson_id, func.count())
            .join(m.QuestionVersion, m.QuestionVersion.id == m.Question.current_version_id)
            .where(m.Question.active, m.QuestionVersion.kind == "predict")
            .group_by(m.Question.lesson_id)
        ).all()
    )
    rows = session.scalars(select(m.Lesson).where(m.Lesson.active).order_by(m.Lesson.position))
    return [LessonRow(r.id, r.title, list(r.topics), counts.get(r.id, 0), predicts.get(r.id, 0)) for r in rows]


def lesson(session: Session, lesson_id: str) -> m.Lesson:
    row = session.get(m.Lesson, lesson_id)
    if row is None or not row.active:
        known = ", ".join(r.id for r in lessons(session))
        raise NotFound(i18n._("no lesson {lesson}; lessons: {known}").format(lesson=repr(lesson_id), known=known))
    return row


def from_version(version: m.QuestionVersion) -> LoadedQuestion:
    return from_spec(version.spec, version.id, version.version)
