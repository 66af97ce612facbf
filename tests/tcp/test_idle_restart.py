"""The window after an idle period (RFC 5681 4.1; Linux tcp_cwnd_restart, issue 11 point 1).

A sender that has sent no data for longer than the RTO starts again from the restart
window min(IW, cwnd) instead of bursting a whole grown cwnd into a network it no longer
knows. The kernel case is in test_linux_cc.py (20 x 1460, 2 s idle, 20 x 1460: 10 at once).
"""

from __future__ import annotations

import json

import pytest

from tcptutor.tcp.cc import UNLIMITED
from tcptutor.tcp.cc.linux import TCP_INFINITE_SSTHRESH, LinuxReno
from tcptutor.tcp.cc.newreno import NewReno
from tcptutor.tcp.scenario import parse_scenario
from tcptutor.tcp.simulator import simulate

MSS = 1460
BURST = "client send " + " ".join(["1460"] * 20)


def second_burst_at_once(profile: str, idle: str, cc: str = "") -> int:
    """Data segments the client puts on the wire at the instant of its second write."""
    steps = ["server listen", "client connect", BURST, f"wait {idle}", BURST, "wait 5s"]
    extra = f'cc = "{cc}"\n' if cc else ""
    trace = simulate(parse_scenario(
        f'steps = {json.dumps(steps)}\n[client]\n{extra}[net]\nprofile = "{profile}"\n')).to_json()
    data = [s for s in trace["segments"] if s["src"] == "client" and s["len"]]
    second = data[20]
    return sum(1 for s in data[20:] if s["sent_at"] == second["sent_at"])


@pytest.mark.parametrize(("profile", "iw"), [("rfc9293", 3), ("linux", 10)])
def test_after_an_idle_period_longer_than_the_rto_the_sender_starts_from_the_initial_window(profile, iw):
    assert second_burst_at_once(profile, "2s") == iw


@pytest.mark.parametrize("cc", ["reno", "newreno", "tahoe"])
def test_every_rfc_algorithm_restarts_at_the_initial_window(cc):
    assert second_burst_at_once("rfc9293", "2s", cc) == 3


@pytest.mark.parametrize("profile", ["rfc9293", "linux"])
def test_an_idle_period_shorter_than_the_rto_keeps_the_grown_window(profile):
    # Slow start grew cwnd well past the initial window during the first 20 segments.
    assert second_burst_at_once(profile, "100ms") == 20


def test_no_congestion_control_never_restarts():
    assert second_burst_at_once("rfc9293", "2s", "none") == 20


def test_rfc_restart_window_is_min_of_iw_and_cwnd_and_ssthresh_stays():
    algo = NewReno(MSS, 3)
    algo._cwnd, algo._ssthresh = 20 * MSS, 8 * MSS
    algo.on_idle_restart(2_000_000, 1_000_000, 3)
    assert (algo.cwnd, algo.ssthresh) == (3 * MSS, 8 * MSS)
    algo._cwnd = 2 * MSS  # below IW already: RW = cwnd
    algo.on_idle_restart(2_000_000, 1_000_000, 3)
    assert algo.cwnd == 2 * MSS


def test_linux_halves_cwnd_once_per_rto_of_idle_time_down_to_the_restart_window():
    """tcp_cwnd_restart: while ((delta -= rto) > 0 && cwnd > restart_cwnd) cwnd >>= 1."""
    algo = LinuxReno(MSS, 10)
    algo.cwnd_packets = 40
    algo.on_idle_restart(300_000, 200_000, 10)  # one RTO beyond the first: halved once
    assert algo.cwnd_packets == 20 and algo.ssthresh_packets == TCP_INFINITE_SSTHRESH
    algo.cwnd_packets, algo.ssthresh_packets = 40, 5
    algo.on_idle_restart(2_000_000, 200_000, 10)  # many RTOs: down to min(IW, cwnd) = 10
    # tcp_current_ssthresh: max(ssthresh, 3/4 cwnd) of the cwnd before the restart
    assert (algo.cwnd_packets, algo.ssthresh_packets) == (10, 30)
    assert UNLIMITED > algo.ssthresh
