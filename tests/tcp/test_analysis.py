"""tcptutor.tcp.analysis on small real traces from the simulator."""

from __future__ import annotations

import dataclasses

import pytest

from tcptutor import library
from tcptutor.tcp import analysis
from tcptutor.tcp.simulator import simulate
from tcptutor.tcp.trace import Note


def trace_of(name: str):
    return simulate(library.load_scenario(name))


def test_relative_numbers_count_from_each_direction_isn():
    t = trace_of("handshake")  # client ISN 1000, server ISN 5000
    rel = analysis.relative_numbers(t)
    assert [rel[r.n] for r in t.segments] == [(0, 0), (0, 1), (1, 1)]
    assert analysis.isns(t) == {("client", "server"): 1000, ("server", "client"): 5000}


def test_a_rst_from_a_closed_port_counts_from_its_own_first_seq():
    t = trace_of("closed-port")  # the RST+ACK has seq 0 and acknowledges the SYN
    assert analysis.isns(t)[("server", "client")] == 0
    assert analysis.relative_numbers(t)[2] == (0, 1)


def test_the_duplicate_acks_of_fast_retransmit_are_the_server_acks_after_the_loss():
    t = trace_of("fast-retransmit")  # #4 (the first data segment) is lost; #5-#8 arrive
    dups = analysis.duplicate_acks(t)
    assert dups == {9: (2, 1), 10: (2, 2), 11: (2, 3), 12: (2, 4)}  # each repeats the SYN-ACK's ack 1001
    assert [r.n for r in t.segments if analysis.is_duplicate_ack(t, r)] == [9, 10, 11, 12]
    assert not analysis.is_duplicate_ack(t, t.segment(14))  # the cumulative ACK after the repair


def test_retransmissions_and_what_they_resend():
    t = trace_of("fast-retransmit")
    assert [r.n for r in analysis.retransmissions(t)] == [13]
    assert analysis.resent_original(t, t.segment(13)).n == 4
    t = trace_of("lost-syn")
    assert [r.n for r in analysis.retransmissions(t)] == [2]
    assert analysis.resent_original(t, t.segment(2)).n == 1
    assert analysis.resent_original(t, t.segment(3)) is None


def test_the_event_a_segment_caused_and_the_event_that_sent_it():
    t = trace_of("fast-retransmit")
    assert str(analysis.sent_by(t, 13).cause) == "recv #11"  # the third duplicate ACK
    assert [str(e.cause) for e in analysis.caused_by(t, 11)] == ["recv #11"]
    assert analysis.caused_by(t, 4) == []  # lost: it caused nothing
    t = trace_of("lost-syn")
    sender = analysis.sent_by(t, 2)
    assert sender.cause.is_timeout and sender.cause.timer == "syn" and sender.endpoint == "client"


def test_the_state_of_an_endpoint_before_and_after_a_segment():
    t = trace_of("active-close")
    assert (analysis.state_before(t, "server", 4), analysis.state_after(t, "server", 4)) == ("ESTABLISHED", "CLOSE-WAIT")
    assert (analysis.state_before(t, "client", 4), analysis.state_after(t, "client", 4)) == ("ESTABLISHED", "FIN-WAIT-1")
    assert analysis.state_after(t, "client", 6) == "TIME-WAIT"
    assert analysis.state_after(t, "server", 7) == "CLOSED"
    assert analysis.state_after(t, "server", 5) == "CLOSE-WAIT"  # the ACK the server sent on #4's arrival


def test_a_lost_segment_changes_no_state_at_its_receiver():
    t = trace_of("lost-syn")
    assert analysis.state_after(t, "server", 1) is None
    assert analysis.state_after(t, "client", 1) == "SYN-SENT"


def test_states_of_an_endpoint_in_order():
    t = trace_of("active-close")
    assert analysis.states_of(t, "client") == ["CLOSED", "SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2",
                                                "TIME-WAIT", "CLOSED"]
    assert analysis.states_of(t, "server") == ["CLOSED", "LISTEN", "SYN-RECEIVED", "ESTABLISHED", "CLOSE-WAIT",
                                                "LAST-ACK", "CLOSED"]


def test_timer_expiries_by_endpoint_and_kind():
    t = trace_of("active-close")
    assert [(e.endpoint, e.timer["kind"], e.timer["timeout"]) for e in analysis.timer_expiries(t)] == [
        ("client", "time-wait", 240.0)]
    assert analysis.timer_expiries(t, "server") == []
    t = trace_of("lost-syn")
    assert [e.timer["timeout"] for e in analysis.timer_expiries(t, "client", "syn")] == [1.0]


def test_seg_len_counts_syn_and_fin():
    t = trace_of("active-close")
    assert [analysis.seg_len(r) for r in t.segments] == [1, 1, 0, 1, 0, 1, 0]
    assert analysis.end_seq(t.segment(4)) == 1002


@pytest.mark.parametrize("name", library.scenario_names())
def test_every_retransmission_resends_an_earlier_segment_or_a_syn_ack(name):
    t = trace_of(name)
    for r in analysis.retransmissions(t):
        original = analysis.resent_original(t, r)
        assert original is not None, (name, r.n)
        assert original.n < r.n and original.src == r.src


def test_a_challenge_ack_is_no_duplicate_ack():
    """RFC 5961's challenge ACK looks like a duplicate on the wire; it is not counted as one."""
    t = trace_of("fast-retransmit")
    r = t.segment(10)
    t.segments[9] = dataclasses.replace(r, segment=dataclasses.replace(r.segment, note=Note.CHALLENGE_ACK))
    assert 10 in analysis.duplicate_acks(t)  # what a capture tool flags
    assert [r.n for r in t.segments if analysis.is_duplicate_ack(t, r)] == [9, 11, 12]


def test_the_segment_a_seq_or_ack_counts_on_from():
    t = trace_of("active-close")
    assert analysis.seq_basis(t, t.segment(3)).n == 1  # the client's SYN took 1000
    assert analysis.seq_basis(t, t.segment(7)).n == 4  # ... and its FIN 1001
    assert analysis.ack_basis(t, t.segment(2)).n == 1  # the SYN-ACK acknowledges the SYN
    assert analysis.ack_basis(t, t.segment(7)).n == 6  # the last ACK, the server's FIN
    assert analysis.ack_basis(t, t.segment(1)) is None  # no ACK flag
    t = trace_of("fast-retransmit")
    assert analysis.ack_basis(t, t.segment(9)).n == 1  # #4 was lost: still the SYN's ack
    assert analysis.ack_basis(t, t.segment(14)).n == 8  # the repair fills the hole: up to #8
    # #5-#8 all arrive at the same instant, the one #9 leaves at: all count as arrived by then
    assert [r.n for r in analysis.arrived_before(t, t.segment(9))] == [1, 3, 5, 6, 7, 8]


def test_a_flood_does_not_lend_its_sequence_space_to_the_client_connection():
    """The server's SYN-ACKs to spoofed sources count in other sequence spaces."""
    t = trace_of("syn-flood-cookies")
    for r in t.segments:
        basis = analysis.seq_basis(t, r)
        if basis is not None:
            assert (basis.src, basis.dst) == (r.src, r.dst)
        basis = analysis.ack_basis(t, r)
        if basis is not None:
            assert (basis.src, basis.dst) == (r.dst, r.src)


def test_window_changes_are_the_acks_of_a_closing_and_reopening_window():
    trace = trace_of("zero-window")
    changes = analysis.window_changes(trace)
    server_acks = {n: w for n, w in changes.items() if trace.segment(n).src == "server"}
    # 2000 bytes of buffer: 1000 left, then none, then the read reopens it
    assert list(server_acks.values())[:3] == [1000, 0, 2000]
    assert analysis.window_changes(trace_of("handshake")) == {}  # a window that never changes
