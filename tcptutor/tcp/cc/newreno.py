"""The RFC algorithms, counted in bytes: `newreno` (RFC 5681 + RFC 6582), `reno` (RFC 5681
alone) and `tahoe` (no fast recovery).

cwnd starts at IW segments and ssthresh "arbitrarily high" (RFC 5681 3.1). Below ssthresh
each ACK of new data adds min(N, SMSS) (slow start, equation 2), above it SMSS*SMSS/cwnd
(congestion avoidance, equation 3). A loss sets ssthresh = max(FlightSize / 2, 2*SMSS)
(equation 4); after an RTO cwnd is LW = 1 SMSS.
"""

from __future__ import annotations

from . import UNLIMITED, CongestionControl, register


@register("newreno")
class NewReno(CongestionControl):
    """RFC 6582 3.2: fast recovery lasts until SND.UNA reaches `recover`; a partial ACK
    resends the next hole and deflates cwnd by what it acknowledged."""

    def __init__(self, mss: int, iw: int):
        super().__init__(mss, iw)
        self._cwnd = iw * mss
        self._ssthresh = UNLIMITED
        self.in_recovery = False
        # RFC 3042 limited transmit: the 1st and 2nd duplicate ACK each let one new segment
        # out beyond cwnd (RFC 5681 3.2); those bytes stay out of ssthresh's FlightSize.
        self._limited = 0
        self._limited_bytes = 0

    @property
    def cwnd(self) -> int:
        return self._cwnd

    @property
    def ssthresh(self) -> int:
        return self._ssthresh

    def can_send(self, bytes_in_flight: int, size: int) -> bool:
        if bytes_in_flight + size <= self._cwnd:
            return True
        if bytes_in_flight + size <= self._cwnd + self._limited * self.mss:  # RFC 3042
            self._limited_bytes += size
            return True
        return False

    def _halve(self, bytes_in_flight: int) -> None:
        """RFC 5681 3.1 equation 4: ssthresh = max(FlightSize / 2, 2*SMSS)."""
        self._ssthresh = max(bytes_in_flight // 2, 2 * self.mss)

    def on_ack(self, acked_bytes: int, now: int, acked_packets: int = 1) -> None:
        self._limited = self._limited_bytes = 0
        if self._cwnd < self._ssthresh:
            self._cwnd += min(acked_bytes, self.mss)  # RFC 5681 3.1 equation 2
        else:
            self._cwnd += max(1, self.mss * self.mss // self._cwnd)  # equation 3

    def on_duplicate_ack(self, count: int, now: int) -> None:
        if not self.in_recovery and count <= 2:
            self._limited = count
        if self.in_recovery and count > 3:
            self._cwnd += self.mss  # RFC 5681 3.2 step 4 (RFC 6582 3.2 step 3): inflate

    def on_fast_retransmit(self, now: int, bytes_in_flight: int = 0) -> None:
        self._halve(bytes_in_flight - self._limited_bytes)  # RFC 5681 3.2 step 2
        self._limited = self._limited_bytes = 0
        self._cwnd = self._ssthresh + 3 * self.mss  # step 3: the three segments that left
        self.in_recovery = True

    def on_partial_ack(self, acked_bytes: int, now: int, acked_packets: int = 1) -> None:
        """RFC 6582 3.2 step 5: deflate by the new data acknowledged, add back one SMSS if
        that was at least one SMSS."""
        self._cwnd = max(self.mss, self._cwnd - acked_bytes + (self.mss if acked_bytes >= self.mss else 0))

    def on_recovery_end(self, now: int) -> None:
        self._cwnd = self._ssthresh  # RFC 6582 3.2 step 5, full ACK: option (2)
        self.in_recovery = False

    def on_timeout(self, now: int, bytes_in_flight: int = 0, repeated: bool = False) -> None:
        # RFC 5681 3.1: ssthresh is held when the segment was already resent by the timer.
        if not repeated:
            self._halve(bytes_in_flight)
        self._cwnd = self.mss  # LW: 1 full-sized segment
        self.in_recovery = False
        self._limited = self._limited_bytes = 0


@register("reno")
class Reno(NewReno):
    """RFC 5681 3.2 alone: the first ACK of new data ends fast recovery (cwnd = ssthresh);
    a second hole waits for three more duplicate ACKs or the timer."""

    partial_ack_resends = False


@register("tahoe")
class Tahoe(NewReno):
    """4.3BSD Tahoe: fast retransmit without fast recovery; cwnd = 1 SMSS, then slow start."""

    fast_recovery = False

    def on_fast_retransmit(self, now: int, bytes_in_flight: int = 0) -> None:
        self._halve(bytes_in_flight - self._limited_bytes)
        self._limited = self._limited_bytes = 0
        self._cwnd = self.mss
