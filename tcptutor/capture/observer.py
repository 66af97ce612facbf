"""The RFC 9293 state machine run as an observer: each side's state, inferred segment by segment.

An observer sees segments, not the endpoints. It assumes each segment arrives when it is
seen (a capture at one point cannot know better), moves the sender by what sending it
implies and the receiver by RFC 9293 3.10.7's processing of it, and revises when a later
segment contradicts an assumption: a retransmitted FIN (or SYN, or SYN,ACK) means the
segment that seemed to acknowledge it never arrived, so that side goes back to the state
it had; a SYN answered by RST means nobody was listening (the receiver was CLOSED).

Before any evidence a side's state is "unknown"; a capture that starts mid-connection shows
"unknown, then ESTABLISHED". State names are tcptutor.tcp.states.State's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..i18n import N_, NP_, Said, Term
from ..tcp.states import SYNCHRONIZED, State
from .connections import SIDES, Connection, Seg, other

UNKNOWN = "unknown"
UNKNOWN_WORD = NP_("observer", "unknown")  # a state before any evidence, as people read it
S = State


def _who(side: str) -> Term:
    return Term("endpoint", side)


def state_term(name: str) -> Term:
    """A side's state said in a sentence or a column: the RFC name, under zh with the textbook name."""
    return Term("observer", UNKNOWN_WORD) if name == UNKNOWN else Term("TCP state", name)


@dataclass
class Move:
    """One side's inferred transition at a segment."""

    side: str
    before: str
    after: str
    why: str  # the rule, with its RFC section (Said: English here and in the JSON, local() for people)

    def to_json(self) -> dict:
        return {"side": self.side, "from": self.before, "to": self.after, "why": self.why}


@dataclass
class Row:
    """The states after one segment, and the moves it caused."""

    seg: Seg
    states: dict[str, str]
    moves: list[Move] = field(default_factory=list)
    revisions: list[str] = field(default_factory=list)  # assumptions this segment overturned
    notes: list[str] = field(default_factory=list)  # what the observer could not decide, and why


@dataclass
class _Side:
    state: str = UNKNOWN
    fin: int | None = None  # relative seq of its FIN
    syn_acked_at: int | None = None  # row where its SYN was taken as acknowledged
    fin_acked_at: int | None = None  # row where its FIN was taken as acknowledged
    before_fin_ack: str = ""
    before_syn_ack: str = ""


class Observer:
    def __init__(self, conn: Connection):
        self.conn = conn
        self._close_wait_row: dict[str, int] = {}
        self.pending_syn = {s: False for s in SIDES}  # its peer's SYN is in flight to it, unseen
        self.pending_fin = {s: False for s in SIDES}  # its peer's FIN is in flight to it, unseen
        self.sides = {s: _Side() for s in SIDES}
        self.rows: list[Row] = []
        self.passive = {s: False for s in SIDES}  # got a SYN first: a passive open (a listener)

    # -- helpers -----------------------------------------------------------------------

    def _move(self, row: Row, side: str, to: State | str, why: str) -> None:
        """`why`: a message marked N_ (the rule, said in the reader's language when shown)."""
        st = self.sides[side]
        before = st.state
        if str(before) == str(to):
            return
        st.state = str(to)
        row.moves.append(Move(side, before, str(to), Said(why)))

    def _revise(self, side: str, from_row: int, state: str, why: str, row: Row) -> None:
        """`side` was in `state` all along since row `from_row`: rewrite the rows after it."""
        for r in self.rows[from_row:]:
            r.states[side] = str(state)
            r.moves = [m for m in r.moves if m.side != side]
        self.sides[side].state = str(state)
        row.revisions.append(why)

    # -- the sender: what sending this segment says about it ----------------------------

    def _sender(self, row: Row, seg: Seg) -> None:
        side, st = seg.side, self.sides[seg.side]
        syn, ack, fin, rst = seg.has("SYN"), seg.has("ACK"), seg.has("FIN"), seg.has("RST")
        if rst:
            if st.state == S.TIME_WAIT:
                k = self._last_row_of(other(side))
                if k is not None:
                    self._revise(side, k, S.CLOSED, Said(N_("{side} answers with RST: its TIME-WAIT had already ended, "
                                 "so the segment found no connection (RFC 9293 3.10.7.1)"), side=_who(side)), row)
            self._move(row, side, S.CLOSED, N_("sent RST: the connection is gone at its sender (RFC 9293 3.10.5, 3.10.7.1)"))
            return
        if syn and not ack:
            if st.state == S.ESTABLISHED and st.syn_acked_at is not None:
                self._revise(side, st.syn_acked_at, S.SYN_SENT,
                             Said(N_("{side} resent its SYN: the SYN,ACK it seemed to get probably never arrived"),
                                  side=_who(side)), row)
            elif st.state in (UNKNOWN, S.CLOSED):
                self._move(row, side, S.SYN_SENT, N_("sent SYN: active OPEN (RFC 9293 3.10.1)"))
                row.moves[-1].before = S.CLOSED.value
            return
        if syn and ack:
            if st.state == S.ESTABLISHED and st.syn_acked_at is not None:
                self._revise(side, st.syn_acked_at, S.SYN_RECEIVED,
                             Said(N_("{side} resent its SYN,ACK: the ACK it seemed to get probably never arrived"),
                                  side=_who(side)), row)
            elif st.state in (UNKNOWN, S.CLOSED, S.LISTEN):
                self.passive[side] = True
                self.pending_syn[side] = False
                self._move(row, side, S.SYN_RECEIVED, N_("sent SYN,ACK: a SYN reached it in LISTEN (RFC 9293 3.10.7.2 third)"))
                row.moves[-1].before = S.LISTEN.value
            elif st.state == S.SYN_SENT and self.pending_syn[side]:
                self.pending_syn[side] = False
                self._move(row, side, S.SYN_RECEIVED, N_("its SYN,ACK shows the peer's SYN arrived: simultaneous open "
                           "(RFC 9293 3.10.7.3 fourth)"))
            return
        if self.pending_fin[side] and seg.has("ACK") and self.sides[other(side)].fin is not None \
                and seg.rel_ack >= self.sides[other(side)].fin + 1:
            self.pending_fin[side] = False
            target = {S.FIN_WAIT_1.value: S.CLOSING, S.FIN_WAIT_2.value: S.TIME_WAIT}.get(st.state)
            if target is not None:
                self._move(row, side, target, N_("its ACK shows the peer's FIN arrived (RFC 9293 3.10.7.4 eighth)"))
        if st.state == UNKNOWN:
            peer = self.sides[other(side)]
            if fin and peer.fin is not None:
                self._move(row, side, S.CLOSE_WAIT, N_("first segment seen from it, after the peer's FIN: it had been in CLOSE-WAIT"))
            else:
                self._move(row, side, S.ESTABLISHED, N_("first segment seen from it, mid-connection: it was synchronized (RFC 9293 3.3.2)"))
        if fin:
            if st.fin is not None and seg.rel_seq == st.fin:  # its FIN again
                if st.fin_acked_at is not None:
                    self._revise(side, st.fin_acked_at, st.before_fin_ack,
                                 Said(N_("{side} resent its FIN: the ACK of it probably never arrived"), side=_who(side)), row)
                    st.fin_acked_at = None
                return
            st.fin = seg.rel_seq + seg.length
            peer = self.sides[other(side)]
            if st.state == S.CLOSE_WAIT and peer.fin is not None and seg.has("ACK") and seg.rel_ack <= peer.fin \
                    and self._close_wait_row.get(side) is not None:
                # its ACK does not cover the peer's FIN: it had not got it, the FINs cross
                self._revise(side, self._close_wait_row[side], S.ESTABLISHED, Said(N_("{side}'s FIN does not acknowledge the "
                             "peer's: the FINs cross (simultaneous close), the peer's had not arrived yet"), side=_who(side)), row)
                self.pending_fin[side] = True
            if st.state in (S.ESTABLISHED, S.SYN_RECEIVED):
                self._move(row, side, S.FIN_WAIT_1, N_("sent FIN: CLOSE, the active close (RFC 9293 3.10.4)"))
            elif st.state == S.CLOSE_WAIT:
                self._move(row, side, S.LAST_ACK, N_("sent FIN after the peer's: CLOSE in CLOSE-WAIT (RFC 9293 3.10.4)"))

    # -- the receiver: RFC 9293 3.10.7 processing, assuming it arrives -----------------

    def _receiver(self, row: Row, seg: Seg) -> None:
        side = other(seg.side)
        st = self.sides[side]
        syn, ack, fin, rst = seg.has("SYN"), seg.has("ACK"), seg.has("FIN"), seg.has("RST")
        if rst:
            self._reset(row, seg, side)
            return
        if syn and not ack:
            # Whether it arrived, and at a listener, shows only in the answer: a SYN,ACK
            # (LISTEN -> SYN-RECEIVED, RFC 9293 3.10.7.2), a RST (nobody listens), or nothing.
            if st.state == S.SYN_SENT:  # its own SYN is out: the SYNs cross
                self._move(row, side, S.SYN_RECEIVED, N_("a SYN arrives in SYN-SENT: simultaneous open "
                           "(RFC 9293 3.10.7.3 fourth)"))
            elif st.state in (UNKNOWN, S.CLOSED, S.LISTEN):
                self.pending_syn[side] = True
            return
        if syn and ack:
            if st.state == S.SYN_RECEIVED and not self.passive[side]:
                row.notes.append(Said(N_("a crossing SYN,ACK in SYN-RECEIVED is unacceptable and draws an ACK: {side} stays "
                                 "SYN-RECEIVED (RFC 9293 3.10.7.4 first); Linux moves to ESTABLISHED here "
                                 "(tcp_rcv_state_process)"), side=_who(side)))
                return
            if st.state in (S.SYN_SENT, S.SYN_RECEIVED, UNKNOWN):
                st.before_syn_ack = st.state
                self._move(row, side, S.ESTABLISHED, N_("SYN,ACK acknowledges its SYN (RFC 9293 3.10.7.3 fourth)"))
                st.syn_acked_at = len(self.rows) - 1
            return
        if st.state == UNKNOWN:
            if fin or seg.length or ack:
                self._move(row, side, S.ESTABLISHED, N_("receives mid-connection traffic: it was synchronized"))
        if ack:
            if st.state == S.SYN_RECEIVED and seg.rel_ack >= 1:
                self._move(row, side, S.ESTABLISHED, N_("the ACK of its SYN,ACK arrives (RFC 9293 3.10.7.4 fifth)"))
                st.syn_acked_at = len(self.rows) - 1
            if st.fin is not None and seg.rel_ack >= st.fin + 1 and st.fin_acked_at is None:
                target = {S.FIN_WAIT_1.value: S.FIN_WAIT_2, S.CLOSING.value: S.TIME_WAIT,
                          S.LAST_ACK.value: S.CLOSED}.get(st.state)
                if target is not None:
                    st.before_fin_ack = st.state
                    why = {S.FIN_WAIT_2: N_("its FIN is acknowledged (RFC 9293 3.10.7.4 fifth, FIN-WAIT-1)"),
                           S.TIME_WAIT: N_("its FIN is acknowledged in CLOSING (RFC 9293 3.10.7.4 fifth)"),
                           S.CLOSED: N_("its FIN is acknowledged in LAST-ACK: the connection is closed "
                                        "(RFC 9293 3.10.7.4 fifth)")}[target]
                    if fin and target == S.FIN_WAIT_2:  # FIN and the ACK of ours together
                        self._move(row, side, S.TIME_WAIT, N_("FIN with the ACK of its own FIN (RFC 9293 3.10.7.4 eighth)"))
                        st.fin_acked_at = len(self.rows) - 1
                        self._peer_fin_seen(seg)
                        return
                    self._move(row, side, target, why)
                    st.fin_acked_at = len(self.rows) - 1
        if fin:
            if self._peer_fin_seen(seg):
                target = {S.ESTABLISHED.value: S.CLOSE_WAIT, S.SYN_RECEIVED.value: S.CLOSE_WAIT,
                          S.FIN_WAIT_1.value: S.CLOSING, S.FIN_WAIT_2.value: S.TIME_WAIT}.get(st.state)
                if target is not None:
                    why = {S.CLOSE_WAIT: N_("the peer's FIN arrives: passive close (RFC 9293 3.10.7.4 eighth)"),
                           S.CLOSING: N_("the peer's FIN arrives before the ACK of its own: simultaneous close "
                                         "(RFC 9293 3.10.7.4 eighth)"),
                           S.TIME_WAIT: N_("the peer's FIN arrives in FIN-WAIT-2 (RFC 9293 3.10.7.4 eighth)")}[target]
                    if self.pending_fin[side]:
                        return  # it will take this FIN when its ACK shows it (above)
                    self._move(row, side, target, why)
                    if target == S.CLOSE_WAIT:
                        self._close_wait_row[side] = len(self.rows) - 1

    def _peer_fin_seen(self, seg: Seg) -> bool:
        """True the first time this FIN is seen (its repeats move nobody)."""
        key = (seg.side, seg.rel_seq + seg.length)
        seen = getattr(self, "_fins", set())
        self._fins = seen
        if key in seen:
            return False
        seen.add(key)
        return True

    def _reset(self, row: Row, seg: Seg, side: str) -> None:
        st = self.sides[side]
        prev = self._previous_from(side)
        if prev is not None and prev.has("SYN") and not prev.has("ACK") and seg.has("ACK") \
                and seg.rel_ack == prev.end and st.state in (S.SYN_SENT, S.SYN_RECEIVED):
            self._move(row, side, S.CLOSED, N_("RST,ACK answering its SYN: connection refused (RFC 9293 3.10.7.3 second)"))
            return
        if st.state == S.SYN_RECEIVED and self.passive[side]:
            self._move(row, side, S.LISTEN, N_("RST in SYN-RECEIVED of a passive open: back to LISTEN (RFC 9293 3.10.7.4 second)"))
        elif st.state in SYNCHRONIZED or st.state in (S.SYN_SENT, S.SYN_RECEIVED, UNKNOWN):
            self._move(row, side, S.CLOSED, N_("RST arrives: the connection is reset, CLOSED (RFC 9293 3.10.7.4 second)"))

    def _last_row_of(self, side: str) -> int | None:
        """Index of the latest row (before this one) whose segment `side` sent."""
        for k in range(len(self.rows) - 2, -1, -1):
            if self.rows[k].seg.side == side:
                return k
        return None

    def _previous_from(self, side: str) -> Seg | None:
        for r in reversed(self.rows[:-1]):
            if r.seg.side == side:
                return r.seg
        return None

    def feed(self, seg: Seg) -> Row:
        row = Row(seg, {})
        self.rows.append(row)
        self._sender(row, seg)
        self._receiver(row, seg)
        row.states = {s: self.sides[s].state for s in SIDES}
        return row


def observe(conn: Connection) -> list[Row]:
    """One Row per segment of the connection: both sides' states after it, and why."""
    obs = Observer(conn)
    for seg in conn.segments:
        obs.feed(seg)
    return obs.rows


def state_path(rows: list[Row], side: str) -> list[str]:
    """The distinct states a side went through, in order, "unknown" left out."""
    out: list[str] = []
    for r in rows:
        s = r.states[side]
        if s != UNKNOWN and (not out or out[-1] != s):
            out.append(s)
    return out
