"""Plots of a trace as one standalone SVG: what a textbook draws beside a TCP transfer.

Three panels, top to bottom, for the endpoint that sent the most data (analysis.data_sender):
(a) cwnd and ssthresh over time, in bytes (the sawtooth of RFC 5681);
(b) cwnd per transmission round, in segments, the way Kurose & Ross draw slow start and
    congestion avoidance (analysis.transmission_rounds);
(c) a time-sequence graph as tcptrace and Stevens draw it: each data segment a vertical
    bar from its seq to seq + len at the time it was sent (retransmissions in red with an
    R, lost segments with an ×), the ACK line (the highest ACK the sender has received)
    and the receive window's edge (that ACK + the window it advertised).
Pure: a typed trace in, a string out (xml.sax.saxutils only). Each data line is one
<polyline> with a class naming it (cwnd, ssthresh, round-cwnd, ack, window) so a reader
or a test can find it.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape, quoteattr

from ..i18n import _, pgettext
from ..tcp import analysis
from ..tcp.trace import Trace
from .width import display_width

WIDTH = 760
PANEL_H = 220
LEFT, RIGHT, TOP, BOTTOM = 80, 20, 30, 40  # margins of each panel's plotting area
FONT = "DejaVu Sans, Arial, sans-serif"
INK, GREY, CWND, SSTHRESH, LOST, RETX, WINDOW = "#222", "#999", "#1565c0", "#ef6c00", "#c62828", "#c62828", "#2e7d32"


def nice_ticks(low: float, high: float, whole: bool = False) -> list[float]:
    """Round tick values from `low` up to the first tick at or above `high`: steps of 1, 2 or
    5 times a power of ten, four to eight ticks (whole numbers only if `whole`), so an axis
    reads 0, 5000, 10000 ... rather than 0, 6515.25, 13030.5."""
    span = high - low if high > low else 1.0
    step = 10.0 ** math.floor(math.log10(span / 4))
    for factor in (1, 2, 5, 10):
        if span / (step * factor) <= 7:
            step *= factor
            break
    if whole:
        step = max(1.0, round(step))
    first = math.floor(low / step) * step
    ticks = [first]
    while ticks[-1] < high - 1e-9 * step:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks if len(ticks) > 1 else [first, first + step]


class _Axes:
    """A linear map from data (x, y) to one panel's pixels; y grows upward. Each axis runs
    to the round tick at or above its data (nice_ticks)."""

    def __init__(self, index: int, xmax: float, ymax: float, xmin: float = 0.0, ymin: float = 0.0,
                 whole_x: bool = False):
        self.top = index * PANEL_H + TOP
        self.height = PANEL_H - TOP - BOTTOM
        self.left, self.width = LEFT, WIDTH - LEFT - RIGHT
        self.xticks = nice_ticks(xmin, xmax, whole_x)
        self.yticks = nice_ticks(ymin, ymax)
        self.xmin, self.xmax = self.xticks[0], self.xticks[-1]
        self.ymin, self.ymax = self.yticks[0], self.yticks[-1]

    def x(self, v: float) -> float:
        return round(self.left + (v - self.xmin) / (self.xmax - self.xmin) * self.width, 2)

    def y(self, v: float) -> float:
        return round(self.top + self.height - (v - self.ymin) / (self.ymax - self.ymin) * self.height, 2)

    def frame(self, title: str, xlabel: str, ylabel: str) -> list[str]:
        bottom, right = self.top + self.height, self.left + self.width
        out = [
            f'<text x="{self.left}" y="{self.top - 10}" font-weight="bold">{escape(title)}</text>',
            f'<path d="M{self.left},{self.top} V{bottom} H{right}" fill="none" stroke="{INK}"/>',
            f'<text x="{self.left + self.width / 2}" y="{bottom + 32}" text-anchor="middle">{escape(xlabel)}</text>',
            f'<text x="14" y="{self.top + self.height / 2}" text-anchor="middle" '
            f'transform="rotate(-90 14 {self.top + self.height / 2})">{escape(ylabel)}</text>',
        ]
        for xv in self.xticks:
            out.append(f'<text x="{self.x(xv)}" y="{bottom + 15}" text-anchor="middle" fill="{GREY}">{_num(xv)}</text>')
        for yv in self.yticks:
            out.append(f'<text x="{self.left - 5}" y="{self.y(yv) + 4}" text-anchor="end" fill="{GREY}">{_num(yv)}</text>')
        return out


def _num(v: float) -> str:
    return f"{v:.3f}".rstrip("0").rstrip(".") if v != int(v) else str(int(v))


def _polyline(cls: str, points: list[tuple[float, float]], colour: str, dashed: bool = False) -> str:
    dash = ' stroke-dasharray="5,3"' if dashed else ""
    pts = " ".join(f"{x},{y}" for x, y in points)
    return f'<polyline class={quoteattr(cls)} points="{pts}" fill="none" stroke="{colour}" stroke-width="1.5"{dash}/>'


def _steps(values: list[tuple[float, float]], end: float) -> list[tuple[float, float]]:
    """A step line: each value holds until the next one (cwnd changes at events)."""
    out: list[tuple[float, float]] = []
    for t, v in values:
        if out:
            out.append((t, out[-1][1]))
        out.append((t, v))
    if out:
        out.append((max(end, out[-1][0]), out[-1][1]))
    return out


def cwnd_series(trace: Trace, endpoint: str, name: str) -> list[tuple[float, int]]:
    """(time in seconds, value) of the TCB variable `name` after each of the endpoint's events
    that has it, dropping repeats: the points panel (a) draws."""
    out: list[tuple[float, int]] = []
    for e in trace.events:
        if e.endpoint == endpoint and e.tcb is not None:
            v = e.tcb.get(name)
            if v is not None and (not out or out[-1][1] != v):
                out.append((e.at_seconds, v))
    return out


def render_plot(trace: Trace) -> str:
    """The three panels as one SVG document."""
    sender = analysis.data_sender(trace)
    receiver = "server" if sender == "client" else "client"
    who = pgettext("endpoint", sender)
    end = max([0.0] + [e.at_seconds for e in trace.events]
              + [s.arrived_seconds or s.sent_seconds for s in trace.segments])
    body: list[str] = []

    # (a) cwnd and ssthresh over time
    cwnd = cwnd_series(trace, sender, "cwnd")
    ssthresh = cwnd_series(trace, sender, "ssthresh")
    top = max([1] + [v for _, v in cwnd + ssthresh])
    a = _Axes(0, end, top)
    body += a.frame(_("(a) {sender}: cwnd and ssthresh over time").format(sender=who), _("time (s)"),
                    pgettext("plot axis", "bytes"))
    if cwnd:
        body.append(_polyline("cwnd", [(a.x(t), a.y(v)) for t, v in _steps(cwnd, end)], CWND))
        body.append(_polyline("ssthresh", [(a.x(t), a.y(v)) for t, v in _steps(ssthresh, end)], SSTHRESH, True)
                    if ssthresh else "")
        body.append(_legend(a, [("cwnd", CWND), ("ssthresh", SSTHRESH)]))
    else:
        note = _("no congestion window: cc = \"none\" (only the peer's window limits the sender)")
        body.append(f'<text x="{a.left + 10}" y="{a.top + 20}">{escape(note)}</text>')

    # (b) cwnd per transmission round, in segments
    mss = max([r.length for r in trace.segments if r.src == sender] + [1])
    rounds = [(k, round(e.tcb.cwnd / mss, 2)) for k, r, e in analysis.transmission_rounds(trace, sender)
              if e.tcb is not None and e.tcb.cwnd is not None]
    b = _Axes(1, max([1] + [k for k, _ in rounds]), max([1] + [v for _, v in rounds]), xmin=0, whole_x=True)
    body += b.frame(_("(b) {sender}: cwnd per transmission round (MSS {mss})").format(sender=who, mss=mss),
                    _("transmission round"), pgettext("plot axis", "segments"))
    if rounds:
        points = [(b.x(k), b.y(v)) for k, v in rounds]
        body.append(_polyline("round-cwnd", points, CWND))
        body += [f'<circle cx="{x}" cy="{y}" r="3" fill="{CWND}"/>' for x, y in points]

    # (c) time-sequence graph
    isn = analysis.isns(trace).get((sender, receiver), 0)
    rel = lambda s: (s - isn) % analysis.SEQ_SPACE  # noqa: E731
    data = [s for s in trace.segments if s.src == sender and s.length]
    acks: list[tuple[float, int]] = []
    edge: list[tuple[float, int]] = []
    for s in trace.segments:
        if s.src == receiver and s.has("ACK") and s.delivered and not s.has("SYN"):
            ack = rel(s.ack)
            if not acks or ack >= acks[-1][1]:
                acks.append((s.arrived_seconds, ack))
                edge.append((s.arrived_seconds, ack + s.win))
    ytop = max([1] + [rel(s.seq) + s.length for s in data] + [v for _, v in acks])
    c = _Axes(2, end, ytop)
    body += c.frame(_("(c) {sender}: time-sequence graph").format(sender=who), _("time (s)"),
                    _("relative sequence number"))
    for s in data:
        x, y0, y1 = c.x(s.sent_seconds), c.y(rel(s.seq)), c.y(rel(s.seq) + s.length)
        colour = RETX if s.retransmission else INK
        body.append(f'<line class="segment" x1="{x}" y1="{y0}" x2="{x}" y2="{y1}" stroke="{colour}" stroke-width="2"/>')
        if s.retransmission:
            body.append(f'<text x="{x + 2}" y="{y1 - 2}" fill="{RETX}" font-size="9">R</text>')
        if not s.delivered:
            body.append(f'<text x="{x}" y="{y1 - 4}" text-anchor="middle" fill="{LOST}">×</text>')
    if acks:
        body.append(_polyline("ack", [(c.x(t), c.y(v)) for t, v in _steps(acks, end)], CWND))
        body.append(_polyline("window", [(c.x(t), c.y(min(v, ytop * 1.05))) for t, v in _steps(edge, end)],
                              WINDOW, True))
    body.append(_legend(c, [(_("data (R: retransmission, ×: lost)"), INK), ("ACK", CWND), (_("window edge"), WINDOW)]))

    height = 3 * PANEL_H
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" font-family="{FONT}" font-size="11">')
    title = f'<title>{escape(trace.title)}</title>'
    background = f'<rect width="{WIDTH}" height="{height}" fill="white"/>'
    return "\n".join([head, title, background, *filter(None, body), "</svg>"]) + "\n"


def _legend(ax: _Axes, items: list[tuple[str, str]]) -> str:
    out, x = [], ax.left + ax.width
    for label, colour in reversed(items):
        x -= 10 + 6.5 * display_width(label) + 20  # a Chinese character takes two columns
        out.append(f'<rect x="{x}" y="{ax.top - 18}" width="12" height="3" fill="{colour}"/>'
                   f'<text x="{x + 16}" y="{ax.top - 13}">{escape(label)}</text>')
    return "".join(out)
