"""A host: its listening socket, its half-open (SYN-RECEIVED) queue, and its connections.

The host is where segments find their TCB (or find none: RFC 9293 3.10.7.1) and where a
listener decides whether a SYN gets a half-open entry, a SYN cookie, or nothing at all.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import random
from dataclasses import dataclass, field

from ..errors import UserCallError
from . import seq
from .connection import Connection, Move
from .profiles import Profile
from .params import EndpointParams
from .segment import Segment
from .states import Event, State, transition
from .trace import Note

S = State

COOKIE_PERIOD = 64_000_000  # RFC 4987 3.6: t, a 5-bit counter that ticks every 64 s
COOKIE_MSS_TABLE = (536, 1300, 1440, 1460)  # the values a cookie's 3 MSS bits can name


@dataclass
class Outcome:
    """What one call, arrival or timer did to one of the host's connections."""

    peer: str
    before: State
    moves: list[Move] = field(default_factory=list)
    sent: list[Segment] = field(default_factory=list)
    note: str = ""


class Host:
    def __init__(self, name: str, params: EndpointParams, profile: Profile, isn: int, rng: random.Random):
        self.name, self.params, self.profile = name, params, profile
        self.rng = rng
        self._first_isn: int | None = isn
        self.listening = False
        self.conns: dict[str, Connection] = {}
        self.ended: dict[str, Connection] = {}  # the last connection with a peer, once it is over
        # Kept up to date by _collect (every change to a connection goes through it), so that
        # a flood of N half-open entries costs O(N log N), not O(N^2) scans of self.conns.
        self._half_open: set[str] = set()
        self._deadlines: list[tuple[int, int, int, str, Connection]] = []  # lazy heap: stale entries skipped
        self._order: dict[str, int] = {}  # peer -> when it entered self.conns: ties go to the oldest
        self._arrivals = itertools.count()
        self._pushes = itertools.count()  # unique: heap entries never compare connections
        self.cookie_secret = rng.getrandbits(64).to_bytes(8, "big")

    # ------------------------------------------------------------------ views

    def view(self, peer: str) -> State:
        """The state a student would name for our connection with `peer` (see the contract)."""
        conn = self.conns.get(peer)
        if conn is not None:
            return conn.state
        if peer in self.ended:
            return S.CLOSED
        return S.LISTEN if self.listening else S.CLOSED

    def connection_with(self, peer: str) -> Connection | None:
        """The live connection with `peer`, or the one that last ended."""
        return self.conns.get(peer) or self.ended.get(peer)

    def half_open(self) -> int:
        """Passive connections in SYN-RECEIVED: the listener's half-open queue."""
        return len(self._half_open)

    @property
    def backlog_capacity(self) -> int:
        return self.params.backlog + self.profile.backlog_extra

    def _new_isn(self, peer: str) -> int:
        """The configured ISN for the first connection with the named peer (client or server);
        spoofed sources and later connections draw from the seeded generator."""
        if self._first_isn is not None and not peer.startswith("spoof-"):
            isn, self._first_isn = self._first_isn, None
            return isn
        return self.rng.getrandbits(32)

    def _new_connection(self, peer: str, *, passive: bool) -> Connection:
        conn = Connection(
            local=self.name, remote=peer, iss=self._new_isn(peer), params=self.params,
            profile=self.profile, passive=passive,
        )
        if peer not in self.conns:
            self._order[peer] = next(self._arrivals)
        self.conns[peer] = conn
        self.ended.pop(peer, None)
        return conn

    def _forget(self, peer: str) -> None:
        """A connection leaves self.conns (its heap entries go stale and are skipped)."""
        del self.conns[peer]
        self._half_open.discard(peer)
        self._order.pop(peer, None)

    def _note_timers_and_queue(self, peer: str, conn: Connection) -> None:
        """After a change to a live connection: its place in the half-open queue and the timer heap."""
        if conn.passive and conn.state == S.SYN_RECEIVED:
            self._half_open.add(peer)
        else:
            self._half_open.discard(peer)
        due = conn.deadline()
        if due is not None:
            heapq.heappush(self._deadlines, (due, self._order[peer], next(self._pushes), peer, conn))

    def _collect(self, peer: str, before: State, conn: Connection | None, note: str = "",
                 extra: list[Segment] | None = None, moves: list[Move] | None = None) -> Outcome:
        outcome = Outcome(peer, before, list(moves or []), list(extra or []), note)
        if conn is not None:
            outcome.moves += conn.moves
            outcome.sent += conn.out
            conn.moves, conn.out = [], []
            if conn.state == S.CLOSED:
                self._forget(peer)
                self.ended[peer] = conn
            elif conn.state == S.LISTEN:  # a half-open entry returned to the listener
                self._forget(peer)
            else:
                self._note_timers_and_queue(peer, conn)
        return outcome

    # ------------------------------------------------------------------ user calls

    def call(self, verb: str, peer: str, sizes: tuple[int, ...], now: int) -> Outcome:
        before = self.view(peer)
        conn = self.conns.get(peer)
        if verb == "listen":
            if self.listening or conn is not None:
                raise UserCallError("connection already exists", before.value)
            self.listening = True
            return Outcome(peer, before, [Move(transition(S.CLOSED, Event.PASSIVE_OPEN))])
        if verb == "connect":
            if conn is not None:
                raise UserCallError("connection already exists", before.value)
            conn = self._new_connection(peer, passive=False)
            conn.connect(now)
            if before == S.LISTEN:  # OPEN in LISTEN: passive becomes active (3.10.1)
                conn.moves[0] = Move(transition(S.LISTEN, Event.ACTIVE_OPEN))
            return self._collect(peer, before, conn)
        if conn is None:
            return self._call_without_connection(verb, peer, before)
        getattr(conn, verb)(*((sizes,) if verb == "send" else ()), now)
        return self._collect(peer, before, conn)

    def _call_without_connection(self, verb: str, peer: str, before: State) -> Outcome:
        """SEND, CLOSE, ABORT with no TCB for this peer: the listener's, or an error."""
        if not self.listening:
            raise UserCallError("connection does not exist", before.value)
        if verb == "send":
            # 3.10.2 SEND in LISTEN: "If the foreign socket is specified ..."; ours is not.
            raise UserCallError("foreign socket unspecified", before.value)
        self.listening = False
        event = Event.CLOSE if verb == "close" else Event.ABORT
        moves = [Move(transition(S.LISTEN, event))]
        for other in [p for p, c in self.conns.items() if c.passive and c.state == S.SYN_RECEIVED]:
            # Half-open entries belong to the listener and go with it.
            self._forget(other)
        return Outcome(peer, before, moves)

    # ------------------------------------------------------------------ segments

    def receive(self, seg: Segment, now: int) -> Outcome:
        peer = seg.src
        before = self.view(peer)
        conn = self.conns.get(peer)
        if conn is not None:
            conn.on_segment(seg, now)
            return self._collect(peer, before, conn)
        if self.listening:
            return self._listener_receive(seg, before, now)
        return Outcome(peer, before, [], self._reset_for(seg), Note.NO_CONNECTION_RESET if not seg.has("RST") else "")

    @staticmethod
    def _reset_for(seg: Segment) -> list[Segment]:
        """3.10.7.1 CLOSED: every segment but a RST gets a RST, in the form its ACK bit picks."""
        if seg.has("RST"):
            return []
        if seg.has("ACK"):
            # "If the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>"
            return [Segment(seg.dst, seg.src, seg.ack, 0, frozenset({"RST"}), note=Note.NO_CONNECTION)]
        # "If the ACK bit is off, sequence number zero is used, <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>"
        return [Segment(seg.dst, seg.src, 0, seq.add(seg.seq, seg.seg_len), frozenset({"RST", "ACK"}),
                        note=Note.NO_CONNECTION)]

    def _listener_receive(self, seg: Segment, before: State, now: int) -> Outcome:
        """3.10.7.2 LISTEN, plus the half-open queue limit and SYN cookies (RFC 4987)."""
        peer = seg.src
        if seg.has("RST"):
            return Outcome(peer, before)  # "first, check for a RST: an incoming RST should be ignored"
        if seg.has("ACK"):
            if self.params.syncookies and not seg.has("SYN"):
                mss = self._check_cookie(seg, now)
                if mss is not None:
                    conn = self._new_connection(peer, passive=True)
                    conn.accept_cookie(seg, mss, now)
                    return self._collect(peer, before, conn, note=Note.VALID_SYN_COOKIE)
            # "second, check for an ACK: any acknowledgment is bad ... <SEQ=SEG.ACK><CTL=RST>"
            rst = Segment(self.name, peer, seg.ack, 0, frozenset({"RST"}), note=Note.ACK_TO_LISTENER)
            return Outcome(peer, before, [], [rst])
        if not seg.has("SYN"):
            return Outcome(peer, before)
        if self.half_open() < self.backlog_capacity:
            conn = self._new_connection(peer, passive=True)
            conn.on_segment(seg, now)
            return self._collect(peer, before, conn)
        if self.params.syncookies:
            return Outcome(peer, before, [], [self._cookie_syn_ack(seg, now)],
                           Note.QUEUE_FULL_COOKIE)
        return Outcome(peer, before, [], [], Note.QUEUE_FULL_DROPPED)

    # ------------------------------------------------------------------ SYN cookies (RFC 4987 3.6)

    def _cookie_hash(self, peer: str, client_isn: int, counter: int) -> int:
        data = f"{peer}>{self.name}|{client_isn}|{counter}".encode()
        digest = hashlib.blake2s(data, key=self.cookie_secret, digest_size=4).digest()
        return int.from_bytes(digest, "big") & 0xFFFFFF

    def _cookie_syn_ack(self, syn: Segment, now: int) -> Segment:
        """ISN = t (5 bits) | MSS index (3 bits) | 24-bit keyed hash of the connection and t."""
        counter = (now // COOKIE_PERIOD) % 32
        peer_mss = syn.mss or 536
        index = max(i for i, m in enumerate(COOKIE_MSS_TABLE) if m <= peer_mss or i == 0)
        cookie = (counter << 27) | (index << 24) | self._cookie_hash(syn.src, syn.seq, counter)
        return Segment(
            self.name, syn.src, cookie, seq.add(syn.seq, 1), frozenset({"SYN", "ACK"}),
            win=self.params.window, mss=self.params.mss, note=Note.SYN_COOKIE,  # our MSS; theirs is in the cookie
        )

    def _check_cookie(self, ack: Segment, now: int) -> int | None:
        """The MSS the cookie encodes if SEG.ACK-1 is a cookie we issued in the last 64-128 s."""
        cookie = seq.add(ack.ack, -1)
        counter, index, hashed = cookie >> 27, (cookie >> 24) & 0x7, cookie & 0xFFFFFF
        now_counter = (now // COOKIE_PERIOD) % 32
        if counter not in (now_counter, (now_counter - 1) % 32) or index >= len(COOKIE_MSS_TABLE):
            return None
        if self._cookie_hash(ack.src, seq.add(ack.seq, -1), counter) != hashed:
            return None
        return COOKIE_MSS_TABLE[index]

    # ------------------------------------------------------------------ timers

    def next_deadline(self) -> tuple[int, str] | None:
        """The earliest timer of any connection, and its peer; at equal deadlines the connection
        that entered self.conns first (the order a scan of the dict would give)."""
        heap = self._deadlines
        while heap:
            due, _, _, peer, conn = heap[0]
            if self.conns.get(peer) is conn and conn.deadline() == due:
                return due, peer
            heapq.heappop(heap)  # stale: the connection's timers changed, or it is gone
        return None

    def fire_timer(self, peer: str, now: int) -> tuple[Outcome, str, int]:
        conn = self.conns[peer]
        before = conn.state
        kind, timeout = conn.timer_kind()
        conn.on_timer(now)
        return self._collect(peer, before, conn), kind, timeout
