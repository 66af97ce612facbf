"""Reading a submissions CSV as a stream of answers, in either of two forms.

long:  student,question,field,answer          one answer per row
wide:  student,QID.field,QID.field,...        one row per student

The form is detected from the header (or forced with --form). A broken row becomes a
Problem with its line number; every other row is still read. Each physical line is one
row (see csvread: an unterminated quote costs only its own line).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..problems import Problem
from .csvread import Row, csv_rows

LONG_COLUMNS = ("student", "question", "field", "answer")
STUDENT_HEADERS = ("student", "id", "student_id", "roster_id")


@dataclass(frozen=True)
class Answer:
    line: int
    student: str
    question: str
    field: str
    text: str
    column: str | None = None  # wide form: the header cell this answer came from


def detect_form(header: list[str]) -> str | None:
    names = [h.strip().lower() for h in header]
    if all(c in names for c in LONG_COLUMNS):
        return "long"
    if names and names[0] in STUDENT_HEADERS and all("." in h for h in header[1:]) and len(header) > 1:
        return "wide"
    return None


def read_submissions(lines: Iterable[str], path: str, form: str = "auto") -> Iterator[Answer | Problem]:
    reader = csv_rows(lines, path)
    first = next(reader, None)
    if first is None:
        yield Problem(path, 1, "empty file: expected a header line")
        return
    if isinstance(first, Problem):  # an unreadable header: nothing below it can be placed
        yield Problem(path, 1, f"the header line cannot be read: {first.message}")
        return
    header = first.cells
    detected = detect_form(header)
    if form == "auto":
        if detected is None:
            yield Problem(path, 1, "cannot tell the form from the header: expected long (student,question,field,answer) "
                                   "or wide (student,QID.field,...); or pass --form")
            return
        form = detected
    if form == "long":
        yield from _long(reader, header, path)
    elif form == "wide":
        yield from _wide(reader, header, path)
    else:
        yield Problem(path, 1, f"unknown form {form!r}: expected long, wide or auto")


def _long(reader: Iterator[Row | Problem], header: list[str], path: str) -> Iterator[Answer | Problem]:
    names = [h.strip().lower() for h in header]
    missing = [c for c in LONG_COLUMNS if c not in names]
    if missing:
        yield Problem(path, 1, f"the long form needs the columns {', '.join(LONG_COLUMNS)}; missing {', '.join(missing)}")
        return
    col = {c: names.index(c) for c in LONG_COLUMNS}
    for item in reader:
        if isinstance(item, Problem):
            yield item
            continue
        line, row = item.line, item.cells
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield Problem(path, line, f"expected {len(header)} columns ({','.join(header)}), got {len(row)}")
            continue
        student, question, field, answer = (row[col[c]] for c in LONG_COLUMNS)
        if not student.strip() or not question.strip() or not field.strip():
            yield Problem(path, line, "student, question and field must not be empty")
            continue
        yield Answer(line, student.strip(), question.strip(), field.strip(), answer)


def _wide(reader: Iterator[Row | Problem], header: list[str], path: str) -> Iterator[Answer | Problem]:
    columns = []
    for i, name in enumerate(header[1:], 1):
        question, dot, field = name.strip().rpartition(".")
        if not dot or not question or not field:
            yield Problem(path, 1, f"column {i + 1} ({name!r}) is not QID.field")
            return
        columns.append((i, question, field))
    for item in reader:
        if isinstance(item, Problem):
            yield item
            continue
        line, row = item.line, item.cells
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield Problem(path, line, f"expected {len(header)} columns, got {len(row)}")
            continue
        student = row[0].strip()
        if not student:
            yield Problem(path, line, "the student column is empty")
            continue
        for i, question, field in columns:
            yield Answer(line, student, question, field, row[i], header[i].strip())
