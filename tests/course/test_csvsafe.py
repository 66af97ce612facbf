"""CSV cells a spreadsheet would run as a formula (= + - @, tab, CR first) are neutralised with a
leading apostrophe in every CSV tcptutor writes (tcptutor.course.csvsafe)."""

from __future__ import annotations

import csv
import io

import pytest

from tcptutor.course.csvsafe import FORMULA_START, safe_cell, safe_row


@pytest.mark.parametrize("cell", [
    "=1+1", "=HYPERLINK(\"http://evil.example\",\"click\")", "+1", "-1", "-2+3", "@SUM(A1:A9)",
    "=cmd|' /C calc'!A0", "\t=1", "\r=1", "=", "+", "-", "@",
])
def test_formula_starts_are_neutralised(cell):
    out = safe_cell(cell)
    assert out == "'" + cell
    assert not out.startswith(tuple("=+-@\t\r"))


@pytest.mark.parametrize("cell", ["", "s001", "Ada Lovelace", "100.0", "1e5", "a=b", "x+y", "ab@example.edu",
                                  " =1", "'=already", "TIME-WAIT", "ESTABLISHED"])
def test_other_cells_are_unchanged(cell):
    assert safe_cell(cell) == cell


def test_non_strings():
    assert safe_cell(None) == ""
    assert safe_cell(3) == "3"
    assert safe_cell(2.5) == "2.5"
    assert safe_cell(-3) == "'-3"  # a negative number is text in the file, neutralised like any other
    assert safe_cell(True) == "True"


def test_the_four_characters_of_the_issue_and_tab_and_cr():
    assert set("=+-@") <= {c[0] for c in FORMULA_START}
    assert {"\t", "\r"} <= set(FORMULA_START)


def test_safe_row_round_trips_through_the_csv_module():
    row = ["s001", "=1+2", "Hopper, Grace", "@x", 7, None, "-5"]
    buf = io.StringIO()
    csv.writer(buf).writerow(safe_row(row))
    back = next(csv.reader(io.StringIO(buf.getvalue())))
    assert back == ["s001", "'=1+2", "Hopper, Grace", "'@x", "7", "", "'-5"]
    assert all(not c.startswith(("=", "+", "-", "@")) for c in back)
