"""A whole capture explained: its connections, each side's states, what happened, the lab answers.

Pure: takes the decoded packets (pcapfile reads them). `Explanation.to_json()` is the
documented, stable shape of `tcptutor explain --json` (docs/explain-json.md, format
tcptutor.explain/1): add keys, never rename or remove them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..i18n import N_, NP_, Said, Term
from . import events as ev
from .connections import SIDES, Connection, split_connections
from .events import SegInfo, analyse
from .lab import Lab, lab_answers
from .observer import UNKNOWN, Row, observe, state_path, state_term
from .packet import Packet

FORMAT = "tcptutor.explain/1"
VANTAGE = Said(N_("One capture point sees each segment once, at one place: it cannot know whether a segment it saw "
                   "arrived, nor whether one it did not see was lost before or after the other side; states are "
                   "inferred as if each segment arrived when seen."))
SHORT = NP_("snaplen", "short")  # "snaplen short": the capture's snaplen is not known


@dataclass
class ConnectionReport:
    conn: Connection
    rows: list[Row]
    infos: list[SegInfo]
    lab: Lab
    summary: list[str] = field(default_factory=list)  # Said sentences
    teardown: dict = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for i in self.infos:
            for k in i.kinds():
                out[k] = out.get(k, 0) + 1
        return dict(sorted(out.items()))

    def to_json(self) -> dict:
        c = self.conn
        t0 = c.segments[0].time
        return {
            "index": c.index,
            "client": {"address": c.addr["client"][0], "port": c.addr["client"][1]},
            "server": {"address": c.addr["server"][0], "port": c.addr["server"][1]},
            "roles_known": c.roles_known,
            "handshake_seen": c.handshake_seen["client"] and c.handshake_seen["server"],
            "isn": dict(c.isn),
            "start": t0,
            "segments": [_segment_json(r, i, t0) for r, i in zip(self.rows, self.infos)],
            "states": {s: state_path(self.rows, s) for s in SIDES},
            "final_states": dict(self.rows[-1].states),
            "counts": self.counts(),
            "summary": list(self.summary),
            "teardown": self.teardown,
            "lab": self.lab.to_json(),
        }


def _segment_json(r: Row, i: SegInfo, t0: float) -> dict:
    g, p = r.seg, r.seg.pkt
    return {
        "n": g.i, "frame": g.frame, "time": round(g.time - t0, 6), "from": g.side,
        "flags": [f for f in ("SYN", "ACK", "FIN", "RST", "PSH", "URG", "ECE", "CWR") if p.has(f)],
        "seq": p.seq, "ack": p.ack if p.has("ACK") else None,
        "relative_seq": g.rel_seq, "relative_ack": g.rel_ack if p.has("ACK") else None,
        "len": p.length, "window": i.window, "window_field": p.window,
        "options": p.options.to_json(),
        "states": dict(r.states),
        "moves": [m.to_json() for m in r.moves],
        "revisions": list(r.revisions),
        "observer_notes": list(r.notes),
        "findings": [f.to_json() for f in i.findings],
    }


def _teardown(rep: ConnectionReport) -> dict:
    segs = rep.conn.segments
    fins = [g for g in segs if g.has("FIN")]
    rst = next((g for g in segs if g.has("RST")), None)
    final = rep.rows[-1].states
    out: dict = {"first_fin": None, "complete": False, "time_wait": None, "reset": None}
    if rst is not None:
        out["reset"] = {"segment": rst.i, "by": rst.side}
    if fins:
        first = fins[0]
        out["first_fin"] = {"segment": first.i, "by": first.side}
        ends = {s: [g for g in fins if g.side == s] for s in SIDES}
        acked = {s: any(a.side != s and a.has("ACK") and ends[s] and a.rel_ack >= ends[s][0].end for a in segs)
                 for s in SIDES}
        out["complete"] = all(ends[s] for s in SIDES) and all(acked.values())
    tw = [s for s in SIDES if final[s] == "TIME-WAIT"]
    out["time_wait"] = tw[0] if tw else None
    return out


COUNTED = {  # kind: the summary's sentence for n findings of it
    ev.FAST_RETRANSMISSION: lambda n: Said.ngettext("{n} fast retransmission.", "{n} fast retransmissions.", n),
    ev.TIMEOUT_RETRANSMISSION: lambda n: Said.ngettext("{n} retransmission probably by timeout.",
                                                       "{n} retransmissions probably by timeout.", n),
    ev.SPURIOUS: lambda n: Said.ngettext("{n} spurious retransmission.", "{n} spurious retransmissions.", n),
    ev.DUP_ACK: lambda n: Said.ngettext("{n} duplicate ACK.", "{n} duplicate ACKs.", n),
    ev.WINDOW_UPDATE: lambda n: Said.ngettext("{n} window update.", "{n} window updates.", n),
    ev.ZERO_WINDOW: lambda n: Said.ngettext("{n} segment advertising a zero window.",
                                            "{n} segments advertising a zero window.", n),
    ev.ZERO_WINDOW_PROBE: lambda n: Said.ngettext("{n} probe into the zero window.", "{n} probes into the zero window.", n),
    ev.KEEPALIVE: lambda n: Said.ngettext("{n} keep-alive.", "{n} keep-alives.", n),
    ev.WINDOW_FULL: lambda n: Said.ngettext(
        "{n} segment that filled the receiver's window (flow control held the sender back).",
        "{n} segments that filled the receiver's window (flow control held the sender back).", n),
    ev.GAP: lambda n: Said.ngettext("{n} gap (segments not captured).", "{n} gaps (segments not captured).", n),
    ev.OFFLOAD: lambda n: Said.ngettext("{n} segment larger than the MSS (segmentation offload).",
                                        "{n} segments larger than the MSS (segmentation offload).", n),
}


def _summary(rep: ConnectionReport) -> list[Said]:
    c, counts, lines = rep.conn, rep.counts(), []
    if c.handshake_seen["client"] and c.handshake_seen["server"]:
        lines.append(Said(N_("The three-way handshake is in the capture (RFC 9293 3.5).")))
    elif not c.roles_known:
        lines.append(Said(N_("The capture starts mid-connection: no SYN, so which side is the client is a guess (the "
                             "higher port), and both states start unknown, then ESTABLISHED.")))
    data = {s: sum(g.length for g in c.segments if g.side == s) for s in SIDES}
    if any(data.values()):
        lines.append(Said(N_("Data: the client sent {client} bytes, the server {server} bytes (retransmissions "
                             "included)."), **data))
    for kind, sentence in COUNTED.items():
        n = counts.get(kind, 0)
        if n:
            lines.append(sentence(n))
    td = rep.teardown
    finals = rep.rows[-1].states
    if td.get("reset"):
        k = td["reset"]["segment"]
        why = next((f.text for f in rep.infos[k - 1].findings if f.kind == ev.RESET), "")
        lines.append(Said(N_("The {by} reset the connection (segment #{k}): {why}."),
                          by=Term("endpoint", td["reset"]["by"]), k=k, why=why))
    if td.get("first_fin"):
        who = Term("endpoint", td["first_fin"]["by"])
        if td["complete"] and all(finals[s] == "TIME-WAIT" for s in SIDES):
            lines.append(Said(N_("Teardown complete, and the FINs crossed (a simultaneous close): both sides pass "
                                 "through CLOSING and both end in TIME-WAIT (RFC 9293 3.6, figure 13).")))
        elif td["complete"]:
            lines.append(Said(N_("Teardown complete: the {who} sent the first FIN (the active close), so the {who} ends "
                                 "in TIME-WAIT for 2 MSL (RFC 9293 3.6) and the other side in CLOSED."), who=who))
        else:
            lines.append(Said(N_("The {who} sent the first FIN, but the teardown is not complete in the capture."),
                              who=who))
    lines.append(Said(N_("At the end of the capture: client {client}, server {server}."),
                      client=state_term(finals["client"]), server=state_term(finals["server"])))
    if any(finals[s] == UNKNOWN for s in SIDES):
        lines.append(Said(N_("A side that never sent nor received a segment this observer can interpret stays unknown.")))
    return lines


@dataclass
class Explanation:
    name: str
    frames: int
    reports: list[ConnectionReport]
    warnings: list[str] = field(default_factory=list)
    snaplen: int = 0

    def to_json(self) -> dict:
        return {"format": FORMAT, "capture": self.name, "frames": self.frames,
                "tcp_segments": sum(len(r.conn.segments) for r in self.reports),
                "snaplen": self.snaplen, "warnings": list(self.warnings), "vantage_point": VANTAGE,
                "connections": [r.to_json() for r in self.reports]}


def explain_packets(packets: list[Packet], *, name: str = "<capture>", frames: int | None = None,
                    warnings: list[str] = (), snaplen: int = 0) -> Explanation:
    reports = []
    for conn in split_connections(packets):
        rows, infos = observe(conn), analyse(conn)
        rep = ConnectionReport(conn, rows, infos, lab_answers(conn, infos))
        rep.teardown = _teardown(rep)
        rep.summary = _summary(rep)
        reports.append(rep)
    warn = list(warnings)
    cut = sum(1 for p in packets if p.truncated)
    if cut:
        warn.append(Said(N_("{n} segments were captured without all their payload (snaplen {snaplen}): lengths come "
                            "from the IP header, which is all an explanation needs"),
                         n=cut, snaplen=snaplen or Term("snaplen", SHORT)))
    guessed = sum(1 for p in packets if p.length_from_capture)
    if guessed:
        warn.append(Said(N_("{n} packets have IP length 0 (segmentation offload writes it so): their length is what "
                            "was captured"), n=guessed))
    return Explanation(name, frames if frames is not None else len(packets), reports, warn, snaplen)
