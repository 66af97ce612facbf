"""The sending half of a TCB: send queue, retransmission queue, SND.UNA / SND.NXT / SND.WND.

It decides what goes out and keeps the books; the connection puts it on the wire (flags
depend on the state) and runs the timers. Congestion control is asked before each data
segment and told about ACKs, duplicate ACKs and fast retransmits.

Two rule sets, named like the profiles: `rfc9293` (sender-side SWS avoidance, RFC 9293
3.8.6.2.1; the window update of 3.10.7.4; RFC 5681's duplicate ACK) and `linux`
(tcp_write_xmit, tcp_may_update_window, tcp_ack's FLAG_NOT_DUP).

Loss recovery, without SACK (RFC 5681, RFC 6582; Linux tcp_fastretrans_alert):
- fast recovery from the third duplicate ACK until SND.UNA reaches `recover`; a partial
  ACK (below `recover`) names the next hole, which is resent at once;
- after an RTO, go-back-N: every outstanding segment counts as lost (Linux
  tcp_timeout_mark_lost), the first is resent, and the rest follow in order as the ACKs
  of the retransmissions open cwnd again (slow start), including segments the receiver
  already holds (tcp_xmit_retransmit_queue; BSD pulls SND.NXT back to SND.UNA).
F-RTO (RFC 5682, Linux net.ipv4.tcp_frto = 2) is not modelled: Linux falls back to this
conventional recovery on the first ACK after the RTO when no new data waits (tcp_process_loss),
which is every teaching scenario whose data all went out; with new data waiting and the
window open it first sends two new segments, and their duplicate ACKs prove the loss.
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


# RFC 9293 3.8.6.2.1: a fraction Fs of the largest window the peer offered, Fs = 1/2.
SWS_FRACTION_DIVISOR = 2
# RFC 9293 3.8.6.2.1 (RFC 1122 4.2.3.4): "the override timeout should be in the range
# 0.1 - 1.0 s". 0.2 s: shorter than any RTO, so pushed data is not left for the retransmission.
SWS_OVERRIDE_TIMEOUT = 200_000


class Sender:
    def __init__(self, iss: int, window: int, cc: CongestionControl, rules: str = "rfc9293",
                 nagle: bool = False):
        self.snd_una = self.snd_nxt = iss
        self.snd_wnd = window
        self.max_snd_wnd = window  # Max(SND.WND) (3.8.6.2.1); Linux: tp->max_window
        # SND.WL1 / SND.WL2: SEG.SEQ and SEG.ACK of the segment that last set SND.WND (3.10.7.4)
        self.snd_wl1, self.snd_wl2 = 0, iss
        self.rules = rules
        self.cc = cc
        self.in_recovery = False  # RFC 6582 fast recovery, until SND.UNA reaches `recover`
        self.partial_acks = 0  # partial ACKs in this fast recovery
        self.hole: Unacked | None = None  # what the last ACK, a partial one, asks to resend
        # Go-back-N after an RTO: `loss_high` is SND.NXT when the timer fired (Linux
        # tp->high_seq), None outside it; `resend_next` the next segment to resend, None
        # once all were.
        self.loss_high: int | None = None
        self.resend_next: int | None = None
        self.unsent: deque[tuple[int, int, bool]] = deque()  # (length, payload_start, psh)
        self.written = 0  # bytes the application has handed to SEND so far
        self.fin_pending = False  # CLOSE called, FIN not yet sent
        self.fin_seq: int | None = None  # sequence number our FIN occupies, once sent
        self.unacked: list[Unacked] = []
        self.dupacks = 0
        self.recover = iss  # RFC 6582: no second fast retransmit until SND.UNA passes this
        self.segment_size = 0  # the MSS the last write was cut with
        self.ragged = False  # the head of `unsent` is what a window-edge split left of a piece
        self.window_blocked = False  # the last sendable() stopped at the window edge (SWS rule)
        self.nagle = nagle  # Nagle's algorithm (RFC 9293 3.7.4); off: TCP_NODELAY
        self.small_end: int | None = None  # end of the last short segment sent (Linux tp->snd_sml)

    @property
    def cc(self) -> CongestionControl:
        return self._cc

    @cc.setter
    def cc(self, algorithm: CongestionControl) -> None:
        algorithm.packets_in_flight = self.packets_in_flight
        self._cc = algorithm

    def packets_in_flight(self) -> int:
        """Segments in the network: all unacknowledged ones, or after an RTO only those
        resent so far (Linux tcp_packets_in_flight: packets_out - lost_out + retrans_out)."""
        if self.resend_next is None:
            return len(self.unacked)
        return sum(1 for entry in self.unacked if seq.lt(entry.seq, self.resend_next))

    @property
    def flight_size(self) -> int:
        """Bytes in the network (RFC 5681 FlightSize), counted as packets_in_flight is."""
        return seq.diff(self.snd_nxt if self.resend_next is None else self.resend_next, self.snd_una)

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
        self.segment_size = mss
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

    def probe_octet(self, now: int) -> Unacked:
        """Queue the first waiting octet alone, beyond a zero window: a zero-window probe
        (RFC 9293 3.8.6.1). The rest of its piece is cut afresh at the MSS afterwards."""
        length, start, psh = self.unsent.popleft()
        if length > 1:
            self.unsent.appendleft((length - 1, start + 1, psh))
            self.ragged = True
        return self.queue(now, length=1, psh=psh and length == 1, payload_start=start)

    def sendable(self, now: int, *, force: bool = False) -> Iterator[Unacked]:
        """Queue, one by one, what the peer's window (and the cc) lets go out, then a pending
        FIN; the caller transmits each entry as it is yielded.

        A piece larger than the usable window waits unless the profile's rule lets part of it
        go (`_may_split`); `force` (the override or probe timer fired) lets the first one go.
        `window_blocked` tells the caller that data waits on that rule alone."""
        unsent, cc = self.unsent, self.cc
        self.window_blocked = False
        burst = False  # linux: a full-sized piece of the same write just went out in this pass
        while unsent:
            if self.ragged:
                self._recut_head()
            if self.nagle:
                self._coalesce_head()
            length, start, psh = unsent[0]
            in_flight = seq.diff(self.snd_nxt, self.snd_una)
            if self.nagle and length < self.segment_size and not force and not self.fin_pending \
                    and self._nagle_holds():
                break
            room = self.snd_wnd - in_flight
            if room <= 0:
                break  # flow control: wait for the window to open (RFC 9293 3.8.6)
            if length > room and not force and not self._may_split(room, burst):
                self.window_blocked = True
                break
            if not cc.can_send(in_flight, min(length, room)):
                break  # congestion control: wait for ACKs
            force = False
            unsent.popleft()
            if length > room:  # send what the window allows; the rest is cut afresh at the MSS
                unsent.appendleft((length - room, start + room, psh))
                self.ragged = True
                length, psh = room, False
                burst = False
            else:
                burst = not psh and length == self.segment_size
            if length < self.segment_size:
                self.small_end = seq.add(self.snd_nxt, length)  # Linux tcp_minshall_update
            yield self.queue(now, length=length, psh=psh, payload_start=start)
        if self.fin_pending and not unsent:
            self.fin_pending = False
            self.fin_seq = self.snd_nxt
            yield self.queue(now, fin=True)

    def _nagle_holds(self) -> bool:
        """Must a short segment wait (Nagle on)?

        rfc9293, 3.7.4 (RFC 1122 4.2.3.4, and the bracketed [SND.NXT = SND.UNA] of
        3.8.6.2.1): while any data is unacknowledged. linux, tcp_nagle_check with
        tcp_minshall_check (Minshall's variant): only while a short segment sent earlier is
        unacknowledged (snd_una < snd_sml <= snd_nxt), so a short piece may follow full ones.
        Measured (Linux 6.18, TUN harness): writes of 1460, 100, 100 put 1460 and 100 on the
        wire at once and the last 100 after the ACK of the first; writes of 100, 100, 100,
        100 sent 100, then 300 after its ACK. A CLOSE releases held data (Linux puts the FIN
        on it; tcp_nagle_test)."""
        if self.rules == "linux":
            small = self.small_end
            return (small is not None and seq.gt(small, self.snd_una)
                    and seq.le(small, self.snd_nxt))
        return self.snd_nxt != self.snd_una

    def _coalesce_head(self) -> None:
        """Nagle on: bytes written while a short segment waits join it, up to the MSS (RFC 9293
        3.7.4 "buffer all user data"; Linux tcp_sendmsg appends to the unsent tail skb):
        writes of 1000, 1000, 1000 with the first unACKed go out as 1000, 1460 and 540."""
        unsent, mss = self.unsent, self.segment_size
        while len(unsent) > 1 and unsent[0][0] < mss:
            length, start, _ = unsent.popleft()
            next_length, _, next_psh = unsent.popleft()
            total = length + next_length
            if total <= mss:
                unsent.appendleft((total, start, next_psh))
            else:
                unsent.appendleft((total - mss, start + mss, next_psh))
                unsent.appendleft((mss, start, False))

    def _may_split(self, room: int, burst: bool) -> bool:
        """May a piece that does not fit go out cut at the window's right edge (0 < room)?

        rfc9293, 3.8.6.2.1 (MUST-38): only when "at least a fraction Fs of the maximum window
        can be sent", min(D, U) >= Fs * Max(SND.WND) (D > U here); else the data waits for a
        maximum-sized segment to fit, or for the override timeout (`force`).
        linux, tcp_write_xmit: tcp_snd_wnd_test lets a segment go only if a full MSS (or the
        whole, shorter, piece) fits; tcp_mss_split_point cuts a multi-MSS skb at the window,
        keeping the sub-MSS tail when Nagle is off (tcptutor's sends are TCP_NODELAY writes),
        so a partial segment goes only right after full ones of the same write. With nothing
        in flight, the probe timer (tcp_check_probe_timer) sends the rest (`force`)."""
        if self.rules == "linux":
            return burst
        return room * SWS_FRACTION_DIVISOR >= self.max_snd_wnd

    def _recut_head(self) -> None:
        """After a window-edge split, cut the rest of that write at the MSS again from its new
        start (one piece at a time): it goes out in full segments, as both stacks send the
        stream (Linux splits and re-segments the skb: tcp_fragment, tcp_write_xmit)."""
        unsent, mss = self.unsent, self.segment_size
        while True:
            length, start, psh = unsent[0]
            if length >= mss:
                return  # already cut afresh; the remainder behind it is next
            if psh or len(unsent) == 1:
                self.ragged = False
                return
            unsent.popleft()
            next_length, _, next_psh = unsent.popleft()
            total = length + next_length
            if total <= mss:
                unsent.appendleft((total, start, next_psh))  # may still be short: go on
            else:
                unsent.appendleft((total - mss, start + mss, next_psh))
                unsent.appendleft((mss, start, False))

    def acknowledge(self, ack: int, now: int) -> list[Unacked]:
        """SND.UNA = SEG.ACK: drop the entries it covers and return them."""
        newly_acked = []
        unacked = self.unacked
        while unacked and seq.le(unacked[0].end, ack):
            newly_acked.append(unacked.pop(0))
        acked_bytes = seq.diff(ack, self.snd_una)
        self.snd_una = ack
        self.dupacks = 0
        self.hole = None
        cc = self.cc
        if self.in_recovery:
            if seq.ge(ack, self.recover) or not cc.partial_ack_resends:
                # RFC 6582 3.2 step 5 full ACK (Reno, RFC 5681 3.2 step 6: any new ACK).
                self.in_recovery = False
                cc.on_recovery_end(now)
            else:
                # Partial ACK: resend the first unacknowledged segment at once (RFC 6582 3.2
                # step 5; Linux tcp_newreno_mark_lost marks the head lost).
                self.partial_acks += 1
                cc.on_partial_ack(acked_bytes, now, len(newly_acked))
                self.hole = unacked[0] if unacked else None
        else:
            cc.on_ack(acked_bytes, now, len(newly_acked))
        if self.loss_high is not None:
            if seq.ge(ack, self.loss_high) or not unacked:
                self.loss_high = self.resend_next = None  # every lost segment is acknowledged
            elif self.resend_next is not None and seq.lt(self.resend_next, ack):
                self.resend_next = ack  # the receiver held these: the cumulative ACK jumped
        return newly_acked

    def on_timeout(self, now: int, repeated: bool) -> Unacked:
        """RFC 5681 3.1 and RFC 6298 5.4: cwnd = 1 SMSS, resend the earliest unacknowledged
        segment; the others are lost too (Linux tcp_enter_loss, tcp_timeout_mark_lost) and
        follow as ACKs return. `recover` = SND.NXT (RFC 6582 3.2 step 1's note on timeouts),
        so the duplicates the resends cause start no fast retransmit."""
        self.cc.on_timeout(now, seq.diff(self.snd_nxt, self.snd_una), repeated)
        self.in_recovery = False
        self.dupacks = 0
        self._enter_go_back_n()
        return self.unacked[0]

    def _enter_go_back_n(self) -> None:
        self.recover = self.loss_high = self.snd_nxt
        self.resend_next = self.snd_una

    def resent(self, entry: Unacked) -> None:
        """`entry` went out again: go-back-N moves past it."""
        if self.resend_next is not None and seq.le(entry.seq, self.resend_next) and seq.gt(entry.end, self.resend_next):
            self.resend_next = entry.end
            if self.loss_high is None or seq.ge(entry.end, self.loss_high):
                self.resend_next = None

    def lost_to_resend(self) -> Iterator[Unacked]:
        """Go-back-N: the next lost segment while cwnd and the peer's window allow (Linux
        tcp_xmit_retransmit_queue); the caller resends each entry as it is yielded."""
        while self.resend_next is not None:
            entry = next((e for e in self.unacked if seq.gt(e.end, self.resend_next)), None)
            if entry is None:
                self.resend_next = None
                return
            if entry.seq != self.snd_una and not seq.lt(entry.seq, seq.add(self.snd_una, self.snd_wnd)):
                return  # beyond the peer's window (__tcp_retransmit_skb)
            if not self.cc.can_send(self.flight_size, entry.length):
                return
            before = self.resend_next
            yield entry
            if self.resend_next == before:
                self.resent(entry)

    def collapse(self, entry: Unacked, mss: int) -> None:
        """Linux tcp_retrans_try_collapse / tcp_collapse_retrans (net.ipv4.tcp_retrans_collapse
        = 1): merge the segments after `entry` into it while they fit one MSS and the peer's
        window. Never a SYN."""
        if entry.syn or entry.fin:
            return
        window_end = seq.add(self.snd_una, self.snd_wnd)
        space = min(seq.diff(window_end, entry.seq), mss)  # avail_wnd, at most cur_mss
        if entry.length >= space:
            return
        space -= entry.length
        unacked = self.unacked
        i = next(i for i, e in enumerate(unacked) if e is entry) + 1
        while i < len(unacked) and not entry.fin:
            following = unacked[i]
            space -= following.length
            if following.syn or space < 0 or seq.gt(following.end, window_end):
                break
            entry.length += following.length
            entry.fin, entry.psh = following.fin, entry.psh or following.psh
            entry.retransmitted = entry.retransmitted or following.retransmitted
            del unacked[i]

    def synchronize_window(self, win: int, wl1: int, wl2: int) -> None:
        """SYN processing: SND.WND = SEG.WND, SND.WL1 = SEG.SEQ, SND.WL2 = SEG.ACK (RFC 9293
        3.10.7.3, and 3.10.7.4 SYN-RECEIVED; Linux tcp_init_wl). The window given at
        construction was a placeholder, so Max(SND.WND) starts again here."""
        self.snd_wnd = self.max_snd_wnd = win
        self.snd_wl1, self.snd_wl2 = wl1, wl2

    def may_update_window(self, seg: Segment) -> bool:
        """Does this acceptable ACK (SND.UNA =< SEG.ACK =< SND.NXT) set SND.WND?

        rfc9293, 3.10.7.4: "If SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK)",
        so an older segment (a reordered or delayed one) cannot undo a newer window.
        linux, tcp_may_update_window: after(ack, snd_una) || after(ack_seq, snd_wl1) ||
        (ack_seq == snd_wl1 && (nwin > snd_wnd || !nwin))."""
        wl1 = self.snd_wl1
        if self.rules == "linux":
            return (seq.gt(seg.ack, self.snd_una) or seq.gt(seg.seq, wl1)
                    or (seg.seq == wl1 and (seg.win > self.snd_wnd or seg.win == 0)))
        return seq.lt(wl1, seg.seq) or (seg.seq == wl1 and seq.le(self.snd_wl2, seg.ack))

    def update_window(self, seg: Segment) -> bool:
        """Apply the window of an acceptable ACK if `may_update_window`; True if it did
        (Linux's FLAG_WIN_UPDATE, set by tcp_ack_update_window even when the value repeats)."""
        if not self.may_update_window(seg):
            return False
        self.snd_wnd = seg.win
        if seg.win > self.max_snd_wnd:
            self.max_snd_wnd = seg.win
        self.snd_wl1, self.snd_wl2 = seg.seq, seg.ack
        return True

    def is_duplicate_ack(self, seg: Segment) -> bool:
        """Asked before the window update. Outstanding data, no payload, no SYN/FIN, SEG.ACK =
        SND.UNA, and:
        rfc9293, RFC 5681 2: the same window as the last ACK;
        linux, tcp_ack: none of FLAG_NOT_DUP = FLAG_DATA | FLAG_WIN_UPDATE | FLAG_ACKED, so
        an ACK that may update the window (`may_update_window`) is not counted. Right after
        the handshake SND.WL1 is the SYN-ACK's sequence number, so the peer's first ACK
        (SEG.SEQ = IRS + 1) is a window update even when it repeats SND.UNA."""
        if not (
            self.unacked
            and seg.length == 0
            and not seg.has("SYN")
            and not seg.has("FIN")
            and seg.ack == self.snd_una
        ):
            return False
        if self.rules == "linux":
            return not self.may_update_window(seg)
        return seg.win == self.snd_wnd

    def on_duplicate_ack(self, now: int) -> Unacked | None:
        """RFC 5681 3.2: count it; on the third, the segment to retransmit at once (RFC 6582:
        not again until SND.UNA passes `recover`)."""
        if self.loss_high is not None:
            return None  # after an RTO: the duplicates of go-back-N (Linux tcp_process_loss)
        self.dupacks += 1
        cc = self.cc
        cc.on_duplicate_ack(self.dupacks, now)
        # RFC 5681 3.2 (Reno) has no `recover`: only RFC 6582 keeps the second fast
        # retransmit of one window back.
        if self.dupacks == 3 and (seq.ge(self.snd_una, self.recover) or not cc.partial_ack_resends):
            flight = seq.diff(self.snd_nxt, self.snd_una)
            self.recover = self.snd_nxt
            cc.on_fast_retransmit(now, flight)
            if cc.fast_recovery:
                self.in_recovery, self.partial_acks = True, 0
            else:
                self._enter_go_back_n()  # Tahoe: slow start from 1 SMSS, go-back-N
            return self.unacked[0]
        return None
