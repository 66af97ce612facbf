"""The congestion-control interface, the registry, and the `none` plug-in."""

from __future__ import annotations

import pytest

from tcptutor.errors import TcptutorError
from tcptutor.tcp import cc
from tcptutor.tcp.cc import UNLIMITED, CongestionControl
from tcptutor.tcp.cc.newreno import NewReno
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
