"""Keep-alive (RFC 9293 3.8.4, RFC 1122 4.2.3.6): when nothing has come from the peer for
`idle`, probe it; after `count` unanswered probes, `interval` apart, give the connection up.

Off unless the scenario asks for it (RFC 1122: "MUST default to off"). The timer runs only
while nothing is outstanding: with data or a FIN in flight the retransmission timer is the
one that finds a dead peer (Linux tcp_keepalive_timer: `tp->packets_out ||
!tcp_write_queue_empty(sk)` only reschedules). The connection (tcp/connection.py) arms it
with `heard()` whenever an acceptable ACK arrives and stops it when it sends data.
"""

from __future__ import annotations

from dataclasses import dataclass

from .params import EndpointParams


@dataclass
class KeepAlive:
    idle: int  # microseconds with nothing received before the first probe (TCP_KEEPIDLE)
    interval: int  # microseconds between unanswered probes (TCP_KEEPINTVL)
    count: int  # unanswered probes before the connection is reset (TCP_KEEPCNT)
    probes_out: int = 0  # Linux icsk_probes_out: probes sent since the peer was last heard
    last_probe: int | None = None
    ran: int = 0  # how long the timer was last set for, for the trace

    @classmethod
    def from_params(cls, params: EndpointParams) -> "KeepAlive | None":
        if not params.keepalive:
            return None
        return cls(params.keepalive_idle, params.keepalive_interval, params.keepalive_count)

    def heard(self, now: int) -> int:
        """The peer was heard from at `now`: when the next probe is due.

        Linux tcp_ack sets rcv_tstamp and clears icsk_probes_out; the timer, still set for
        one interval after the last probe, then sees less than `idle` elapsed and waits
        until `idle` after what it heard (keepalive_time_elapsed), so the next probe goes at
        the later of the two. Measured on Linux 6.18 (idle 2 s, interval 1 s): a probe 2 s
        after the handshake, the peer's ACK, the next probe 2 s after that ACK."""
        self.probes_out = 0
        due = now + self.idle
        if self.last_probe is not None:
            due = max(due, self.last_probe + self.interval)
        self.ran = due - now
        return due

    def timed_out(self) -> bool:
        """The timer is due: True when `count` probes have gone unanswered (give up),
        else a probe is to be sent (tcp_keepalive_timer: icsk_probes_out >= keepalive_probes)."""
        return self.probes_out >= self.count

    def probed(self, now: int) -> int:
        """A probe went out at `now`: when the timer fires next (one interval later)."""
        self.probes_out += 1
        self.last_probe = now
        self.ran = self.interval
        return now + self.interval
