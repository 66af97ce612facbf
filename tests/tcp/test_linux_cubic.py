"""Kernel cases for CUBIC, Linux's default congestion control (issue 11 point 1).

The TUN harness of test_linux_loss.py compares the `linux` profile with Linux segment by
segment, with that module's rules and tolerances; the kernel socket runs the case's `cc`
(TCP_CONGESTION: cubic by default, reno where a case says so).

What Linux 6.18 did (10 ms links, no SACK, no timestamps): 11 segments of 1460 bytes, the
1st lost: 10 go out (TCP_INIT_CWND), the first duplicate ACK lets the 11th out, the third
resends the 1st. With nothing more to send the recovery sends nothing new; 14 more segments
written after the full ACK then go out as cwnd = ssthresh allows:
- cubic: 7 at once (cwnd 10 * 717 / 1024), then 7 again (the curve is flat right after the
  loss: W_cubic(RTT) is still 7, K = cbrt(3 / 0.4) = 2 s);
- reno: 5 at once (cwnd 10 / 2), then 6 (+1 per cwnd acked), then the last 3.
The RTO cases of test_linux_loss.py run with cubic too (cwnd = 1 after an RTO either way);
an RTT sample before the loss would not change these numbers, but a first `send 1000` does:
Linux grows cwnd only while the sender is cwnd-limited (tcp_is_cwnd_limited), which the
simulator does not model, so one segment in flight leaves Linux at 10, the simulator at 11.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_linux_loss import Case, SETUP, assert_kernel_agrees, case_ids, kernel_runs_of  # noqa: E402


def burst(n: int) -> str:
    return "client send " + " ".join(["1460"] * n)


LOSS_THEN_MORE = (*SETUP, "drop next client->server DATA", burst(11), "wait 35ms", burst(14), "wait 1s")

CASES: dict[str, Case] = {
    "cubic: 1 of 11 lost, recovery ends at cwnd 7, 14 more go as 7 + 7 (kernel sender)": Case(
        "1", "client", LOSS_THEN_MORE),
    "reno: 1 of 11 lost, recovery ends at cwnd 5, 14 more go as 5 + 6 + 3 (kernel sender)": Case(
        "1", "client", LOSS_THEN_MORE, toml='[client]\ncc = "reno"\n'),
}

@pytest.fixture(scope="module")
def kernel_runs():
    yield from kernel_runs_of(CASES)


@pytest.mark.linux
@pytest.mark.parametrize("name", list(CASES), ids=case_ids(CASES))
def test_simulator_matches_kernel(name, kernel_runs):
    assert_kernel_agrees(name, CASES[name], kernel_runs[name].result())

