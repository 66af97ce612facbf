"""A TCB's timers by name, each with an absolute deadline (microseconds) or stopped.

The connection asks `next()` for what is due first (aioquic's get_timer()); the host keeps
its heap of deadlines from that. At equal deadlines the timer earlier in ORDER is due
first: TIME-WAIT before retransmission reproduces the simulator's behaviour since
before the registry (2MSL expiry, RFC 9293 3.10.8, wins the tie).
"""

from __future__ import annotations

RETRANSMISSION = "retransmission"  # RFC 6298 5
TIME_WAIT = "time-wait"  # RFC 9293 3.10.8: 2 MSL
# RFC 9293 3.8.6.1; Linux's probe timer (ICSK_TIME_PROBE0), which also sends data that
# waits at the window edge with nothing in flight (tcp_check_probe_timer), and probes a
# zero window with back-off (tcp_probe_timer, tcp_send_probe0).
PERSIST = "persist"
SWS_OVERRIDE = "sws-override"  # RFC 9293 3.8.6.2.1: sender-side SWS avoidance's override timeout
KEEPALIVE = "keepalive"  # RFC 9293 3.8.4, RFC 1122 4.2.3.6 (tcp/keepalive.py)
DELAYED_ACK = "delayed-ack"  # RFC 9293 3.8.6.3; Linux's ICSK_TIME_DACK (tcp_delack_timer)

ORDER = (TIME_WAIT, RETRANSMISSION, PERSIST, SWS_OVERRIDE, KEEPALIVE, DELAYED_ACK)
_RANK = {name: i for i, name in enumerate(ORDER)}


class TimerRegistry:
    """Named timers; only running ones are stored."""

    __slots__ = ("_running",)

    def __init__(self) -> None:
        self._running: dict[str, int] = {}

    def start(self, name: str, at: int) -> None:
        """Run `name` until `at` (restarting it if it runs)."""
        if name not in _RANK:
            raise ValueError(f"unknown timer {name!r}; known: {', '.join(ORDER)}")
        self._running[name] = at

    def stop(self, name: str) -> None:
        self._running.pop(name, None)

    def stop_all(self) -> None:
        self._running.clear()

    def get(self, name: str) -> int | None:
        """The deadline of `name`, None when it is stopped."""
        return self._running.get(name)

    def running(self, name: str) -> bool:
        return name in self._running

    def earliest(self) -> int | None:
        """The earliest deadline of any running timer (what the host's heap needs), None if none."""
        running = self._running
        return min(running.values()) if running else None

    def next(self) -> tuple[int, str] | None:
        """The earliest (deadline, name); ties go to the name earlier in ORDER."""
        running = self._running
        if not running:
            return None
        if len(running) == 1:
            name, at = next(iter(running.items()))
            return at, name
        best_name, best_at = None, None
        for name, at in running.items():  # a loop, not min() over a generator: this runs per event
            if best_at is None or at < best_at or (at == best_at and _RANK[name] < _RANK[best_name]):
                best_name, best_at = name, at
        return best_at, best_name
