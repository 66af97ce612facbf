"""Delayed ACKs (issue 11 point 3): which segments get an ACK, when, and what carries it.

rfc9293: an ACK for at least every second full-sized segment, otherwise within 200 ms
(RFC 9293 3.8.6.3, RFC 5681 4.2); an out-of-order segment or one that fills a hole is ACKed
at once. linux: what Linux 6.18 did against the TUN harness (tests/tcp/test_linux_delack.py):
a receiver that reads at once ACKs each segment at once unless the connection is pingpong
(its own data answered, or the peer's FIN arrived), then about 40 ms later or on its next
segment. Both: a pending ACK rides on whatever the receiver sends.
"""

from __future__ import annotations

import json
from pathlib import Path

from tcptutor.tcp.receiver import TCP_ATO_MIN, TCP_MAX_QUICKACKS, Receiver
from tcptutor.tcp.scenario import parse_scenario
from tcptutor.tcp.segment import Segment
from tcptutor.tcp.simulator import simulate
from tcptutor.tcp.trace import Note

ROOT = Path(__file__).resolve().parents[2]
ISS, IRS = 1000, 5000


def run(steps, *, profile="rfc9293", delayed_ack=True, extra_server=""):
    text = (f"steps = {json.dumps(['server listen', 'client connect', *steps])}\n"
            f"[client]\nisn = {ISS}\n[server]\nisn = {IRS}\ndelayed_ack = {str(delayed_ack).lower()}\n"
            f"{extra_server}[net]\nprofile = \"{profile}\"\n")
    return simulate(parse_scenario(text))


def after_handshake(trace):
    """(src, flags without PSH, seq, ack, len, sent_at in ms) of each segment after the third."""
    return [(r.segment.src, "+".join(sorted(f for f in r.segment.flags if f != "PSH")), r.segment.seq,
             r.segment.ack, r.segment.length, round(r.sent_at / 1000)) for r in trace.segments[3:]]


def server_acks(trace):
    return [(ack, at) for src, flags, _, ack, length, at in after_handshake(trace) if src == "server"]


# ------------------------------------------------------------------ rfc9293

def test_off_by_default_every_segment_is_acked_at_once():
    trace = run(["client send 100", "wait 1s"], delayed_ack=False)
    assert server_acks(trace) == [(ISS + 101, 40)]


def test_a_lone_segment_is_acked_by_the_timer_200_ms_later():
    trace = run(["client send 100", "wait 1s"])
    assert server_acks(trace) == [(ISS + 101, 240)]
    fired = [e for e in trace.events if e.timer]
    assert [(e.endpoint, e.timer["kind"], e.timer["timeout"]) for e in fired] == [("server", "delayed-ack", 0.2)]
    assert trace.segments[-1].segment.note == Note.DELAYED_ACK


def test_every_second_full_sized_segment_is_acked_at_once_rfc5681_4_2():
    trace = run(["client send 1460 1460 1460", "wait 1s"])
    # The 2nd arrives at 40 ms: ACK of both at once; the 3rd waits 200 ms.
    assert server_acks(trace) == [(ISS + 1 + 2920, 40), (ISS + 1 + 4380, 240)]


def test_full_sized_means_the_senders_segment_size():
    text = (f"steps = {json.dumps(['server listen', 'client connect', 'client send 536 536', 'wait 1s'])}\n"
            f"[client]\nisn = {ISS}\nmss = 536\n[server]\nisn = {IRS}\ndelayed_ack = true\n")
    trace = simulate(parse_scenario(text))
    assert server_acks(trace) == [(ISS + 1 + 1072, 40)]  # two 536-byte segments: ACKed at once


def test_the_timer_is_not_restarted_by_a_later_segment():
    trace = run(["client send 100", "wait 100ms", "client send 100", "wait 1s"])
    # One ACK for both, 200 ms after the first arrived (40 ms), not after the second.
    assert server_acks(trace) == [(ISS + 201, 240)]


def test_out_of_order_and_hole_filling_segments_are_acked_at_once():
    trace = run(["drop next client->server DATA", "client send 1460 1460 1460", "wait 2s"])
    # #2 and #3 arrive out of order: a duplicate ACK each at once; the retransmission of #1
    # (RTO 1 s) fills the hole: ACKed at once, all three.
    assert server_acks(trace) == [(ISS + 1, 40), (ISS + 1, 40), (ISS + 1 + 4380, 1040)]


def test_the_pending_ack_rides_on_the_receivers_data():
    trace = run(["client send 100", "server send 50", "wait 1s"])
    server = [s for s in after_handshake(trace) if s[0] == "server"]
    assert server == [("server", "ACK", IRS + 1, ISS + 101, 50, 40)]  # no pure ACK before or after
    assert not [e for e in trace.events if e.timer and e.timer["kind"] == "delayed-ack"]


def test_named_scenario_teardown_takes_three_segments():
    text = (ROOT / "content" / "scenarios" / "delayed-ack-teardown.toml").read_text()
    trace = simulate(parse_scenario(text))
    rows = after_handshake(trace)
    first_fin = next(i for i, r in enumerate(rows) if "FIN" in r[1])
    assert [(src, flags, ack) for src, flags, _, ack, _, _ in rows[first_fin:]] == [
        ("client", "ACK+FIN", IRS + 1), ("server", "ACK+FIN", ISS + 102), ("client", "ACK", IRS + 2)]
    assert trace.final == {"client": "CLOSED", "server": "CLOSED"}


def test_without_delayed_acks_the_same_teardown_takes_four_segments():
    text = (ROOT / "content" / "scenarios" / "delayed-ack-teardown.toml").read_text()
    trace = simulate(parse_scenario(text.replace("delayed_ack = true", "delayed_ack = false")))
    rows = after_handshake(trace)
    first_fin = next(i for i, r in enumerate(rows) if "FIN" in r[1])
    assert [(src, flags) for src, flags, *_ in rows[first_fin:]] == [
        ("client", "ACK+FIN"), ("server", "ACK"), ("server", "ACK+FIN"), ("client", "ACK")]


# ------------------------------------------------------------------ linux

def test_linux_reading_receiver_acks_each_segment_at_once():
    trace = run(["client send 100", "wait 100ms", "client send 100", "wait 100ms",
                 "client send 1460 1460 1460", "wait 1s"], profile="linux")
    assert [ack for ack, _ in server_acks(trace)] == [ISS + 101, ISS + 201, ISS + 1661, ISS + 3121, ISS + 4581]
    assert not [e for e in trace.events if e.timer]


def test_linux_fin_after_data_waits_40_ms_pingpong_tcp_fin():
    trace = run(["client send 100", "wait 100ms", "client close", "wait 1s"], profile="linux")
    # The FIN (sent at 150 ms) arrives at 160 ms; its ACK goes 40 ms later, alone.
    assert server_acks(trace) == [(ISS + 101, 40), (ISS + 102, 200)]
    assert trace.segments[-1].segment.note == Note.DELAYED_ACK


def test_linux_fin_before_any_data_is_acked_at_once():
    trace = run(["client close", "wait 1s"], profile="linux")
    assert server_acks(trace) == [(ISS + 2, 40)]


def test_linux_data_after_an_answer_waits_40_ms_then_rides_on_data():
    trace = run(["client send 100", "server send 50", "client send 100", "wait 1s"], profile="linux")
    # The answer at 50 ms (10 ms after the request) makes the connection pingpong: the
    # second request (arrives 80 ms) is ACKed by the timer 40 ms later.
    assert server_acks(trace) == [(ISS + 101, 40), (ISS + 101, 50), (ISS + 201, 120)]
    trace = run(["client send 100", "server send 50", "client send 100", "server send 50", "wait 1s"],
                profile="linux")
    assert [(ack, length) for src, _, _, ack, length, _ in after_handshake(trace) if src == "server"][-1] == (
        ISS + 201, 50)  # the second answer carries the ACK: no pure ACK before it
    assert not [e for e in trace.events if e.timer]


def test_linux_quick_ack_count_follows_tcp_incr_quickack():
    data = Segment("client", "server", IRS + 1, 1, frozenset({"ACK"}), length=100)
    big = Receiver(65535, delayed_ack=True, rules="linux")
    big.start_at(IRS)
    big.accept_in_order(data, lambda: None)
    assert big.ack_now(data, 0) and big.quick == TCP_MAX_QUICKACKS and big.ato == TCP_ATO_MIN
    small = Receiver(2000, delayed_ack=True, rules="linux")  # rcv_mss min(536, 2000 / 2) = 536
    small.start_at(IRS)
    small.ack_now(data, 0)
    assert small.quick == 2  # 2000 // (2 * 536) = 1, at least 2


def test_linux_ato_grows_when_the_timer_fires_and_adapts_to_the_gap():
    r = Receiver(65535, delayed_ack=True, rules="linux")
    r.start_at(IRS)
    first = Segment("client", "server", IRS + 1, 1, frozenset({"ACK"}), length=100)
    r.ack_now(first, 0)
    r.on_delayed_ack_timeout(rto=1_000_000)
    assert r.ato == 2 * TCP_ATO_MIN  # tcp_delack_timer_handler: "inflate ATO"
    second = Segment("client", "server", IRS + 101, 1, frozenset({"ACK"}), length=100)
    r.ack_now(second, 10_000)  # 10 ms later: ato / 2 + TCP_ATO_MIN / 2
    assert r.ato == TCP_ATO_MIN + TCP_ATO_MIN // 2
