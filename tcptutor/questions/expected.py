"""Expected answers read off a simulated trace: the single source of truth for grading."""

from __future__ import annotations

from dataclasses import dataclass

from ..segment_flags import canonical_flags
from ..tcp import analysis
from ..tcp.addresses import address_plan
from ..tcp.trace import SegmentRecord, Trace, TraceEvent
from .model import OPTION_WHATS, PORT_WHATS, TCB_SIZE_WHATS, TCB_WHATS, Ask, Question
from .selectors import parse_selector, select, select_all


class Unanswerable(ValueError):
    """The trace cannot answer an asked field (no such segment, no such timer, ...)."""


@dataclass(frozen=True)
class Expected:
    field: str
    what: str
    value: object  # int | str | float | list[str] | bool
    label: str
    segment: SegmentRecord | None = None  # the segment the answer is about, if any
    matches: tuple[SegmentRecord, ...] = ()  # count answers: the segments counted
    event: TraceEvent | None = None  # timeout answers: the expiry event asked about; TCB answers: the event
    unit: str = ""  # TCB sizes: "bytes" or "segments"
    mss: int | None = None  # TCB sizes: the effective MSS a segment count is made of
    tolerance: float = 0.0  # numeric: the absolute tolerance for this variant's value


NONE = "none"  # the answer about an option the segment does not carry
# The trace's option members (docs/scenarios.md, segment `options`) and the names Wireshark
# gives them, in the order Linux's tcp_options_write puts them on a SYN (RFC 9293 3.1 kind 2;
# RFC 2018 kind 4; RFC 7323 kinds 8 and 3).
OPTION_NAMES = (("mss", "MSS"), ("sack_perm", "SACK_PERM"), ("ts", "TS"), ("wscale", "WS"))


def options_of(seg: SegmentRecord) -> dict[str, object]:
    """The TCP options a segment carries, by the trace's member names. This simulator puts only
    the MSS option on the wire (on SYNs: RFC 9293 3.7.1); it has no window scaling, SACK or
    timestamps, so a question about those reads "none" until the trace carries them."""
    return {} if seg.mss is None else {"mss": seg.mss}


def option_kinds(seg: SegmentRecord) -> str:
    """"MSS,SACK_PERM,TS,WS": the kinds present, in that order; "none" for a segment without options."""
    present = options_of(seg)
    return ",".join(name for key, name in OPTION_NAMES if key in present) or NONE


def expected_from_trace(question: Question, trace: Trace) -> dict[str, Expected]:
    return {ask.field: _answer(ask, trace) for ask in question.asks}


def _answer(ask: Ask, trace: Trace) -> Expected:
    what = ask.what
    if what == "count":
        matches = tuple(select_all(parse_selector(ask.segment), trace))
        return Expected(ask.field, what, len(matches), ask.shown_label, matches=matches)
    if ask.segment is not None and what in ("seq", "ack", "len", "win", "flags", "sent_at", "arrived_at"):
        seg = _segment(ask.segment, trace)
        if what == "flags":
            value = canonical_flags(seg.flags)
        elif what in ("sent_at", "arrived_at"):
            value = seg.field(what)
            if value is None:
                raise Unanswerable(f"segment {ask.segment!r} (#{seg.n}) was lost: it never arrived")
        else:
            value = seg.field(what)
        return Expected(ask.field, what, value, ask.shown_label, seg)
    if what in PORT_WHATS or what in OPTION_WHATS:
        seg = _segment(ask.segment, trace)
        if what in PORT_WHATS:
            value = address_plan(trace)(seg.src if what == "sport" else seg.dst)[1]
        elif what == "options":
            value = option_kinds(seg)
        else:
            value = options_of(seg).get(what, NONE)
        return Expected(ask.field, what, value, ask.shown_label, seg)
    if what == "state":
        return Expected(ask.field, what, state_at(trace, ask.endpoint, ask.at), ask.shown_label,
                        None if ask.at == "end" else _segment(ask.at, trace))
    if what == "states":
        return Expected(ask.field, what, states_of(trace, ask.endpoint), ask.shown_label)
    if what == "timeout":
        fired = analysis.timer_expiries(trace, ask.endpoint, ask.timer)
        index = ask.nth - 1 if ask.nth > 0 else ask.nth
        if not -len(fired) <= index < len(fired):
            raise Unanswerable(f"the {ask.endpoint}'s {ask.timer} timer expired {len(fired)} time(s); no expiry number {ask.nth}")
        return Expected(ask.field, what, fired[index].timer["timeout"], ask.shown_label, event=fired[index])
    if what in TCB_WHATS:
        return _tcb_answer(ask, trace)
    raise Unanswerable(f"cannot answer what = {what!r}")


def effective_mss(trace: Trace, endpoint: str) -> int:
    """The MSS the endpoint sends with: the smaller of its own and its peer's (RFC 9293 3.7.1)."""
    peer = "server" if endpoint == "client" else "client"
    return min(trace.params[endpoint]["mss"], trace.params[peer]["mss"])


def tcb_event(ask: Ask, trace: Trace) -> tuple[str, TraceEvent]:
    """The endpoint and the event whose TCB a TCB question asks about (see content/README.md)."""
    if ask.segment is not None:
        seg = _segment(ask.segment, trace)
        event = analysis.sent_by(trace, seg.n)
        if event is None:
            raise Unanswerable(f"no event of the {seg.src}'s sent {ask.segment!r} (#{seg.n})")
        return seg.src, event
    endpoint = ask.endpoint
    if ask.round is not None:
        rounds = analysis.transmission_rounds(trace, endpoint)
        if ask.round > len(rounds):
            raise Unanswerable(f"the {endpoint} sent data in {len(rounds)} transmission round(s); no round {ask.round}")
        return endpoint, rounds[ask.round - 1][2]
    seg = _segment(ask.at, trace)
    if endpoint not in (seg.src, seg.dst):
        raise Unanswerable(f"segment {ask.at!r} (#{seg.n}) is between {seg.src} and {seg.dst}, not the {endpoint}")
    if seg.dst == endpoint and not seg.delivered:
        raise Unanswerable(f"segment {ask.at!r} (#{seg.n}) was lost: it never reached the {endpoint}")
    events = [e for e in analysis.handling_events(trace, endpoint, seg.n) if e.tcb is not None]
    if not events:
        raise Unanswerable(f"the {endpoint} had no TCB after handling {ask.at!r} (#{seg.n})")
    return endpoint, events[-1]


def _tcb_answer(ask: Ask, trace: Trace) -> Expected:
    """cwnd, ssthresh (RFC 5681), rwnd (SND.WND: the peer's window as the endpoint last took
    it, RFC 9293 3.10.7.4), flight (RFC 5681 2: FlightSize), srtt, rttvar, rto (RFC 6298)."""
    endpoint, event = tcb_event(ask, trace)
    tcb = event.tcb
    what = ask.what
    if tcb is None:
        raise Unanswerable(f"the {endpoint} had no TCB then")
    if what == "flight":
        value = analysis.segments_in_flight(trace, event) if ask.size_unit == "segments" else \
            (tcb.snd_nxt - tcb.snd_una) % analysis.SEQ_SPACE
        return Expected(ask.field, what, value, ask.shown_label, event=event, unit=ask.size_unit,
                        mss=effective_mss(trace, endpoint))
    raw = tcb.get("snd_wnd" if what == "rwnd" else what)
    if raw is None:
        why = {"cwnd": 'its congestion control is "none"', "ssthresh": "ssthresh was still arbitrarily high "
               "(RFC 5681 3.1) or its congestion control is \"none\"", "srtt": "no RTT sample yet",
               "rttvar": "no RTT sample yet", "rwnd": "the peer's window was not known yet"}.get(what, "")
        raise Unanswerable(f"the {endpoint}'s TCB had no {what} then: {why}")
    if what in TCB_SIZE_WHATS:
        mss = effective_mss(trace, endpoint)
        # whole segments stay whole numbers (1, not 1.0): exports write the value as shown
        value = raw if ask.size_unit == "bytes" else raw // mss if raw % mss == 0 else round(raw / mss, 2)
        return Expected(ask.field, what, value, ask.shown_label, event=event, unit=ask.size_unit, mss=mss)
    return Expected(ask.field, what, round(raw / 1_000_000, 6), ask.shown_label, event=event, unit="s")


def _segment(text: str, trace: Trace) -> SegmentRecord:
    seg = select(parse_selector(text), trace)
    if seg is None:
        raise Unanswerable(f"no segment matches {text!r} in the simulated trace")
    return seg


def state_at(trace: Trace, endpoint: str, at: str) -> str:
    """The endpoint's state just after segment `at` was handled ("end": the final state).

    For the segment's receiver: after its arrival was processed. For its sender: just
    after the event that sent it.
    """
    if at == "end":
        return trace.final[endpoint]
    seg = _segment(at, trace)
    if seg.dst == endpoint and not seg.delivered:
        raise Unanswerable(f"segment {at!r} (#{seg.n}) was lost: it never reached the {endpoint}")
    if endpoint not in (seg.src, seg.dst):
        raise Unanswerable(f"segment {at!r} (#{seg.n}) is between {seg.src} and {seg.dst}, not the {endpoint}")
    state = analysis.state_after(trace, endpoint, seg.n)
    if state is None:
        raise Unanswerable(f"the {endpoint} never handled segment {at!r} (#{seg.n})")
    return state


def states_of(trace: Trace, endpoint: str) -> list[str]:
    """The distinct states the endpoint passed through, in order, starting where it started."""
    return analysis.states_of(trace, endpoint)
