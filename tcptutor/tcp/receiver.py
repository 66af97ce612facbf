"""The receiving half of a TCB: RCV.NXT / RCV.WND, out-of-order holding, in-order delivery.

The connection decides whether a segment is acceptable and what a FIN does to the state;
the receiver keeps the sequence space and says when to acknowledge.
"""

from __future__ import annotations

from collections.abc import Callable

from . import seq
from .segment import Segment


# RFC 9293 3.8.6.2.2: the receiver opens its window only by min(Fr * RCV.BUFF, Eff.snd.MSS),
# "the recommended value for the fraction Fr is 1/2".
RCV_SWS_FRACTION_DIVISOR = 2


class Receiver:
    def __init__(self, window: int, *, autoread: bool = True, rules: str = "rfc9293"):
        self.rcv_nxt = 0
        self.rcv_wnd = window  # what the last segment we sent offered, from RCV.NXT on
        self.buffer_size = window  # RCV.BUFF
        self.autoread = autoread  # False: data waits in the buffer until read()
        self.buffered = 0  # RCV.USER: bytes received in order, not yet read by the application
        self.rules = rules  # "rfc9293" or "linux": how the window reopens (see advertise)
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
            if not self.autoread:
                # The right edge stays where it was offered (RFC 9293 3.8.6.2.2, "keep
                # RCV.NXT+RCV.WND fixed"; Linux tcp_select_window never shrinks it).
                self.buffered += fresh
                self.rcv_wnd = max(0, self.rcv_wnd - fresh)
        if seg.has("FIN") and seq.add(seg.seq, seg.length) == self.rcv_nxt:
            # Eighth check: advance RCV.NXT over the FIN (RFC 9293 3.10.7.4).
            self.rcv_nxt = seq.add(self.rcv_nxt, 1)
            self.peer_fin = True
            on_fin()

    def _reopened(self, mss: int) -> int:
        """The window the buffer's free space allows now, by the profile's receiver SWS rule.

        rfc9293, 3.8.6.2.2: move the right edge only once RCV.BUFF - RCV.USER - RCV.WND >=
        min(Fr * RCV.BUFF, Eff.snd.MSS), and then to all the free space.
        linux, __tcp_select_window (no window scaling): the free space rounded down to a
        multiple of the MSS (nothing below one MSS), never less than what is still offered
        (tcp_select_window does not shrink the window)."""
        free = self.buffer_size - self.buffered
        if self.rules == "linux":
            return max(self.rcv_wnd, free // mss * mss)
        if free - self.rcv_wnd >= min(self.buffer_size // RCV_SWS_FRACTION_DIVISOR, mss):
            return free
        return self.rcv_wnd

    def advertise(self, mss: int) -> int:
        """RCV.WND for the segment being sent (every segment carries it)."""
        if not self.autoread:
            self.rcv_wnd = self._reopened(mss)
        return self.rcv_wnd

    def read(self, size: int | None, mss: int) -> tuple[int, bool]:
        """RECEIVE (RFC 9293 3.10.3): the application takes `size` bytes (None: all), or what
        there is when fewer are buffered, as recv() does. Returns (bytes read, whether a window
        update is due now).

        rfc9293: due when 3.8.6.2.2 lets the window open. linux, tcp_cleanup_rbuf: due when
        the offered window is at most half the buffer and the new one at least doubles it."""
        taken = self.buffered if size is None else min(size, self.buffered)
        self.buffered -= taken
        if not taken or self.autoread:
            return taken, False
        old, new = self.rcv_wnd, self._reopened(mss)
        if self.rules == "linux":
            return taken, 2 * old <= self.buffer_size and new > 0 and new >= 2 * old
        return taken, new > old
