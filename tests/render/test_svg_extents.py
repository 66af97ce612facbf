"""No SVG text is clipped: each <text>'s estimated extent lies inside the viewBox.

The estimate is the one the drawings are sized with: 0.6 em a character, a wide (CJK)
character two."""

from __future__ import annotations

import dataclasses
import unicodedata

import pytest
from lxml import etree

from tcptutor import library
from tcptutor.course.stats import bar_chart_svg
from tcptutor.render.svg import render_ladder_svg
from tcptutor.tcp.simulator import simulate

SVG = "{http://www.w3.org/2000/svg}"


def estimate(text: str, size: float) -> float:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text) * 0.6 * size


def outside(svg_text: str) -> list[str]:
    root = etree.fromstring(svg_text.encode())
    _, _, width, _ = (float(v) for v in root.get("viewBox").split())
    default = float(root.get("font-size", "16"))
    bad = []
    for t in root.iter(f"{SVG}text"):
        text = "".join(t.itertext())
        size = float(t.get("font-size", default))
        w, x = estimate(text, size), float(t.get("x"))
        anchor = t.get("text-anchor", "start")
        start = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
        if start < -0.5 or start + w > width + 0.5:
            bad.append(f"{text!r} spans {start:.0f}..{start + w:.0f} of 0..{width:.0f}")
    return bad


@pytest.mark.parametrize("name", library.scenario_names())
def test_ladder_text_fits(name):
    assert outside(render_ladder_svg(simulate(library.load_scenario(name)), seed=3)) == []


def test_long_and_wide_ladder_titles_fit():
    trace = simulate(library.load_scenario("handshake"))
    for title in ("A very long title " * 8, "三次握手：客户端与服务器如何同步序列号并建立连接" * 3):
        assert outside(render_ladder_svg(dataclasses.replace(trace, title=title))) == []


@pytest.mark.parametrize("horizontal", [True, False])
def test_misconception_plot_labels_fit(horizontal):
    bars = [("syn-not-counted: the SYN does not take a sequence number (RFC 9293 3.4)", 12),
            ("time-wait-on-the-wrong-side-of-the-connection", 7), ("序列号回绕时的比较", 3), ("x", 1)]
    svg = bar_chart_svg("Most frequent misconceptions in this class, by number of students", bars,
                        horizontal=horizontal)
    assert outside(svg) == []
