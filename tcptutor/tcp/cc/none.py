"""`none`: no congestion control; only the peer's window limits the sender (RFC 9293 3.8.6).

What the simulator did before congestion control (v1 scenarios): it teaches flow control and
retransmission first. Loss recovery (partial ACKs, go-back-N after a timeout) runs as with
any algorithm, only never held back by a cwnd."""

from __future__ import annotations

from . import CongestionControl, register


@register("none")
class NoCongestionControl(CongestionControl):
    def can_send(self, bytes_in_flight: int, size: int) -> bool:
        return True
