"""The sending half of a TCB: send queue, retransmission queue, SND.UNA / SND.NXT / SND.WND.

It decides what goes out and keeps the books; the connection puts it on the wire (flags
depend on the state) and runs the timers. Congestion control is asked before each data
segment and told about ACKs, duplicate ACKs and fast retransmits.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from . import seq
from .cc import CongestionControl
from .segment import Segment


@dataclass
class Unacked:
    """An entry of the retransmission queue: a segment sent and not yet acknowledged."""

    seq: int
    length: int
    syn: bool
    fin: bool
    psh: bool
    payload_start: int
    first_sent: int
    retransmitted: bool = False

    @property
    def seg_len(self) -> int:
        return self.length + self.syn + self.fin

    @property
    def end(self) -> int:
        return seq.add(self.seq, self.seg_len)


class Sender:
    def __init__(self, iss: int, window: int, cc: CongestionControl):
        self.snd_una = self.snd_nxt = iss
        self.snd_wnd = window
        self.cc = cc
        self.unsent: deque[tuple[int, int, bool]] = deque()  # (length, payload_start, psh)
        self.written = 0  # bytes the application has handed to SEND so far
        self.fin_pending = False  # CLOSE called, FIN not yet sent
        self.fin_seq: int | None = None  # sequence number our FIN occupies, once sent
        self.unacked: list[Unacked] = []
        self.dupacks = 0
        self.recover = iss  # RFC 6582: no second fast retransmit until SND.UNA passes this

    def start_at(self, first: int) -> None:
        """SND.UNA = SND.NXT = `first` (ISS, or a cookie's SEG.ACK)."""
        self.snd_una = self.snd_nxt = first

    @property
    def fin_acked(self) -> bool:
        return self.fin_seq is not None and seq.gt(self.snd_una, self.fin_seq)

    @property
    def in_flight(self) -> int:
        return seq.diff(self.snd_nxt, self.snd_una)

    def write(self, sizes: tuple[int, ...], mss: int) -> None:
        """SEND (RFC 9293 3.10.2): segmentize each write at the MSS, PSH on its last piece."""
        for size in sizes:
            start = self.written
            self.written += size
            while start < self.written:
                chunk = min(mss, self.written - start)
                self.unsent.append((chunk, start, start + chunk == self.written))
                start += chunk

    def queue(self, now: int, *, length: int = 0, syn: bool = False, fin: bool = False,
              psh: bool = False, payload_start: int = 0) -> Unacked:
        """Enter a new segment at SND.NXT in the retransmission queue and advance SND.NXT."""
        entry = Unacked(self.snd_nxt, length, syn, fin, psh, payload_start, now)
        self.unacked.append(entry)
        self.snd_nxt = entry.end
        return entry

    def sendable(self, now: int) -> Iterator[Unacked]:
        """Queue, one by one, what the peer's window (and the cc) lets go out, then a pending
        FIN; the caller transmits each entry as it is yielded."""
        unsent, cc = self.unsent, self.cc
        while unsent:
            length, start, psh = unsent[0]
            room = self.snd_wnd - seq.diff(self.snd_nxt, self.snd_una)
            if room <= 0:
                break  # flow control: wait for the window to open (RFC 9293 3.8.6)
            if not cc.can_send(seq.diff(self.snd_nxt, self.snd_una), min(length, room)):
                break  # congestion control: wait for ACKs
            unsent.popleft()
            if length > room:  # send what the window allows; the rest waits for it to open
                unsent.appendleft((length - room, start + room, psh))
                length, psh = room, False
            yield self.queue(now, length=length, psh=psh, payload_start=start)
        if self.fin_pending and not unsent:
            self.fin_pending = False
            self.fin_seq = self.snd_nxt
            yield self.queue(now, fin=True)

    def acknowledge(self, ack: int, now: int) -> list[Unacked]:
        """SND.UNA = SEG.ACK: drop the entries it covers and return them."""
        newly_acked = []
        unacked = self.unacked
        while unacked and seq.le(unacked[0].end, ack):
            newly_acked.append(unacked.pop(0))
        acked_bytes = seq.diff(ack, self.snd_una)
        self.snd_una = ack
        self.dupacks = 0
        self.cc.on_ack(acked_bytes, now)
        return newly_acked

    def is_duplicate_ack(self, seg: Segment) -> bool:
        """RFC 5681 2: outstanding data, no payload, no SYN/FIN, same ACK, same window."""
        return (
            bool(self.unacked)
            and seg.length == 0
            and not seg.has("SYN")
            and not seg.has("FIN")
            and seg.ack == self.snd_una
            and seg.win == self.snd_wnd
        )

    def on_duplicate_ack(self, now: int) -> Unacked | None:
        """RFC 5681 3.2: count it; on the third, the segment to retransmit at once (RFC 6582:
        not again until SND.UNA passes `recover`)."""
        self.dupacks += 1
        self.cc.on_duplicate_ack(self.dupacks, now)
        if self.dupacks == 3 and seq.ge(self.snd_una, self.recover):
            self.recover = self.snd_nxt
            self.cc.on_fast_retransmit(now)
            return self.unacked[0]
        return None
