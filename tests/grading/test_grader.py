"""Grading a variant (tcptutor.grading.grader.grade): verdicts, the misconception behind each
classic mistake, unreadable answers that never lower the score, error carried forward, worked
solutions and option feedback. Questions are built in code over the shipped named scenarios;
their expected answers come from the simulator, never from this file."""

from __future__ import annotations

import pytest

from tcptutor import library
from tcptutor.grading.grader import CARRIED_CREDIT, CORRECT, UNREADABLE, WRONG, grade
from tcptutor.grading.misconceptions import BY_ID, CATALOG
from tcptutor.questions.model import question_from_toml
from tcptutor.questions.variants import make_variant

MOD = 2**32
SCENARIOS = {p.stem: p.read_text(encoding="utf-8") for p in library.SCENARIOS.glob("*.toml")}
TOPICS = {"handshake", "teardown", "header-flags", "syn-attacks", "time-wait", "sequence-numbers", "resets",
          "simultaneous", "retransmission", "misconceptions"}
SEEDS = (0, 1, 7)


def question(scenario: str, *asks: dict, qid: str = "q", kind: str = "predict", **extra):
    data = {"id": qid, "kind": kind, "topics": ["handshake"], "difficulty": 1, "prompt": "Client ISN {client_isn}.",
            "explanation": "Because TCP.", **extra}
    if kind == "predict":
        data["scenario"] = scenario
        data["ask"] = list(asks)
    q, problems = question_from_toml(data, path="test.md", line_of=lambda key: 1, lesson="test", topics=TOPICS)
    assert not problems, problems
    return q


def variant(scenario: str, *asks: dict, seed: int = 0, **extra):
    return make_variant(question(scenario, *asks, **extra), seed, SCENARIOS)


def seg(what: str, segment: str, field: str = "f") -> dict:
    return {"field": field, "what": what, "segment": segment}


def state(endpoint: str, at: str, field: str = "f") -> dict:
    return {"field": field, "what": "state", "endpoint": endpoint, "at": at}


def timeout(endpoint: str, timer: str, nth: int = 1, field: str = "f") -> dict:
    return {"field": field, "what": "timeout", "endpoint": endpoint, "timer": timer, "nth": nth}


def one(v, answer: str, **kwargs):
    """Grade a one-field variant; return that field's verdict."""
    (name,) = v.expected
    g = grade(v, {name: answer}, **kwargs)
    (f,) = g.fields
    return f


def expected(v, name: str = "f"):
    return v.expected[name].value


# ----------------------------------------------------------------------- verdicts


@pytest.mark.parametrize("seed", SEEDS)
def test_the_right_answers_are_correct_and_score_1(seed):
    v = variant("handshake", seg("seq", "server SYN+ACK", "seq"), seg("ack", "server SYN+ACK", "ack"),
                seg("flags", "server SYN+ACK", "flags"), state("server", "server SYN+ACK", "st"), seed=seed)
    assert expected(v, "seq") == v.params["server_isn"]
    assert expected(v, "ack") == (v.params["client_isn"] + 1) % MOD
    g = grade(v, {"seq": str(expected(v, "seq")), "ack": hex(expected(v, "ack")), "flags": "S.", "st": "SYN_RCVD"})
    assert [f.verdict for f in g.fields] == [CORRECT] * 4
    assert [f.credit for f in g.fields] == [1.0] * 4
    assert all(f.misconception is None and f.feedback.startswith("Right") for f in g.fields)
    assert g.score == 1.0
    assert (g.question, g.seed) == ("q", seed)


def test_a_wrong_answer_is_wrong_with_the_expected_value_in_the_feedback():
    v = variant("handshake", seg("ack", "server SYN+ACK"))
    f = one(v, str((expected(v) + 777) % MOD))
    assert (f.verdict, f.credit, f.misconception, f.carried_from) == (WRONG, 0.0, None, None)
    assert f"Expected {expected(v)}" in f.feedback
    assert f.given == str((expected(v) + 777) % MOD) and f.parsed == (expected(v) + 777) % MOD


def test_a_missing_answer_is_wrong_not_unreadable():
    v = variant("handshake", seg("seq", "server SYN+ACK", "seq"), seg("ack", "server SYN+ACK", "ack"))
    g = grade(v, {"seq": str(expected(v, "seq"))})
    assert [f.verdict for f in g.fields] == [CORRECT, WRONG]
    assert g.fields[1].feedback.startswith("No answer. Expected")
    assert g.score == 0.5


def test_unreadable_is_not_wrong_and_never_lowers_the_readable_score():
    """An unreadable answer earns no credit, but it is never a mistake: it names no
    misconception, says what was expected, and the readable score (what mastery is measured
    on) is computed over the readable fields only."""
    v = variant("handshake", seg("seq", "server SYN+ACK", "seq"), seg("ack", "server SYN+ACK", "ack"),
                state("server", "server SYN+ACK", "st"))
    g = grade(v, {"seq": str(expected(v, "seq")), "ack": "banana", "st": "SYN_RCVD"})
    assert [f.verdict for f in g.fields] == [CORRECT, UNREADABLE, CORRECT]
    assert g.readable_score == 1.0  # over the two fields that could be read
    assert g.score == pytest.approx(2 / 3, abs=1e-4)  # no credit for the unreadable one
    assert [f.field for f in g.unreadable] == ["ack"]
    bad = g.fields[1]
    assert (bad.misconception, bad.given, bad.credit, bad.carried_from) == (None, "banana", 0.0, None)
    assert "Could not read 'banana'" in bad.feedback
    assert "a whole number such as 1001" in bad.feedback  # what was expected
    assert "not counted as a mistake" in bad.feedback
    data = g.to_json()
    assert (data["score"], data["readable_score"], data["unreadable"]) == (g.score, 1.0, 1)

    wrong = grade(v, {"seq": str(expected(v, "seq") + 1), "ack": "banana", "st": "ESTABLISHED"})
    assert wrong.readable_score == 0.0  # two readable, both wrong; the unreadable one changes nothing
    assert [f.verdict for f in wrong.fields] == [WRONG, UNREADABLE, WRONG]

    # an unreadable answer scores like a missing one, but unlike it, it is not a wrong answer
    missing = grade(v, {"seq": str(expected(v, "seq")), "st": "SYN_RCVD"})
    assert missing.score == g.score and missing.readable_score == pytest.approx(2 / 3, abs=1e-4)
    assert missing.fields[1].verdict == WRONG

    g = grade(v, {"seq": "?", "ack": "banana", "st": "the good one"})
    assert [f.verdict for f in g.fields] == [UNREADABLE] * 3
    assert g.readable_score is None and g.score == 0.0
    assert "TCP state such as" in g.fields[2].feedback


def test_to_json_shape():
    v = variant("handshake", seg("ack", "server SYN+ACK", "ack"))
    data = grade(v, {"ack": str(expected(v, "ack") - 1)}).to_json()
    assert set(data) == {"question", "seed", "score", "readable_score", "unreadable", "fields"}
    assert (data["score"], data["readable_score"], data["unreadable"]) == (0.0, 0.0, 0)
    (f,) = data["fields"]
    assert set(f) == {"field", "label", "verdict", "given", "expected", "misconception", "feedback", "solution",
                      "credit", "carried_from"}
    assert f["misconception"] == "syn-not-counted"


# ----------------------------------------------------------------------- misconceptions


def _wrap_variant():
    """A wraparound question whose client sequence numbers really wrap for this seed."""
    q = question("wraparound", seg("seq", "client DATA 2"), vary={"client_isn": "isn-wrap"})
    for s in range(200):
        v = make_variant(q, s, SCENARIOS)
        if v.params["client_isn"] + 1 + 200 >= MOD:
            return v
    raise AssertionError("no seed wraps")


def _unwrapped(v):
    return v.params["client_isn"] + 1 + 200  # the sum a student forgets to take modulo 2^32


# Each case: (misconception id, how to build the variant, the classic wrong answer for it).
CASES = [
    ("no-wraparound", _wrap_variant, lambda v: str(_unwrapped(v))),
    ("relative-numbers", lambda: variant("handshake", seg("ack", "server SYN+ACK")), lambda v: "1"),
    ("relative-numbers", lambda: variant("data-transfer", seg("seq", "client DATA 2")), lambda v: "101"),
    ("seq-ack-swapped", lambda: variant("handshake", seg("seq", "server SYN+ACK")),
     lambda v: str(v.expected["f"].segment.field("ack"))),
    ("seq-ack-swapped", lambda: variant("data-transfer", seg("ack", "client DATA 1")),
     lambda v: str(v.expected["f"].segment.field("seq"))),
    ("ack-without-ack-flag", lambda: variant("handshake", seg("ack", "client SYN")),
     lambda v: str(v.params["server_isn"])),
    ("syn-not-counted", lambda: variant("handshake", seg("ack", "server SYN+ACK")), lambda v: str(v.params["client_isn"])),
    ("syn-not-counted", lambda: variant("handshake", seg("seq", "client ACK")), lambda v: str(v.params["client_isn"])),
    ("syn-not-counted", lambda: variant("handshake", seg("ack", "client ACK")), lambda v: str(v.params["server_isn"])),
    ("fin-not-counted", lambda: variant("active-close", seg("ack", "server ACK")),
     lambda v: str((expected(v) - 1) % MOD)),
    ("fin-not-counted", lambda: variant("passive-close", seg("ack", "client ACK 2")),
     lambda v: str((expected(v) - 1) % MOD)),
    ("ack-is-seq-plus-one", lambda: variant("data-transfer", seg("ack", "server ACK")),
     lambda v: str((v.params["client_isn"] + 2) % MOD)),
    ("ack-names-last-byte", lambda: variant("data-transfer", seg("ack", "server ACK")),
     lambda v: str((expected(v) - 1) % MOD)),
    ("ack-equals-received-seq", lambda: variant("data-transfer", seg("ack", "server ACK")),
     lambda v: str((v.params["client_isn"] + 1) % MOD)),
    ("data-not-counted", lambda: variant("data-transfer", seg("seq", "client DATA 2")),
     lambda v: str((v.params["client_isn"] + 1) % MOD)),
    ("pure-ack-consumes", lambda: variant("data-transfer", seg("seq", "client DATA 1")),
     lambda v: str((v.params["client_isn"] + 2) % MOD)),
    ("synack-one-flag", lambda: variant("handshake", seg("flags", "server SYN+ACK")), lambda v: "SYN"),
    ("synack-one-flag", lambda: variant("handshake", seg("flags", "server SYN+ACK")), lambda v: "ACK"),
    ("ack-flag-forgotten", lambda: variant("active-close", seg("flags", "client FIN")), lambda v: "FIN"),
    ("ack-flag-forgotten", lambda: variant("passive-close", seg("flags", "server FIN")), lambda v: "F"),
    ("established-after-synack", lambda: variant("handshake", state("server", "server SYN+ACK")), lambda v: "ESTABLISHED"),
    ("time-wait-on-passive-closer", lambda: variant("passive-close", state("client", "end")), lambda v: "TIME_WAIT"),
    ("time-wait-on-passive-closer", lambda: variant("active-close", state("server", "#7")), lambda v: "time wait"),
    ("close-wait-fin-wait-2-swapped", lambda: variant("active-close", state("client", "server ACK")), lambda v: "CLOSE_WAIT"),
    ("close-wait-fin-wait-2-swapped", lambda: variant("active-close", state("server", "client FIN")), lambda v: "FIN-WAIT-2"),
    ("fin-wait-1-vs-2", lambda: variant("active-close", state("client", "client FIN")), lambda v: "FIN_WAIT_2"),
    ("fin-wait-1-vs-2", lambda: variant("passive-close", state("server", "client ACK 2")), lambda v: "终止等待1"),
    ("states-are-segments", lambda: variant("handshake", {"field": "f", "what": "states", "endpoint": "client"}),
     lambda v: "CLOSED -> SYN-SENT -> SYN-RECEIVED -> ESTABLISHED"),
    ("retransmit-everything", lambda: variant("lost-data", seg("count", "client DATA retransmission")), lambda v: "3"),
    ("retransmit-everything", lambda: variant("fast-retransmit", seg("count", "client DATA retransmission")), lambda v: "5"),
    ("time-wait-is-one-msl", lambda: variant("active-close", timeout("client", "time-wait")), lambda v: "2 min"),
    ("time-wait-is-one-msl", lambda: variant("linux-time-wait", timeout("client", "time-wait")), lambda v: "30s"),
    ("time-wait-profile-mixup", lambda: variant("linux-time-wait", timeout("client", "time-wait")), lambda v: "4 min"),
    ("time-wait-profile-mixup", lambda: variant("active-close", timeout("client", "time-wait")), lambda v: "60"),
    ("rto-no-backoff", lambda: variant("syn-timeout", timeout("client", "syn", nth=3)), lambda v: "1"),
    ("syn-seq-is-isn-plus-one", lambda: variant("handshake", seg("seq", "server SYN+ACK")),
     lambda v: str((v.params["server_isn"] + 1) % MOD)),
    ("syn-seq-is-isn-plus-one", lambda: variant("handshake", seg("seq", "client SYN")),
     lambda v: str((v.params["client_isn"] + 1) % MOD)),
    ("rst-ack-for-rfc-abort", lambda: variant("abort", seg("flags", "client RST")), lambda v: "RST+ACK"),
    ("rst-ack-for-rfc-abort", lambda: variant("abort", seg("flags", "client RST")), lambda v: "R."),
    ("other-endpoints-states", lambda: variant("handshake", {"field": "f", "what": "states", "endpoint": "client"}),
     lambda v: "CLOSED -> LISTEN -> SYN-RECEIVED -> ESTABLISHED"),
    ("fin-wait-2-skipped", lambda: variant("active-close", {"field": "f", "what": "states", "endpoint": "client"}),
     lambda v: "CLOSED -> SYN-SENT -> ESTABLISHED -> FIN-WAIT-1 -> TIME-WAIT -> CLOSED"),
    ("time-wait-in-passive-closers-states",
     lambda: variant("active-close", {"field": "f", "what": "states", "endpoint": "server"}),
     lambda v: "CLOSED -> LISTEN -> SYN-RECEIVED -> ESTABLISHED -> FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT -> CLOSED"),
    ("mss-on-every-segment", lambda: variant("data-transfer", seg("mss", "client DATA 1")), lambda v: "1460"),
    ("mss-on-every-segment", lambda: variant("handshake", seg("options", "client ACK")), lambda v: "MSS"),
    ("window-scale-without-option", lambda: variant("handshake", seg("wscale", "client SYN")), lambda v: "7"),
    ("window-scale-without-option", lambda: variant("handshake", seg("options", "server SYN+ACK")),
     lambda v: "MSS,SACK_PERM,TS,WS"),
]


def test_every_misconception_in_the_catalog_is_planted_below():
    assert {mid for mid, _, _ in CASES} == set(BY_ID) == {m.id for m in CATALOG}


@pytest.mark.parametrize("mid, make, answer", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_the_classic_mistake_names_its_misconception(mid, make, answer):
    v = make()
    given = answer(v)
    f = one(v, given)
    assert f.verdict == WRONG, (given, f.expected)
    assert f.misconception == mid, (given, f.expected, f.feedback)
    if v.expected["f"].what == "states":
        assert 0.0 < f.credit < 1.0  # a list of states earns partial credit for the states in order
    else:
        assert f.credit == 0.0
    assert BY_ID[mid].explanation in f.feedback  # the rule that was broken, in words
    assert "Expected " in f.feedback


# A plain wrong answer on the same questions names no misconception.
CONTROLS = [
    (lambda: variant("handshake", seg("ack", "server SYN+ACK")), lambda v: str((expected(v) + 777) % MOD)),
    (lambda: variant("handshake", seg("seq", "server SYN+ACK")), lambda v: str((expected(v) + 3) % MOD)),
    (lambda: variant("handshake", seg("ack", "client SYN")), lambda v: "0"),  # right, as a control of the control
    (lambda: variant("data-transfer", seg("ack", "server ACK")), lambda v: str((expected(v) + 5) % MOD)),
    (lambda: variant("data-transfer", seg("seq", "client DATA 2")), lambda v: str((expected(v) + 1000) % MOD)),
    (lambda: variant("active-close", seg("ack", "server ACK")), lambda v: str((expected(v) + 2) % MOD)),
    (lambda: variant("handshake", seg("flags", "server SYN+ACK")), lambda v: "FIN"),
    (lambda: variant("active-close", seg("flags", "client FIN")), lambda v: "SYN+ACK"),
    (lambda: variant("handshake", state("server", "server SYN+ACK")), lambda v: "LAST-ACK"),
    (lambda: variant("passive-close", state("client", "end")), lambda v: "LISTEN"),
    (lambda: variant("active-close", state("client", "server ACK")), lambda v: "CLOSING"),
    (lambda: variant("handshake", {"field": "f", "what": "states", "endpoint": "client"}),
     lambda v: "CLOSED -> ESTABLISHED"),
    (lambda: variant("lost-data", seg("count", "client DATA retransmission")), lambda v: "2"),
    (lambda: variant("active-close", timeout("client", "time-wait")), lambda v: "100"),
    (lambda: variant("linux-time-wait", timeout("client", "time-wait")), lambda v: "45"),
    (lambda: variant("syn-timeout", timeout("client", "syn", nth=3)), lambda v: "3"),
    (lambda: _wrap_variant(), lambda v: str(expected(v) + 1)),
    # the new detectors' controls: the same questions, a mistake that is not theirs
    (lambda: variant("handshake", seg("seq", "client SYN")), lambda v: str((v.params["client_isn"] + 2) % MOD)),
    (lambda: variant("abort", seg("flags", "client RST")), lambda v: "FIN"),
    (lambda: _linux_abort(), lambda v: "RST"),  # under the linux profile RST+ACK is right, RST is no RFC slip
    (lambda: variant("active-close", {"field": "f", "what": "states", "endpoint": "client"}),
     lambda v: "CLOSED -> SYN-SENT -> ESTABLISHED -> FIN-WAIT-1 -> FIN-WAIT-2 -> CLOSED"),
    (lambda: variant("active-close", {"field": "f", "what": "states", "endpoint": "server"}),
     lambda v: "CLOSED -> LISTEN -> SYN-RECEIVED -> ESTABLISHED -> LAST-ACK -> CLOSED"),
    (lambda: variant("active-close", {"field": "f", "what": "states", "endpoint": "client"}),
     lambda v: "CLOSED -> SYN-SENT -> ESTABLISHED -> FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT"),  # a suffix short
]


def _linux_abort():
    scenarios = dict(SCENARIOS, abort=SCENARIOS["abort"] + '\n[net]\nprofile = "linux"\n')
    v = make_variant(question("abort", seg("flags", "client RST")), 0, scenarios)
    assert expected(v) == "RST+ACK"  # Linux: tcp_send_active_reset sets ACK
    return v


@pytest.mark.parametrize("make, answer", CONTROLS)
def test_a_plain_wrong_answer_names_no_misconception(make, answer):
    v = make()
    f = one(v, answer(v))
    assert f.misconception is None, f.feedback
    if f.verdict == WRONG:
        assert f.feedback.startswith("Expected ")
    else:
        assert f.verdict == CORRECT


def test_a_number_past_2_32_whose_remainder_is_right_is_no_wraparound():
    v = variant("handshake", seg("ack", "server SYN+ACK"))
    for given in (expected(v) + MOD, expected(v) + 3 * MOD):
        f = one(v, str(given))
        assert (f.verdict, f.misconception, f.credit) == (WRONG, "no-wraparound", 0.0)
    v = _wrap_variant()
    assert _unwrapped(v) == expected(v) + MOD and expected(v) < v.params["client_isn"]
    f = one(v, hex(_unwrapped(v)))
    assert f.misconception == "no-wraparound"
    assert "modulo 2^32" in f.feedback  # the worked solution says so too


def test_misconceptions_are_only_diagnosed_for_predict_questions():
    v = make_variant(question("", qid="tw", kind="numeric", answer=240, unit="s"), 0, SCENARIOS)
    f = one(v, "120")
    assert (f.verdict, f.misconception) == (WRONG, None)


# ----------------------------------------------------------------------- error carried forward


def _two_data_segments(seed=0):
    return variant("data-transfer", seg("seq", "client DATA 1", "first"), seg("seq", "client DATA 2", "second"), seed=seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_an_error_carried_forward_earns_partial_credit(seed):
    v = _two_data_segments(seed)
    first, second = expected(v, "first"), expected(v, "second")
    assert (second - first) % MOD == 100
    g = grade(v, {"first": str((first - 1) % MOD), "second": str((second - 1) % MOD)})
    f1, f2 = g.fields
    assert (f1.verdict, f1.credit, f1.carried_from) == (WRONG, 0.0, None)
    assert f1.misconception == "syn-not-counted"
    assert (f2.verdict, f2.credit, f2.carried_from) == (WRONG, CARRIED_CREDIT, "first")
    assert CARRIED_CREDIT == 0.5
    assert "follows correctly from your answer to first" in f2.feedback
    assert g.score == 0.25

    g = grade(v, {"first": str((first - 1) % MOD), "second": str((second - 1) % MOD)}, carry_forward=False)
    f1, f2 = g.fields
    assert (f2.verdict, f2.credit, f2.carried_from) == (WRONG, 0.0, None)
    assert "follows correctly" not in f2.feedback
    assert g.score == 0.0


def test_no_carry_when_the_second_answer_does_not_follow_from_the_first():
    v = _two_data_segments()
    first, second = expected(v, "first"), expected(v, "second")
    g = grade(v, {"first": str((first - 1) % MOD), "second": str((second + 7) % MOD)})
    assert [(f.credit, f.carried_from) for f in g.fields] == [(0.0, None), (0.0, None)]
    g = grade(v, {"first": str(first), "second": str((second - 1) % MOD)})  # the first was right: nothing to carry
    assert [(f.verdict, f.credit, f.carried_from) for f in g.fields] == [(CORRECT, 1.0, None), (WRONG, 0.0, None)]


# ----------------------------------------------------------------------- worked solutions


def test_the_solution_for_the_synack_ack_says_the_syn_takes_one():
    v = variant("handshake", seg("ack", "server SYN+ACK"))
    isn = v.params["client_isn"]
    f = one(v, str(expected(v)))
    assert f.solution.startswith(f"{(isn + 1) % MOD} = {isn} + 1")
    assert "SYN" in f.solution and "one sequence number" in f.solution
    assert f.solution in f.feedback
    wrong = one(v, str(isn))
    assert wrong.solution == f.solution and f.solution in wrong.feedback


def test_the_solution_after_a_100_byte_segment_counts_the_data_bytes():
    v = variant("data-transfer", seg("ack", "server ACK"))
    start = (v.params["client_isn"] + 1) % MOD
    f = one(v, "1")
    assert f.solution.startswith(f"{(start + 100) % MOD} = {start} + 100")
    assert "+ 100" in f.solution and "data bytes" in f.solution
    v = variant("data-transfer", seg("seq", "client DATA 2"))
    assert "+ 100" in one(v, "1").solution and "data bytes" in one(v, "1").solution


def test_the_solution_after_a_fin_counts_the_fin():
    v = variant("active-close", seg("ack", "server ACK"))
    f = one(v, "1")
    assert "+ 1" in f.solution and "FIN takes one sequence number" in f.solution


def test_the_solution_for_time_wait_is_2msl_or_linux_60s():
    f = one(variant("active-close", timeout("client", "time-wait")), "1")
    assert "2 × MSL" in f.solution and "240" in f.solution
    f = one(variant("linux-time-wait", timeout("client", "time-wait")), "1")
    assert "Linux" in f.solution and "60 s" in f.solution


def test_the_solution_for_a_state_names_its_meaning():
    f = one(variant("handshake", state("server", "server SYN+ACK")), "ESTABLISHED")
    assert f.solution.startswith("SYN-RECEIVED") and "waits for the ACK" in f.solution


def test_the_solution_for_synack_flags():
    f = one(variant("handshake", seg("flags", "server SYN+ACK")), "SYN")
    assert "acknowledges" in f.solution and "SYN" in f.solution


def test_the_solution_for_fin_flags_gives_the_rule():
    f = one(variant("active-close", seg("flags", "client FIN")), "FIN")
    assert "no more data" in f.solution and "the flags the sender set" not in f.solution


# ----------------------------------------------------------------------- other kinds


def _single():
    return question(
        "", qid="which", kind="single",
        options=[{"text": "The server's SYN+ACK", "correct": True, "feedback": "Yes: it acknowledges the SYN and carries its own."},
                 {"text": "The client's final ACK", "correct": False, "feedback": "That ACK carries no SYN."},
                 {"text": "The client's SYN", "correct": False, "feedback": "Nothing to acknowledge yet."}],
    )


def test_choice_questions_give_option_feedback():
    v = make_variant(_single(), 0, SCENARIOS)
    assert v.answer_key == {"answer": "A"}
    right = one(v, "a")
    assert right.verdict == CORRECT
    assert "A (you chose): Yes: it acknowledges" in right.feedback
    wrong = one(v, "B")
    assert (wrong.verdict, wrong.credit, wrong.misconception) == (WRONG, 0.0, None)
    assert "B (you chose): That ACK carries no SYN." in wrong.feedback
    assert "A (the right option): Yes: it acknowledges" in wrong.feedback
    assert "Nothing to acknowledge yet" not in wrong.feedback  # an option neither chosen nor right
    assert "Because TCP." in wrong.feedback  # the question's explanation
    two = one(v, "A, B")
    assert two.verdict == UNREADABLE and "exactly one option letter" in two.feedback


def test_multiple_choice_needs_every_right_letter():
    q = question("", qid="many", kind="multiple",
                 options=[{"text": "SYN", "correct": True, "feedback": "A SYN takes one."},
                          {"text": "pure ACK", "correct": False, "feedback": "Takes none."},
                          {"text": "FIN", "correct": True, "feedback": "A FIN takes one."}])
    v = make_variant(q, 0, SCENARIOS)
    assert one(v, "C, A").verdict == CORRECT
    f = one(v, "A")
    assert f.verdict == WRONG and "C (the right option): A FIN takes one." in f.feedback
    f = one(v, "ABC")
    assert f.verdict == WRONG and "B (you chose): Takes none." in f.feedback


def test_truefalse_numeric_and_ordering():
    v = make_variant(question("", qid="tf", kind="truefalse", answer=False), 0, SCENARIOS)
    assert one(v, "错").verdict == CORRECT and one(v, "对").verdict == WRONG and one(v, "?").verdict == UNREADABLE
    v = make_variant(question("", qid="num", kind="numeric", answer=240, tolerance=1, unit="s"), 0, SCENARIOS)
    assert one(v, "240").verdict == CORRECT and one(v, "4 min").verdict == CORRECT
    assert one(v, "241").verdict == CORRECT and one(v, "242").verdict == WRONG
    q = question("", qid="ord", kind="ordering", items=["CLOSED", "SYN-SENT", "ESTABLISHED"])
    v = make_variant(q, 0, SCENARIOS)
    shown = [q.items[i] for i in v.order]
    letters = " ".join(chr(65 + shown.index(item)) for item in q.items)
    assert one(v, letters).verdict == CORRECT
    assert one(v, "CLOSED, SYN-SENT, ESTABLISHED").verdict == CORRECT
    assert one(v, "A B C").verdict == WRONG  # shown shuffled, so A B C is never the right order


def test_times_are_graded_to_the_millisecond():
    v = variant("handshake", seg("arrived_at", "server SYN+ACK"))
    assert expected(v) == pytest.approx(0.02)
    assert one(v, "0.02").verdict == CORRECT
    assert one(v, "20ms").verdict == CORRECT
    assert one(v, "0.0204").verdict == CORRECT
    assert one(v, "0.021").verdict == WRONG


# ----------------------------------------------------------------------- unanswered fields


def test_fields_left_unanswered_by_an_interrupted_session_are_unanswered_not_correct():
    """Ctrl-C after one of three fields: the other two earn nothing and are not mistakes, and
    the score is one third, never the 1.0 of the one field that was answered."""
    from tcptutor.grading.grader import UNANSWERED

    v = variant("handshake", seg("seq", "server SYN+ACK", "seq"), seg("ack", "server SYN+ACK", "ack"),
                seg("flags", "server SYN+ACK", "flags"))
    g = grade(v, {"seq": str(expected(v, "seq"))}, interrupted=True)
    assert [f.verdict for f in g.fields] == [CORRECT, UNANSWERED, UNANSWERED]
    assert [f.credit for f in g.fields] == [1.0, 0.0, 0.0]
    assert [f.misconception for f in g.fields] == [None, None, None]
    assert g.score == pytest.approx(1 / 3, abs=1e-4)
    assert g.readable_score == pytest.approx(1 / 3, abs=1e-4)
    assert g.fields[1].feedback.startswith("Not answered")
    assert g.to_json()["fields"][2]["verdict"] == "unanswered"


# ----------------------------------------------------------------------- the value written once


@pytest.mark.parametrize("make, answer", [
    (lambda: variant("handshake", seg("ack", "server SYN+ACK")), lambda v: str((expected(v) + 777) % MOD)),
    (lambda: variant("lost-data", seg("seq", "client DATA retransmission")), lambda v: "5"),
    (lambda: variant("handshake", seg("flags", "server SYN+ACK")), lambda v: "RST"),
    (lambda: variant("active-close", timeout("client", "time-wait")), lambda v: "7"),
    (lambda: variant("handshake", {"field": "f", "what": "states", "endpoint": "client"}), lambda v: "LISTEN"),
    (lambda: variant("handshake", state("server", "server SYN+ACK")), lambda v: "CLOSED"),
])
def test_the_expected_value_is_written_once_in_the_feedback(make, answer):
    from tcptutor.grading.explain import show

    v = make()
    f = one(v, answer(v))
    shown = show(expected(v))
    assert f.verdict == WRONG
    assert f"Expected {shown}" in f.feedback
    assert f"{shown}: {shown}" not in f.feedback and f.feedback.count(f"Expected {shown}") == 1
    missing = grade(v, {})
    assert f"{shown}: {shown}" not in missing.fields[0].feedback


# ----------------------------------------------------------------------- state lists


ACTIVE = ["CLOSED", "SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "CLOSED"]


def _active_states():
    v = variant("active-close", {"field": "f", "what": "states", "endpoint": "client"})
    assert expected(v) == ACTIVE  # read off the simulator
    return v


def test_a_right_suffix_of_the_states_earns_partial_credit_and_says_what_is_missing():
    v = _active_states()
    f = one(v, " -> ".join(ACTIVE[1:]))
    assert f.verdict == WRONG
    assert f.credit == pytest.approx(6 / 7, abs=1e-4)
    assert "6 of the 7 states in the right order" in f.feedback and "missing: CLOSED" in f.feedback
    assert f.feedback.count(" → ".join(ACTIVE)) == 1  # the expected list, once


def test_a_state_list_diff_names_wrong_and_extra_states():
    from tcptutor.grading.grader import states_credit, states_diff

    swapped = ACTIVE[:4] + ["CLOSE-WAIT"] + ACTIVE[5:]
    assert states_credit(swapped, ACTIVE) == pytest.approx(6 / 7, abs=1e-4)
    assert "wrong: CLOSE-WAIT instead of FIN-WAIT-2" in states_diff(swapped, ACTIVE)
    extra = ACTIVE[:3] + ["CLOSE-WAIT"] + ACTIVE[3:]
    assert states_credit(extra, ACTIVE) == pytest.approx(7 / 8, abs=1e-4)
    assert "not passed through here: CLOSE-WAIT" in states_diff(extra, ACTIVE)
    assert states_credit(["LISTEN"], ACTIVE) == 0.0
    assert states_credit(ACTIVE, ACTIVE) == 1.0
    g = grade(_active_states(), {"f": " -> ".join(swapped)})
    assert g.score == pytest.approx(6 / 7, abs=1e-4)


def test_capture_asks_grade_every_spelling_a_capture_prints():
    v = variant("handshake", seg("options", "client SYN", "o"), seg("mss", "client ACK", "m"),
                seg("wscale", "client SYN", "w"), seg("sport", "server SYN+ACK", "p"))
    g = grade(v, {"o": "mss 1460", "m": "none", "w": "-", "p": "80"})
    assert [f.verdict for f in g.fields] == [CORRECT] * 4
    wrong = grade(v, {"o": "MSS,SACK_PERM,TS,WS", "m": "1460", "w": "7", "p": "40000"})
    assert [f.verdict for f in wrong.fields] == [WRONG] * 4
    assert [f.misconception for f in wrong.fields] == ["window-scale-without-option", "mss-on-every-segment",
                                                       "window-scale-without-option", None]
    unreadable = grade(v, {"o": "bogus", "m": "big", "w": "x", "p": "eighty"})
    assert [f.verdict for f in unreadable.fields] == [UNREADABLE] * 4


def test_numeric_variants_are_graded_with_units_and_a_worked_computation():
    q = question("", qid="tput", kind="numeric", prompt="W = {w} bytes, RTT = {rtt} ms.",
                 explanation="0.75 × {w} × 8 / {rtt} ms = {bps} bit/s.",
                 vary={"w": [10_000, 60_000], "rtt": {"choice": [20, 50, 100]}},
                 let={"bps": "0.75 * w * 8 / (rtt / 1000)"},
                 part=[{"field": "rate", "label": "average throughput", "answer": "bps", "unit": "bit/s",
                        "tolerance": "1%"}])
    for seed in range(5):
        v = make_variant(q, seed, SCENARIOS)
        bps = 0.75 * v.params["w"] * 8 / (v.params["rtt"] / 1000)
        assert v.expected["rate"].value == pytest.approx(bps)
        assert one(v, f"{bps / 1e6} Mbit/s").verdict == CORRECT
        assert one(v, f"{bps * 1.005 / 1e3} kbit/s").verdict == CORRECT  # within 1%
        assert one(v, f"{bps / 8} bytes").verdict == UNREADABLE  # a size is not a rate
        wrong = one(v, f"{bps * 2}")
        assert wrong.verdict == WRONG and wrong.misconception is None
        assert f"bit/s: 0.75 × {v.params['w']} × 8 / {v.params['rtt']} ms" in wrong.feedback  # value, unit, computation
