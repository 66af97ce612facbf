"""Expected answers read off a simulated trace: the single source of truth for grading."""

from __future__ import annotations

from dataclasses import dataclass

from ..segment_flags import canonical_flags
from ..tcp import analysis
from ..tcp.trace import SegmentRecord, Trace, TraceEvent
from .model import Ask, Question
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
    event: TraceEvent | None = None  # timeout answers: the expiry event asked about


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
    raise Unanswerable(f"cannot answer what = {what!r}")


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
