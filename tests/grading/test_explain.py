"""Worked solutions (tcptutor.grading.explain), checked against the trace they explain: the
segment a retransmission resends, which ACKs are duplicate ACKs (RFC 5681), the segments a
count answer counts, the rule behind each timeout value, the value written once, and flags
in Wireshark's order. Shipped questions are parsed from the shipped lessons (no bank)."""

from __future__ import annotations

import re

import pytest

from tcptutor import library
from tcptutor.bank.build import read_content
from tcptutor.grading.explain import show, worked_solutions
from tcptutor.grading.grader import expected_line
from tcptutor.lessons.parser import parse_course, parse_topics
from tcptutor.questions.model import question_from_toml
from tcptutor.questions.selectors import parse_selector, select_all
from tcptutor.questions.variants import make_variant
from tcptutor.segment_flags import wireshark_flags, wireshark_order

MOD = 2**32
SEEDS = (0, 1, 7)


@pytest.fixture(scope="module")
def shipped():
    files = read_content()
    topics, _ = parse_topics(files.topics_text, files.topics_path)
    return {q.id: q for q in parse_course(files.lessons, files.scenarios, topics).questions}, files.scenarios


def solved(shipped, qid: str, seed: int):
    questions, scenarios = shipped
    v = make_variant(questions[qid], seed, scenarios)
    return v, worked_solutions(v)


def seg_len(s: dict) -> int:
    return s["len"] + ("SYN" in s["flags"]) + ("FIN" in s["flags"])


def by_number(trace: dict, n: int) -> dict:
    return next(s for s in trace["segments"] if s["n"] == n)


# ----------------------------------------------------------------------- retransmissions


@pytest.mark.parametrize("qid, field", [("sn-dup-ack", "retx_seq"), ("rt-backoff", "seq"),
                                        ("rt-timeout-resends-one", "seq"), ("tw-retransmitted-fin", "seq")])
@pytest.mark.parametrize("seed", SEEDS)
def test_a_retransmission_names_the_segment_it_resends_not_a_bare_ack(shipped, qid, field, seed):
    v, solutions = solved(shipped, qid, seed)
    asked = v.expected[field].segment.to_json()
    named = re.search(r"the segment it resends, #(\d+)", solutions[field])
    assert named, solutions[field]
    original = by_number(v.trace.to_json(), int(named.group(1)))
    assert original["n"] < asked["n"] and original["src"] == asked["src"]
    assert (original["seq"], original["len"]) == (asked["seq"], asked["len"])
    assert seg_len(original) > 0  # it occupied sequence space: no bare ACK is ever "resent"
    assert ("FIN" in original["flags"]) == ("FIN" in asked["flags"])


# ----------------------------------------------------------------------- duplicate ACKs


def real_duplicate_ack(seg: dict, trace: dict) -> bool:
    """RFC 5681 2, written out again here: no data, no SYN/FIN, same ack and window as the
    previous ACK from the same side, and the other side has unacknowledged data."""
    if seg["len"] or {"SYN", "FIN", "RST"} & set(seg["flags"]):
        return False
    earlier = [s for s in trace["segments"] if s["n"] < seg["n"]]
    prev = [s for s in earlier if s["src"] == seg["src"] and "ACK" in s["flags"] and "RST" not in s["flags"]]
    if not prev or (prev[-1]["ack"], prev[-1]["win"]) != (seg["ack"], seg["win"]):
        return False
    return any(s["src"] == seg["dst"] and seg_len(s) and 0 < (s["seq"] + seg_len(s) - seg["ack"]) % MOD < MOD // 2
               for s in earlier)


def test_only_real_duplicate_acks_are_called_duplicate_acks(shipped):
    questions, _ = shipped
    called = 0
    for qid, q in questions.items():
        if q.kind != "predict" or not any(a.what == "ack" for a in q.asks):
            continue
        v, solutions = solved(shipped, qid, 0)
        for name, e in v.expected.items():
            if e.what == "ack" and "duplicate ACK" in solutions[name]:
                called += 1
                assert real_duplicate_ack(e.segment.to_json(), v.trace.to_json()), (qid, name, solutions[name])
    assert called >= 2  # sn-dup-ack and rt-dupack-number do ask for one


@pytest.mark.parametrize("seed", SEEDS)
def test_the_ack_that_fills_the_hole_is_cumulative_not_duplicate(shipped, seed):
    v, solutions = solved(shipped, "sn-dup-ack", seed)
    assert "duplicate ACK" in solutions["dup_ack"]
    assert "duplicate ACK" not in solutions["final_ack"]
    assert "filled the hole" in solutions["final_ack"] and "cumulative ACK" in solutions["final_ack"]


def test_a_challenge_ack_is_called_a_challenge_ack(shipped):
    v, solutions = solved(shipped, "rs-challenge-ack", 0)
    assert "challenge ACK" in solutions["reply_ack"] and "RFC 5961" in solutions["reply_ack"]
    assert "duplicate ACK" not in solutions["reply_ack"]


# ----------------------------------------------------------------------- counts


def test_every_count_answer_names_the_segments_it_counts(shipped):
    questions, _ = shipped
    checked = 0
    for qid, q in questions.items():
        if q.kind != "predict":
            continue
        for ask in q.asks:
            if ask.what != "count":
                continue
            v, solutions = solved(shipped, qid, 0)
            text = solutions[ask.field]
            counted = [s.n for s in select_all(parse_selector(ask.segment), v.trace)]
            assert "that many segments" not in text
            named = [int(n) for n in re.findall(r"#(\d+)", text)]
            if not counted:
                assert named == [] and text.startswith("0: no segment")
            elif len(counted) <= 6:
                assert named == counted, (qid, text)
            else:
                assert named[:3] == counted[:3] and named[-1] == counted[-1], (qid, text)
            checked += 1
    assert checked >= 10


def test_a_count_of_duplicate_acks_says_so():
    from tcptutor.grading.explain import explain
    from tcptutor.questions.expected import Expected

    v = _scenario_question(library.SCENARIOS.joinpath("fast-retransmit.toml").read_text(encoding="utf-8"),
                           {"field": "n", "what": "count", "segment": "server ACK"})
    doc = v.trace.to_json()
    dups = tuple(r for r, s in zip(v.trace.segments, doc["segments"]) if s["src"] == "server" and real_duplicate_ack(s, doc))
    assert len(dups) >= 3
    text = explain(Expected("n", "count", len(dups), "duplicate ACKs", matches=dups), v.trace)
    numbers = ", ".join(f"#{s.n}" for s in dups[:-1]) + f" and #{dups[-1].n}"
    assert text == f"{len(dups)}: {numbers} (duplicate ACKs of ack {dups[0].ack})"


# ----------------------------------------------------------------------- timeouts


def timeout_solution(shipped, qid: str, field: str, seed: int = 0) -> str:
    return solved(shipped, qid, seed)[1][field]


def test_a_timeout_computed_from_the_rtt_says_srtt_plus_4_rttvar(shipped):
    for seed in SEEDS:
        v, solutions = solved(shipped, "rt-rto-from-rtt", seed)
        text = solutions["rto"]
        assert "SRTT + 4 × RTTVAR" in text and "RFC 6298 2.2" in text, text
        assert "initial RTO" not in text
        srtt, rttvar = map(float, re.search(r"= ([\d.]+) \+ 4 × ([\d.]+) s", text).groups())
        assert srtt + 4 * rttvar == pytest.approx(v.expected["rto"].value, abs=1e-3)


def test_a_linux_timeout_names_the_200_ms_floor(shipped):
    text = timeout_solution(shipped, "rt-linux-rto", "rto")
    assert "TCP_RTO_MIN" in text and "200 ms" in text and "RFC 6298: the initial RTO" not in text


def test_a_backed_off_timeout_says_it_doubled(shipped):
    assert "4 s = 2 × 2 s" in timeout_solution(shipped, "rt-backoff", "timeout")
    assert "RFC 6298 5.5" in timeout_solution(shipped, "rt-backoff", "timeout")
    assert "8 s = 2 × 4 s" in timeout_solution(shipped, "rt-syn-schedule", "timeout")
    karn = timeout_solution(shipped, "rt-karn", "rto")
    assert "2 s = 2 × 1 s" in karn and "Karn" in karn


def _scenario_question(scenario_text: str, ask: dict):
    q = question_from_toml({"id": "t", "kind": "predict", "topics": ["retransmission"], "difficulty": 1,
                            "prompt": "p", "explanation": "e", "scenario": "mine", "ask": [ask]},
                           path="t.md", line_of=lambda key: 1, lesson="t", topics={"retransmission"})[0]
    return make_variant(q, 0, {"mine": scenario_text})


def test_data_after_a_lost_syn_starts_with_3_s_rfc_6298_5_7():
    v = _scenario_question('''
        steps = ["server listen", "drop next client->server SYN", "client connect", "wait 2s",
                 "drop next client->server DATA", "client send 100", "wait 10s"]
        [client]
        isn = 1000
        [server]
        isn = 5000
        ''', {"field": "rto", "what": "timeout", "endpoint": "client", "timer": "retransmission", "nth": 1})
    assert v.expected["rto"].value == 3.0
    (text,) = worked_solutions(v).values()
    assert text.startswith("3 s") and "RFC 6298 5.7" in text


def test_the_first_data_timeout_before_any_rtt_sample_is_the_initial_rto():
    v = _scenario_question('''
        steps = ["server listen", "client connect", "drop next client->server DATA", "client send 100", "wait 5s"]
        [client]
        isn = 1000
        [server]
        isn = 5000
        ''', {"field": "rto", "what": "timeout", "endpoint": "client", "timer": "retransmission", "nth": 1})
    (text,) = worked_solutions(v).values()
    value = v.expected["rto"].value
    assert text.startswith(f"{show(value)} s")
    # the handshake gave an RTT sample (SYN -> SYN-ACK), so the value is computed, or floored at 1 s
    assert "RFC 6298 2.4" in text or "SRTT + 4 × RTTVAR" in text, text


# ----------------------------------------------------------------------- the value once


def test_every_shipped_worked_solution_starts_with_its_value_and_is_shown_once(shipped):
    questions, _ = shipped
    for qid, q in questions.items():
        if q.kind != "predict":
            continue
        v, solutions = solved(shipped, qid, 0)
        for name, e in v.expected.items():
            shown = show(e.value)
            assert solutions[name].startswith(shown), (qid, name, solutions[name])
            line = expected_line(e.value, solutions[name])
            assert line.count(shown) == solutions[name].count(shown), (qid, name, line)


# ----------------------------------------------------------------------- flags


@pytest.mark.parametrize("flags, shown", [
    (["SYN", "ACK"], "[SYN, ACK]"), (["ACK", "FIN"], "[FIN, ACK]"), (["ACK", "PSH"], "[PSH, ACK]"),
    (["ACK", "FIN", "PSH"], "[FIN, PSH, ACK]"), (["ACK", "RST"], "[RST, ACK]"), ("ACK+FIN", "[FIN, ACK]"),
    (["SYN", "ACK", "ECE", "CWR"], "[SYN, ACK, ECE, CWR]"), (["RST"], "[RST]"),
])
def test_flags_are_shown_in_wireshark_order(flags, shown):
    assert wireshark_flags(flags) == shown
    assert wireshark_order(flags) == shown.strip("[]").split(", ")


def test_worked_solutions_show_flags_the_wireshark_way(shipped):
    v, solutions = solved(shipped, "hf-fin-flags", 0)
    assert "[FIN, ACK]" in solutions["client_flags"]
    assert "ACK+FIN from" not in " ".join(solutions.values())
    v, solutions = solved(shipped, "hs-final-ack-numbers", 0)
    assert "#2 ([SYN, ACK] from the server)" in solutions["ack"]


def test_the_lms_general_feedback_writes_each_value_once(shipped):
    """Moodle's and Canvas's worked answers are "field = <worked solution>", not "= 1001: 1001 = ..."."""
    import html as html_lib

    from tcptutor.export._fields import parts, solution_html

    questions, _ = shipped
    seen = 0
    for qid, q in questions.items():
        if q.kind != "predict":
            continue
        v, _ = solved(shipped, qid, 0)
        text = html_lib.unescape(solution_html(v))
        for p in parts(v):
            assert f"{p.shown}: {p.shown}" not in text, (qid, p.field)
            assert f"<b>{p.field}</b> = {p.solution}" in text, (qid, p.field)
            seen += 1
    assert seen > 100


def test_with_value_prefixes_only_a_solution_that_does_not_start_with_it():
    from tcptutor.grading.explain import with_value

    assert with_value("1001", "1001 = 1000 + 1: the SYN") == "1001 = 1000 + 1: the SYN"
    assert with_value("1001", "1001: a retransmission") == "1001: a retransmission"
    assert with_value("1001", "The SYN-ACK acknowledges the SYN.") == "1001: The SYN-ACK acknowledges the SYN."
    assert with_value("10", "1001: something") == "10: 1001: something"


def test_a_timeout_at_the_ceiling_says_the_doubling_stopped():
    scenarios = {p.stem: p.read_text(encoding="utf-8") for p in library.SCENARIOS.glob("*.toml")}
    texts = []
    for nth in (6, 7, 8):
        q = question_from_toml({"id": "t", "kind": "predict", "topics": ["retransmission"], "difficulty": 1,
                                "prompt": "p", "explanation": "e", "scenario": "syn-timeout",
                                "ask": [{"field": "t", "what": "timeout", "endpoint": "client", "timer": "syn", "nth": nth}]},
                               path="t.md", line_of=lambda key: 1, lesson="t", topics={"retransmission"})[0]
        v = make_variant(q, 0, scenarios)
        texts.append((v.expected["t"].value, worked_solutions(v)["t"]))
    (v6, t6), (v7, t7), (v8, t8) = texts
    assert (v6, v7, v8) == (32.0, 60.0, 60.0)  # 1, 2, 4, ... 32, then the RFC profile's 60 s ceiling
    assert t6.startswith("32 s = 2 × 16 s")
    assert t7.startswith("60 s: doubling the previous 32 s would pass the ceiling") and "RFC 6298 2.5" in t7
    assert t8.startswith("60 s: doubling the previous 60 s would pass the ceiling")


def _inline_variant(scenario: str, asks: list[dict], profile: str | None = None):
    data = {"id": "q", "kind": "predict", "topics": ["handshake"], "difficulty": 1, "prompt": "p",
            "explanation": "e", "scenario": scenario, "ask": asks, **({"profile": profile} if profile else {})}
    q, problems = question_from_toml(data, path="t.md", line_of=lambda key: 1, lesson="t", topics={"handshake"})
    assert not problems, problems
    return make_variant(q, 0, {})


def test_the_delayed_ack_persist_and_keepalive_timers_say_their_rule():
    delayed = _inline_variant('steps = ["server listen", "client connect", "client send 100", "wait 1s"]\n'
                              '[server]\ndelayed_ack = true\n',
                              [{"field": "t", "what": "timeout", "endpoint": "server", "timer": "delayed-ack"}])
    assert worked_solutions(delayed)["t"].startswith("0.2 s: the receiver held the ACK")
    persist = _inline_variant('steps = ["server listen", "client connect", "client send 3000", "wait 8s"]\n'
                              '[client]\nmss = 1000\n[server]\nwindow = 2000\nautoread = false\n',
                              [{"field": "a", "what": "timeout", "endpoint": "client", "timer": "persist"},
                               {"field": "b", "what": "timeout", "endpoint": "client", "timer": "persist", "nth": 2}])
    solved = worked_solutions(persist)
    assert "zero window" in solved["a"] and "RFC 1122 4.2.2.17" in solved["a"]
    assert solved["b"].startswith("2 s = 2 × 1 s: the window stayed zero")
    keepalive = _inline_variant(
        'steps = ["server listen", "client connect", "client send 100", "wait 3s", "client vanish", "wait 10s"]\n'
        '[server]\nkeepalive = true\nkeepalive_idle = "2s"\nkeepalive_interval = "1s"\nkeepalive_count = 3\n',
        [{"field": "a", "what": "timeout", "endpoint": "server", "timer": "keepalive"},
         {"field": "b", "what": "timeout", "endpoint": "server", "timer": "keepalive", "nth": 2},
         {"field": "c", "what": "timeout", "endpoint": "server", "timer": "keepalive", "nth": 3},
         {"field": "z", "what": "timeout", "endpoint": "server", "timer": "keepalive", "nth": -1},
         {"field": "probe", "what": "seq", "segment": "server ACK 2"}])
    solved = worked_solutions(keepalive)
    assert solved["probe"] == (f"{keepalive.expected['probe'].value} = SND.NXT − 1: a keep-alive probe repeats the last "
                               "sequence number the peer has already acknowledged, so a live peer must answer it with "
                               "an ACK (RFC 9293 3.8.4)")
    assert "keepalive_idle" in solved["a"] and "went idle" in solved["a"]
    assert "keepalive_idle" in solved["b"] and "answered the last probe" in solved["b"]
    assert "keepalive_interval" in solved["c"] and "reset" not in solved["c"]
    assert "keepalive_interval" in solved["z"] and "the connection is reset" in solved["z"]


def test_option_and_port_solutions_name_their_rule():
    v = _inline_variant('steps = ["server listen", "client connect", "client send 100"]\n',
                        [{"field": "m", "what": "mss", "segment": "client SYN"},
                         {"field": "n", "what": "mss", "segment": "client DATA 1"},
                         {"field": "w", "what": "wscale", "segment": "server SYN+ACK"},
                         {"field": "o", "what": "options", "segment": "client ACK"},
                         {"field": "p", "what": "dport", "segment": "server SYN+ACK"}])
    solved = worked_solutions(v)
    assert solved["m"].startswith("1460: the MSS option on #1") and "RFC 9293 3.7.1" in solved["m"]
    assert solved["n"].startswith("none: #4") and "only on SYNs" in solved["n"]
    assert solved["w"].startswith("none:") and "RFC 7323 2.2" in solved["w"]
    assert solved["o"].startswith("none: #3") and "20 bytes" in solved["o"]
    assert solved["p"].startswith("40000: #2 goes from the server to the client")
