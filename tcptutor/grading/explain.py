"""Worked solutions: which rule gives each expected answer, read off the trace.

"1001 = 1000 + 1: the SYN (#1) consumes one sequence number" is what a student needs to
see, not just "1001".
"""

from __future__ import annotations

from ..questions.expected import Expected

MOD = 2**32


def seg_len(seg: dict) -> int:
    return seg["len"] + ("SYN" in seg["flags"]) + ("FIN" in seg["flags"])


def describe(seg: dict) -> str:
    flags = "+".join(f for f in seg["flags"] if f != "PSH")
    what = f"{flags} " if flags != "ACK" or not seg["len"] else ""
    data = f"with {seg['len']} bytes " if seg["len"] else ""
    return f"#{seg['n']} ({what}{data}from the {seg['src']})".replace("  ", " ").replace("( ", "(")


def _consumed(seg: dict) -> str:
    parts = []
    if "SYN" in seg["flags"]:
        parts.append("its SYN takes one sequence number")
    if seg["len"]:
        parts.append(f"its {seg['len']} data bytes take {seg['len']}")
    if "FIN" in seg["flags"]:
        parts.append("its FIN takes one sequence number")
    return " and ".join(parts)


def _before(trace: dict, seg: dict) -> list[dict]:
    return [s for s in trace["segments"] if s["n"] < seg["n"]]


def explain_seq(seg: dict, trace: dict) -> str:
    seq = seg["seq"]
    if "RST" in seg["flags"] and seg.get("note", "").startswith(("no connection", "ACK to a listener", "bad ACK")):
        if "ACK" in seg["flags"] and seq == 0:
            return "0: a RST answering a segment that had no ACK uses seq 0 and acknowledges that segment (RFC 9293 3.10.7.1)"
        return f"{seq}: a RST answering a segment that had an ACK takes that segment's ack as its seq (RFC 9293 3.10.7.1)"
    if seg.get("retransmission"):
        original = next((s for s in _before(trace, seg) if s["src"] == seg["src"] and s["seq"] == seq
                         and not s.get("retransmission")), None)
        if original:
            return f"{seq}: a retransmission repeats the seq of the segment it resends, #{original['n']}"
    if "SYN" in seg["flags"]:
        return f"{seq}: a SYN carries the sender's initial sequence number (ISN)"
    mine = [s for s in _before(trace, seg) if s["src"] == seg["src"] and "RST" not in s["flags"]]
    for prev in reversed(mine):
        used = seg_len(prev)
        if (prev["seq"] + used) % MOD == seq and used:
            wrap = " (modulo 2^32)" if prev["seq"] + used >= MOD else ""
            return f"{seq} = {prev['seq']} + {used}{wrap}: {describe(prev)} started at {prev['seq']} and {_consumed(prev)}"
    if mine:
        prev = mine[-1]
        if prev["seq"] == seq:
            return f"{seq}: the same as {describe(prev)}, which carried no SYN, FIN or data, so it used up no sequence number"
    return f"{seq}: the sender's next sequence number (SND.NXT)"


def explain_ack(seg: dict, trace: dict) -> str:
    ack = seg["ack"]
    if "ACK" not in seg["flags"]:
        return "0: the ACK flag is not set, so the acknowledgment field carries nothing (it is sent as 0)"
    sender, peer = seg["src"], seg["dst"]
    arrived = [s for s in _before(trace, seg) if s["src"] == peer and s["fate"] == "delivered"
               and s["arrived_at"] is not None and s["arrived_at"] <= seg["sent_at"]]
    for prev in reversed(arrived):
        used = seg_len(prev)
        if used and (prev["seq"] + used) % MOD == ack:
            later = [s for s in arrived if s["n"] > prev["n"] and seg_len(s) and s["seq"] != ack and s["seq"] != prev["seq"]]
            gap = ""
            if later:
                gap = (f"; the {peer}'s later segments (#{', #'.join(str(s['n']) for s in later)}) arrived out of "
                       f"order, so the ACK still asks for {ack} (a duplicate ACK)")
            wrap = " (modulo 2^32)" if prev["seq"] + used >= MOD else ""
            return (f"{ack} = {prev['seq']} + {used}{wrap}: ack is the next sequence number the {sender} expects; "
                    f"{describe(prev)} started at {prev['seq']} and {_consumed(prev)}{gap}")
    if "RST" in seg["flags"]:
        return f"{ack}: the RST acknowledges everything the segment it answers occupied (SEG.SEQ + SEG.LEN)"
    return f"{ack}: the next sequence number the {sender} expects from the {peer} (RCV.NXT)"


_FLAG_REASONS = {
    "SYN": "a SYN opens the sender's direction and carries its ISN; no ACK yet, since nothing has been received",
    "SYN+ACK": "the reply to a SYN acknowledges it (ACK) and opens the replier's own direction (SYN)",
    "ACK": "a pure ACK: it acknowledges without carrying SYN, FIN or data",
    "ACK+FIN": "FIN says the sender has no more data; after the handshake every segment carries ACK",
    "RST": "a reset: the connection is refused or aborted, or the segment belongs to no connection",
    "ACK+RST": "a reset that also acknowledges the segment it answers",
}


def explain_flags(value: str, seg: dict) -> str:
    if seg["len"] and value == "ACK":
        return "ACK: a data segment after the handshake carries ACK (PSH, often set too, is not graded)"
    return f"{value}: {_FLAG_REASONS.get(value, 'the flags the sender set')}"


def worked_solutions(variant) -> dict[str, str]:
    """Field -> worked solution: the rule read off the trace for predict questions, the
    question's explanation (with this variant's values) for the others."""
    if variant.question.kind == "predict":
        return {name: explain(e, variant.trace) for name, e in variant.expected.items()}
    return {name: variant.explanation for name in variant.expected}


def explain(expected: Expected, trace: dict | None) -> str:
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
        return f"{value}: the payload bytes of #{seg['n']} (one write, or one MSS-sized piece of it)"
    if expected.what == "flags" and seg:
        return explain_flags(str(value), seg)
    if expected.what == "win" and seg:
        return f"{value}: the receive window the {seg['src']} advertises"
    if expected.what == "state":
        return _explain_state(expected, trace)
    if expected.what == "states":
        return " → ".join(value) + ": each move is an edge of RFC 9293's state diagram"
    if expected.what in ("sent_at", "arrived_at") and seg:
        note = f" ({seg['note']})" if seg.get("note") else ""
        verb = "leaves" if expected.what == "sent_at" else "arrives"
        return f"{value} s: #{seg['n']} {verb} then{note}; latency is {trace['params']['net']['latency']} s each way"
    if expected.what == "timeout":
        return _explain_timeout(value, trace)
    if expected.what == "count":
        return f"{value}: that many segments in the trace match"
    return str(value)


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


def _explain_state(expected: Expected, trace: dict) -> str:
    seg = expected.segment
    value = expected.value
    meaning = STATE_MEANING.get(str(value), "")
    if seg is None:
        return f"{value} when the scenario ends: {meaning}"
    events = [e for e in trace["events"] if e.get("state_after") == value and e.get("rfc")
              and (e["cause"] == f"recv #{seg['n']}" or seg["n"] in e.get("sent", []))]
    if events:
        return f"{value}: {meaning} ({events[-1]['rfc']})"
    return f"{value}: {meaning}; segment #{seg['n']} does not change the state"


def _explain_timeout(value: float, trace: dict) -> str:
    net = trace["params"]["net"]
    if value == net.get("time_wait"):
        if net.get("profile") == "linux":
            return f"{value} s: Linux holds TIME-WAIT for a fixed 60 s (TCP_TIMEWAIT_LEN)"
        return f"{value} s = 2 × MSL = 2 × {net['msl']} s (RFC 9293 3.10.8)"
    return f"{value} s: the timer's value then (RFC 6298: the initial RTO is 1 s and it doubles after each timeout)"
