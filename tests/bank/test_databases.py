"""The same input gives the same result on SQLite and on a real PostgreSQL server (issue 16):
a NUL byte in an answer or a lesson, `answer = nan`, seeds beyond 32 bits; and twelve
processes opening a new bank at once: one builds, the others wait for it."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_build import ALPHA, BETA

from tcptutor.bank import models as m
from tcptutor.bank.build import build
from tcptutor.bank.db import open_engine
from tcptutor.problems import ContentError

EXE = shutil.which("tcptutor")
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture
def empty_bank(request, tmp_path):
    """empty_bank(kind) -> the URL of a new, empty bank on that kind of database."""

    made = []

    def make(kind: str) -> str:
        made.append(kind)
        if kind == "sqlite":
            return f"sqlite:///{tmp_path / f'bank-{len(made)}.sqlite'}"
        server = request.getfixturevalue("pg_server")
        return server.url(server.create_database())

    return make


def folder(root: Path, alpha: str = ALPHA, beta: str = BETA) -> Path:
    (root / "lessons").mkdir(parents=True)
    (root / "lessons" / "01-alpha.md").write_text(alpha, encoding="utf-8")
    (root / "lessons" / "02-beta.md").write_text(beta, encoding="utf-8")
    return root


def build_problems(url: str, content: Path) -> list[tuple[str, int, str]]:
    engine = open_engine(url)
    try:
        with pytest.raises(ContentError) as err:
            build(engine, content)
        with Session(engine) as session:
            assert session.scalars(select(m.Question)).all() == []  # nothing was written
    finally:
        engine.dispose()
    return [(Path(p.path).name, p.line, p.message) for p in err.value.problems]


def test_a_nul_byte_in_a_lesson_is_a_problem_line_on_both_databases(empty_bank, tmp_path):
    alpha = ALPHA.replace("Prose.", "Prose\0with a NUL.")
    line = next(i for i, text in enumerate(alpha.splitlines(), 1) if "\0" in text)
    content = folder(tmp_path / "content", alpha=alpha)
    found = {kind: build_problems(empty_bank(kind), content) for kind in BACKENDS}
    assert found["sqlite"] == found["postgresql"] == [("01-alpha.md", line, "a NUL byte (U+0000) in the file; remove it")]


def test_answer_nan_is_a_problem_line_on_both_databases(empty_bank, tmp_path):
    beta = BETA.replace("answer = 240", "answer = nan")
    content = folder(tmp_path / "content", beta=beta)
    found = {kind: build_problems(empty_bank(kind), content) for kind in BACKENDS}
    assert found["sqlite"] == found["postgresql"]
    ((name, line, message),) = found["sqlite"]
    assert name == "02-beta.md" and 0 < line <= beta.count("\n") and "b-num" in message


def tcptutor(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TCPTUTOR_DB"}
    return subprocess.run([EXE, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=600)


@pytest.mark.parametrize("kind", BACKENDS)
def test_seeds_beyond_32_bits_are_stored_and_beyond_64_bits_refused_in_one_line(kind, empty_bank, tmp_path):
    url = empty_bank(kind)
    built = tcptutor("build", "--replace", "--content", str(folder(tmp_path / "content")), "--db", url)
    assert built.returncode == 0, built.stderr
    for seed in (2**31, 2**63 - 1):
        out = tcptutor("quiz", "grade", "b-num", "answer=240", "--seed", str(seed), "--student", "ann", "--db", url, "--json")
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["score"] == 1.0
    too_big = tcptutor("quiz", "grade", "b-num", "answer=240", "--seed", str(2**63), "--student", "ann", "--db", url)
    assert too_big.returncode == 2
    assert too_big.stderr == f"tcptutor: seed {2**63} is out of range: the bank stores seeds from -2^63 to 2^63-1\n"
    engine = open_engine(url)
    try:
        with Session(engine) as session:
            assert sorted(session.scalars(select(m.Attempt.seed))) == [2**31, 2**63 - 1]
    finally:
        engine.dispose()


def grade_a_nul_answer(kind: str, make_bank, cli, root: Path) -> dict:
    url = make_bank(kind)
    assert cli("course", "init", root).returncode == 0
    (root / "roster.csv").write_text("id,name,email\ns1,Ann\0Lee,s1@example.edu\n", encoding="utf-8")
    (root / "sets" / "quiz.toml").write_text('title = "Quiz"\n[[pick]]\nquestion = "hs-synack-numbers"\npoints = 2\n',
                                              encoding="utf-8")
    assigned = cli("course", "assign", "quiz", "--course", root, "--db", url)
    assert assigned.returncode == 0, assigned.stderr
    with (root / "keys" / "quiz-key.csv").open(newline="", encoding="utf-8") as f:
        key = {r["field"]: r["expected"] for r in csv.DictReader(f)}
    submissions = root / "answers.csv"
    with submissions.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student", "question", "field", "answer"])
        w.writerow(["s1", "hs-synack-numbers", "seq", key["seq"]])
        w.writerow(["s1", "hs-synack-numbers", "ack", key["ack"][:2] + "\0" + key["ack"][2:]])
    graded = cli("course", "grade", "quiz", submissions, "--course", root, "--db", url, "--json")
    assert graded.returncode == 0, graded.stderr
    assert "Traceback" not in graded.stderr
    regraded = cli("course", "regrade", "quiz", "--course", root, "--db", url)
    assert regraded.returncode == 0, regraded.stderr
    engine = open_engine(url)
    try:
        with Session(engine) as session:
            fields = session.execute(select(m.AttemptField.field, m.AttemptField.given, m.AttemptField.verdict,
                                            m.AttemptField.credit).order_by(m.AttemptField.field)).all()
            names = session.scalars(select(m.CourseMember.name)).all()
    finally:
        engine.dispose()
    return {"report": json.loads(graded.stdout), "fields": [tuple(f) for f in fields], "names": names,
            "ack": key["ack"], "gradebook": (root / "grades" / "quiz" / "gradebook.csv").read_text(encoding="utf-8")}


def test_a_nul_in_a_course_answer_is_graded_the_same_on_both_databases(make_bank, cli, tmp_path):
    results = {kind: grade_a_nul_answer(kind, make_bank, cli, tmp_path / kind / "net101") for kind in BACKENDS}
    sqlite, pg = results["sqlite"], results["postgresql"]
    # each course has its own secret, so its own numbers; the treatment is the same: the NUL
    # is stored as the visible U+2400 on both databases, and graded the same
    for result in (sqlite, pg):
        fields = dict((f, (given, verdict)) for f, given, verdict, _ in result["fields"])
        assert fields["ack"][0] == result["ack"][:2] + "\u2400" + result["ack"][2:]
        assert result["names"] == ["Ann\u2400Lee"]
    strip = lambda r: [(f, v, c) for f, _, v, c in r["fields"]]  # noqa: E731
    assert strip(sqlite) == strip(pg)
    assert sqlite["report"]["graded"] == pg["report"]["graded"] == 1


@pytest.mark.parametrize("kind", BACKENDS)
def test_twelve_processes_on_a_new_bank_one_builds_the_others_wait(kind, empty_bank, tmp_path):
    url = empty_bank(kind)
    env = {k: v for k, v in os.environ.items() if k != "TCPTUTOR_DB"}
    procs = [subprocess.Popen([EXE, "lessons", "--json", "--db", url], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env, cwd=tmp_path) for _ in range(12)]
    results = [(p.wait(timeout=900), p.stdout.read(), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    for rc, out, err in results:
        assert rc == 0, err
        assert "Traceback" not in err and "IntegrityError" not in err
    outputs = {out for _, out, _ in results}
    assert len(outputs) == 1
    assert "handshake" in {row["id"] for row in json.loads(outputs.pop())}
    assert sum("(first use)" in err for _, _, err in results) == 1


@pytest.mark.parametrize("kind", BACKENDS)
def test_regrade_commits_in_batches(kind, make_bank, cli, tmp_path, monkeypatch):
    """A long regrade holds the write lock for one batch at a time, not for the whole run
    (a 33 s regrade transaction made a practice answer fail with "database is locked")."""
    from sqlalchemy import event

    from tcptutor.course import service

    url = make_bank(kind)
    root = tmp_path / "net101"
    assert cli("course", "init", root).returncode == 0
    students = [f"s{i}" for i in range(5)]
    (root / "roster.csv").write_text("id,name,email\n" + "".join(f"{s},{s},{s}@example.edu\n" for s in students),
                                     encoding="utf-8")
    (root / "sets" / "quiz.toml").write_text('title = "Quiz"\n[[pick]]\nquestion = "hs-synack-numbers"\npoints = 2\n',
                                              encoding="utf-8")
    assert cli("course", "assign", "quiz", "--course", root, "--db", url).returncode == 0
    with (root / "keys" / "quiz-key.csv").open(newline="", encoding="utf-8") as f:
        key = list(csv.DictReader(f))
    submissions = root / "answers.csv"
    with submissions.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student", "question", "field", "answer"])
        for r in key:
            w.writerow([r["student"], r["question"], r["field"], r["expected"]])
    graded = cli("course", "grade", "quiz", submissions, "--course", root, "--db", url)
    assert graded.returncode == 0, graded.stderr

    monkeypatch.setattr(service, "REGRADE_BATCH", 2)
    engine = open_engine(url)
    commits: list[int] = []
    event.listen(engine, "commit", lambda connection: commits.append(1))
    try:
        report = service.regrade(engine, service.open_course(root), "quiz", current_versions=True)
    finally:
        engine.dispose()
    assert report.graded + report.unchanged == len(students)
    assert len(commits) >= 3  # after attempts 2 and 4, and at the end
