"""The ladder in Chinese: the textbook state names beside the RFC's, Chinese words for what
happened, and the lifelines straight however wide the characters are."""

from __future__ import annotations

import re

import pytest

from tcptutor import i18n
from tcptutor.library import load_scenario
from tcptutor.render.ladder import render_ladder
from tcptutor.render.width import display_width
from tcptutor.tcp.simulator import simulate

SCENARIOS = ("handshake", "lost-data", "fast-retransmit", "half-close", "keepalive-dead-peer", "syn-flood-cookies",
             "simultaneous-close")


@pytest.fixture
def zh():
    i18n.use("zh")
    yield
    i18n.use("en")


def bars(line: str) -> list[int]:
    """Display columns of the lifelines (│ or ┊) in a diagram row."""
    cols, col = [], 0
    for ch in line:
        if ch in "│┊":
            cols.append(col)
        col += display_width(ch)
    return cols


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
