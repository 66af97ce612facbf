"""bank.reads is one set of queries for every connection: the plain sqlite3 connection of
bank.lite, and SQLAlchemy on SQLite and on a real PostgreSQL server give the same answers.

Each case records attempts through the normal write path (bank.attempts, SQLAlchemy), then
reads them back every way."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from tcptutor.bank import attempts, reads
from tcptutor.bank.db import open_engine
from tcptutor.bank.location import sqlite_file
from tcptutor.grading.grader import grade
from tcptutor.questions.variants import make_variant

BACKENDS = ["sqlite", "postgresql"]
STUDENT = "ann\x00b"  # a NUL: stored as U+2400 (models._NulSafe); the lookup must find it the same way


def practise(engine, student: str, count: int) -> None:
    """`count` attempts on the predict questions: numbers one off in every other attempt."""
    sid = attempts.student_id(engine, student)
    start = datetime(2026, 12, 1, 9, 0, 0, 123456)
    predict = [r for r in reads.questions(engine) if r.kind == "predict"]
    for i in range(count):
        loaded = reads.load_question(engine, predict[i % len(predict)].id)
        variant = make_variant(loaded.question, i, loaded.scenarios)
        given = {name: str(e.value + 1 if isinstance(e.value, int) and i % 2 == 0 else e.value)
                 for name, e in variant.expected.items()}
        attempts.record(engine, student=sid, question_id=loaded.question.id, version_id=loaded.version_id,
                        seed=i, grade=grade(variant, given), now=start + timedelta(minutes=i))


def every_read(db) -> dict:
    """Everything bank.reads answers, as plain data."""
    questions = reads.questions(db)
    some = questions[0]
    loaded = {r.id: reads.load_question(db, r.id) for r in questions}
    words = reads.translations(db, "zh")
    return {
        "questions": questions,
        "one lesson": reads.questions(db, lesson=some.lesson),
        "one topic": reads.questions(db, topic=some.topics[0]),
        "candidates": reads.candidates(db, lesson=None, topic=None, kind="predict"),
        "specs": {qid: (lq.question.to_spec(), lq.scenarios, lq.version_id, lq.version) for qid, lq in loaded.items()},
        "localized": {qid: reads.localized_with(lq, words).question.to_spec() for qid, lq in loaded.items()},
        "zh words": words,
        "zh two": reads.translations(db, "zh", refs=[q.id for q in questions[:2]]),
        "en words": reads.translations(db, "en"),
        "topics": (reads.topic_titles(db, "en"), reads.topic_titles(db, "zh")),
        "titles": (reads.lesson_titles(db, "zh"), reads.scenario_titles(db, "zh")),
        "student": reads.student_id(db, STUDENT),
        "nobody": reads.student_id(db, "nobody"),
        "history": reads.history(db, reads.student_id(db, STUDENT)),
    }


@pytest.mark.parametrize("kind", BACKENDS)
def test_every_connection_reads_the_same(kind, make_bank):
    url = make_bank(kind)
    engine = open_engine(url)
    try:
        practise(engine, STUDENT, 12)
        through_engine = every_read(engine)
        with Session(engine) as session:
            through_session = every_read(session)
    finally:
        engine.dispose()
    assert through_session == through_engine
    history = through_engine["history"]
    assert len(history) == 12 and history == sorted(history, key=lambda a: a.at)
    assert history[0].score < 1.0 and history[1].score == 1.0  # the fields were read with their attempts
    assert history[1].at == datetime(2026, 12, 1, 9, 1, 0, 123456)  # microseconds and all
    assert through_engine["zh words"] and through_engine["zh two"].keys() <= through_engine["zh words"].keys()
    assert len(through_engine["zh two"]) == 2 and through_engine["en words"] == {}
    assert through_engine["student"] is not None and through_engine["nobody"] is None
    assert reads.history(engine, None) == []
    if kind == "sqlite":
        with sqlite3.connect(sqlite_file(url)) as plain:
            assert every_read(plain) == through_engine


def test_a_missing_question_is_named(make_bank):
    with sqlite3.connect(sqlite_file(make_bank("sqlite"))) as plain:
        with pytest.raises(reads.NotFound, match="no question 'no-such'"):
            reads.load_question(plain, "no-such")
