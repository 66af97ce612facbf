"""`tcptutor --lang zh simulate` and `scenarios`: the command's own lines in Chinese (its
errors, what it wrote, the titles), the ladder's columns straight, `--json` the English."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from english_left import english_left
from ladderkit import bars
from tcptutor.library import scenario_names
from tcptutor.render.width import display_width

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "tcptutor", *args], capture_output=True, text=True,
                          encoding="utf-8", timeout=120, env=env, cwd=cwd)


@pytest.mark.parametrize("name, options", [
    ("handshake", ()), ("fast-retransmit", ("--tcb",)), ("lost-final-ack", ("--relative",)),
    ("zero-window", ("--tcb", "--relative")), ("syn-flood-cookies", ()),
])
def test_the_ladder_is_chinese_and_straight(name, options):
    out = run("--lang", "zh", "simulate", name, "--width", "90", *options)
    assert out.returncode == 0, out.stderr
    rows = [line for line in out.stdout.splitlines() if bars(line)]
    assert len(rows) > 5 and len({tuple(bars(line)) for line in rows}) == 1, out.stdout
    assert all(display_width(line) <= 90 for line in out.stdout.splitlines())
    first = out.stdout.splitlines()[0]
    assert CJK.search(first), first  # the scenario's title, in Chinese
    body = re.sub(r"spoof-\d+(?:\.\.spoof-\d+)?", " ", out.stdout)  # a flood's sources, as the trace names them
    assert english_left(body, {"linux", "rfc9293"}) == [], out.stdout


@pytest.mark.parametrize("name", ["handshake", "fast-retransmit", "syn-flood", "keepalive-dead-peer"])
def test_json_is_the_english_byte_for_byte(name):
    english, chinese = run("simulate", name, "--json"), run("--lang", "zh", "simulate", name, "--json")
    assert english.returncode == chinese.returncode == 0, chinese.stderr
    assert chinese.stdout == english.stdout


def test_an_unknown_scenario_is_one_chinese_line():
    out = run("--lang", "zh", "simulate", "no-such-scenario")
    assert out.returncode == 2 and out.stdout == "" and out.stderr.count("\n") == 1
    assert "没有这个文件，也没有这个名字的场景；可用的场景：" in out.stderr
    assert english_left(out.stderr, {"no-such-scenario", *scenario_names()}) == [], out.stderr


def test_the_plot_it_wrote_and_a_path_it_cannot_write(tmp_path):
    out = run("--lang", "zh", "simulate", "handshake", "--plot", str(tmp_path / "p.svg"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stderr == f"tcptutor: 已写入 {tmp_path / 'p.svg'}\n"
    out = run("--lang", "zh", "simulate", "handshake", "--plot", str(tmp_path / "none" / "p.svg"))
    assert out.returncode == 2 and out.stderr.endswith(": 没有这个文件或文件夹\n"), out.stderr


def test_scenarios_lists_the_chinese_titles():
    out = run("--lang", "zh", "scenarios")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == len(scenario_names())
    assert all(CJK.search(line) for line in lines), out.stdout
