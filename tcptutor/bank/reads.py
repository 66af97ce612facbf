"""What the student's commands read from the bank, as plain SQL on any connection.

One implementation for every kind of bank: `db` is a `sqlite3.Connection` (bank.lite opens
one on an up-to-date SQLite bank, so `quiz show` and `practice` never import SQLAlchemy,
whose import alone costs a student's command about 0.4 s) or a SQLAlchemy Session,
Connection or Engine (PostgreSQL, and every command that writes). Parameters are named
(`:name`), which both sqlite3 and SQLAlchemy's text() accept.

Values come back as the driver gives them: JSON as text from SQLite and decoded from
psycopg, timestamps as ISO text from SQLite and datetime from psycopg; `_json` and `_time`
make them the same.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from .. import i18n
from ..errors import TcptutorError
from ..practice.scheduler import AttemptRecord, Candidate
from ..questions.model import Question

NUL, NUL_SHOWN = "\x00", "\u2400"  # as models._NulSafe stores text, so a lookup finds it


class NotFound(TcptutorError):
    exit_code = 2


def rows(db, sql: str, params: dict | None = None) -> list[tuple]:
    """The rows of one SELECT on `db` (see the module's docstring for what `db` may be)."""
    params = params or {}
    if isinstance(db, sqlite3.Connection):
        return db.execute(sql, params).fetchall()
    from sqlalchemy import text

    if not hasattr(db, "execute"):  # an Engine
        with db.connect() as connection:
            return [tuple(r) for r in connection.execute(text(sql), params).all()]
    return [tuple(r) for r in db.execute(text(sql), params).all()]


def _json(value):
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def _time(value) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _listed(prefix: str, values) -> tuple[str, dict]:
    """`IN (...)` over `values` with one named parameter each (neither driver expands a list)."""
    names = {f"{prefix}{i}": v for i, v in enumerate(values)}
    return "(" + ", ".join(":" + n for n in names) + ")" if names else "(NULL)", names


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


def questions(db, *, lesson: str | None = None, topic: str | None = None) -> list[QuestionRow]:
    """The active questions (their current versions), in lesson order."""
    sql = (f"SELECT q.id, q.lesson_id, v.kind, {_topics_json(db)}, v.difficulty, v.version FROM questions q "
           "JOIN question_versions v ON v.id = q.current_version_id JOIN lessons l ON l.id = q.lesson_id "
           "WHERE q.active")
    params = {}
    if lesson:
        sql += " AND q.lesson_id = :lesson"
        params["lesson"] = lesson
    if topic:
        sql += " AND v.id IN (SELECT version_id FROM question_topics WHERE topic_id = :topic)"
        params["topic"] = topic
    sql += " ORDER BY l.position, q.position"
    return [QuestionRow(qid, lesson_id, kind, list(_json(topics)), difficulty, version)
            for qid, lesson_id, kind, topics, difficulty, version in rows(db, sql, params)]


def candidates(db, *, lesson: str | None, topic: str | None, kind: str | None) -> list[Candidate]:
    """What a practice session may ask."""
    return [Candidate(r.id, tuple(r.topics)) for r in questions(db, lesson=lesson, topic=topic)
            if kind is None or r.kind == kind]


@dataclass(frozen=True)
class LoadedQuestion:
    question: Question
    scenarios: dict[str, str]  # what make_variant needs: the named scenario's text, if any
    version_id: int
    version: int


def from_spec(spec: dict, version_id: int, version: int) -> LoadedQuestion:
    q = Question.from_spec(spec, lesson=spec.get("lesson", ""))
    scenarios = {q.scenario: spec["scenario_text"]} if spec.get("scenario_text") else {}
    return LoadedQuestion(q, scenarios, version_id, version)


def load_question(db, question_id: str) -> LoadedQuestion:
    """The question's current version; NotFound when there is none."""
    found = rows(db, "SELECT v.spec, v.id, v.version FROM questions q JOIN question_versions v "
                     "ON v.id = q.current_version_id WHERE q.id = :id", {"id": question_id})
    if not found:
        raise NotFound(i18n._("no question {question}; `tcptutor quiz list` shows the ids").format(
            question=repr(question_id)))
    spec, version_id, version = found[0]
    return from_spec(_json(spec), version_id, version)


def translations(db, lang: str, kind: str = "question", refs=None) -> dict[str, dict]:
    """The current translations into `lang` of the questions (or lessons) `refs` (default
    all): id -> payload for lessons/translation.localize. English, or none yet: {}."""
    if lang == "en":
        return {}
    sql = "SELECT ref, payload FROM translations WHERE lang = :lang AND kind = :kind"
    params = {"lang": lang, "kind": kind}
    if refs is not None:
        listed, names = _listed("ref", list(refs))
        sql += " AND ref IN " + listed
        params.update(names)
    return {ref: _json(payload) for ref, payload in rows(db, sql, params)}


def localized(db, loaded: LoadedQuestion, lang: str) -> LoadedQuestion:
    """The question with its words in `lang` where a current translation exists."""
    return localized_with(loaded, translations(db, lang, "question", [loaded.question.id]))


def localized_with(loaded: LoadedQuestion, words: dict[str, dict]) -> LoadedQuestion:
    """`localized` with the translations already read (`translations(db, lang)`)."""
    payload = words.get(loaded.question.id)
    if not payload:
        return loaded
    from ..lessons.translation import localize

    return LoadedQuestion(localize(loaded.question, payload), loaded.scenarios, loaded.version_id, loaded.version)


def topic_titles(db, lang: str) -> dict[str, str]:
    """Topic id -> title in `lang` (the English title where none is translated)."""
    titles = dict(rows(db, "SELECT id, title FROM topics"))
    titles.update({ref: p["title"] for ref, p in translations(db, lang, "topic").items()})
    return titles


def lesson_titles(db, lang: str) -> dict[str, str]:
    """Lesson id -> title in `lang`, for the lessons whose translation is current."""
    return {ref: p["title"] for ref, p in translations(db, lang, "lesson").items()}


def scenario_titles(db, lang: str) -> dict[str, str]:
    """A scenario's English title -> its title in `lang` (for i18n.set_titles)."""
    return {p["en"]: p["title"] for p in translations(db, lang, "title").values()}


def student_id(db, name: str) -> int | None:
    """The student's id; None for a student the bank has not met (attempts.student_id adds one)."""
    found = rows(db, "SELECT id FROM students WHERE name = :name", {"name": name.replace(NUL, NUL_SHOWN)})
    return found[0][0] if found else None


def history(db, student: int | None) -> list[AttemptRecord]:
    """The student's attempts, oldest first, in one joined query: each attempt's fields come
    with it; each question version's topics are read once, not once per attempt."""
    if student is None:
        return []
    found = rows(db, f"SELECT a.id, a.question_id, a.created_at, {_topics_json(db)}, f.credit, f.verdict, f.misconception "
                     "FROM attempts a JOIN question_versions v ON v.id = a.version_id "
                     "LEFT OUTER JOIN attempt_fields f ON f.attempt_id = a.id "
                     "WHERE a.student_id = :student ORDER BY a.created_at, a.id, f.id", {"student": student})
    decoded: dict[str, tuple[str, ...]] = {}  # the topics' JSON text -> topics: decoded once per version
    out: list[AttemptRecord] = []
    current, fields = None, []
    for attempt_id, question_id, at, text, credit, verdict, misconception in found:
        topics = decoded.get(text)
        if topics is None:
            topics = decoded[text] = tuple(_json(text))
        if current is not None and current[0] != attempt_id:
            out.append(_record(current, fields))
            fields = []
        current = (attempt_id, question_id, _time(at), topics)
        if verdict is not None:
            fields.append((credit, verdict, misconception))
    if current is not None:
        out.append(_record(current, fields))
    return out


def _dialect(db) -> str:
    if isinstance(db, sqlite3.Connection):
        return "sqlite"
    return (db.bind if hasattr(db, "bind") else db).dialect.name  # a Session, or an Engine or Connection


def _topics_json(db) -> str:
    """A version's topics as JSON text, read out of its spec by the database (decoding the
    whole spec per row was most of the time of a long history, and of the question list). SQLite's JSON1 spelling
    (MySQL's too), or PostgreSQL's."""
    return "CAST(v.spec -> 'topics' AS TEXT)" if _dialect(db) == "postgresql" else "json_extract(v.spec, '$.topics')"


def _record(attempt: tuple, fields: list[tuple]) -> AttemptRecord:
    _, question_id, at, topics = attempt
    return AttemptRecord(question_id, topics, at, _readable_score(fields),
                         tuple(misconception for _, _, misconception in fields if misconception))


def _readable_score(fields: list[tuple]) -> float | None:
    """Mastery is measured on what could be read: an unreadable answer never counts against it."""
    counted = [credit for credit, verdict, _ in fields if verdict != "unreadable"]
    return sum(counted) / len(counted) if counted else None
