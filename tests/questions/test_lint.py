"""check's warnings (tcptutor.questions.lint): found by running each question, so each test
builds a question that has (or lacks) the flaw and checks the exact warning."""

from __future__ import annotations

import pytest

from tcptutor import library
from tcptutor.lessons.parser import check_question, verify_question
from tcptutor.questions.lint import is_warning
from tcptutor.questions.model import question_from_toml

SEEDS = range(50)


@pytest.fixture(scope="module")
def scenarios() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in library.SCENARIOS.glob("*.toml")}


def build(prompt: str, asks: list[dict], scenario: str = "handshake", **extra):
    data = {"id": "q", "kind": "predict", "topics": ["handshake"], "difficulty": 1, "prompt": prompt,
            "explanation": "e", "scenario": scenario, "ask": asks, **extra}
    q, problems = question_from_toml(data, path="l.md", line_of=lambda key: 9, lesson="l", topics={"handshake"})
    assert not problems, problems
    return q


def warnings(q, scenarios) -> list[str]:
    found = check_question(q, scenarios, SEEDS)
    assert all(is_warning(p) for p in found), found
    assert all(str(p).startswith("l.md:9: warning: question q: ") for p in found)
    return [p.message.removeprefix("warning: question q: ") for p in found]


SYNACK_SEQ = [{"field": "s", "what": "seq", "segment": "server SYN+ACK"}]
SYNACK_ACK = [{"field": "a", "what": "ack", "segment": "server SYN+ACK"}]


def test_a_prompt_that_shows_the_isn_it_needs_has_no_warning(scenarios):
    assert warnings(build("The server's ISN is {server_isn}. Its SYN+ACK's seq?", SYNACK_SEQ), scenarios) == []
    # the ack depends only on the client's ISN: the server's may stay hidden
    assert warnings(build("The client's ISN is {client_isn}. The SYN+ACK's ack?", SYNACK_ACK), scenarios) == []
    # a {SELECTOR.FIELD} placeholder that shows the value counts as showing it
    assert warnings(build("The client's SYN has seq {client SYN.seq}. The SYN+ACK's ack?", SYNACK_ACK), scenarios) == []


def test_a_hidden_isn_is_a_warning(scenarios):
    (w,) = warnings(build("The client's ISN is {client_isn}. The SYN+ACK's seq?", SYNACK_SEQ), scenarios)
    assert w.startswith("the answers depend on server_isn (server_isn = ")
    assert w.endswith("but the prompt reads the same for both: show it with {server_isn} or a {SELECTOR.FIELD} placeholder")


def test_a_hidden_vary_parameter_is_a_warning(scenarios):
    inline = '\nsteps = ["server listen", "client connect", "client send ${size}"]\n[client]\nisn = 1000\n[server]\nisn = 5000\n'
    asks = [{"field": "a", "what": "ack", "segment": "server ACK"}]
    (w,) = warnings(build("Client ISN 1000. The server's ACK of the data?", asks, inline, vary={"size": [1, 1000]}), scenarios)
    assert w.startswith("the answers depend on size (size = ")
    assert warnings(build("Client ISN 1000, {size} bytes. The ACK?", asks, inline, vary={"size": [1, 1000]}), scenarios) == []


def test_vary_that_changes_no_answer_is_a_warning(scenarios):
    inline = '\nsteps = ["server listen", "client connect", "client send ${size}"]\n'
    asks = [{"field": "f", "what": "flags", "segment": "server SYN+ACK"}]
    (w,) = warnings(build("{size} bytes follow. The SYN+ACK's flags?", asks, inline, vary={"size": [1, 1000]}), scenarios)
    assert w == ("all 50 seeds give the same answers (f = 'SYN+ACK'): [vary] size changes none of them "
                 "(if that is the point, say so with same_answers = true)")
    # without a [vary] table a constant answer is the point: no warning
    assert warnings(build("The SYN+ACK's flags?", asks, "handshake"), scenarios) == []


def test_same_answers_says_the_vary_must_not_matter_and_check_holds_it_to_that(scenarios):
    inline = '\nsteps = ["server listen", "client connect", "client send ${size}"]\n'
    flags = [{"field": "f", "what": "flags", "segment": "server SYN+ACK"}]
    assert warnings(build("{size} bytes follow. The SYN+ACK's flags?", flags, inline, vary={"size": [1, 1000]},
                          same_answers=True), scenarios) == []
    lens = [{"field": "n", "what": "len", "segment": "client DATA"}]
    (w,) = warnings(build("{size} bytes. The data's length?", lens, inline, vary={"size": [1, 1000]},
                          same_answers=True), scenarios)
    assert w.startswith("same_answers = true, but seed 0 and seed 1 give different answers")


def test_same_answers_without_vary_is_an_error():
    data = {"id": "q", "kind": "predict", "topics": ["handshake"], "difficulty": 1, "prompt": "p",
            "explanation": "e", "scenario": "handshake", "same_answers": True,
            "ask": [{"field": "f", "what": "flags", "segment": "server SYN+ACK"}]}
    _, problems = question_from_toml(data, path="l.md", line_of=lambda key: 9, lesson="l", topics={"handshake"})
    assert [p.message for p in problems] == ["question q: same_answers is about [vary]; this question has none"]


def test_a_vary_name_used_nowhere_is_dead(scenarios):
    asks = [{"field": "s", "what": "seq", "segment": "server SYN+ACK"}]
    found = warnings(build("Server ISN {server_isn}. The SYN+ACK's seq?", asks, vary={"unused": [1, 1000]}), scenarios)
    assert found == ["vary.unused changes neither the prompt nor the answers: remove it, or use it"]


def test_a_prompt_naming_the_scenarios_isn_is_a_warning_unless_kept(scenarios):
    prompt = "The client's ISN is 1000 and the server's {server_isn}. The SYN+ACK's ack?"
    found = warnings(build(prompt, SYNACK_ACK), scenarios)
    assert found[0] == ("the prompt names 1000, the client's ISN in scenario 'handshake', but each variant replaces "
                        "the ISNs with random ones: write {client_isn} instead, or set keep_isns = true")
    assert len(found) == 2 and found[1].startswith("the answers depend on client_isn")
    assert warnings(build(prompt.replace("{server_isn}", "5000"), SYNACK_ACK, keep_isns=True), scenarios) == []
    # a placeholder or a longer number is no literal ISN
    assert warnings(build("ISN {client_isn}; 10001 bytes. The SYN+ACK's ack?", SYNACK_ACK), scenarios) == []


def test_verify_question_reports_errors_only(scenarios):
    q = build("The client's ISN is {client_isn}. The SYN+ACK's seq?", SYNACK_SEQ)
    assert verify_question(q, scenarios, SEEDS) == []
    assert len(check_question(q, scenarios, SEEDS)) == 1


def test_a_size_that_equals_the_isn_is_no_isn(scenarios):
    prompt = "ISN {client_isn}; 1000-byte segments, 1000 bytes in all. The SYN+ACK's ack?"
    assert warnings(build(prompt, SYNACK_ACK), scenarios) == []


def test_a_number_named_as_a_size_is_no_isn(scenarios):
    """ "MSS 1000" or "a window of 1000" equal to the scenario's ISN are sizes: no warning."""
    for prompt in ("ISN {client_isn}, MSS 1000. The SYN+ACK's ack?", "ISN {client_isn}; win=1000. The SYN+ACK's ack?",
                   "ISN {client_isn}; a window of 1000. The SYN+ACK's ack?"):
        assert warnings(build(prompt, SYNACK_ACK), scenarios) == [], prompt
    # but the bare number still is one, even after a size elsewhere in the prompt
    found = warnings(build("MSS 1460; the client's ISN is 1000. The SYN+ACK's ack?", SYNACK_ACK), scenarios)
    assert found and found[0].startswith("the prompt names 1000")


def numeric(prompt: str, explanation: str = "e", **extra):
    data = {"id": "q", "kind": "numeric", "topics": ["handshake"], "difficulty": 1, "prompt": prompt,
            "explanation": explanation, **extra}
    q, problems = question_from_toml(data, path="l.md", line_of=lambda key: 9, lesson="l", topics={"handshake"})
    assert not problems, problems
    return q


NUMERIC_VARY = {"vary": {"e": [80, 160], "r": [60, 200]}, "let": {"e1": "0.875 * e + 0.125 * r"}, "answer": "e1"}


def test_a_numeric_question_that_shows_its_numbers_has_no_warning(scenarios):
    assert warnings(numeric("EstimatedRTT {e} ms, sample {r} ms. New EstimatedRTT?", **NUMERIC_VARY), scenarios) == []


def test_a_numeric_question_hiding_a_vary_value_is_a_warning(scenarios):
    """Found by changing r alone: the [let] e1 is recomputed from the changed r, so the
    answer moves while the prompt, which shows only {e}, reads the same."""
    (w,) = warnings(numeric("EstimatedRTT {e} ms. New EstimatedRTT?", **NUMERIC_VARY), scenarios)
    assert w.startswith("the answers depend on r (r = ")


def test_a_let_shown_in_the_prompt_counts_as_showing_what_it_is_made_of(scenarios):
    q = numeric("New EstimatedRTT after {e} ms and a sample: is it {e1} ms?", **NUMERIC_VARY)
    assert warnings(q, scenarios) == []
