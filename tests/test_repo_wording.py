"""Counts people read are in the right number: "1 attempt", not "1 attempts"."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tcptutor.wording import plural

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("count", "word", "shown"), [
    (0, "attempt", "0 attempts"),
    (1, "attempt", "1 attempt"),
    (2, "attempt", "2 attempts"),
    (1.0, "point", "1 point"),
    (0.5, "point", "0.5 points"),
    (2.5, "point", "2.5 points"),
    (1, "analysis", "1 analysis"),
])
def test_plural(count, word, shown):
    assert plural(count, word, "analyses" if word == "analysis" else None) == shown


def test_progress_says_1_attempt(tmp_path):
    exe = shutil.which("tcptutor")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TCPTUTOR_DB": f"sqlite:///{tmp_path / 'bank.sqlite'}"}

    def run(*args):
        cmd = [exe, *args] if exe else [sys.executable, "-m", "tcptutor", *args]
        return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)

    graded = run("quiz", "grade", "hs-synack-numbers", "--seed", "7", "seq=1", "ack=2", "--student", "ann")
    assert graded.returncode == 0, graded.stderr
    progress = run("progress", "--student", "ann")
    assert progress.returncode == 0, progress.stderr
    assert "Progress of ann: 1 attempt\n" in progress.stdout
    assert "(1 attempt)" in progress.stdout and "(0 attempts)" in progress.stdout
    assert "1 attempts" not in progress.stdout
