"""`none`: no congestion control; only the peer's window limits the sender (RFC 9293 3.8.6).

What the simulator has always done: it teaches flow control and retransmission first."""

from __future__ import annotations

from . import CongestionControl, register


@register("none")
class NoCongestionControl(CongestionControl):
    def can_send(self, bytes_in_flight: int, size: int) -> bool:
        return True
