"""Worked solutions: which rule gives each expected answer, read off the trace.

"1001 = 1000 + 1: the SYN (#1) consumes one sequence number" is what a student needs to
see, not just "1001".
"""

from __future__ import annotations

from ..questions.expected import Expected
from ..segment_flags import wireshark_flags
from ..tcp import analysis
from ..tcp.trace import RESET_REPLIES, Note, SegmentRecord, Trace, TraceEvent

MOD = 2**32


def show(value: object) -> str:
    """An expected value the way a student would write it (every worked solution starts so)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " → ".join(map(str, value))
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def with_value(shown: str, solution: str) -> str:
    """"<value>: <why>" with the value written once: a worked solution that already starts
    with the value (every predict one does: "1001 = 1000 + 1: ...") is returned as it is."""
    if solution == shown or solution.startswith((f"{shown}:", f"{shown} ")):
        return solution
    return f"{shown}: {solution}"


seg_len = analysis.seg_len


def describe(seg: SegmentRecord) -> str:
    """"#2 ([SYN, ACK] from the server)", "#4 (with 800 bytes from the client)": flags as
    Wireshark lists them, left out for a plain ACK or a data segment."""
    plain = {f for f in seg.flags if f != "PSH"} == {"ACK"}
    what = "" if plain and seg.length else f"{wireshark_flags(seg.flags)} "
    data = f"with {seg.length} bytes " if seg.length else ""
    return f"#{seg.n} ({what}{data}from the {seg.src})"


def resent_original(seg: SegmentRecord, trace: Trace) -> SegmentRecord | None:
    """The segment a retransmission resends (see analysis.resent_original)."""
    return analysis.resent_original(trace, seg)


def _previous_ack(seg: SegmentRecord, trace: Trace) -> SegmentRecord | None:
    return next((s for s in reversed(_before(trace, seg)) if s.src == seg.src and s.has("ACK")
                 and not s.has("RST")), None)


def is_duplicate_ack(seg: SegmentRecord, trace: Trace) -> bool:
    """RFC 5681 2 "DUPLICATE ACKNOWLEDGMENT" (see analysis.duplicate_acks); a challenge ACK
    (RFC 5961) is none."""
    return analysis.is_duplicate_ack(trace, seg)


def _consumed(seg: SegmentRecord) -> str:
    parts = []
    if seg.has("SYN"):
        parts.append("its SYN takes one sequence number")
    if seg.length:
        parts.append(f"its {seg.length} data bytes take {seg.length}")
    if seg.has("FIN"):
        parts.append("its FIN takes one sequence number")
    return " and ".join(parts)


def _before(trace: Trace, seg: SegmentRecord) -> list[SegmentRecord]:
    return trace.segments[: seg.n - 1]


def explain_seq(seg: SegmentRecord, trace: Trace) -> str:
    seq = seg.seq
    if seg.has("RST") and seg.note in RESET_REPLIES:
        if seg.has("ACK") and seq == 0:
            return "0: a RST answering a segment that had no ACK uses seq 0 and acknowledges that segment (RFC 9293 3.10.7.1)"
        return f"{seq}: a RST answering a segment that had an ACK takes that segment's ack as its seq (RFC 9293 3.10.7.1)"
    if seg.note == Note.KEEPALIVE_PROBE:
        return (f"{seq} = SND.NXT − 1: a keep-alive probe repeats the last sequence number the peer has already "
                f"acknowledged, so a live peer must answer it with an ACK (RFC 9293 3.8.4)")
    if seg.retransmission:
        original = resent_original(seg, trace)
        if original:
            lost = ", which was lost" if not original.delivered else ""
            return (f"{seq}: a retransmission repeats the seq of the segment it resends, "
                    f"{describe(original)}{lost}")
    if seg.has("SYN"):
        return f"{seq}: a SYN carries the sender's initial sequence number (ISN)"
    prev = analysis.seq_basis(trace, seg)
    if prev is not None:
        used = seg_len(prev)
        wrap = " (modulo 2^32)" if prev.seq + used >= MOD else ""
        return f"{seq} = {prev.seq} + {used}{wrap}: {describe(prev)} started at {prev.seq} and {_consumed(prev)}"
    mine = [s for s in _before(trace, seg) if s.src == seg.src and not s.has("RST")]
    if mine:
        prev = mine[-1]
        if prev.seq == seq:
            return f"{seq}: the same as {describe(prev)}, which carried no SYN, FIN or data, so it used up no sequence number"
    return f"{seq}: the sender's next sequence number (SND.NXT)"


def explain_ack(seg: SegmentRecord, trace: Trace) -> str:
    ack = seg.ack
    if not seg.has("ACK"):
        return "0: the ACK flag is not set, so the acknowledgment field carries nothing (it is sent as 0)"
    sender, peer = seg.src, seg.dst
    arrived = analysis.arrived_before(trace, seg)
    prev = analysis.ack_basis(trace, seg)
    if prev is not None:
        used = seg_len(prev)
        wrap = " (modulo 2^32)" if prev.seq + used >= MOD else ""
        rule = (f"{ack} = {prev.seq} + {used}{wrap}: ack is the next sequence number the {sender} expects; "
                f"{describe(prev)} started at {prev.seq} and {_consumed(prev)}")
        return rule + _why_this_ack(seg, trace, prev, arrived)
    if seg.has("RST"):
        return f"{ack}: the RST acknowledges everything the segment it answers occupied (SEG.SEQ + SEG.LEN)"
    return f"{ack}: the next sequence number the {sender} expects from the {peer} (RCV.NXT)"


def _why_this_ack(seg: SegmentRecord, trace: Trace, basis: SegmentRecord, arrived: list[SegmentRecord]) -> str:
    """What kind of ACK this is, when that is the point: a challenge ACK, a duplicate ACK, or
    the cumulative ACK that fills a hole."""
    ack = seg.ack
    beyond = [s for s in arrived if seg_len(s) and 0 < (s.seq - ack) % MOD < MOD // 2]
    if seg.note == Note.CHALLENGE_ACK:
        return (f"; this is a challenge ACK (RFC 5961 3.2, 4.2): the {seg.src} answers a RST or SYN "
                f"it cannot trust by restating what it expects")
    if is_duplicate_ack(seg, trace):
        held = f" (#{', #'.join(str(s.n) for s in beyond)} arrived beyond it, out of order)" if beyond else ""
        return (f"; the byte at {ack} has not arrived{held}, so the ACK repeats ack {ack}: "
                f"a duplicate ACK (RFC 5681 2)")
    if seg.note == Note.ACK_OF_UNACCEPTABLE:
        return (f"; it answers a segment outside the {seg.src}'s receive window, which is not acceptable: "
                f"such a segment is dropped and answered with an ACK restating what is expected "
                f"(RFC 9293 3.10.7.4, first check)")
    # A hole filled: the previous ACK asked for the seq of the segment that just arrived, and
    # this one jumps past the data that had been held beyond it.
    last = max((s for s in arrived if seg_len(s)), key=lambda s: (s.arrived_at, s.n), default=None)
    previous = _previous_ack(seg, trace)
    if (last is not None and last.n != basis.n and previous is not None and previous.ack == last.seq
            and not last.has("SYN") and basis.arrived_at <= last.arrived_at):
        return (f"; {describe(last)} filled the hole at {last.seq}, so this cumulative ACK also covers "
                f"#{basis.n}, which had arrived out of order and was held (RFC 9293 3.10.7.4)")
    return ""


_FLAG_REASONS = {
    "SYN": "a SYN opens the sender's direction and carries its ISN; no ACK yet, since nothing has been received",
    "SYN+ACK": "the reply to a SYN acknowledges it (ACK) and opens the replier's own direction (SYN)",
    "ACK": "a pure ACK: it acknowledges without carrying SYN, FIN or data",
    "FIN+ACK": "FIN says the sender has no more data; after the handshake every segment carries ACK",
    "RST": "a reset: the connection is refused or aborted, or the segment belongs to no connection",
    "RST+ACK": "a reset that also acknowledges the segment it answers",
}


def explain_flags(value: str, seg: SegmentRecord) -> str:
    shown = f"{value} (Wireshark: {wireshark_flags(seg.flags)})"
    if seg.length and value == "ACK":
        return f"{shown}: a data segment after the handshake carries ACK (PSH, often set too, is not graded)"
    return f"{shown}: {_FLAG_REASONS.get(value, 'the flags the sender set')}"


def worked_solutions(variant) -> dict[str, str]:
    """Field -> worked solution: the rule read off the trace for predict questions, the
    question's explanation (with this variant's values) for the others."""
    if variant.question.kind == "predict":
        return {name: explain(e, variant.trace) for name, e in variant.expected.items()}
    return {name: variant.explanation for name in variant.expected}


def explain(expected: Expected, trace: Trace | None) -> str:
    """One line saying which rule gives the expected answer."""
    value, seg = expected.value, expected.segment
    if trace is None:
        return f"{value}"
    if expected.what == "seq" and seg:
        return explain_seq(seg, trace)
    if expected.what == "ack" and seg:
        return explain_ack(seg, trace)
    if expected.what == "len" and seg:
        if value == 0:
            return "0: no payload; SYN, FIN and ACK are flags, not data"
        return f"{value}: the payload bytes of #{seg.n} (one write, or one MSS-sized piece of it)"
    if expected.what == "flags" and seg:
        return explain_flags(str(value), seg)
    if expected.what == "win" and seg:
        return f"{value}: the receive window the {seg.src} advertises"
    if expected.what == "state":
        return _explain_state(expected, trace)
    if expected.what == "states":
        return " → ".join(value) + ": each move is an edge of RFC 9293's state diagram"
    if expected.what in ("sent_at", "arrived_at") and seg:
        note = f" ({seg.note_text})" if seg.note_text else ""
        verb = "leaves" if expected.what == "sent_at" else "arrives"
        return f"{show(value)} s: #{seg.n} {verb} then{note}; latency is {show(trace.params['net']['latency'])} s each way"
    if expected.what == "timeout":
        return _explain_timeout(value, trace, expected.event)
    if expected.what in ("sport", "dport") and seg:
        return _explain_port(expected.what, value, seg)
    if expected.what in ("mss", "wscale", "options") and seg:
        return _explain_option(expected.what, value, seg)
    if expected.what == "count":
        return _explain_count(value, expected.matches, trace)
    if expected.what in TCB_RULES and expected.event is not None:
        return _explain_tcb(expected)
    return show(value)


def _explain_port(what: str, value, seg: SegmentRecord) -> str:
    """Ports come from the capture's address plan (tcp/addresses.py)."""
    end = seg.src if what == "sport" else seg.dst
    role = "source" if what == "sport" else "destination"
    plan = ("tcptutor's captures give the client port 40000 (an ephemeral port, as clients get) "
            "and the server port 80")
    return (f"{value}: #{seg.n} goes from the {seg.src} to the {seg.dst}, so its {role} port is the "
            f"{end}'s; {plan}, and every reply swaps the two ports")


def _explain_option(what: str, value, seg: SegmentRecord) -> str:
    """Which options a segment carries: the MSS only on SYNs (RFC 9293 3.7.1); the window scale
    only on SYNs too, and only in use when both SYNs carry it (RFC 7323 2.2)."""
    syn = seg.has("SYN")
    where = f"#{seg.n} ({wireshark_flags(seg.flags)} from the {seg.src})"
    if what == "mss":
        if value != "none":
            return (f"{value}: the MSS option on {where}: the largest payload its sender accepts in one segment "
                    f"(RFC 9293 3.7.1); each side announces it once, on its SYN")
        return f"none: {where} is not a SYN, and the MSS option is sent only on SYNs (RFC 9293 3.7.1)" if not syn else \
            f"none: {where} carries no MSS option, so its peer assumes 536 (RFC 9293 3.7.1)"
    if what == "wscale":
        if value != "none":
            return (f"{value}: the Window Scale option on {where}: every later win from the {seg.src} is shifted "
                    f"left by {value} (the window is win << {value}, RFC 7323 2.2)")
        if syn:
            return (f"none: {where} carries no Window Scale option, so window scaling is off for the connection "
                    f"(RFC 7323 2.2: both SYNs must carry it) and every win is the window in bytes, unscaled")
        return (f"none: {where} is not a SYN; the Window Scale option is sent only on SYNs (RFC 7323 2.2), and "
                f"a later win is shifted by the value the SYNs agreed (here none: win is the window itself)")
    if value == "none":
        why = "no SYN: the MSS and Window Scale options travel only on SYNs" if not syn else "its sender sent none"
        return f"none: {where} carries no TCP options ({why}); its header is 20 bytes"
    return (f"{value}: the options on {where}; tcptutor's simulator sends only the MSS option (on SYNs), "
            f"where Linux also sends SACK_PERM, TS and WS (tcp_syn_options)")


TCB_RULES = {
    "cwnd": "slow start adds up to one SMSS per ACK, congestion avoidance about one SMSS per RTT, "
            "and a loss cuts it (RFC 5681 3.1, 3.2)",
    "ssthresh": "it is set at a loss to max(FlightSize / 2, 2 SMSS) (RFC 5681 3.1 equation 4, 3.2)",
    "rwnd": "the window the peer last advertised, as SND.WND took it (RFC 9293 3.10.7.4)",
    "flight": "the segments sent and not yet acknowledged, between SND.UNA and SND.NXT (RFC 5681 2: FlightSize)",
    "srtt": "SRTT = 7/8 SRTT + 1/8 R for each RTT sample R, R itself for the first (RFC 6298 2.2, 2.3)",
    "rttvar": "RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|, R/2 for the first sample (RFC 6298 2.2, 2.3)",
    "rto": "RTO = SRTT + max(G, 4 RTTVAR) within its bounds, doubled at each timeout (RFC 6298 2.4, 5.5)",
}


def _size(value, unit: str) -> str:
    return f"{show(value)} {unit[:-1] if value == 1 else unit}"


def _explain_tcb(expected: Expected) -> str:
    """Which TCB, after which event, and the rule that sets the variable."""
    event, what = expected.event, expected.what
    if what in ("srtt", "rttvar", "rto"):
        shown = f"{show(expected.value)} s"
    elif expected.unit == "segments" and what != "flight":
        raw = event.tcb.get("snd_wnd" if what == "rwnd" else what)
        shown = f"{_size(expected.value, 'segments')} ({raw} bytes / MSS {expected.mss})"
    else:
        shown = _size(expected.value, expected.unit)
    sent = f", which sent #{', #'.join(map(str, event.sent))}" if event.sent else ""
    return (f"{shown}: the {event.endpoint}'s {what} in its TCB after {event.cause} at "
            f"{show(event.at_seconds)} s{sent}; {TCB_RULES[what]}")


STATE_MEANING = {
    "CLOSED": "no connection (any more)",
    "LISTEN": "waiting for a SYN from any client",
    "SYN-SENT": "its SYN is out; it waits for the peer's SYN and the ACK of its own",
    "SYN-RECEIVED": "it has the peer's SYN and has sent its own SYN; it waits for the ACK of that SYN",
    "ESTABLISHED": "both SYNs are acknowledged: data flows both ways",
    "FIN-WAIT-1": "it has sent its FIN, not yet acknowledged",
    "FIN-WAIT-2": "its FIN is acknowledged; it waits for the peer's FIN (and can still receive data)",
    "CLOSE-WAIT": "it received the peer's FIN; its application can still send, then must close",
    "CLOSING": "both FINs crossed: it waits for the ACK of its own FIN",
    "LAST-ACK": "it closed after the peer did; it waits for the ACK of its FIN",
    "TIME-WAIT": "it closed first and has acknowledged the peer's FIN; it waits 2MSL before forgetting the connection",
}


def _explain_state(expected: Expected, trace: Trace) -> str:
    seg = expected.segment
    value = expected.value
    meaning = STATE_MEANING.get(str(value), "")
    if seg is None:
        return f"{value} when the scenario ends: {meaning}"
    involved = analysis.caused_by(trace, seg.n)
    sender = analysis.sent_by(trace, seg.n)
    if sender is not None:
        involved.append(sender)
    events = [e for e in trace.events if e.state_after == value and e.rfc and any(e is i for i in involved)]
    if events:
        return f"{value}: {meaning} ({events[-1].rfc})"
    return f"{value}: {meaning}; segment #{seg.n} does not change the state"


def _numbers(segs) -> str:
    names = [f"#{s.n}" for s in segs]
    if len(names) > 6:
        names = names[:3] + ["…"] + names[-1:]
        return ", ".join(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _explain_count(value: int, segs: tuple[SegmentRecord, ...], trace: Trace) -> str:
    """"3: #4, #6 and #8 (duplicate ACKs of ack 1001)": the segments counted, by number."""
    if not segs:
        return f"{value}: no segment in the trace matches"
    first = segs[0]
    if all(is_duplicate_ack(s, trace) for s in segs) and len({s.ack for s in segs}) == 1:
        what = f"duplicate ACKs of ack {first.ack}"
    elif all(s.retransmission for s in segs):
        what = "retransmissions" + (f" of seq {first.seq}" if len({s.seq for s in segs}) == 1 else "")
    elif len({(s.src, tuple(sorted(set(s.flags) - {"PSH"}))) for s in segs}) == 1:
        plain = {f for f in first.flags if f != "PSH"} == {"ACK"}
        kind = ("data segments" if all(s.length for s in segs) else "ACKs") if plain else \
            f"{wireshark_flags(set(first.flags) - {'PSH'})} segments"
        what = f"{kind} from the {first.src}"
    elif len(segs) <= 4:
        return f"{value}: " + ", ".join(describe(s) for s in segs)
    else:
        what = "the segments that match"
    if value == 1:
        what = what.replace("ACKs", "ACK").replace("segments", "segment").replace("retransmissions", "retransmission")
    return f"{value}: {_numbers(segs)} ({what})"


def _rtt_estimate(trace: Trace, endpoint: str, before: float) -> tuple[float, float] | None:
    """(SRTT, RTTVAR) of `endpoint` just before `before`, replayed from the trace the way the
    sender measures: one sample per ACK of segments never retransmitted (Karn's algorithm,
    RFC 6298 3), the first sample sets SRTT = R, RTTVAR = R/2 (2.2), later ones smooth (2.3)."""
    outstanding: list[dict] = []  # the endpoint's segments not yet acknowledged, in order
    srtt = rttvar = None
    events = []
    for s in trace.segments:  # times in seconds, as the trace JSON gives them
        if s.src == endpoint and seg_len(s) and s.sent_seconds < before:
            events.append((s.sent_seconds, 1, s))
        elif s.dst == endpoint and s.has("ACK") and s.delivered \
                and s.arrived_at is not None and s.arrived_seconds < before:
            events.append((s.arrived_seconds, 0, s))
    for _, kind, s in sorted(events, key=lambda e: (e[0], e[1], e[2].n)):
        if kind == 1:
            same = next((o for o in outstanding if analysis.same_occupancy(o["seg"], s)), None)
            if same is not None:
                same["retransmitted"] = True
            elif s.retransmission:
                continue
            else:
                outstanding.append({"seg": s, "end": (s.seq + seg_len(s)) % MOD, "sent": s.sent_seconds,
                                    "retransmitted": False})
            continue
        acked = [o for o in outstanding if (s.ack - o["end"]) % MOD < MOD // 2]
        if not acked:
            continue
        outstanding = [o for o in outstanding if o not in acked]
        if any(o["retransmitted"] for o in acked):
            continue
        r = s.arrived_seconds - acked[-1]["sent"]
        if srtt is None:
            srtt, rttvar = r, r / 2
        else:
            rttvar = 0.75 * rttvar + 0.25 * abs(srtt - r)
            srtt = 0.875 * srtt + 0.125 * r
    return None if srtt is None else (srtt, rttvar)


def _explain_other_timer(v: str, value: float, trace: Trace, event: TraceEvent) -> str:
    """The delayed-ACK, persist and keep-alive timers: how long each ran, and why."""
    kind, endpoint = event.timer["kind"], event.endpoint
    linux = trace.params["net"].get("profile") == "linux"
    earlier = [e for e in analysis.timer_expiries(trace, endpoint, kind) if e.at < event.at]
    if kind == "delayed-ack":
        if linux:
            return (f"{v} s: Linux holds an ACK for its delayed-ACK timeout ato (40 ms at first, TCP_ATO_MIN, "
                    f"adapting to the gaps between arrivals: tcp_event_data_recv), then sends it alone")
        return (f"{v} s: the receiver held the ACK, hoping to send it with data or with the ACK of a second "
                f"full segment; it may wait at most 0.5 s (RFC 1122 4.2.3.2, RFC 5681 4.2), tcptutor's "
                f"rfc9293 profile waits 200 ms")
    if kind == "persist":
        if earlier and abs(value - 2 * earlier[-1].timer["timeout"]) < 1e-6:
            return (f"{v} s = 2 × {show(earlier[-1].timer['timeout'])} s: the window stayed zero, so the persist "
                    f"timer backs off exponentially between zero-window probes (RFC 1122 4.2.2.17)")
        return (f"{v} s: the peer advertised a zero window with data waiting and nothing in flight, so the "
                f"persist timer started at the RTO; when it expires a zero-window probe goes out "
                f"(RFC 9293 3.8.6.1, RFC 1122 4.2.2.17)")
    last = earlier[-1] if earlier else None
    answered = last is not None and any(
        s.dst == endpoint and s.delivered and s.arrived_at is not None and last.at <= s.arrived_at <= event.at
        for s in trace.segments)
    reset = any(trace.segments[n - 1].has("RST") for n in event.sent if 0 < n <= len(trace.segments))
    if last is None or answered:
        since = "the connection went idle" if last is None else "the peer answered the last probe"
        return (f"{v} s: keepalive_idle: the time since {since} with nothing acknowledged in between; then "
                f"a keep-alive probe goes out (RFC 1122 4.2.3.6, Linux tcp_keepalive_timer)")
    end = ("; it was the last allowed, so the connection is reset (keepalive_count probes unanswered)"
           if reset else "")
    return (f"{v} s: keepalive_interval: the previous probe went unanswered, so the next one follows one "
            f"interval later (RFC 1122 4.2.3.6, Linux TCP_KEEPINTVL){end}")


def _explain_timeout(value: float, trace: Trace, event: TraceEvent | None = None) -> str:
    """The timer value actually used, and the rule that set it (RFC 6298, or Linux's)."""
    net = trace.params["net"]
    linux = net.get("profile") == "linux"
    v = show(value)
    if value == net.get("time_wait") and (event is None or event.timer["kind"] == "time-wait"):
        if linux:
            return f"{v} s: Linux holds TIME-WAIT for a fixed 60 s (TCP_TIMEWAIT_LEN)"
        return f"{v} s = 2 × MSL = 2 × {show(net['msl'])} s (RFC 9293 3.10.8)"
    if event is None:
        return f"{v} s: the timer's value then"
    kind, endpoint = event.timer["kind"], event.endpoint
    if kind in ("delayed-ack", "persist", "keepalive"):
        return _explain_other_timer(v, value, trace, event)
    fired = [e for e in analysis.timer_expiries(trace, endpoint)
             if e.timer["kind"] in ("syn", "synack", "retransmission") and e.at < event.at]
    same = [e for e in fired if e.timer["kind"] == kind]
    previous = same[-1].timer["timeout"] if same else None
    cap = " (Linux: TCP_RTO_MAX)" if linux else " (RFC 6298 2.5 allows a ceiling of at least 60 s)"
    if previous is not None and abs(value - 2 * previous) < 1e-6:
        return (f"{v} s = 2 × {show(previous)} s: each timeout doubles the timer (RFC 6298 5.5, "
                f"back-off), and no new RTT sample has reset it since the last one (Karn's algorithm: "
                f"a retransmitted segment gives none, RFC 6298 3)")
    if previous is not None and previous - 1e-6 <= value < 2 * previous - 1e-6:
        return (f"{v} s: doubling the previous {show(previous)} s would pass the ceiling, so the timer "
                f"stays at {v} s{cap}")
    if kind in ("syn", "synack"):
        if previous is None and abs(value - net["rto"]) < 1e-6:
            whose = "SYN" if kind == "syn" else "SYN-ACK"
            return (f"{v} s: the initial RTO (RFC 6298 2.1): nothing has been measured yet when the "
                    f"{whose} goes out")
        return f"{v} s: the {kind} timer then (initial RTO {show(net['rto'])} s, doubling after each timeout)"
    estimate = _rtt_estimate(trace, endpoint, event.at_seconds)
    if estimate is None:
        if any(e.timer["kind"] == "syn" for e in fired) and abs(value - 3.0) < 1e-6:
            return (f"{v} s: the SYN was retransmitted, so no RTT was measured and data starts with an "
                    f"RTO of 3 s (RFC 6298 5.7)")
        return f"{v} s: the initial RTO (RFC 6298 2.1): no RTT has been measured yet"
    srtt, rttvar = estimate
    if linux:
        floor = net.get("rto_min", 0.2)
        if 4 * rttvar < floor:
            return (f"{v} s = SRTT {show(round(srtt, 4))} s + {show(floor)} s: Linux takes SRTT + max(4 × RTTVAR, "
                    f"{show(floor * 1000)} ms), and 4 × RTTVAR = {show(round(4 * rttvar, 4))} s is below the "
                    f"200 ms floor TCP_RTO_MIN (tcp_set_rto)")
        return (f"{v} s = SRTT {show(round(srtt, 4))} s + 4 × RTTVAR {show(round(rttvar, 4))} s "
                f"(Linux: SRTT + max(4 × RTTVAR, TCP_RTO_MIN), tcp_set_rto)")
    computed = srtt + 4 * rttvar
    if computed < net.get("rto_min", 1.0) - 1e-6:
        return (f"{v} s: SRTT + 4 × RTTVAR = {show(round(computed, 4))} s is below the minimum RTO of "
                f"{show(net.get('rto_min', 1.0))} s, so the minimum is used (RFC 6298 2.4)")
    return (f"{v} s = SRTT + 4 × RTTVAR = {show(round(srtt, 4))} + 4 × {show(round(rttvar, 4))} s, from the "
            f"RTT measured on this connection (RFC 6298 2.2, 2.3)")
