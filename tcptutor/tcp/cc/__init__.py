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

    def __init__(self, mss: int, iw: int):
        self.mss, self.iw = mss, iw

    @property
    def cwnd(self) -> int:
        return UNLIMITED

    @property
    def ssthresh(self) -> int:
        return UNLIMITED

    def can_send(self, bytes_in_flight: int, size: int) -> bool:
        """May a segment of `size` bytes go out with `bytes_in_flight` unacknowledged?"""
        return bytes_in_flight + size <= self.cwnd

    def on_ack(self, acked_bytes: int, now: int) -> None:
        """An ACK advanced SND.UNA by `acked_bytes` (RFC 5681 3.1: grow the window)."""

    def on_duplicate_ack(self, count: int, now: int) -> None:
        """The `count`-th duplicate ACK in a row arrived (RFC 5681 3.2)."""

    def on_fast_retransmit(self, now: int) -> None:
        """The sender retransmitted on the third duplicate ACK (RFC 5681 3.2 step 2)."""

    def on_timeout(self, now: int) -> None:
        """The retransmission timer expired (RFC 5681 3.1, equation 4: ssthresh, cwnd = 1 MSS)."""


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


def make(name: str, mss: int, iw: int) -> CongestionControl:
    """A fresh instance of the algorithm registered as `name`."""
    cls = _REGISTRY.get(name)
    if cls is None:
        raise SimulationError(f"unknown congestion control {name!r} (known: {', '.join(names())})")
    return cls(mss, iw)


from . import none  # noqa: E402,F401  (registers the shipped plug-ins)
