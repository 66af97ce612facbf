"""What several layers read off a trace, derived once: relative numbers, duplicate ACKs,
retransmissions, the events around a segment and the states an endpoint passed through.

Pure functions of a typed `Trace` (render, questions, grading and export call them instead
of re-deriving the same facts each in their own way).
"""

from __future__ import annotations

from . import seq as seqmath
from .trace import Note, SegmentRecord, Trace, TraceEvent

SEQ_SPACE = 2**32
Path = tuple[str, str]  # (src, dst): one direction of one connection


# ---------------------------------------------------------------- numbers


def isns(trace: Trace) -> dict[Path, int]:
    """ISN of each direction (src, dst): the seq of src's first SYN to dst.

    Keyed by direction, not by endpoint, because the server picks a fresh ISN for every
    connection (client and each spoofed source). Without a SYN, the first seq seen on that
    path is the base, as in Wireshark (a RST from a closed port: seq 0).
    """
    isn: dict[Path, int] = {}
    for r in trace.segments:
        if r.has("SYN"):
            isn.setdefault((r.src, r.dst), r.seq)
    for r in trace.segments:
        isn.setdefault((r.src, r.dst), r.seq)
    return isn


def relative_numbers(trace: Trace) -> dict[int, tuple[int, int]]:
    """Segment n -> (relative seq, relative ack), as Wireshark shows them.

    seq is relative to the sender's ISN, ack to the receiver's ISN (so the SYN has seq=0 and
    the first ACK has ack=1), both modulo 2**32. ack stays 0 when ACK is not set, exactly
    like the wire value.
    """
    isn = isns(trace)
    rel = {}
    for r in trace.segments:
        seq = (r.seq - isn[(r.src, r.dst)]) % SEQ_SPACE
        ack = (r.ack - isn.get((r.dst, r.src), 0)) % SEQ_SPACE if r.has("ACK") else 0
        rel[r.n] = (seq, ack)
    return rel


def seg_len(r: SegmentRecord) -> int:
    """SEG.LEN: payload plus one for SYN and one for FIN (RFC 9293 3.4)."""
    return r.segment.seg_len


def end_seq(r: SegmentRecord) -> int:
    """The sequence number just past what the segment occupies (SEG.SEQ + SEG.LEN)."""
    return seqmath.add(r.seq, seg_len(r))


def sent_before(trace: Trace, r: SegmentRecord) -> list[SegmentRecord]:
    """The segments put on the wire before r, in wire order."""
    return trace.segments[: r.n - 1]


def arrived_before(trace: Trace, r: SegmentRecord) -> list[SegmentRecord]:
    """The peer's segments that had reached r's sender when it sent r, in wire order."""
    return [s for s in sent_before(trace, r) if s.src == r.dst and s.dst == r.src and s.delivered
            and s.arrived_at is not None and s.arrived_at <= r.sent_at]


def seq_basis(trace: Trace, r: SegmentRecord) -> SegmentRecord | None:
    """The sender's latest earlier segment on the same path (no RST) whose SEG.SEQ + SEG.LEN is
    r's seq: the one r's sequence number counts on from (RFC 9293 3.4, SND.NXT)."""
    for prev in reversed(sent_before(trace, r)):
        if prev.src == r.src and prev.dst == r.dst and not prev.has("RST") and seg_len(prev) and end_seq(prev) == r.seq:
            return prev
    return None


def ack_basis(trace: Trace, r: SegmentRecord) -> SegmentRecord | None:
    """The latest segment r's sender had received whose SEG.SEQ + SEG.LEN is r's ack: the one
    r acknowledges up to (RFC 9293 3.10.7.4, RCV.NXT). None without ACK."""
    if not r.has("ACK"):
        return None
    for prev in reversed(arrived_before(trace, r)):
        if seg_len(prev) and end_seq(prev) == r.ack:
            return prev
    return None


# ---------------------------------------------------------------- duplicate ACKs


def duplicate_acks(trace: Trace) -> dict[int, tuple[int, int]]:
    """Segment n -> (n of the ACK it duplicates, 1 for the first duplicate, 2, ...).

    RFC 5681 section 2's definition, applied to the wire as a capture tool sees it (dropped
    segments included; Wireshark's tcp.analysis.duplicate_ack agrees): a segment is a
    duplicate ACK when
      - it carries ACK, no payload, and no SYN, FIN or RST;
      - its ack equals the greatest ack its sender has sent so far on this path, and its
        window equals the window of that sender's previous ACK;
      - the receiver of the ACK has outstanding data (sent bytes beyond that ack).
    Wireshark also asks for a non-zero window: the answers to zero-window probes repeat the
    ack and the zero window, and are no sign of loss.
    The SYN-ACK counts as a previous ACK, so after a lost first data segment the server's
    first "ack=ISN+1" is already a duplicate, which is what a sender counts.
    """
    last: dict[Path, list[int]] = {}  # direction -> [ack, win, n, count]
    high: dict[Path, int] = {}  # direction -> highest seq+len of data sent
    dups = {}
    for r in trace.segments:
        path = (r.src, r.dst)
        if r.has("ACK"):
            prev = last.get(path)
            peer_high = high.get((r.dst, r.src))
            outstanding = peer_high is not None and seqmath.gt(peer_high, r.ack)
            if prev is None or seqmath.gt(r.ack, prev[0]) or r.win != prev[1]:
                last[path] = [r.ack, r.win, r.n, 0]
            elif r.pure_ack and r.ack == prev[0] and outstanding and r.win:
                prev[3] += 1
                dups[r.n] = (prev[2], prev[3])
        if r.length > 0:
            end = seqmath.add(r.seq, r.length)
            if path not in high or seqmath.gt(end, high[path]):
                high[path] = end
    return dups


def window_changes(trace: Trace) -> dict[int, int]:
    """Segment n -> its window, for each segment whose window differs from the one its sender
    advertised before on that path (the SYN's is the first): where flow control shows."""
    last: dict[Path, int] = {}
    changes = {}
    for r in trace.segments:
        path = (r.src, r.dst)
        if path in last and r.win != last[path] and not r.has("RST"):
            changes[r.n] = r.win
        last[path] = r.win
    return changes


def is_duplicate_ack(trace: Trace, r: SegmentRecord) -> bool:
    """A duplicate ACK in RFC 5681's sense (see duplicate_acks), and not a challenge ACK:
    RFC 5961's challenge ACK restates RCV.NXT to a RST or SYN it cannot trust, whatever
    the wire looks like."""
    return r.note != Note.CHALLENGE_ACK and r.n in duplicate_acks(trace)


# ---------------------------------------------------------------- retransmissions


def same_occupancy(a: SegmentRecord, b: SegmentRecord) -> bool:
    """Both occupy the same sequence space: same seq, same length, same SYN and FIN."""
    return (a.seq == b.seq and a.length == b.length
            and a.has("SYN") == b.has("SYN") and a.has("FIN") == b.has("FIN"))


def retransmissions(trace: Trace) -> list[SegmentRecord]:
    """The segments their sender sent again (RFC 6298 5.4 timeouts, RFC 5681 3.2 fast retransmit ...)."""
    return [r for r in trace.segments if r.retransmission]


def resent_original(trace: Trace, r: SegmentRecord) -> SegmentRecord | None:
    """The segment a retransmission resends: the first earlier one from the same sender that
    occupied the same sequence space (a bare ACK that shares the seq occupies none)."""
    return next((s for s in trace.segments[: r.n - 1] if s.src == r.src and seg_len(s)
                 and not s.has("RST") and same_occupancy(s, r)), None)


# ---------------------------------------------------------------- events and states


def caused_by(trace: Trace, n: int) -> list[TraceEvent]:
    """The events segment n's arrival caused (none if it was lost or nobody keeps state)."""
    return [e for e in trace.events if e.cause.is_recv and e.cause.segment == n]


def sent_by(trace: Trace, n: int) -> TraceEvent | None:
    """The event (call, arrival or timer) that put segment n on the wire."""
    return next((e for e in trace.events if n in e.sent), None)


def events_of(trace: Trace, endpoint: str) -> list[TraceEvent]:
    return [e for e in trace.events if e.endpoint == endpoint]


def handling_events(trace: Trace, endpoint: str, n: int) -> list[TraceEvent]:
    """The endpoint's events about segment n: its arrival (the receiver) or its sending (the sender)."""
    r = trace.segment(n)
    if r.dst == endpoint:
        return [e for e in caused_by(trace, n) if e.endpoint == endpoint]
    if r.src == endpoint:
        return [e for e in events_of(trace, endpoint) if n in e.sent]
    return []


def state_after(trace: Trace, endpoint: str, n: int) -> str | None:
    """The endpoint's state just after segment n was handled: after its arrival was processed
    (its receiver), or just after the event that sent it (its sender). None: never handled."""
    handled = handling_events(trace, endpoint, n)
    return handled[-1].state_after if handled else None


def state_before(trace: Trace, endpoint: str, n: int) -> str | None:
    """The endpoint's state just before segment n was handled (see state_after)."""
    handled = handling_events(trace, endpoint, n)
    return handled[0].state_before if handled else None


def states_of(trace: Trace, endpoint: str) -> list[str]:
    """The distinct states the endpoint passed through, in order, starting where it started."""
    mine = events_of(trace, endpoint)
    if not mine:
        return [trace.final[endpoint]]
    states = [mine[0].state_before]
    for e in mine:
        if e.state_after != states[-1]:
            states.append(e.state_after)
    return states


def timer_expiries(trace: Trace, endpoint: str | None = None, kind: str | None = None) -> list[TraceEvent]:
    """The events in which a timer expired, optionally of one endpoint and one timer kind."""
    return [e for e in trace.events if e.timer is not None and (endpoint is None or e.endpoint == endpoint)
            and (kind is None or e.timer.get("kind") == kind)]


# ---------------------------------------------------------------- the sender's TCB


def data_sender(trace: Trace) -> str:
    """The named endpoint that sent the most payload bytes (the client on a tie): whose
    congestion window a plot or a question about "the sender" means."""
    sent = {"client": 0, "server": 0}
    for r in trace.segments:
        if r.src in sent:
            sent[r.src] += r.length
    return "server" if sent["server"] > sent["client"] else "client"


def tcb_after_sending(trace: Trace, n: int):
    """The sender's TCB (tcp.tcb.Tcb) just after the event that put segment n on the wire."""
    event = sent_by(trace, n)
    return None if event is None else event.tcb


def transmission_rounds(trace: Trace, endpoint: str) -> list[tuple[int, SegmentRecord, TraceEvent]]:
    """The textbook's transmission rounds of `endpoint`'s new data: (round, its first
    segment, the event whose TCB is the window the round was sent with).

    Round 1 starts with the first data segment; a new round starts with the first new data
    segment sent once an ACK has covered the first segment of the round before (one RTT of
    "send a window, wait for its ACKs", as Kurose & Ross draw slow start: 1, 2, 4, 8 ...).
    A round's window is the endpoint's TCB just before that first covering ACK (the last
    event of the trace if none came): what it had grown to while the round was sent.
    """
    rounds: list[list] = []
    boundary: int | None = None  # the end seq of the current round's first segment
    covered = False
    previous: TraceEvent | None = None  # the endpoint's last event with a TCB before this one
    for event in trace.events:
        if event.endpoint != endpoint or event.tcb is None:
            continue
        if boundary is not None and not covered and seqmath.ge(event.tcb.snd_una, boundary):
            covered = True
            rounds[-1][2] = previous
        for n in event.sent:
            r = trace.segment(n)
            if r.length and not r.retransmission and (boundary is None or covered):
                rounds.append([len(rounds) + 1, r, event])
                boundary, covered = end_seq(r), False
        if rounds and not covered:
            rounds[-1][2] = event
        previous = event
    return [tuple(r) for r in rounds]


def segments_in_flight(trace: Trace, event: TraceEvent) -> int:
    """How many segments the event's endpoint had in flight after it: those it had sent by
    then that occupy sequence space between SND.UNA and SND.NXT (RFC 5681 2: FlightSize, in
    segments; a retransmission is the segment it resends, counted once)."""
    tcb = event.tcb
    if tcb is None:
        return 0
    last = 0
    for e in trace.events:
        if e.endpoint == event.endpoint and e.sent:
            last = max(last, *e.sent)
        if e is event:
            break
    starts = {r.seq for r in trace.segments[:last]
              if r.src == event.endpoint and seg_len(r)
              and seqmath.gt(end_seq(r), tcb.snd_una) and seqmath.lt(r.seq, tcb.snd_nxt)}
    return len(starts)
