"""The receiving half of a TCB: RCV.NXT / RCV.WND, out-of-order holding, in-order delivery.

The connection decides whether a segment is acceptable and what a FIN does to the state;
the receiver keeps the sequence space and says when to acknowledge.
"""

from __future__ import annotations

from collections.abc import Callable

from . import seq
from .segment import Segment


class Receiver:
    def __init__(self, window: int):
        self.rcv_nxt = 0
        self.rcv_wnd = window
        self.out_of_order: dict[int, Segment] = {}
        self.delivered: list[tuple[int, int]] = []  # (payload_start, length) given to the app
        self.peer_fin = False

    def start_at(self, irs: int) -> None:
        """RCV.NXT = IRS + 1: the peer's SYN occupies IRS (RFC 9293 3.10.7.2, 3.10.7.3)."""
        self.rcv_nxt = seq.add(irs, 1)

    def ack_now(self) -> bool:
        """ACK policy: every segment with content is acknowledged at once. (RFC 9293 3.8.6.3
        and RFC 1122 4.2.3.2 allow a delayed ACK; not modelled yet.)"""
        return True

    def hold(self, seg: Segment) -> None:
        """An out-of-order segment: it "SHOULD be held for later processing" (3.10.7.4)."""
        self.out_of_order[seg.seq] = seg

    def accept_in_order(self, seg: Segment, on_fin: Callable[[], None]) -> None:
        """Deliver `seg` (it starts at or before RCV.NXT), then the held segments it makes
        contiguous, dropping held ones now wholly old. A FIN reached in sequence advances
        RCV.NXT over it and calls `on_fin` (the state change is the connection's)."""
        self._take(seg, on_fin)
        held_segments = self.out_of_order
        while True:
            rcv_nxt = self.rcv_nxt
            held = next(
                (s for s in held_segments.values()
                 if seq.le(s.seq, rcv_nxt) and seq.gt(seq.add(s.seq, s.seg_len), rcv_nxt)),
                None,
            )
            for k in [k for k, s in held_segments.items() if seq.le(seq.add(s.seq, s.seg_len), rcv_nxt)]:
                del held_segments[k]
            if held is None:
                break
            del held_segments[held.seq]
            self._take(held, on_fin)

    def _take(self, seg: Segment, on_fin: Callable[[], None]) -> None:
        """Deliver the part of `seg` at and after RCV.NXT to the application, then its FIN."""
        skip = seq.diff(self.rcv_nxt, seg.seq)  # bytes already received (retransmission overlap)
        if seg.length > skip:
            fresh = seg.length - skip
            self.delivered.append((seg.payload_start + skip, fresh))
            self.rcv_nxt = seq.add(self.rcv_nxt, fresh)
        if seg.has("FIN") and seq.add(seg.seq, seg.length) == self.rcv_nxt:
            # Eighth check: advance RCV.NXT over the FIN (RFC 9293 3.10.7.4).
            self.rcv_nxt = seq.add(self.rcv_nxt, 1)
            self.peer_fin = True
            on_fin()
