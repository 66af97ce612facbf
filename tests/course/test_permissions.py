"""Instructor-only files (answer keys, gradebook, feedback, statistics, the secret) are created
0600 in 0700 folders whatever the umask; handouts, meant for students, are 0644, never
group/world-writable (issue 16). And no set name reaches outside the course folder."""

from __future__ import annotations

import csv
import os
import stat
from pathlib import Path

import pytest

from tcptutor.course import service

QUESTION = "hs-synack-numbers"
SET = f'title = "Quiz"\n[[pick]]\nquestion = "{QUESTION}"\npoints = 1\n'


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_000():
    old = os.umask(0)
    yield
    os.umask(old)


def test_every_instructor_file_is_private_at_umask_000(umask_000, make_bank, cli, tmp_path):
    url = make_bank("sqlite")
    root = tmp_path / "net101"
    assert cli("course", "init", root).returncode == 0
    (root / "sets" / "quiz.toml").write_text(SET, encoding="utf-8")
    run = cli("course", "assign", "quiz", "--course", root, "--db", url)
    assert run.returncode == 0, run.stderr
    with (root / "keys" / "quiz-key.csv").open(newline="", encoding="utf-8") as f:
        key = list(csv.DictReader(f))
    answers = root / "answers.csv"
    answers.write_text("student,question,field,answer\n" + "".join(
        f"{r['student']},{r['question']},{r['field']},{r['expected']}\n" for r in key), encoding="utf-8")
    graded = cli("course", "grade", "quiz", answers, "--course", root, "--db", url)
    assert graded.returncode == 0, graded.stderr
    stats = cli("course", "stats", "quiz", "--course", root, "--db", url, "--csv", root / "items.csv",
                "--plots", root / "plots")
    assert stats.returncode == 0, stats.stderr

    private = [root / service.SECRET_FILE, root / "keys" / "quiz-key.md", root / "keys" / "quiz-key.csv",
               root / "grades" / "quiz" / "gradebook.csv", root / "grades" / "quiz" / "feedback" / "s001.md",
               root / "items.csv", root / "plots" / "scores.svg", root / "plots" / "misconceptions.svg"]
    assert {str(p.relative_to(root)): oct(mode(p)) for p in private} == \
        {str(p.relative_to(root)): oct(0o600) for p in private}
    assert mode(root / "keys") == 0o700 and mode(root / "grades") == 0o700
    for handout in (root / "handouts" / "quiz").iterdir():
        assert mode(handout) == 0o644, handout
    # no temp file is left behind anywhere
    assert not [p for p in root.rglob(".*.tmp")]


@pytest.mark.parametrize("name", ["../../evil", "../evil", "/tmp/evil", "a/../../evil"])
def test_assign_with_a_traversing_set_name_writes_nothing(cli, tmp_path, name):
    root = tmp_path / "deep" / "net101"
    assert cli("course", "init", root).returncode == 0
    (tmp_path / "evil.toml").write_text(SET, encoding="utf-8")  # a set file the name would reach
    (tmp_path / "deep" / "evil.toml").write_text(SET, encoding="utf-8")
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    run = cli("course", "assign", name, "--course", root, "--db", f"sqlite:///{tmp_path / 'never.sqlite'}")
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("tcptutor: bad set name"), run.stderr
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before


@pytest.mark.parametrize("command", [("grade", "quiz-answers.csv"), ("regrade",), ("stats",)])
def test_other_commands_refuse_a_traversing_set_name(cli, tmp_path, command):
    root = tmp_path / "net101"
    assert cli("course", "init", root).returncode == 0
    (root / "quiz-answers.csv").write_text("student,question,field,answer\n")
    args = [command[0], "../../evil", *[root / a for a in command[1:]]]
    run = cli("course", *args, "--course", root, "--db", f"sqlite:///{tmp_path / 'bank.sqlite'}")
    assert run.returncode == 2 and "bad set name" in run.stderr, run.stderr
    assert not (tmp_path.parent / "evil").exists() and not (root / "grades").exists()
