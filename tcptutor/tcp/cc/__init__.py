"""Congestion control as plug-ins chosen by name (model: aioquic's quic/congestion/base.py).

The sender calls the hooks below as ACKs, duplicate ACKs and timeouts happen, and asks
`can_send` before each data segment. Algorithms (RFC 5681 Tahoe/Reno, RFC 6582 NewReno,
RFC 9438 CUBIC) subclass CongestionControl and register under a name with `@register`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from ...errors import SimulationError

UNLIMITED = sys.maxsize  # cwnd/ssthresh of an algorithm that never limits the sender


class CongestionControl:
    """The interface; every hook does nothing by default. Sizes are bytes, times microseconds.

    `mss` is the sender's effective MSS, `iw` the initial window in segments (RFC 5681 3.1,
    RFC 6928)."""

    name = "base"
    # What the sender does around a fast retransmit (RFC 5681 3.2, RFC 6582 3.2):
    fast_recovery = True  # False (Tahoe): slow start from 1 SMSS, resending go-back-N
    partial_ack_resends = True  # False (Reno): the first new ACK ends fast recovery

    def __init__(self, mss: int, iw: int):
        self.mss, self.iw = mss, iw
        # The sender binds this to its own count of segments in flight (Linux counts cwnd
        # in packets, tcp_packets_in_flight); algorithms that count bytes ignore it.
        self.packets_in_flight: Callable[[], int] = lambda: 0

    @property
    def cwnd(self) -> int:
        return UNLIMITED

    @property
    def ssthresh(self) -> int:
        return UNLIMITED

    def can_send(self, bytes_in_flight: int, size: int) -> bool:
        """May a segment of `size` bytes go out with `bytes_in_flight` unacknowledged?"""
        return bytes_in_flight + size <= self.cwnd

    def on_ack(self, acked_bytes: int, now: int, acked_packets: int = 1) -> None:
        """An ACK advanced SND.UNA by `acked_bytes` (`acked_packets` segments) outside fast
        recovery (RFC 5681 3.1: grow the window)."""

    def on_duplicate_ack(self, count: int, now: int) -> None:
        """The `count`-th duplicate ACK in a row arrived (RFC 5681 3.2)."""

    def on_fast_retransmit(self, now: int, bytes_in_flight: int = 0) -> None:
        """The sender retransmitted on the third duplicate ACK (RFC 5681 3.2 step 2);
        `bytes_in_flight` is FlightSize just before."""

    def on_partial_ack(self, acked_bytes: int, now: int, acked_packets: int = 1) -> None:
        """In fast recovery, an ACK below `recover` (RFC 6582 3.2 step 5, partial ACK)."""

    def on_recovery_end(self, now: int) -> None:
        """Fast recovery is over: a full ACK (RFC 6582 3.2 step 5), or Reno's first new ACK."""

    def on_timeout(self, now: int, bytes_in_flight: int = 0, repeated: bool = False) -> None:
        """The retransmission timer expired (RFC 5681 3.1, equation 4: ssthresh, cwnd = 1 MSS);
        `repeated`: the segment had already been retransmitted by the timer."""


_REGISTRY: dict[str, type[CongestionControl]] = {}


def register(name: str) -> Callable[[type[CongestionControl]], type[CongestionControl]]:
    """Class decorator: make an algorithm available to `make(name, ...)`."""

    def add(cls: type[CongestionControl]) -> type[CongestionControl]:
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return add


def names() -> tuple[str, ...]:
    return tuple(sorted(_REGISTRY))


# Algorithms as another stack implements them, by profile: Linux's `reno` module
# (net/ipv4/tcp_cong.c) with the NewReno-style recovery of tcp_input.c, counted in packets.
_FLAVOURS: dict[tuple[str, str], type[CongestionControl]] = {}


def register_flavour(flavour: str, *names_: str) -> Callable[[type[CongestionControl]], type[CongestionControl]]:
    """Class decorator: what `make(name, ..., flavour=flavour)` builds for each of `names_`."""

    def add(cls: type[CongestionControl]) -> type[CongestionControl]:
        for name in names_:
            _FLAVOURS[(flavour, name)] = cls
        return cls

    return add


def initial_window(mss: int) -> int:
    """RFC 5681 3.1: IW is 4 segments up to an SMSS of 1095 bytes, 3 up to 2190, else 2."""
    return 4 if mss <= 1095 else 3 if mss <= 2190 else 2


def make(name: str, mss: int, iw: int, flavour: str = "") -> CongestionControl:
    """A fresh instance of the algorithm registered as `name` (as `flavour` does it, if it
    has its own version: `linux`)."""
    cls = _FLAVOURS.get((flavour, name)) or _REGISTRY.get(name)
    if cls is None:
        raise SimulationError(f"unknown congestion control {name!r} (known: {', '.join(names())})")
    return cls(mss, iw)


from . import linux, newreno, none  # noqa: E402,F401  (registers the shipped plug-ins)
