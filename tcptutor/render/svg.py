"""The ladder diagram of a trace as a standalone SVG, for HTML sheets and answer keys.

The same picture as render/ladder.py, drawn: the client's lifeline on the left and the
server's on the right, one slanted arrow per segment from its sender (at its `sent_at`)
down to its receiver (at its `arrived_at`), labelled with its number, flags, seq, ack and
len along the arrow; lost segments stop part way with an ×; state changes, user calls and
timer expiries are written next to the endpoint's lifeline, with the time in that side's
time column. Rows are laid out one after another (not to time scale: a trace spans
milliseconds and minutes), and a silence longer than a second is drawn as a dashed break.

Pure: a typed trace in, a string out. No ids, no external resources, no scripts, so any number
of diagrams can sit inline in one XHTML page, which stays well-formed XML.
"""

from __future__ import annotations

import math
import unicodedata
from functools import cache
from xml.sax.saxutils import escape, quoteattr

from .ladder import (
    ENDPOINTS,
    _chronology,
    _dur,
    _event_lines,
    _flood_summary,
    _group,
    _header,
    _initial,
    _label,
    _long_wait,
    _schedule,
    _start,
    _end,
    _t,
)
from ..tcp import analysis
from ..tcp.trace import SegmentRecord, Trace

FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace"
SIZE = 11  # label font size (px)
CHAR = 0.6 * SIZE  # width of one monospace character
MARGIN = 8
TIME_W = 52  # time columns
X_C = MARGIN + TIME_W + 12  # client lifeline
INNER = 540  # between the lifelines
X_S = X_C + INNER  # server lifeline
WIDTH = X_S + 12 + TIME_W + MARGIN
SLANT = 20  # how far an arrow drops from sender to receiver
LINE = 14  # one text line
LOST_AT = 0.7  # a lost segment's arrow stops this far across

INK = "#222"
GREY = "#777"
HIGHLIGHT = "#c62828"
HIGHLIGHT_BG = "#fdecea"
STATE_INK = "#1a3d7c"


def text_width(text: str, size: float) -> float:
    """Estimated width of `text` at font `size` px: 0.6 em a character (a monospace
    advance), a wide East Asian character two. What drawings are sized with, so no
    text is clipped at the edge of the viewBox."""
    columns = len(text) if text.isascii() else sum(map(_columns, text))  # ASCII is never wide
    return columns * 0.6 * size


@cache
def _columns(ch: str) -> int:
    """Looked up once per character: a ladder's labels measured 4 million lookups per export."""
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def wrap_px(text: str, size: float, max_px: float) -> list[str]:
    """Greedy word wrap to `max_px` by text_width; a word too long on its own (or a run of
    CJK, which has no spaces) is cut by character."""
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if text_width(candidate, size) <= max_px:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        for ch in word:
            if text_width(line + ch, size) > max_px and line:
                lines.append(line)
                line = ""
            line += ch
    if line:
        lines.append(line)
    return lines or [""]


def _w(text: str, size: float = SIZE) -> float:
    return text_width(text, size)


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: float = SIZE, fill: str = INK,
          weight: str | None = None, italic: bool = False, rotate: float | None = None) -> str:
    attrs = [f'x="{x:.1f}"', f'y="{y:.1f}"', f'font-size="{size:g}"', f'fill="{fill}"']
    if anchor != "start":
        attrs.append(f'text-anchor="{anchor}"')
    if weight:
        attrs.append(f'font-weight="{weight}"')
    if italic:
        attrs.append('font-style="italic"')
    if rotate:
        attrs.append(f'transform="rotate({rotate:.2f} {x:.1f} {y:.1f})"')
    return f"<text {' '.join(attrs)}>{escape(text)}</text>"


def _line(x1: float, y1: float, x2: float, y2: float, *, stroke: str = INK, width: float = 1.2,
          dash: str | None = None) -> str:
    extra = f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}" '
            f'stroke-width="{width:g}"{extra}/>')


def _head(x1: float, y1: float, x2: float, y2: float, color: str) -> str:
    """A filled arrowhead at (x2, y2), pointing along (x1, y1) -> (x2, y2)."""
    dx, dy = x2 - x1, y2 - y1
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    bx, by = x2 - 9 * ux, y2 - 9 * uy
    px, py = -uy * 3.8, ux * 3.8
    pts = f"{x2:.1f},{y2:.1f} {bx + px:.1f},{by + py:.1f} {bx - px:.1f},{by - py:.1f}"
    return f'<polygon points="{pts}" fill="{color}"/>'


def _cross(x: float, y: float, color: str) -> str:
    r = 5
    return (_line(x - r, y - r, x + r, y + r, stroke=color, width=2)
            + _line(x - r, y + r, x + r, y - r, stroke=color, width=2))


def _box(x: float, y: float, text: str) -> str:
    """A state name in a box centred on a lifeline; y is the box's top."""
    w = _w(text) + 12
    return (f'<rect x="{x - w / 2:.1f}" y="{y:.1f}" width="{w:.1f}" height="18" rx="3" '
            f'fill="#f3f3f3" stroke="{GREY}"/>'
            + _text(x, y + 13, text, anchor="middle", weight="bold", fill=STATE_INK))


def _split_label(label: str) -> tuple[str, str]:
    """'#9 [ACK] seq=1 (retransmission)' -> ('#9 [ACK] seq=1', '(retransmission)')."""
    main, sep, rest = label.partition(" (")
    return (main, sep.strip() + rest) if sep else (label, "")


def render_ladder_svg(trace: Trace, *, relative: bool = False, highlight=(), seed: int | None = None) -> str:
    """The ladder diagram of `trace` as an <svg> element (a complete SVG document body).

    relative=True labels Wireshark-style relative seq/ack; segments numbered in
    `highlight` (the ones a question asks about) are drawn in red on a tinted band.
    """
    highlight = set(highlight)
    segments = trace.segments
    events = trace.events
    rel = analysis.relative_numbers(trace) if relative else None
    dups = analysis.duplicate_acks(trace)
    wins = analysis.window_changes(trace)
    body: list[str] = []
    y = MARGIN

    # Title and facts, each paragraph wrapped to the diagram's width at its own font size.
    title, *facts = _header(trace, relative, 10**6, seed)  # one line per paragraph
    room = WIDTH - 2 * MARGIN
    for i, line in enumerate(wrap_px(title, 13, room)):
        y += 14 if i == 0 else 16
        body.append(_text(MARGIN, y, line, size=13, weight="bold"))
    for line in (w for f in facts if f for w in wrap_px(f, 10, room)):
        y += 13
        body.append(_text(MARGIN, y, line, size=10, fill=GREY))
    y += 24
    body.append(_text(X_C, y, "CLIENT", anchor="middle", size=12, weight="bold"))
    body.append(_text(X_S, y, "SERVER", anchor="middle", size=12, weight="bold"))
    y += 6
    body.append(_box(X_C, y, _initial(events, "client")))
    body.append(_box(X_S, y, _initial(events, "server")))
    y += 18
    top = y
    breaks: list[tuple[float, float]] = []  # (y0, y1) spans where the lifelines are dashed
    rows: list[str] = []

    def time_left(yy: float, t: str) -> None:
        if t:
            rows.append(_text(X_C - 12, yy, t, anchor="end", size=10, fill=GREY))

    def time_right(yy: float, t: str) -> None:
        if t:
            rows.append(_text(X_S + 12, yy, t, size=10, fill=GREY))

    def banner(lines: list[str], t: str = "") -> None:
        nonlocal y
        for i, text in enumerate(lines):
            y += LINE
            rows.append(_text((X_C + X_S) / 2, y, text, anchor="middle", size=10, fill=GREY, italic=True))
            if i == 0 and t:
                time_left(y, t)
        y += 4

    def segment_row(seg: SegmentRecord) -> None:
        nonlocal y
        drawn, height = _segment(seg, _label(seg, rel, dups, wins), seg.n in highlight, y)
        rows.extend(drawn)
        y += height

    departed: dict[int, float] = {}  # n -> top of the row of a segment whose arrival is drawn later

    latest = None
    for kind, item in _schedule(_group(_chronology(segments, events))):
        if kind == "sent":  # the arrow leaves here and reaches its receiver at its "arrival" row
            departed[item.n] = y
            y += _segment(item, _label(item, rel, dups, wins), item.n in highlight, y)[1]
            latest = max(latest or 0.0, item.sent_seconds)
            continue
        if kind == "arrival":
            y += LINE
            drawn, _ = _segment(item, _label(item, rel, dups, wins), item.n in highlight, departed.pop(item.n),
                                arrive_y=y - 4)
            rows.extend(drawn)
            y += 4
            latest = max(latest or 0.0, item.arrived_seconds)
            continue
        group_rows = item if kind == "flood" else [(kind, item)]
        start = _start(*group_rows[0])
        if latest is not None and _long_wait(latest, start):
            y0 = y
            banner([f"⋮ {_dur(start - latest)} later ⋮"])
            y += 4
            breaks.append((y0 + 2, y - 2))
        if kind == "flood":
            # Summarised, except the segments a question asks about: those get their arrow.
            run: list = []
            for k, i in group_rows + [("end", None)]:
                if k == "end" or (k == "seg" and i.n in highlight):
                    if run:
                        banner(_flood_summary(run), _t(_start(*run[0])))
                        run = []
                    if k == "seg":
                        segment_row(i)
                else:
                    run.append((k, i))
        elif kind == "seg":
            segment_row(item)
        else:
            lines = _event_lines(item)
            if item.endpoint not in (None, *ENDPOINTS):
                lines = [f"{item.endpoint}: {line}" for line in lines]
            if lines:
                side = "client" if item.endpoint == "client" else "server"
                for i, text in enumerate(lines):
                    y += LINE
                    change = "→" in text and not text.startswith(("app:", "timer:", "✗"))
                    colour = STATE_INK if change else ("#b71c1c" if text.startswith("✗") else "#444")
                    if side == "client":
                        rows.append(_text(X_C + 6, y, text, size=10, fill=colour, weight="bold" if change else None))
                        if i == 0:
                            time_left(y, _t(item.at_seconds))
                    else:
                        rows.append(_text(X_S - 6, y, text, anchor="end", size=10, fill=colour,
                                          weight="bold" if change else None))
                        if i == 0:
                            time_right(y, _t(item.at_seconds))
                y += 4
        latest = max([latest or 0.0] + [_end(k, i) for k, i in group_rows])

    y += 8
    bottom = y
    final = trace.final
    # Lifelines: solid, dashed across long silences.
    cursor = top
    for b0, b1 in breaks + [(bottom, bottom)]:
        for x in (X_C, X_S):
            if b0 > cursor:
                body.append(_line(x, cursor, x, b0, stroke=INK, width=1.6))
            if b1 > b0:
                body.append(_line(x, b0, x, b1, stroke=GREY, width=1.2, dash="3 4"))
        cursor = b1
    body.extend(rows)
    body.append(_box(X_C, bottom, final.get("client", "?")))
    body.append(_box(X_S, bottom, final.get("server", "?")))
    height = bottom + 18 + MARGIN

    label = escape(trace.title or "TCP ladder diagram")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label={quoteattr(trace.title or "TCP ladder diagram")} '
            f'width="{WIDTH}" height="{height:.0f}" viewBox="0 0 {WIDTH} {height:.0f}" '
            f'font-family="{FONT}" class="ladder">'
            f"<title>{label}</title>"
            f'<rect x="0" y="0" width="{WIDTH}" height="{height:.0f}" fill="#fff"/>'
            + "".join(body) + "</svg>")


def _x(endpoint: str) -> float:
    """Where an endpoint's arrows start or end: its lifeline; a spoofed source mid-way."""
    return {"client": X_C, "server": X_S}.get(endpoint, (X_C + X_S) / 2)


def _time_at(endpoint: str, y: float, seconds: float | None) -> str:
    if seconds is None or endpoint not in ENDPOINTS:
        return ""
    if endpoint == "client":
        return _text(X_C - 12, y + 4, _t(seconds), anchor="end", size=10, fill=GREY)
    return _text(X_S + 12, y + 4, _t(seconds), size=10, fill=GREY)


def _segment(s: SegmentRecord, label: str, marked: bool, y: float, arrive_y: float | None = None) -> tuple[list[str], float]:
    """One segment's band, arrow, label, times and (lost) cross; y is the top of its row.
    arrive_y: where the arrow meets the receiver when that is further down (a crossing
    segment, see ladder._schedule). Returns the elements and the row's height."""
    out = []
    main, note = _split_label(label)
    foreign = [e for e in (s.src, s.dst) if e not in ENDPOINTS]
    if foreign:  # a spoofed source: say who, since it has no lifeline
        main += f" {s.src}→{s.dst}"
    y0 = y + LINE + 2  # the arrow leaves the sender here
    xa, xb = _x(s.src), _x(s.dst)
    if xa == xb:  # nowhere to go: a stub to the right
        xb = xa + INNER / 4
    rightward = xb > xa
    y1 = y0 + SLANT * abs(xb - xa) / INNER if arrive_y is None else arrive_y  # and reaches the receiver here
    lost = not s.delivered
    colour = HIGHLIGHT if marked else (GREY if lost else INK)
    height = LINE + 2 + SLANT + (LINE if note else 0) + 6
    if marked:
        out.append(f'<rect x="{X_C:.1f}" y="{y + 1:.1f}" width="{INNER:.1f}" height="{height - 2:.1f}" fill="{HIGHLIGHT_BG}"/>')
    if lost:
        xe, ye = xa + (xb - xa) * LOST_AT, y0 + (y1 - y0) * LOST_AT
        out.append(_line(xa, y0, xe, ye, stroke=colour, width=2.2 if marked else 1.4, dash="6 3"))
        out.append(_cross(xe, ye, HIGHLIGHT if marked else "#b71c1c"))
        lx = xe + (10 if rightward else -10)
        out.append(_text(lx, ye + 4, "lost", anchor="start" if rightward else "end", size=10, fill="#b71c1c", italic=True))
    else:
        xe, ye = xb, y1
        out.append(_line(xa, y0, xe, ye, stroke=colour, width=2.2 if marked else 1.4))
        out.append(_head(xa, y0, xe, ye, colour))
    out.append(_time_at(s.src, y0, s.sent_seconds))
    if not lost:
        out.append(_time_at(s.dst, y1, s.arrived_seconds))
    # The label rides on the arrow, rotated to its slope; centred on the drawn part when it
    # fits, else on the whole way between the two ends (or between the lifelines).
    angle = math.degrees(math.atan2(y1 - y0, xb - xa)) if rightward else math.degrees(math.atan2(y0 - y1, xa - xb))
    # A lost segment's label shrinks (down to 8 px) rather than run over its ×.
    size = SIZE
    lo, hi = sorted((xa, xe))
    if hi - lo < _w(main) + 16:
        fit = (hi - lo - 16) / (0.6 * max(len(main), 1))
        if lost and fit >= 8:
            size = fit
        else:
            lo, hi = sorted((xa, xb))
            if hi - lo < _w(main) + 16:
                lo, hi = X_C, X_S
    mx = (lo + hi) / 2
    my = y0 + (y1 - y0) * ((mx - xa) / (xb - xa)) - 4
    out.append(_text(mx, my, main, anchor="middle", size=round(size, 1), fill=colour,
                     weight="bold" if marked else None, rotate=angle))
    if note:
        out.append(_text((X_C + X_S) / 2, y0 + SLANT + LINE - 2, note, anchor="middle", size=10, fill=colour,
                         italic=True))
    return [e for e in out if e], height
