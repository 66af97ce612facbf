"""`tcptutor simulate NAME --plot FILE.svg` and `--tcb`."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "tcptutor", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120, env=env)


def test_plot_writes_an_svg_and_still_draws_the_ladder(tmp_path):
    out = tmp_path / "fast.svg"
    result = run("simulate", "fast-retransmit", "--plot", str(out))
    assert result.returncode == 0, result.stderr
    assert "CLIENT" in result.stdout
    assert result.stderr.strip() == f"tcptutor: wrote {out}"
    root = ET.parse(out).getroot()
    classes = {p.get("class") for p in root.iter("{http://www.w3.org/2000/svg}polyline")}
    assert {"cwnd", "ack", "window"} <= classes
    assert [p.name for p in tmp_path.iterdir()] == ["fast.svg"]  # no temporary file left


def test_plot_replaces_an_existing_file(tmp_path):
    out = tmp_path / "p.svg"
    out.write_text("old", encoding="utf-8")
    assert run("simulate", "handshake", "--plot", str(out), "--json").returncode == 0
    assert out.read_text(encoding="utf-8").startswith("<svg")


@pytest.mark.parametrize("where, reason", [
    ("missing/p.svg", "no such file or folder"),
    (".", "this is a folder, not a file"),
])
def test_a_bad_plot_path_is_one_line_and_exit_2(tmp_path, where, reason):
    target = tmp_path / where
    result = run("simulate", "handshake", "--plot", str(target), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"tcptutor: {target}: {reason}"]
    assert result.stdout == ""
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_tcb_shows_the_windows_within_the_width():
    result = run("simulate", "fast-retransmit", "--tcb", "--width", "72")
    assert result.returncode == 0, result.stderr
    assert "cwnd=" in result.stdout and "SND.WND=" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 72
