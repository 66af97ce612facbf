"""The RFC 9293 state machine as data: one table of every edge the simulator may take.

Endpoints never assign a state directly: they look an edge up here (Connection._move),
so a move that is not in this table is a bug caught at once, and the property tests can
check every trace against the same table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class State(str, Enum):
    CLOSED = "CLOSED"
    LISTEN = "LISTEN"
    SYN_SENT = "SYN-SENT"
    SYN_RECEIVED = "SYN-RECEIVED"
    ESTABLISHED = "ESTABLISHED"
    FIN_WAIT_1 = "FIN-WAIT-1"
    FIN_WAIT_2 = "FIN-WAIT-2"
    CLOSE_WAIT = "CLOSE-WAIT"
    CLOSING = "CLOSING"
    LAST_ACK = "LAST-ACK"
    TIME_WAIT = "TIME-WAIT"

    def __str__(self) -> str:
        return self.value


# States in which both sides' sequence numbers are known (RFC 9293 3.10.7.4 "Otherwise").
SYNCHRONIZED = frozenset(
    {
        State.ESTABLISHED,
        State.FIN_WAIT_1,
        State.FIN_WAIT_2,
        State.CLOSE_WAIT,
        State.CLOSING,
        State.LAST_ACK,
        State.TIME_WAIT,
    }
)


class Event(str, Enum):
    PASSIVE_OPEN = "passive OPEN"
    ACTIVE_OPEN = "active OPEN"
    SEND = "SEND"
    CLOSE = "CLOSE"
    ABORT = "ABORT"
    RCV_SYN = "rcv SYN"
    RCV_SYN_ACK = "rcv SYN,ACK"
    RCV_ACK_OF_SYN = "rcv ACK of SYN"
    RCV_COOKIE_ACK = "rcv ACK with a valid SYN cookie"
    RCV_FIN = "rcv FIN"
    RCV_ACK_OF_FIN = "rcv ACK of FIN"
    RCV_FIN_ACK_OF_FIN = "rcv FIN + ACK of FIN"
    RCV_RST = "rcv RST"
    TIMEOUT_2MSL = "timeout=2MSL"
    GIVE_UP = "retransmissions exhausted"
    KEEPALIVE_TIMEOUT = "keep-alive timeout"


@dataclass(frozen=True)
class Transition:
    source: State
    event: Event
    target: State
    rfc: str  # where the rule is written down


S, E = State, Event
_RST_EVENTS = "RFC 9293 3.10.7.4 second: RST in a synchronized state -> CLOSED"
_ABORT = "RFC 9293 3.10.5 ABORT"
_GIVE_UP = "RFC 9293 3.8.3 R2 / 3.10.8 USER TIMEOUT: retransmissions exhausted -> CLOSED"

TRANSITIONS: tuple[Transition, ...] = (
    # RFC 9293 3.3.2, figure 5, and the event processing of 3.10.
    Transition(S.CLOSED, E.PASSIVE_OPEN, S.LISTEN, "RFC 9293 3.10.1 OPEN (passive): create TCB, enter LISTEN"),
    Transition(S.CLOSED, E.ACTIVE_OPEN, S.SYN_SENT, "RFC 9293 3.10.1 OPEN (active): send SYN, enter SYN-SENT"),
    Transition(S.LISTEN, E.CLOSE, S.CLOSED, "RFC 9293 3.10.4 CLOSE in LISTEN: delete TCB"),
    Transition(S.LISTEN, E.ABORT, S.CLOSED, _ABORT + " in LISTEN: delete TCB, no RST"),
    Transition(S.LISTEN, E.SEND, S.SYN_SENT, "RFC 9293 3.10.2 SEND in LISTEN: become active, send SYN"),
    Transition(S.LISTEN, E.ACTIVE_OPEN, S.SYN_SENT, "RFC 9293 3.10.1 OPEN in LISTEN: passive -> active, send SYN"),
    Transition(S.LISTEN, E.RCV_SYN, S.SYN_RECEIVED, "RFC 9293 3.10.7.2 LISTEN, third: SYN -> send SYN,ACK"),
    Transition(S.LISTEN, E.RCV_COOKIE_ACK, S.ESTABLISHED, "RFC 4987 3.6: a valid cookie rebuilds the TCB"),
    Transition(S.SYN_SENT, E.CLOSE, S.CLOSED, "RFC 9293 3.10.4 CLOSE in SYN-SENT: delete TCB"),
    Transition(S.SYN_SENT, E.ABORT, S.CLOSED, _ABORT + " in SYN-SENT: delete TCB, no RST"),
    Transition(S.SYN_SENT, E.RCV_SYN_ACK, S.ESTABLISHED, "RFC 9293 3.10.7.3 fourth: SYN with our SYN ACKed"),
    Transition(S.SYN_SENT, E.RCV_SYN, S.SYN_RECEIVED, "RFC 9293 3.10.7.3 fourth: SYN alone (simultaneous open)"),
    Transition(S.SYN_SENT, E.RCV_RST, S.CLOSED, "RFC 9293 3.10.7.3 second: RST with acceptable ACK"),
    Transition(S.SYN_SENT, E.GIVE_UP, S.CLOSED, _GIVE_UP),
    Transition(S.SYN_RECEIVED, E.RCV_ACK_OF_SYN, S.ESTABLISHED, "RFC 9293 3.10.7.4 fifth: SND.UNA < SEG.ACK =< SND.NXT"),
    Transition(S.SYN_RECEIVED, E.CLOSE, S.FIN_WAIT_1, "RFC 9293 3.10.4 CLOSE in SYN-RECEIVED: send FIN"),
    Transition(S.SYN_RECEIVED, E.CLOSE, S.CLOSED, "RFC 9293 3.10.4 CLOSE in LISTEN: half-open entries go with the listener"),
    Transition(S.SYN_RECEIVED, E.ABORT, S.CLOSED, _ABORT + ": send RST"),
    Transition(S.SYN_RECEIVED, E.RCV_RST, S.LISTEN, "RFC 9293 3.10.7.4 second: passive OPEN returns to LISTEN"),
    Transition(S.SYN_RECEIVED, E.RCV_SYN, S.LISTEN, "RFC 9293 3.10.7.4 fourth: SYN in SYN-RECEIVED of a passive OPEN"),
    Transition(S.SYN_RECEIVED, E.GIVE_UP, S.LISTEN, "RFC 4987 2 / Linux: half-open entry dropped after SYN-ACK retries"),
    Transition(S.SYN_RECEIVED, E.GIVE_UP, S.CLOSED, _GIVE_UP),
    Transition(S.SYN_RECEIVED, E.RCV_RST, S.CLOSED, "RFC 9293 3.10.7.4 second: active OPEN, connection refused"),
    Transition(S.ESTABLISHED, E.CLOSE, S.FIN_WAIT_1, "RFC 9293 3.10.4 CLOSE in ESTABLISHED: send FIN"),
    Transition(S.ESTABLISHED, E.RCV_FIN, S.CLOSE_WAIT, "RFC 9293 3.10.7.4 eighth: FIN in ESTABLISHED"),
    Transition(S.SYN_RECEIVED, E.RCV_FIN, S.CLOSE_WAIT, "RFC 9293 3.10.7.4 eighth: FIN in SYN-RECEIVED"),
    Transition(S.FIN_WAIT_1, E.RCV_ACK_OF_FIN, S.FIN_WAIT_2, "RFC 9293 3.10.7.4 fifth: FIN-WAIT-1, our FIN ACKed"),
    Transition(S.FIN_WAIT_1, E.RCV_FIN, S.CLOSING, "RFC 9293 3.10.7.4 eighth: FIN-WAIT-1, FIN before our FIN is ACKed"),
    Transition(S.FIN_WAIT_1, E.RCV_FIN_ACK_OF_FIN, S.TIME_WAIT, "RFC 9293 3.10.7.4 eighth: FIN and our FIN ACKed"),
    Transition(S.FIN_WAIT_2, E.RCV_FIN, S.TIME_WAIT, "RFC 9293 3.10.7.4 eighth: FIN in FIN-WAIT-2"),
    Transition(S.CLOSE_WAIT, E.CLOSE, S.LAST_ACK, "RFC 9293 3.10.4 CLOSE in CLOSE-WAIT: send FIN"),
    Transition(S.CLOSING, E.RCV_ACK_OF_FIN, S.TIME_WAIT, "RFC 9293 3.10.7.4 fifth: CLOSING, our FIN ACKed"),
    Transition(S.LAST_ACK, E.RCV_ACK_OF_FIN, S.CLOSED, "RFC 9293 3.10.7.4 fifth: LAST-ACK, our FIN ACKed"),
    Transition(S.TIME_WAIT, E.TIMEOUT_2MSL, S.CLOSED, "RFC 9293 3.10.8 time-wait timeout"),
    Transition(S.TIME_WAIT, E.RCV_SYN, S.SYN_RECEIVED,
               "RFC 9293 3.6 MAY-2 (RFC 1122 4.2.2.13, RFC 6191): a new SYN above RCV.NXT reopens from TIME-WAIT"),
    *(
        Transition(s, E.RCV_RST, S.CLOSED, _RST_EVENTS)
        for s in (S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK, S.TIME_WAIT)
    ),
    *(
        Transition(s, E.ABORT, S.CLOSED, _ABORT)
        for s in (S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK, S.TIME_WAIT)
    ),
    *(
        Transition(s, E.GIVE_UP, S.CLOSED, _GIVE_UP)
        for s in (S.ESTABLISHED, S.FIN_WAIT_1, S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK)
    ),
    *(
        Transition(s, E.RCV_SYN, S.CLOSED,
                   "RFC 9293 3.10.7.4 fourth, without RFC 5961: a SYN in the window is an error: send a reset, CLOSED")
        for s in (S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK, S.TIME_WAIT)
    ),
    # Keep-alive runs only with nothing outstanding, so never with our FIN in flight.
    *(
        Transition(s, E.KEEPALIVE_TIMEOUT, S.CLOSED,
                   "RFC 1122 4.2.3.6 / RFC 9293 3.8.4: keep-alive probes unanswered -> reset, CLOSED")
        for s in (S.ESTABLISHED, S.FIN_WAIT_2, S.CLOSE_WAIT)
    ),
)

_BY_KEY: dict[tuple[State, Event], list[Transition]] = {}
for _t in TRANSITIONS:
    _BY_KEY.setdefault((_t.source, _t.event), []).append(_t)

EDGES: frozenset[tuple[State, State]] = frozenset((t.source, t.target) for t in TRANSITIONS)


def transition(source: State, event: Event, target: State | None = None) -> Transition:
    """The table's edge for (source, event); `target` picks between the rare two-way edges."""
    options = _BY_KEY.get((source, event), [])
    if target is not None:
        options = [t for t in options if t.target == target]
    if len(options) != 1:
        raise LookupError(f"no single edge for {source} on {event.value} (target {target})")
    return options[0]
