"""render/plot.py: the cwnd and time-sequence plots as SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from tcptutor.render.ladder import render_ladder
from tcptutor.render.plot import cwnd_series, render_plot
from tcptutor.tcp import analysis
from tcptutor.tcp.scenario import parse_scenario
from tcptutor.tcp.simulator import simulate

SVG = "{http://www.w3.org/2000/svg}"
RENO_LOSS = """title = "Reno after a loss"
steps = ["server listen", "client connect", "drop 12th client->server DATA",
 "client send 40000", "wait 5s"]
[client]
isn = 1000
mss = 1000
cc = "%s"
[server]
isn = 5000
"""


def _trace(cc: str = "reno"):
    return simulate(parse_scenario(RENO_LOSS % cc))


def _points(root, cls: str) -> list[tuple[float, float]]:
    (line,) = [p for p in root.iter(f"{SVG}polyline") if p.get("class") == cls]
    return [tuple(map(float, pair.split(","))) for pair in line.get("points").split()]


def _is_linear(values: list[float], pixels: list[float]) -> bool:
    """pixels = a + b * values for one a and b: the plot draws the values, to rounding."""
    (v0, p0), (v1, p1) = next(((values[i], pixels[i]), (values[j], pixels[j]))
                              for i in range(len(values)) for j in range(i + 1, len(values))
                              if values[i] != values[j])
    slope = (p1 - p0) / (v1 - v0)
    return all(abs(p0 + slope * (v - v0) - p) < 0.05 for v, p in zip(values, pixels))


def test_the_svg_parses_and_its_cwnd_line_follows_the_trace():
    trace = _trace()
    root = ET.fromstring(render_plot(trace))
    assert root.tag == f"{SVG}svg"
    series = cwnd_series(trace, "client", "cwnd")
    values = [v for _, v in series]
    assert 4000 in values and 7500 in values  # IW 4 x 1000; ssthresh after the loss
    points = _points(root, "cwnd")
    # a step line: each value at its own time, then held until the next one
    assert len(points) == 2 * len(values)
    assert _is_linear(values, [y for _, y in points[0::2]])
    assert _is_linear([t for t, _ in series], [x for x, _ in points[0::2]])
    # higher cwnd is higher on the page (smaller y)
    top = min(range(len(values)), key=lambda i: points[2 * i][1])
    assert values[top] == max(values)


def test_ssthresh_and_the_rounds_are_drawn_from_the_trace():
    trace = _trace()
    root = ET.fromstring(render_plot(trace))
    assert [v for _, v in cwnd_series(trace, "client", "ssthresh")] == [7500]
    rounds = analysis.transmission_rounds(trace, "client")
    segments = [e.tcb.cwnd / 1000 for _, _, e in rounds]
    assert segments[:2] == [4, 8]  # slow start doubles per round (RFC 5681 3.1)
    points = _points(root, "round-cwnd")
    assert _is_linear([k for k, _, _ in rounds], [x for x, _ in points])
    assert _is_linear(segments, [y for _, y in points])


def test_the_time_sequence_graph_marks_every_data_segment_and_the_retransmission():
    trace = _trace()
    root = ET.fromstring(render_plot(trace))
    bars = [e for e in root.iter(f"{SVG}line") if e.get("class") == "segment"]
    data = [s for s in trace.segments if s.src == "client" and s.length]
    assert len(bars) == len(data)
    red = [b for b, s in zip(bars, data) if b.get("stroke") != bars[0].get("stroke")]
    assert len(red) == sum(s.retransmission for s in data) >= 1
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "R" in texts and "×" in texts  # the retransmission and the lost segment
    ack = _points(root, "ack")
    assert [y for _, y in ack] == sorted((y for _, y in ack), reverse=True)  # the ACK line only rises
    assert _points(root, "window")


def test_without_congestion_control_the_plot_says_why_there_is_no_cwnd():
    root = ET.fromstring(render_plot(_trace("none")))
    assert not [p for p in root.iter(f"{SVG}polyline") if p.get("class") == "cwnd"]
    assert any("cc = \"none\"" in (t.text or "") for t in root.iter(f"{SVG}text"))


def test_the_ladder_shows_the_windows_with_tcb_and_keeps_its_width():
    trace = _trace()
    plain = render_ladder(trace, width=70)
    shown = render_ladder(trace, width=70, tcb=True)
    assert "cwnd=" not in plain
    assert "[cwnd=4000" in shown and "ssthresh=7500" in shown
    assert max(len(line) for line in shown.splitlines()) <= 70


def test_axes_tick_at_round_values_and_reach_past_the_data():
    from tcptutor.render.plot import nice_ticks

    assert nice_ticks(0, 26061) == [0, 5000, 10000, 15000, 20000, 25000, 30000]
    assert nice_ticks(0, 0.239) == [0, 0.05, 0.1, 0.15, 0.2, 0.25]
    assert nice_ticks(0, 3, whole=True) == [0, 1, 2, 3]  # rounds are whole numbers
    for high in (1, 7.5, 13.2, 999, 123456):
        ticks = nice_ticks(0, high)
        assert 4 <= len(ticks) <= 8 and ticks[-1] >= high
