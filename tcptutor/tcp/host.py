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
# Linux tcp_timewait_state_process (TCP_TW_SYN): the ISN of a connection reopened from
# TIME-WAIT is tw_snd_nxt + 65535 + 2, a full unscaled window beyond the old one.
TIME_WAIT_ISN_GAP = 65535 + 2


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
        # [server] syncookies, or the profile's default (Linux: net.ipv4.tcp_syncookies = 1)
        self.syncookies = profile.syncookies if params.syncookies is None else params.syncookies
        self.conns: dict[str, Connection] = {}
        self.ended: dict[str, Connection] = {}  # the last connection with a peer, once it is over
        # Kept up to date by _collect (every change to a connection goes through it), so that
        # a flood of N half-open entries costs O(N log N), not O(N^2) scans of self.conns.
        self._half_open: set[str] = set()
        self._young: set[str] = set()  # half-open entries whose SYN-ACK timer never fired (Linux queue->young)
        self._isn_clock: dict[str, tuple[int, int]] = {}  # peer -> (ISN, when): the ISN clock's reading
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

    def _new_isn(self, peer: str, now: int) -> int:
        """The configured ISN for the first connection with the named peer (client or server);
        a later connection with it reads the same ISN clock further on (RFC 6528: the
        4-tuple's hash is unchanged, the clock ticks every profile.isn_tick_ns), so it
        starts above the old one as a reopen from TIME-WAIT needs. Spoofed sources draw
        from the seeded generator."""
        if peer.startswith("spoof-"):
            return self.rng.getrandbits(32)
        if peer in self._isn_clock:
            isn, at = self._isn_clock[peer]
            return seq.add(isn, (now - at) * 1000 // self.profile.isn_tick_ns)
        if self._first_isn is not None:
            isn, self._first_isn = self._first_isn, None
        else:
            isn = self.rng.getrandbits(32)
        self._isn_clock[peer] = (isn, now)
        return isn

    def _new_connection(self, peer: str, *, passive: bool, now: int, iss: int | None = None) -> Connection:
        conn = Connection(
            local=self.name, remote=peer, iss=self._new_isn(peer, now) if iss is None else iss,
            params=self.params, profile=self.profile, passive=passive,
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
        self._young.discard(peer)
        self._order.pop(peer, None)

    def _note_timers_and_queue(self, peer: str, conn: Connection) -> None:
        """After a change to a live connection: its place in the half-open queue and the timer heap."""
        if conn.passive and conn.state == S.SYN_RECEIVED:
            self._half_open.add(peer)
            (self._young.add if conn.retries == 0 else self._young.discard)(peer)
        else:
            self._half_open.discard(peer)
            self._young.discard(peer)
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
            conn = self._new_connection(peer, passive=False, now=now)
            conn.connect(now)
            if before == S.LISTEN:  # OPEN in LISTEN: passive becomes active (3.10.1)
                conn.moves[0] = Move(transition(S.LISTEN, Event.ACTIVE_OPEN))
            return self._collect(peer, before, conn)
        if conn is None:
            return self._call_without_connection(verb, peer, before)
        getattr(conn, verb)(*((sizes,) if verb in ("send", "read") else ()), now)
        return self._collect(peer, before, conn)

    def _call_without_connection(self, verb: str, peer: str, before: State) -> Outcome:
        """SEND, CLOSE, ABORT with no TCB for this peer: the listener's, or an error."""
        if not self.listening:
            raise UserCallError("connection does not exist", before.value)
        if verb in ("send", "read"):
            # 3.10.2 SEND (3.10.3 RECEIVE) in LISTEN: "If the foreign socket is specified ..."; ours is not.
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
        if conn is not None and conn.state == S.TIME_WAIT and self.listening and self._reopens(conn, seg):
            return self._reopen_from_time_wait(conn, seg, before, now)
        if conn is not None:
            conn.on_segment(seg, now)
            return self._collect(peer, before, conn)
        if self.listening:
            return self._listener_receive(seg, before, now)
        return Outcome(peer, before, [], self._reset_for(seg), Note.NO_CONNECTION_RESET if not seg.has("RST") else "")

    @staticmethod
    def _reopens(conn: Connection, seg: Segment) -> bool:
        """A SYN that may reopen a connection in TIME-WAIT: RFC 9293 3.6 (MAY-2, from RFC 1122
        4.2.2.13) allows it, and without timestamps RFC 6191 2 and Linux
        (tcp_timewait_state_process: after(seq, rcv_nxt) -> TCP_TW_SYN) take it when its
        sequence number is above everything the old connection received: then it cannot be
        an old duplicate of that connection."""
        return seg.has("SYN") and not seg.flags & {"ACK", "RST"} and seq.gt(seg.seq, conn.rcv_nxt)

    def _reopen_from_time_wait(self, old: Connection, seg: Segment, before: State, now: int) -> Outcome:
        """The new SYN ends TIME-WAIT and goes to the listener as a new connection at once
        (Linux tcp_v4_rcv, TCP_TW_SYN: inet_twsk_deschedule_put, then the listener's
        tcp_conn_request), with ISS = the old SND.NXT + 65535 + 2. RFC 9293 3.6 (1) asks only
        for an ISS above every sequence number the old connection used; the simulator takes
        Linux's choice for both profiles. Measured on Linux 6.18 over a 10 ms link: the
        SYN,ACK's seq was the old SND.NXT + 65537, one round trip after the SYN."""
        peer = seg.src
        conn = self._new_connection(peer, passive=True, now=now, iss=seq.add(old.snd_nxt, TIME_WAIT_ISN_GAP))
        conn.on_segment(seg, now)
        conn.moves[0] = Move(transition(S.TIME_WAIT, Event.RCV_SYN, S.SYN_RECEIVED))
        return self._collect(peer, before, conn, note=Note.TIME_WAIT_REOPENED)

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
            if self.syncookies and not seg.has("SYN"):
                mss = self._check_cookie(seg, now)
                if mss is not None:
                    conn = self._new_connection(peer, passive=True, now=now)
                    conn.accept_cookie(seg, mss, now)
                    return self._collect(peer, before, conn, note=Note.VALID_SYN_COOKIE)
            # "second, check for an ACK: any acknowledgment is bad ... <SEQ=SEG.ACK><CTL=RST>"
            rst = Segment(self.name, peer, seg.ack, 0, frozenset({"RST"}), note=Note.ACK_TO_LISTENER)
            return Outcome(peer, before, [], [rst])
        if not seg.has("SYN"):
            return Outcome(peer, before)
        if self.half_open() < self.backlog_capacity:
            conn = self._new_connection(peer, passive=True, now=now)
            conn.on_segment(seg, now)
            return self._collect(peer, before, conn)
        if self.syncookies:
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

    def synack_retry_limit(self) -> int:
        """SYN-ACK retries a half-open entry gets when its timer fires now.

        Linux reqsk_timer_handler: when the queue is more than half of max(8, backlog)
        full, "we reserve half of room for young embrions; and abort old ones without
        pity": starting from tcp_synack_retries, take one retry off (never below 2) while
        the queue holds at least twice as many entries as young ones (doubling the young
        count each time). An entry that has already timed out twice then expires at its
        next timeout: with 1 s doubling, at about 7 s instead of 63 s. Measured on Linux
        6.18 (tcp_syncookies 0 and 1): backlog 16, 17 spoofed entries; 9 expired at 7 s,
        after which the queue was no longer over half full and the other 8 kept their
        five retries; a real client's SYN at 7 s was answered. RFC 9293 (and RFC 4987)
        leave the entries their full retries."""
        limit = self.profile.synack_retries
        if not self.profile.prunes_old_half_open:
            return limit
        queued = self.half_open()
        if 2 * queued <= max(8, self.params.backlog):
            return limit
        young = 2 * len(self._young)
        while limit > 2 and queued >= young:
            limit -= 1
            young *= 2
        return limit

    def timer_yields_to_arrival(self, peer: str) -> bool:
        """Does this connection's due timer go after an arrival at the same instant?

        The contract puts timers first; the linux profile makes one exception, a half-open
        entry's SYN-ACK timer. Linux arms it with mod_timer, which never fires early, and the
        timer wheel rounds a 1 s expiry up by up to 1/8 of it, so the client's repeated SYN
        that arrives at the nominal expiry (client SYN timer 1 s = server SYN-ACK timer 1 s
        + latency) is answered first and the timer restarted (tcp_check_req): one SYN-ACK,
        as the kernel sent against an exact peer in every run of the TUN harness. (Between
        two kernels both timers are late, often to the same wheel tick, and the server's
        then fires first: 13 of 16 runs over a 10 ms link sent two SYN-ACKs.)"""
        conn = self.conns.get(peer)
        return (self.profile.synack_timer_after_arrivals and conn is not None and conn.passive
                and conn.state == S.SYN_RECEIVED)

    def fire_timer(self, peer: str, now: int) -> tuple[Outcome, str, int]:
        conn = self.conns[peer]
        before = conn.state
        kind, timeout = conn.timer_kind()
        note = ""
        if conn.passive and conn.state == S.SYN_RECEIVED:
            limit = self.synack_retry_limit()
            conn.on_timer(now, synack_retries=limit)
            if conn.state == S.LISTEN and limit < self.profile.synack_retries:
                note = f"half-open queue over half full: entry dropped after {limit} SYN-ACK retries"
        else:
            conn.on_timer(now)
        return self._collect(peer, before, conn, note=note), kind, timeout
