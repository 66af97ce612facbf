"""Reading an instructor's course files: course.toml (open_course), the roster CSV and the
assessment-set TOML, and the safe names and private folders of what tcptutor writes there.

Bad rows are reported with their line numbers and the good ones are kept, so one typo
in a roster of 300 never blocks the other 299.
"""

from __future__ import annotations

import os
import math
import re
import tempfile
import tomllib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ..errors import InputError, TcptutorError
from ..i18n import LANGUAGES, language_of
from ..problems import Problem
from ..tcp.limits import too_deep_message, toml_too_deep
from .csvread import csv_rows

# Names that become file names (sets, students) or sit beside them (questions): no `/`, no
# `..`, no leading dot or dash, bounded, so no name can reach outside the course folder.
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")

ROSTER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class BadName(TcptutorError):
    """A set, student or question name that is not safe to build a path from: exit code 2."""

    exit_code = 2


def checked_name(what: str, name: str, pattern: re.Pattern = SAFE_NAME) -> str:
    """`name` itself when it is safe as one path component; BadName otherwise."""
    if not (isinstance(name, str) and pattern.match(name) and ".." not in name):
        raise BadName(f"bad {what} {name!r}: letters, digits, . _ - (starting with a letter or digit, "
                      f"no '..', at most 100 characters)")
    return name


# ---------------------------------------------------------------- writing files

PRIVATE = 0o600  # answer keys, gradebooks, feedback, statistics, the secret: the instructor's only
PUBLIC = 0o644  # handouts: meant for students, readable by all, writable by the instructor only


@contextmanager
def atomic_file(path: Path, mode: int = PRIVATE, *, newline: str | None = None, durable: bool = False,
                exclusive: bool = False) -> Iterator[IO[str]]:
    """Write `path` through a temp file in the same folder, created with `mode` whatever the
    umask (mkstemp makes it 0600; fchmod sets the rest), then renamed over `path`: a reader
    never sees half a file, and a failed write leaves the old file in place. `durable`
    fsyncs the file (and its folder) around the rename (for the secret, whose loss changes
    every seed). `exclusive` never replaces an existing file: FileExistsError instead (two
    runs creating the same secret at once keep the first one's)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as f:
            yield f
            f.flush()
            if durable:
                os.fsync(f.fileno())
        if exclusive:
            os.link(tmp, path)
            os.unlink(tmp)
        else:
            os.replace(tmp, path)
        if durable:
            folder = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_private(path: Path, text: str, *, durable: bool = False) -> None:
    """Write an instructor-only file: 0600 whatever the umask, atomically."""
    with atomic_file(path, PRIVATE, durable=durable) as f:
        f.write(text)


def write_public(path: Path, text: str) -> None:
    """Write a student handout: 0644 whatever the umask (never group/world-writable)."""
    with atomic_file(path, PUBLIC) as f:
        f.write(text)


def private_dir(path: Path) -> Path:
    """A folder for instructor-only files: created 0700 (its parents as usual)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        pass
    return path


def toml_string(value: str) -> str:
    """`value` as a TOML basic string (TOML 1.0 "Basic strings"): quotes, backslashes and
    control characters escaped, everything else (Chinese included) kept as it is."""
    out = ['"']
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch in "\b\t\n\f\r":
            out.append({"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


@dataclass(frozen=True)
class Member:
    roster_id: str
    name: str
    email: str
    line: int
    lang: str | None = None  # the roster's optional lang column: the student's handouts and feedback


def read_roster(lines: Iterable[str], path: str) -> tuple[list[Member], list[Problem]]:
    """CSV with a header naming id, name and email (in any order, case-insensitive), and
    optionally lang (en, zh, zh_CN ...: the student's handouts and feedback; empty: the instructor's).
    Each physical line is one row: an unterminated quote costs only its own line."""
    reader = csv_rows(lines, path)
    problems: list[Problem] = []
    members: list[Member] = []
    first = next(reader, None)
    if first is None:
        return [], [Problem(path, 1, "empty roster: expected a header line id,name,email")]
    if isinstance(first, Problem):
        return [], [Problem(path, 1, f"the header line cannot be read: {first.message}")]
    header = [h.strip().lower() for h in first.cells]
    missing = [c for c in ("id", "name", "email") if c not in header]
    if missing:
        return [], [Problem(path, 1, f"the header must name the columns id, name, email; missing: {', '.join(missing)}")]
    col = {c: header.index(c) for c in ("id", "name", "email")}
    lang_col = header.index("lang") if "lang" in header else None
    seen: dict[str, int] = {}
    for item in reader:
        if isinstance(item, Problem):
            problems.append(item)
            continue
        line, row = item.line, item.cells
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            problems.append(Problem(path, line, f"expected {len(header)} columns ({', '.join(header)}), got {len(row)}"))
            continue
        rid, name, email = (row[col[c]].strip() for c in ("id", "name", "email"))
        lang_text = row[lang_col].strip() if lang_col is not None else ""
        lang = language_of(lang_text) if lang_text else None
        if not ROSTER_ID.match(rid) or ".." in rid:  # the id names the student's handout and feedback files
            problems.append(Problem(path, line, f"bad student id {rid!r}: letters, digits, . _ - @ (no '..'), at most 100"))
        elif not name:
            problems.append(Problem(path, line, f"student {rid}: the name is empty"))
        elif email and not EMAIL.match(email):
            problems.append(Problem(path, line, f"student {rid}: {email!r} is not an email address"))
        elif rid in seen:
            problems.append(Problem(path, line, f"student id {rid} is already on line {seen[rid]}"))
        elif lang_text and lang is None:
            problems.append(Problem(path, line, f"student {rid}: unknown language {lang_text!r} in the lang column; "
                                                f"choose one of {', '.join(LANGUAGES)}, or leave it empty"))
        else:
            seen[rid] = line
            members.append(Member(rid, name, email, line, lang))
    return members, problems


@dataclass(frozen=True)
class Pick:
    """One line of a set: a named question, or `count` questions drawn from a topic."""

    points: float
    question: str | None = None
    topic: str | None = None
    count: int = 1
    kind: str | None = None


@dataclass(frozen=True)
class SetSpec:
    name: str
    title: str
    carry_forward: bool
    picks: tuple[Pick, ...] = field(default_factory=tuple)

    def to_json(self) -> dict:
        return {"title": self.title, "carry_forward": self.carry_forward,
                "picks": [p.__dict__ for p in self.picks]}


def read_set(text: str, path: str, name: str) -> tuple[SetSpec | None, list[Problem]]:
    """An assessment set:

        title = "Quiz 1"
        carry_forward = true          # partial credit for answers that follow from an earlier mistake
        [[pick]]
        question = "hs-synack-numbers"
        points = 2
        [[pick]]
        topic = "teardown"
        count = 3                     # drawn once for the whole class, the same for everyone
        kind = "predict"              # optional
        points = 1
    """
    deep_at = toml_too_deep(text)  # tomllib recurses once per level: a RecursionError otherwise
    if deep_at is not None:
        return None, [Problem(path, deep_at, too_deep_message())]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        m = re.search(r"\(at line (\d+)", str(err))
        return None, [Problem(path, int(m.group(1)) if m else 1, f"malformed TOML: {err}")]
    problems = []
    unknown = set(data) - {"title", "carry_forward", "pick"}
    for key in sorted(unknown):
        problems.append(Problem(path, _line_of(text, rf"{re.escape(key)}\s*="), f"unknown key {key!r}; expected title, carry_forward, [[pick]]"))
    pick_lines = [i for i, line in enumerate(text.splitlines(), 1) if re.match(r"\s*\[\[\s*pick\s*\]\]", line)]
    picks = []
    raw_picks = data.get("pick", [])
    if not isinstance(raw_picks, list):
        problems.append(Problem(path, _line_of(text, r"pick\s*="), "pick must be tables: write each as [[pick]]"))
        raw_picks = []
    for i, raw in enumerate(raw_picks, 1):
        where = f"pick {i}"
        at = pick_lines[i - 1] if i <= len(pick_lines) else 1
        if not isinstance(raw, dict):
            problems.append(Problem(path, at, f"{where}: expected a table"))
            continue
        bad = set(raw) - {"question", "topic", "count", "kind", "points"}
        if bad:
            problems.append(Problem(path, at, f"{where}: unknown key {sorted(bad)[0]!r}"))
        points = raw.get("points", 1)
        count = raw.get("count", 1)
        if ("question" in raw) == ("topic" in raw):
            problems.append(Problem(path, at, f"{where}: give either question = \"id\" or topic = \"id\""))
        elif "question" in raw and not _safe(raw["question"]):
            problems.append(Problem(path, at, f"{where}: bad question id {raw['question']!r}: letters, digits, . _ -"))
        elif "topic" in raw and not isinstance(raw["topic"], str):
            problems.append(Problem(path, at, f"{where}: topic must be a string"))
        elif isinstance(points, bool) or not isinstance(points, (int, float)) or not math.isfinite(points) or points <= 0:
            problems.append(Problem(path, at, f"{where}: points must be a positive number"))
        elif isinstance(count, bool) or not isinstance(count, int) or count < 1:
            problems.append(Problem(path, at, f"{where}: count must be a whole number >= 1"))
        else:
            picks.append(Pick(float(points), raw.get("question"), raw.get("topic"), count, raw.get("kind")))
    if not picks and not problems:
        problems.append(Problem(path, 1, "a set needs at least one [[pick]]"))
    carry = data.get("carry_forward", True)
    if not isinstance(carry, bool):
        problems.append(Problem(path, _line_of(text, r"carry_forward\s*="), "carry_forward must be true or false"))
    if problems:
        return None, problems
    return SetSpec(name, str(data.get("title", name)), carry, tuple(picks)), []


def _safe(name) -> bool:
    return isinstance(name, str) and bool(SAFE_NAME.match(name)) and ".." not in name


def _line_of(text: str, pattern: str) -> int:
    for i, line in enumerate(text.splitlines(), 1):
        if re.match(rf"\s*{pattern}", line):
            return i
    return 1


# ---------------------------------------------------------------- the course folder

COURSE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")


class CourseError(TcptutorError):
    exit_code = 2


@dataclass(frozen=True)
class CourseDir:
    root: Path
    id: str
    name: str

    @property
    def roster(self) -> Path:
        return self.root / "roster.csv"

    def set_file(self, name: str) -> Path:
        return self.root / "sets" / f"{checked_name('set name', name)}.toml"

    def out(self, *parts: str, private: bool = False) -> Path:
        """A folder for tcptutor's output; every part is checked first, so no set or student
        name can reach outside the course folder. Private folders (keys/, grades/) are 0700."""
        for part in parts:
            checked_name("name", part)
        if private:
            private_dir(self.root / parts[0])
        path = self.root.joinpath(*parts)
        path.mkdir(parents=True, exist_ok=True)
        return path


def open_course(root: Path) -> CourseDir:
    config = root / "course.toml"
    if not config.is_file():
        raise CourseError(f"{root}: not a course folder (no course.toml); create one with `tcptutor course init {root}`")
    try:
        text = config.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise InputError(str(config), None, f"not UTF-8 text ({err.reason} at byte {err.start})") from None
    deep_at = toml_too_deep(text)
    if deep_at is not None:
        raise InputError(str(config), deep_at, too_deep_message())
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError(str(config), None, f"malformed TOML: {err}") from None
    cid = data.get("id")
    if not isinstance(cid, str) or not COURSE_ID.match(cid):
        raise InputError(str(config), 1, "id must be letters, digits, - and _")
    return CourseDir(root, cid, str(data.get("name", cid)))
