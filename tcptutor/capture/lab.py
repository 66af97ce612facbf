"""The answers a capture lab asks for (the textbook Wireshark TCP lab), read off one connection.

- the SYN and the SYN,ACK: frame, seq raw and relative, the SYN,ACK's ack;
- RTT samples: a data segment to the first ACK that covers all of it; by Karn's rule
  (RFC 6298 3) no sample from a segment whose bytes were sent more than once;
- EstimatedRTT after each sample, EstimatedRTT = (1-a) EstimatedRTT + a SampleRTT with
  a = 1/8 (RFC 6298 2.3), the first sample taken as it is (RFC 6298 2.2);
- bytes in flight after each segment of the data sender (sent, not yet acknowledged, as
  the capture point sees it: a capture at the receiver sees it one trip late);
- throughput: bytes acknowledged / the time from the first data segment to the last ACK;
- the receive window's minimum, as the receiver advertised it (scaled, RFC 7323 2.2), and
  the segments that filled it (the receiver's buffer throttled the sender there).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from ..i18n import N_, Said
from .connections import Connection, Seg, other
from .events import SegInfo

ALPHA = 1 / 8  # RFC 6298 2.3


@dataclass
class RttSample:
    segment: int  # the data segment (number within the connection)
    frame: int
    ack_segment: int
    ack_frame: int
    sample: float  # seconds
    estimated: float  # EstimatedRTT after this sample

    def to_json(self) -> dict:
        return {"segment": self.segment, "frame": self.frame, "ack_segment": self.ack_segment,
                "ack_frame": self.ack_frame, "sample_rtt": round(self.sample, 6),
                "estimated_rtt": round(self.estimated, 6)}


@dataclass
class Lab:
    data_sender: str | None
    syn: dict | None = None
    synack: dict | None = None
    rtt: list[RttSample] = field(default_factory=list)
    in_flight: list[dict] = field(default_factory=list)
    bytes_acked: int = 0
    duration: float = 0.0
    throughput: float | None = None  # bytes per second
    min_rwnd: dict | None = None
    window_full: list[int] = field(default_factory=list)  # segments that filled the receiver's window
    notes: list[str] = field(default_factory=list)  # Said

    def to_json(self) -> dict:
        return {
            "data_sender": self.data_sender, "syn": self.syn, "synack": self.synack,
            "rtt_samples": [r.to_json() for r in self.rtt], "alpha": ALPHA,
            "bytes_in_flight": self.in_flight, "bytes_acked": self.bytes_acked,
            "duration": round(self.duration, 6),
            "throughput_bytes_per_second": None if self.throughput is None else round(self.throughput, 3),
            "min_receive_window": self.min_rwnd, "window_full": self.window_full, "notes": self.notes,
        }


def _syn(seg: Seg) -> dict:
    d = {"segment": seg.i, "frame": seg.frame, "seq": seg.pkt.seq, "relative_seq": seg.rel_seq}
    if seg.has("ACK"):
        d.update(ack=seg.pkt.ack, relative_ack=seg.rel_ack)
    return d


def lab_answers(conn: Connection, infos: list[SegInfo]) -> Lab:
    segs = conn.segments
    sent = {s: sum(g.length for g in segs if g.side == s) for s in ("client", "server")}
    sender = max(sent, key=lambda s: sent[s]) if any(sent.values()) else None
    lab = Lab(sender)
    syn = next((g for g in segs if g.has("SYN") and not g.has("ACK")), None)
    synack = next((g for g in segs if g.has("SYN") and g.has("ACK")), None)
    lab.syn = _syn(syn) if syn else None
    lab.synack = _syn(synack) if synack else None
    if syn is None:
        lab.notes.append(Said(N_("no SYN in the capture: it starts mid-connection, relative numbers count from the first segment seen")))
    if sender is None:
        lab.notes.append(Said(N_("no data in either direction: no RTT samples, no throughput")))
        return lab
    receiver = other(sender)
    data = [g for g in segs if g.side == sender and g.length]
    ambiguous = _sent_more_than_once(data)  # Karn: bytes sent twice give no sample
    resent = [g.i for g in data if g.i in ambiguous and _overlaps_earlier(g, data)]
    acks = [a for a in segs if a.side == receiver and a.has("ACK")]
    highest, top = [], None  # the highest ACK so far, after each of the receiver's ACKs
    for a in acks:
        top = a.rel_ack if top is None else max(top, a.rel_ack)
        highest.append(top)
    est = None
    for g in data:
        if g.i in ambiguous:
            continue
        end = g.rel_seq + g.length
        j = bisect.bisect_left(highest, end)  # the first ACK that covers it (cumulative: the highest so far)
        while j < len(acks) and acks[j].i < g.i:
            j += 1
        if j >= len(acks) or acks[j].rel_ack < end:
            j = next((k for k in range(j, len(acks)) if acks[k].i > g.i and acks[k].rel_ack >= end), len(acks))
        if j >= len(acks):
            continue
        ack = acks[j]
        lo = bisect.bisect_right(resent, g.i)
        if lo < len(resent) and resent[lo] < ack.i:
            continue  # Karn again: a retransmission went out before the ACK, which may answer it instead
        sample = ack.time - g.time
        est = sample if est is None else (1 - ALPHA) * est + ALPHA * sample
        lab.rtt.append(RttSample(g.i, g.frame, ack.i, ack.frame, sample, est))
    una, nxt = None, None
    for g in segs:
        if g.side == receiver and g.has("ACK"):
            una = g.rel_ack if una is None else max(una, g.rel_ack)
        elif g.side == sender:
            nxt = g.end if nxt is None else max(nxt, g.end)
            if una is not None and g.length:
                lab.in_flight.append({"segment": g.i, "frame": g.frame, "time": round(g.time - segs[0].time, 6),
                                      "bytes": max(nxt - una, 0)})
    first = data[0]
    last_ack = max((a for a in segs if a.side == receiver and a.has("ACK")), key=lambda a: (a.rel_ack, -a.i), default=None)
    if last_ack is not None:
        lab.bytes_acked = max(last_ack.rel_ack - first.rel_seq - (1 if any(g.has("FIN") and g.side == sender and g.end <= last_ack.rel_ack for g in segs) else 0), 0)
        lab.duration = last_ack.time - first.time
        if lab.duration > 0:
            lab.throughput = lab.bytes_acked / lab.duration
    lab.window_full = [i.seg.i for i in infos if i.seg.side == sender and any(f.kind == "window-full" for f in i.findings)]
    wins = [(i.window, i.seg) for i in infos if i.seg.side == receiver and not i.seg.has("RST")]
    if wins:
        w, g = min(wins, key=lambda x: x[0])
        lab.min_rwnd = {"bytes": w, "segment": g.i, "frame": g.frame}
        if any(v is None for v in _scale_known(conn)):
            lab.notes.append(Said(N_("the handshake is not in the capture, so the window scale is unknown: windows are the raw field")))
    return lab


def _sent_more_than_once(data: list[Seg]) -> set[int]:
    """Numbers of the data segments whose bytes overlap another's (a sweep over the ranges)."""
    out: set[int] = set()
    ranges = sorted(data, key=lambda g: (g.rel_seq, g.i))
    reach, owner = None, None  # the furthest end so far, and the segment that reaches it
    for g in ranges:
        if reach is not None and g.rel_seq < reach:
            out.add(g.i)
            out.add(owner.i)
        if reach is None or g.rel_seq + g.length > reach:
            reach, owner = g.rel_seq + g.length, g
    return out


def _overlaps_earlier(g: Seg, data: list[Seg]) -> bool:
    return any(o.i < g.i and o.rel_seq < g.rel_seq + g.length and g.rel_seq < o.rel_seq + o.length for o in data
               if o.i < g.i)


def _scale_known(conn: Connection):
    from .events import scales
    return scales(conn).values()
