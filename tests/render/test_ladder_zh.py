"""The ladder and the plots in Chinese: the textbook state names beside the RFC's, Chinese
words for everything they write themselves (what happened, errors, timers, TCB windows, plot
titles and legends), and the lifelines straight however wide the characters are, in every
mode (--tcb, --relative)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from english_left import english_left
from ladderkit import bars

from tcptutor import i18n
from tcptutor.library import load_scenario
from tcptutor.render.ladder import render_ladder
from tcptutor.render.plot import render_plot
from tcptutor.render.width import display_width
from tcptutor.tcp.simulator import simulate

CJK = re.compile(r"[\u4e00-\u9fff]")
SCENARIOS = ("handshake", "lost-data", "fast-retransmit", "half-close", "keepalive-dead-peer", "syn-flood-cookies",
             "simultaneous-close")


@pytest.mark.parametrize("name", SCENARIOS)
@pytest.mark.parametrize("width", (80, 60))
def test_lifelines_stay_straight_and_arrows_meet_them(name, width, zh):
    trace = simulate(load_scenario(name))
    text = render_ladder(trace, width=width)
    rows = [line for line in text.splitlines() if bars(line)]
    assert len(rows) > 5
    columns = {tuple(bars(line)) for line in rows}
    assert len(columns) == 1, f"lifelines move: {columns}"
    (left, right), = columns
    for line in rows:
        assert display_width(line) <= width
        if "►" in line or "◄" in line:
            inner = line[line.index("│") + 1:line.rindex("│")]
            assert inner.endswith(("►", "丢失")) or inner.startswith(("◄", "丢失")), line
    assert display_width(text.splitlines()[-1]) <= width


def test_states_notes_and_causes_are_chinese_with_the_rfc_names_beside(zh):
    text = render_ladder(simulate(load_scenario("handshake")), width=80)
    assert "同步已发送 SYN-SENT" in text and "已建立连接 ESTABLISHED" in text
    assert "应用：connect()" in text and "客户端" in text
    lost = render_ladder(simulate(load_scenario("lost-data")), width=100)
    assert "✕ 丢失" in lost or "丢失 ✕" in lost
    assert "(重传)" in lost and re.search(r"重传计时器 RTO \S+ s 超时", lost)
    fast = render_ladder(simulate(load_scenario("fast-retransmit")), width=100)
    assert "(快重传)" in fast and re.search(r"\(#\d+ 的第 \d 个重复确认\)", fast)
    for english in ("app:", "timer:", "(retransmission)", "dup ACK", "✕ lost", "lost ✕", "CLIENT"):
        assert english not in lost + fast


def test_english_is_unchanged_by_the_machinery():
    text = render_ladder(simulate(load_scenario("lost-data")), width=80)
    assert "app: connect()" in text and "(retransmission)" in text and "SYN-SENT → ESTABLISHED" in text
    assert "同步" not in text


WORD_SCENARIOS = ("abort", "closed-port", "keepalive-dead-peer", "zero-window", "nagle-delayed-ack", "syn-timeout",
             "simultaneous-close", "syn-flood", "time-wait-restart", "lost-data")


def names(trace) -> set[str]:
    """What the trace itself names: spoofed sources, the profile."""
    return {s.src for s in trace.segments} | {s.dst for s in trace.segments} | {trace.params["net"]["profile"]}


@pytest.mark.parametrize("name", WORD_SCENARIOS)
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
