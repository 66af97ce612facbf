"""`export --set S --course DIR`: exactly the assessment set's questions, in the set's order."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys


def run(*args: str, env: dict) -> subprocess.CompletedProcess:
    exe = shutil.which("tcptutor")
    cmd = [exe, *args] if exe else [sys.executable, "-m", "tcptutor", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)


def test_export_of_an_assigned_set(tmp_path):
    env = {**os.environ, "TCPTUTOR_DB": f"sqlite:///{tmp_path}/bank.sqlite"}
    course = tmp_path / "net101"
    assert run("course", "init", str(course), env=env).returncode == 0
    (course / "roster.csv").write_text("id,name,email\ns1,Ann,ann@example.edu\n")
    (course / "sets" / "mid.toml").write_text(
        'title = "Midterm"\n[[pick]]\nquestion = "td-fin-seq"\npoints = 2\n'
        '[[pick]]\nquestion = "hs-synack-numbers"\npoints = 1\n')
    assert run("course", "assign", "mid", "--course", str(course), env=env).returncode == 0
    out = tmp_path / "mid.json"
    done = run("export", "json", "--set", "mid", "--course", str(course), "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text())
    assert [q["id"] for q in data["questions"]] == ["td-fin-seq", "hs-synack-numbers"]

    missing = run("export", "json", "--set", "nope", "--course", str(course), "--out", str(out), env=env)
    assert missing.returncode == 2 and "has not been assigned" in missing.stderr
