"""Grouping a capture's packets into TCP connections, naming the sides, numbering relatively.

A connection is a 4-tuple; a new SYN on a 4-tuple that has already closed (or a SYN whose
ISN differs from the one that side already sent) starts a new connection (RFC 9293 3.4: a
new incarnation, as after TIME-WAIT, RFC 6191). The client is the side that sent the first
SYN without ACK; without a handshake in the capture, the receiver of a SYN,ACK, else the
side with the higher port (ephemeral ports are high, RFC 6335 6), and the roles are then a guess.

Relative numbers are Wireshark's: seq minus the side's ISN, ack minus the peer's. Without
the side's SYN in the capture, the base is one below the first seq seen, as if that were
the ISN (Wireshark does the same), and `handshake_seen` says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .packet import Packet

MOD = 2**32
SIDES = ("client", "server")


def other(side: str) -> str:
    return "server" if side == "client" else "client"


@dataclass
class Seg:
    """One segment of a connection: the packet, who sent it, its relative numbers."""

    i: int  # number within the connection, from 1
    pkt: Packet
    side: str  # sender: "client" or "server"
    rel_seq: int = 0
    rel_ack: int = 0

    @property
    def time(self) -> float:
        return self.pkt.time

    @property
    def frame(self) -> int:
        return self.pkt.frame

    @property
    def length(self) -> int:
        return self.pkt.length

    @property
    def seg_len(self) -> int:
        return self.pkt.seg_len

    @property
    def end(self) -> int:
        """The relative sequence number just past this segment (seq + SEG.LEN)."""
        return self.rel_seq + self.pkt.seg_len

    def has(self, flag: str) -> bool:
        return flag in self.pkt.flags

    @property
    def pure_ack(self) -> bool:
        return self.has("ACK") and not self.length and not (self.pkt.flags & {"SYN", "FIN", "RST"})


@dataclass
class Connection:
    index: int  # from 1, in order of first packet
    addr: dict[str, tuple[str, int]]  # side -> (address, port)
    segments: list[Seg] = field(default_factory=list)
    roles_known: bool = False  # False: no SYN seen, client/server is a guess by port
    isn: dict[str, int] = field(default_factory=dict)  # side -> absolute ISN (SYN seen) or base
    handshake_seen: dict[str, bool] = field(default_factory=dict)  # side -> its SYN was captured

    def side_of(self, pkt: Packet) -> str:
        return "client" if (pkt.src, pkt.sport) == self.addr["client"] else "server"

    def label(self) -> str:
        c, s = self.addr["client"], self.addr["server"]
        return f"{_ep(c)} -> {_ep(s)}"


def _ep(a: tuple[str, int]) -> str:
    host, port = a
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _key(p: Packet) -> frozenset:
    return frozenset({(p.src, p.sport), (p.dst, p.dport)})


def _starts_new(packets: list[Packet], p: Packet) -> bool:
    """Does a SYN without ACK begin a new connection on a 4-tuple already in use?"""
    if not (p.has("SYN") and not p.has("ACK")):
        return False
    mine = [q for q in packets if (q.src, q.sport) == (p.src, p.sport)]
    if any(q.has("SYN") and q.seq != p.seq for q in mine if not q.has("ACK")):
        return True
    if any(q.flags & {"FIN", "RST"} for q in packets):
        return True
    return any(not q.has("SYN") for q in packets) and not any(q.has("SYN") for q in mine)


def _roles(packets: list[Packet]) -> tuple[tuple[str, int], tuple[str, int], bool]:
    for q in packets:
        if q.has("SYN") and not q.has("ACK"):
            return (q.src, q.sport), (q.dst, q.dport), True
    for q in packets:
        if q.has("SYN") and q.has("ACK"):
            return (q.dst, q.dport), (q.src, q.sport), True
    first = packets[0]
    a, b = (first.src, first.sport), (first.dst, first.dport)
    if b[1] > a[1]:
        a, b = b, a
    return a, b, False


def _number(conn: Connection, packets: list[Packet]) -> None:
    for side in SIDES:
        mine = [q for q in packets if conn.side_of(q) == side]
        syn = next((q for q in mine if q.has("SYN")), None)
        conn.handshake_seen[side] = syn is not None
        if syn is not None:
            conn.isn[side] = syn.seq
        elif mine and all(q.has("RST") for q in mine):
            conn.isn[side] = mine[0].seq  # only resets (a refused SYN: <SEQ=0>): count from there
        elif mine:
            conn.isn[side] = (mine[0].seq - 1) % MOD
        else:  # never sent anything: its numbers are only known from the peer's acks
            peer = next((q for q in packets if q.has("ACK")), None)
            conn.isn[side] = ((peer.ack - 1) % MOD) if peer else 0
    for i, q in enumerate(packets, start=1):
        side = conn.side_of(q)
        rel_seq = _signed(q.seq - conn.isn[side])
        rel_ack = _signed(q.ack - conn.isn[other(side)]) if q.has("ACK") else 0
        conn.segments.append(Seg(i, q, side, rel_seq, rel_ack))


def _signed(delta: int) -> int:
    """A difference of sequence numbers modulo 2^32, in (-2^31, 2^31] (RFC 9293 3.4)."""
    d = delta % MOD
    return d - MOD if d > MOD // 2 else d


def split_connections(packets: list[Packet]) -> list[Connection]:
    """The capture's connections, in order of their first packet."""
    groups: list[list[Packet]] = []
    current: dict[frozenset, list[Packet]] = {}
    for p in packets:
        key = _key(p)
        group = current.get(key)
        if group is None or _starts_new(group, p):
            group = []
            groups.append(group)
            current[key] = group
        group.append(p)
    out = []
    for index, group in enumerate(groups, start=1):
        client, server, known = _roles(group)
        conn = Connection(index, {"client": client, "server": server}, roles_known=known)
        _number(conn, group)
        out.append(conn)
    return out
