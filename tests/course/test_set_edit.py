"""Editing a set after grading (issue 9, item 8): `course assign` refuses an edit that would
change grades unless --force, and says which students change and by how much."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tcptutor.bank import models as m
from tcptutor.bank.db import open_engine
from tcptutor.course import service

Q1, Q2 = "hs-synack-numbers", "td-closer-waits"
ONE = f'title = "Quiz"\n[[pick]]\nquestion = "{Q1}"\npoints = 2\n'
TWO = ONE + f'[[pick]]\nquestion = "{Q2}"\npoints = 2\n'
TWO_FIRST = f'title = "Quiz"\n[[pick]]\nquestion = "{Q2}"\npoints = 2\n[[pick]]\nquestion = "{Q1}"\npoints = 2\n'


def graded_course(url: str, root: Path, ids=("s001", "s002", "s003")):
    course = service.init_course(root)
    with (root / "roster.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "email"])
        w.writerows([s, f"Student {s}", ""] for s in ids)
    (root / "sets" / "quiz.toml").write_text(ONE, encoding="utf-8")
    engine = open_engine(url)
    service.assign(engine, course, "quiz")
    with (root / "keys" / "quiz-key.csv").open(newline="", encoding="utf-8") as f:
        key = list(csv.DictReader(f))
    answers = root / "answers.csv"
    # s001 all right, s002 the seq right only, s003 hands nothing in
    answers.write_text("student,question,field,answer\n" + "".join(
        f"{r['student']},{r['question']},{r['field']},{r['expected'] if r['student'] == 's001' or r['field'] == 'seq' else 0}\n"
        for r in key if r["student"] != "s003"), encoding="utf-8")
    report = service.grade_submissions(engine, course, "quiz", answers)
    assert report.problem_count == 0
    return engine, course


def assignments(engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(m.Assignment))


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_adding_a_question_after_grading_is_refused_naming_who_changes(kind, make_bank, tmp_path):
    engine, course = graded_course(make_bank(kind), tmp_path / "net101")
    try:
        (course.root / "sets" / "quiz.toml").write_text(TWO, encoding="utf-8")
        before = assignments(engine)
        with pytest.raises(service.SetChangedAfterGrading) as info:
            service.assign(engine, course, "quiz")
        message = str(info.value)
        assert f"adds {Q2}" in message and "--force" in message
        assert "s001 100% -> 50%" in message
        assert "s002 50% -> 25%" in message
        assert "s003" not in message  # not graded: nothing of theirs changes
        assert "grades of 2 students" in message
        assert assignments(engine) == before  # refused: nothing applied
        report = service.assign(engine, course, "quiz", force=True)
        assert report.new_assignments == 3
    finally:
        engine.dispose()


def test_a_question_added_in_front_after_grading_takes_a_new_place(make_bank, tmp_path):
    """Students keep the places on the handout they answered; the added question comes after."""
    engine, course = graded_course(make_bank("sqlite"), tmp_path / "net101")
    try:
        (course.root / "sets" / "quiz.toml").write_text(TWO_FIRST, encoding="utf-8")
        service.assign(engine, course, "quiz", force=True)
        with (course.root / "keys" / "quiz-key.csv").open(newline="", encoding="utf-8") as f:
            places = {(r["student"], r["question"]): r["place"] for r in csv.DictReader(f)}
        assert {s: (places[s, Q1], places[s, Q2]) for s in ("s001", "s002", "s003")} == \
            {s: ("q1", "q2") for s in ("s001", "s002", "s003")}
    finally:
        engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_an_unchanged_set_or_an_edit_that_changes_no_grade_goes_through(kind, make_bank, tmp_path):
    engine, course = graded_course(make_bank(kind), tmp_path / "net101")
    try:
        assert service.assign(engine, course, "quiz").new_assignments == 0  # the stored spec reads back equal
        (course.root / "sets" / "quiz.toml").write_text(ONE.replace('"Quiz"', '"Quiz one"'), encoding="utf-8")
        report = service.assign(engine, course, "quiz")
        assert report.new_assignments == 0
    finally:
        engine.dispose()


def test_the_cli_refuses_in_one_line_with_exit_2_and_force_applies(make_bank, cli, tmp_path):
    url = make_bank("sqlite")
    engine, course = graded_course(url, tmp_path / "net101")
    engine.dispose()
    (course.root / "sets" / "quiz.toml").write_text(TWO, encoding="utf-8")
    run = cli("course", "assign", "quiz", "--course", course.root, "--db", url)
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("tcptutor: sets/quiz.toml changed after grading")
    forced = cli("course", "assign", "quiz", "--course", course.root, "--db", url, "--force")
    assert forced.returncode == 0, forced.stderr
    assert "(3 new assignments)" in forced.stderr
