"""Stored answer keys and repeated grading, on SQLite and on a real PostgreSQL server: assign
stores every student's key with the simulator that computed it; grading from stored keys gives
exactly the grades a fresh simulation gives; an old bank without keys, or a key from another
simulator, is graded the same and gets a fresh key; regrade says which keys moved and why; and
the same file graded again does no work and reports the same."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import delete, event, func, select, update
from sqlalchemy.orm import Session

from tcptutor.bank import models as m
from tcptutor.bank.db import open_engine
from tcptutor.course import placement, service
from tcptutor.grading.grader import grade, show
from tcptutor.library import simulator_version
from tcptutor.questions.variants import make_variant

BACKENDS = ["sqlite", "postgresql"]
PREDICT, CLOSE, CHOICE = "hs-synack-numbers", "td-closer-waits", "hs-why-three"
SET = "".join(f'[[pick]]\nquestion = "{q}"\npoints = 1\n' for q in (PREDICT, CLOSE, CHOICE))
STUDENTS = [f"s{i}" for i in range(1, 9)]


@pytest.fixture(params=BACKENDS)
def course(request, make_bank, tmp_path):
    c = service.init_course(tmp_path / "c")
    c.roster.write_text("id,name,email\n" + "".join(f"{s},Student {s},{s}@example.edu\n" for s in STUDENTS))
    c.set_file("quiz").write_text(SET, encoding="utf-8")
    engine = open_engine(make_bank(request.param))
    service.assign(engine, c, "quiz")
    yield engine, c
    engine.dispose()


def key_rows(c) -> list[dict]:
    with (c.root / "keys" / "quiz-key.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def submissions(c, tmp_path: Path, name: str = "sub.csv") -> Path:
    """Every kind of answer: right, off by one (a misconception), unreadable, missing."""
    lines = ["student,question,field,answer"]
    for i, r in enumerate(key_rows(c)):
        answer = r["expected"]
        if i % 4 == 1 and answer.isdigit():
            answer = str(int(answer) + 1)
        elif i % 4 == 1:
            answer = "B" if answer != "B" else "C"
        elif i % 7 == 3:
            answer = "no idea"
        elif i % 11 == 5:
            continue
        lines.append(f"{r['student']},{r['question']},{r['field']},{answer}")
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def stored_grades(engine) -> dict[tuple[str, str], tuple]:
    """(student, question) -> (score, fields) as stored."""
    with Session(engine) as session:
        rows = session.execute(
            select(m.CourseMember.roster_id, m.Assignment.question_id, m.Attempt.score, m.AttemptField.field,
                   m.AttemptField.given, m.AttemptField.expected, m.AttemptField.verdict, m.AttemptField.misconception,
                   m.AttemptField.credit, m.AttemptField.carried_from)
            .join(m.Assignment, m.Assignment.member_id == m.CourseMember.id)
            .join(m.Attempt, m.Attempt.assignment_id == m.Assignment.id)
            .join(m.AttemptField, m.AttemptField.attempt_id == m.Attempt.id)
            .order_by(m.AttemptField.id)).all()
    out: dict[tuple[str, str], tuple] = {}
    for sid, qid, score, *f in rows:
        out.setdefault((sid, qid), (score, []))[1].append(tuple(f))
    return out


def simulated_grades(engine, sub: Path) -> dict[tuple[str, str], tuple]:
    """The same answers graded the old way: every variant simulated afresh."""
    answers: dict[tuple[str, str], dict[str, str]] = {}
    with sub.open(newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            answers.setdefault((r["student"], r["question"]), {})[r["field"]] = r["answer"]
    out = {}
    with Session(engine) as session:
        cache = service.VariantCache(session)
        for sid, qid, version_id, seed in session.execute(
                select(m.CourseMember.roster_id, m.Assignment.question_id, m.Assignment.version_id, m.Assignment.seed)
                .join(m.Assignment, m.Assignment.member_id == m.CourseMember.id)):
            if (sid, qid) not in answers:
                continue
            loaded = cache.question(version_id)
            variant = placement.as_shown(make_variant(loaded.question, seed, loaded.scenarios))
            g = grade(variant, answers[(sid, qid)], carry_forward=True)
            out[(sid, qid)] = (g.score, [(f.field, f.given, show(f.expected), f.verdict, f.misconception, f.credit,
                                          f.carried_from) for f in g.fields])
    return out


def stored_keys(engine) -> list[tuple]:
    with Session(engine) as session:
        return session.execute(
            select(m.Assignment.id, m.Assignment.version_id, m.Assignment.seed, m.AssignmentKey.version_id,
                   m.AssignmentKey.seed, m.AssignmentKey.simulator)
            .outerjoin(m.AssignmentKey, m.AssignmentKey.assignment_id == m.Assignment.id)).all()


def test_assign_stores_every_students_key_with_the_simulator_that_computed_it(course):
    engine, _ = course
    keys = stored_keys(engine)
    assert len(keys) == len(STUDENTS) * 3
    assert all((v, s, simulator_version()) == (kv, ks, sim) for _, v, s, kv, ks, sim in keys)


def test_grades_from_stored_keys_are_the_grades_of_a_fresh_simulation(course, tmp_path):
    engine, c = course
    sub = submissions(c, tmp_path)
    report = service.grade_submissions(engine, c, "quiz", sub)
    assert report.graded == len(STUDENTS) * 3 and report.problem_count == 0
    stored = stored_grades(engine)
    assert stored == simulated_grades(engine, sub)
    verdicts = {f[3] for _, fields in stored.values() for f in fields}
    assert verdicts == {"correct", "wrong", "unreadable"}
    assert any(f[4] for _, fields in stored.values() for f in fields)  # a misconception was named


@pytest.mark.parametrize("staleness", ["missing", "other simulator"])
def test_an_old_or_stale_key_grades_the_same_and_is_stored_afresh(course, tmp_path, staleness):
    engine, c = course
    with Session(engine) as session, session.begin():
        if staleness == "missing":  # a bank upgraded from before stored keys
            session.execute(delete(m.AssignmentKey))
        else:
            session.execute(update(m.AssignmentKey).values(simulator="0123456789abcdef"))
    sub = submissions(c, tmp_path)
    service.grade_submissions(engine, c, "quiz", sub)
    assert stored_grades(engine) == simulated_grades(engine, sub)
    graded = {k for k in stored_grades(engine)}
    keys = stored_keys(engine)
    assert len([k for k in keys if k[5] == simulator_version()]) == len(graded)


def as_if_graded_by_another_simulator(engine) -> None:
    """As if s1's PREDICT attempt had been graded by another simulator, which expected 1 more
    in every field: every right answer was wrong then."""
    with Session(engine) as session, session.begin():
        aid, attempt_id = session.execute(
            select(m.Assignment.id, m.Attempt.id).join(m.Attempt, m.Attempt.assignment_id == m.Assignment.id)
            .join(m.CourseMember, m.CourseMember.id == m.Assignment.member_id)
            .where(m.CourseMember.roster_id == "s1", m.Assignment.question_id == PREDICT)).one()
        for f in session.scalars(select(m.AttemptField).where(m.AttemptField.attempt_id == attempt_id)):
            f.expected, f.verdict, f.credit = str(int(f.expected) + 1), "wrong", 0.0
        session.execute(update(m.Attempt).where(m.Attempt.id == attempt_id).values(score=0.0))
        session.execute(update(m.AssignmentKey).where(m.AssignmentKey.assignment_id == aid)
                        .values(simulator="0123456789abcdef"))


def test_regrade_says_which_keys_moved_because_the_simulator_changed(course, tmp_path):
    engine, c = course
    sub = submissions(c, tmp_path)
    service.grade_submissions(engine, c, "quiz", sub)
    before = stored_grades(engine)
    as_if_graded_by_another_simulator(engine)
    report = service.regrade(engine, c, "quiz")
    (move,) = report.key_moves
    assert (move.question_id, move.keys, move.grades) == (PREDICT, 1, int(before[("s1", PREDICT)][0] != 0.0))
    assert move.why == f"the simulator changed (simulator 0123456789abcdef -> {simulator_version()})"
    s1_fields = {f[0]: f[2] for f in before[("s1", PREDICT)][1]}
    assert [(s, f, new) for s, f, _, new in move.examples] == [("s1", f, v) for f, v in s1_fields.items()]
    assert all(int(old) == int(new) + 1 for _, _, old, new in move.examples)
    assert stored_grades(engine) == before  # the current simulator's grades are back
    assert report.graded == 1


def test_grading_the_same_file_again_does_no_work_and_reports_the_same(course, tmp_path):
    engine, c = course
    sub = submissions(c, tmp_path)
    first = service.grade_submissions(engine, c, "quiz", sub)
    writes = []

    def seen(conn, cursor, statement, *rest):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            writes.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    again = service.grade_submissions(engine, c, "quiz", sub)
    event.remove(engine, "before_cursor_execute", seen)
    assert writes == []
    assert (again.rows, again.students, again.graded, again.unchanged, again.problem_count) == \
        (first.rows, first.students, 0, first.graded + first.unchanged, first.problem_count)
    assert again.sorted_problems() == first.sorted_problems() and again.gradebook == first.gradebook

    # Anything that changes what grading would do makes it grade again: here the feedback is gone.
    feedback = c.root / "grades" / "quiz" / "feedback"
    for path in feedback.iterdir():
        path.unlink()
    feedback.rmdir()
    third = service.grade_submissions(engine, c, "quiz", sub)
    assert (third.graded, third.unchanged) == (0, first.graded + first.unchanged)
    assert sorted(p.name for p in feedback.iterdir()) == [f"{s}.md" for s in STUDENTS]

    # A grade changed by hand since the last run: the same file grades it back.
    with Session(engine) as session, session.begin():
        session.execute(update(m.Attempt).values(score=0.123).where(
            m.Attempt.id == session.scalar(select(func.min(m.Attempt.id)))))
    fourth = service.grade_submissions(engine, c, "quiz", sub)
    assert (fourth.graded, fourth.unchanged) == (1, first.graded + first.unchanged - 1)


GRADE_PROBE = """
import json, sys
from typer.testing import CliRunner
from tcptutor.cli import app
result = CliRunner().invoke(app, %r)
print(json.dumps({"exit": result.exit_code, "output": result.stdout,
                  "loaded": sorted(m for m in sys.modules if m.split(".")[0] == "sqlalchemy"
                                   or m in ("tcptutor.course.service", "tcptutor.grading.grader"))}))
"""


def grade_in_a_fresh_process(c, url: str, sub: Path) -> dict:
    import json
    import subprocess
    import sys

    argv = ["course", "grade", "quiz", str(sub), "--course", str(c.root), "--db", url, "--json"]
    run = subprocess.run([sys.executable, "-c", GRADE_PROBE % (argv,)], capture_output=True, text=True, timeout=600,
                         check=True)
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    seen["report"] = json.loads(seen["output"])
    return seen


def test_the_same_file_again_through_the_cli_needs_no_grader(course, tmp_path):
    """`course grade` of a file graded before answers with the last run's report. On an
    up-to-date SQLite bank it reads that through sqlite3 alone: neither SQLAlchemy nor the
    grader is imported; on PostgreSQL grade_submissions answers it. Either way nothing is
    graded, and a grade changed since makes the next run grade again."""
    engine, c = course
    url = engine.url.render_as_string(hide_password=False)
    sub = submissions(c, tmp_path)
    first = grade_in_a_fresh_process(c, url, sub)
    assert first["exit"] == 0 and first["report"]["graded"] > 0
    again = grade_in_a_fresh_process(c, url, sub)
    assert again["exit"] == 0
    assert again["report"] == {**first["report"], "graded": 0,
                               "unchanged": first["report"]["graded"] + first["report"]["unchanged"]}
    if engine.dialect.name == "sqlite":
        assert again["loaded"] == []
    else:
        assert "sqlalchemy" in again["loaded"]

    with Session(engine) as session, session.begin():
        session.execute(update(m.Attempt).values(score=0.123).where(
            m.Attempt.id == session.scalar(select(func.min(m.Attempt.id)))))
    third = grade_in_a_fresh_process(c, url, sub)
    assert (third["report"]["graded"], third["report"]["unchanged"]) == (1, again["report"]["unchanged"] - 1)
    assert "tcptutor.grading.grader" in third["loaded"]


def test_the_grades_state_reads_the_same_through_sqlite3_and_sqlalchemy(course, tmp_path):
    """again.grades_state is one set of plain SQL: the digest a grading run stores through its
    Session is the one the CLI computes through sqlite3, which is what lets a repeated run skip
    the grader."""
    import sqlite3

    from tcptutor.course import again

    engine, c = course
    service.grade_submissions(engine, c, "quiz", submissions(c, tmp_path))
    with Session(engine) as session:
        through_session = again.grades_state(session, c, again.set_row(session, c, "quiz"))
        stored = session.scalar(select(m.GradingRun.state))
    assert through_session == stored
    if engine.dialect.name == "sqlite":
        connection = sqlite3.connect(engine.url.database)
        try:
            assert again.grades_state(connection, c, again.set_row(connection, c, "quiz")) == stored
        finally:
            connection.close()


def test_a_bank_from_before_stored_keys_upgrades_keeps_its_grades_and_grades_the_same(course, tmp_path):
    """Down to revision 0004 (no key tables) and up again, as an old bank is upgraded on open:
    every attempt stays, and grading the same answers again computes and stores the keys and
    gives the same grades."""
    from alembic import command
    from alembic.config import Config

    from tcptutor.bank.db import MIGRATIONS

    engine, c = course
    sub = submissions(c, tmp_path)
    service.grade_submissions(engine, c, "quiz", sub)
    before = stored_grades(engine)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    upgraded = open_engine(url)  # migrates to the latest schema
    try:
        assert stored_grades(upgraded) == before
        assert all(k[3] is None for k in stored_keys(upgraded))
        report = service.grade_submissions(upgraded, c, "quiz", sub)
        assert (report.graded, report.unchanged) == (0, len(before))
        assert stored_grades(upgraded) == before
        assert len([k for k in stored_keys(upgraded) if k[5] == simulator_version()]) == len(before)
    finally:
        upgraded.dispose()


def test_the_regrade_command_says_which_keys_moved_and_why(course, tmp_path, cli):
    engine, c = course
    service.grade_submissions(engine, c, "quiz", submissions(c, tmp_path))
    as_if_graded_by_another_simulator(engine)
    url = engine.url.render_as_string(hide_password=False)
    done = cli("course", "regrade", "quiz", "--course", c.root, "--db", url)
    assert done.returncode == 0, done.stderr
    assert (f"{PREDICT}: the key moved for 1 student because the simulator changed (simulator 0123456789abcdef -> "
            f"{simulator_version()})") in done.stderr
    assert "e.g. s1 " in done.stderr and "1 attempt graded" in done.stderr
