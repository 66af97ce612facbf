"""Profiles: the standard (rfc9293) and what Linux 6.x actually does (linux).

A lesson teaches the standard and can show where Linux differs; every number here is one
a question may ask about, so each cites its source.
"""

from __future__ import annotations

from dataclasses import dataclass

from .params import MICROS, NetParams

SECOND = MICROS


@dataclass(frozen=True)
class Profile:
    name: str
    latency: int
    rto_initial: int  # RFC 6298 2.1
    rto_min: int
    rto_max: int
    msl: int
    syn_retries: int
    synack_retries: int
    data_retries: int  # retransmissions of data/FIN before giving up (RFC 9293 3.8.3 R2)
    syn_linear_timeouts: int  # SYN timeouts that do not back off (Linux >= 6.5)
    rst_ack_on_abort: bool  # RFC 9293 3.10.5 says <SEQ=SND.NXT><CTL=RST>; Linux adds ACK
    backlog_extra: int  # Linux's half-open check admits one more than the backlog
    rttvar_floor_is_rto_min: bool  # Linux: RTO = SRTT + max(4*RTTVAR, rto_min)
    # Linux hands TIME-WAIT to a separate minisocket: closing the application's socket with
    # SO_LINGER 0 afterwards sends nothing and leaves TIME-WAIT running. RFC 9293 3.10.5
    # deletes the TCB instead.
    abort_keeps_time_wait: bool = False
    # Linux gives up on a SYN by a retry count, tcp_syn_retries + tcp_syn_linear_timeouts
    # retransmissions (tcp_write_timeout), with the time those retries take as a fallback
    # bound (retransmits_timed_out, tcp_model_timeout). The simulator applies that time bound,
    # which gives the same end with the defaults: 6 + 4 -> SYNs at 1, 2, 3, 4, 5, 7, 11, 19,
    # 35, 67 s, give up at 131 s.
    syn_give_up_by_time: bool = False
    # Congestion control (docs/scenarios.md `cc`, `iw`): the algorithm, whose version of it
    # (cc/: "" the RFC's, "linux" Linux's, in packets), and the initial window in segments
    # (None: RFC 5681 3.1's 4/3/2 by SMSS).
    cc: str = "newreno"
    cc_flavour: str = ""
    iw: int | None = None
    # IW = 1 segment once this many SYN or SYN-ACK retransmissions happened: RFC 5681 3.1
    # says after any; Linux (tcp_init_transfer) only after more than one.
    iw_one_after_syn_retransmissions: int = 1
    # Linux merges small segments into a retransmission (tcp_retrans_try_collapse,
    # net.ipv4.tcp_retrans_collapse = 1); RFC 9293 resends exact copies.
    retrans_collapse: bool = False
    # RFC 6582 3.2 step 5 and 4 ("Impatient"): only the first partial ACK restarts the
    # timer. Linux restarts it on every ACK of new data (tcp_clean_rtx_queue -> tcp_rearm_rto).
    rearm_on_every_partial_ack: bool = False
    # Which rules the sender follows for segmentation at the window edge and for window
    # updates and duplicate ACKs: "rfc9293" or "linux" (see tcp/sender.py).
    sender_rules: str = "rfc9293"
    # Which delayed-ACK policy a `delayed_ack = true` receiver follows: "rfc9293" (RFC 5681
    # 4.2: every second full-sized segment, else 200 ms) or "linux" (tcp/receiver.py).
    receiver_rules: str = "rfc9293"
    # [server] syncookies when a scenario does not say: RFC 4987 leaves cookies to the
    # operator; Linux's net.ipv4.tcp_syncookies = 1 sends them only while the queue is full.
    syncookies: bool = False
    # Simultaneous open: Linux (tcp_validate_incoming, since 6.10) takes the crossing SYN,ACK
    # in SYN-RECEIVED as the ACK of its SYN and answers it with a pure ACK; RFC 9293 3.10.7.4
    # finds it unacceptable (see Connection._on_synchronizing_or_synchronized).
    crossing_syn_ack_establishes: bool = False
    # Linux __tcp_oow_rate_limited (net.ipv4.tcp_invalid_ratelimit = 500 ms): at most one
    # ACK per socket in this time for out-of-window pure ACKs and SYNs, challenge ACKs
    # (RFC 5961) and SYN-ACKs to a repeated SYN. 0: every one is answered (RFC 9293).
    invalid_ratelimit: int = 0
    # RFC 5961's protections against blind resets and SYNs, which RFC 9293 3.10.7.4 describes
    # as optional ("If this mitigation is implemented"): only a RST exactly at RCV.NXT resets,
    # an in-window one and any SYN in a synchronized state draw a challenge ACK. Without them
    # (the base rule): any in-window RST resets, and a SYN in the window is answered with a
    # reset that closes the connection. Linux implements them (tcp_validate_incoming).
    rfc5961: bool = False
    # Linux tcp_check_req: the SYN-ACK sent for a repeated SYN restarts the SYN-ACK timer
    # (mod_timer_pending); RFC 6298 5.1 starts the timer only when it is not running.
    synack_timer_restarts_on_syn: bool = False
    # Linux's SYN-ACK timer (reqsk_timer_handler, armed with mod_timer) never fires before
    # its expiry and the timer wheel rounds a 1 s expiry up (kernel/time/timer.c), so a
    # repeated SYN that arrives at the nominal expiry is answered first; see
    # Host.timer_yields_to_arrival. RFC 9293: the contract's tie rule (the timer first).
    synack_timer_after_arrivals: bool = False
    # Linux reqsk_timer_handler: a half-open queue more than half full cuts the SYN-ACK
    # retries of entries that have timed out before (see Host.synack_retry_limit).
    prunes_old_half_open: bool = False
    # The ISN clock of a later connection to the same peer (RFC 6528: the hash of the
    # 4-tuple stays, the clock moves): RFC 9293 3.4.1 ticks every 4 us, Linux
    # tcp_v4_init_seq every 64 ns (ktime_get_real_ns() >> 6).
    isn_tick_ns: int = 4_000
    seed: int = 0

    @property
    def time_wait(self) -> int:
        """TIME-WAIT lasts 2*MSL (RFC 9293 3.10.8); Linux: fixed 60 s (TCP_TIMEWAIT_LEN)."""
        return 2 * self.msl

    def rto_from(self, srtt: int, rttvar: int) -> int:
        """RFC 6298 2.3: RTO = SRTT + max(G, K*RTTVAR), K = 4, then clamp (2.4, 2.5)."""
        if self.rttvar_floor_is_rto_min:
            rto = srtt + max(4 * rttvar, self.rto_min)
        else:
            rto = max(self.rto_min, srtt + max(1_000, 4 * rttvar))  # G: 1 ms clock
        return min(rto, self.rto_max)

    def syn_budget(self) -> int:
        """Linux's tcp_model_timeout(): how long syn_retries exponential retries would take."""
        base, boundary = self.rto_initial, self.syn_retries
        threshold = (self.rto_max // base).bit_length() - 1  # ilog2(TCP_RTO_MAX / rto_base)
        if boundary <= threshold:
            return ((2 << boundary) - 1) * base
        return ((2 << threshold) - 1) * base + (boundary - threshold) * self.rto_max

    def syn_timeout(self, retransmissions_so_far: int, initial: int) -> int:
        """How long to wait for a reply to the SYN sent after N earlier retransmissions.

        RFC 6298 5.5 doubles the RTO each time. Linux 6.5+ (tcp_syn_linear_timeouts=4)
        keeps the first timeouts at the initial RTO: SYNs at 0, 1, 2, 3, 4, 5, 7, 11, 19 ... s.
        """
        linear = self.syn_linear_timeouts
        if retransmissions_so_far <= linear:
            factor = 1 if linear else 2**retransmissions_so_far
        else:
            factor = 2 ** (retransmissions_so_far - linear)
        return min(initial * factor, self.rto_max)


RFC9293 = Profile(
    name="rfc9293",
    latency=10_000,
    rto_initial=1 * SECOND,  # RFC 6298 2.1
    rto_min=1 * SECOND,  # RFC 6298 2.4
    rto_max=60 * SECOND,  # RFC 6298 2.5: "at least 60 seconds"
    msl=120 * SECOND,  # RFC 9293 3.4.2: MSL "arbitrarily defined to be 2 minutes"
    syn_retries=7,  # RFC 1122 4.2.3.5: retry a SYN for at least 3 minutes (1+2+...+64 s: 183 s)
    synack_retries=5,
    data_retries=15,
    syn_linear_timeouts=0,
    rst_ack_on_abort=False,
    backlog_extra=0,
    rttvar_floor_is_rto_min=False,
)

LINUX = Profile(
    name="linux",
    latency=10_000,
    rto_initial=1 * SECOND,  # TCP_TIMEOUT_INIT
    rto_min=200_000,  # TCP_RTO_MIN
    rto_max=120 * SECOND,  # TCP_RTO_MAX
    msl=30 * SECOND,  # TIME-WAIT = TCP_TIMEWAIT_LEN = 60 s
    syn_retries=6,  # net.ipv4.tcp_syn_retries
    synack_retries=5,  # net.ipv4.tcp_synack_retries
    data_retries=15,  # net.ipv4.tcp_retries2
    syn_linear_timeouts=4,  # net.ipv4.tcp_syn_linear_timeouts (6.5+)
    rst_ack_on_abort=True,  # tcp_send_active_reset sends RST|ACK
    backlog_extra=1,
    rttvar_floor_is_rto_min=True,
    abort_keeps_time_wait=True,
    syn_give_up_by_time=True,
    cc="cubic",  # net.ipv4.tcp_congestion_control = cubic (RFC 9438), Linux's default
    cc_flavour="linux",
    iw=10,  # TCP_INIT_CWND (RFC 6928)
    iw_one_after_syn_retransmissions=2,
    retrans_collapse=True,
    rearm_on_every_partial_ack=True,
    sender_rules="linux",
    receiver_rules="linux",
    syncookies=True,  # net.ipv4.tcp_syncookies = 1
    crossing_syn_ack_establishes=True,
    invalid_ratelimit=500_000,  # net.ipv4.tcp_invalid_ratelimit = 500 (ms)
    rfc5961=True,  # tcp_validate_incoming: tcp_send_challenge_ack for RST and SYN
    synack_timer_restarts_on_syn=True,
    synack_timer_after_arrivals=True,
    prunes_old_half_open=True,
    isn_tick_ns=64,
)

PROFILES = {p.name: p for p in (RFC9293, LINUX)}


def resolve(net: NetParams) -> Profile:
    """The profile named by [net], with every explicit [net] value taking precedence."""
    base = PROFILES[net.profile]
    overrides: dict = {"latency": net.latency, "seed": net.seed}
    if net.rto is not None:
        overrides["rto_initial"] = net.rto
    if net.msl is not None:
        overrides["msl"] = net.msl
    if net.syn_retries is not None:
        overrides["syn_retries"] = net.syn_retries
    if net.synack_retries is not None:
        overrides["synack_retries"] = net.synack_retries
    if net.rfc5961 is not None:
        overrides["rfc5961"] = net.rfc5961
    return base.__class__(**{**base.__dict__, **overrides})
