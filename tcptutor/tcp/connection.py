"""One connection's TCB: RFC 9293 3.10 event processing, delegating to its parts.

The parts: `sender` (send and retransmission queues, SND.*, fast retransmit, congestion
control), `receiver` (RCV.*, reassembly, ACK policy), `rtt` (RFC 6298 estimator) and
`timers` (the named timers). This class keeps the state machine, the acceptability test,
the RST and SYN checks, and the timeouts' effects.

Sans-IO: every method takes `now` (whole microseconds) and leaves what it did in
`self.out` (segments to put on the wire) and `self.moves` (state changes, each an edge of
tcp/states.py); the host drains both after each call.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UserCallError
from . import cc, seq
from .keepalive import KeepAlive
from .params import EndpointParams
from .profiles import Profile
from .receiver import Receiver
from .rtt import RttEstimator, karn_sample
from .segment import Segment
from .sender import SWS_OVERRIDE_TIMEOUT, Sender, Unacked
from .states import SYNCHRONIZED, Event, State, Transition, transition
from .timers import DELAYED_ACK, KEEPALIVE, PERSIST, RETRANSMISSION, SWS_OVERRIDE, TIME_WAIT, TimerRegistry
from .trace import Note

S = State

DEFAULT_PEER_MSS = 536  # RFC 9293 3.7.1: assumed when no MSS option arrives


@dataclass
class Move:
    transition: Transition
    error: str | None = None  # what the user is told, in RFC 9293's words


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
        congestion_control: str | None = None,
    ):
        self.local, self.remote = local, remote
        self.params, self.profile = params, profile
        self.passive = passive
        self.state = S.LISTEN if passive else S.CLOSED
        self.iss = iss
        self.irs = 0
        self.peer_mss = DEFAULT_PEER_MSS
        self.cc_name = congestion_control or params.cc or profile.cc
        self.syn_retransmissions = 0  # of our SYN or SYN-ACK, for the initial window
        # Made again with the effective MSS once the handshake is over (_start_congestion_control).
        self.sender = Sender(iss, params.window, self._new_congestion_control(params.mss),
                             profile.sender_rules, nagle=params.nagle)
        self.receiver = Receiver(params.window, autoread=params.autoread, delayed_ack=params.delayed_ack,
                                 rules=profile.receiver_rules, mss=params.mss)
        self.rtt = RttEstimator(profile)
        self.timers = TimerRegistry()  # deadlines are absolute microseconds
        self.keepalive = KeepAlive.from_params(params)  # None: keep-alive off (RFC 1122 4.2.3.6)
        self.retries = 0  # consecutive timeouts without progress
        self.syn_was_retransmitted = False
        self.last_oow_ack: int | None = None  # Linux tp->last_oow_ack_time (see _oow_rate_limited)
        self.out: list[Segment] = []
        self.moves: list[Move] = []
        self._now = 0
        self._window_timer_ran = 0  # how long the override or probe timer was set for, for the trace
        self.persist_backoff = 0  # zero-window probes sent without the window opening
        self._probe: Unacked | None = None  # rfc9293: the octet of new data a zero-window probe carries
        self._delayed_ack_ran = 0  # how long the delayed-ACK timer was set for, for the trace
        self.last_data_sent = 0  # when data last went out (Linux tp->lsndtime), for RFC 5681 4.1

    # ------------------------------------------------------------------ views of the parts
    # Read by the host, the simulator's trace and `observe` hooks, and by tests.

    snd_una = property(lambda self: self.sender.snd_una)
    snd_nxt = property(lambda self: self.sender.snd_nxt)
    snd_wnd = property(lambda self: self.sender.snd_wnd)
    unsent = property(lambda self: self.sender.unsent)
    unacked = property(lambda self: self.sender.unacked)
    written = property(lambda self: self.sender.written)
    fin_pending = property(lambda self: self.sender.fin_pending)
    fin_seq = property(lambda self: self.sender.fin_seq)
    dupacks = property(lambda self: self.sender.dupacks)
    recover = property(lambda self: self.sender.recover)
    rcv_nxt = property(lambda self: self.receiver.rcv_nxt)
    rcv_wnd = property(lambda self: self.receiver.rcv_wnd)
    out_of_order = property(lambda self: self.receiver.out_of_order)
    delivered = property(lambda self: self.receiver.delivered)
    peer_fin = property(lambda self: self.receiver.peer_fin)
    srtt = property(lambda self: self.rtt.srtt)
    rttvar = property(lambda self: self.rtt.rttvar)
    rto = property(lambda self: self.rtt.rto)
    rtx_deadline = property(lambda self: self.timers.get(RETRANSMISSION))
    time_wait_deadline = property(lambda self: self.timers.get(TIME_WAIT))

    # ------------------------------------------------------------------ helpers

    @property
    def mss(self) -> int:
        """Effective send MSS: the peer's advertised MSS, bounded by our own (RFC 9293 3.7.1).

        Linux also bounds it by the peer's window (tcp_sync_mss -> tcp_bound_to_half_wnd):
        to half the largest window seen when that exceeds 536 bytes, else to that window,
        never below 68 - 20 header bytes, so that a window smaller than the MSS still takes
        full segments."""
        mss = min(self.peer_mss, self.params.mss)
        if self.profile.sender_rules == "linux" and self.state not in (S.CLOSED, S.SYN_SENT):  # window known
            max_window = self.sender.max_snd_wnd
            cutoff = max_window // 2 if max_window > DEFAULT_PEER_MSS else max_window
            if cutoff and mss > cutoff:
                mss = max(cutoff, 68 - 20)
        return mss

    @property
    def fin_acked(self) -> bool:
        return self.sender.fin_acked

    @property
    def live(self) -> bool:
        return self.state not in (S.CLOSED, S.LISTEN)

    def _new_congestion_control(self, mss: int) -> cc.CongestionControl:
        profile = self.profile
        iw = self.params.iw or profile.iw or cc.initial_window(mss)
        if self.syn_retransmissions >= profile.iw_one_after_syn_retransmissions:
            iw = 1  # RFC 5681 3.1: after a lost SYN or SYN-ACK, one segment (tcp_init_transfer)
        return cc.make(self.cc_name, mss, iw, profile.cc_flavour)

    def _start_congestion_control(self) -> None:
        """Synchronized: the peer's MSS is known, so cwnd counts in the effective SMSS. The
        idle time of RFC 5681 4.1 counts from here (Linux tcp_finish_connect, and
        tcp_rcv_state_process in SYN-RECEIVED: lsndtime = now)."""
        self.sender.cc = self._new_congestion_control(self.mss)
        self.last_data_sent = self._now

    def _restart_after_idle(self) -> None:
        """RFC 5681 4.1: a sender that has sent no data for longer than the RTO starts again
        from the restart window RW = min(IW, cwnd). Asked when the application writes with
        nothing in flight (Linux tcp_skb_entail -> tcp_slow_start_after_idle_check, with
        net.ipv4.tcp_slow_start_after_idle = 1: !packets_out and now - lsndtime > icsk_rto);
        the algorithm decides how far cwnd falls (cc.CongestionControl.on_idle_restart).
        IW here is the ordinary initial window, not the one segment after a lost SYN (Linux's
        restart_cwnd is tcp_init_cwnd)."""
        idle = self._now - self.last_data_sent
        if self.sender.unacked or self.state not in SYNCHRONIZED or idle <= self.rtt.rto:
            return
        restart = self.params.iw or self.profile.iw or cc.initial_window(self.mss)
        self.sender.cc.on_idle_restart(idle, self.rtt.rto, restart)

    def _move(self, event: Event, target: State | None = None, error: str | None = None) -> None:
        t = transition(self.state, event, target)
        self.state = t.target
        self.moves.append(Move(t, error))
        if t.target in (S.CLOSED, S.LISTEN):
            self.timers.stop_all()
        if t.target == S.TIME_WAIT:
            self._start_time_wait(self._now)

    def _emit(self, flags: set[str], *, seqno: int | None = None, ack: int | None = None,
              length: int = 0, payload_start: int = 0, retransmission: bool = False,
              note: str = "", mss: int | None = None) -> None:
        ack_value = (self.receiver.rcv_nxt if ack is None else ack) if "ACK" in flags else 0
        if self.receiver.delayed_ack:
            self._ack_and_data_sent(flags, length)
        self.out.append(
            Segment(
                src=self.local,
                dst=self.remote,
                seq=self.sender.snd_nxt if seqno is None else seqno,
                ack=ack_value,
                flags=frozenset(flags),
                length=length,
                win=self.receiver.advertise(self._rcv_mss),
                mss=mss,
                payload_start=payload_start,
                retransmission=retransmission,
                note=note,
            )
        )

    @property
    def _rcv_mss(self) -> int:
        """Eff.snd.MSS for receiver-side SWS avoidance (RFC 9293 3.8.6.2.2); Linux's rcv_mss
        estimate starts from the same min(advmss, peer's MSS)."""
        return min(self.peer_mss, self.params.mss)

    def _ack_and_data_sent(self, flags: set[str], length: int) -> None:
        """Delayed ACKs: a segment with ACK carries the pending ACK, whatever else it carries
        (RFC 9293 3.8.6.3; Linux tcp_event_ack_sent stops the delayed-ACK timer); data we
        send may make the connection interactive (Linux tcp_event_data_sent)."""
        if length:
            self.receiver.on_data_sent(self._now)
        if "ACK" in flags:
            self.receiver.on_ack_sent()
            self.timers.stop(DELAYED_ACK)

    def _delay_ack(self) -> None:
        """Start the delayed-ACK timer, keeping an earlier deadline (RFC 9293 3.8.6.3: the
        ACK is not delayed further; Linux tcp_send_delayed_ack keeps the older timeout, and
        sends the ACK now when that timeout is within a quarter of ato)."""
        delay = self.receiver.ack_delay(self.rtt.srtt)
        at = self._now + delay
        current = self.timers.get(DELAYED_ACK)
        if current is not None and self.profile.receiver_rules == "linux" and current <= self._now + delay // 4:
            self._send_ack()
            return
        if current is None or at < current:
            self.timers.start(DELAYED_ACK, at)
            self._delayed_ack_ran = delay

    def _send_ack(self, note: str = "") -> None:
        """<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>"""
        self._emit({"ACK"}, note=note)

    def _transmit(self, entry: Unacked, *, retransmission: bool, note: str = "",
                  start_timer: bool = True) -> None:
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
        if entry.length:
            self.last_data_sent = self._now  # Linux tcp_event_data_sent, resends too
        if retransmission:
            entry.retransmitted = True
            if entry.syn:
                self.syn_was_retransmitted = True
                self.syn_retransmissions += 1
        self.timers.stop(KEEPALIVE)  # something is outstanding: keep-alive waits (tcp/keepalive.py)
        # RFC 6298 5.1: start the timer when data goes out and it is not running.
        if start_timer and not self.timers.running(RETRANSMISSION):
            self.timers.start(RETRANSMISSION, self._now + self._current_timeout())

    def _resend(self, entry: Unacked, note: Note) -> None:
        """Retransmit `entry`: Linux first merges the small segments after it into it
        (tcp_retrans_try_collapse); RFC 9293 resends an exact copy."""
        if self.profile.retrans_collapse:
            self.sender.collapse(entry, self.mss)
        self._transmit(entry, retransmission=True, note=note)
        self.sender.resent(entry)

    def _resend_lost(self) -> None:
        """Go-back-N after an RTO: resend what cwnd now allows (Linux tcp_xmit_retransmit_queue)."""
        for entry in self.sender.lost_to_resend():
            self._resend(entry, note=Note.SLOW_START_AFTER_TIMEOUT)

    def _send_syn(self) -> None:
        """Queue our SYN at SND.NXT (= ISS) and send it."""
        self._transmit(self.sender.queue(self._now, syn=True), retransmission=False)

    def _current_timeout(self) -> int:
        """How long the retransmission timer runs from now, for what is outstanding."""
        if self.state == S.SYN_SENT:
            return self.profile.syn_timeout(self.retries, self.profile.rto_initial)
        if self.state == S.SYN_RECEIVED:
            return min(self.profile.rto_initial * 2**self.retries, self.profile.rto_max)
        return self.rtt.rto

    def _start_time_wait(self, now: int) -> None:
        """RFC 9293 3.10.7.4: enter TIME-WAIT, start the 2MSL timer, turn off the others."""
        self.timers.stop(RETRANSMISSION)
        self.timers.stop(KEEPALIVE)
        self.timers.start(TIME_WAIT, now + self.profile.time_wait)

    # ------------------------------------------------------------------ user calls (RFC 9293 3.10)

    def connect(self, now: int) -> None:
        """OPEN, active (3.10.1): send <SEQ=ISS><CTL=SYN>, SND.UNA = ISS, SND.NXT = ISS+1."""
        self._now = now
        self._move(Event.ACTIVE_OPEN)
        self.sender.start_at(self.iss)
        self._send_syn()

    def send(self, sizes: tuple[int, ...], now: int) -> None:
        """SEND (3.10.2): segmentize each write at the MSS; queue it until ESTABLISHED."""
        self._now = now
        if self.state in (S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSING, S.LAST_ACK, S.TIME_WAIT) or self.sender.fin_pending:
            raise UserCallError("connection closing", self.state.value)
        self._restart_after_idle()
        if self.sender.nagle:  # one write at a time, as an application's send() calls come
            for size in sizes:
                self.sender.write((size,), self.mss)
                self._flush()
            return
        self.sender.write(sizes, self.mss)
        self._flush()

    def read(self, sizes: tuple[int, ...], now: int) -> None:
        """RECEIVE (3.10.3): take N bytes (`sizes` empty: all) from the receive buffer, or
        what there is when fewer are buffered; then the window update if one is due. RFC
        9293 queues a RECEIVE before ESTABLISHED; a scenario's read is immediate, so there it
        is an error, as in CLOSING, LAST-ACK and TIME-WAIT ("connection closing")."""
        self._now = now
        if self.state in (S.SYN_SENT, S.SYN_RECEIVED):
            raise UserCallError("connection not yet established", self.state.value)
        if self.state in (S.CLOSING, S.LAST_ACK, S.TIME_WAIT):
            raise UserCallError("connection closing", self.state.value)
        _, update_due = self.receiver.read(sizes[0] if sizes else None, self._rcv_mss)
        if update_due and not self.receiver.peer_fin:
            self._send_ack()  # a window update: an ACK that only opens the window

    def close(self, now: int) -> None:
        """CLOSE (3.10.4): the FIN follows every byte already written."""
        self._now = now
        if self.state == S.SYN_SENT:
            self._move(Event.CLOSE)
        elif self.state in (S.SYN_RECEIVED, S.ESTABLISHED, S.CLOSE_WAIT):
            self.sender.fin_pending = True
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
                self._emit({"RST", "ACK"}, note=Note.ABORT)
            else:
                self._emit({"RST"}, note=Note.ABORT)  # <SEQ=SND.NXT><CTL=RST>
        self._move(Event.ABORT)

    # ------------------------------------------------------------------ sending

    def _flush(self, force: bool = False, on_ack: bool = False) -> None:
        """Send queued data that fits the peer's window, then a pending FIN.

        After CLOSE, data written before it still goes out first (RFC 9293 3.10.4), even if
        the peer's FIN arrives meanwhile (FIN-WAIT-1 -> CLOSING). `on_ack`: an ACK arrived."""
        if self.state not in (S.ESTABLISHED, S.CLOSE_WAIT, S.FIN_WAIT_1, S.LAST_ACK, S.CLOSING):
            return
        sender = self.sender
        if sender.resend_next is not None:
            return  # lost segments go first, as cwnd allows (_resend_lost)
        if self.state in (S.FIN_WAIT_1, S.LAST_ACK, S.CLOSING) and not (sender.unsent or sender.fin_pending):
            return
        sent = False
        probe = self._probe
        if probe is not None and (probe not in sender.unacked or sender.snd_wnd > 0):
            self._probe = None
            if probe in sender.unacked:  # the window opened: the probe's octet goes first
                self._transmit(probe, retransmission=True)
                sent = True
        for entry in sender.sendable(self._now, force=force):  # the peer's window and the cc decide
            self._transmit(entry, retransmission=False)
            sent = True
        self._run_window_timer(sent, on_ack)

    def _zero_window_wait(self) -> bool:
        """Data waits for a zero window with nothing in flight but a probe: the persist timer's
        case (RFC 9293 3.8.6.1; Linux tcp_check_probe_timer / tcp_ack_probe)."""
        sender = self.sender
        return (sender.snd_wnd == 0 and bool(sender.unsent)
                and all(entry is self._probe for entry in sender.unacked))

    def _persist_timeout(self) -> int:
        """RFC 1122 4.2.2.17: the first probe after the RTO, then "increase exponentially the
        interval between successive probes"; Linux tcp_probe0_when: max(RTO, TCP_RTO_MIN)
        << icsk_backoff, at most TCP_RTO_MAX."""
        return min(self.rtt.rto << self.persist_backoff, self.profile.rto_max)

    def _send_zero_window_probe(self) -> None:
        """A zero-window probe. rfc9293, 3.8.6.1: "at least one octet of new data (if
        available), or retransmit": the first octet waiting, then that same octet again while
        it is unacknowledged; it is not timed by the retransmission timer (the persist timer
        is, as in BSD). linux, tcp_write_wakeup -> tcp_xmit_probe_skb(sk, 0): nothing new
        fits, so <SEQ=SND.UNA-1><CTL=ACK> with no data, an old octet the peer must ACK."""
        if self.profile.sender_rules == "linux":
            self._emit({"ACK"}, seqno=seq.add(self.sender.snd_una, -1), note=Note.ZERO_WINDOW_PROBE)
            return
        if self._probe is None:
            self._probe = self.sender.probe_octet(self._now)
            self._transmit(self._probe, retransmission=False, note=Note.ZERO_WINDOW_PROBE, start_timer=False)
        else:
            self._transmit(self._probe, retransmission=True, note=Note.ZERO_WINDOW_PROBE, start_timer=False)

    def _run_window_timer(self, sent: bool, on_ack: bool = False) -> None:
        """Data waits at the window edge (sender-side SWS avoidance): make sure it cannot wait
        for ever.

        rfc9293: the override timeout (3.8.6.2.1), restarted whenever new data went out, so
        that it fires only when the sender is stuck. linux: the probe timer, only with
        nothing in flight (tcp_check_probe_timer: !packets_out && !icsk_pending), after
        tcp_probe0_base = max(RTO, TCP_RTO_MIN); an ACK is otherwise on its way."""
        sender, timers = self.sender, self.timers
        if self._zero_window_wait():
            # linux, tcp_ack -> tcp_ack_probe: an ACK restarts the probe timer; rfc9293 and a
            # new write (tcp_check_probe_timer) leave a running one alone.
            restart = on_ack and self.profile.sender_rules == "linux"
            if restart or not timers.running(PERSIST):
                timeout = self._persist_timeout()
                timers.start(PERSIST, self._now + timeout)
                self._window_timer_ran = timeout
            timers.stop(SWS_OVERRIDE)
            return
        if sender.snd_wnd > 0:
            self.persist_backoff = 0  # the window opened (Linux tcp_ack_probe: icsk_backoff = 0)
        if not sender.window_blocked:
            timers.stop(SWS_OVERRIDE)
            timers.stop(PERSIST)
        elif self.profile.sender_rules == "linux":
            if sender.in_flight == 0 and not timers.running(PERSIST):
                timers.start(PERSIST, self._now + self.rtt.rto)
                self._window_timer_ran = self.rtt.rto
        elif sent or not timers.running(SWS_OVERRIDE):
            timers.start(SWS_OVERRIDE, self._now + SWS_OVERRIDE_TIMEOUT)
            self._window_timer_ran = SWS_OVERRIDE_TIMEOUT

    # ------------------------------------------------------------------ timers

    def deadline(self) -> int | None:
        """When the next timer is due (aioquic's get_timer()), None when none runs."""
        return self.timers.earliest()

    def timer_kind(self) -> tuple[str, int]:
        """Which timer is due next and how long it ran, for the trace."""
        due = self.timers.next()
        if due is not None and due[1] == TIME_WAIT:  # wins a tie with retransmission
            return "time-wait", self.profile.time_wait
        if due is not None and due[1] in (SWS_OVERRIDE, PERSIST):
            return due[1], self._window_timer_ran
        if due is not None and due[1] == KEEPALIVE:
            return KEEPALIVE, self.keepalive.ran
        if due is not None and due[1] == DELAYED_ACK:
            return DELAYED_ACK, self._delayed_ack_ran
        kind = {S.SYN_SENT: "syn", S.SYN_RECEIVED: "synack"}.get(self.state, "retransmission")
        return kind, self._current_timeout()

    def _give_up(self, now: int, synack_retries: int | None) -> bool:
        """Retransmissions exhausted? RFC 9293 3.8.3 counts them; Linux times a SYN."""
        if self.state == S.SYN_SENT and self.profile.syn_give_up_by_time:
            return now - self.sender.unacked[0].first_sent >= self.profile.syn_budget()
        limit = {
            S.SYN_SENT: self.profile.syn_retries,
            S.SYN_RECEIVED: self.profile.synack_retries if synack_retries is None else synack_retries,
        }.get(self.state, self.profile.data_retries)
        return self.retries >= limit

    def on_timer(self, now: int, synack_retries: int | None = None) -> None:
        """A timer is due: TIME-WAIT's 2MSL, or the retransmission timer.

        `synack_retries`: the listener's limit for this half-open entry when it differs
        from the profile's (Linux reqsk_timer_handler under a flood: Host.synack_retry_limit)."""
        self._now = now
        timers, unacked = self.timers, self.sender.unacked
        time_wait = timers.get(TIME_WAIT)
        if time_wait is not None and now >= time_wait:
            self._move(Event.TIMEOUT_2MSL)  # RFC 9293 3.10.8
            return
        due = timers.next()
        if due is not None and due[1] in (SWS_OVERRIDE, PERSIST) and now >= due[0]:
            # 3.8.6.2.1 "(4) the data is PUSHed and the override timeout occurs" / Linux
            # tcp_probe_timer -> tcp_write_wakeup: send what the window allows.
            timers.stop(due[1])
            if due[1] == PERSIST and self._zero_window_wait():
                self._send_zero_window_probe()  # Linux tcp_probe_timer -> tcp_send_probe0
                self.persist_backoff += 1
                timeout = self._persist_timeout()
                timers.start(PERSIST, now + timeout)
                self._window_timer_ran = timeout
                return
            self._flush(force=True)
            return
        if due is not None and due[1] == KEEPALIVE and now >= due[0]:
            self._on_keepalive_timeout(now)
            return
        if due is not None and due[1] == DELAYED_ACK and now >= due[0]:
            # RFC 9293 3.8.6.3 / Linux tcp_delack_timer_handler: the held ACK goes out alone.
            timers.stop(DELAYED_ACK)
            self.receiver.on_delayed_ack_timeout(self.rtt.rto)
            self._send_ack(note=Note.DELAYED_ACK)
            return
        rtx = timers.get(RETRANSMISSION)
        if rtx is None or now < rtx or not unacked:
            return
        timers.stop(RETRANSMISSION)
        if self._give_up(now, synack_retries):
            target = S.LISTEN if (self.passive and self.state == S.SYN_RECEIVED) else S.CLOSED
            error = None if target == S.LISTEN else "connection aborted due to user timeout"
            self._move(Event.GIVE_UP, target, error)
            return
        self.retries += 1
        if self.state in SYNCHRONIZED:
            self.rtt.back_off()  # RFC 6298 5.5
            # RFC 6298 5.4: retransmit the earliest segment not yet acknowledged; the rest
            # follow as ACKs return (go-back-N, Sender.on_timeout).
            self._resend(self.sender.on_timeout(now, repeated=self.retries > 1), Note.RETRANSMISSION_TIMEOUT)
        else:
            self._transmit(unacked[0], retransmission=True, note=Note.RETRANSMISSION_TIMEOUT)
        timers.start(RETRANSMISSION, now + self._current_timeout())  # RFC 6298 5.6

    def _on_keepalive_timeout(self, now: int) -> None:
        """RFC 9293 3.8.4 / RFC 1122 4.2.3.6: probe the idle peer, or give it up.

        The probe is <SEQ=SND.NXT-1><ACK=RCV.NXT><CTL=ACK> with no data (Linux
        tcp_write_wakeup -> tcp_xmit_probe_skb: seq snd_una - 1, nothing being outstanding):
        an old sequence number, which the peer's acceptability test answers with an ACK.
        After `count` unanswered probes the connection is reset and closed (Linux
        tcp_keepalive_timer: tcp_send_active_reset, RST+ACK at SND.NXT, then tcp_write_err:
        the application gets ETIMEDOUT); the reset takes the profile's ABORT form."""
        keepalive = self.keepalive
        if keepalive.timed_out():
            self._emit({"RST", "ACK"} if self.profile.rst_ack_on_abort else {"RST"}, note=Note.KEEPALIVE_RESET)
            self._move(Event.KEEPALIVE_TIMEOUT, error="connection timed out: keep-alive probes unanswered")
            return
        self._emit({"ACK"}, seqno=seq.add(self.sender.snd_nxt, -1), note=Note.KEEPALIVE_PROBE)
        self.timers.start(KEEPALIVE, keepalive.probed(now))

    def _heard_from_peer(self) -> None:
        """An acceptable ACK arrived: the idle time starts again (Linux tcp_ack: rcv_tstamp,
        icsk_probes_out = 0), if keep-alive is on and nothing is outstanding."""
        sender = self.sender
        if self.keepalive is None or sender.unacked or sender.unsent or sender.fin_pending:
            return
        if self.state in (S.TIME_WAIT, S.CLOSED, S.LISTEN):
            return
        self.timers.start(KEEPALIVE, self.keepalive.heard(self._now))

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
        self.receiver.start_at(seg.seq)
        self.peer_mss = seg.mss or DEFAULT_PEER_MSS
        self.sender.synchronize_window(seg.win, seg.seq, self.iss)
        self._move(Event.RCV_SYN)
        self.sender.start_at(self.iss)
        self._send_syn()  # <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>

    def accept_cookie(self, seg: Segment, peer_mss: int, now: int) -> None:
        """RFC 4987 3.6: the ACK of a cookie SYN-ACK rebuilds the TCB the server never kept."""
        self._now = now
        self.irs = seq.add(seg.seq, -1)
        self.receiver.start_at(self.irs)
        self.iss = seq.add(seg.ack, -1)
        self.sender.start_at(seg.ack)
        self.peer_mss = peer_mss
        self.sender.synchronize_window(seg.win, seg.seq, seg.ack)
        self._move(Event.RCV_COOKIE_ACK)
        self._start_congestion_control()
        self._heard_from_peer()
        if seg.length or seg.has("FIN"):
            self._on_synchronizing_or_synchronized(seg)

    def _on_syn_sent(self, seg: Segment) -> None:
        """3.10.7.3 SYN-SENT."""
        ack_ok = False
        if seg.has("ACK"):
            # First: "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless the RST
            # bit is set, if so drop the segment and return) <SEQ=SEG.ACK><CTL=RST>".
            if seq.le(seg.ack, self.iss) or seq.gt(seg.ack, self.sender.snd_nxt):
                if not seg.has("RST"):
                    self._emit({"RST"}, seqno=seg.ack, note=Note.BAD_ACK_IN_SYN_SENT)
                return
            ack_ok = seq.lt(self.sender.snd_una, seg.ack) and seq.le(seg.ack, self.sender.snd_nxt)
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
        self.receiver.start_at(seg.seq)
        self.peer_mss = seg.mss or DEFAULT_PEER_MSS
        # "SND.WND <- SEG.WND, SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK" (3.10.7.3, fourth)
        self.sender.synchronize_window(seg.win, seg.seq, seg.ack if seg.has("ACK") else self.iss)
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
            self.timers.stop(RETRANSMISSION)
            self._transmit(self.sender.unacked[0], retransmission=False)

    def _after_handshake(self) -> None:
        """RFC 6298 5.7: after a retransmitted SYN (no RTT sample), data starts with RTO >= 3 s."""
        self.retries = 0
        if self.syn_was_retransmitted:
            self.rtt.after_retransmitted_syn()
        self._start_congestion_control()

    def _acceptable(self, seg: Segment) -> bool:
        """3.10.7.4 first check, the four cases of the acceptability table.

        One reading differs from the table's letter: an empty segment other than a RST at
        exactly the right edge (SEG.SEQ = RCV.NXT+RCV.WND) is acceptable. Read literally the table refuses it,
        and two hosts that have both filled the other's window while holding out-of-order
        data then answer each other's ACKs forever (an ACK war the property tests found).
        4.4BSD tcp_input (todrop = 0) and Linux tcp_sequence (!after(seq, rcv_nxt + window))
        both accept it."""
        length, rcv_nxt, wnd = seg.seg_len, self.receiver.rcv_nxt, self.receiver.rcv_wnd
        if length == 0:
            edge = 0 if seg.has("RST") else 1  # a RST keeps the strict window (RFC 5961 3.2)
            return seg.seq == rcv_nxt if wnd == 0 else seq.in_window(seg.seq, rcv_nxt, wnd + edge)
        if wnd == 0:
            return False
        last = seq.add(seg.seq, length - 1)
        return seq.in_window(seg.seq, rcv_nxt, wnd) or seq.in_window(last, rcv_nxt, wnd)

    def _oow_rate_limited(self) -> bool:
        """Linux __tcp_oow_rate_limited: True (send nothing) when this socket already
        answered an out-of-window segment, a bad RST or SYN less than tcp_invalid_ratelimit
        (500 ms) ago; otherwise note the time. It keeps two hosts from an ACK loop and caps
        what a blind attacker learns from challenge ACKs. (The host-wide
        tcp_challenge_ack_limit is INT_MAX, i.e. off, since Linux 6.0.) RFC 9293: no limit."""
        limit = self.profile.invalid_ratelimit
        if not limit:
            return False
        last = self.last_oow_ack
        if last is not None and 0 <= self._now - last < limit:
            return True
        self.last_oow_ack = self._now
        return False

    def _on_synchronizing_or_synchronized(self, seg: Segment) -> None:
        """3.10.7.4: SYN-RECEIVED and every synchronized state.

        Simultaneous open: each side, in SYN-RECEIVED, receives the other's SYN,ACK, whose
        SEG.SEQ is the IRS it already holds, i.e. RCV.NXT - 1. RFC 9293's figure 7 shows it
        taken as the ACK of our SYN (four segments), but figures illustrate and the event
        processing rules: the first check (3.10.7.4, the acceptability table) finds a
        one-octet segment starting below RCV.NXT unacceptable, so `rfc9293` answers it
        with an ACK and drops it, and each side reaches ESTABLISHED when the other's ACK
        arrives: six segments. Linux (tcp_validate_incoming, "tcp: Don't drop SYN+ACK for
        simultaneous connect()", 6.10) lets exactly this SYN,ACK through (SEG.SEQ + 1 =
        RCV.NXT, SEG.ACK = SND.NXT), becomes ESTABLISHED on it and answers it with a pure
        ACK (tcp_data_queue: an old sequence number draws an immediate ACK): six segments
        too, ESTABLISHED one latency earlier. Two Linux 6.18 kernels measured over a
        10 ms link: SYN, SYN, SYN,ACK, SYN,ACK, ACK, ACK; connect() returns on the SYN,ACK.
        """
        crossing_syn_ack = (
            self.state == S.SYN_RECEIVED and not self.passive and seg.has("SYN") and seg.has("ACK")
            and seg.seq == self.irs and not seg.has("RST")
        )
        if crossing_syn_ack and self.profile.crossing_syn_ack_establishes and seg.ack == self.sender.snd_nxt:
            if self._process_ack(seg):
                self._send_ack(note=Note.ACK_OF_CROSSING_SYN_ACK)
            return
        if not self._acceptable(seg):
            self._on_unacceptable(seg)
            return
        if seg.has("RST"):
            self._on_reset(seg)
            return
        if seg.has("SYN"):
            # Fourth check: a SYN in the window.
            if self.state == S.SYN_RECEIVED and self.passive:
                self._move(Event.RCV_SYN, S.LISTEN)
            elif self.profile.rfc5961:  # RFC 5961 4.2; Linux tcp_send_challenge_ack
                if not self._oow_rate_limited():
                    self._send_ack(note=Note.CHALLENGE_ACK)
            else:
                # RFC 9293 3.10.7.4, "for implementations that do not follow RFC 5961": "If the
                # SYN is in the window it is an error: send a reset ... enter the CLOSED state".
                # The reset answers the SYN as 3.10.7.1 forms one: <SEQ=SEG.ACK><CTL=RST> if
                # it carries ACK, else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
                if seg.has("ACK"):
                    self._emit({"RST"}, seqno=seg.ack, note=Note.RESET_FOR_SYN_IN_WINDOW)
                else:
                    self._emit({"RST", "ACK"}, seqno=0, ack=seq.add(seg.seq, seg.seg_len),
                               note=Note.RESET_FOR_SYN_IN_WINDOW)
                self._move(Event.RCV_SYN, S.CLOSED, error="connection reset")
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
            self._answer_repeated_syn()
            return
        if self.state == S.TIME_WAIT and seg.has("FIN"):
            # "The only thing that can arrive in this state is a retransmission of the remote
            # FIN. Acknowledge it, and restart the 2 MSL timeout." (3.10.7.4, fifth/eighth)
            self._send_ack(note=Note.ACK_OF_RETRANSMITTED_FIN)
            self._start_time_wait(self._now)
            return
        # Linux tcp_oow_rate_limited: only segments without data (or with a SYN) are limited;
        # "data packets without SYNs are not likely part of an ACK loop".
        if (seg.length == 0 or seg.has("SYN")) and self._oow_rate_limited():
            return
        self._send_ack(note=Note.ACK_OF_UNACCEPTABLE)

    def _answer_repeated_syn(self) -> None:
        """The peer never saw our SYN,ACK and sent its SYN again: answer with the SYN,ACK
        (what the ACK reply amounts to for a half-open entry; BSD and Linux do this).

        Linux tcp_check_req: inet_rtx_syn_ack, unless tcp_oow_rate_limited, then
        mod_timer_pending restarts the SYN-ACK timer with the current timeout (1 s << the
        timeouts so far), so the timer does not send a second copy right behind this one.
        RFC 6298 5.1 starts the timer only when it is not running: `rfc9293` leaves it.
        When the SYN and the timer fall at the same instant, `rfc9293` fires the timer
        first (the contract's rule: two SYN-ACKs) and `linux` answers the SYN first (one
        SYN-ACK; Host.timer_yields_to_arrival says why)."""
        if self._oow_rate_limited():
            return
        self._transmit(self.sender.unacked[0], retransmission=True, note=Note.REPLY_TO_REPEATED_SYN)
        if self.profile.synack_timer_restarts_on_syn:
            self.timers.start(RETRANSMISSION, self._now + self._current_timeout())

    def _on_reset(self, seg: Segment) -> None:
        """Second check. With RFC 5961 3.2 only a RST exactly at RCV.NXT resets and any other
        in-window one draws a challenge ACK; without it (RFC 9293's base rule) every RST that
        passed the window test resets."""
        if self.profile.rfc5961 and seg.seq != self.receiver.rcv_nxt:
            if not self._oow_rate_limited():  # Linux tcp_send_challenge_ack
                self._send_ack(note=Note.CHALLENGE_ACK)
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
        sender = self.sender
        if self.state == S.SYN_RECEIVED:
            # "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state and continue
            # processing"; otherwise "form a reset segment <SEQ=SEG.ACK><CTL=RST>".
            if not (seq.lt(sender.snd_una, seg.ack) and seq.le(seg.ack, sender.snd_nxt)):
                self._emit({"RST"}, seqno=seg.ack, note=Note.BAD_ACK_IN_SYN_RECEIVED)
                return False
            # "set the variables: SND.WND <- SEG.WND, SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK"
            sender.synchronize_window(seg.win, seg.seq, seg.ack)
            self._acknowledge(seg.ack)
            self._move(Event.RCV_ACK_OF_SYN)
            self._after_handshake()
            self._flush()
            return True
        if seq.gt(seg.ack, sender.snd_nxt):
            # "If the ACK acks something not yet sent (SEG.ACK > SND.NXT), then send an ACK,
            # drop the segment, and return."
            self._send_ack(note=Note.ACK_OF_UNSENT_DATA)
            return False
        # "If the ACK is a duplicate (SEG.ACK < SND.UNA), it can be ignored"; otherwise
        # SND.UNA =< SEG.ACK =< SND.NXT and the send window may be updated (WL1/WL2).
        if seq.ge(seg.ack, sender.snd_una):
            # RFC 5681 2 / tcp_ack: before the update. Not while probing a zero window: the
            # probe's answers repeat SND.UNA (BSD tcp_input counts only with the rexmt timer on).
            duplicate = sender.is_duplicate_ack(seg) and not self._zero_window_wait()
            sender.update_window(seg)
            if seq.gt(seg.ack, sender.snd_una):
                self._acknowledge(seg.ack)
            elif duplicate:
                missing = sender.on_duplicate_ack(self._now)
                if missing is not None:  # RFC 5681 3.2: the third retransmits it at once
                    self._resend(missing, Note.FAST_RETRANSMIT)
            self._heard_from_peer()
        if sender.fin_acked:
            will_process_fin = seg.has("FIN") and seq.add(seg.seq, seg.length) == self.receiver.rcv_nxt
            if self.state == S.FIN_WAIT_1 and not will_process_fin:
                self._move(Event.RCV_ACK_OF_FIN)
            elif self.state == S.CLOSING:
                self._move(Event.RCV_ACK_OF_FIN)
            elif self.state == S.LAST_ACK:
                self._move(Event.RCV_ACK_OF_FIN)
                return False
        self._flush(on_ack=True)
        return True

    def _acknowledge(self, ack: int) -> None:
        """SND.UNA = SEG.ACK: drop what it covers, sample the RTT, manage the timer."""
        sender = self.sender
        newly_acked = sender.acknowledge(ack, self._now)
        self.retries = 0
        sample = karn_sample(newly_acked, self._now)  # Karn's algorithm (RFC 6298 3)
        if sample is not None:
            self.rtt.sample(sample)
            sender.cc.on_rtt_sample(sample, self._now)
        if not sender.unacked:
            self.timers.stop(RETRANSMISSION)  # RFC 6298 5.2
            self._heard_from_peer()
        elif sender.hole is None or sender.partial_acks == 1 or self.profile.rearm_on_every_partial_ack:
            self.timers.start(RETRANSMISSION, self._now + self._current_timeout())  # RFC 6298 5.3
        if sender.hole is not None:
            self._resend(sender.hole, Note.PARTIAL_ACK)  # RFC 6582 3.2 step 5
        self._resend_lost()

    def _process_text_and_fin(self, seg: Segment) -> None:
        """Seventh (segment text) and eighth (FIN) checks; one ACK per segment with content."""
        if seg.seg_len == 0:
            return
        if self.state in (S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK, S.TIME_WAIT):
            # The peer already sent its FIN: nothing new can come; repeat our ACK.
            self._send_ack()
            return
        receiver = self.receiver
        if seq.gt(seg.seq, receiver.rcv_nxt):
            # Out of order: hold it (3.10.7.4 "SHOULD be held for later processing") and
            # repeat the cumulative ACK at once, which the sender counts as a duplicate.
            receiver.hold(seg)
            self._send_ack(note=Note.DUPLICATE_ACK_OUT_OF_ORDER)
            return
        filled_hole = bool(receiver.out_of_order)
        receiver.accept_in_order(seg, self._on_fin)
        # A FIN that ends our side (CLOSING, TIME-WAIT) is ACKed at once (Linux tcp_fin).
        if self.state in (S.CLOSING, S.TIME_WAIT) or receiver.ack_now(
                seg, self._now, filled_hole=filled_hole, rto=self.rtt.rto,
                full_size=min(self.peer_mss, self.params.mss)):
            self._send_ack()
        else:
            self._delay_ack()

    def _on_fin(self) -> None:
        """Eighth check, once the receiver has advanced RCV.NXT over the FIN: change state
        (the ACK of it follows the segment's processing)."""
        if self.state in (S.SYN_RECEIVED, S.ESTABLISHED):
            self.receiver.on_fin_in_established()
            self._move(Event.RCV_FIN)
        elif self.state == S.FIN_WAIT_1:
            if self.fin_acked:
                self._move(Event.RCV_FIN_ACK_OF_FIN)
            else:
                self._move(Event.RCV_FIN)
        elif self.state == S.FIN_WAIT_2:
            self._move(Event.RCV_FIN)
