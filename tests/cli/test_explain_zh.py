"""`tcptutor --lang zh explain CAPTURE`: the explanation in Chinese, the same findings as in
English, the columns straight for wide characters, and `--json` byte for byte the English."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from english_left import english_left
from tcptutor import i18n
from tcptutor.capture.explain import explain_packets
from tcptutor.capture.pcapfile import parse_capture
from tcptutor.render.capture import render_explanation
from tcptutor.render.width import display_width

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "capture"))
from captures import pcap, raw_frames, scenario_capture  # noqa: E402  (the capture tests' builders)
# Scenarios whose captures show every kind of finding the summary counts: a handshake and a
# teardown, fast and timeout retransmissions, duplicate ACKs, zero windows and their probes,
# keep-alives and a reset, a refused connection, crossing FINs and SYNs.
SCENARIOS = ("lost-final-ack", "fast-retransmit", "lost-data", "zero-window", "keepalive-dead-peer",
             "closed-port", "simultaneous-close", "simultaneous-open", "premature-timeout", "reordering")
ROW = re.compile(r"^ *(\d+) +\d+\.\d{6}  ")
# Names, not prose: the pcap header's snaplen, the quiz's field ids (what --answer takes).
NAMES = {"snaplen"}


def run(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "tcptutor", *args], capture_output=True, text=True,
                          encoding="utf-8", timeout=120, env=env)


@pytest.fixture(scope="module")
def captures(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("captures")
    out = {}
    for name in SCENARIOS:
        out[name] = folder / f"{name}.pcapng"
        out[name].write_bytes(scenario_capture(name))
    # the same connection cut by a short snaplen and without its handshake: the warnings and
    # the mid-connection summary
    frames = raw_frames(scenario_capture("lost-data"))
    out["short"] = folder / "short.pcap"
    out["short"].write_bytes(pcap(frames[3:], 101, snaplen=60, caplen=60))
    return out


def explained(path: Path):
    cap = parse_capture(path.read_bytes(), path.name)
    return explain_packets(cap.packets, name=path.name, frames=cap.frames, warnings=cap.warnings,
                           snaplen=cap.snaplen)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def blocks(text: str) -> dict[int, str]:
    """What the picture says under each segment: its row and the lines up to the next row."""
    out: dict[int, str] = {}
    n = None
    for line in text.split("\n\nWhat happened:")[0].split("\n\n发生了什么：")[0].splitlines():
        m = ROW.match(line)
        if m:
            n = int(m.group(1))
        if n is not None:
            out[n] = out.get(n, "") + squeeze(line)
    return out


@pytest.mark.parametrize("name", [*SCENARIOS, "short"])
def test_the_explanation_is_chinese_with_the_same_findings(captures, name, zh):
    exp = explained(captures[name])
    text = render_explanation(exp, width=100)
    left = english_left(text.replace(captures[name].name, ""), NAMES)  # the file's name is the user's
    assert left == [], (left, text)
    assert all(display_width(line) <= 100 for line in text.splitlines()), text
    i18n.use("en")
    english = render_explanation(exp, width=100)
    i18n.use("zh")
    assert len(exp.reports) == 1
    rep = exp.reports[0]
    chinese, english = blocks(text), blocks(english)
    assert sorted(chinese) == sorted(english) == [g.i for g in rep.conn.segments]  # the same segments
    for info, row in zip(rep.infos, rep.rows):  # each finding and state change said under its own segment
        for said in [f.text for f in info.findings] + [m.why for m in row.moves] + row.revisions + row.notes:
            assert said.local() != str(said)
            assert squeeze(said.local()) in chinese[info.seg.i], (info.seg.i, said.local())
            assert squeeze(str(said)) in english[info.seg.i]
    flat = squeeze(text)
    assert all(squeeze(line.local()) in flat for line in [*rep.summary, *exp.warnings])


def _columns(text: str) -> list[tuple[str, int]]:
    """Each segment row's arrow head, and the column (display width before it) where it is."""
    out = []
    for line in text.splitlines():
        if ROW.match(line):
            head = "►" if "►" in line else "◄"
            out.append((head, display_width(line[:line.index(head)])))
    return out


@pytest.mark.parametrize("width", [100, 80, 140])
def test_the_columns_stay_straight_with_chinese_state_names(captures, width, zh):
    text = render_explanation(explained(captures["lost-final-ack"]), width=width)
    lines = text.splitlines()
    header = next(line for line in lines if line.lstrip().startswith("#"))
    columns = _columns(text)
    right = {col for head, col in columns if head == "►"}
    left = {col for head, col in columns if head == "◄"}
    assert len(right) == 1 and len(left) == 1, text  # every arrow between the same two columns
    # the server's state starts two columns after the arrow, under the heading 服务器
    assert display_width(header[:header.index("服务器")]) == right.pop() + 3
    assert "同步已发送 SYN-SENT" in text and "时间等待 TIME-WAIT" in text
    for line in lines:
        m = ROW.match(line)
        if m and "►" in line:
            server = line[line.index("►") + 3:]
            assert not server.startswith(" ")


@pytest.mark.parametrize("name", ["lost-final-ack", "fast-retransmit", "zero-window", "short"])
def test_json_is_the_english_byte_for_byte(captures, name):
    english = run("explain", str(captures[name]), "--json")
    chinese = run("--lang", "zh", "explain", str(captures[name]), "--json")
    assert english.returncode == chinese.returncode == 0, chinese.stderr
    assert chinese.stdout == english.stdout
    assert json.loads(chinese.stdout)["format"] == "tcptutor.explain/1"


def test_the_command_says_it_in_chinese(captures):
    out = run("--lang", "zh", "explain", str(captures["fast-retransmit"]), "--width", "100")
    assert out.returncode == 0, out.stderr
    assert "连接 1：客户端 10.0.0.1:40000，服务器 10.0.0.2:80" in out.stdout
    assert "发生了什么：" in out.stdout and "实验答案：" in out.stdout and "次快重传。" in out.stdout
    assert english_left(out.stdout.replace(str(captures["fast-retransmit"]), ""), NAMES) == []


def test_the_quiz_is_asked_and_graded_in_chinese(captures):
    cap = str(captures["lost-data"])
    sheet = run("--lang", "zh", "explain", cap, "--quiz", "2", "--seed", "5")
    assert sheet.returncode == 0, sheet.stderr
    fields = re.search(r"字段：(.*?)（", sheet.stdout).group(1).split(", ")
    assert "按相对序号填空" in sheet.stdout and "=?" in sheet.stdout and "实验答案" not in sheet.stdout
    assert english_left(sheet.stdout, NAMES | set(fields)) == [], sheet.stdout
    graded = run("--lang", "zh", "explain", cap, "--quiz", "2", "--seed", "5",
                 *[a for f in fields for a in ("--answer", f"{f}=0")])
    assert graded.returncode == 0, graded.stderr
    assert "得分：" in graded.stdout and ("错误。" in graded.stdout or "正确。" in graded.stdout)


@pytest.mark.parametrize("content, words", [
    (b"not a capture at all", "不是 pcap 或 pcapng 抓包文件"),
    (b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00" + b"\0" * 8, "抓包文件不完整"),
])
def test_bad_files_are_one_chinese_line(tmp_path, content, words):
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(content)
    out = run("--lang", "zh", "explain", str(bad))
    assert out.returncode == 2 and out.stdout == "" and out.stderr.count("\n") == 1
    assert words in out.stderr and english_left(out.stderr.replace(str(bad), "")) == []


def test_a_missing_file_and_an_unknown_connection_in_chinese(tmp_path, captures):
    out = run("--lang", "zh", "explain", str(tmp_path / "none.pcap"))
    assert out.returncode == 2 and out.stderr.endswith("none.pcap: 没有这个文件或文件夹\n"), out.stderr
    out = run("--lang", "zh", "explain", str(captures["lost-final-ack"]), "--connection", "4")
    assert out.returncode == 2 and "没有连接 4：抓包中只有 1 个连接" in out.stderr
