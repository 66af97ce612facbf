"""The RFC 6298 round-trip estimator: SRTT, RTTVAR and the RTO they give, with back-off.

Pure arithmetic on whole microseconds. The clamp and the formula of RTO come from the
profile (`Profile.rto_from`, `rto_max`): the standard and Linux differ there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

FALLBACK_RTO = 3_000_000  # RFC 6298 5.7


class RtoRules(Protocol):
    """What the estimator needs of a profile."""

    rto_initial: int
    rto_max: int

    def rto_from(self, srtt: int, rttvar: int) -> int: ...


class Sent(Protocol):
    """What Karn's rule needs of a retransmission-queue entry."""

    first_sent: int
    retransmitted: bool


class RttEstimator:
    __slots__ = ("rules", "srtt", "rttvar", "rto")

    def __init__(self, rules: RtoRules):
        self.rules = rules
        self.srtt: int | None = None
        self.rttvar = 0
        self.rto = rules.rto_initial  # RFC 6298 2.1: before any sample

    def sample(self, r: int) -> None:
        """RFC 6298 2.2 (first sample) and 2.3 (later samples), alpha 1/8, beta 1/4."""
        if self.srtt is None:
            self.srtt, self.rttvar = r, r // 2
        else:
            self.rttvar = (3 * self.rttvar + abs(self.srtt - r)) // 4
            self.srtt = (7 * self.srtt + r) // 8
        self.rto = self.rules.rto_from(self.srtt, self.rttvar)

    def back_off(self) -> None:
        """RFC 6298 5.5: double the RTO after a timeout, up to the maximum (2.5)."""
        self.rto = min(self.rto * 2, self.rules.rto_max)

    def after_retransmitted_syn(self) -> None:
        """RFC 6298 5.7: a retransmitted SYN gave no sample; data starts with RTO >= 3 s."""
        if self.srtt is None:
            self.rto = max(self.rto, FALLBACK_RTO)


def karn_sample(newly_acked: Sequence[Sent], now: int) -> int | None:
    """The RTT sample an ACK gives, or None under Karn's algorithm (RFC 6298 3).

    No sample from an ACK that covers a retransmitted segment, not even for the later
    segments it covers: their ACK waited for it. The sample is timed from the newest
    segment the ACK covers."""
    if not newly_acked or any(e.retransmitted for e in newly_acked):
        return None
    return now - newly_acked[-1].first_sent
