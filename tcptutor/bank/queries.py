"""Reading the bank: lessons, questions, and a question's current version as a Question."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from .. import i18n
from ..errors import TcptutorError
from ..questions.model import Question
from . import models as m
from .build import BuildReport, ensure_current


class NotFound(TcptutorError):
    exit_code = 2


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


@dataclass(frozen=True)
class QuestionRow:
    id: str
    lesson: str
    kind: str
    topics: list[str]
    difficulty: int
    version: int

    def to_json(self) -> dict:
        return dict(self.__dict__)


def questions(session: Session, *, lesson: str | None = None, topic: str | None = None) -> list[QuestionRow]:
    stmt = (
        select(m.Question, m.QuestionVersion)
        .join(m.QuestionVersion, m.QuestionVersion.id == m.Question.current_version_id)
        .join(m.Lesson, m.Lesson.id == m.Question.lesson_id)
        .where(m.Question.active)
        .order_by(m.Lesson.position, m.Question.position)
    )
    if lesson:
        stmt = stmt.where(m.Question.lesson_id == lesson)
    if topic:
        stmt = stmt.where(
            m.QuestionVersion.id.in_(select(m.QuestionTopic.version_id).where(m.QuestionTopic.topic_id == topic))
        )
    return [
        QuestionRow(q.id, q.lesson_id, v.kind, list(v.spec["topics"]), v.difficulty, v.version)
        for q, v in session.execute(stmt).all()
    ]


@dataclass(frozen=True)
class LoadedQuestion:
    question: Question
    scenarios: dict[str, str]  # what make_variant needs: the named scenario's text, if any
    version_id: int
    version: int


def from_version(version: m.QuestionVersion) -> LoadedQuestion:
    spec = version.spec
    q = Question.from_spec(spec, lesson=spec.get("lesson", ""))
    scenarios = {q.scenario: spec["scenario_text"]} if spec.get("scenario_text") else {}
    return LoadedQuestion(q, scenarios, version.id, version.version)


def load_question(session: Session, question_id: str) -> LoadedQuestion:
    row = session.get(m.Question, question_id)
    if row is None or row.current is None:
        raise NotFound(i18n._("no question {question}; `tcptutor quiz list` shows the ids").format(
            question=repr(question_id)))
    return from_version(row.current)


def translations(session: Session, lang: str, kind: str = "question", refs=None) -> dict[str, dict]:
    """The current translations into `lang` of the questions (or lessons) `refs` (default
    all): id -> payload for lessons/translation.localize. English, or none yet: {}."""
    if lang == "en":
        return {}
    stmt = select(m.Translation.ref, m.Translation.payload).where(m.Translation.lang == lang, m.Translation.kind == kind)
    if refs is not None:
        refs = list(refs)
        stmt = stmt.where(m.Translation.ref.in_(refs))
    return dict(session.execute(stmt).all())


def localized(session: Session, loaded: LoadedQuestion, lang: str) -> LoadedQuestion:
    """The question with its words in `lang` where a current translation exists."""
    return localized_with(loaded, translations(session, lang, "question", [loaded.question.id]))


def localized_with(loaded: LoadedQuestion, words: dict[str, dict]) -> LoadedQuestion:
    """`localized` with the translations already read (`translations(session, lang)`)."""
    from ..lessons.translation import localize

    payload = words.get(loaded.question.id)
    if not payload:
        return loaded
    return LoadedQuestion(localize(loaded.question, payload), loaded.scenarios, loaded.version_id, loaded.version)


def topic_titles(session: Session, lang: str) -> dict[str, str]:
    """Topic id -> title in `lang` (the English title where none is translated)."""
    titles = dict(session.execute(select(m.Topic.id, m.Topic.title)).all())
    titles.update({ref: p["title"] for ref, p in translations(session, lang, "topic").items()})
    return titles


def lesson_titles(session: Session, lang: str) -> dict[str, str]:
    """Lesson id -> title in `lang`, for the lessons whose translation is current."""
    return {ref: p["title"] for ref, p in translations(session, lang, "lesson").items()}


def scenario_titles(session: Session, lang: str) -> dict[str, str]:
    """A scenario's English title -> its title in `lang` (for i18n.set_titles)."""
    return {p["en"]: p["title"] for p in translations(session, lang, "title").values()}
