"""Reading an instructor's course files (tcptutor.course.files): the roster CSV and the
assessment-set TOML. A bad roster row is reported with its line and the others are kept;
a bad set reports every problem with the line it is on."""

from __future__ import annotations

import io
import textwrap

import pytest

from tcptutor.course.files import Member, Pick, read_roster, read_set

# ---------------------------------------------------------------- roster


def roster(text: str):
    return read_roster(io.StringIO(textwrap.dedent(text)), "roster.csv")


def test_roster_good_rows_are_read_in_order_with_their_lines():
    members, problems = roster("""\
        id,name,email
        s001,Ada Lovelace,ada@example.edu
        s002,"Hopper, Grace",grace@example.edu
        s-003.x_y@z,Alan Turing,
        """)
    assert problems == []
    assert members == [
        Member("s001", "Ada Lovelace", "ada@example.edu", 2),
        Member("s002", "Hopper, Grace", "grace@example.edu", 3),
        Member("s-003.x_y@z", "Alan Turing", "", 4),  # the email may be empty
    ]


def test_roster_bad_rows_are_reported_by_line_and_the_others_kept():
    members, problems = roster("""\
        id,name,email
        s001,Ada,ada@example.edu
        ,No Id,x@example.edu
        s003,,c@example.edu
        s004,Dee,not-an-email
        s005,Eve
        -bad,Frank,f@example.edu
        s007,Gus,g@example.edu

        s008,Hal,h@example.edu
        """)
    assert [(p.path, p.line) for p in problems] == [("roster.csv", n) for n in (3, 4, 5, 6, 7)]
    by_line = {p.line: p.message for p in problems}
    assert "bad student id ''" in by_line[3]
    assert "name is empty" in by_line[4]
    assert "'not-an-email' is not an email address" in by_line[5]
    assert "expected 3 columns" in by_line[6] and "got 2" in by_line[6]
    assert "bad student id '-bad'" in by_line[7]
    # the blank line 9 is skipped silently; line numbers after it stay true
    assert [(m.roster_id, m.line) for m in members] == [("s001", 2), ("s007", 8), ("s008", 10)]


def test_roster_duplicate_ids_keep_the_first_and_name_its_line():
    members, problems = roster("""\
        id,name,email
        s001,Ada,ada@example.edu
        s002,Bob,bob@example.edu
        s001,Ada Again,ada2@example.edu
        s002,Bob Again,
        """)
    assert [m.roster_id for m in members] == ["s001", "s002"]
    assert [m.name for m in members] == ["Ada", "Bob"]
    assert [(p.line, p.message) for p in problems] == [
        (4, "student id s001 is already on line 2"),
        (5, "student id s002 is already on line 3"),
    ]


@pytest.mark.parametrize("header", ["id,name,email", "email,id,name", "Name, EMAIL ,ID", "name,email,id,section"])
def test_roster_header_in_any_order_and_case(header):
    columns = [h.strip().lower() for h in header.split(",")]
    values = {"id": "s042", "name": "Ada Lovelace", "email": "ada@example.edu", "section": "B"}
    row = ",".join(values[c] for c in columns)
    members, problems = read_roster([header + "\n", row + "\n"], "r.csv")
    assert problems == []
    assert members == [Member("s042", "Ada Lovelace", "ada@example.edu", 2)]


def test_roster_header_missing_a_column_is_one_problem_on_line_1():
    members, problems = read_roster(["id,email\n", "s001,a@example.edu\n"], "r.csv")
    assert members == []
    assert len(problems) == 1 and problems[0].line == 1 and "missing: name" in problems[0].message


def test_roster_empty_file():
    members, problems = read_roster([], "r.csv")
    assert members == [] and [p.line for p in problems] == [1]


def test_roster_id_rules():
    long_ok = "a" * 100
    members, problems = read_roster(
        ["id,name,email\n", f"{long_ok},A,\n", f"{'a' * 101},B,\n", "has space,C,\n", "=cmd,D,\n", "ok.1_2-3@x,E,\n"],
        "r.csv")
    assert [m.roster_id for m in members] == [long_ok, "ok.1_2-3@x"]
    assert [p.line for p in problems] == [3, 4, 5]



def test_roster_with_a_utf8_bom_through_sync_roster(tmp_path):
    """Spreadsheets save "CSV UTF-8" with a byte-order mark; the roster must still be read."""
    from tcptutor.bank.db import open_engine
    from tcptutor.course import service

    course = service.init_course(tmp_path / "c")
    course.roster.write_bytes("\ufeffid,name,email\ns001,Ada,ada@example.edu\n".encode())
    engine = open_engine(f"sqlite:///{tmp_path / 'bank.sqlite'}")
    try:
        report = service.sync_roster(engine, course)
    finally:
        engine.dispose()
    assert report.problems == [], [str(p) for p in report.problems]
    assert report.members == 1


# ---------------------------------------------------------------- assessment sets

GOOD_SET = """\
title = "Quiz 1"
carry_forward = false

[[pick]]
question = "hs-synack-numbers"
points = 2

[[pick]]
topic = "teardown"
count = 3
kind = "predict"
points = 1.5
"""


def test_set_good():
    spec, problems = read_set(GOOD_SET, "quiz1.toml", "quiz1")
    assert problems == []
    assert spec.name == "quiz1" and spec.title == "Quiz 1" and spec.carry_forward is False
    assert spec.picks == (Pick(2.0, question="hs-synack-numbers"), Pick(1.5, topic="teardown", count=3, kind="predict"))
    assert spec.to_json()["picks"][1] == {"points": 1.5, "question": None, "topic": "teardown", "count": 3, "kind": "predict"}


def test_set_defaults():
    spec, problems = read_set('[[pick]]\nquestion = "q"\n', "s.toml", "s")
    assert problems == []
    assert spec.title == "s" and spec.carry_forward is True and spec.picks == (Pick(1.0, question="q"),)


def test_set_problems_are_reported_with_the_line_of_their_pick():
    text = textwrap.dedent("""\
        title = "Bad"

        [[pick]]
        question = "a"
        points = 0

        [[pick]]
        question = "b"
        topic = "teardown"

        [[pick]]
        topic = "teardown"
        count = 0

        [[pick]]
        question = "c"
        weight = 2

        [[pick]]
        points = true
        question = "d"

          [[ pick ]]
        topic = "handshake"
        count = 1.5
        """)
    spec, problems = read_set(text, "bad.toml", "bad")
    assert spec is None
    assert [(p.line, p.message) for p in problems] == [
        (3, "pick 1: points must be a positive number"),
        (7, 'pick 2: give either question = "id" or topic = "id"'),
        (11, "pick 3: count must be a whole number >= 1"),
        (15, "pick 4: unknown key 'weight'"),
        (19, "pick 5: points must be a positive number"),
        (23, "pick 6: count must be a whole number >= 1"),
    ]


def test_set_unknown_top_level_key_is_reported_on_its_line():
    spec, problems = read_set('title = "x"\n\ncarry_fowrard = true\n[[pick]]\nquestion = "a"\n', "s.toml", "s")
    assert spec is None
    assert [(p.line, p.message) for p in problems] == [
        (3, "unknown key 'carry_fowrard'; expected title, carry_forward, [[pick]]")]


def test_set_malformed_toml_names_the_line():
    spec, problems = read_set('title = "x"\n[[pick]]\nquestion = \npoints = 1\n', "s.toml", "s")
    assert spec is None
    assert len(problems) == 1 and problems[0].line == 3 and problems[0].message.startswith("malformed TOML")


def test_set_without_picks():
    spec, problems = read_set('title = "empty"\n', "s.toml", "s")
    assert spec is None and [(p.line, p.message) for p in problems] == [(1, "a set needs at least one [[pick]]")]


def test_set_carry_forward_must_be_a_bool():
    spec, problems = read_set('carry_forward = "yes"\n[[pick]]\nquestion = "a"\n', "s.toml", "s")
    assert spec is None and [(p.line, p.message) for p in problems] == [(1, "carry_forward must be true or false")]



def test_set_carry_forward_problem_is_reported_on_its_line():
    _spec, problems = read_set('title = "x"\n\ncarry_forward = "yes"\n[[pick]]\nquestion = "a"\n', "s.toml", "s")
    assert [(p.line, p.message) for p in problems] == [(3, "carry_forward must be true or false")]



def test_set_pick_that_is_not_a_table_is_a_problem_not_a_crash():
    spec, problems = read_set('title = "x"\npick = 3\n', "s.toml", "s")
    assert spec is None
    assert [p.line for p in problems] == [2]


# ---------------------------------------------------------------- names that become paths


@pytest.mark.parametrize("name", ["../../evil", "..", "a/b", "/etc/passwd", ".hidden", "-rf", "a..b", "", "x" * 101,
                                  "quiz\n1", "quiz 1", "c:\\x"])
def test_unsafe_names_are_refused(name):
    from tcptutor.course.files import BadName, checked_name

    with pytest.raises(BadName, match="bad set name"):
        checked_name("set name", name)


@pytest.mark.parametrize("name", ["quiz1", "Quiz_1.b", "mid-term", "x" * 100])
def test_safe_names_pass(name):
    from tcptutor.course.files import checked_name

    assert checked_name("set name", name) == name


def test_set_with_an_unsafe_question_id_is_a_problem_on_its_pick():
    text = 'title = "T"\n[[pick]]\nquestion = "../../etc"\npoints = 1\n'
    spec, problems = read_set(text, "sets/q.toml", "q")
    assert spec is None
    assert [(p.line, "bad question id" in p.message) for p in problems] == [(2, True)]


def test_roster_id_with_two_dots_is_a_problem_on_its_line():
    """A student id names files (handouts/SET/ID.md): '..' is refused before any path is built."""
    members, problems = read_roster(["id,name,email\n", "a..b,A,\n", "..,B,\n", "s1,C,\n"], "r.csv")
    assert [m.roster_id for m in members] == ["s1"]
    assert [(p.line, "no '..'" in p.message) for p in problems] == [(2, True), (3, True)]


@pytest.mark.parametrize("points", ["nan", "inf", "-inf", "+nan"])
def test_set_points_must_be_finite(points):
    """nan <= 0 is False: a plain positivity check let nan and inf through to the gradebook."""
    spec, problems = read_set(f'title = "x"\n[[pick]]\nquestion = "a"\npoints = {points}\n', "s.toml", "s")
    assert spec is None
    assert [(p.line, p.message) for p in problems] == [(2, "pick 1: points must be a positive number")]


def test_a_set_nested_too_deeply_is_a_problem_not_a_recursion_error():
    spec, problems = read_set('title = "x"\n\nextra = ' + "[" * 100_000 + "]" * 100_000 + "\n", "s.toml", "s")
    assert spec is None
    assert len(problems) == 1 and problems[0].line == 3 and "too deeply nested" in problems[0].message


def test_a_course_file_nested_too_deeply_or_not_utf8_is_one_clear_error(tmp_path):
    from tcptutor.course.service import open_course
    from tcptutor.errors import InputError

    (tmp_path / "course.toml").write_text('id = "c"\nx = ' + "{a = " * 5_000 + "1" + "}" * 5_000 + "\n")
    with pytest.raises(InputError) as err:
        open_course(tmp_path)
    assert err.value.line == 2 and "too deeply nested" in err.value.message
    (tmp_path / "course.toml").write_bytes('id = "c"\nname = "Réseaux"\n'.encode("latin-1"))
    with pytest.raises(InputError) as err:
        open_course(tmp_path)
    assert "not UTF-8" in err.value.message
