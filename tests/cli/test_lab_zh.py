"""`tcptutor --lang zh lab`: the comparison picture and its reasons in Chinese, its columns
straight, and the lines that say why the lab cannot run. The picture is drawn from a LabRun
that a simulation stands in for (tests/render/test_lab.py): no kernel needed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from english_left import english_left
from tcptutor import i18n, library
from tcptutor.lab import compare
from tcptutor.render.lab import render_lab
from tcptutor.render.width import display_width

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "render"))
from test_lab import rows_of, stand_in  # noqa: E402  (the stand-in kernel run)

NAMES = {"rfc9293", "linux"}  # profile names, as --profile takes them


def lab(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "tcptutor", "--lang", "zh", "lab", *args], capture_output=True,
                          text=True, encoding="utf-8", timeout=120, env=env)


def differing(segments):
    """A kernel run that sent its final ACK 200 ms late, a bigger window once, and an ACK of its own."""
    segments[2] = {**segments[2], "t": segments[2]["t"] + 0.2}
    segments[4] = {**segments[4], "win": segments[4]["win"] + 1000}
    extra = {**segments[6], "len": 0, "flags": ["ACK"], "n": 99, "t": segments[6]["t"] + 0.001}
    return segments[:7] + [extra] + segments[7:]


@pytest.fixture
def chinese_titles(zh):
    i18n.set_titles(library.shipped_titles("zh"))
    yield
    i18n.set_titles({})


@pytest.mark.parametrize("name, change", [("lost-data", None), ("data-transfer", differing)])
def test_the_picture_is_chinese_and_its_rows_as_wide_as_each_other(name, change, chinese_titles):
    run = stand_in(name, change)
    picture = render_lab(run, width=140)
    left = english_left(picture, NAMES)
    assert left == [], (left, picture)
    rows = rows_of(picture)
    assert len(rows) == len(run.pairs) and len({display_width(r) for r in rows}) == 1, picture
    bars = {tuple(i for i, ch in enumerate(r) if ch == "│") for r in rows}
    assert len(bars) == 1  # the four lifelines in the same columns on every row
    lines = [line for line in picture.splitlines() if "│" in line]
    assert len({display_width(line) for line in lines}) == 1  # the state-change lines too, Chinese and all
    assert "客户端：关闭 CLOSED → 同步已发送 SYN-SENT" in picture
    i18n.use("en")
    english = render_lab(run, width=140)
    assert len(rows_of(english)) == len(rows) and [r[:4] for r in rows_of(english)] == [r[:4] for r in rows]


def test_every_difference_has_its_reason_in_chinese(chinese_titles):
    run = stand_in("data-transfer", differing)
    picture = render_lab(run, width=140)
    notes = [(i + 1, p) for i, p in enumerate(run.pairs) if p.status != compare.SAME]
    assert notes and "差异（~ 在内核计时器的允许误差之内，≠ 不同，+ 只有一方发送）：" in picture
    for row, pair in notes:
        assert f"第 {row} 行 " in picture
        if pair.reason:
            assert pair.reason.local() in picture and pair.reason.local() != str(pair.reason)
    assert "内核晚了 200 ms 发送" in picture and "模拟器没有发送的确认" in picture
    in_chinese = json.dumps(run.to_json())  # `lab --json`: the English reasons, whatever the language
    assert "the kernel sent it 200 ms later" in in_chinese
    i18n.use("en")
    assert json.dumps(run.to_json()) == in_chinese


@pytest.mark.parametrize("args, words", [
    (["handshake", "--kernel", "router"], "`--kernel` 只能是 `client`、`server` 或 `both`，不能是 'router'"),
    (["handshake", "--profile", "bsd"], "`--profile` 只能是 linux, rfc9293 之一，不能是 'bsd'"),
    (["no-such-scenario"], "没有这个文件，也没有这个名字的场景"),
    (["active-close", "--kernel", "both"], "这个场景要运行 300 s，内核需要同样长的真实时间；如确要运行，请加上 `--max-time 310`"),
])
def test_what_stops_the_lab_is_one_chinese_line(args, words):
    done = lab(*args)
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    assert done.stderr.count("\n") == 1 and words in done.stderr, done.stderr
    rest = done.stderr.replace("'router'", "").replace("'bsd'", "").replace("no-such-scenario", "")
    rest = rest.replace(str(library.SCENARIOS / "active-close.toml"), "")  # what the user asked for, as given
    assert english_left(rest, NAMES | set(library.scenario_names())) == [], rest
