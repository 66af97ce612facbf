"""Was this submissions file graded before, against grades that have not changed since?

`course grade` asks first: an instructor often grades the same file twice (to check, or
from a script), and the answer is then the last run's report. The question is asked in
plain SQL (bank.reads.rows), so on an up-to-date SQLite bank the command answers it through
sqlite3 alone, before it imports SQLAlchemy and the grader (most of a repeated run's time);
grading asks it through its SQLAlchemy session, on any bank: one implementation either way.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..bank.reads import _json, rows
from ..library import code_digest
from ..problems import Problem
from .files import CourseDir, CourseError, checked_name
from .report import GradeReport


@dataclass(frozen=True)
class SetRow:
    """What grading reads of an assessment set (assessment_sets)."""

    id: int
    title: str
    carry_forward: bool
    spec: dict


def file_digest(path: Path, shown: str, form: str) -> str:
    """SHA-256 of what decides a grading run's result besides the bank: the file's bytes,
    the name its problems are reported under, and the form asked for."""
    h = hashlib.sha256(f"{shown}\0{form}\0".encode())
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


@cache
def code_version() -> str:
    """A digest of the code a grade depends on: the simulator (tcptutor/tcp) and
    the question, grading and course packages. Upgrading tcptutor makes old runs stale."""
    return code_digest("tcp", "questions", "grading", "course")


def set_row(db, course: CourseDir, name: str) -> SetRow:
    checked_name("set name", name)
    found = rows(db, "SELECT id, title, carry_forward, spec FROM assessment_sets "
                     "WHERE course_id = :course AND name = :name", {"course": course.id, "name": name})
    if not found:
        raise CourseError(f"set {name!r} has not been assigned yet: run `tcptutor course assign {name}` first")
    sid, title, carry_forward, spec = found[0]
    return SetRow(sid, title, bool(carry_forward), _json(spec) or {})


def _number(value):
    """A sum or a maximum as the same Python number from either driver (psycopg gives a
    Decimal for some sums; SQLite an int or a float)."""
    if value is None or isinstance(value, (int, float)):
        return value
    return int(value) if value == int(value) else float(value)


def grades_state(db, course: CourseDir, s: SetRow) -> str:
    """A digest of everything a set's grading reads or writes besides the submissions: the
    set, its assignments, its attempts (a replaced attempt gets a new id), the course's
    members and the code. Equal digests: grading the same file again would change nothing."""
    h = hashlib.sha256(code_version().encode())
    h.update(repr((s.id, s.title, s.carry_forward, sorted(s.spec.items()))).encode())
    (attempts,) = rows(db, "SELECT count(t.id), max(t.id), sum(t.score) FROM attempts t "
                           "JOIN assignments a ON a.id = t.assignment_id WHERE a.set_id = :set", {"set": s.id})
    (assignments,) = rows(db, "SELECT count(id), max(id), sum(version_id), sum(points) FROM assignments "
                              "WHERE set_id = :set", {"set": s.id})
    h.update(repr(tuple(map(_number, attempts + assignments))).encode())
    for member_id, roster_id, name, active in rows(
            db, "SELECT id, roster_id, name, active FROM course_members WHERE course_id = :course ORDER BY id",
            {"course": course.id}):
        h.update(repr((member_id, roster_id, name, bool(active))).encode())
    return h.hexdigest()


def graded_before(db, course: CourseDir, set_name: str, digest: str) -> GradeReport | None:
    """The report of the last run, when it graded this very file (`digest`: file_digest) and
    nothing changed since (grades_state), and its gradebook and feedback are still there;
    else None."""
    s = set_row(db, course, set_name)
    found = rows(db, "SELECT digest, state, report FROM grading_runs WHERE set_id = :set", {"set": s.id})
    if not found or found[0][0] != digest:
        return None
    gradebook = course.root / "grades" / set_name / "gradebook.csv"
    feedback = course.root / "grades" / set_name / "feedback"
    if not gradebook.is_file() or not feedback.is_dir() or found[0][1] != grades_state(db, course, s):
        return None
    saved = _json(found[0][2])
    report = GradeReport(rows=saved["rows"], students=saved["students"], graded=0, unchanged=saved["unchanged"],
                         problem_count=saved["problem_count"], encoding=saved["encoding"],
                         gradebook=gradebook, feedback=feedback)
    report.problems = [Problem(*p) for p in saved["problems"]]
    return report


def saved_report(report: GradeReport) -> dict:
    """What a second run of the same file reports (grading_runs.report): every attempt unchanged."""
    return {"rows": report.rows, "students": report.students, "unchanged": report.graded + report.unchanged,
            "problem_count": report.problem_count, "encoding": report.encoding,
            "problems": [[p.path, p.line, p.message] for p in report.sorted_problems()]}
