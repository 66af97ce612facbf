"""The receiving half of a TCB: RCV.NXT / RCV.WND, out-of-order holding, in-order delivery.

The connection decides whether a segment is acceptable and what a FIN does to the state;
the receiver keeps the sequence space and says when to acknowledge.
"""

from __future__ import annotations

from collections.abc import Callable

from . import seq
from .segment import Segment

# rfc9293: "an ACK should not be excessively delayed; in particular, the delay MUST be less
# than 0.5 seconds" (RFC 9293 3.8.6.3, RFC 1122 4.2.3.2); RFC 5681 4.2: "within 500 ms";
# tcptutor uses the 200 ms of BSD's fast timer, the value textbooks quote.
RFC_ACK_DELAY = 200_000
# Linux include/net/tcp.h: TCP_ATO_MIN = TCP_DELACK_MIN = HZ/25 (40 ms), TCP_DELACK_MAX =
# HZ/5 (200 ms), TCP_MAX_QUICKACKS = 16, TCP_MSS_DEFAULT = 536.
TCP_ATO_MIN = 40_000
TCP_DELACK_MAX = 200_000
TCP_MAX_QUICKACKS = 16
TCP_MSS_DEFAULT = 536
DEFAULT_MAX_ATO = 500_000  # tcp_send_delayed_ack: max_ato = HZ / 2 unless pingpong or pushed


# RFC 9293 3.8.6.2.2: the receiver opens its window only by min(Fr * RCV.BUFF, Eff.snd.MSS),
# "the recommended value for the fraction Fr is 1/2".
RCV_SWS_FRACTION_DIVISOR = 2


class Receiver:
    def __init__(self, window: int, *, autoread: bool = True, delayed_ack: bool = False,
                 rules: str = "rfc9293", mss: int = 1460):
        self.rcv_nxt = 0
        self.rcv_wnd = window  # what the last segment we sent offered, from RCV.NXT on
        self.buffer_size = window  # RCV.BUFF
        self.autoread = autoread  # False: data waits in the buffer until read()
        self.buffered = 0  # RCV.USER: bytes received in order, not yet read by the application
        # "rfc9293" or "linux": how the window reopens (see advertise) and which delayed-ACK policy
        self.rules = rules
        self.out_of_order: dict[int, Segment] = {}
        self.delivered: list[tuple[int, int]] = []  # (payload_start, length) given to the app
        self.peer_fin = False
        # Delayed ACKs (off: every segment with content is ACKed at once, contract v1).
        self.delayed_ack = delayed_ack
        self.mss = mss  # our own MSS (Linux tp->advmss)
        self.rcv_wup = 0  # RCV.NXT when the last ACK was sent (Linux tp->rcv_wup)
        self.ack_pending = False  # received content not yet ACKed (Linux ICSK_ACK_SCHED)
        # linux: inet_connection_sock.icsk_ack
        self.quick = 0  # quick ACKs left (icsk_ack.quick)
        self.ato = 0  # the ACK timeout, microseconds (icsk_ack.ato); 0 until data arrives
        self.last_data_at: int | None = None  # icsk_ack.lrcvtime
        self.pingpong = False  # interactive: our data answers theirs (inet_csk_in_pingpong_mode)
        self.rcv_mss = max(88, min(TCP_MSS_DEFAULT, mss, window // 2))  # tcp_initialize_rcv_mss
        self.pushed = 0  # segments shorter than rcv_mss since the last ACK, up to 2 (ICSK_ACK_PUSHED, PUSHED2)

    def start_at(self, irs: int) -> None:
        """RCV.NXT = IRS + 1: the peer's SYN occupies IRS (RFC 9293 3.10.7.2, 3.10.7.3)."""
        self.rcv_nxt = seq.add(irs, 1)

    def on_ack_sent(self) -> None:
        """An ACK (pure, or riding on data or a FIN) has just gone out with RCV.NXT: nothing
        waits for one (Linux tcp_event_ack_sent: rcv_wup = rcv_nxt, the delayed-ACK timer
        stopped, tcp_dec_quickack_mode)."""
        if self.ack_pending and self.quick:
            self.quick -= 1
            if not self.quick:
                self.ato = TCP_ATO_MIN  # "leaving quickack mode we deflate ATO"
        self.ack_pending = False
        self.pushed = 0
        self.rcv_wup = self.rcv_nxt

    def ack_now(self, seg: Segment | None = None, now: int = 0, *, filled_hole: bool = False,
                rto: int = 0, full_size: int | None = None) -> bool:
        """Must the segment just taken in order (or a FIN) be ACKed at once? False: the ACK
        waits (`ack_delay`) and rides on whatever we send first.

        Off (`delayed_ack = false`): always at once. rfc9293: at once for a segment that
        fills a hole (RFC 5681 4.2) and when at least two full-sized segments are unACKed
        ("an ACK SHOULD be generated for at least every second full-sized segment", RFC
        5681 4.2, RFC 9293 3.8.6.3; `full_size`: the sender's segment size, min of both MSS);
        otherwise delayed. linux: see `_linux_ack_now`."""
        if not self.delayed_ack or seg is None:
            return True
        self.ack_pending = True
        if filled_hole:
            return True
        if self.rules == "linux":
            return self._linux_ack_now(seg, now, rto)
        return seq.diff(self.rcv_nxt, self.rcv_wup) >= 2 * (full_size or self.mss)

    def _linux_ack_now(self, seg: Segment, now: int, rto: int) -> bool:
        """Linux tcp_event_data_recv (quick-ACK mode and the ato estimate), then
        __tcp_ack_snd_check and tcp_cleanup_rbuf (an application that reads at once).

        Quick-ACK mode: the first data segment, and the first after an idle period longer
        than the RTO, give tcp_incr_quickack(TCP_MAX_QUICKACKS) quick ACKs: min(16,
        rcv_wnd / (2 * rcv_mss)), at least 2. ACK at once: in quick-ACK mode unless
        pingpong; more than one rcv_mss unACKed; and, since the application reads at once,
        tcp_cleanup_rbuf's rule that a read which drains the buffer ACKs unless the
        connection is pingpong (after two small segments, ICSK_ACK_PUSHED2, even then).
        Measured (Linux 6.18, TUN harness, 10 ms links): a reading
        receiver ACKed each of 30 back-to-back full segments and of 30 small ones at once;
        only in pingpong mode (after our data answered theirs, or after their FIN,
        tcp_fin) did the ACK wait about 40 ms or ride on our next segment. (A receiver that
        never read ACKed the first 20 of 40 back-to-back full segments at once and the rest
        with one ACK 43 ms later: that needs `autoread = false`, not modelled here.)"""
        if seg.length:
            if seg.length >= self.rcv_mss:  # tcp_measure_rcv_mss
                self.rcv_mss = min(seg.length, self.mss)
            else:
                self.pushed = min(self.pushed + 1, 2)
            last = self.last_data_at
            if not self.ato:
                self._incr_quickack()
                self.ato = TCP_ATO_MIN
            else:
                gap = now - last
                if gap <= TCP_ATO_MIN // 2:
                    self.ato = self.ato // 2 + TCP_ATO_MIN // 2
                elif gap < self.ato:
                    self.ato = min(self.ato // 2 + gap, rto) if rto else self.ato // 2 + gap
                elif rto and gap > rto:
                    self._incr_quickack()
            self.last_data_at = now
        if not self.ato:  # a FIN before any data: the timer is armed with ato 0 (one jiffy)
            return True
        if self.pingpong:  # more than one rcv_mss unACKed, or a second small segment read
            return seq.diff(self.rcv_nxt, self.rcv_wup) > self.rcv_mss or self.pushed >= 2
        return True  # quick-ACK mode, more than rcv_mss, or the application's read (see above)

    def _incr_quickack(self) -> None:
        """Linux tcp_incr_quickack(sk, TCP_MAX_QUICKACKS)."""
        quickacks = max(self.rcv_wnd // (2 * self.rcv_mss), 2)
        self.quick = max(self.quick, min(quickacks, TCP_MAX_QUICKACKS))

    def ack_delay(self, srtt: int | None) -> int:
        """How long a delayed ACK waits. rfc9293: RFC_ACK_DELAY. linux tcp_send_delayed_ack:
        ato, and when ato has grown beyond TCP_DELACK_MIN, at most max_ato (200 ms in
        pingpong mode or after a small segment, else 500 ms) bounded by max(SRTT, 40 ms)."""
        if self.rules != "linux":
            return RFC_ACK_DELAY
        ato = self.ato
        if ato > TCP_ATO_MIN:
            max_ato = TCP_DELACK_MAX if (self.pingpong or self.pushed) else DEFAULT_MAX_ATO
            if srtt:
                max_ato = min(max_ato, max(srtt, TCP_ATO_MIN))
            ato = min(ato, max_ato)
        return ato

    def on_delayed_ack_timeout(self, rto: int) -> None:
        """Linux tcp_delack_timer_handler: "delayed ACK missed": inflate ato (double it, at
        most the RTO), or in pingpong mode leave it and deflate ato."""
        if self.rules != "linux":
            return
        if self.pingpong:
            self.pingpong = False
            self.ato = TCP_ATO_MIN
        else:
            self.ato = min(self.ato * 2, rto) if rto else self.ato * 2

    def on_data_sent(self, now: int) -> None:
        """Linux tcp_event_data_sent: data sent within ato of the last data received makes the
        connection interactive (inet_csk_inc_pingpong_cnt; TCP_PINGPONG_THRESH is 1)."""
        if self.rules == "linux" and self.last_data_at is not None and now - self.last_data_at < self.ato:
            self.pingpong = True

    def on_fin_in_established(self) -> None:
        """Linux tcp_fin, ESTABLISHED -> CLOSE-WAIT: inet_csk_enter_pingpong_mode, so the ACK of
        the FIN waits for the application's own FIN (three-segment teardown)."""
        if self.rules == "linux":
            self.pingpong = True

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
