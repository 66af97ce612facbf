"""One connection's TCB: RFC 9293 event processing, RFC 6298 timers, RFC 5681 fast retransmit.

Sans-IO: every method takes `now` (whole microseconds) and leaves what it did in
`self.out` (segments to put on the wire) and `self.moves` (state changes, each an edge of
tcp/states.py); the host drains both after each call.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from ..errors import UserCallError
from . import seq
from .profiles import Profile
from .params import EndpointParams
from .segment import Segment
from .states import SYNCHRONIZED, Event, State, Transition, transition

S = State

DEFAULT_PEER_MSS = 536  # RFC 9293 3.7.1: assumed when no MSS option arrives
FALLBACK_RTO = 3_000_000  # RFC 6298 5.7


@dataclass
class Move:
    transition: Transition
    error: str | None = None  # what the user is told, in RFC 9293's words


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


class Connection:
    """A TCB. Passive connections start in LISTEN (a copy of the listener's) and are
    handed the SYN; active ones start in CLOSED and are told to connect."""

    def __init__(
        self,
        *,
        local: str,
        remote: str,
        iss: int,
        params: EndpointParams,
        profile: Profile,
        passive: bool,
    ):
        self.local, self.remote = local, remote
        self.params, self.profile = params, profile
        self.passive = passive
        self.state = S.LISTEN if passive else S.CLOSED
        self.iss = iss
        self.irs = 0
        self.snd_una = self.snd_nxt = iss
        self.snd_wnd = params.window
        self.rcv_nxt = 0
        self.rcv_wnd = params.window
        self.peer_mss = DEFAULT_PEER_MSS
        # Sending side.
        self.unsent: deque[tuple[int, int, bool]] = deque()  # (length, payload_start, psh)
        self.written = 0  # bytes the application has handed to SEND so far
        self.fin_pending = False  # CLOSE called, FIN not yet sent
        self.fin_seq: int | None = None  # sequence number our FIN occupies, once sent
        self.unacked: list[Unacked] = []
        self.dupacks = 0
        self.recover = iss  # RFC 6582: no second fast retransmit until SND.UNA passes this
        # Receiving side.
        self.out_of_order: dict[int, Segment] = {}
        self.delivered: list[tuple[int, int]] = []  # (payload_start, length) given to the app
        self.peer_fin = False
        # Timers (RFC 6298). Deadlines are absolute microseconds, None when stopped.
        self.rto = profile.rto_initial
        self.srtt: int | None = None
        self.rttvar = 0
        self.rtx_deadline: int | None = None
        self.retries = 0  # consecutive timeouts without progress
        self.syn_was_retransmitted = False
        self.time_wait_deadline: int | None = None
        self.out: list[Segment] = []
        self.moves: list[Move] = []
        self._now = 0

    # ------------------------------------------------------------------ helpers

    @property
    def mss(self) -> int:
        """Effective send MSS: the peer's advertised MSS, bounded by our own (RFC 9293 3.7.1)."""
        return min(self.peer_mss, self.params.mss)

    @property
    def fin_acked(self) -> bool:
        return self.fin_seq is not None and seq.gt(self.snd_una, self.fin_seq)

    @property
    def live(self) -> bool:
        return self.state not in (S.CLOSED, S.LISTEN)

    def _move(self, event: Event, target: State | None = None, error: str | None = None) -> None:
        t = transition(self.state, event, target)
        self.state = t.target
        self.moves.append(Move(t, error))
        if t.target in (S.CLOSED, S.LISTEN):
            self.rtx_deadline = self.time_wait_deadline = None
        if t.target == S.TIME_WAIT:
            self._start_time_wait(self._now)

    def _emit(self, flags: set[str], *, seqno: int | None = None, ack: int | None = None,
              length: int = 0, payload_start: int = 0, retransmission: bool = False,
              note: str = "", mss: int | None = None) -> None:
        ack_value = (self.rcv_nxt if ack is None else ack) if "ACK" in flags else 0
        self.out.append(
            Segment(
                src=self.local,
                dst=self.remote,
                seq=self.snd_nxt if seqno is None else seqno,
                ack=ack_value,
                flags=frozenset(flags),
                length=length,
                win=self.rcv_wnd,
                mss=mss,
                payload_start=payload_start,
                retransmission=retransmission,
                note=note,
            )
        )

    def _send_ack(self, note: str = "") -> None:
        """<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>"""
        self._emit({"ACK"}, note=note)

    def _transmit(self, entry: Unacked, *, retransmission: bool, note: str = "") -> None:
        flags = set()
        if entry.syn:
            flags.add("SYN")
            if self.state != S.SYN_SENT:
                flags.add("ACK")  # a SYN-RECEIVED SYN carries the ACK of the peer's SYN
        else:
            flags.add("ACK")
        if entry.fin:
            flags.add("FIN")
        if entry.psh:
            flags.add("PSH")
        self._emit(
            flags,
            seqno=entry.seq,
            length=entry.length,
            payload_start=entry.payload_start,
            retransmission=retransmission,
            note=note,
            mss=self.params.mss if entry.syn else None,
        )
        if retransmission:
            entry.retransmitted = True
            if entry.syn:
                self.syn_was_retransmitted = True
        # RFC 6298 5.1: start the timer when data goes out and it is not running.
        if self.rtx_deadline is None:
            self.rtx_deadline = self._now + self._current_timeout()

    def _queue_and_send(self, *, length: int = 0, syn: bool = False, fin: bool = False,
                        psh: bool = False, payload_start: int = 0) -> None:
        entry = Unacked(self.snd_nxt, length, syn, fin, psh, payload_start, self._now)
        self.unacked.append(entry)
        self.snd_nxt = entry.end
        self._transmit(entry, retransmission=False)

    def _current_timeout(self) -> int:
        """How long the retransmission timer runs from now, for what is outstanding."""
        if self.state == S.SYN_SENT:
            return self.profile.syn_timeout(self.retries, self.profile.rto_initial)
        if self.state == S.SYN_RECEIVED:
            return min(self.profile.rto_initial * 2**self.retries, self.profile.rto_max)
        return self.rto

    def _start_time_wait(self, now: int) -> None:
        """RFC 9293 3.10.7.4: enter TIME-WAIT, start the 2MSL timer, turn off the others."""
        self.rtx_deadline = None
        self.time_wait_deadline = now + self.profile.time_wait

    # ------------------------------------------------------------------ user calls (RFC 9293 3.10)

    def connect(self, now: int) -> None:
        """OPEN, active (3.10.1): send <SEQ=ISS><CTL=SYN>, SND.UNA = ISS, SND.NXT = ISS+1."""
        self._now = now
        self._move(Event.ACTIVE_OPEN)
        self.snd_una = self.snd_nxt = self.iss
        self._queue_and_send(syn=True)

    def send(self, sizes: tuple[int, ...], now: int) -> None:
        """SEND (3.10.2): segmentize each write at the MSS; queue it until ESTABLISHED."""
        self._now = now
        if self.state in (S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSING, S.LAST_ACK, S.TIME_WAIT) or self.fin_pending:
            raise UserCallError("connection closing", self.state.value)
        for size in sizes:
            start = self.written
            self.written += size
            while start < self.written:
                chunk = min(self.mss, self.written - start)
                self.unsent.append((chunk, start, start + chunk == self.written))
                start += chunk
        self._flush()

    def close(self, now: int) -> None:
        """CLOSE (3.10.4): the FIN follows every byte already written."""
        self._now = now
        if self.state == S.SYN_SENT:
            self._move(Event.CLOSE)
        elif self.state in (S.SYN_RECEIVED, S.ESTABLISHED, S.CLOSE_WAIT):
            self.fin_pending = True
            self._move(Event.CLOSE, S.LAST_ACK if self.state == S.CLOSE_WAIT else S.FIN_WAIT_1)
            self._flush()
        else:
            raise UserCallError("connection closing", self.state.value)

    def abort(self, now: int) -> None:
        """ABORT (3.10.5): a reset in the states that have told the peer anything."""
        self._now = now
        if self.state == S.TIME_WAIT and self.profile.abort_keeps_time_wait:
            return
        if self.state in (S.SYN_RECEIVED, S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT):
            if self.profile.rst_ack_on_abort:
                self._emit({"RST", "ACK"}, note="abort")
            else:
                self._emit({"RST"}, note="abort")  # <SEQ=SND.NXT><CTL=RST>
        self._move(Event.ABORT)

    # ------------------------------------------------------------------ sending

    def _flush(self) -> None:
        """Send queued data that fits the peer's window, then a pending FIN.

        After CLOSE, data written before it still goes out first (RFC 9293 3.10.4), even if
        the peer's FIN arrives meanwhile (FIN-WAIT-1 -> CLOSING)."""
        if self.state not in (S.ESTABLISHED, S.CLOSE_WAIT, S.FIN_WAIT_1, S.LAST_ACK, S.CLOSING):
            return
        if self.state in (S.FIN_WAIT_1, S.LAST_ACK, S.CLOSING) and not (self.unsent or self.fin_pending):
            return
        while self.unsent:
            length, start, psh = self.unsent[0]
            room = self.snd_wnd - seq.diff(self.snd_nxt, self.snd_una)
            if room <= 0:
                break  # flow control: wait for the window to open (RFC 9293 3.8.6)
            self.unsent.popleft()
            if length > room:  # send what the window allows; the rest waits for it to open
                self.unsent.appendleft((length - room, start + room, psh))
                length, psh = room, False
            self._queue_and_send(length=length, psh=psh, payload_start=start)
        if self.fin_pending and not self.unsent:
            self.fin_pending = False
            self.fin_seq = self.snd_nxt
            self._queue_and_send(fin=True)

    # ------------------------------------------------------------------ timers

    def deadline(self) -> int | None:
        times = [t for t in (self.rtx_deadline, self.time_wait_deadline) if t is not None]
        return min(times) if times else None

    def timer_kind(self) -> tuple[str, int]:
        """Which timer is due next and how long it ran, for the trace."""
        if self.time_wait_deadline is not None and self.time_wait_deadline == self.deadline():
            return "time-wait", self.profile.time_wait
        kind = {S.SYN_SENT: "syn", S.SYN_RECEIVED: "synack"}.get(self.state, "retransmission")
        return kind, self._current_timeout()

    def _give_up(self, now: int) -> bool:
        """Retransmissions exhausted? RFC 9293 3.8.3 counts them; Linux times a SYN."""
        if self.state == S.SYN_SENT and self.profile.syn_give_up_by_time:
            return now - self.unacked[0].first_sent >= self.profile.syn_budget()
        limit = {
            S.SYN_SENT: self.profile.syn_retries,
            S.SYN_RECEIVED: self.profile.synack_retries,
        }.get(self.state, self.profile.data_retries)
        return self.retries >= limit

    def on_timer(self, now: int) -> None:
        self._now = now
        if self.time_wait_deadline is not None and now >= self.time_wait_deadline:
            self._move(Event.TIMEOUT_2MSL)  # RFC 9293 3.10.8
            return
        if self.rtx_deadline is None or now < self.rtx_deadline or not self.unacked:
            return
        self.rtx_deadline = None
        if self._give_up(now):
            target = S.LISTEN if (self.passive and self.state == S.SYN_RECEIVED) else S.CLOSED
            error = None if target == S.LISTEN else "connection aborted due to user timeout"
            self._move(Event.GIVE_UP, target, error)
            return
        self.retries += 1
        if self.state in SYNCHRONIZED:
            self.rto = min(self.rto * 2, self.profile.rto_max)  # RFC 6298 5.5: back off
        # RFC 6298 5.4: retransmit the earliest segment not yet acknowledged (only that one).
        self._transmit(self.unacked[0], retransmission=True, note="retransmission timeout")
        self.rtx_deadline = now + self._current_timeout()  # RFC 6298 5.6

    # ------------------------------------------------------------------ segment arrives (3.10.7)

    def on_segment(self, seg: Segment, now: int) -> None:
        self._now = now
        if self.state == S.LISTEN:
            self._on_listen(seg)
        elif self.state == S.SYN_SENT:
            self._on_syn_sent(seg)
        elif self.state != S.CLOSED:
            self._on_synchronizing_or_synchronized(seg)

    def _on_listen(self, seg: Segment) -> None:
        """3.10.7.2 LISTEN, third check: a SYN. (RST and ACK are the listener's business.)"""
        if not seg.has("SYN") or seg.has("RST") or seg.has("ACK"):
            return
        self.irs = seg.seq
        self.rcv_nxt = seq.add(seg.seq, 1)
        self.peer_mss = seg.mss or DEFAULT_PEER_MSS
        self.snd_wnd = seg.win
        self._move(Event.RCV_SYN)
        self.snd_una = self.snd_nxt = self.iss
        self._queue_and_send(syn=True)  # <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>

    def accept_cookie(self, seg: Segment, peer_mss: int, now: int) -> None:
        """RFC 4987 3.6: the ACK of a cookie SYN-ACK rebuilds the TCB the server never kept."""
        self._now = now
        self.irs = seq.add(seg.seq, -1)
        self.rcv_nxt = seg.seq
        self.iss = seq.add(seg.ack, -1)
        self.snd_una = self.snd_nxt = seg.ack
        self.peer_mss = peer_mss
        self.snd_wnd = seg.win
        self._move(Event.RCV_COOKIE_ACK)
        if seg.length or seg.has("FIN"):
            self._on_synchronizing_or_synchronized(seg)

    def _on_syn_sent(self, seg: Segment) -> None:
        """3.10.7.3 SYN-SENT."""
        ack_ok = False
        if seg.has("ACK"):
            # First: "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless the RST
            # bit is set, if so drop the segment and return) <SEQ=SEG.ACK><CTL=RST>".
            if seq.le(seg.ack, self.iss) or seq.gt(seg.ack, self.snd_nxt):
                if not seg.has("RST"):
                    self._emit({"RST"}, seqno=seg.ack, note="bad ACK in SYN-SENT")
                return
            ack_ok = seq.lt(self.snd_una, seg.ack) and seq.le(seg.ack, self.snd_nxt)
        if seg.has("RST"):
            # Second: "If the ACK was acceptable, then signal to the user 'error: connection
            # reset', drop the segment, enter CLOSED state"; without an ACK, drop it.
            if ack_ok:
                self._move(Event.RCV_RST, error="connection reset")
            return
        if not seg.has("SYN"):
            return  # Fifth: neither SYN nor RST: drop.
        # Fourth: RCV.NXT = SEG.SEQ+1, IRS = SEG.SEQ; SND.UNA = SEG.ACK if there is an ACK.
        self.irs = seg.seq
        self.rcv_nxt = seq.add(seg.seq, 1)
        self.peer_mss = seg.mss or DEFAULT_PEER_MSS
        self.snd_wnd = seg.win
        if ack_ok:
            self._acknowledge(seg.ack)
            # "If SND.UNA > ISS (our SYN has been ACKed), change the connection state to
            # ESTABLISHED, form an ACK segment <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>".
            self._move(Event.RCV_SYN_ACK)
            self._after_handshake()
            self._send_ack()
            self._flush()
        else:
            # "Otherwise, enter SYN-RECEIVED, form a SYN,ACK segment <SEQ=ISS><ACK=RCV.NXT>".
            self._move(Event.RCV_SYN)
            self.rtx_deadline = None
            self._transmit(self.unacked[0], retransmission=False)

    def _after_handshake(self) -> None:
        """RFC 6298 5.7: after a retransmitted SYN (no RTT sample), data starts with RTO >= 3 s."""
        self.retries = 0
        if self.syn_was_retransmitted and self.srtt is None:
            self.rto = max(self.rto, FALLBACK_RTO)

    def _acceptable(self, seg: Segment) -> bool:
        """3.10.7.4 first check, the four cases of the acceptability table."""
        length, wnd = seg.seg_len, self.rcv_wnd
        if length == 0:
            return seg.seq == self.rcv_nxt if wnd == 0 else seq.in_window(seg.seq, self.rcv_nxt, wnd)
        if wnd == 0:
            return False
        last = seq.add(seg.seq, length - 1)
        return seq.in_window(seg.seq, self.rcv_nxt, wnd) or seq.in_window(last, self.rcv_nxt, wnd)

    def _on_synchronizing_or_synchronized(self, seg: Segment) -> None:
        """3.10.7.4: SYN-RECEIVED and every synchronized state."""
        # Figure 7 (simultaneous open): the peer's SYN,ACK in SYN-RECEIVED acknowledges our
        # SYN; it repeats the SYN we already hold, so it is processed, not refused.
        crossing_syn_ack = (
            self.state == S.SYN_RECEIVED and not self.passive and seg.has("SYN") and seg.has("ACK")
            and seg.seq == self.irs and not seg.has("RST")
        )
        if crossing_syn_ack:
            self._process_ack(seg)
            return
        if not self._acceptable(seg):
            self._on_unacceptable(seg)
            return
        if seg.has("RST"):
            self._on_reset(seg)
            return
        if seg.has("SYN"):
            # Fourth check (with RFC 5961 4.2): a SYN in the window.
            if self.state == S.SYN_RECEIVED and self.passive:
                self._move(Event.RCV_SYN, S.LISTEN)
            else:
                self._send_ack(note="challenge ACK")
            return
        if not seg.has("ACK"):
            return  # Fifth: "if the ACK bit is off, drop the segment and return".
        if not self._process_ack(seg):
            return
        self._process_text_and_fin(seg)

    def _on_unacceptable(self, seg: Segment) -> None:
        """First check failed: "send an acknowledgment in reply (unless the RST bit is set)"."""
        if seg.has("RST"):
            return
        if self.state == S.SYN_RECEIVED and self.passive and seg.has("SYN") and seg.seq == self.irs:
            # The peer never saw our SYN,ACK and sent its SYN again: answer with the SYN,ACK
            # (what the ACK reply amounts to for a half-open entry; BSD and Linux do this).
            self._transmit(self.unacked[0], retransmission=True, note="reply to repeated SYN")
            return
        if self.state == S.TIME_WAIT and seg.has("FIN"):
            # "The only thing that can arrive in this state is a retransmission of the remote
            # FIN. Acknowledge it, and restart the 2 MSL timeout." (3.10.7.4, fifth/eighth)
            self._send_ack(note="ACK of retransmitted FIN")
            self._start_time_wait(self._now)
            return
        self._send_ack(note="ACK of an unacceptable segment")

    def _on_reset(self, seg: Segment) -> None:
        """Second check, with RFC 5961 3.2: only a RST exactly at RCV.NXT resets."""
        if seg.seq != self.rcv_nxt:
            self._send_ack(note="challenge ACK")
            return
        if self.state == S.SYN_RECEIVED:
            if self.passive:
                self._move(Event.RCV_RST, S.LISTEN)
            else:
                self._move(Event.RCV_RST, S.CLOSED, error="connection refused")
        elif self.state in (S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT):
            self._move(Event.RCV_RST, error="connection reset")
        else:  # CLOSING, LAST-ACK, TIME-WAIT: "enter the CLOSED state, delete the TCB"
            self._move(Event.RCV_RST)

    def _process_ack(self, seg: Segment) -> bool:
        """Fifth check. Returns False when the segment must be dropped here."""
        if self.state == S.SYN_RECEIVED:
            # "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state and continue
            # processing"; otherwise "form a reset segment <SEQ=SEG.ACK><CTL=RST>".
            if not (seq.lt(self.snd_una, seg.ack) and seq.le(seg.ack, self.snd_nxt)):
                self._emit({"RST"}, seqno=seg.ack, note="bad ACK in SYN-RECEIVED")
                return False
            self.snd_wnd = seg.win
            self._acknowledge(seg.ack)
            self._move(Event.RCV_ACK_OF_SYN)
            self._after_handshake()
            self._flush()
            return True
        if seq.gt(seg.ack, self.snd_nxt):
            # "If the ACK acks something not yet sent (SEG.ACK > SND.NXT), then send an ACK,
            # drop the segment, and return."
            self._send_ack(note="ACK of an ACK for data not yet sent")
            return False
        if seq.gt(seg.ack, self.snd_una):
            self.snd_wnd = seg.win
            self._acknowledge(seg.ack)
        elif self._is_duplicate_ack(seg):
            self._on_duplicate_ack()
        else:
            self.snd_wnd = seg.win
        if self.fin_acked:
            will_process_fin = seg.has("FIN") and seq.add(seg.seq, seg.length) == self.rcv_nxt
            if self.state == S.FIN_WAIT_1 and not will_process_fin:
                self._move(Event.RCV_ACK_OF_FIN)
            elif self.state == S.CLOSING:
                self._move(Event.RCV_ACK_OF_FIN)
            elif self.state == S.LAST_ACK:
                self._move(Event.RCV_ACK_OF_FIN)
                return False
        self._flush()
        return True

    def _is_duplicate_ack(self, seg: Segment) -> bool:
        """RFC 5681 2: outstanding data, no payload, no SYN/FIN, same ACK, same window."""
        return (
            bool(self.unacked)
            and seg.length == 0
            and not seg.has("SYN")
            and not seg.has("FIN")
            and seg.ack == self.snd_una
            and seg.win == self.snd_wnd
        )

    def _on_duplicate_ack(self) -> None:
        """RFC 5681 3.2: the third duplicate ACK retransmits the missing segment at once."""
        self.dupacks += 1
        if self.dupacks == 3 and seq.ge(self.snd_una, self.recover):
            self.recover = self.snd_nxt
            self._transmit(self.unacked[0], retransmission=True, note="fast retransmit")

    def _acknowledge(self, ack: int) -> None:
        """SND.UNA = SEG.ACK: drop what it covers, sample the RTT, manage the timer."""
        newly_acked = []
        while self.unacked and seq.le(self.unacked[0].end, ack):
            newly_acked.append(self.unacked.pop(0))
        self.snd_una = ack
        self.dupacks = 0
        self.retries = 0
        if newly_acked and not any(e.retransmitted for e in newly_acked):
            # Karn's algorithm (RFC 6298 3): no sample from an ACK that covers a retransmitted
            # segment, not even for the later segments it covers: their ACK waited for it.
            self._sample_rtt(self._now - newly_acked[-1].first_sent)
        if self.unacked:
            self.rtx_deadline = self._now + self._current_timeout()  # RFC 6298 5.3
        else:
            self.rtx_deadline = None  # RFC 6298 5.2

    def _sample_rtt(self, r: int) -> None:
        """RFC 6298 2.2 (first sample) and 2.3 (later samples), alpha 1/8, beta 1/4."""
        if self.srtt is None:
            self.srtt, self.rttvar = r, r // 2
        else:
            self.rttvar = (3 * self.rttvar + abs(self.srtt - r)) // 4
            self.srtt = (7 * self.srtt + r) // 8
        self.rto = self.profile.rto_from(self.srtt, self.rttvar)

    def _process_text_and_fin(self, seg: Segment) -> None:
        """Seventh (segment text) and eighth (FIN) checks; one ACK per segment with content."""
        if seg.seg_len == 0:
            return
        if self.state in (S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK, S.TIME_WAIT):
            # The peer already sent its FIN: nothing new can come; repeat our ACK.
            self._send_ack()
            return
        if seq.gt(seg.seq, self.rcv_nxt):
            # Out of order: hold it (3.10.7.4 "SHOULD be held for later processing") and
            # repeat the cumulative ACK, which the sender counts as a duplicate.
            self.out_of_order[seg.seq] = seg
            self._send_ack(note="duplicate ACK (out-of-order segment)")
            return
        self._take_in_order(seg)
        while True:
            held = next(
                (s for s in self.out_of_order.values()
                 if seq.le(s.seq, self.rcv_nxt) and seq.gt(seq.add(s.seq, s.seg_len), self.rcv_nxt)),
                None,
            )
            for k in [k for k, s in self.out_of_order.items() if seq.le(seq.add(s.seq, s.seg_len), self.rcv_nxt)]:
                del self.out_of_order[k]
            if held is None:
                break
            del self.out_of_order[held.seq]
            self._take_in_order(held)
        self._send_ack()

    def _take_in_order(self, seg: Segment) -> None:
        """Deliver the part of `seg` at and after RCV.NXT to the application, then its FIN."""
        skip = seq.diff(self.rcv_nxt, seg.seq)  # bytes already received (retransmission overlap)
        if seg.length > skip:
            fresh = seg.length - skip
            self.delivered.append((seg.payload_start + skip, fresh))
            self.rcv_nxt = seq.add(self.rcv_nxt, fresh)
        if seg.has("FIN") and seq.add(seg.seq, seg.length) == self.rcv_nxt:
            self._on_fin()

    def _on_fin(self) -> None:
        """Eighth check: advance RCV.NXT over the FIN, ACK it, change state."""
        self.rcv_nxt = seq.add(self.rcv_nxt, 1)
        self.peer_fin = True
        if self.state in (S.SYN_RECEIVED, S.ESTABLISHED):
            self._move(Event.RCV_FIN)
        elif self.state == S.FIN_WAIT_1:
            if self.fin_acked:
                self._move(Event.RCV_FIN_ACK_OF_FIN)
            else:
                self._move(Event.RCV_FIN)
        elif self.state == S.FIN_WAIT_2:
            self._move(Event.RCV_FIN)
