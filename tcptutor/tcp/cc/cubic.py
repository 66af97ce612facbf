"""`cubic` (RFC 9438) with the constants and structure of Linux's net/ipv4/tcp_cubic.c.

The window is counted in packets, as Linux does; slow start, fast recovery and the RTO are
Linux's (cc/linux.py), only the reduction and the growth in congestion avoidance differ:

- a loss (cubictcp_recalc_ssthresh): ssthresh = max(cwnd * 717 / 1024, 2) (beta = 717/1024,
  RFC 9438 4.6 says 0.7); W_max = cwnd, or with fast convergence (RFC 9438 4.7), when cwnd
  is below the last W_max, cwnd * (1 + beta) / 2; the epoch ends;
- congestion avoidance (bictcp_update): the first ACK of an epoch records its start and
  K = cbrt((W_max - cwnd) / C) with C = bic_scale * 10 / 1024 = 0.4 (RFC 9438 4.2, eq. 2);
  then every update aims at W_cubic(t + RTT) = C * (t - K)^3 + W_max (eq. 1; Linux adds
  delay_min, the smallest RTT seen, to t) by growing one packet every
  cnt = cwnd / (target - cwnd) packets acked (tcp_cong_avoid_ai), at most one per 2 acked;
  with no W_max yet (a first epoch, or after an RTO) cnt is at most 20;
- the Reno-friendly region (tcp_friendliness, RFC 9438 4.3): W_est starts at cwnd and grows
  one packet per cwnd * 15 / 8 acked (alpha = 3 (1 - beta) / (1 + beta), Linux's
  beta_scale = 15); while W_est is above cwnd, cwnd grows at least as fast as Reno's would;
- an RTO (cubictcp_state, TCP_CA_Loss): after ssthresh is computed, everything is
  forgotten (bictcp_reset): W_max = 0, the epoch, delay_min; cwnd = 1.

delay_min comes from the RTT samples of data ACKs (Karn's rule); Linux also samples the
handshake, so before the first data sample the simulator aims at W_cubic(t), not t + RTT.
The update runs at most once per jiffy and, while cwnd has not changed, not again within
HZ/32 (bictcp_update); this machine's kernels run HZ = 250, so a jiffy is 4 ms. The cube root
is exact here (Linux: a table and one Newton step, 0.2 % error), which may put K one jiffy
apart.

Not modelled:
- HyStart (hystart = 1): Linux may leave slow start early, setting ssthresh = cwnd, once
  cwnd is at least 16 packets (hystart_low_window) and either a train of ACKs each within
  2 ms of the last spans more than half the smallest RTT, or the RTT of a round grows by
  delay_min / 8 (clamped to 4..16 ms). The simulator stays in slow start until a loss, so
  behind a `rate`/`queue` bottleneck Linux stops doubling earlier (near half the
  bandwidth-delay product) than the simulator does. Scenarios without `rate` (all ACKs of a
  round arrive together, at a constant RTT) and every window below 16 packets (the
  teaching scenarios and the kernel cases) are unaffected.
- Pacing (Linux paces only with the fq qdisc or BBR; cubic over the default qdisc does not).
- The shift of the epoch after an idle period (cubictcp_cwnd_event, CA_EVENT_TX_START) and
  the rule that cwnd grows only while the sender is cwnd-limited (tcp_is_cwnd_limited).
"""

from __future__ import annotations

from . import register
from .linux import LinuxReno

BETA_SCALE = 1024
BETA = 717  # beta = 717 / 1024 (module parameter `beta`)
BIC_SCALE = 41  # module parameter `bic_scale`
C = BIC_SCALE * 10 / 1024  # cube_rtt_scale / 1024: 0.4004 packets per second cubed
BETA_RENO_SCALE = 8 * (BETA_SCALE + BETA) // 3 // (BETA_SCALE - BETA)  # beta_scale = 15
JIFFY = 4_000  # microseconds: CONFIG_HZ = 250
HZ = 250


@register("cubic")
class Cubic(LinuxReno):
    name = "cubic"

    def __init__(self, mss: int, iw: int):
        super().__init__(mss, iw)
        self._reset()

    def _reset(self) -> None:
        """bictcp_reset: forget W_max, the epoch and the smallest RTT."""
        self.cnt = 0  # grow one packet per `cnt` packets acked
        self.w_max = 0  # last_max_cwnd
        self.last_cwnd = 0
        self.last_time = 0  # jiffies of the last update
        self.origin = 0  # bic_origin_point: W_max of this epoch's curve
        self.k = 0.0  # seconds from the epoch's start to the origin
        self.delay_min = 0  # microseconds
        self.epoch_start: int | None = None  # jiffies; None: no epoch
        self.ack_cnt = 0
        self.w_est = 0  # tcp_cwnd: the Reno-friendly estimate

    # ------------------------------------------------------------------ the formula

    @staticmethod
    def k_for(w_max: float, cwnd: float) -> float:
        """RFC 9438 4.2 equation 2 with cwnd at the epoch's start: K = cbrt((W_max - cwnd) / C)."""
        return ((w_max - cwnd) / C) ** (1 / 3) if w_max > cwnd else 0.0

    def w_cubic(self, t: float) -> float:
        """RFC 9438 4.2 equation 1: the window, in packets, t seconds into the epoch."""
        return C * (t - self.k) ** 3 + self.origin

    # ------------------------------------------------------------------ hooks

    def on_rtt_sample(self, rtt: int, now: int) -> None:
        """cubictcp_acked: delay_min is the smallest RTT, except in the second after an
        epoch starts (samples right after fast recovery are discarded)."""
        if self.epoch_start is not None and now // JIFFY - self.epoch_start < HZ:
            return
        rtt = max(rtt, 1)
        if self.delay_min == 0 or rtt < self.delay_min:
            self.delay_min = rtt

    def on_ack(self, acked_bytes: int, now: int, acked_packets: int = 1) -> None:
        """cubictcp_cong_avoid: slow start as Reno, then grow toward the cubic target."""
        self.sacked_out = 0
        acked = acked_packets
        if self.cwnd_packets < self.ssthresh_packets:  # tcp_slow_start
            grown = min(self.cwnd_packets + acked, self.ssthresh_packets)
            acked -= grown - self.cwnd_packets
            self.cwnd_packets = grown
            if not acked:
                return
        self._update(now // JIFFY, acked)
        self._cong_avoid_ai(self.cnt, acked)

    def _update(self, jiffies: int, acked: int) -> None:
        """bictcp_update: set `cnt` from the cubic target and the Reno-friendly estimate."""
        cwnd = self.cwnd_packets
        self.ack_cnt += acked
        if self.last_cwnd == cwnd and jiffies - self.last_time <= HZ // 32:
            return
        if not (self.epoch_start is not None and jiffies == self.last_time):
            self.last_cwnd, self.last_time = cwnd, jiffies
            if self.epoch_start is None:
                self.epoch_start, self.ack_cnt, self.w_est = jiffies, acked, cwnd
                if self.w_max <= cwnd:
                    self.k, self.origin = 0.0, cwnd
                else:
                    self.k, self.origin = self.k_for(self.w_max, cwnd), self.w_max
            # t + RTT: usecs_to_jiffies(delay_min) rounds up
            t = (jiffies - self.epoch_start + -(-self.delay_min // JIFFY)) / HZ
            target = int(self.w_cubic(t))
            self.cnt = cwnd // (target - cwnd) if target > cwnd else 100 * cwnd
            if self.w_max == 0 and self.cnt > 20:
                self.cnt = 20  # no W_max known: at least 5 % per RTT
        # tcp_friendliness (RFC 9438 4.3)
        per_packet = (cwnd * BETA_RENO_SCALE) >> 3
        while self.ack_cnt > per_packet:
            self.ack_cnt -= per_packet
            self.w_est += 1
        if self.w_est > cwnd:
            self.cnt = min(self.cnt, cwnd // (self.w_est - cwnd))
        self.cnt = max(self.cnt, 2)  # at most 1 packet per 2 acked (1.5x per RTT)

    def _halve(self) -> None:
        """cubictcp_recalc_ssthresh: W_max with fast convergence, ssthresh = beta * cwnd."""
        cwnd = self.cwnd_packets
        self.epoch_start = None
        if cwnd < self.w_max:  # fast_convergence = 1 (RFC 9438 4.7)
            self.w_max = cwnd * (BETA_SCALE + BETA) // (2 * BETA_SCALE)
        else:
            self.w_max = cwnd
        self.ssthresh_packets = max(cwnd * BETA // BETA_SCALE, 2)

    def on_timeout(self, now: int, bytes_in_flight: int = 0, repeated: bool = False) -> None:
        """tcp_enter_loss: ssthresh first, then TCP_CA_Loss resets CUBIC (bictcp_reset)."""
        super().on_timeout(now, bytes_in_flight, repeated)
        self._reset()
