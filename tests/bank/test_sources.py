"""Where a bank's lessons come from (issue 9): the fingerprint depends on the content only,
never on the working directory; `tcptutor build --content FOLDER` puts the folder's lessons
beside the shipped ones (`--replace` builds it alone); a build that would retire questions
says which and writes nothing unless `--retire`; and when the shipped lessons change, the
automatic rebuild keeps the instructor's questions. Real SQLite banks, the real CLI."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from test_build import ALPHA, BETA, dump

from tcptutor.bank import models as m
from tcptutor.bank.build import (BESIDE, FINGERPRINT_KEY, INSTRUCTOR_QUESTIONS_KEY, SHIPPED, SHIPPED_FINGERPRINT_KEY,
                                 SOURCE_KEY, build, read_content, rebuild_reason)
from tcptutor.bank.db import open_engine
from tcptutor.problems import ContentError

EXE = shutil.which("tcptutor")
INSTRUCTOR_IDS = ["a-single", "a-synack", "a-tf", "b-num", "b-tw"]


def write_folder(root: Path) -> Path:
    (root / "lessons").mkdir(parents=True)
    (root / "lessons" / "01-alpha.md").write_text(ALPHA, encoding="utf-8")
    (root / "lessons" / "02-beta.md").write_text(BETA, encoding="utf-8")
    return root


def run(*args: str, db: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TCPTUTOR_DB"}
    return subprocess.run([EXE, *args, "--db", f"sqlite:///{db}"], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=600)


def set_meta(bank: Path, **values: str) -> None:
    con = sqlite3.connect(bank)
    try:
        for key, value in values.items():
            con.execute("UPDATE bank_meta SET value = ? WHERE key = ?", (value, key))
        con.commit()
    finally:
        con.close()


def active_questions(bank: Path) -> set[str]:
    con = sqlite3.connect(bank)
    try:
        return {r[0] for r in con.execute("SELECT id FROM questions WHERE active")}
    finally:
        con.close()


# ------------------------------------------------------------------ the fingerprint


def test_the_fingerprint_is_the_same_from_any_working_directory(tmp_path, monkeypatch):
    folder = write_folder(tmp_path / "course")
    (tmp_path / "a" / "b").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    here = read_content("course").fingerprint(), read_content().fingerprint()
    monkeypatch.chdir(tmp_path / "a" / "b")
    there = read_content(folder).fingerprint(), read_content().fingerprint()
    assert here == there


def test_a_shipped_bank_needs_no_rebuild_after_a_change_of_directory(tmp_path, monkeypatch):
    """What `cd net101` did: the shipped bank looked changed and rebuilt (5-30 s)."""
    bank = tmp_path / "bank.sqlite"
    engine = open_engine(f"sqlite:///{bank}")
    build(engine, write_folder(tmp_path / "course"))
    monkeypatch.chdir(tmp_path)
    set_meta(bank, **{SOURCE_KEY: SHIPPED, FINGERPRINT_KEY: read_content().fingerprint()})  # as a shipped build records it
    assert rebuild_reason(engine) is None
    (tmp_path / "net101").mkdir()
    monkeypatch.chdir(tmp_path / "net101")
    assert rebuild_reason(engine) is None
    engine.dispose()


# ------------------------------------------------------------------ beside the shipped lessons


@pytest.fixture(scope="module")
def beside(tmp_path_factory):
    """`tcptutor build --content course` (as the README shows it) on a new bank."""
    tmp = tmp_path_factory.mktemp("beside")
    write_folder(tmp / "course")
    bank = tmp / "template.sqlite"
    out = run("build", "--content", "course", db=bank, cwd=tmp)
    assert out.returncode == 0, out.stderr
    return tmp, bank, out


@pytest.fixture
def beside_bank(beside, tmp_path) -> Path:
    _, template, _ = beside
    bank = tmp_path / "bank.sqlite"
    with sqlite3.connect(template) as a, sqlite3.connect(bank) as b:
        a.backup(b)
    a.close()
    b.close()
    return bank


def test_build_content_puts_the_folders_lessons_beside_the_shipped_ones(beside, tmp_path):
    tmp, bank, out = beside
    shipped = read_content()
    assert "retired" in out.stderr and ", 0 retired" in out.stderr
    listed = run("lessons", "--json", db=bank, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "building" not in listed.stderr and "changed" not in listed.stderr
    lessons = [row["id"] for row in json.loads(listed.stdout)]
    assert lessons[-2:] == ["alpha", "beta"]  # the instructor's lessons come after the shipped ones
    assert "handshake" in lessons and len(lessons) == len(shipped.lessons) + 2
    questions = run("quiz", "list", "--json", db=bank, cwd=tmp_path)
    ids = {q["id"] for q in json.loads(questions.stdout)}
    assert set(INSTRUCTOR_IDS) <= ids and "hs-synack-numbers" in ids
    again = run("build", "--content", str(tmp / "course"), db=bank, cwd=tmp_path)  # same folder, other cwd
    assert again.returncode == 0, again.stderr
    assert "bank up to date" in again.stderr


def test_a_plain_build_would_retire_the_instructors_questions_and_refuses(beside_bank, tmp_path):
    before = dump(beside_bank)
    out = run("build", db=beside_bank, cwd=tmp_path)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert out.stderr.count("\n") == 1, out.stderr
    assert re.search(r"^tcptutor: this build would retire 5 questions that the content no longer has "
                     r"\(a-single, a-synack, a-tf, b-num, b-tw\); nothing was written\. Run it again with --retire",
                     out.stderr), out.stderr
    assert dump(beside_bank) == before


def test_a_question_id_used_by_the_folder_and_the_shipped_lessons_is_an_error(tmp_path):
    folder = write_folder(tmp_path / "course")
    alpha = folder / "lessons" / "01-alpha.md"
    alpha.write_text(ALPHA.replace('id = "a-tf"', 'id = "hs-synack-numbers"'), encoding="utf-8")
    engine = open_engine(f"sqlite:///{tmp_path / 'bank.sqlite'}")
    with pytest.raises(ContentError) as err:
        build(engine, folder, beside=True)
    engine.dispose()
    (problem,) = err.value.problems
    clash = next(i for i, line in enumerate(alpha.read_text().splitlines(), 1) if 'id = "hs-synack-numbers"' in line)
    assert problem.path.endswith(os.path.join("course", "lessons", "01-alpha.md"))
    assert problem.line in (clash - 1, clash)  # the question's fence or its id line
    assert problem.message.startswith("question id 'hs-synack-numbers' is also a shipped question (")
    assert "01-handshake.md:" in problem.message and "--replace" in problem.message


def test_when_the_shipped_lessons_change_the_rebuild_keeps_the_instructors_questions(beside_bank, tmp_path):
    folder = write_folder(tmp_path / "moved-course")
    # what a `git pull` looks like to the bank: the shipped part it holds is not the shipped lessons now
    set_meta(beside_bank, **{SHIPPED_FINGERPRINT_KEY: "before the pull", SOURCE_KEY: BESIDE + str(folder)})
    # and since the last explicit build the instructor dropped b-num from the folder: only an
    # explicit build (with --retire) may retire it
    beta = folder / "lessons" / "02-beta.md"
    text = beta.read_text(encoding="utf-8")
    start = text.index('```question\nid = "b-num"')
    beta.write_text(text[:start], encoding="utf-8")

    out = run("lessons", "--json", db=beside_bank, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert f"the shipped lessons changed; rebuilding the question bank with the lessons of {folder}" in out.stderr
    assert ", 0 retired" in out.stderr
    assert [row["id"] for row in json.loads(out.stdout)][-2:] == ["alpha", "beta"]
    assert set(INSTRUCTOR_IDS) <= active_questions(beside_bank)

    again = run("lessons", "--json", db=beside_bank, cwd=tmp_path / "moved-course")
    assert again.returncode == 0, again.stderr
    assert "rebuilding" not in again.stderr and "building" not in again.stderr
    engine = open_engine(f"sqlite:///{beside_bank}")
    with Session(engine) as session:
        assert session.get(m.Meta, SHIPPED_FINGERPRINT_KEY).value == read_content().fingerprint()
        # b-num stays the instructor's: a later automatic rebuild keeps it too
        assert json.loads(session.get(m.Meta, INSTRUCTOR_QUESTIONS_KEY).value) == INSTRUCTOR_IDS
    engine.dispose()
