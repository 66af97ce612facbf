"""The simulator's output: every segment on the wire and every state change, in order.

`Trace.to_json()` is the contract's trace JSON (format tcptutor.trace/1). Extensions beyond
the contract: segment `note`, `options` and `copies`, event `error`, `rfc`, `timer`, `peer`.
Contract v2's event `tcb` (tcp/tcb.py) is the endpoint's variables after the event.

Causes and notes are typed (`Cause`, `Note`): their text is rendered from them for the JSON
and for people, never parsed back by consumers. `Trace.from_json` is the JSON reader's
inverse of `to_json`, for traces that arrive as JSON (a file, an outside tool).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from ..i18n import NP_
from .params import MICROS
from .segment import Segment, ordered_flags
from .tcb import Tcb

FORMAT = "tcptutor.trace/1"


def seconds(us: int | None) -> float | None:
    return None if us is None else round(us / MICROS, 6)


def micros(s: float | None) -> int | None:
    """The inverse of `seconds` for the trace's whole-microsecond clock."""
    return None if s is None else round(s * MICROS)


class Note(enum.StrEnum):
    """Why a segment was sent or what an event did, when it is not the obvious reason.

    The values are the trace JSON's exact strings (a StrEnum, so that a plain string note
    from code not yet converted still compares equal to its member). NP_ only marks them for
    the message catalogs (it returns the text): people see pgettext("trace note", value).
    """

    # segment notes
    ABORT = NP_("trace note", "abort")  # RFC 9293 3.10.5 ABORT call: <SEQ=SND.NXT><CTL=RST>
    RETRANSMISSION_TIMEOUT = NP_("trace note", "retransmission timeout")  # RFC 6298 5.4
    FAST_RETRANSMIT = NP_("trace note", "fast retransmit")  # RFC 5681 3.2
    PARTIAL_ACK = NP_("trace note", "partial ACK")  # RFC 6582 3.2 step 5: the next hole, resent at once
    SLOW_START_AFTER_TIMEOUT = NP_("trace note", "slow start after timeout")  # RFC 5681 3.1; Linux tcp_xmit_retransmit_queue
    CHALLENGE_ACK = NP_("trace note", "challenge ACK")  # RFC 5961 3.2, 4.2
    REPLY_TO_REPEATED_SYN = NP_("trace note", "reply to repeated SYN")  # RFC 9293 3.10.7.4 (SYN-RECEIVED)
    ACK_OF_RETRANSMITTED_FIN = NP_("trace note", "ACK of retransmitted FIN")  # RFC 9293 3.10.7.4 TIME-WAIT
    ACK_OF_UNACCEPTABLE = NP_("trace note", "ACK of an unacceptable segment")  # RFC 9293 3.10.7.4 first
    ACK_OF_UNSENT_DATA = NP_("trace note", "ACK of an ACK for data not yet sent")  # RFC 9293 3.10.7.4 fifth
    DUPLICATE_ACK_OUT_OF_ORDER = NP_("trace note", "duplicate ACK (out-of-order segment)")  # RFC 5681 4.2
    BAD_ACK_IN_SYN_SENT = NP_("trace note", "bad ACK in SYN-SENT")  # RFC 9293 3.10.7.3
    BAD_ACK_IN_SYN_RECEIVED = NP_("trace note", "bad ACK in SYN-RECEIVED")  # RFC 9293 3.10.7.4
    NO_CONNECTION = NP_("trace note", "no connection")  # RFC 9293 3.10.7.1
    ACK_TO_LISTENER = NP_("trace note", "ACK to a listener")  # RFC 9293 3.10.7.2
    SYN_COOKIE = NP_("trace note", "SYN cookie")  # RFC 4987 3.6
    SPOOFED_SOURCE = NP_("trace note", "spoofed source")  # a flood's SYN (RFC 4987 2)
    ACK_OF_CROSSING_SYN_ACK = NP_("trace note", "ACK of the crossing SYN,ACK")  # Linux tcp_validate_incoming (simultaneous open)
    ZERO_WINDOW_PROBE = NP_("trace note", "zero-window probe")  # RFC 9293 3.8.6.1; Linux tcp_send_probe0
    KEEPALIVE_PROBE = NP_("trace note", "keep-alive probe")  # RFC 9293 3.8.4: <SEQ=SND.NXT-1>, no data (Linux tcp_xmit_probe_skb)
    KEEPALIVE_RESET = NP_("trace note", "keep-alive probes unanswered")  # RFC 1122 4.2.3.6; Linux tcp_keepalive_timer -> tcp_send_active_reset
    DELAYED_ACK = NP_("trace note", "delayed ACK")  # RFC 9293 3.8.6.3, Linux tcp_delack_timer_handler
    RESET_FOR_SYN_IN_WINDOW = NP_("trace note", "SYN in the window: reset")  # RFC 9293 3.10.7.4 fourth, without RFC 5961
    # event notes
    NO_CONNECTION_RESET = NP_("trace note", "no connection: reset")  # RFC 9293 3.10.7.1
    VALID_SYN_COOKIE = NP_("trace note", "valid SYN cookie")  # RFC 4987 3.6
    QUEUE_FULL_COOKIE = NP_("trace note", "half-open queue full: answered with a SYN cookie, no state kept")  # RFC 4987 3.6
    QUEUE_FULL_DROPPED = NP_("trace note", "half-open queue full: SYN dropped")  # RFC 4987 2
    TIME_WAIT_REOPENED = NP_("trace note", "new SYN above RCV.NXT: TIME-WAIT reopened")  # RFC 6191, RFC 1122 4.2.2.13

    @property
    def text(self) -> str:
        return self.value

    @property
    def is_reset_reply(self) -> bool:
        """A RST sent because the segment it answers had no place (no TCB, a listener, a bad ACK,
        a SYN in the window under the base rule): its seq and ack take 3.10.7.1's form."""
        return self in RESET_REPLIES


RESET_REPLIES = frozenset({Note.NO_CONNECTION, Note.ACK_TO_LISTENER, Note.BAD_ACK_IN_SYN_SENT,
                           Note.BAD_ACK_IN_SYN_RECEIVED, Note.RESET_FOR_SYN_IN_WINDOW})


def as_note(text: str) -> Note | str:
    """The member for a note's text, or the text itself for a note this version does not know."""
    try:
        return Note(text)
    except ValueError:
        return text


class CauseKind(enum.StrEnum):
    CALL = "call"  # a user call (RFC 9293 3.10: OPEN, SEND, CLOSE, ABORT ...)
    RECV = "recv"  # a segment arrived (RFC 9293 3.10.7)
    TIMEOUT = "timeout"  # a timer expired (RFC 9293 3.10.8)


@dataclass(eq=False, slots=True)
class Cause:
    """What made an endpoint act: a call (verb, sizes), an arrival (segment number) or a timer (kind).

    Equal to another Cause with the same fields, and (like Note) to its own text, so that code
    and tests written against the string causes keep working while they move over. A value:
    never changed once made (not frozen only because the simulator makes one per event, and a
    frozen dataclass costs three times as much to build).
    """

    kind: CauseKind
    verb: str = ""
    sizes: tuple[int, ...] = ()
    segment: int | None = None
    timer: str = ""

    @classmethod
    def call(cls, verb: str, sizes: tuple[int, ...] = ()) -> "Cause":
        return cls(CauseKind.CALL, verb=verb, sizes=tuple(sizes))

    @classmethod
    def recv(cls, n: int) -> "Cause":
        return cls(CauseKind.RECV, segment=n)

    @classmethod
    def timeout(cls, timer: str) -> "Cause":
        return cls(CauseKind.TIMEOUT, timer=timer)

    @property
    def is_call(self) -> bool:
        return self.kind is CauseKind.CALL

    @property
    def is_recv(self) -> bool:
        return self.kind is CauseKind.RECV

    @property
    def is_timeout(self) -> bool:
        return self.kind is CauseKind.TIMEOUT

    def _key(self) -> tuple:
        return (self.kind, self.verb, self.sizes, self.segment, self.timer)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Cause):
            return self._key() == other._key()
        if isinstance(other, str):
            return str(self) == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(str(self))

    def __repr__(self) -> str:
        return f"Cause({str(self)!r})"

    def __str__(self) -> str:
        """The trace JSON's text: "call send 100 200", "recv #3", "timeout syn"."""
        if self.kind is CauseKind.CALL:
            return " ".join(["call", self.verb, *map(str, self.sizes)])
        if self.kind is CauseKind.RECV:
            return f"recv #{self.segment}"
        return f"timeout {self.timer}"

    @classmethod
    def from_text(cls, text: str) -> "Cause":
        """The JSON reader's inverse of `str()`: only `Trace.from_json` reads cause text."""
        kind, _, rest = text.partition(" ")
        if kind == CauseKind.CALL:
            verb, *sizes = rest.split()
            return cls.call(verb, tuple(int(x) for x in sizes))
        if kind == CauseKind.RECV and rest.startswith("#"):
            return cls.recv(int(rest[1:]))
        if kind == CauseKind.TIMEOUT and rest:
            return cls.timeout(rest)
        raise ValueError(f"not a trace cause: {text!r}")


@dataclass
class SegmentRecord:
    n: int
    segment: Segment
    sent_at: int
    fate: str  # "delivered" or "dropped"
    arrived_at: int | None
    network_note: str = ""  # why the network lost it, when that is not a `drop` step
    copies: int = 1  # 2: the network delivered it twice (`duplicate next`)

    # The segment's header fields, as the contract names them (times stay in microseconds:
    # `sent_seconds` / `arrived_seconds` are the JSON's values).
    @property
    def src(self) -> str:
        return self.segment.src

    @property
    def dst(self) -> str:
        return self.segment.dst

    @property
    def flags(self) -> tuple[str, ...]:
        return ordered_flags(self.segment.flags)

    @property
    def seq(self) -> int:
        return self.segment.seq

    @property
    def ack(self) -> int:
        return self.segment.ack

    @property
    def length(self) -> int:
        return self.segment.length

    @property
    def win(self) -> int:
        return self.segment.win

    @property
    def mss(self) -> int | None:
        return self.segment.mss

    @property
    def note(self) -> Note | str:
        """Why the sender sent it (the network's reason for losing it is `network_note`)."""
        return self.segment.note

    @property
    def note_text(self) -> str:
        """Both notes as the JSON's `note` writes them, for people to read."""
        return "; ".join(filter(None, (str(self.segment.note), self.network_note)))

    @property
    def retransmission(self) -> bool:
        return self.segment.retransmission

    @property
    def delivered(self) -> bool:
        return self.fate == "delivered"

    @property
    def sent_seconds(self) -> float:
        return seconds(self.sent_at)

    @property
    def arrived_seconds(self) -> float | None:
        return seconds(self.arrived_at)

    def has(self, flag: str) -> bool:
        return flag in self.segment.flags

    @property
    def pure_ack(self) -> bool:
        """ACK alone: no payload and no SYN, FIN or RST."""
        flags = self.segment.flags
        return "ACK" in flags and not self.length and not flags & {"SYN", "FIN", "RST"}

    def field(self, name: str):
        """A field by its contract name ("seq", "len", "sent_at" in seconds ...), for questions that name one."""
        return FIELDS[name](self)

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
        note = self.note_text
        if note:
            out["note"] = note
        if self.copies > 1:
            out["copies"] = self.copies
        return out

    @classmethod
    def from_json(cls, doc: dict) -> "SegmentRecord":
        """The JSON's `note` is the sender's note, then "; " and the network's (only on a lost
        segment); a lost segment's single note that is no Note member is the network's."""
        text = doc.get("note", "")
        sender_note, _, network_note = text.partition("; ")
        if not network_note and doc["fate"] == "dropped" and not isinstance(as_note(sender_note), Note):
            sender_note, network_note = "", sender_note
        seg = Segment(
            doc["src"], doc["dst"], doc["seq"], doc["ack"], frozenset(doc["flags"]), doc["len"], doc["win"],
            (doc.get("options") or {}).get("mss"), retransmission=doc.get("retransmission", False),
            note=as_note(sender_note),
        )
        return cls(doc["n"], seg, micros(doc["sent_at"]), doc["fate"], micros(doc.get("arrived_at")),
                   network_note, doc.get("copies", 1))


FIELDS = {
    "n": lambda r: r.n, "src": lambda r: r.src, "dst": lambda r: r.dst, "flags": lambda r: list(r.flags),
    "seq": lambda r: r.seq, "ack": lambda r: r.ack, "len": lambda r: r.length, "win": lambda r: r.win,
    "sent_at": lambda r: r.sent_seconds, "arrived_at": lambda r: r.arrived_seconds, "fate": lambda r: r.fate,
    "retransmission": lambda r: r.retransmission, "copies": lambda r: r.copies,
}


@dataclass
class TraceEvent:
    at: int
    endpoint: str  # "client", "server", or "listener" (the server's dealings with spoofed sources)
    cause: Cause
    state_before: str
    state_after: str
    sent: list[int] = field(default_factory=list)
    error: str | None = None
    rfc: str | None = None
    timer: dict | None = None
    peer: str | None = None
    note: Note | str = ""
    tcb: Tcb | None = None  # the endpoint's TCB after the event; None: it has none (LISTEN, CLOSED)

    @property
    def changed(self) -> bool:
        return self.state_before != self.state_after

    @property
    def at_seconds(self) -> float:
        return seconds(self.at)

    def to_json(self) -> dict:
        out = {
            "at": seconds(self.at),
            "endpoint": self.endpoint,
            "cause": str(self.cause),
            "state_before": self.state_before,
            "state_after": self.state_after,
            "sent": self.sent,
        }
        for key in ("error", "rfc", "timer", "peer"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.note:
            out["note"] = str(self.note)
        if self.tcb is not None:
            out["tcb"] = self.tcb.to_json()
        return out

    @classmethod
    def from_json(cls, doc: dict) -> "TraceEvent":
        return cls(
            micros(doc["at"]), doc["endpoint"], Cause.from_text(doc["cause"]), doc["state_before"],
            doc["state_after"], list(doc.get("sent", [])), doc.get("error"), doc.get("rfc"),
            doc.get("timer"), doc.get("peer"), as_note(doc.get("note", "")),
            Tcb.from_json(doc["tcb"]) if "tcb" in doc else None,
        )


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

    @classmethod
    def from_json(cls, doc: dict) -> "Trace":
        """A trace from its JSON (format tcptutor.trace/1); `delivered`/`written` are not in it."""
        if doc.get("format", FORMAT) != FORMAT:
            raise ValueError(f"not a {FORMAT} trace: format {doc.get('format')!r}")
        return cls(
            doc.get("title", ""), doc.get("params", {}),
            [SegmentRecord.from_json(s) for s in doc.get("segments", [])],
            [TraceEvent.from_json(e) for e in doc.get("events", [])],
            dict(doc.get("final", {})),
        )

    def segment(self, n: int) -> SegmentRecord:
        return self.segments[n - 1]
