"""CUBIC (RFC 9438) with Linux's constants (net/ipv4/tcp_cubic.c), in packets.

The expected numbers are worked out here from RFC 9438's equations with Linux's constants
(beta = 717/1024, C = 410/1024: bic_scale 41 * 10 / 1024), not read from the code.
"""

from __future__ import annotations

import pytest

from tcptutor.tcp import cc
from tcptutor.tcp.cc.cubic import Cubic
from tcptutor.tcp.scenario import parse_scenario
from tcptutor.tcp.simulator import Simulator

BETA = 717 / 1024
C = 410 / 1024
MSS = 1460
MS = 1_000
SECOND = 1_000_000


def rfc_k(w_max: float) -> float:
    """RFC 9438 4.2 equation 2: K = cbrt(W_max * (1 - beta) / C)."""
    return (w_max * (1 - BETA) / C) ** (1 / 3)


def rfc_w_cubic(t: float, w_max: float) -> float:
    """RFC 9438 4.2 equation 1: W_cubic(t) = C * (t - K)^3 + W_max."""
    return C * (t - rfc_k(w_max)) ** 3 + w_max


def grown_to(cwnd: int, rtt: int = 100 * MS) -> Cubic:
    """A cubic sender whose slow start reached `cwnd` packets, with one RTT sample."""
    algo = cc.make("cubic", MSS, 10, "linux")
    algo.on_rtt_sample(rtt, 0)
    algo.on_ack((cwnd - 10) * MSS, 0, acked_packets=cwnd - 10)
    assert algo.cwnd_packets == cwnd
    return algo


def after_fast_recovery(cwnd: int, rtt: int = 100 * MS) -> Cubic:
    algo = grown_to(cwnd, rtt)
    algo.on_fast_retransmit(0)
    algo.on_recovery_end(0)
    return algo


def rounds(algo: Cubic, start: int, rtt: int, count: int) -> list[tuple[float, int]]:
    """ACK one window per RTT, spread over the RTT: (seconds since `start`, cwnd) per round."""
    now, out = start, []
    for _ in range(count):
        window = algo.cwnd_packets
        for i in range(window):
            algo.on_ack(MSS, now + rtt * i // window, 1)
        now += rtt
        out.append(((now - start) / SECOND, algo.cwnd_packets))
    return out


def test_cubic_is_a_plug_in_in_packets_under_either_profile():
    for flavour in ("", "linux"):
        algo = cc.make("cubic", MSS, 10, flavour)
        assert isinstance(algo, Cubic) and algo.name == "cubic"
        assert (algo.cwnd, algo.cwnd_packets) == (10 * MSS, 10)
    assert "cubic" in cc.names()


def test_ssthresh_after_three_duplicate_acks_is_0_7_of_cwnd_not_below_2():
    for cwnd, expected in ((10, 7), (100, 70), (11, 7), (3, 2), (2, 2)):
        algo = grown_to(cwnd) if cwnd >= 10 else cc.make("cubic", MSS, cwnd, "linux")
        algo.on_fast_retransmit(0)
        assert algo.ssthresh_packets == max(int(cwnd * BETA), 2), cwnd
        assert algo.ssthresh_packets == expected
        assert algo.w_max == cwnd  # the first loss: W_max is the window it happened at
        algo.on_recovery_end(0)
        assert algo.cwnd_packets == expected


def test_reno_halves_where_cubic_keeps_0_7():
    reno = cc.make("reno", MSS, 10, "linux")
    cubic = cc.make("cubic", MSS, 10, "linux")
    for algo in (reno, cubic):
        algo.on_fast_retransmit(0)
    assert (reno.ssthresh_packets, cubic.ssthresh_packets) == (5, 7)


def test_fast_convergence_lowers_w_max_when_a_loss_comes_below_the_last_one():
    """RFC 9438 4.7: cwnd < W_max at a loss -> W_max = cwnd * (1 + beta) / 2."""
    algo = after_fast_recovery(100)  # W_max 100, cwnd 70
    rounds(algo, SECOND, 100 * MS, 15)
    cwnd = algo.cwnd_packets
    assert 70 < cwnd < 100
    algo.on_fast_retransmit(2 * SECOND)
    assert algo.w_max == int(cwnd * (1 + BETA) / 2)
    assert algo.ssthresh_packets == int(cwnd * BETA)
    # A loss above the last W_max takes the window as it is.
    algo = after_fast_recovery(100)
    algo.cwnd_packets = 120
    algo.on_fast_retransmit(SECOND)
    assert algo.w_max == 120


def test_k_is_the_time_the_curve_takes_back_to_w_max():
    algo = after_fast_recovery(100)
    algo.on_ack(MSS, SECOND, 1)  # the first ACK in congestion avoidance starts the epoch
    assert algo.k == pytest.approx(rfc_k(100), rel=2e-3)  # cbrt(100 * 0.3 / 0.4) = 4.22 s
    assert algo.k == pytest.approx(4.2158, abs=1e-3)
    assert algo.origin == 100


@pytest.mark.parametrize("t", [0.0, 0.5, 1.0, 2.0, 4.0, 4.2158, 5.0, 6.0])
def test_the_target_is_rfc_9438s_w_cubic(t):
    algo = after_fast_recovery(100)
    algo.on_ack(MSS, SECOND, 1)
    assert algo.w_cubic(t) == pytest.approx(rfc_w_cubic(t, 100), abs=0.05)


def test_the_window_follows_w_cubic_round_by_round():
    """ACKs of one window per 100 ms RTT: after each round cwnd is W_cubic(t) within a
    packet (concave up to W_max at K = 4.2 s, then convex above it)."""
    algo = after_fast_recovery(100)
    for t, cwnd in rounds(algo, SECOND, 100 * MS, 60):
        assert abs(cwnd - rfc_w_cubic(t, 100)) <= 1.5, (t, cwnd, rfc_w_cubic(t, 100))
    assert algo.cwnd_packets > 100  # past K: probing above the old maximum


def test_the_reno_friendly_region_grows_like_reno_when_the_curve_is_slower():
    """RFC 9438 4.3: W_est += alpha per RTT, alpha = 3 (1 - beta) / (1 + beta) = 0.53. At a
    10 ms RTT the curve is nearly flat for the first second, so cwnd follows W_est."""
    alpha = 3 * (1 - BETA) / (1 + BETA)
    algo = after_fast_recovery(100, rtt=10 * MS)
    for t, cwnd in rounds(algo, SECOND, 10 * MS, 100):
        n = round(t / 0.010)
        w_est = 70 + alpha * n
        assert w_est - 3 <= cwnd <= w_est + 1, (n, cwnd, w_est)
    assert algo.cwnd_packets > rfc_w_cubic(1.0, 100) + 25  # far above the curve


def test_an_rto_sets_cwnd_to_one_and_forgets_the_epoch_and_w_max():
    algo = after_fast_recovery(100)
    rounds(algo, SECOND, 100 * MS, 10)
    cwnd = algo.cwnd_packets
    algo.on_timeout(3 * SECOND)
    assert algo.cwnd_packets == 1
    assert algo.ssthresh_packets == int(cwnd * BETA)  # computed before the reset
    assert (algo.w_max, algo.epoch_start, algo.delay_min) == (0, None, 0)  # bictcp_reset
    # A repeated timeout keeps ssthresh (tcp_enter_loss in TCP_CA_Loss).
    ssthresh = algo.ssthresh_packets
    algo.on_timeout(4 * SECOND, repeated=True)
    assert (algo.cwnd_packets, algo.ssthresh_packets) == (1, ssthresh)


def test_after_an_rto_the_new_epoch_starts_at_the_window_and_grows_at_least_5_percent():
    """No W_max: K = 0 and the origin is cwnd; cnt is at most 20 (one packet per 20 acked)."""
    algo = grown_to(20)
    algo.on_timeout(0)  # ssthresh 14
    algo.on_rtt_sample(100 * MS, 0)
    algo.on_ack(13 * MSS, SECOND, acked_packets=13)  # slow start 1 -> 14
    assert algo.cwnd_packets == 14
    algo.on_ack(MSS, SECOND, 1)
    assert (algo.k, algo.origin) == (0.0, 14)
    assert algo.cnt == 20  # the curve is flat at its origin (cnt 100 * cwnd): capped
    rounds(algo, SECOND, 100 * MS, 2)  # 28 packets acked
    assert algo.cwnd_packets >= 15


# ---------------------------------------------------------------- in the simulator


def transfer(cc_name: str) -> tuple[Simulator, object]:
    """The kernel case of test_linux_cubic: 11 segments, the 1st lost, 14 more written later."""
    steps = ["server listen", "client connect", "drop next client->server DATA",
             "client send " + " ".join(["1460"] * 11), "wait 35ms",
             "client send " + " ".join(["1460"] * 14), "wait 1s"]
    text = f'steps = {steps!r}\n[client]\ncc = "{cc_name}"\n[net]\nprofile = "linux"\n'.replace("'", '"')
    simulator = Simulator(parse_scenario(text))
    return simulator, simulator.run()


def bursts(trace) -> list[int]:
    """New data segments the client sent at each instant after the fast retransmit."""
    out: dict[int, int] = {}
    after = False
    for record in trace.segments:
        seg = record.segment
        if seg.src != "client" or not seg.length:
            continue
        if seg.retransmission:
            after = True
        elif after:
            out[record.sent_at] = out.get(record.sent_at, 0) + 1
    return list(out.values())


def test_after_a_loss_cubic_sends_7_where_reno_sends_5():
    """cwnd 10 at the loss: Linux reno's recovery ends at 5, CUBIC's at 7 (both as measured)."""
    (_, reno), (cubic, cubic_trace) = transfer("reno"), transfer("cubic")
    assert bursts(reno) == [5, 6, 3]  # 5, then +1 in congestion avoidance, then the rest
    assert bursts(cubic_trace) == [7, 7]  # 7, then 7: the curve is flat just after the loss
    client = cubic.hosts["client"].conns["server"]
    assert client.sender.cc.ssthresh_packets == 7 and client.sender.cc.w_max == 10


def test_linux_profile_runs_cubic_by_default_and_rfc9293_newreno():
    for profile, expected in (("linux", "cubic"), ("rfc9293", "newreno")):
        text = f'steps = ["server listen", "client connect", "client send 100"]\n[net]\nprofile = "{profile}"\n'
        simulator = Simulator(parse_scenario(text))
        simulator.run()
        assert simulator.hosts["client"].conns["server"].sender.cc.name == expected
