"""The congestion-control interface, the registry, and the `none` plug-in."""

from __future__ import annotations

import pytest

from tcptutor.errors import TcptutorError
from tcptutor.tcp import cc
from tcptutor.tcp.cc import UNLIMITED, CongestionControl
from tcptutor.tcp.cc.linux import LinuxReno
from tcptutor.tcp.cc.newreno import NewReno, Tahoe
from tcptutor.tcp.cc.none import NoCongestionControl
from tcptutor.tcp.scenario import parse_scenario
from tcptutor.tcp.simulator import Simulator


def test_make_returns_a_fresh_plug_in_by_name():
    a, b = cc.make("none", 1460, 1), cc.make("none", 536, 4)
    assert isinstance(a, NoCongestionControl) and a is not b
    assert (a.name, a.mss, a.iw, b.mss, b.iw) == ("none", 1460, 1, 536, 4)
    assert "none" in cc.names()


def test_an_unknown_name_is_one_clear_error():
    with pytest.raises(TcptutorError, match="unknown congestion control 'vegas' \\(known: .*none"):
        cc.make("vegas", 1460, 1)


def test_none_never_limits_the_sender_and_its_hooks_change_nothing():
    algo = cc.make("none", 1460, 1)
    for hook in (lambda: algo.on_ack(1460, 10), lambda: algo.on_duplicate_ack(3, 20),
                 lambda: algo.on_fast_retransmit(20), lambda: algo.on_timeout(30)):
        hook()
        assert (algo.cwnd, algo.ssthresh) == (UNLIMITED, UNLIMITED)
    assert algo.can_send(0, 1460) and algo.can_send(10**9, 65535)


def test_the_base_class_limits_flight_to_cwnd_and_a_registered_plug_in_is_made_by_name():
    @cc.register("test-fixed-2mss")
    class TwoSegments(CongestionControl):
        @property
        def cwnd(self) -> int:
            return 2 * self.mss

    try:
        algo = cc.make("test-fixed-2mss", 1000, 1)
        assert isinstance(algo, TwoSegments) and algo.name == "test-fixed-2mss"
        assert algo.can_send(1000, 1000) and not algo.can_send(1001, 1000)
    finally:
        del cc._REGISTRY["test-fixed-2mss"]


def test_the_sender_asks_the_cc_before_each_data_segment():
    """A cc that refuses everything stops data (not the handshake); by default NewReno runs."""
    scenario = parse_scenario('steps = ["server listen", "client connect", "client send 3000"]\n')
    sim = Simulator(scenario)
    sim.run()
    conn = sim.hosts["client"].conns["server"]
    assert isinstance(conn.sender.cc, NewReno) and conn.sender.cc.mss == 1460
    assert conn.snd_una == conn.snd_nxt and conn.written == 3000

    asked = []

    class Refuse(CongestionControl):
        def can_send(self, bytes_in_flight: int, size: int) -> bool:
            asked.append((bytes_in_flight, size))
            return False

    conn.sender.cc = Refuse(1460, 1)
    before = conn.snd_nxt
    conn.send((2000,), sim.now)
    assert asked == [(0, 1460)] and conn.snd_nxt == before and conn.out == []
    assert [length for length, _, _ in conn.unsent] == [1460, 540]


# ---------------------------------------------------------------- NewReno, Reno, Tahoe (bytes)

SMSS = 1000


def test_rfc5681_initial_window_by_smss():
    assert [cc.initial_window(m) for m in (536, 1095, 1096, 1460, 2190, 2191, 9000)] == [4, 4, 3, 3, 3, 2, 2]


def test_newreno_slow_start_adds_at_most_one_smss_per_ack():
    algo = cc.make("newreno", SMSS, 3)
    assert (algo.cwnd, algo.ssthresh) == (3000, UNLIMITED)
    algo.on_ack(100, 0)  # a small segment: cwnd grows by what was acknowledged
    assert algo.cwnd == 3100
    algo.on_ack(5000, 0)  # a stretch ACK: still one SMSS (RFC 5681 3.1 equation 2)
    assert algo.cwnd == 4100
    assert algo.can_send(3100, 1000) and not algo.can_send(3101, 1000)


def test_newreno_congestion_avoidance_adds_smss_squared_over_cwnd():
    algo = cc.make("newreno", SMSS, 4)
    algo.on_timeout(0, bytes_in_flight=8000)  # ssthresh 4000, cwnd 1 SMSS
    assert (algo.cwnd, algo.ssthresh) == (1000, 4000)
    for expected in (2000, 3000, 4000):  # slow start up to ssthresh
        algo.on_ack(1000, 0)
        assert algo.cwnd == expected
    algo.on_ack(1000, 0)  # cwnd >= ssthresh: 1000*1000 // 4000
    assert algo.cwnd == 4250
    algo.on_ack(1000, 0)
    assert algo.cwnd == 4250 + 1000 * 1000 // 4250


def test_newreno_timeout_halves_the_flight_not_below_two_smss_and_holds_it_when_repeated():
    algo = cc.make("newreno", SMSS, 10)
    algo.on_timeout(0, bytes_in_flight=3000)
    assert (algo.cwnd, algo.ssthresh) == (1000, 2000)  # max(1500, 2 SMSS)
    algo.on_ack(1000, 0)
    algo.on_timeout(0, bytes_in_flight=1000, repeated=True)  # RFC 5681 3.1: ssthresh kept
    assert (algo.cwnd, algo.ssthresh) == (1000, 2000)


def test_newreno_fast_recovery_inflates_deflates_and_ends_at_ssthresh():
    algo = cc.make("newreno", SMSS, 10)
    for count in (1, 2, 3):
        algo.on_duplicate_ack(count, 0)
    assert algo.cwnd == 10_000  # duplicate ACKs before the fast retransmit change nothing
    algo.on_fast_retransmit(0, bytes_in_flight=8000)
    assert (algo.cwnd, algo.ssthresh) == (4000 + 3000, 4000)
    algo.on_duplicate_ack(4, 0)
    algo.on_duplicate_ack(5, 0)
    assert algo.cwnd == 9000  # RFC 6582 3.2 step 3: one SMSS per further duplicate
    algo.on_partial_ack(2000, 0)  # deflate by 2000, add back one SMSS
    assert algo.cwnd == 8000
    algo.on_partial_ack(500, 0)  # less than one SMSS: nothing added back
    assert algo.cwnd == 7500
    algo.on_recovery_end(0)
    assert (algo.cwnd, algo.ssthresh) == (4000, 4000)
    algo.on_ack(1000, 0)  # back in congestion avoidance
    assert algo.cwnd == 4250


def test_reno_and_tahoe_differ_from_newreno_only_around_the_fast_retransmit():
    reno, tahoe, newreno = (cc.make(name, SMSS, 10) for name in ("reno", "tahoe", "newreno"))
    assert (newreno.fast_recovery, newreno.partial_ack_resends) == (True, True)
    assert (reno.fast_recovery, reno.partial_ack_resends) == (True, False)
    assert tahoe.fast_recovery is False
    tahoe.on_fast_retransmit(0, bytes_in_flight=8000)
    assert (tahoe.cwnd, tahoe.ssthresh) == (1000, 4000)  # no fast recovery: 1 SMSS


# ---------------------------------------------------------------- Linux's reno (packets)


def test_linux_flavour_of_reno_counts_packets():
    algo = cc.make("reno", 1460, 10, "linux")
    assert isinstance(algo, LinuxReno) and algo.name == "reno"
    assert cc.make("newreno", 1460, 10, "linux").__class__ is LinuxReno
    assert cc.make("tahoe", 1460, 10, "linux").__class__ is Tahoe  # no Linux version: the RFC's
    in_flight = [9]
    algo.packets_in_flight = lambda: in_flight[0]
    assert algo.can_send(10**6, 100)  # bytes do not matter: 9 packets < cwnd 10
    in_flight[0] = 10
    assert not algo.can_send(0, 1)


def test_linux_reno_slow_start_adds_every_packet_acked_then_avoidance_counts_them():
    algo = cc.make("reno", 1460, 10, "linux")
    algo.on_ack(3 * 1460, 0, acked_packets=3)  # tcp_slow_start: + packets acked, not 1 MSS
    assert algo.cwnd_packets == 13
    algo.on_timeout(0)  # tcp_reno_ssthresh: max(cwnd / 2, 2), of cwnd
    assert (algo.cwnd_packets, algo.ssthresh_packets) == (1, 6)
    algo.on_ack(1460, 0, acked_packets=1)
    algo.on_ack(4 * 1460, 0, acked_packets=4)  # 2 -> 6 (ssthresh), 0 left over
    assert algo.cwnd_packets == 6
    algo.on_ack(5 * 1460, 0, acked_packets=5)  # tcp_cong_avoid_ai: 5 of 6 counted
    assert (algo.cwnd_packets, algo.cwnd_count) == (6, 5)
    algo.on_ack(1460, 0, acked_packets=1)
    assert (algo.cwnd_packets, algo.cwnd_count) == (7, 0)
    assert algo.cwnd == 7 * 1460


def test_linux_reno_recovery_halves_cwnd_and_ends_at_ssthresh():
    algo = cc.make("reno", 1460, 10, "linux")
    algo.on_fast_retransmit(0, bytes_in_flight=4 * 1460)  # of cwnd (10), not the flight (4)
    assert (algo.ssthresh_packets, algo.cwnd_packets) == (5, 8)
    algo.on_partial_ack(2920, 0, acked_packets=2)
    assert algo.cwnd_packets == 7
    algo.on_recovery_end(0)
    assert algo.cwnd_packets == 5


def test_limited_transmit_lets_one_segment_out_per_early_duplicate_and_not_into_ssthresh():
    algo = cc.make("newreno", SMSS, 2)
    assert not algo.can_send(2000, 1000)
    algo.on_duplicate_ack(1, 0)
    assert algo.can_send(2000, 1000) and not algo.can_send(3000, 1000)
    algo.on_duplicate_ack(2, 0)
    assert algo.can_send(3000, 1000) and algo.cwnd == 2000  # RFC 3042: cwnd unchanged
    algo.on_duplicate_ack(3, 0)
    algo.on_fast_retransmit(0, bytes_in_flight=4000)  # 2000 of it sent by limited transmit
    assert (algo.ssthresh, algo.cwnd) == (2000, 5000)  # max(2000 / 2, 2 SMSS), + 3 SMSS
    algo.on_recovery_end(0)
    assert not algo.can_send(2000, 1000)


def test_linux_reno_counts_early_duplicates_out_of_the_flight():
    algo = cc.make("reno", 1460, 3, "linux")
    in_flight = [3]
    algo.packets_in_flight = lambda: in_flight[0]
    assert not algo.can_send(0, 1460)
    algo.on_duplicate_ack(1, 0)  # tcp_add_reno_sack: sacked_out 1, in flight 2 < 3
    assert algo.can_send(0, 1460)
    in_flight[0] = 4  # that segment went out
    algo.on_duplicate_ack(2, 0)
    assert algo.can_send(0, 1460)
    in_flight[0] = 5
    algo.on_ack(1460, 0, acked_packets=1)  # a new ACK: sacked_out 0, cwnd 4 by slow start
    in_flight[0] = 4
    assert algo.cwnd_packets == 4 and not algo.can_send(0, 1460)
