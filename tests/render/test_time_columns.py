"""Down the page, each endpoint's time column never goes back: every shipped scenario,
as text and as SVG (the simultaneous close used to show the client 0.040, 0.050, 0.040)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from tcptutor import library
from tcptutor.render.ladder import render_ladder
from tcptutor.render.svg import X_C, X_S, render_ladder_svg
from tcptutor.tcp.simulator import simulate

SVG = "{http://www.w3.org/2000/svg}"
TRACES = {name: simulate(library.load_scenario(name)) for name in library.scenario_names()}
LEFT = re.compile(r"^\s*(\d+\.\d{3}) [│┊]")
RIGHT = re.compile(r"[│┊] (\d+\.\d{3})$")


def nondecreasing(times: list[float]) -> bool:
    return all(b >= a for a, b in zip(times, times[1:]))


@pytest.mark.parametrize("name", sorted(TRACES))
@pytest.mark.parametrize("relative", [False, True])
def test_text_columns_never_go_back(name, relative):
    lines = render_ladder(TRACES[name], relative=relative).splitlines()
    left = [float(m.group(1)) for m in map(LEFT.search, lines) if m]
    right = [float(m.group(1)) for m in map(RIGHT.search, lines) if m]
    assert left and right
    assert nondecreasing(left), left
    assert nondecreasing(right), right


@pytest.mark.parametrize("name", sorted(TRACES))
def test_svg_columns_never_go_back(name):
    svg = ET.fromstring(render_ladder_svg(TRACES[name]))
    columns: dict[str, list[tuple[float, float]]] = {"left": [], "right": []}
    for t in svg.iter(f"{SVG}text"):
        text = "".join(t.itertext())
        if not re.fullmatch(r"\d+\.\d{3}", text):
            continue
        x, y = float(t.get("x")), float(t.get("y"))
        side = "left" if abs(x - (X_C - 12)) < 0.1 else "right" if abs(x - (X_S + 12)) < 0.1 else None
        if side:
            columns[side].append((y, float(text)))
    for side, marks in columns.items():
        times = [t for _, t in sorted(marks, key=lambda m: m[0])]
        assert nondecreasing(times), (side, times)


def test_simultaneous_close_shows_each_arrival_in_order():
    lines = render_ladder(TRACES["simultaneous-close"]).splitlines()
    arrives = [line for line in lines if "#4 arrives" in line]
    assert len(arrives) == 1 and arrives[0].endswith("│ 0.040")
