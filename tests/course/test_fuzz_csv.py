"""Fuzzing the course CSV readers with Hypothesis (no database: the readers are pure, so this
runs fast in CI). Whatever the lines hold (stray and unterminated quotes, other delimiters,
NULs, cells past csv's 131,072-character limit, random bytes in several encodings):
the readers never raise, every good row comes out with its own line and its own values,
and every problem names a line of the file."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tcptutor.course.csvread import MAX_LINE, open_lines
from tcptutor.course.files import read_roster
from tcptutor.course.submissions import Answer, read_submissions
from tcptutor.problems import Problem

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# what a good row's cells are made of: anything but line breaks (a cell is on one line)
cell_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=12)
token = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,8}", fullmatch=True)
junk_char = st.sampled_from(['"', '"', ",", ";", "\t", "\x00", "'", " ", "a", "1", "\ufeff", "\x0c", "é", "张"])
junk_line = st.one_of(
    st.text(junk_char, max_size=30),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=30),
    st.sampled_from([MAX_LINE + 1, 140_000]).map(lambda n: "s1,q,f," + "x" * n),  # over the limits
)


def csv_line(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


good_row = st.tuples(token, token, token, cell_text).map(list)
line = st.one_of(good_row.map(lambda c: ("good", c)), junk_line.map(lambda j: ("junk", j)))
ending = st.sampled_from(["\n", "\r\n", "\r"])


def assemble(rows, endings) -> tuple[list[str], dict[int, list[str]]]:
    """The file's physical lines (header first) and the good rows by their line number."""
    lines, good = ["student,question,field,answer\n"], {}
    for i, (kind, value) in enumerate(rows):
        text = csv_line(value) if kind == "good" else value
        if kind == "good":
            good[len(lines) + 1] = value
        lines.append(text + endings[i % len(endings)])
    return lines, good


@FUZZ
@given(st.lists(line, max_size=25), st.lists(ending, min_size=1, max_size=3))
def test_long_form_reader_never_raises_and_keeps_every_good_row(rows, endings):
    lines, good = assemble(rows, endings)
    items = list(read_submissions(lines, "sub.csv"))
    seen: dict[int, Answer | Problem] = {}
    for item in items:
        assert isinstance(item, (Answer, Problem))
        assert 2 <= item.line <= len(lines), item
        assert item.line not in seen, (item, seen[item.line])  # one line, at most one row or one problem
        seen[item.line] = item
    for number, cells in good.items():
        got = seen.get(number)
        student, question, field, answer = cells
        assert isinstance(got, Answer), (number, cells, got)
        assert (got.student, got.question, got.field, got.text) == (student, question, field, answer)


@FUZZ
@given(st.lists(st.one_of(st.tuples(token, cell_text).map(lambda c: ("good", c)), junk_line.map(lambda j: ("junk", j))),
                max_size=25))
def test_wide_form_reader_never_raises_and_keeps_every_good_row(rows):
    lines, good = ["id,q.a,q.b\n"], {}
    for kind, value in rows:
        if kind == "good":
            good[len(lines) + 1] = value
            lines.append(csv_line([value[0], value[1], "b"]) + "\n")
        else:
            lines.append(value + "\n")
    items = list(read_submissions(lines, "sub.csv"))
    assert all(2 <= i.line <= len(lines) for i in items)
    for number, (student, a) in good.items():
        got = [i for i in items if i.line == number]
        assert [(type(i), i.student, i.field, i.text) for i in got] == [(Answer, student, "a", a),
                                                                       (Answer, student, "b", "b")]


# a valid id, as the roster rule has it: no ".." (ids name files)
roster_id = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,10}", fullmatch=True).filter(lambda rid: ".." not in rid)
name = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters='"'), min_size=1,
               max_size=10).filter(lambda s: s.strip() == s and s)


@FUZZ
@given(st.lists(st.one_of(st.tuples(roster_id, name).map(lambda c: ("good", c)), junk_line.map(lambda j: ("junk", j))),
                max_size=25))
def test_roster_reader_never_raises_and_keeps_every_good_student(rows):
    lines, good = ["id,name,email\n"], {}
    for kind, value in rows:
        if kind == "good":
            good[len(lines) + 1] = value
            lines.append(csv_line([value[0], value[1], ""]) + "\n")
        else:
            lines.append(value + "\n")
    members, problems = read_roster(lines, "roster.csv")
    assert all(2 <= p.line <= len(lines) for p in problems)
    by_line = {m.line: m for m in members}
    problem_lines = {p.line for p in problems}
    for number, (rid, who) in good.items():
        if number in by_line:
            assert (by_line[number].roster_id, by_line[number].name) == (rid, who)
        else:  # only a duplicate id may keep a good row out, and it is reported on its line
            assert number in problem_lines and any(m.roster_id == rid for m in members)


ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "gbk", "cp1252", "latin-1"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.tuples(token, token, token, cell_text).map(lambda c: ("good", list(c))),
                          junk_line.map(lambda j: ("junk", j)),
                          st.binary(max_size=40).map(lambda b: ("bytes", b))), max_size=12),
       st.sampled_from(ENCODINGS))
def test_files_in_any_encoding_or_random_bytes_never_raise(tmp_path_factory, rows, encoding):
    """Encoded text mixed with raw random bytes: reading never raises; every problem names a
    line of the file; with no raw bytes, an ASCII good row always comes out right."""
    data = bytearray("student,question,field,answer\n".encode(encoding))
    good, number = {}, 1
    for kind, value in rows:
        number += 1
        if kind == "bytes":
            data += value.replace(b"\n", b"").replace(b"\r", b"") + b"\n"
            continue
        text = csv_line(value) if kind == "good" else value
        try:
            data += (text + "\n").encode({"utf-16": "utf-16-le", "utf-8-sig": "utf-8"}.get(encoding, encoding))
        except UnicodeEncodeError:
            data += (text.encode("ascii", "replace") + b"\n")
        if kind == "good" and all(c.isascii() and c.isprintable() for c in "".join(value)):
            good[number] = value
    path = tmp_path_factory.mktemp("fuzz") / "sub.csv"
    path.write_bytes(bytes(data))
    with open_lines(path) as (lines, _):
        items = list(read_submissions(lines, str(path)))
    # a line of the file: UTF-16 (or random bytes read as UTF-16) may hold line breaks of its own
    last = number if encoding in ("utf-8", "utf-8-sig", "gbk", "cp1252", "latin-1") and \
        not any(k == "bytes" for k, _ in rows) else len(data)
    assert all(isinstance(i, (Answer, Problem)) and 1 <= i.line <= last for i in items)
    if encoding in ("utf-8", "utf-8-sig", "gbk", "cp1252", "latin-1") and not any(k == "bytes" for k, _ in rows):
        answers = {i.line: i for i in items if isinstance(i, Answer)}
        for line_number, (student, question, field, answer) in good.items():
            got = answers.get(line_number)
            assert got is not None and (got.student, got.question, got.field, got.text) == \
                (student, question, field, answer), (line_number, got)
