"""Reading rosters and submissions written by any spreadsheet (tcptutor.course.csvread):
one physical line is one row, so an unterminated quote or a huge cell costs only its own
line; the encoding is found from the bytes (BOM, UTF-16, UTF-8, GBK, Windows-1252)."""

from __future__ import annotations

import io

import pytest

from tcptutor.course.csvread import MAX_LINE, csv_rows, detect_encoding, open_lines
from tcptutor.course.files import read_roster
from tcptutor.course.submissions import Answer, read_submissions
from tcptutor.problems import Problem


def lines(text: str) -> list[str]:
    return io.StringIO(text, newline="").readlines()


def submissions(text: str):
    items = list(read_submissions(lines(text), "sub.csv"))
    return [i for i in items if isinstance(i, Answer)], [i for i in items if isinstance(i, Problem)]


# ---------------------------------------------------------------- one physical line, one row


def test_an_unterminated_quote_does_not_swallow_the_next_students_row():
    answers, problems = submissions('student,question,field,answer\n'
                                    's1,q,seq,"100\n'
                                    's2,q,seq,200\n')
    assert [(p.line, "unterminated quote" in p.message) for p in problems] == [(2, True)]
    assert "not supported" in problems[0].message  # says why: cells over several lines are not read
    assert [(a.line, a.student, a.text) for a in answers] == [(3, "s2", "200")]


def test_an_unterminated_quote_in_the_roster_loses_no_other_student():
    members, problems = read_roster(lines('id,name,email\n'
                                          's1,"Ada,ada@example.edu\n'
                                          's2,Bob,bob@example.edu\n'
                                          's3,"Lovelace, Ada",ada@example.edu\n'), "roster.csv")
    assert [(p.line, "unterminated quote" in p.message) for p in problems] == [(2, True)]
    assert [(m.roster_id, m.name, m.line) for m in members] == [("s2", "Bob", 3), ("s3", "Lovelace, Ada", 4)]


def test_quotes_that_close_on_their_line_are_read_as_csv():
    answers, problems = submissions('student,question,field,answer\n'
                                    's1,q,seq,"1,2"\n'
                                    's2,q,seq,"say ""hi"""\n'
                                    's3,q,seq,5"\n')  # a quote inside an unquoted cell is a character
    assert problems == []
    assert [a.text for a in answers] == ["1,2", 'say "hi"', '5"']


def test_an_unreadable_header_is_one_problem_on_line_1():
    answers, problems = submissions('student,"question,field,answer\ns1,q,seq,1\n')
    assert answers == [] and [p.line for p in problems] == [1] and "header" in problems[0].message
    members, problems = read_roster(lines('id,"name,email\ns1,A,a@example.edu\n'), "roster.csv")
    assert members == [] and [p.line for p in problems] == [1]


def test_a_cell_over_the_csv_field_limit_is_reported_by_line_and_the_rest_read():
    """csv's own limit is 131,072 characters (csv.Error, naming no row)."""
    huge = "9" * 200_000
    answers, problems = submissions(f"student,question,field,answer\ns1,q,seq,{huge}\ns2,q,seq,2\n")
    assert [(p.line, "longer than 100,000 characters" in p.message) for p in problems] == [(2, True)]
    assert [(a.line, a.student) for a in answers] == [(3, "s2")]
    members, problems = read_roster(lines(f"id,name,email\ns1,{huge},a@example.edu\ns2,B,b@example.edu\n"), "r.csv")
    assert [p.line for p in problems] == [2] and [m.roster_id for m in members] == ["s2"]


def test_line_numbers_count_physical_lines_whatever_the_line_ending():
    rows = list(csv_rows(lines("a,b\r\nc,d\re,f\ng,h"), "x.csv"))
    assert [(r.line, r.cells) for r in rows] == [(1, ["a", "b"]), (2, ["c", "d"]), (3, ["e", "f"]), (4, ["g", "h"])]


@pytest.mark.parametrize("header, delimiter", [("student\tq.a\tq.b", "\t"), ("student;q.a;q.b", ";"),
                                               ("student,q.a,q.b", ",")])
def test_the_delimiter_is_read_off_the_header(header, delimiter):
    answers, problems = submissions(f"{header}\n" + delimiter.join(["s1", "1,5", "2"]) + "\n"
                                    if delimiter != "," else f"{header}\ns1,\"1,5\",2\n")
    assert problems == []
    assert [(a.student, a.field, a.text) for a in answers] == [("s1", "a", "1,5"), ("s1", "b", "2")]


# ---------------------------------------------------------------- files: encodings and size


ROSTER = "id,name,email\ns001,{0},a@example.edu\ns002,Grace Hopper,g@example.edu\n"


def roster_file(tmp_path, data: bytes):
    path = tmp_path / "roster.csv"
    path.write_bytes(data)
    with open_lines(path) as (file_lines, encoding):
        members, problems = read_roster(file_lines, str(path))
    return encoding, members, problems


@pytest.mark.parametrize("name, data, encoding", [
    ("张伟", ROSTER.format("张伟").encode("gbk"), "gb18030"),  # Excel "CSV" on Chinese Windows
    ("欧阳娜娜", ROSTER.format("欧阳娜娜").encode("gb18030"), "gb18030"),
    ("José Müller", ROSTER.format("José Müller").encode("cp1252"), "cp1252"),  # Western Windows
    ("Zoë O’Brien", ROSTER.format("Zoë O’Brien").encode("cp1252"), "cp1252"),
    ("José", ROSTER.format("José").encode("utf-8-sig"), "utf-8-sig"),  # Excel "CSV UTF-8"
    ("José", ROSTER.format("José").encode("utf-8"), "utf-8"),
    ("张伟", ROSTER.format("张伟").encode("utf-16"), "utf-16"),  # with its BOM
    ("张伟", ROSTER.format("张伟").encode("utf-16-le"), "utf-16-le"),
    ("张伟", ROSTER.format("张伟").encode("utf-16-be"), "utf-16-be"),
    ("\x81ngel", ROSTER.format("\x81ngel").encode("latin-1"), "latin-1"),  # 0x81: not a cp1252 byte
])
def test_rosters_in_the_encodings_spreadsheets_write(tmp_path, name, data, encoding):
    found, members, problems = roster_file(tmp_path, data)
    assert found == encoding
    assert problems == []
    assert [(m.roster_id, m.name, m.line) for m in members] == [("s001", name, 2), ("s002", "Grace Hopper", 3)]


def test_an_excel_unicode_text_file_is_utf16_and_tab_separated(tmp_path):
    text = "id\tname\temail\r\ns001\t张伟\tzw@example.edu\r\ns002\tJosé\tj@example.edu\r\n"
    found, members, problems = roster_file(tmp_path, text.encode("utf-16"))
    assert (found, problems) == ("utf-16", [])
    assert [(m.roster_id, m.name, m.email) for m in members] == [("s001", "张伟", "zw@example.edu"),
                                                                 ("s002", "José", "j@example.edu")]


def test_latin1_names_are_not_taken_for_chinese(tmp_path):
    """Müller's "ül" is a valid GBK byte pair; it must still read as Windows-1252."""
    path = tmp_path / "r.csv"
    path.write_bytes("id,name\ns1,Müller\ns2,Gödel\ns3,Ñuñez\n".encode("latin-1"))
    assert detect_encoding(path) == "cp1252"


def test_a_huge_line_in_a_file_is_skipped_by_line_with_bounded_memory(tmp_path):
    path = tmp_path / "sub.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("student,question,field,answer\r\n")
        f.write("s1,q,seq," + "7" * (5 * MAX_LINE) + "\r\n")
        f.write("s2,q,seq," + "8" * (MAX_LINE - 20) + "\r\n")  # long but allowed
        f.write("s3,q,seq,3\r\n")
    with open_lines(path) as (file_lines, _):
        got = list(file_lines)
        assert max(len(x) for x in got) <= MAX_LINE + 2
    items = list(read_submissions(got, str(path)))
    assert [(type(i).__name__, i.line) for i in items] == [("Problem", 2), ("Answer", 3), ("Answer", 4)]
    assert items[2].text == "3"
