"""A TCP segment as the simulator moves it: header fields that matter for teaching."""

from __future__ import annotations

from dataclasses import dataclass, field

# The order the trace contract lists flags in.
FLAG_ORDER = ("SYN", "ACK", "FIN", "RST", "PSH", "URG")


def ordered_flags(flags) -> tuple[str, ...]:
    return tuple(f for f in FLAG_ORDER if f in flags)


@dataclass(frozen=True)
class Segment:
    src: str
    dst: str
    seq: int
    ack: int  # wire value: 0 when ACK is not set
    flags: frozenset[str]
    length: int = 0  # payload bytes
    win: int = 65535
    mss: int | None = None  # MSS option, carried on SYNs
    # Offset of the first payload byte in the sender's stream: lets tests prove that
    # every byte reaches the peer's application once and in order, independently of seq.
    payload_start: int = 0
    retransmission: bool = False
    # Why this segment was sent, when it is not the obvious reason ("fast retransmit",
    # "challenge ACK", "SYN cookie", ...): shown in diagrams and explanations.
    note: str = field(default="", compare=False)

    @property
    def seg_len(self) -> int:
        """SEG.LEN: payload plus one for SYN and one for FIN (RFC 9293 3.4)."""
        return self.length + ("SYN" in self.flags) + ("FIN" in self.flags)

    def has(self, flag: str) -> bool:
        return flag in self.flags

    def describe(self) -> str:
        parts = ["+".join(ordered_flags(self.flags)) or "<no flags>", f"seq={self.seq}"]
        if "ACK" in self.flags:
            parts.append(f"ack={self.ack}")
        if self.length:
            parts.append(f"len={self.length}")
        return " ".join(parts)
