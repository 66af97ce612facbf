"""The asks a capture answers (ports, options), the delayed-ACK, persist and keep-alive
timers, and keep_isns: expected answers read off simulated traces, checked against values
that follow from the documented rules (the capture's address plan, RFC 9293 3.7.1,
RFC 1122 4.2.2.17 and 4.2.3.6)."""

from __future__ import annotations

import pytest

from tcptutor import library
from tcptutor.questions.model import question_from_toml
from tcptutor.questions.variants import make_variant, params_for, scenario_for

TOPICS = {"handshake", "captures"}


@pytest.fixture(scope="module")
def scenarios() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in library.SCENARIOS.glob("*.toml")}


def build(scenario: str, asks: list[dict], **extra):
    data = {"id": "q", "kind": "predict", "topics": ["captures"], "difficulty": 1, "prompt": "p",
            "explanation": "e", "scenario": scenario, "ask": asks, **extra}
    q, problems = question_from_toml(data, path="t.md", line_of=lambda key: 7, lesson="t", topics=TOPICS)
    return q, [p.message for p in problems]


def answers(scenario: str, asks: list[dict], scenarios, seed: int = 0, **extra) -> dict:
    q, problems = build(scenario, asks, **extra)
    assert not problems, problems
    return make_variant(q, seed, scenarios).answer_key


def seg(field: str, what: str, segment: str) -> dict:
    return {"field": field, "what": what, "segment": segment}


def test_ports_follow_the_capture_address_plan(scenarios):
    got = answers("handshake", [seg("a", "sport", "client SYN"), seg("b", "dport", "client SYN"),
                                seg("c", "sport", "server SYN+ACK"), seg("d", "dport", "server SYN+ACK")], scenarios)
    assert got == {"a": 40000, "b": 80, "c": 80, "d": 40000}


def test_a_spoofed_source_has_port_1024_plus_n(scenarios):
    flood = '\nsteps = ["server listen", "flood 3", "client connect"]\n'
    got = answers(flood, [seg("a", "sport", "#2"), seg("b", "dport", "server SYN+ACK")], scenarios)
    assert got == {"a": 1026, "b": 1025}  # #2 comes from spoof-2; the first SYN-ACK answers spoof-1


def test_the_mss_option_is_on_syns_only(scenarios):
    inline = '\nsteps = ["server listen", "client connect"]\n[client]\nmss = 1000\n[server]\nmss = 536\n'
    got = answers(inline, [seg("a", "mss", "client SYN"), seg("b", "mss", "server SYN+ACK"), seg("c", "mss", "client ACK"),
                           seg("d", "options", "client SYN"), seg("e", "options", "client ACK"),
                           seg("f", "wscale", "client SYN")], scenarios)
    assert got == {"a": 1000, "b": 536, "c": "none", "d": "MSS", "e": "none", "f": "none"}


def test_option_asks_need_a_segment():
    _, problems = build("handshake", [{"field": "a", "what": "mss"}])
    assert problems == ["question q, ask 1: what = 'mss' needs a segment selector"]


DELAYED = """
steps = ["server listen", "client connect", "client send 100", "wait 1s"]
[server]
delayed_ack = true
"""
ZERO_WINDOW = """
steps = ["server listen", "client connect", "client send 3000", "wait 8s", "server read all", "wait 1s"]
[client]
mss = 1000
[server]
window = 2000
autoread = false
[net]
rto = "1s"
"""
KEEPALIVE = """
steps = ["server listen", "client connect", "client send 100", "wait 3s", "client vanish", "wait 10s"]
[server]
keepalive = true
keepalive_idle = "2s"
keepalive_interval = "1s"
keepalive_count = 3
"""


def timeout(field: str, endpoint: str, timer: str, nth: int = 1) -> dict:
    return {"field": field, "what": "timeout", "endpoint": endpoint, "timer": timer, "nth": nth}


def test_delayed_ack_timer(scenarios):
    got = answers(DELAYED, [timeout("t", "server", "delayed-ack"), seg("at", "sent_at", "server ACK")], scenarios)
    assert got == {"t": 0.2, "at": 0.24}  # the data arrives at 0.04 s; its ACK waits 200 ms


def test_persist_timer_backs_off(scenarios):
    got = answers(ZERO_WINDOW, [timeout("a", "client", "persist"), timeout("b", "client", "persist", 2),
                                timeout("c", "client", "persist", 3)], scenarios)
    assert got == {"a": 1.0, "b": 2.0, "c": 4.0}  # first after the RTO, then doubling (RFC 1122 4.2.2.17)


def test_keepalive_timer_idle_then_interval(scenarios):
    got = answers(KEEPALIVE, [timeout("a", "server", "keepalive"), timeout("b", "server", "keepalive", 2),
                              timeout("c", "server", "keepalive", 3), timeout("z", "server", "keepalive", -1)], scenarios)
    # idle 2 s, answered, idle 2 s again; the client vanished at 3 s: then 1 s intervals until the reset
    assert got == {"a": 2.0, "b": 2.0, "c": 1.0, "z": 1.0}


def test_an_unknown_timer_kind_is_refused():
    _, problems = build("handshake", [timeout("t", "client", "nagle")])
    assert len(problems) == 1 and "needs timer = one of" in problems[0] and "keepalive" in problems[0]


def test_keep_isns_runs_the_named_scenario_with_its_own_isns(scenarios):
    asks = [seg("s", "seq", "server SYN+ACK"), seg("a", "ack", "server SYN+ACK")]
    for seed in (0, 1, 2):
        assert answers("handshake", asks, scenarios, seed, keep_isns=True) == {"s": 5000, "a": 1001}
    q, _ = build("handshake", asks, keep_isns=True, prompt="ISNs {client_isn} and {server_isn}.")
    v = make_variant(q, 3, scenarios)
    assert v.prompt == "ISNs 1000 and 5000."  # the placeholders show the ISNs kept
    assert (v.params["client_isn"], v.params["server_isn"]) == (1000, 5000)
    varied, _ = build("handshake", asks)
    assert scenario_for(varied, params_for(varied, 3), scenarios).client.isn != 1000


def test_keep_isns_survives_the_bank_round_trip_and_leaves_other_specs_alone():
    from tcptutor.questions.model import Question
    q, _ = build("handshake", [seg("s", "seq", "client SYN")], keep_isns=True)
    assert Question.from_spec(q.to_spec()).keep_isns is True
    plain, _ = build("handshake", [seg("s", "seq", "client SYN")])
    assert "keep_isns" not in plain.to_spec()  # older questions keep their stored hash


@pytest.mark.parametrize("extra, message", [
    ({"keep_isns": "yes"}, "keep_isns must be true or false"),
    ({"keep_isns": True, "vary": {"client_isn": "isn-wrap"}}, "vary.client_isn and keep_isns = true contradict"),
])
def test_keep_isns_problems(extra, message):
    _, problems = build("handshake", [seg("s", "seq", "client SYN")], **extra)
    assert any(message in p for p in problems), problems


def test_keep_isns_is_for_a_named_scenario():
    _, problems = build('\nsteps = ["server listen", "client connect"]\n', [seg("s", "seq", "client SYN")], keep_isns=True)
    assert any("keep_isns is for a named scenario" in p for p in problems), problems
