"""Variants: parameters drawn from (question id, seed), the scenario they produce, prompts,
and the expected answers read off the simulated trace, checked against exact values."""

from __future__ import annotations

import dataclasses
import json
import tomllib

import pytest

from tcptutor import library
from tcptutor.questions.model import Question, question_from_toml
from tcptutor.questions.variants import (
    SEQ_SPACE,
    VariantError,
    fill_prompt,
    make_variant,
    params_for,
    scenario_for,
)
from tcptutor.tcp.scenario import parse_scenario
from tcptutor.tcp.simulator import simulate

TOPICS = {"handshake", "teardown", "time-wait", "sequence-numbers", "syn-attacks", "retransmission", "header-flags"}


@pytest.fixture(scope="module")
def scenarios() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in library.SCENARIOS.glob("*.toml")}


def question(text: str) -> Question:
    """A question from a block's TOML text, exactly as the lesson parser builds it."""
    data = tomllib.loads(text)
    q, problems = question_from_toml(data, path="test.md", line_of=lambda key: 1, lesson="test", topics=TOPICS, source=text)
    assert not problems, problems
    assert q is not None
    return q


def predict(qid: str, scenario: str, asks: str, *, vary: str = "", extra: str = "", prompt: str = "p") -> Question:
    return question(
        f'id = "{qid}"\nkind = "predict"\ntopics = ["handshake"]\ndifficulty = 1\n'
        f"prompt = {prompt!r}\nexplanation = \"e\"\nscenario = '''{scenario}'''\n{extra}\n"
        + (f"[vary]\n{vary}\n" if vary else "")
        + asks
    )


def ask(field: str, what: str, **keys) -> str:
    lines = [f'[[ask]]\nfield = "{field}"\nwhat = "{what}"']
    for key, value in keys.items():
        lines.append(f"{key} = {value!r}" if isinstance(value, str) else f"{key} = {value}")
    return "\n".join(lines) + "\n"


# Inline scenarios with their timers spelled out, so that the exact values below follow
# from RFC 9293 rules only (initial RTO 1 s, doubling), not from how a shipped scenario or
# a profile default is tuned today. ISNs are left open: each variant supplies them.
DATA = """
steps = ["server listen", "client connect", "client send 100", "server send 300", "client send 50 20"]
"""
LOST_SYN = """
steps = ["server listen", "drop next client->server SYN", "client connect", "wait 2s"]
[net]
rto = "1s"
"""
THREE_LOST_SYNS = """
steps = [
  "server listen",
  "drop next client->server SYN",
  "drop next client->server SYN",
  "drop next client->server SYN",
  "client connect",
  "wait 10s",
]
[net]
rto = "1s"
"""
LOST_SYNACK = """
steps = ["server listen", "drop next server->client SYN", "client connect", "wait 2s"]
[net]
rto = "1s"
"""
LOST_LAST_ACK = """
steps = ["server listen", "client connect", "client close", "drop next client->server ACK", "server close", "wait 3s"]
[net]
rto = "1s"
"""
FLOOD = """
steps = ["server listen", "flood 4", "client connect"]
[server]
backlog = 16
"""


def answers(q: Question, scenarios, seed: int = 0) -> dict:
    return make_variant(q, seed, scenarios).answer_key


# ------------------------------------------------------------------- params


HANDSHAKE_Q = predict("hs-synack", "handshake", ask("seq", "seq", segment="server SYN+ACK") + ask("ack", "ack", segment="server SYN+ACK"))


def test_params_are_deterministic_per_question_and_seed():
    again = predict("hs-synack", "handshake", ask("seq", "seq", segment="server SYN+ACK") + ask("ack", "ack", segment="server SYN+ACK"))
    for seed in (0, 1, 7, 12345):
        assert params_for(HANDSHAKE_Q, seed) == params_for(HANDSHAKE_Q, seed) == params_for(again, seed)


def test_params_differ_across_seeds_and_question_ids():
    drawn = [params_for(HANDSHAKE_Q, seed) for seed in range(50)]
    assert len({(p["client_isn"], p["server_isn"]) for p in drawn}) == 50
    other = predict("hs-other", "handshake", ask("seq", "seq", segment="server SYN+ACK"))
    assert params_for(other, 0) != params_for(HANDSHAKE_Q, 0)


def test_every_predict_question_gets_two_32_bit_isns():
    for seed in range(200):
        p = params_for(HANDSHAKE_Q, seed)
        assert list(p) == ["client_isn", "server_isn"]
        assert all(isinstance(v, int) and 0 <= v < SEQ_SPACE for v in p.values())


def test_isn_wrap_is_within_2000_of_2_to_the_32():
    q = predict("wrap", "handshake", ask("ack", "ack", segment="server SYN+ACK"), vary='client_isn = "isn-wrap"\nserver_isn = "isn-wrap"')
    values = [v for seed in range(500) for v in params_for(q, seed).values()]
    assert all(SEQ_SPACE - 2000 <= v < SEQ_SPACE for v in values)
    assert len(set(values)) > 100  # really drawn, not a constant


def test_ranges_and_choices_are_respected_and_kept_in_written_order():
    q = predict(
        "vary-kinds", "handshake", ask("seq", "seq", segment="#1"),
        vary='size = [3, 5]\nlost = { choice = [1, 2, 3] }\nword = { choice = ["SYN", "FIN"] }\nfixed = [7, 7]',
    )
    drawn = [params_for(q, seed) for seed in range(200)]
    assert list(drawn[0]) == ["client_isn", "server_isn", "size", "lost", "word", "fixed"]
    assert {p["size"] for p in drawn} == {3, 4, 5}
    assert {p["lost"] for p in drawn} == {1, 2, 3}
    assert {p["word"] for p in drawn} == {"SYN", "FIN"}
    assert {p["fixed"] for p in drawn} == {7}


def test_vary_survives_the_bank_round_trip():
    q = predict("round-trip", "handshake", ask("seq", "seq", segment="#1"), vary='size = [1, 1460]\nlost = { choice = [1, 2, 3] }\nclient_isn = "isn-wrap"')
    again = Question.from_spec(json.loads(json.dumps(q.to_spec())))
    for seed in range(20):
        assert params_for(again, seed) == params_for(q, seed)


def test_choice_of_string_pairs_draws_one_of_the_pairs():
    q = predict("pairs", "handshake", ask("seq", "seq", segment="#1"), vary='who = { choice = [["client", "server"], ["server", "client"]] }')
    for seed in range(10):
        assert params_for(q, seed)["who"] in (["client", "server"], ["server", "client"])


# ----------------------------------------------------------------- scenarios


def test_named_scenario_gets_the_variants_isns(scenarios):
    params = params_for(HANDSHAKE_Q, 3)
    sc = scenario_for(HANDSHAKE_Q, params, scenarios)
    assert parse_scenario(scenarios["handshake"]).client.isn == 1000  # the file's own ISNs...
    assert (sc.client.isn, sc.server.isn) == (params["client_isn"], params["server_isn"])  # ...are replaced
    assert sc.net.profile == "rfc9293"


def test_inline_scenario_leaving_isns_open_gets_the_variants_isns(scenarios):
    q = predict("open-isns", '\nsteps = ["server listen", "client connect"]\n', ask("seq", "seq", segment="client SYN"))
    params = params_for(q, 5)
    sc = scenario_for(q, params, scenarios)
    assert (sc.client.isn, sc.server.isn) == (params["client_isn"], params["server_isn"])
    assert answers(q, scenarios, 5) == {"seq": params["client_isn"]}


def test_inline_scenario_keeps_explicit_isns(scenarios):
    q = predict(
        "fixed-isns", '\nsteps = ["server listen", "client connect"]\n[client]\nisn = 42\n',
        ask("seq", "seq", segment="client SYN") + ask("sseq", "seq", segment="server SYN+ACK"),
    )
    params = params_for(q, 5)
    sc = scenario_for(q, params, scenarios)
    assert sc.client.isn == 42  # explicit: kept
    assert sc.server.isn == params["server_isn"]  # open: the variant's
    assert answers(q, scenarios, 5) == {"seq": 42, "sseq": params["server_isn"]}


def test_placeholders_in_inline_scenarios_are_substituted(scenarios):
    q = predict(
        "subst", '\nsteps = ["server listen", "client connect", "client send ${size}"]\n[client]\nisn = ${client_isn}\n'
        '[server]\nisn = ${server_isn}\n[net]\nlatency = "${lat}ms"\n',
        ask("len", "len", segment="client DATA 1") + ask("arr", "arrived_at", segment="client DATA 1"),
        vary="size = [1, 1460]\nlat = [5, 150]",
    )
    for seed in range(5):
        params = params_for(q, seed)
        sc = scenario_for(q, params, scenarios)
        assert (sc.client.isn, sc.server.isn) == (params["client_isn"], params["server_isn"])
        assert sc.net.latency == params["lat"] * 1000
        got = answers(q, scenarios, seed)
        assert got["len"] == params["size"]
        # each step runs once the network has settled: the handshake is over after three
        # one-way delays, the data is sent then and arrives one delay later
        assert got["arr"] == pytest.approx(4 * params["lat"] / 1000)


def test_a_scenario_placeholder_with_no_value_is_a_variant_error(scenarios):
    q = predict("no-value", '\nsteps = ["server listen", "client connect", "client send ${size}"]\n', ask("seq", "seq", segment="#1"))
    with pytest.raises(VariantError, match=r"scenario placeholder \$\{size\} has no value"):
        scenario_for(q, params_for(q, 0), scenarios)
    with pytest.raises(VariantError, match=r"\$\{size\} has no value"):
        make_variant(q, 0, scenarios)


def test_a_bad_dollar_in_an_inline_scenario_is_a_variant_error(scenarios):
    q = predict("bad-dollar", '\nsteps = ["server listen", "client connect", "client send $ 5"]\n', ask("seq", "seq", segment="#1"))
    with pytest.raises(VariantError, match=r"bad \$ placeholder"):
        scenario_for(q, params_for(q, 0), scenarios)


def test_an_unknown_named_scenario_is_a_variant_error(scenarios):
    q = predict("missing", "no-such-scenario", ask("seq", "seq", segment="#1"))
    with pytest.raises(VariantError, match="no scenario named 'no-such-scenario'"):
        make_variant(q, 0, scenarios)


def test_profile_linux_is_applied(scenarios):
    q = predict("linux-tw", "active-close", ask("tw", "timeout", endpoint="client", timer="time-wait"), extra='profile = "linux"')
    assert scenario_for(q, params_for(q, 0), scenarios).net.profile == "linux"


# ------------------------------------------------------------------- prompts


def test_fill_prompt_with_params_and_trace_values():
    trace = simulate(parse_scenario('steps = ["server listen", "client connect", "client send 120"]\n[client]\nisn = 10\n[server]\nisn = 20'))
    text = "ISNs {client_isn}/{ server_isn }: SYN+ACK seq {server SYN+ACK.seq}, ack {server SYN+ACK.ack}, data {client DATA 1.len} bytes at {client DATA 1.sent_at}, #{#3.n}"
    assert fill_prompt(text, {"client_isn": 10, "server_isn": 20}, trace) == "ISNs 10/20: SYN+ACK seq 20, ack 11, data 120 bytes at 0.03, #3"
    assert fill_prompt("no placeholders", {}, None) == "no placeholders"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{nope}", r"placeholder \{nope\} has no value"),
        ("{server FIN.seq}", r"no segment matches 'server FIN'"),
        ("{server SYN+ACK.flags}", r"unknown field 'flags'"),
        ("{server BOGUS.seq}", r"placeholder \{server BOGUS.seq\}: unknown word"),
    ],
)
def test_fill_prompt_errors(text, message):
    trace = simulate(parse_scenario('steps = ["server listen", "client connect"]'))
    with pytest.raises(VariantError, match=message):
        fill_prompt(text, {"client_isn": 1, "server_isn": 2}, trace)


def test_a_trace_placeholder_without_a_trace_has_no_value():
    with pytest.raises(VariantError, match=r"placeholder \{server SYN\+ACK.seq\} has no value"):
        fill_prompt("{server SYN+ACK.seq}", {}, None)


def test_make_variant_fills_the_prompt(scenarios):
    q = predict("prompted", "handshake", ask("ack", "ack", segment="server SYN+ACK"), prompt="Client ISN {client_isn}, server ISN {server_isn}, SYN seq {client SYN.seq}.")
    v = make_variant(q, 9, scenarios)
    p = v.params
    assert v.prompt == f"Client ISN {p['client_isn']}, server ISN {p['server_isn']}, SYN seq {p['client_isn']}."
    with pytest.raises(VariantError, match=r"\{lat\} has no value"):
        make_variant(predict("unfilled", "handshake", ask("ack", "ack", segment="#2"), prompt="{lat} ms"), 0, scenarios)


# -------------------------------------------------- expected answers (predict)


def test_handshake_seq_and_ack_for_many_seeds(scenarios):
    for seed in range(30):
        v = make_variant(HANDSHAKE_Q, seed, scenarios)
        c, s = v.params["client_isn"], v.params["server_isn"]
        assert v.answer_key == {"seq": s, "ack": (c + 1) % 2**32}
        assert v.expected["ack"].segment.field("n") == 2
        assert v.trace.segments[0].seq == c


def test_ack_wraps_around_2_to_the_32(scenarios):
    q = predict(
        "wrap-ack", '\nsteps = ["server listen", "client connect"]\n[client]\nisn = 4294967295\n',
        ask("ack", "ack", segment="server SYN+ACK") + ask("seq3", "seq", segment="client ACK"),
    )
    assert answers(q, scenarios) == {"ack": 0, "seq3": 0}
    wrap = predict("wrap-ack-2", "handshake", ask("ack", "ack", segment="server SYN+ACK"), vary='client_isn = "isn-wrap"')
    for seed in range(30):
        v = make_variant(wrap, seed, scenarios)
        assert v.answer_key["ack"] == (v.params["client_isn"] + 1) % 2**32


def test_len_and_flags_without_psh(scenarios):
    q = predict(
        "lens", DATA,
        ask("len1", "len", segment="client DATA 1") + ask("len3", "len", segment="client DATA -1")
        + ask("slen", "len", segment="server DATA") + ask("f_data", "flags", segment="client DATA 1")
        + ask("f_synack", "flags", segment="server SYN+ACK") + ask("f_syn", "flags", segment="#1")
        + ask("f_ack", "flags", segment="client ACK") + ask("win", "win", segment="#1")
        + ask("ack", "ack", segment="server ACK -1") + ask("seq", "seq", segment="client DATA 2"),
    )
    for seed in (0, 1):
        v = make_variant(q, seed, scenarios)
        c, s = v.params["client_isn"], v.params["server_isn"]
        assert "PSH" in v.expected["f_data"].segment.field("flags")  # on the wire...
        assert v.answer_key == {
            "len1": 100, "len3": 20, "slen": 300,
            "f_data": "ACK",  # ...but not graded
            "f_synack": "SYN+ACK", "f_syn": "SYN", "f_ack": "ACK", "win": 65535,
            "ack": (c + 1 + 170) % 2**32, "seq": (c + 101) % 2**32,
        }
        assert s == v.trace.segments[1].seq


def test_fin_flags(scenarios):
    q = predict("fin-flags", "active-close", ask("f", "flags", segment="client FIN") + ask("g", "flags", segment="server FIN"))
    assert answers(q, scenarios) == {"f": "FIN+ACK", "g": "FIN+ACK"}


def test_states_at_segments_receiver_after_arrival_sender_after_sending(scenarios):
    q = predict(
        "hs-states-at", "handshake",
        ask("server_after_synack", "state", endpoint="server", at="server SYN+ACK")  # sender, just after sending
        + ask("client_after_synack", "state", endpoint="client", at="server SYN+ACK")  # receiver, after arrival
        + ask("client_after_syn", "state", endpoint="client", at="client SYN")
        + ask("server_after_syn", "state", endpoint="server", at="client SYN")
        + ask("server_after_ack", "state", endpoint="server", at="client ACK")
        + ask("client_end", "state", endpoint="client", at="end")
        + ask("server_end", "state", endpoint="server", at="end"),
    )
    for seed in range(5):
        assert answers(q, scenarios, seed) == {
            "server_after_synack": "SYN-RECEIVED",
            "client_after_synack": "ESTABLISHED",
            "client_after_syn": "SYN-SENT",
            "server_after_syn": "SYN-RECEIVED",
            "server_after_ack": "ESTABLISHED",
            "client_end": "ESTABLISHED",
            "server_end": "ESTABLISHED",
        }


def test_states_in_the_teardown(scenarios):
    q = predict(
        "td-states", "active-close",
        ask("c_fin", "state", endpoint="client", at="client FIN")
        + ask("s_fin", "state", endpoint="server", at="client FIN")
        + ask("c_ack", "state", endpoint="client", at="server ACK")
        + ask("s_sfin", "state", endpoint="server", at="server FIN")
        + ask("c_sfin", "state", endpoint="client", at="server FIN")
        + ask("s_last", "state", endpoint="server", at="client ACK -1")
        + ask("c_end", "state", endpoint="client", at="end")
        + ask("c_states", "states", endpoint="client")
        + ask("s_states", "states", endpoint="server"),
    )
    assert answers(q, scenarios) == {
        "c_fin": "FIN-WAIT-1", "s_fin": "CLOSE-WAIT", "c_ack": "FIN-WAIT-2", "s_sfin": "LAST-ACK",
        "c_sfin": "TIME-WAIT", "s_last": "CLOSED", "c_end": "CLOSED",
        "c_states": ["CLOSED", "SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "CLOSED"],
        "s_states": ["CLOSED", "LISTEN", "SYN-RECEIVED", "ESTABLISHED", "CLOSE-WAIT", "LAST-ACK", "CLOSED"],
    }


def test_handshake_states_lists(scenarios):
    q = predict("hs-states", "handshake", ask("c", "states", endpoint="client") + ask("s", "states", endpoint="server"))
    assert answers(q, scenarios) == {
        "c": ["CLOSED", "SYN-SENT", "ESTABLISHED"],
        "s": ["CLOSED", "LISTEN", "SYN-RECEIVED", "ESTABLISHED"],
    }


def test_state_at_a_lost_segment_is_a_variant_error(scenarios):
    q = predict("lost-state", LOST_SYN, ask("s", "state", endpoint="server", at="#1"))
    with pytest.raises(VariantError, match="was lost"):
        make_variant(q, 0, scenarios)


def test_sent_at_and_arrived_at(scenarios):
    q = predict(
        "times", "handshake",
        ask("sent", "sent_at", segment="client ACK") + ask("arrived", "arrived_at", segment="client ACK")
        + ask("synack_sent", "sent_at", segment="server SYN+ACK"),
    )
    assert answers(q, scenarios) == {"sent": 0.02, "arrived": 0.03, "synack_sent": 0.01}
    lost = predict("lost-arrival", LOST_SYN, ask("a", "arrived_at", segment="client SYN"))
    with pytest.raises(VariantError, match="never arrived"):
        make_variant(lost, 0, scenarios)


def test_count(scenarios):
    q = predict(
        "counts", THREE_LOST_SYNS,
        ask("retx", "count", segment="client SYN retransmission") + ask("syns", "count", segment="client SYN")
        + ask("acks", "count", segment="client ACK") + ask("rst", "count", segment="RST")
        + ask("last", "sent_at", segment="client SYN retransmission -1"),
    )
    assert answers(q, scenarios) == {"retx": 3, "syns": 4, "acks": 1, "rst": 0, "last": 7.0}
    flood = predict("flood-count", FLOOD, ask("spoofed", "count", segment="spoof SYN") + ask("hs", "count", segment="client ACK"))
    assert answers(flood, scenarios) == {"spoofed": 4, "hs": 1}


def test_timeouts(scenarios):
    tw = predict("tw", "active-close", ask("tw", "timeout", endpoint="client", timer="time-wait"))
    assert answers(tw, scenarios) == {"tw": 240.0}
    linux = predict("tw-linux", "active-close", ask("tw", "timeout", endpoint="client", timer="time-wait"), extra='profile = "linux"')
    assert answers(linux, scenarios) == {"tw": 60.0}
    syn = predict(
        "syn-backoff", THREE_LOST_SYNS,
        ask("t1", "timeout", endpoint="client", timer="syn") + ask("t2", "timeout", endpoint="client", timer="syn", nth=2)
        + ask("t3", "timeout", endpoint="client", timer="syn", nth=3) + ask("last", "timeout", endpoint="client", timer="syn", nth=-1),
    )
    assert answers(syn, scenarios) == {"t1": 1.0, "t2": 2.0, "t3": 4.0, "last": 4.0}
    synack = predict("synack", LOST_SYNACK, ask("t", "timeout", endpoint="server", timer="synack"))
    assert answers(synack, scenarios) == {"t": 1.0}
    retx = predict("retx", LOST_LAST_ACK, ask("t", "timeout", endpoint="server", timer="retransmission"))
    assert answers(retx, scenarios) == {"t": 1.0}


def test_a_timer_that_never_expired_is_a_variant_error(scenarios):
    q = predict("no-tw", "handshake", ask("tw", "timeout", endpoint="client", timer="time-wait"))
    with pytest.raises(VariantError, match="expired 0 time"):
        make_variant(q, 0, scenarios)
    q = predict("no-4th", THREE_LOST_SYNS, ask("t", "timeout", endpoint="client", timer="syn", nth=4))
    with pytest.raises(VariantError, match=r"expired 3 time\(s\); no expiry number 4"):
        make_variant(q, 0, scenarios)


def test_a_segment_the_trace_does_not_have_is_a_variant_error(scenarios):
    q = predict("no-fin", "handshake", ask("seq", "seq", segment="server FIN"))
    with pytest.raises(VariantError, match="no segment matches 'server FIN'"):
        make_variant(q, 0, scenarios)


def test_variant_is_reproducible(scenarios):
    a = make_variant(HANDSHAKE_Q, 4, scenarios)
    b = make_variant(HANDSHAKE_Q, 4, scenarios)
    assert (a.params, a.prompt, a.answer_key, a.trace) == (b.params, b.prompt, b.answer_key, b.trace)


# --------------------------------------------------------------- static kinds


def static(kind_toml: str, qid: str = "static-q", prompt: str = "p") -> Question:
    return question(f'id = "{qid}"\ntopics = ["handshake"]\nprompt = "{prompt}"\nexplanation = "e"\n{kind_toml}')


def options(*correct: bool) -> str:
    return "".join(f'[[options]]\ntext = "o{i}"\ncorrect = {str(c).lower()}\nfeedback = "f{i}"\n' for i, c in enumerate(correct))


def test_single_is_one_letter(scenarios):
    q = static('kind = "single"\n' + options(False, True, False))
    v = make_variant(q, 0, scenarios)
    assert v.answer_key == {"answer": "B"}
    assert v.trace is None and v.order == ()
    assert v.expected["answer"].what == "single"


def test_multiple_is_the_correct_letters_in_order(scenarios):
    q = static('kind = "multiple"\n' + options(True, False, True, True))
    assert answers(q, scenarios) == {"answer": "ACD"}
    q = static('kind = "multiple"\n' + options(False, True))
    assert answers(q, scenarios) == {"answer": "B"}


def test_truefalse(scenarios):
    assert answers(static('kind = "truefalse"\nanswer = false'), scenarios) == {"answer": False}
    assert answers(static('kind = "truefalse"\nanswer = true'), scenarios) == {"answer": True}


def test_numeric(scenarios):
    q = static('kind = "numeric"\nanswer = 240\ntolerance = 0\nunit = "s"')
    assert answers(q, scenarios) == {"answer": 240}
    assert q.unit == "s" and q.tolerance == 0.0


def test_ordering_is_shown_really_shuffled_and_deterministically(scenarios):
    items = ["CLOSED", "SYN-SENT", "ESTABLISHED"]
    q = static('kind = "ordering"\nitems = ["CLOSED", "SYN-SENT", "ESTABLISHED"]')
    orders = set()
    for seed in range(40):
        v = make_variant(q, seed, scenarios)
        assert v.answer_key == {"answer": items}
        assert sorted(v.order) == [0, 1, 2]  # a permutation of the items...
        assert list(v.order) != [0, 1, 2]  # ...never the correct order
        assert make_variant(q, seed, scenarios).order == v.order  # the same for the same seed
        orders.add(v.order)
    assert len(orders) > 1  # and it varies with the seed
    long = static('kind = "ordering"\nitems = ["a", "b", "c", "d", "e", "f"]', qid="long-order")
    assert len({make_variant(long, seed, scenarios).order for seed in range(40)}) > 10


def test_static_question_with_a_scenario_gets_a_trace_and_a_filled_prompt(scenarios):
    q = static('kind = "truefalse"\nanswer = true\nscenario = "handshake"', prompt="The SYN+ACK acks {server SYN+ACK.ack}.")
    v = make_variant(q, 2, scenarios)
    assert v.trace is not None
    assert v.prompt == f"The SYN+ACK acks {(v.params['client_isn'] + 1) % 2**32}."


# ---------------------------------------------------------------- inline scenarios parsed once


def _parsed_as_rendered(q: Question, params: dict):
    """What scenario_for gave before the shortcut: the rendered text parsed, the ISNs applied."""
    from string import Template

    from tcptutor.questions.variants import is_inline

    assert is_inline(q.scenario)
    scenario = parse_scenario(Template(q.scenario).substitute({k: str(v) for k, v in params.items()}),
                              f"question {q.id}'s scenario")
    client, server = scenario.client, scenario.server
    if client.isn is None:
        client = dataclasses.replace(client, isn=params["client_isn"])
    if server.isn is None:
        server = dataclasses.replace(server, isn=params["server_isn"])
    net = dataclasses.replace(scenario.net, profile=q.profile) if q.profile else scenario.net
    return dataclasses.replace(scenario, client=client, server=server, net=net)


def test_every_shipped_inline_scenario_is_the_one_its_rendered_text_parses_to():
    """scenario_for parses an inline scenario once per [vary] values and puts each variant's
    ISNs into it: for every shipped inline question and several seeds, the very scenario that
    parsing the rendered text gives."""
    from tcptutor.bank.content import read_content
    from tcptutor.lessons.parser import parse_course, parse_topics
    from tcptutor.questions.variants import _WITHOUT_ISNS, is_inline

    files = read_content()
    topics, _ = parse_topics(files.topics_text, files.topics_path)
    inline = [q for q in parse_course(files.lessons, files.scenarios, topics).questions
              if q.scenario and is_inline(q.scenario)]
    assert len(inline) > 50
    for q in inline:
        for seed in (0, 1, 2, 17, 49):
            params = params_for(q, seed)
            assert scenario_for(q, params, {}) == _parsed_as_rendered(q, params), (q.id, seed)
    assert any(v for v in _WITHOUT_ISNS.values()), "the shortcut was never taken"


@pytest.mark.parametrize("client, server", [
    ("isn = ${client_isn}", "isn = ${server_isn}"),
    ("isn = ${server_isn}", "isn = ${client_isn}"),  # swapped: each side still gets the one it names
    ("isn = $client_isn", "isn = 7"),
    ("isn = ${client_isn}", ""),
    ("", ""),
])
def test_inline_isns_reach_the_endpoints_they_are_written_in(client, server):
    q = predict("x", f'\nsteps = ["server listen", "client connect"]\n[client]\n{client}\n[server]\n{server}\n',
                ask("a", "ack", segment="server SYN+ACK"), vary="lost = [1, 3]")
    for seed in range(6):
        params = params_for(q, seed)
        assert scenario_for(q, params, {}) == _parsed_as_rendered(q, params)


def test_an_isn_used_elsewhere_in_the_scenario_is_parsed_as_rendered():
    """An ISN in a step or a title (not a whole `isn = ...` line) takes the old path."""
    q = predict("y", '\ntitle = "from ${client_isn}"\nsteps = ["server listen", "client connect"]\n'
                     '[client]\nisn = ${client_isn}\n', ask("a", "ack", segment="server SYN+ACK"))
    for seed in range(3):
        params = params_for(q, seed)
        got = scenario_for(q, params, {})
        assert got == _parsed_as_rendered(q, params) and got.title == f"from {params['client_isn']}"


def test_an_isn_out_of_range_is_still_refused_by_the_parser():
    """`tcptutor check` may pass its own params: an ISN past 2^32 - 1 is the parser's error, as before."""
    from tcptutor.errors import ScenarioError

    q = predict("z", '\nsteps = ["server listen", "client connect"]\n[client]\nisn = ${client_isn}\n',
                ask("a", "ack", segment="server SYN+ACK"))
    params = params_for(q, 0)
    scenario_for(q, params, {})
    with pytest.raises(ScenarioError, match="isn"):
        scenario_for(q, {**params, "client_isn": SEQ_SPACE}, {})
