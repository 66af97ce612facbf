"""The simulator's output: every segment on the wire and every state change, in order.

`Trace.to_json()` is the contract's trace JSON (format tcptutor.trace/1). Extensions beyond
the contract: segment `note`, `options` and `copies`, event `error`, `rfc`, `timer`, `peer`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .params import MICROS
from .segment import Segment, ordered_flags

FORMAT = "tcptutor.trace/1"


def seconds(us: int | None) -> float | None:
    return None if us is None else round(us / MICROS, 6)


@dataclass
class SegmentRecord:
    n: int
    segment: Segment
    sent_at: int
    fate: str  # "delivered" or "dropped"
    arrived_at: int | None
    network_note: str = ""  # why the network lost it, when that is not a `drop` step
    copies: int = 1  # 2: the network delivered it twice (`duplicate next`)

    def to_json(self) -> dict:
        s = self.segment
        out = {
            "n": self.n,
            "src": s.src,
            "dst": s.dst,
            "flags": list(ordered_flags(s.flags)),
            "seq": s.seq,
            "ack": s.ack,
            "len": s.length,
            "win": s.win,
            "sent_at": seconds(self.sent_at),
            "fate": self.fate,
            "arrived_at": seconds(self.arrived_at),
            "retransmission": s.retransmission,
        }
        if s.mss is not None:
            out["options"] = {"mss": s.mss}
        note = "; ".join(filter(None, (s.note, self.network_note)))
        if note:
            out["note"] = note
        if self.copies > 1:
            out["copies"] = self.copies
        return out


@dataclass
class TraceEvent:
    at: int
    endpoint: str  # "client", "server", or "listener" (the server's dealings with spoofed sources)
    cause: str
    state_before: str
    state_after: str
    sent: list[int] = field(default_factory=list)
    error: str | None = None
    rfc: str | None = None
    timer: dict | None = None
    peer: str | None = None
    note: str = ""

    def to_json(self) -> dict:
        out = {
            "at": seconds(self.at),
            "endpoint": self.endpoint,
            "cause": self.cause,
            "state_before": self.state_before,
            "state_after": self.state_after,
            "sent": self.sent,
        }
        for key in ("error", "rfc", "timer", "peer"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.note:
            out["note"] = self.note
        return out


@dataclass
class Trace:
    title: str
    params: dict
    segments: list[SegmentRecord]
    events: list[TraceEvent]
    final: dict[str, str]
    # What each endpoint's application received, as (payload_start, length) chunks of the
    # peer's stream, and how many bytes it wrote: for checking delivery, not in the JSON.
    delivered: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    written: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "format": FORMAT,
            "title": self.title,
            "params": self.params,
            "segments": [r.to_json() for r in self.segments],
            "events": [e.to_json() for e in self.events],
            "final": dict(self.final),
        }

    def segment(self, n: int) -> SegmentRecord:
        return self.segments[n - 1]
