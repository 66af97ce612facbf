"""Flow control against the Linux kernel (the TUN harness, tcptutor/lab/tun.py).

- The kernel as sender against a simulated receiver that does not read (`autoread = false`):
  (3000 bytes: with 4000 the kernel took only 3460 into its send buffer at first, a sndbuf
  matter outside flow control)
  its window closes, the kernel probes it (tcp_probe_timer / tcp_send_probe0: SND.UNA-1, no
  data, at max(RTO, 200 ms) doubling, the timer restarted by each answer, tcp_ack_probe), then
  a read's window update lets it resume. Compared segment by segment with the simulator.
- The kernel as a receiver that does not read (SO_RCVBUF = the scenario's window): a
  measurement of the kernel; its window values depend on skb overhead (tcp_space), so only
  the facts are asserted: its window reaches 0, the simulated sender probes, and a read
  draws a window update at once (tcp_cleanup_rbuf).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from tcptutor.lab.tun import run_kernel_cases, tun_available  # noqa: E402
from test_linux_loss import Case, outcome  # noqa: E402

CASES = {
    # 50 ms one way: the peer answers probes 0.7 s and 1.3 s apart, well clear of its 500 ms
    # out-of-window rate limit (__tcp_oow_rate_limited). At 10 ms the second probe fell 450 ms
    # after the last answer, and the kernel's probe timer firing up to 1/8 late decided whether
    # the peer answered it: the comparison then turned on timer slack, not on flow control.
    "zero window, probes, window update (kernel sender)": Case("flow", "client", (
        "server listen", "client connect", "client send 3000", "wait 3s", "server read all", "wait 1s"),
        toml="[client]\nmss = 1000\n[server]\nwindow = 2000\nautoread = false\n", net='latency = "50ms"\n'),
}
RECEIVER = Case("flow", "server", (
    "server listen", "client connect", "client send 20000", "wait 3s", "server read all", "wait 1s"),
    toml="[client]\nmss = 1000\n[server]\nwindow = 4000\nautoread = false\n")
RECEIVER_NAME = "a receiver that does not read (kernel receiver)"


@pytest.fixture(scope="module")
def kernel_runs():
    if (reason := tun_available()) is not None:
        pytest.skip(reason)
    jobs = {n: (c.scenario_text(), c.kernel, None) for n, c in CASES.items()}
    jobs[RECEIVER_NAME] = (RECEIVER.scenario_text(), RECEIVER.kernel, None)
    runs = run_kernel_cases(jobs)
    yield runs
    for run in runs.values():
        run.cancel()


@pytest.mark.linux
@pytest.mark.parametrize("name", list(CASES))
def test_simulator_matches_kernel_flow_control(name, kernel_runs):
    real = kernel_runs[name].result()
    problems, diff = outcome(CASES[name], real)
    assert not problems, f"{name}: the simulator and the kernel differ:\n" + "\n".join(problems) + "\n" + diff


@pytest.mark.linux
def test_kernel_receiver_closes_its_window_and_opens_it_when_read(kernel_runs):
    real = kernel_runs[RECEIVER_NAME].result()
    segs = real["segments"]
    kernel_acks = [s for s in segs if s["src"] == "server" and "ACK" in s["flags"] and "SYN" not in s["flags"]]
    zero = [s for s in kernel_acks if s["win"] == 0]
    assert zero, "\n".join(map(str, segs))
    probes = [s for s in segs if s["src"] == "client" and s["t"] > zero[0]["t"] and s["len"] <= 1]
    assert probes, "the simulated sender never probed the zero window"
    after_read = [s for s in kernel_acks if s["t"] > 3.0 and s["win"] > 0]
    assert after_read and after_read[0]["len"] == 0, "\n".join(map(str, segs))
