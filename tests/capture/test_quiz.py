"""Trace questions from a capture, graded by the same grader as every other question."""

from __future__ import annotations

from tcptutor.capture.explain import explain_packets
from tcptutor.capture.pcapfile import parse_capture
from tcptutor.capture.quiz import capture_id, quiz_variant
from tcptutor.grading.grader import CORRECT, WRONG, grade
from captures import scenario_capture

DATA = scenario_capture("active-close")
REP = explain_packets(parse_capture(DATA).packets).reports[0]
CID = capture_id(DATA)


def test_same_capture_and_seed_same_blanks():
    a, b = quiz_variant(REP, CID, 3, 4), quiz_variant(REP, CID, 3, 4)
    assert a.answer_key == b.answer_key and len(a.expected) == 4
    assert any(quiz_variant(REP, CID, s, 4).answer_key != a.answer_key for s in range(1, 6))


def test_the_key_is_the_capture_relative_or_absolute():
    for relative in (True, False):
        v = quiz_variant(REP, CID, 1, 6, relative=relative)
        for name, e in v.expected.items():
            g = REP.conn.segments[e.segment.n - 1]
            want = {"seq": g.rel_seq if relative else g.pkt.seq, "ack": g.rel_ack if relative else g.pkt.ack,
                    "len": g.pkt.length}[e.what]
            assert e.value == want, name


def test_graded_with_misconceptions_and_worked_solutions():
    v = quiz_variant(REP, CID, 0, 6)
    right = grade(v, {k: str(x) for k, x in v.answer_key.items()})
    assert right.score == 1.0 and all(f.verdict == CORRECT and f.solution for f in right.fields)
    field, e = next((k, e) for k, e in v.expected.items() if e.what in ("seq", "ack"))
    wrong = grade(v, {**{k: str(x) for k, x in v.answer_key.items()}, field: str(e.value + 7)})
    bad = next(f for f in wrong.fields if f.field == field)
    assert bad.verdict == WRONG and "Expected" in bad.feedback and wrong.score < 1.0
