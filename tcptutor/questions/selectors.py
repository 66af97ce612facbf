"""Segment selectors: how a question names one segment of a trace ("server SYN+ACK", "#4").

Selectors work on the typed trace (tcptutor.tcp.trace.Trace); a trace that arrives as JSON
is read with `Trace.from_json` first.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..tcp.trace import SegmentRecord, Trace

FLAG_WORDS = {"SYN", "ACK", "FIN", "RST", "PSH", "URG"}
CONTROL = {"SYN", "FIN", "RST"}


@dataclass(frozen=True)
class Selector:
    text: str
    number: int | None = None  # "#4"
    src: str | None = None  # client, server, spoof (any spoofed source)
    flags: frozenset[str] = frozenset()
    pure_ack: bool = False
    data: bool = False
    retransmission: bool | None = None
    nth: int = 1

    def matches(self, seg: SegmentRecord) -> bool:
        if self.number is not None:
            return seg.n == self.number
        if self.src is not None:
            src = seg.src
            if (self.src == "spoof") != src.startswith("spoof-") or (self.src != "spoof" and src != self.src):
                return False
        flags = seg.segment.flags
        if not self.flags <= flags:
            return False
        if self.pure_ack and (flags & CONTROL or seg.length > 0):
            return False
        if self.data and seg.length == 0:
            return False
        if self.retransmission is not None and seg.retransmission != self.retransmission:
            return False
        return True


def parse_selector(text: str) -> Selector:
    """`#N` | `[client|server|spoof] [FLAGS|DATA|ANY] [retransmission] [N]` (N: nth, <0 from the end)."""
    words = text.split()
    if not words:
        raise ValueError("an empty selector; expected e.g. \"server SYN+ACK\" or \"#3\"")
    if len(words) == 1 and words[0].startswith("#"):
        try:
            number = int(words[0][1:])
        except ValueError:
            raise ValueError(f"expected a segment number like #3; got {words[0]!r}") from None
        if number < 1:
            raise ValueError("segment numbers start at #1")
        return Selector(text, number=number)
    src = None
    if words[0].lower() in ("client", "server", "spoof"):
        src = words.pop(0).lower()
    flags: set[str] = set()
    pure_ack = data = False
    retransmission = None
    nth = 1
    saw_flags = False
    for word in words:
        upper = word.upper()
        if upper in ("RETRANSMISSION", "RETRANSMITTED"):
            retransmission = True
        elif upper in ("ORIGINAL", "FIRST-SENT"):
            retransmission = False
        elif _is_int(word):
            nth = int(word)
            if nth == 0:
                raise ValueError("the match number counts from 1 (or from -1 at the end); got 0")
        elif upper == "DATA":
            data = saw_flags = True
        elif upper == "ANY":
            saw_flags = True
        else:
            parts = [p for p in upper.replace(",", "+").split("+") if p]
            unknown = [p for p in parts if p not in FLAG_WORDS]
            if unknown or not parts:
                raise ValueError(
                    f"unknown word {word!r}; expected client/server, flags like SYN+ACK, DATA, ANY, "
                    "retransmission, or a match number"
                )
            flags |= set(parts)
            saw_flags = True
    if not saw_flags and src is None and retransmission is None:
        raise ValueError(f"{text!r} selects nothing in particular; name a sender and/or flags")
    if flags == {"ACK"} and not data:
        pure_ack = True
    return Selector(text, None, src, frozenset(flags), pure_ack, data, retransmission, nth)


def _is_int(word: str) -> bool:
    try:
        int(word)
    except ValueError:
        return False
    return True


def select_all(selector: Selector, trace: Trace) -> list[SegmentRecord]:
    return [s for s in trace.segments if selector.matches(s)]


def select(selector: Selector, trace: Trace) -> SegmentRecord | None:
    """The segment the selector names, or None when the trace has no such segment."""
    found = select_all(selector, trace)
    index = selector.nth - 1 if selector.nth > 0 else selector.nth
    if -len(found) <= index < len(found):
        return found[index]
    return None
