"""Linux's `reno` (net.ipv4.tcp_congestion_control = reno), what the `linux` profile runs
until CUBIC (Linux's default, RFC 9438) is modelled.

Linux counts cwnd and flight in packets (tcp_packets_in_flight), not bytes:
- slow start, tcp_slow_start: cwnd += packets acked, up to ssthresh; the rest goes to
  congestion avoidance, tcp_cong_avoid_ai: +1 packet per cwnd packets acked
  (tcp_reno_cong_avoid);
- a loss: ssthresh = max(cwnd / 2, 2) (tcp_reno_ssthresh), of cwnd, not of the flight;
- recovery for a connection without SACK is NewReno (tcp_fastretrans_alert in
  TCP_CA_Recovery, tcp_newreno_mark_lost); it ends with cwnd = ssthresh
  (tcp_end_cwnd_reduction);
- an RTO: tcp_enter_loss, cwnd = packets in flight + 1 = 1 once every segment is marked lost;
- the 1st and 2nd duplicate ACK (TCP_CA_Disorder) each count one segment as delivered
  (tcp_add_reno_sack: sacked_out, out of tcp_packets_in_flight), so one new segment goes
  out per duplicate, as RFC 3042 limited transmit does.

Not modelled: proportional rate reduction (RFC 6937, tcp_cwnd_reduction) during recovery
(cwnd is inflated by one packet per duplicate ACK, as RFC 6582 does), and Linux's rule that
cwnd grows only while the sender is cwnd-limited (tcp_is_cwnd_limited).
"""

from __future__ import annotations

from . import CongestionControl, register_flavour

TCP_INFINITE_SSTHRESH = 0x7FFFFFFF


@register_flavour("linux", "reno", "newreno")
class LinuxReno(CongestionControl):
    name = "reno"

    def __init__(self, mss: int, iw: int):
        super().__init__(mss, iw)
        self.cwnd_packets = iw
        self.ssthresh_packets = TCP_INFINITE_SSTHRESH
        self.cwnd_count = 0  # snd_cwnd_cnt: packets acked since cwnd last grew in avoidance
        self.in_recovery = False
        self.sacked_out = 0  # duplicate ACKs before recovery (tcp_add_reno_sack)

    @property
    def cwnd(self) -> int:
        """In bytes, for the trace: cwnd packets of the effective MSS."""
        return self.cwnd_packets * self.mss

    @property
    def ssthresh(self) -> int:
        return min(self.ssthresh_packets * self.mss, TCP_INFINITE_SSTHRESH)

    def can_send(self, bytes_in_flight: int, size: int) -> bool:
        """tcp_cwnd_test: one more segment while tcp_packets_in_flight < cwnd."""
        return self.packets_in_flight() - self.sacked_out < self.cwnd_packets

    def on_ack(self, acked_bytes: int, now: int, acked_packets: int = 1) -> None:
        self.sacked_out = 0
        acked = acked_packets
        if self.cwnd_packets < self.ssthresh_packets:  # tcp_in_slow_start
            grown = min(self.cwnd_packets + acked, self.ssthresh_packets)
            acked -= grown - self.cwnd_packets
            self.cwnd_packets = grown
            if not acked:
                return
        # tcp_cong_avoid_ai(tp, cwnd, acked)
        w = self.cwnd_packets
        if self.cwnd_count >= w:
            self.cwnd_count = 0
            self.cwnd_packets += 1
        self.cwnd_count += acked
        if self.cwnd_count >= w:
            self.cwnd_packets += self.cwnd_count // w
            self.cwnd_count %= w

    def _halve(self) -> None:
        self.ssthresh_packets = max(self.cwnd_packets >> 1, 2)  # tcp_reno_ssthresh

    def on_duplicate_ack(self, count: int, now: int) -> None:
        if not self.in_recovery and count <= 2:
            self.sacked_out = count
        if self.in_recovery and count > 3:
            self.cwnd_packets += 1

    def on_fast_retransmit(self, now: int, bytes_in_flight: int = 0) -> None:
        self._halve()  # tcp_enter_recovery -> tcp_init_cwnd_reduction
        self.cwnd_packets = self.ssthresh_packets + 3
        self.in_recovery = True
        self.sacked_out = 0

    def on_partial_ack(self, acked_bytes: int, now: int, acked_packets: int = 1) -> None:
        self.cwnd_packets = max(1, self.cwnd_packets - acked_packets + 1)

    def on_recovery_end(self, now: int) -> None:
        self.cwnd_packets = self.ssthresh_packets  # tcp_end_cwnd_reduction
        self.in_recovery = False

    def on_timeout(self, now: int, bytes_in_flight: int = 0, repeated: bool = False) -> None:
        # tcp_enter_loss: ssthresh is lowered unless this is a repeated timeout in Loss.
        if not repeated:
            self._halve()
        self.cwnd_packets = 1
        self.cwnd_count = 0
        self.in_recovery = False
        self.sacked_out = 0
