"""Kernel cases for congestion control (issue 11 point 1): the initial window after lost
SYNs, slow start growth per ACK, and the window after an idle period.

The TUN harness of test_linux_loss.py (the kernel as one endpoint, a live tcptutor Host as
the other) compares the `linux` profile with Linux segment by segment, with that module's
rules and tolerances. The namespace runs net.ipv4.tcp_congestion_control = reno (the harness
sets it; CUBIC is modelled separately), net.ipv4.tcp_slow_start_after_idle = 1 (the default).

What Linux 6.18 did (10 ms links, no SACK, no timestamps):
- after two lost SYNs (connected at about 3 s) a write of 4 x 1460 goes out one segment at a
  time: cwnd 1 (tcp_init_transfer: TCP_INIT_CWND only when no SYN was retransmitted beyond
  the first, RFC 5681 3.1 "the initial window MUST be set to one segment");
- 30 x 1460 with IW 10: 10 at once, then two new segments per ACK (slow start, cwnd + 1 per
  segment ACKed, tcp_slow_start), so 10, 20 in the next round trip;
- 20 x 1460, 2 s of silence, 20 x 1460 again: after the idle period the second write starts
  with 10 segments, not cwnd (tcp_slow_start_after_idle_check -> tcp_cwnd_restart halves cwnd
  once per RTO of idle time, never below the restart window min(IW, cwnd)).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_linux_loss import Case, SETUP, assert_kernel_agrees, case_ids, kernel_runs_of  # noqa: E402

RENO = '[client]\ncc = "reno"\n[server]\ncc = "reno"\n'


def full_segments(n: int) -> str:
    return "client send " + " ".join(["1460"] * n)


CASES: dict[str, Case] = {
    "one segment after two lost SYNs: 4 x 1460 one at a time (kernel client)": Case(
        "1", "client", ("server listen", "drop next client->server SYN", "drop next client->server SYN",
                        "client connect", "wait 3s", full_segments(4), "wait 1s"), toml=RENO),
    "slow start: 30 x 1460 with IW 10, two new segments per ACK (kernel client)": Case(
        "1", "client", (*SETUP, full_segments(30), "wait 1s"), toml=RENO),
    "idle restart: 20 x 1460, 2 s idle, 20 x 1460 start again at IW (kernel client)": Case(
        "1", "client", (*SETUP, full_segments(20), "wait 2s", full_segments(20), "wait 1s"), toml=RENO),
}

@pytest.fixture(scope="module")
def kernel_runs():
    yield from kernel_runs_of(CASES)


@pytest.mark.linux
@pytest.mark.parametrize("name", list(CASES), ids=case_ids(CASES))
def test_simulator_matches_kernel(name, kernel_runs):
    assert_kernel_agrees(name, CASES[name], kernel_runs[name].result())
