"""The network between the hosts: latency, a bottleneck (rate and drop-tail queue), random
loss, the scenario's drop/delay/duplicate rules, and hosts that vanish.

Pure and deterministic: the simulator hands it each segment as it is put on the wire and
asks it which arrives next; the network decides each segment's fate once, when it is sent
(or later, for segments in flight to a host that vanishes). Randomness comes from a stream
of its own, seeded from [net].seed, so that `loss` never changes an ISN or a cookie.

What happens to a segment, in order (docs/scenarios.md, "How the network treats a segment"):
1. every pending rule whose selector matches counts it;
2. the bottleneck (`rate`): it waits behind the segments before it in its direction; a
   drop-tail `queue` that is full loses it;
3. random `loss`; 4. a due `drop` rule; 5. a vanished destination loses it;
6. otherwise it arrives after its serialisation, `latency` and any due `delay`, twice if a
   `duplicate` rule is due.
A due rule acts on the first segment it can still act on: when the segment it counted up
to is lost anyway (or another rule of its kind took it), it acts on the next match.
"""

from __future__ import annotations

import heapq
import random
from collections import deque
from dataclasses import dataclass

from .params import MICROS, Delay, Drop, Duplicate, NetParams, NetworkRule
from .segment import Segment
from .trace import SegmentRecord

# Bytes a segment occupies on the link besides its payload: IPv4 header (20) and TCP header
# (20) without options (RFC 791 3.1, RFC 9293 3.1); the MSS option adds 4 (RFC 9293 3.2).
HEADER_BYTES = 40
MSS_OPTION_BYTES = 4


def matches(rule: NetworkRule, seg: Segment) -> bool:
    """Does `seg` match the rule's direction and flags (docs/scenarios.md, "Which segment ...")?"""
    if rule.src is not None and rule.src != seg.src:
        return False
    if rule.dst is not None and rule.dst != seg.dst:
        return False
    wanted = set(rule.flags)
    if "DATA" in wanted:
        wanted.discard("DATA")
        if seg.length == 0:
            return False
    elif wanted == {"ACK"} and (seg.length or seg.flags & {"SYN", "FIN", "RST"}):
        return False  # "ACK" alone means a pure ACK, as in question selectors
    return wanted <= seg.flags


def wire_bytes(seg: Segment) -> int:
    """What the segment occupies on the link: headers, options and payload."""
    return HEADER_BYTES + (MSS_OPTION_BYTES if seg.mss is not None else 0) + seg.length


@dataclass
class _Pending:
    """A rule from a step, and how many matching segments it has counted since that step."""

    rule: NetworkRule
    seen: int = 0

    @property
    def due(self) -> bool:
        return self.seen >= self.rule.nth


class Network:
    def __init__(self, latency: int, net: NetParams):
        self.latency = latency
        self.loss = net.loss
        self.rate, self.queue = net.rate, net.queue
        # A stream of its own (a str seed is hashed the same way on every run and platform).
        self._loss_rng = random.Random(f"tcptutor network loss {net.seed}")
        self._rules: list[_Pending] = []
        # Per direction (towards the server, or away from it): when the bottleneck is free
        # again, and the start times of the segments still waiting in its queue.
        self._link_free: dict[bool, int] = {}
        self._waiting: dict[bool, deque[int]] = {}
        self._in_flight: list[tuple[int, int, int, SegmentRecord]] = []  # (arrival, n, copy, record)
        self.vanished: set[str] = set()

    # ------------------------------------------------------------------ what the scenario asks

    def add_rule(self, rule: NetworkRule) -> None:
        """A drop, delay or duplicate step: it counts matching segments from now on."""
        self._rules.append(_Pending(rule))

    def vanish(self, name: str) -> list[SegmentRecord]:
        """`name`'s host goes silent: segments in flight to it never arrive. Returns those."""
        self.vanished.add(name)
        lost = [entry for entry in self._in_flight if entry[3].segment.dst == name]
        if not lost:
            return []
        self._in_flight = [entry for entry in self._in_flight if entry[3].segment.dst != name]
        heapq.heapify(self._in_flight)
        records = list({id(entry[3]): entry[3] for entry in lost}.values())  # duplicates: one record
        for record in records:
            self._lose(record, self._vanished_note(name))
        return records

    # ------------------------------------------------------------------ segments

    def serialisation(self, seg: Segment) -> int:
        """Microseconds the bottleneck takes to put `seg` on the link, rounded up."""
        return -(-wire_bytes(seg) * 8 * MICROS // self.rate)

    def send(self, record: SegmentRecord, now: int) -> None:
        """Decide the fate of a segment put on the wire at `now` and set it on its record."""
        seg = record.segment
        due = []
        for pending in self._rules:
            if matches(pending.rule, seg):
                if not pending.due:
                    pending.seen += 1
                if pending.due:
                    due.append(pending)
        departs = now
        if self.rate is not None:
            towards_server = seg.dst == "server"  # spoofed SYNs share the way to the server
            waiting = self._waiting.setdefault(towards_server, deque())
            while waiting and waiting[0] <= now:
                waiting.popleft()  # its serialisation has begun: it left the queue
            if self.queue is not None and len(waiting) >= self.queue:
                self._lose(record, f"bottleneck queue full ({self.queue} segments waiting): dropped at its tail")
                return
            start = max(now, self._link_free.get(towards_server, 0))
            if start > now:
                waiting.append(start)
            departs = start + self.serialisation(seg)
            self._link_free[towards_server] = departs
        if self.loss and self._loss_rng.random() < self.loss:
            self._lose(record, f"lost at random ([net] loss = {self.loss})")
            return
        if due and self._take(due, Drop):
            self._lose(record, "")
            return
        if seg.dst in self.vanished:
            self._lose(record, self._vanished_note(seg.dst))
            return
        arrives = departs + self.latency
        record.fate, record.arrived_at = "delivered", arrives
        if due:  # the common case, no rule due, stays as cheap as the v1 network was
            delay = self._take(due, Delay)
            record.arrived_at = arrives = arrives + (delay.by if delay else 0)
            if self._take(due, Duplicate):
                record.copies = 2
                heapq.heappush(self._in_flight, (arrives, record.n, 1, record))  # right after the original
        heapq.heappush(self._in_flight, (arrives, record.n, 0, record))

    def _take(self, due: list[_Pending], kind: type) -> NetworkRule | None:
        """The earliest due rule of `kind`, used up on this segment; later ones stay due."""
        for pending in due:
            if isinstance(pending.rule, kind):
                self._rules.remove(pending)
                return pending.rule
        return None

    @staticmethod
    def _lose(record: SegmentRecord, note: str) -> None:
        record.fate, record.arrived_at, record.network_note, record.copies = "dropped", None, note, 1

    @staticmethod
    def _vanished_note(name: str) -> str:
        return f"{name} vanished: nothing reaches it"

    # ------------------------------------------------------------------ arrivals

    def in_flight(self) -> bool:
        return bool(self._in_flight)

    def next_arrival(self) -> int | None:
        return self._in_flight[0][0] if self._in_flight else None

    def pop_arrival(self) -> tuple[int, SegmentRecord]:
        """The earliest arrival (ties: wire order, then original before copy)."""
        at, _, _, record = heapq.heappop(self._in_flight)
        return at, record
