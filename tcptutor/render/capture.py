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
from ..capture.observer import UNKNOWN, state_term
from ..i18n import Term, _, local, ngettext, pgettext
from .width import GLUE, display_width, ljust, rjust, wrap as wide_wrap

STATE_W = 13  # "SYN-RECEIVED" and a space (wider when the states are named in Chinese)
SHOWN_SAMPLES = 12  # RTT samples listed in the text; --json has every one


def _wrap(text: str, width: int, indent: str = "", subsequent: str = "", hyphens: bool = False) -> list[str]:
    """textwrap's lines for English (as they always were); by display columns for Chinese."""
    if text.isascii() and indent.isascii():
        return textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=subsequent,
                             break_on_hyphens=hyphens)
    return wide_wrap(indent.replace(" ", GLUE) + text, width, subsequent)  # glued: the indent survives the split at spaces


def _state(name: str) -> str:
    return state_term(name).local().replace(GLUE, " ")


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
    sheet: those fields are `?`, and nothing that would give them away is printed. The words
    are the active language's; the state columns are as wide as its longest state name."""
    quiz = blanks is not None
    blanks = blanks or {}
    c = rep.conn
    client, server = c.label().split(" -> ", 1)
    out = [(_("Connection {n}: client {client}, server {server}") if c.roles_known else
            _("Connection {n}: client {client}, server {server} (roles guessed: no SYN in the capture)")
            ).format(n=c.index, client=client, server=server)]
    isn = pgettext("list", ", ").join(
        (_("{side} {isn}") if c.handshake_seen[s] else _("{side} {isn} (first seq seen - 1)")).format(
            side=Term("endpoint", s).local(), isn=c.isn[s]) for s in ("client", "server"))
    line = (_("ISNs: {isns}; numbers are absolute") if absolute else
            _("ISNs: {isns}; numbers are relative (seq - ISN, ack - the peer's ISN)")).format(isns=isn)
    out += _wrap(line, width, subsequent="  ", hyphens=True)
    states = {_state(st) for row in rep.rows for st in row.states.values()}
    head_client, head_server = Term("endpoint", "client").local(), Term("endpoint", "server").local()
    state_w = max(STATE_W, *(display_width(st) + 1 for st in states | {head_client}))
    mid = max(width - 2 * state_w - 18, 20)
    out.append(f"{'#':>4} {rjust(_('time'), 10)}  {ljust(head_client, state_w)}{'':{mid}}  {head_server}")
    t0 = c.segments[0].time
    shown = {"client": None, "server": None}
    for k, row in enumerate(rep.rows):
        g = row.seg
        text = label(rep, k, absolute, blanks.get(g.i, set()))
        arrow = (ljust(f" {text} ", mid - 1, "─") + "►") if g.side == "client" else ("◄" + rjust(f" {text} ", mid - 1, "─"))
        cells = {}
        for s in ("client", "server"):
            st = row.states[s]
            cells[s] = _state(st) if st != shown[s] else ""
            shown[s] = st
        if display_width(arrow) > mid:
            for w in _wrap(text, width - 17 - state_w, hyphens=True):
                out.append(f"{'':>4} {'':>10}  {'':<{state_w}}{w}")
            arrow = ("─" * (mid - 1) + "►") if g.side == "client" else ("◄" + "─" * (mid - 1))
        out.append(f"{g.i:>4} {g.time - t0:>10.6f}  {ljust(cells['client'], state_w)}{arrow}  {cells['server']}")
        if quiz:
            continue
        notes = [local(f.text) for f in rep.infos[k].findings]
        notes += [_("(revised: {why})").format(why=local(r)) for r in row.revisions]
        notes += [_("(observer: {note})").format(note=local(n)) for n in row.notes]
        notes += [_("{side}: {before} → {after}: {why}").format(
            side=Term("endpoint", m.side).local(), before=state_term(m.before).local(), after=state_term(m.after).local(),
            why=local(m.why)) for m in row.moves if m.before != UNKNOWN or m.after]
        for note in notes:
            for w in _wrap(note, width - 18):
                out.append(f"{'':>17}{w}")
    if quiz:
        return "\n".join(out)
    out.append("")
    out.append(_("What happened:"))
    for line in rep.summary:
        out += _wrap(local(line), width, indent="  - ", subsequent="    ")
    out.append("")
    for line in _lab_lines(rep):
        lead = len(line) - len(line.lstrip())
        out += _wrap(line.lstrip(), width, indent=" " * lead, subsequent=" " * (lead + 2)) or [""]
    return "\n".join(out)


def _lab_lines(rep: ConnectionReport) -> list[str]:
    lab = rep.lab
    out = [_("Lab answers:")]
    if lab.syn:
        out.append("  " + _("SYN: segment #{n} (frame {frame}), seq {seq} (relative 0)").format(
            n=lab.syn["segment"], frame=lab.syn["frame"], seq=lab.syn["seq"]))
    if lab.synack:
        s = lab.synack
        out.append("  " + _("SYN,ACK: segment #{n} (frame {frame}), seq {seq} (relative 0), ack {ack} (relative "
                            "{relative}: the client's ISN + 1)").format(
            n=s["segment"], frame=s["frame"], seq=s["seq"], ack=s["ack"], relative=s["relative_ack"]))
    if lab.data_sender:
        out.append("  " + _("data sender: the {side}").format(side=Term("endpoint", lab.data_sender).local()))
    if lab.rtt:
        out.append("  " + _("RTT samples (Karn: none from a retransmitted segment), EstimatedRTT with alpha = 1/8:"))
        for r in lab.rtt[:SHOWN_SAMPLES]:
            out.append("    " + _("segment #{n} -> ACK #{ack}: SampleRTT {sample:.3f} ms, EstimatedRTT {estimated:.3f} "
                                  "ms").format(n=r.segment, ack=r.ack_segment, sample=r.sample * 1000,
                                               estimated=r.estimated * 1000))
        if len(lab.rtt) > SHOWN_SAMPLES:
            out.append("    " + _("... {n} more (all in --json); after the last, EstimatedRTT {estimated:.3f} ms").format(
                n=len(lab.rtt) - SHOWN_SAMPLES, estimated=lab.rtt[-1].estimated * 1000))
    if lab.in_flight:
        peak = max(lab.in_flight, key=lambda d: d["bytes"])
        out.append("  " + _("bytes in flight: at most {n} (after segment #{segment}); every value is in --json").format(
            n=peak["bytes"], segment=peak["segment"]))
    if lab.throughput is not None:
        out.append("  " + _("throughput: {n} bytes acknowledged in {seconds:.6f} s = {rate:.1f} bytes/s").format(
            n=lab.bytes_acked, seconds=lab.duration, rate=lab.throughput))
    if lab.min_rwnd:
        receiver = "server" if lab.data_sender == "client" else "client"
        out.append("  " + _("smallest receive window advertised by the {side}: {n} bytes (segment #{segment})").format(
            side=Term("endpoint", receiver).local(), n=lab.min_rwnd["bytes"], segment=lab.min_rwnd["segment"]))
    out += ["  " + _("note: {note}").format(note=local(n)) for n in lab.notes]
    return out


def render_explanation(exp: Explanation, *, absolute: bool = False, width: int = 100) -> str:
    connections = len(exp.reports)
    head = [ngettext("{name}: {frames} frames, {segments} TCP segments, {n} connection",
                     "{name}: {frames} frames, {segments} TCP segments, {n} connections", connections).format(
        name=exp.name, frames=exp.frames, segments=sum(len(r.conn.segments) for r in exp.reports), n=connections)]
    for w in exp.warnings:
        head += _wrap(_("warning: {warning}").format(warning=local(w)), width, subsequent="  ")
    head += _wrap(local(VANTAGE), width, hyphens=True)
    parts = ["\n".join(head)] + [render_connection(r, absolute=absolute, width=width) for r in exp.reports]
    return "\n\n".join(parts) + "\n"
