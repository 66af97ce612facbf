"""The practice session engine driven directly, without a terminal, on a real SQLite bank
built from a tiny lesson folder: what it asks, how it grades a complete and a stopped
answer set, what it stores, and the running summary."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tcptutor.bank import models
from tcptutor.bank.build import build
from tcptutor.bank.db import open_engine
from tcptutor.bank.queries import NotFound
from tcptutor.grading.answers import Unreadable
from tcptutor.practice.session import VARIANT_SEEDS, PracticeSession

from lessonkit import handshake_lesson, write_content

MOD = 2**32
NOW = datetime(2024, 3, 1, 9, 0, 0)

LESSON = handshake_lesson('''\
    ```question
    id = "hs-synack"
    kind = "predict"
    topics = ["handshake"]
    difficulty = 1
    scenario = "handshake"
    prompt = "Client ISN {client_isn}, server ISN {server_isn}. Give the ack and the flags of the server's reply."
    explanation = "The SYN-ACK acknowledges the client's SYN: client ISN + 1."

    [[ask]]
    field = "ack"
    what = "ack"
    segment = "server SYN+ACK"

    [[ask]]
    field = "flags"
    what = "flags"
    segment = "server SYN+ACK"
    ```

    ```question
    id = "hs-ack-seq"
    kind = "predict"
    topics = ["handshake"]
    difficulty = 1
    scenario = "handshake"
    prompt = "Client ISN {client_isn}, server ISN {server_isn}. Give the seq of the client's final ACK and the server's state once it arrives."
    explanation = "The client's SYN took one sequence number, so its ACK carries client ISN + 1."

    [[ask]]
    field = "seq"
    what = "seq"
    segment = "client ACK"

    [[ask]]
    field = "state"
    what = "state"
    endpoint = "server"
    at = "client ACK"
    ```

    ```question
    id = "hs-which"
    kind = "single"
    topics = ["handshake"]
    prompt = "Which segment carries both SYN and ACK?"
    explanation = "The server's answer to the SYN."

    [[options]]
    text = "The server's SYN+ACK"
    correct = true
    feedback = "Yes."

    [[options]]
    text = "The client's final ACK"
    correct = false
    feedback = "It carries no SYN."
    ```
''')


@pytest.fixture
def engine(tmp_path):
    content = write_content(tmp_path / "content", LESSON)
    engine = open_engine(f"sqlite:///{tmp_path}/bank.sqlite")
    build(engine, content)
    yield engine
    engine.dispose()


def start(engine, student: str = "ann", seed: int = 1, kind: str | None = "predict") -> PracticeSession:
    return PracticeSession.start(engine, student, random.Random(seed), kind=kind)


def right_answers(posed) -> dict[str, str]:
    return {name: str(e.value) for name, e in posed.variant.expected.items()}


def numeric_field(posed) -> str:
    (name,) = [n for n, e in posed.variant.expected.items() if e.what in ("seq", "ack")]
    return name


def stored_attempts(engine, student: str) -> list[models.Attempt]:
    with Session(engine) as session:
        return list(session.scalars(
            select(models.Attempt).join(models.Student, models.Student.id == models.Attempt.student_id)
            .where(models.Student.name == student).order_by(models.Attempt.id)
            .options(selectinload(models.Attempt.fields))))


def test_nothing_to_ask_is_a_clear_error(engine):
    with pytest.raises(NotFound, match="no questions match"):
        start(engine, kind="ordering")


def test_the_pool_is_what_the_filters_select(engine):
    assert sorted(c.question_id for c in start(engine).pool) == ["hs-ack-seq", "hs-synack"]
    assert len(start(engine, kind=None).pool) == 3


def test_a_posed_question_is_a_variant_of_a_question_in_the_pool(engine):
    session = start(engine)
    posed = session.next_question(NOW)
    assert posed.number == 1
    assert posed.loaded.question.id in {c.question_id for c in session.pool}
    assert posed.seed == posed.variant.seed and 0 <= posed.seed < VARIANT_SEEDS
    assert posed.variant.trace is not None
    segment_numbers = {s.n for s in posed.variant.trace.segments}
    assert posed.asked_segments and posed.asked_segments <= segment_numbers
    assert session.next_question(NOW).number == 2


def test_the_same_seed_gives_the_same_session(engine):
    def run(student: str) -> list[tuple[str, int]]:
        session = start(engine, student, seed=5)
        asked = []
        for minute in range(3):
            posed = session.next_question(NOW + timedelta(minutes=minute))
            session.answer(posed, right_answers(posed), NOW + timedelta(minutes=minute))
            asked.append((posed.loaded.question.id, posed.seed))
        return asked

    assert run("sam") == run("sue")


def test_an_unreadable_answer_is_reported_and_a_readable_one_is_not(engine):
    session = start(engine)
    posed = session.next_question(NOW)
    name = numeric_field(posed)
    for text in ("banana", "", "   "):
        assert isinstance(session.unreadable(posed, name, text), Unreadable), text
    assert "a whole number such as 1001" in str(session.unreadable(posed, name, "banana"))
    for name, text in right_answers(posed).items():
        assert session.unreadable(posed, name, text) is None
    assert session.unreadable(posed, numeric_field(posed), "0x10") is None  # hex is readable, right or not


def test_a_complete_right_answer_set_is_graded_stored_and_summed(engine):
    session = start(engine)
    posed = session.next_question(NOW)
    answered = session.answer(posed, right_answers(posed), NOW)
    assert answered.recorded and answered.attempt_id is not None and not answered.kept_pending
    assert answered.grade.score == 1.0
    assert all(f.verdict == "correct" for f in answered.grade.fields)
    assert session.asked == [posed.loaded.question.id]
    assert session.scores == [1.0] and session.running_score == 1.0
    assert session.misconceptions_seen() == []

    (row,) = stored_attempts(engine, "ann")
    assert row.id == answered.attempt_id
    assert (row.question_id, row.version_id, row.seed) == (posed.loaded.question.id, posed.loaded.version_id, posed.seed)
    assert (row.score, row.complete, row.source, row.created_at) == (1.0, True, "practice", NOW)
    assert [(f.field, f.given, f.verdict) for f in row.fields] == [
        (name, text, "correct") for name, text in right_answers(posed).items()]


def test_a_wrong_answer_names_its_misconception_in_the_summary(engine):
    session = start(engine)
    posed = session.next_question(NOW)
    given = right_answers(posed)
    name = numeric_field(posed)
    given[name] = str((posed.variant.expected[name].value - 1) % MOD)  # the SYN not counted
    answered = session.answer(posed, given, NOW)
    assert answered.grade.score == 0.5
    assert session.scores == [0.5] and session.running_score == 0.5
    assert session.misconceptions_seen() == [("syn-not-counted", 1)]
    (row,) = stored_attempts(engine, "ann")
    assert [f.misconception for f in row.fields if f.field == name] == ["syn-not-counted"]

    posed = session.next_question(NOW + timedelta(minutes=1))
    session.answer(posed, right_answers(posed), NOW + timedelta(minutes=1))
    assert session.scores == [0.5, 1.0] and session.running_score == 0.75


def test_misconceptions_are_listed_most_frequent_first(engine):
    session = start(engine)
    session.seen.update({"a-first-seen": 1, "b-twice": 2, "c-also-once": 1})
    assert session.misconceptions_seen() == [("b-twice", 2), ("a-first-seen", 1), ("c-also-once", 1)]


def test_a_stopped_answer_set_counts_the_fields_not_reached_as_unanswered(engine):
    session = start(engine)
    posed = session.next_question(NOW)
    (first, value), (second, _) = right_answers(posed).items()
    answered = session.answer(posed, {first: value}, NOW, complete=False)
    assert answered.recorded and answered.attempt_id is not None
    assert answered.grade.score == 0.5  # one of two fields: never 1.0
    assert [f.verdict for f in answered.grade.fields] == ["correct", "unanswered"]
    assert session.scores == [0.5]
    assert session.asked == []  # not answered in full

    (row,) = stored_attempts(engine, "ann")
    assert (row.complete, row.score, row.seed) == (False, 0.5, posed.seed)
    assert [(f.field, f.given, f.verdict, f.credit) for f in row.fields] == [
        (first, value, "correct", 1.0), (second, "", "unanswered", 0.0)]


def test_stopping_before_any_answer_stores_nothing(engine):
    session = start(engine)
    posed = session.next_question(NOW)
    answered = session.answer(posed, {}, NOW, complete=False)
    assert not answered.recorded and not answered.kept_pending
    assert stored_attempts(engine, "ann") == []
    assert session.scores == [] and session.running_score == 0.0


def test_the_question_just_answered_is_not_asked_again_at_once(engine):
    """The engine gives the scheduler this session's questions: a missed question waits
    out the gap (scheduler.GAP_AFTER_MISS) while another one is still to be asked."""
    session = start(engine)
    first = session.next_question(NOW)
    given = {name: "0" if name == numeric_field(first) else text for name, text in right_answers(first).items()}
    assert session.answer(first, given, NOW).grade.score < 1.0
    second = session.next_question(NOW + timedelta(minutes=1))
    assert second.loaded.question.id != first.loaded.question.id


def test_options_come_in_a_per_variant_order_and_the_shown_letter_is_graded(engine):
    """The right option is not always A (lessons list it first more often than not), and the
    letter a student types is read against the order they were shown."""
    right_letters = set()
    for seed in range(12):
        session = start(engine, f"s{seed}", seed, kind="single")
        posed = session.next_question(NOW)
        texts = [o.text for o in posed.variant.question.options]
        right = "AB"[texts.index("The server's SYN+ACK")]
        right_letters.add(right)
        (name,) = posed.variant.expected
        assert session.answer(posed, {name: right}, NOW).grade.score == 1.0
        assert session.answer(posed, {name: "AB".replace(right, "")}, NOW).grade.score == 0.0
    assert right_letters == {"A", "B"}


def test_the_history_is_read_in_one_query_and_matches_the_stored_attempts(engine):
    """The scheduler's history: one joined query however many attempts there are, and the
    same records (topics, score over readable fields, misconceptions) as the attempts say."""
    from sqlalchemy import event

    from tcptutor.bank import attempts

    session = start(engine, kind=None)
    for i in range(12):
        posed = session.next_question(NOW + timedelta(minutes=i))
        given = right_answers(posed) if i % 3 else {name: "zzz" if i % 2 else "1" for name in posed.variant.expected}
        session.answer(posed, given, NOW + timedelta(minutes=i))
    statements = []

    def seen(conn, cursor, statement, *rest):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    history = attempts.history(engine, session.student_id)
    event.remove(engine, "before_cursor_execute", seen)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    stored = stored_attempts(engine, "ann")
    assert [h.question_id for h in history] == [a.question_id for a in stored]
    for h, a in zip(history, stored):
        readable = [f.credit for f in a.fields if f.verdict != "unreadable"]
        assert h.score == (sum(readable) / len(readable) if readable else None)
        assert h.misconceptions == tuple(f.misconception for f in a.fields if f.misconception)
        assert h.topics == ("handshake",) and h.at == a.created_at
    assert any(h.score is None for h in history) and any(h.score == 1.0 for h in history)
