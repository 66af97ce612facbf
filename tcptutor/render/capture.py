"""A captured connection as text: the ladder with both sides' inferred states, and what each segment is.

Pure: an Explanation (tcptutor.capture.explain) in, a string out. The simulator's ladder
(render/ladder.py) draws a Trace, whose segments have a send and an arrival time at two
ends; a capture has one time per segment, at one point, so the layout here is one row per
segment: number, time, the client's state, the arrow and its label, the server's state,
and beneath it what the segment is.
"""

from __future__ import annotations

import textwrap

from ..capture.explain import VANTAGE, ConnectionReport, Explanation
from ..capture.observer import UNKNOWN

STATE_W = 13  # "SYN-RECEIVED" and a space
SHOWN_SAMPLES = 12  # RTT samples listed in the text; --json has every one


def _flags(p) -> str:
    order = ("SYN", "FIN", "RST", "PSH", "ACK", "URG", "ECE", "CWR")  # Wireshark's order
    return "[" + ", ".join(f for f in order if p.has(f)) + "]"


def label(rep: ConnectionReport, k: int, absolute: bool, blanks: set[str] = frozenset()) -> str:
    """`blanks`: the fields shown as `?` (a quiz asks for them)."""
    g, info = rep.conn.segments[k], rep.infos[k]
    p = g.pkt
    seq, ack = (p.seq, p.ack) if absolute else (g.rel_seq, g.rel_ack)
    shown = {"seq": seq, "ack": ack, "len": p.length}
    shown = {f: ("?" if f in blanks else v) for f, v in shown.items()}
    parts = [_flags(p), f"seq={shown['seq']}"]
    if p.has("ACK"):
        parts.append(f"ack={shown['ack']}")
    parts.append(f"len={shown['len']}")
    parts.append(f"win={info.window}")
    o = p.options
    if o.mss is not None:
        parts.append(f"mss={o.mss}")
    if o.wscale is not None:
        parts.append(f"ws={o.wscale}")
    if o.sack_permitted:
        parts.append("sack_perm")
    if o.ts is not None:
        parts.append(f"ts={o.ts[0]}/{o.ts[1]}")
    if o.sack:
        base = 0 if absolute else rep.conn.isn[("server" if g.side == "client" else "client")]
        blocks = ",".join(f"{(a - base) % 2**32}-{(b - base) % 2**32}" for a, b in o.sack)
        parts.append(f"sack={blocks}")
    return " ".join(parts)


def render_connection(rep: ConnectionReport, *, absolute: bool = False, width: int = 100,
                      blanks: dict[int, set[str]] | None = None) -> str:
    """The ladder, what happened and the lab answers; with `blanks` (segment -> fields) a quiz
    sheet: those fields are `?`, and nothing that would give them away is printed."""
    quiz = blanks is not None
    blanks = blanks or {}
    c = rep.conn
    out = [f"Connection {c.index}: client {c.label().replace(' -> ', ', server ')}"
           + ("" if c.roles_known else " (roles guessed: no SYN in the capture)")]
    isn = ", ".join(f"{s} {c.isn[s]}" + ("" if c.handshake_seen[s] else " (first seq seen - 1)") for s in ("client", "server"))
    kind = "absolute" if absolute else "relative (seq - ISN, ack - the peer's ISN)"
    out += textwrap.wrap(f"ISNs: {isn}; numbers are {kind}", width, subsequent_indent="  ")
    kind = "absolute" if absolute else "relative (seq - ISN, ack - the peer's ISN)"
    mid = max(width - 2 * STATE_W - 18, 20)
    out.append(f"{'#':>4} {'time':>10}  {'client':<{STATE_W}}{'':{mid}}  server")
    t0 = c.segments[0].time
    shown = {"client": None, "server": None}
    for k, row in enumerate(rep.rows):
        g = row.seg
        text = label(rep, k, absolute, blanks.get(g.i, set()))
        arrow = (f" {text} ".ljust(mid - 1, "─") + "►") if g.side == "client" else ("◄" + f" {text} ".rjust(mid - 1, "─"))
        cells = {}
        for s in ("client", "server"):
            st = row.states[s]
            cells[s] = st if st != shown[s] else ""
            shown[s] = st
        if len(arrow) > mid:
            for w in textwrap.wrap(text, width - 17 - STATE_W):
                out.append(f"{'':>4} {'':>10}  {'':<{STATE_W}}{w}")
            arrow = ("─" * (mid - 1) + "►") if g.side == "client" else ("◄" + "─" * (mid - 1))
        out.append(f"{g.i:>4} {g.time - t0:>10.6f}  {cells['client']:<{STATE_W}}{arrow}  {cells['server']}")
        if quiz:
            continue
        notes = [f.text for f in rep.infos[k].findings] + [f"(revised: {r})" for r in row.revisions]
        notes += [f"(observer: {n})" for n in row.notes]
        notes += [f"{m.side}: {m.before} → {m.after}: {m.why}" for m in row.moves if m.before != UNKNOWN or m.after]
        for note in notes:
            for w in textwrap.wrap(note, width - 18, break_on_hyphens=False):
                out.append(f"{'':>17}{w}")
    if quiz:
        return "\n".join(out)
    out.append("")
    out.append("What happened:")
    for line in rep.summary:
        out += textwrap.wrap(line, width, initial_indent="  - ", subsequent_indent="    ", break_on_hyphens=False)
    out.append("")
    for line in _lab_lines(rep):
        indent = " " * (len(line) - len(line.lstrip()) + 2)
        out += textwrap.wrap(line, width, subsequent_indent=indent, break_on_hyphens=False) or [""]
    return "\n".join(out)


def _lab_lines(rep: ConnectionReport) -> list[str]:
    lab = rep.lab
    out = ["Lab answers:"]
    if lab.syn:
        out.append(f"  SYN: segment #{lab.syn['segment']} (frame {lab.syn['frame']}), seq {lab.syn['seq']} (relative 0)")
    if lab.synack:
        s = lab.synack
        out.append(f"  SYN,ACK: segment #{s['segment']} (frame {s['frame']}), seq {s['seq']} (relative 0), "
                   f"ack {s['ack']} (relative {s['relative_ack']}: the client's ISN + 1)")
    if lab.data_sender:
        out.append(f"  data sender: the {lab.data_sender}")
    if lab.rtt:
        out.append("  RTT samples (Karn: none from a retransmitted segment), EstimatedRTT with alpha = 1/8:")
        for r in lab.rtt[:SHOWN_SAMPLES]:
            out.append(f"    segment #{r.segment} -> ACK #{r.ack_segment}: SampleRTT {r.sample * 1000:.3f} ms, "
                       f"EstimatedRTT {r.estimated * 1000:.3f} ms")
        if len(lab.rtt) > SHOWN_SAMPLES:
            last = lab.rtt[-1]
            out.append(f"    ... {len(lab.rtt) - SHOWN_SAMPLES} more (all in --json); after the last, "
                       f"EstimatedRTT {last.estimated * 1000:.3f} ms")
    if lab.in_flight:
        peak = max(lab.in_flight, key=lambda d: d["bytes"])
        out.append(f"  bytes in flight: at most {peak['bytes']} (after segment #{peak['segment']}); "
                   "every value is in --json")
    if lab.throughput is not None:
        out.append(f"  throughput: {lab.bytes_acked} bytes acknowledged in {lab.duration:.6f} s = "
                   f"{lab.throughput:.1f} bytes/s")
    if lab.min_rwnd:
        out.append(f"  smallest receive window advertised by the {('server' if lab.data_sender == 'client' else 'client')}: "
                   f"{lab.min_rwnd['bytes']} bytes (segment #{lab.min_rwnd['segment']})")
    out += [f"  note: {n}" for n in lab.notes]
    return out


def render_explanation(exp: Explanation, *, absolute: bool = False, width: int = 100) -> str:
    head = [f"{exp.name}: {exp.frames} frames, {sum(len(r.conn.segments) for r in exp.reports)} TCP segments, "
            f"{len(exp.reports)} connection{'s' if len(exp.reports) != 1 else ''}"]
    for w in exp.warnings:
        head += textwrap.wrap(f"warning: {w}", width, subsequent_indent="  ", break_on_hyphens=False)
    head += textwrap.wrap(VANTAGE, width)
    parts = ["\n".join(head)] + [render_connection(r, absolute=absolute, width=width) for r in exp.reports]
    return "\n\n".join(parts) + "\n"
