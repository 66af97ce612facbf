"""Segment selectors: every documented form (content/README.md), bad selectors, and
select / select_all on traces from the real simulator."""

from __future__ import annotations

import pytest

from tcptutor.questions.selectors import Selector, parse_selector, select, select_all
from tcptutor.tcp.scenario import parse_scenario
from tcptutor.tcp.simulator import simulate
from tcptutor.tcp.trace import SegmentRecord, Trace

# Data both ways, then the client closes first: pure ACKs, data segments (which carry
# PSH), FINs from both sides.
DATA_AND_CLOSE = """
title = "data, then the client closes first"
steps = [
  "server listen",
  "client connect",
  "client send 100",
  "server send 300",
  "client send 50 20",
  "client close",
  "server close",
]
[client]
isn = 1000
[server]
isn = 5000
"""

# The client's first two SYNs are lost: two retransmitted SYNs.
LOST_SYNS = """
steps = [
  "server listen",
  "drop next client->server SYN",
  "drop next client->server SYN",
  "client connect",
  "wait 5s",
]
[client]
isn = 7
[server]
isn = 9
"""

# Four spoofed SYNs hit the listener, then the real client connects.
FLOOD = """
steps = ["server listen", "flood 4", "client connect"]
[client]
isn = 1000
[server]
isn = 5000
backlog = 16
"""


def trace_of(text: str) -> Trace:
    return simulate(parse_scenario(text, "<test>"))


def rec(fields: dict) -> SegmentRecord:
    """A segment record with the given contract fields (the rest: nothing in particular)."""
    return SegmentRecord.from_json({"dst": "server", "seq": 0, "ack": 0, "win": 65535, "sent_at": 0.0,
                                    "fate": "delivered", "arrived_at": 0.01, **fields})


@pytest.fixture(scope="module")
def data_trace() -> Trace:
    return trace_of(DATA_AND_CLOSE)


@pytest.fixture(scope="module")
def lost_syn_trace() -> Trace:
    return trace_of(LOST_SYNS)


@pytest.fixture(scope="module")
def flood_trace() -> Trace:
    return trace_of(FLOOD)


def numbers(segments) -> list[int]:
    return [s.field("n") for s in segments]


# --------------------------------------------------------------------- parsing


def test_segment_number():
    sel = parse_selector("#4")
    assert sel == Selector("#4", number=4)
    assert sel.matches(rec({"n": 4, "src": "server", "flags": ["ACK"], "len": 0}))
    assert not sel.matches(rec({"n": 5, "src": "server", "flags": ["ACK"], "len": 0}))


def test_sender_and_flags_all_must_be_set():
    sel = parse_selector("server SYN+ACK")
    assert sel.src == "server"
    assert sel.flags == frozenset({"SYN", "ACK"})
    assert not sel.pure_ack and not sel.data
    assert sel.nth == 1 and sel.retransmission is None
    assert sel.matches(rec({"n": 2, "src": "server", "flags": ["SYN", "ACK"], "len": 0}))
    assert not sel.matches(rec({"n": 2, "src": "server", "flags": ["SYN"], "len": 0}))
    assert not sel.matches(rec({"n": 2, "src": "client", "flags": ["SYN", "ACK"], "len": 0}))


def test_ack_alone_is_a_pure_ack():
    sel = parse_selector("client ACK")
    assert sel.pure_ack and sel.flags == frozenset({"ACK"})
    assert sel.matches(rec({"n": 3, "src": "client", "flags": ["ACK"], "len": 0}))
    # no SYN, FIN, RST, and no data
    for flags, length in ((["SYN", "ACK"], 0), (["ACK", "FIN"], 0), (["ACK", "RST"], 0), (["ACK", "PSH"], 10), (["ACK"], 1)):
        assert not sel.matches(rec({"n": 3, "src": "client", "flags": flags, "len": length})), (flags, length)


def test_data_with_match_number():
    sel = parse_selector("client DATA 2")
    assert sel.data and not sel.pure_ack and sel.flags == frozenset()
    assert sel.src == "client" and sel.nth == 2
    assert sel.matches(rec({"n": 9, "src": "client", "flags": ["ACK", "PSH"], "len": 1}))
    assert not sel.matches(rec({"n": 9, "src": "client", "flags": ["ACK"], "len": 0}))


def test_negative_match_number_counts_from_the_end():
    sel = parse_selector("server FIN -1")
    assert sel.src == "server" and sel.flags == frozenset({"FIN"}) and sel.nth == -1
    assert not sel.pure_ack


def test_retransmission():
    sel = parse_selector("client SYN retransmission")
    assert sel.retransmission is True and sel.flags == frozenset({"SYN"}) and sel.src == "client"
    seg = {"n": 2, "src": "client", "flags": ["SYN"], "len": 0, "retransmission": True}
    assert sel.matches(rec(seg))
    assert not sel.matches(rec({**seg, "retransmission": False}))


def test_any_with_match_number():
    sel = parse_selector("client ANY 3")
    assert sel.src == "client" and sel.flags == frozenset() and sel.nth == 3
    assert not sel.pure_ack and not sel.data and sel.retransmission is None
    for flags, length in ((["SYN"], 0), (["ACK"], 0), (["ACK", "PSH"], 5), (["RST"], 0)):
        assert sel.matches(rec({"n": 1, "src": "client", "flags": flags, "len": length}))


def test_spoof_matches_any_spoofed_source_only():
    sel = parse_selector("spoof SYN")
    assert sel.src == "spoof"
    assert sel.matches(rec({"n": 1, "src": "spoof-1", "flags": ["SYN"], "len": 0}))
    assert sel.matches(rec({"n": 2, "src": "spoof-17", "flags": ["SYN"], "len": 0}))
    assert not sel.matches(rec({"n": 3, "src": "client", "flags": ["SYN"], "len": 0}))
    # and a named sender never matches a spoofed one
    assert not parse_selector("client SYN").matches(rec({"n": 1, "src": "spoof-1", "flags": ["SYN"], "len": 0}))


def test_words_are_case_insensitive_and_combined_flags_may_use_commas():
    assert parse_selector("Server syn+ack").flags == frozenset({"SYN", "ACK"})
    assert parse_selector("SERVER SYN,ACK").src == "server"
    assert parse_selector("server FIN+ACK").flags == frozenset({"FIN", "ACK"})
    assert parse_selector("client RST+ACK").flags == frozenset({"RST", "ACK"})


def test_sender_alone_and_retransmission_alone_are_enough():
    assert parse_selector("server").src == "server"
    assert parse_selector("retransmission").retransmission is True


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty selector"),
        ("   ", "empty selector"),
        ("#x", "segment number like #3"),
        ("#", "segment number like #3"),
        ("#0", "start at #1"),
        ("#-2", "start at #1"),
        ("client SYN 0", "counts from 1"),
        ("client BOGUS", "unknown word 'BOGUS'"),
        ("client SYN+BOGUS", "unknown word 'SYN+BOGUS'"),
        ("client +", "unknown word '+'"),
        ("client server SYN", "unknown word 'server'"),
        ("#4 client", "unknown word '#4'"),
        ("3", "selects nothing in particular"),
    ],
)
def test_bad_selectors_say_what_was_expected(text, fragment):
    with pytest.raises(ValueError) as err:
        parse_selector(text)
    message = str(err.value)
    assert fragment in message
    # helpful: an example or the words that are allowed
    assert any(hint in message for hint in ("SYN+ACK", "#3", "#1", "sender", "-1", "client/server")), message


# --------------------------------------------------------- on simulated traces


def test_the_trace_used_here_is_what_the_tests_assume(data_trace):
    segs = data_trace.segments
    summary = [(s.field("n"), s.field("src"), "+".join(sorted(s.field("flags"))), s.field("len")) for s in segs]
    assert summary == [
        (1, "client", "SYN", 0),
        (2, "server", "ACK+SYN", 0),
        (3, "client", "ACK", 0),
        (4, "client", "ACK+PSH", 100),
        (5, "server", "ACK", 0),
        (6, "server", "ACK+PSH", 300),
        (7, "client", "ACK", 0),
        (8, "client", "ACK+PSH", 50),
        (9, "client", "ACK+PSH", 20),
        (10, "server", "ACK", 0),
        (11, "server", "ACK", 0),
        (12, "client", "ACK+FIN", 0),
        (13, "server", "ACK", 0),
        (14, "server", "ACK+FIN", 0),
        (15, "client", "ACK", 0),
    ]


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("#4", 4),
        ("#15", 15),
        ("client SYN", 1),
        ("server SYN+ACK", 2),
        ("client ACK", 3),  # the first *pure* ACK: #4 carries data
        ("client ACK 2", 7),
        ("client ACK -1", 15),
        ("server ACK", 5),
        ("client DATA", 4),
        ("client DATA 2", 8),
        ("client DATA -1", 9),
        ("server DATA", 6),
        ("client FIN", 12),
        ("server FIN -1", 14),
        ("client FIN+ACK", 12),
        ("client ANY 3", 4),
        ("client ANY -1", 15),
        ("server ANY 1", 2),
        ("ACK", 3),  # no sender: anybody's first pure ACK
        ("ANY -1", 15),
        ("client ACK+PSH", 4),
    ],
)
def test_select_names_one_segment(data_trace, text, n):
    seg = select(parse_selector(text), data_trace)
    assert seg is not None, text
    assert seg.field("n") == n


@pytest.mark.parametrize(
    "text",
    ["#16", "client ANY 9", "client ANY -9", "server SYN 2", "client RST", "client SYN retransmission", "spoof SYN", "server DATA 2"],
)
def test_select_returns_none_when_the_trace_has_no_such_segment(data_trace, text):
    assert select(parse_selector(text), data_trace) is None


def test_select_all(data_trace):
    assert numbers(select_all(parse_selector("client ACK"), data_trace)) == [3, 7, 15]
    assert numbers(select_all(parse_selector("server ACK"), data_trace)) == [5, 10, 11, 13]
    assert numbers(select_all(parse_selector("client DATA"), data_trace)) == [4, 8, 9]
    assert numbers(select_all(parse_selector("FIN"), data_trace)) == [12, 14]
    assert numbers(select_all(parse_selector("client ANY"), data_trace)) == [1, 3, 4, 7, 8, 9, 12, 15]
    assert numbers(select_all(parse_selector("#6"), data_trace)) == [6]
    # select_all ignores the match number: it is every match
    assert numbers(select_all(parse_selector("client DATA 2"), data_trace)) == [4, 8, 9]


def test_select_agrees_with_select_all(data_trace):
    for text in ("client ACK", "server ACK", "client DATA", "client ANY", "server ANY"):
        everything = select_all(parse_selector(text), data_trace)
        for i, seg in enumerate(everything, 1):
            assert select(parse_selector(f"{text} {i}"), data_trace) is seg
            assert select(parse_selector(f"{text} {i - len(everything) - 1}"), data_trace) is seg


def test_retransmission_selectors(lost_syn_trace):
    syns = select_all(parse_selector("client SYN"), lost_syn_trace)
    assert [s.field("retransmission") for s in syns] == [False, True, True]
    first_retx = select(parse_selector("client SYN retransmission"), lost_syn_trace)
    assert first_retx is syns[1]
    assert first_retx.field("seq") == 7 and first_retx.field("sent_at") == 1.0
    assert select(parse_selector("client SYN retransmission -1"), lost_syn_trace) is syns[2]
    assert numbers(select_all(parse_selector("client SYN retransmission"), lost_syn_trace)) == [s.field("n") for s in syns[1:]]
    assert select(parse_selector("client SYN original"), lost_syn_trace) is syns[0]
    assert select(parse_selector("server SYN+ACK"), lost_syn_trace).field("ack") == 8


def test_spoof_selectors(flood_trace):
    spoofed = select_all(parse_selector("spoof SYN"), flood_trace)
    assert len(spoofed) == 4
    assert all(s.field("src").startswith("spoof-") for s in spoofed)
    assert select(parse_selector("client SYN"), flood_trace).field("src") == "client"
    assert select(parse_selector("spoof ANY -1"), flood_trace) is spoofed[-1]
    assert select(parse_selector("spoof SYN 5"), flood_trace) is None
