"""Reading a submissions CSV (tcptutor.course.submissions): the long and the wide form,
detected from the header or forced, streamed row by row; a broken row becomes a Problem
with its line number and every other row is still yielded."""

from __future__ import annotations

import itertools
import textwrap
import tracemalloc

import pytest

from tcptutor.course.submissions import Answer, detect_form, read_submissions
from tcptutor.problems import Problem


def read(text: str, form: str = "auto"):
    return list(read_submissions(textwrap.dedent(text).splitlines(keepends=True), "sub.csv", form))


def split(items):
    answers = [i for i in items if isinstance(i, Answer)]
    problems = [i for i in items if isinstance(i, Problem)]
    assert len(answers) + len(problems) == len(items)
    return answers, problems


# ---------------------------------------------------------------- detection


@pytest.mark.parametrize("header, form", [
    ("student,question,field,answer", "long"),
    ("Student,Question,Field,Answer", "long"),
    ("answer,field,question,student", "long"),
    ("student,question,field,answer,comment", "long"),
    ("student,hs-synack-numbers.seq,hs-synack-numbers.ack", "wide"),
    ("id,q.f", "wide"),
    ("student_id,q.f", "wide"),
    ("roster_id,q.f", "wide"),
    ("Student,q.f", "wide"),
    ("student", None),  # no answer column at all
    ("student,q.f,notes", None),  # a wide column without QID.field
    ("name,q.f", None),
    ("student,question,answer", None),
    ("", None),
])
def test_detect_form(header, form):
    assert detect_form(header.split(",") if header else []) == form


def test_undetectable_header_is_one_problem_on_line_1():
    items = read("""\
        who,what
        s001,x
        """)
    assert len(items) == 1 and isinstance(items[0], Problem) and items[0].line == 1
    assert "--form" in items[0].message


def test_empty_file():
    items = list(read_submissions([], "sub.csv"))
    assert [(p.line, p.message) for p in items] == [(1, "empty file: expected a header line")]


def test_unknown_form():
    items = read("student,question,field,answer\n", form="tall")
    assert [p.line for p in items] == [1] and "unknown form 'tall'" in items[0].message


# ---------------------------------------------------------------- long form


def test_long_form_rows_in_any_column_order():
    answers, problems = split(read("""\
        answer,student,field,question
        2908054651,s001,ack,hs-synack-numbers
        " TIME-WAIT ",s002,client_state,td-closer-waits
        "1,2",s003,f,q
        """))
    assert problems == []
    assert answers == [
        Answer(2, "s001", "hs-synack-numbers", "ack", "2908054651"),
        Answer(3, "s002", "td-closer-waits", "client_state", " TIME-WAIT "),  # the answer text is kept as typed
        Answer(4, "s003", "q", "f", "1,2"),
    ]


def test_long_form_broken_rows_are_problems_with_their_lines_and_the_rest_is_read():
    items = read("""\
        student,question,field,answer
        s001,q1,seq,100
        s001,q1,ack
        ,q1,ack,5
        s002,,ack,5
        s002,q1,,5
        s002,q1,ack,5,extra

        s003,q1,ack,
         s004 , q1 , ack ,7
        s005,q1,seq,"multi
        line"
        s006,q1,seq,9
        """)
    answers, problems = split(items)
    assert [(p.line, p.path) for p in problems] == [(3, "sub.csv"), (4, "sub.csv"), (5, "sub.csv"), (6, "sub.csv"),
                                                    (7, "sub.csv"), (11, "sub.csv"), (12, "sub.csv")]
    assert "expected 4 columns" in problems[0].message and "got 3" in problems[0].message
    assert all("must not be empty" in p.message for p in problems[1:4])
    assert "got 5" in problems[4].message
    # a quote left open does not swallow the next line: each physical line is one row
    assert "unterminated quote" in problems[5].message and "not supported" in problems[5].message
    assert "got 1" in problems[6].message
    assert [(a.line, a.student, a.question, a.field, a.text) for a in answers] == [
        (2, "s001", "q1", "seq", "100"),
        (9, "s003", "q1", "ack", ""),  # an empty answer is an answer (graded "no answer"), not a broken row
        (10, "s004", "q1", "ack", "7"),  # ids are trimmed
        (13, "s006", "q1", "seq", "9"),
    ]
    # order is the file's order: problems and answers interleave as they are met
    assert [i.line for i in items] == [2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13]


def test_long_form_with_a_header_missing_a_column_when_forced():
    items = read("student,question,answer\ns001,q,1\n", form="long")
    assert [(p.line,) for p in items] == [(1,)] and "missing field" in items[0].message


# ---------------------------------------------------------------- wide form


def test_wide_form_one_answer_per_cell():
    answers, problems = split(read("""\
        student,hs-synack-numbers.seq,hs-synack-numbers.ack,td-closer-waits.client_state
        s001,3952616032,2908054651,TIME-WAIT
        s002,1,,FIN-WAIT-2
        """))
    assert problems == []
    assert [(a.line, a.student, a.question, a.field, a.text) for a in answers] == [
        (2, "s001", "hs-synack-numbers", "seq", "3952616032"),
        (2, "s001", "hs-synack-numbers", "ack", "2908054651"),
        (2, "s001", "td-closer-waits", "client_state", "TIME-WAIT"),
        (3, "s002", "hs-synack-numbers", "seq", "1"),
        (3, "s002", "hs-synack-numbers", "ack", ""),  # a blank cell is an unanswered field
        (3, "s002", "td-closer-waits", "client_state", "FIN-WAIT-2"),
    ]


def test_wide_form_broken_rows_are_problems_with_their_lines_and_the_rest_is_read():
    items = read("""\
        id,q.a,q.b
        s001,1,2
        s002,1
        ,1,2
        s004,1,2,3

        s005,5,6
        """)
    answers, problems = split(items)
    assert [p.line for p in problems] == [3, 4, 5]
    assert "expected 3 columns, got 2" in problems[0].message
    assert "student column is empty" in problems[1].message
    assert "expected 3 columns, got 4" in problems[2].message
    assert [(a.line, a.student, a.field) for a in answers] == [(2, "s001", "a"), (2, "s001", "b"),
                                                               (7, "s005", "a"), (7, "s005", "b")]


def test_wide_form_forced_with_a_column_that_is_not_qid_field():
    items = read("student,q.a,notes\ns001,1,hi\n", form="wide")
    assert [(p.line) for p in items] == [1] and "column 3 ('notes') is not QID.field" in items[0].message


def test_wide_question_ids_are_split_at_the_last_dot():
    (answer,) = read("student,a.b.field\ns1,x\n")
    assert (answer.question, answer.field) == ("a.b", "field")


# ---------------------------------------------------------------- streaming


def endless_long():
    yield "student,question,field,answer\n"
    for i in itertools.count():
        yield f"s{i},q,f,{i}\n" if i % 7 else f"s{i},q\n"  # every 7th row is broken


def endless_wide():
    yield "student,q.a,q.b\n"
    for i in itertools.count():
        yield f"s{i},{i},{i}\n" if i % 5 else "\n"


def test_long_form_streams():
    """A generator over an endless file: items come out as lines go in."""
    first = list(itertools.islice(read_submissions(endless_long(), "big.csv"), 30))
    assert isinstance(first[0], Problem) and first[0].line == 2
    assert [i.line for i in first[:8]] == [2, 3, 4, 5, 6, 7, 8, 9]
    assert sum(isinstance(i, Problem) for i in first) == 5  # rows 0, 7, 14, 21, 28


def test_wide_form_streams():
    first = list(itertools.islice(read_submissions(endless_wide(), "big.csv"), 10))
    assert all(isinstance(i, Answer) for i in first)
    assert [i.line for i in first] == [3, 3, 4, 4, 5, 5, 6, 6, 8, 8]


def test_reading_keeps_memory_flat():
    """Reading 200,000 rows needs no more memory than reading 20,000 (nothing accumulates)."""

    def peak(rows: int) -> int:
        lines = itertools.islice(endless_long(), rows + 1)
        tracemalloc.start()
        try:
            count = sum(1 for _ in read_submissions(lines, "big.csv"))
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            assert count == rows

    small, large = peak(20_000), peak(200_000)
    assert large < 2 * small, (small, large)
