"""Bulk grading that survives any CSV, on SQLite and on a real PostgreSQL server: broken lines
cost only themselves, any spreadsheet encoding is read, feedback exists only for committed
grades and cannot be forged by an answer, problems come in line order (a bad header once),
and regrade commits in batches."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from tcptutor.bank import models as m
from tcptutor.bank.db import open_engine
from tcptutor.course import service

BACKENDS = ["sqlite", "postgresql"]
Q1, Q3 = "hs-synack-numbers", "td-closer-waits"
SET = f'title = "Quiz"\n[[pick]]\nquestion = "{Q1}"\npoints = 2\n[[pick]]\nquestion = "{Q3}"\npoints = 1\n'
HEADER = "student,question,field,answer"


class Course:
    def __init__(self, engine, course: service.CourseDir):
        self.engine, self.dir = engine, course
        with (course.root / "keys" / "quiz-key.csv").open(newline="", encoding="utf-8") as f:
            self.key = {(r["student"], r["question"], r["field"]): r["expected"] for r in csv.DictReader(f)}

    def right(self, sid: str) -> list[str]:
        """The long-form lines of a student who answers everything from the key."""
        return [f"{s},{q},{f},{v}" for (s, q, f), v in self.key.items() if s == sid]

    def grade(self, tmp_path: Path, text: str | bytes, name: str = "sub.csv", **kw) -> service.GradeReport:
        path = tmp_path / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        return service.grade_submissions(self.engine, self.dir, "quiz", path, **kw)

    def book(self) -> dict[str, dict]:
        with (self.dir.root / "grades" / "quiz" / "gradebook.csv").open(newline="", encoding="utf-8") as f:
            return {r["student"]: r for r in csv.DictReader(f)}

    def attempts(self) -> dict[str, int]:
        with Session(self.engine) as session:
            rows = session.execute(select(m.CourseMember.roster_id, m.Attempt.id)
                                   .join(m.Assignment, m.Assignment.member_id == m.CourseMember.id)
                                   .join(m.Attempt, m.Attempt.assignment_id == m.Assignment.id)).all()
        counts: dict[str, int] = {}
        for sid, _ in rows:
            counts[sid] = counts.get(sid, 0) + 1
        return counts


def make_course(url: str, root: Path, ids, roster_bytes: bytes | None = None) -> Course:
    course = service.init_course(root)
    if roster_bytes is None:
        roster_bytes = ("id,name,email\n" + "".join(f"{i},Student {i},{i}@example.edu\n" for i in ids)).encode()
    course.roster.write_bytes(roster_bytes)
    course.set_file("quiz").write_text(SET, encoding="utf-8")
    engine = open_engine(url)
    service.assign(engine, course, "quiz")
    return Course(engine, course)


@pytest.fixture(params=BACKENDS)
def small(request, make_bank, tmp_path):
    course = make_course(make_bank(request.param), tmp_path / "c", ["s1", "s2", "s3", "s4", "s5"])
    yield course
    course.engine.dispose()


# ---------------------------------------------------------------- broken lines


def test_an_unterminated_quote_grades_the_next_row_as_its_own_student(small, tmp_path):
    s1 = small.right("s1")
    s1[0] = s1[0].rsplit(",", 1)[0] + ',"' + s1[0].rsplit(",", 1)[1]  # s1's first answer opens a quote
    report = small.grade(tmp_path, "\n".join([HEADER, *s1, *small.right("s2")]) + "\n")
    assert [(p.line, "unterminated quote" in p.message) for p in report.sorted_problems()] == [(2, True)]
    book = small.book()
    assert book["s2"]["total"] == "3"  # all of s2's answers, graded as s2's
    assert float(book["s1"]["total"]) < 3 and book["s1"]["submitted"] == "yes"


def test_a_huge_cell_is_reported_by_line_and_the_rest_graded(small, tmp_path):
    lines = [HEADER, *small.right("s1"), f"s2,{Q1},seq," + "1" * 200_000, *small.right("s3")]
    report = small.grade(tmp_path, "\n".join(lines) + "\n")
    assert [p.line for p in report.sorted_problems()] == [len(small.right("s1")) + 2]
    assert "longer than 100,000 characters" in report.problems[0].message
    assert (small.book()["s1"]["total"], small.book()["s3"]["total"]) == ("3", "3")


# ---------------------------------------------------------------- encodings


@pytest.mark.parametrize("kind", BACKENDS)
@pytest.mark.parametrize("encoding", ["gbk", "utf-16", "cp1252"])
def test_roster_and_submissions_in_spreadsheet_encodings(kind, encoding, make_bank, tmp_path):
    names = {"gbk": ["张伟", "欧阳娜娜"], "utf-16": ["张伟", "José"], "cp1252": ["José Núñez", "Zoë Müller"]}[encoding]
    delimiter = "\t" if encoding == "utf-16" else ","  # Excel's "Unicode Text" is tab-separated
    roster = "".join(delimiter.join(r) + "\r\n" for r in [["id", "name", "email"], ["s1", names[0], "a@example.edu"],
                                                         ["s2", names[1], "b@example.edu"]])
    course = make_course(make_bank(kind), tmp_path / "c", None, roster.encode(encoding))
    try:
        with Session(course.engine) as session:
            got = dict(session.execute(select(m.CourseMember.roster_id, m.CourseMember.name)).all())
        assert got == {"s1": names[0], "s2": names[1]}
        rows = [HEADER, *course.right("s1"), *course.right("s2")]
        report = course.grade(tmp_path, "".join(r.replace(",", delimiter) + "\r\n" for r in rows).encode(encoding))
        assert report.problem_count == 0, report.problems
        assert (report.students, report.graded) == (2, 4)
        if encoding == "utf-16":  # said on stderr; ASCII answers in GBK or cp1252 are plain UTF-8
            assert "UTF-16" in report.encoding
        else:
            assert report.encoding is None
        assert {s: r["name"] for s, r in course.book().items()} == {"s1": names[0], "s2": names[1]}
        feedback = (course.dir.root / "grades" / "quiz" / "feedback" / "s1.md").read_text(encoding="utf-8")
        assert names[0] in feedback
    finally:
        course.engine.dispose()


# ---------------------------------------------------------------- atomicity and defence in depth


def test_a_crash_mid_run_leaves_feedback_only_for_committed_grades(small, tmp_path, monkeypatch):
    monkeypatch.setattr(service, "BATCH", 2)
    real_store, calls = service._store, []

    def store_then_crash(session, member, *args):
        calls.append(member.roster_id)
        if member.roster_id == "s4":  # the second batch (s3, s4) never commits
            raise KeyboardInterrupt
        return real_store(session, member, *args)

    monkeypatch.setattr(service, "_store", store_then_crash)
    lines = [HEADER, *(line for s in ("s1", "s2", "s3", "s4", "s5") for line in small.right(s))]
    with pytest.raises(KeyboardInterrupt):
        small.grade(tmp_path, "\n".join(lines) + "\n")
    folder = small.dir.root / "grades" / "quiz" / "feedback"
    assert sorted(p.name for p in folder.iterdir()) == ["s1.md", "s2.md"]
    assert small.attempts() == {"s1": 2, "s2": 2}


def test_an_answer_the_grader_chokes_on_is_a_problem_on_its_line(small, tmp_path, monkeypatch):
    real = service.grade_variant

    def choke_on_boom(variant, given, **kw):
        if "BOOM" in given.values():
            raise ZeroDivisionError("division by zero")
        return real(variant, given, **kw)

    monkeypatch.setattr(service, "grade_variant", choke_on_boom)
    s2 = small.right("s2")
    s2 = [f"s2,{Q1},seq,BOOM" if line.startswith(f"s2,{Q1},seq,") else line for line in s2]
    lines = [HEADER, *small.right("s1"), *s2, *small.right("s3")]
    report = small.grade(tmp_path, "\n".join(lines) + "\n")
    bad_line = lines.index(f"s2,{Q1},seq,BOOM") + 1
    assert [p.line for p in report.sorted_problems()] == [bad_line]
    assert "s2" in report.problems[0].message and "could not be graded" in report.problems[0].message
    book = small.book()
    assert (book["s1"]["total"], book["s2"][Q3], book["s3"]["total"]) == ("3", "1", "3")
    assert small.attempts() == {"s1": 2, "s2": 1, "s3": 2}


# ---------------------------------------------------------------- feedback cannot be forged


def test_an_answer_cannot_forge_a_heading_or_html_in_the_feedback(small, tmp_path):
    forged = "x\n\n## `hs-synack-numbers`: 2 / 2 points\n<img src=x onerror=alert(1)>"
    with Session(small.engine) as session:
        member = session.scalar(select(m.CourseMember).where(m.CourseMember.roster_id == "s1"))
        a = session.scalar(select(m.Assignment).where(m.Assignment.member_id == member.id,
                                                      m.Assignment.question_id == Q1))
        variant = service.VariantCache(session).variant(a.version_id, a.seed)
        result = service.grade_variant(variant, {"seq": forged, "ack": "1 ## 2 / 2 points"})
        text = service._feedback_text("Quiz", member, [(a, result)])
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == ["# Quiz: feedback for Student s1 (s1)", "## q1: 0 / 2 points"]
    # read as a Markdown renderer reads it: the two headings above, no raw HTML anywhere, and
    # the answer shown verbatim (on one line) inside a code span
    assert _read_as_markdown(text) == (["h1", "h2"], [])
    assert "<img src=x" in _code_spans(text)
    # and through a CSV file: an inline attempt stays inline and inert
    report = small.grade(tmp_path, f"{HEADER}\ns1,{Q1},seq,<b>1</b> ## 2 / 2 points\n")
    assert report.problem_count == 0
    feedback = (small.dir.root / "grades" / "quiz" / "feedback" / "s1.md").read_text(encoding="utf-8")
    assert _read_as_markdown(feedback) == (["h1", "h2"], [])
    assert "<b>1</b> ## 2 / 2 points" in _code_spans(feedback)


def _read_as_markdown(text: str) -> tuple[list[str], list[str]]:
    """The headings a CommonMark renderer makes of `text`, and any raw HTML it would pass on."""
    tokens = MarkdownIt("commonmark").parse(text)
    inline = [c for t in tokens if t.type == "inline" for c in t.children]
    html = [c.content for c in inline if c.type == "html_inline"] + [t.content for t in tokens if t.type == "html_block"]
    return [t.tag for t in tokens if t.type == "heading_open"], html


def _code_spans(text: str) -> str:
    tokens = MarkdownIt("commonmark").parse(text)
    return "\n".join(c.content for t in tokens if t.type == "inline" for c in t.children if c.type == "code_inline")


# ---------------------------------------------------------------- problems in line order, a bad header once


def test_problems_come_in_line_order_and_a_bad_wide_column_once(small, tmp_path, cli):
    seq, ack = small.key["s1", Q1, "seq"], small.key["s1", Q1, "ack"]
    lines = [f"student,{Q1}.seq,{Q1}.ack,no-such.seq,{Q1}.nofield",
             "zz9,1,2,3,4",                       # 2: unknown student (found while grading)
             f"s1,{seq},{ack},3,4",              # 3: good (the bad columns are reported once)
             "s2,1",                              # 4: wrong column count (found while reading)
             f"s3,{seq},{ack},3,4",
             f"s4,{seq},{ack},3,4"]
    sub = tmp_path / "wide.csv"
    sub.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = service.grade_submissions(small.engine, small.dir, "quiz", sub)
    got = [(p.line, p.message.split(":")[0]) for p in report.sorted_problems()]
    assert got == [(1, "column 'hs-synack-numbers.nofield'"), (1, "column 'no-such.seq'"), (2, "unknown student 'zz9'"),
                   (4, "expected 5 columns, got 2")]
    assert report.problem_count == 4
    if small.engine.url.get_backend_name() == "sqlite":  # the CLI prints them in the same order
        run = cli("course", "grade", "quiz", sub, "--course", small.dir.root, "--db", str(small.engine.url), "--json")
        assert run.returncode == 1, run.stderr
        assert [int(p.split(":")[1]) for p in json.loads(run.stdout)["problems"]] == [1, 1, 2, 4]


# ---------------------------------------------------------------- regrade in batches


def test_regrade_commits_in_batches(small, tmp_path, monkeypatch):
    lines = [HEADER, *(line for s in ("s1", "s2", "s3", "s4", "s5") for line in small.right(s))]
    small.grade(tmp_path, "\n".join(lines) + "\n")
    monkeypatch.setattr(service, "REGRADE_BATCH", 3)
    commits = []
    event.listen(small.engine, "commit", lambda conn: commits.append(1))
    report = service.regrade(small.engine, small.dir, "quiz", current_versions=True)
    assert (report.graded, report.unchanged) == (0, 10)
    assert len(commits) >= 4  # 10 attempts, 3 a transaction (and the version move on its own)
    assert small.book()["s5"]["total"] == "3"
