"""Reading an instructor's CSV files (rosters, submissions) so that no file can break a run.

Python's csv module joins physical lines while a quote is open, so one stray `"` swallows
the next student's row, and it raises csv.Error on a cell over 131,072 characters. Here
every physical line is parsed on its own: a line whose quote does not close, or that is
too long, is a Problem naming that line, and the next line is read as if nothing happened.
Cells spanning several lines (quoted newlines) are not supported: a gradebook does not
need them.

Files come from spreadsheets in many encodings; `open_lines` finds the common ones:
a BOM (UTF-8, UTF-16 LE/BE); UTF-16 without a BOM (NUL bytes in every other position);
strict UTF-8; GBK/GB18030 when the text decodes and reads as Chinese; else Windows-1252
(Excel's "CSV" on Western Windows, e.g. "José"), and Latin-1 as the last resort, which
decodes any byte. Everything is streamed: memory does not grow with the file.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..problems import Problem

MAX_LINE = 100_000  # characters in one physical line; below csv's 131,072 field limit
CHUNK = 1 << 20
UNTERMINATED = ("unterminated quote: a quoted cell must end on the line it starts on (cells spanning "
                "several lines are not supported); this line is skipped, the next one is read on its own")
TOO_LONG = f"line longer than {MAX_LINE:,} characters: skipped"

ENCODING_NOTES = {
    "utf-16": "UTF-16 (Excel \"Unicode Text\")",
    "utf-16-le": "UTF-16 LE without a byte-order mark",
    "utf-16-be": "UTF-16 BE without a byte-order mark",
    "gb18030": "GBK/GB18030 (Chinese Windows)",
    "cp1252": "Windows-1252 (not UTF-8; save as \"CSV UTF-8\" in Excel to be sure of every name)",
    "latin-1": "Latin-1 (not UTF-8; save as \"CSV UTF-8\" in Excel to be sure of every name)",
}


@dataclass(frozen=True)
class Row:
    line: int  # the physical line number, 1-based
    cells: list[str]


def sniff_delimiter(header: str) -> str:
    """The header's delimiter: comma; else tab (Excel's "Unicode Text" is tab-separated);
    else semicolon (Excel's CSV where the decimal mark is a comma)."""
    for delimiter in (",", "\t", ";"):
        if delimiter in header:
            return delimiter
    return ","


def _strip_newline(raw: str) -> str:
    if raw.endswith("\r\n"):
        return raw[:-2]
    if raw.endswith(("\n", "\r")):
        return raw[:-1]
    return raw


def parse_line(text: str, delimiter: str) -> list[str] | None:
    """The cells of one physical line, or None when a quote opened on it does not close."""
    reader = csv.reader([text, ""], delimiter=delimiter)
    cells = next(reader)
    return None if reader.line_num > 1 else cells


def csv_rows(lines: Iterable[str], path: str) -> Iterator[Row | Problem]:
    """One Row per physical line (blank lines included, as empty cells), or a Problem for
    a line that cannot be a row. The delimiter is sniffed from the first line. Never raises
    csv.Error."""
    delimiter = None
    for number, raw in enumerate(lines, 1):
        text = _strip_newline(raw)
        if number == 1:
            text = text.removeprefix("\ufeff")
        if len(text) > MAX_LINE:
            yield Problem(path, number, TOO_LONG)
            continue
        if delimiter is None:
            delimiter = sniff_delimiter(text)
        try:
            cells = parse_line(text, delimiter)
        except csv.Error as err:  # defence in depth: nothing in one line may stop the file
            yield Problem(path, number, f"cannot read this line as CSV: {err}")
            continue
        if cells is None:
            yield Problem(path, number, UNTERMINATED)
            continue
        yield Row(number, cells)


# ---------------------------------------------------------------- files and encodings


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _reads_as_chinese(path: Path) -> bool:
    """GB18030 decodes much Latin-1 text too ("Müller" has a valid byte pair); Chinese names
    are CJK ideographs from the GB2312 set, whose two bytes are both >= 0xA1."""
    decoder = codecs.getincrementaldecoder("gb18030")("strict")
    common = other = 0
    try:
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                for ch in decoder.decode(chunk):
                    if ch < "\x80":
                        continue
                    try:
                        ch.encode("gb2312")
                        common += "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef"
                    except UnicodeEncodeError:
                        other += 1
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return common > 0 and common >= 4 * other


def detect_encoding(path: Path) -> str:
    """The codec to read `path` with (see the module docstring for the order)."""
    with path.open("rb") as f:
        head = f.read(4096)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(head) >= 2:  # the header is ASCII: in UTF-16 its first character has a NUL byte
        even, odd = head[0::2], head[1::2]
        if head[1] == 0 != head[0] and odd.count(0) > len(odd) // 3 and even.count(0) == 0:
            return "utf-16-le"
        if head[0] == 0 != head[1] and even.count(0) > len(even) // 3 and odd.count(0) == 0:
            return "utf-16-be"
    if _decodes(path, "utf-8"):
        return "utf-8"
    if _reads_as_chinese(path):
        return "gb18030"
    if _decodes(path, "cp1252"):
        return "cp1252"
    return "latin-1"


def _bounded_lines(f) -> Iterator[str]:
    """Physical lines of a text file opened with newline="", each at most MAX_LINE + 2
    characters: the rest of a longer line is read and dropped, so memory stays bounded."""
    limit = MAX_LINE + 2
    pending = ""
    while line := pending or f.readline(limit):
        pending = ""
        yield line
        if len(line) < limit or line.endswith("\n"):
            continue
        ended_cr = line.endswith("\r")  # the limit may have cut a "\r\n" in two
        while rest := f.readline(limit):
            if ended_cr:
                if not rest.startswith("\n"):
                    pending = rest  # that "\r" ended the line: this is the next one
                break
            if rest.endswith("\n") or len(rest) < limit:
                break
            ended_cr = rest.endswith("\r")


@contextmanager
def open_lines(path: Path):
    """(physical lines, encoding) of a CSV file in whatever encoding a spreadsheet saved.
    Raises OSError as open() does."""
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, errors="replace", newline="") as f:
        yield _bounded_lines(f), encoding
