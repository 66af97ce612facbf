"""A snapshot of one connection's TCB variables, as the trace's event member `tcb` gives them.

Why a snapshot: plots, the `--tcb` ladder and questions about cwnd or the RTO need the
values an endpoint held after each event, and reading them back out of segments is
guesswork (a cwnd is never on the wire). Sizes are bytes and times whole microseconds;
a variable that does not exist yet is None and absent from the JSON:
- `snd_wnd` and `rcv_nxt` before the peer's SYN has arrived (RFC 9293 3.10.7.2, 3.10.7.3
  set them from it);
- `srtt` and `rttvar` before the first RTT sample (RFC 6298 2.1: only the RTO exists);
- `cwnd` under congestion control `none`, and `ssthresh` while it is still "arbitrarily
  high" (RFC 5681 3.1: the initial ssthresh) or under `none`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .cc import UNLIMITED
from .states import State

# The names, in the JSON's order (contract v2, "Trace additions").
TCB_FIELDS = ("snd_una", "snd_nxt", "snd_wnd", "rcv_nxt", "rcv_wnd", "cwnd", "ssthresh", "srtt", "rttvar", "rto")
TIME_FIELDS = frozenset({"srtt", "rttvar", "rto"})
_BEFORE_PEER_SYN = frozenset({State.CLOSED, State.LISTEN, State.SYN_SENT})
# An ssthresh this high is the "arbitrarily high" initial one (RFC 5681 3.1); Linux's is
# TCP_INFINITE_SSTHRESH (include/net/tcp.h), which `ss -i` does not show either.
ARBITRARILY_HIGH = 0x7FFFFFFF


_SECONDS: dict[int, float] = {}  # microseconds -> seconds: a run repeats a few RTT values


def _seconds(us: int) -> float:
    value = _SECONDS.get(us)
    if value is None:
        if len(_SECONDS) > 100_000:
            _SECONDS.clear()
        value = _SECONDS[us] = round(us / 1_000_000, 6)
    return value


@dataclass(eq=True, slots=True)
class Tcb:
    """One endpoint's variables after an event (bytes; srtt, rttvar, rto in microseconds)."""

    snd_una: int
    snd_nxt: int
    snd_wnd: int | None
    rcv_nxt: int | None
    rcv_wnd: int
    cwnd: int | None = None
    ssthresh: int | None = None
    srtt: int | None = None
    rttvar: int | None = None
    rto: int | None = None

    def get(self, name: str) -> int | None:
        """A variable by its contract name (times in microseconds)."""
        return getattr(self, name)

    def to_json(self) -> dict:
        # Written out rather than looped over TCB_FIELDS: it runs once per event (bench).
        out = {"snd_una": self.snd_una, "snd_nxt": self.snd_nxt}
        if self.snd_wnd is not None:
            out["snd_wnd"] = self.snd_wnd
        if self.rcv_nxt is not None:
            out["rcv_nxt"] = self.rcv_nxt
        out["rcv_wnd"] = self.rcv_wnd
        if self.cwnd is not None:
            out["cwnd"] = self.cwnd
        if self.ssthresh is not None:
            out["ssthresh"] = self.ssthresh
        if self.srtt is not None:
            out["srtt"] = _seconds(self.srtt)
            out["rttvar"] = _seconds(self.rttvar)
        if self.rto is not None:
            out["rto"] = _seconds(self.rto)
        return out

    @classmethod
    def from_json(cls, doc: dict) -> "Tcb":
        values = {}
        for name in TCB_FIELDS:
            value = doc.get(name)
            if value is not None and name in TIME_FIELDS:
                value = round(value * 1_000_000)
            values[name] = value
        return cls(**values)


def snapshot(conn) -> Tcb:
    """The TCB of `conn` (a tcp.connection.Connection) as it is now."""
    sender, rtt = conn.sender, conn.rtt
    synchronized = conn.state not in _BEFORE_PEER_SYN
    cc = sender.cc
    cwnd = cc.cwnd
    ssthresh = cc.ssthresh
    srtt = rtt.srtt
    return Tcb(
        sender.snd_una, sender.snd_nxt,
        sender.snd_wnd if synchronized else None,
        conn.receiver.rcv_nxt if synchronized else None,
        conn.receiver.rcv_wnd,
        None if cwnd >= UNLIMITED else cwnd,
        None if ssthresh >= ARBITRARILY_HIGH else ssthresh,
        srtt, None if srtt is None else rtt.rttvar, rtt.rto,
    )
