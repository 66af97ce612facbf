"""The ladder and the plots under zh: every word they write themselves is Chinese (errors,
timers, TCB windows, plot titles and legends), and the ladder's columns stay aligned with
wide characters in every mode (--tcb, --relative). test_ladder_zh.py checks the lifelines of
the plain ladder; this checks the words and the other modes."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from english_left import english_left
from tcptutor import i18n
from tcptutor.library import load_scenario
from tcptutor.render.ladder import render_ladder
from tcptutor.render.plot import render_plot
from tcptutor.render.width import display_width
from tcptutor.tcp.simulator import simulate

SCENARIOS = ("abort", "closed-port", "keepalive-dead-peer", "zero-window", "nagle-delayed-ack", "syn-timeout",
             "simultaneous-close", "syn-flood", "time-wait-restart", "lost-data")
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def zh():
    i18n.use("zh")
    yield
    i18n.use("en")


def bars(line: str) -> list[int]:
    cols, col = [], 0
    for ch in line:
        if ch in "│┊":
            cols.append(col)
        col += display_width(ch)
    return cols


def names(trace) -> set[str]:
    """What the trace itself names: spoofed sources, the profile."""
    return {s.src for s in trace.segments} | {s.dst for s in trace.segments} | {trace.params["net"]["profile"]}


@pytest.mark.parametrize("name", SCENARIOS)
@pytest.mark.parametrize("tcb, relative, width", [(True, False, 80), (True, True, 100), (False, True, 64)])
def test_a_chinese_ladder_keeps_its_columns_and_has_no_english_words(name, tcb, relative, width, zh):
    trace = simulate(load_scenario(name))
    text = render_ladder(trace, width=width, tcb=tcb, relative=relative)
    rows = [line for line in text.splitlines() if bars(line)]
    assert len({tuple(bars(line)) for line in rows}) == 1
    assert all(display_width(line) <= width for line in text.splitlines())
    body = text.replace(" ".join(trace.title.split()), " ")
    body = "\n".join(line for line in body.splitlines() if not set(line.split()) <= set(trace.title.split()))
    body = re.sub(r"spoof-\d+(?:\.\.spoof-\d+)?", " ", body)  # the flood's sources, as the trace names them
    also = names(trace)
    assert english_left(body, also) == [], body
    assert CJK.search(body)


def test_errors_and_timers_are_named_in_chinese(zh):
    def ladder(name):
        return render_ladder(simulate(load_scenario(name)), width=100)
    assert "✗ 连接被复位" in ladder("abort")
    assert "延迟确认计时器 200 ms" in ladder("nagle-delayed-ack")
    assert "坚持计时器 1 s" in ladder("zero-window")
    assert "连接超时：保活探测都没有回应" in ladder("keepalive-dead-peer")
    assert "用户超时，连接被中止" in ladder("syn-timeout")


def test_english_ladders_keep_their_english_words():
    assert "✗ connection reset" in render_ladder(simulate(load_scenario("abort")), width=100)
    assert "persist 1 s" in render_ladder(simulate(load_scenario("zero-window")), width=100)


@pytest.mark.parametrize("name", ("sawtooth", "handshake"))
def test_the_plots_speak_chinese_and_stay_valid_svg(name, zh):
    trace = simulate(load_scenario(name))
    svg = render_plot(trace)
    root = ET.fromstring(svg)
    texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "时间（秒）" in texts and "传输轮次" in texts and "相对序号" in texts
    assert english_left(texts, names(trace)) == []
    i18n.use("en")
    english = " ".join(t.text or "" for t in ET.fromstring(render_plot(trace)).iter("{http://www.w3.org/2000/svg}text"))
    assert "time (s)" in english and "transmission round" in english and "window edge" in english
