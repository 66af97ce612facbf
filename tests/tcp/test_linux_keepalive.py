"""Keep-alive against the real kernel (issue 11 point 5): the `linux` profile on the TUN harness.

The kernel endpoint's socket has SO_KEEPALIVE with TCP_KEEPIDLE 2 s, TCP_KEEPINTVL 1 s and
TCP_KEEPCNT 3 (the scenario's keepalive_* keys, see tcptutor.lab.tun.KernelApp); the peer is a live
tcptutor Host. The comparison is test_linux_loss's (segments, times within 20 ms + t/8, final
states); besides, the vanished-peer case checks what the kernel application was told.

    python tests/tcp/test_linux_keepalive.py     # run every case, print both sides
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from tcptutor.lab.tun import KernelRun, run_kernel_cases, tun_available  # noqa: E402
from test_linux_loss import SETUP, Case, outcome  # noqa: E402

KEEPALIVE = 'keepalive = true\nkeepalive_idle = "2s"\nkeepalive_interval = "1s"\nkeepalive_count = 3\n'

CASES: dict[str, Case] = {
    # The peer answers every probe (seq SND.NXT-1, no data) with an ACK: a probe every 2 s.
    "idle connection, the peer answers the probes (kernel client)": Case("11.5", "client", (
        *SETUP, "wait 5s"), toml=f"[client]\n{KEEPALIVE}"),
    # Data from the peer at 1.5 s restarts the idle time: the first probe comes 2 s after it.
    "data received restarts the idle time (kernel client)": Case("11.5", "client", (
        *SETUP, "wait 1.5s", "server send 100", "wait 3s"), toml=f"[client]\n{KEEPALIVE}"),
    # The peer vanishes: three probes 1 s apart go unanswered, then a reset and ETIMEDOUT.
    "the peer vanishes: three probes, then a reset (kernel server)": Case("11.5", "server", (
        *SETUP, "client vanish", "wait 6s"), toml=f"[server]\n{KEEPALIVE}"),
    # Data outstanding: the retransmission timer runs and keep-alive sends no probe
    # (tcp_keepalive_timer: tp->packets_out).
    "data outstanding to a vanished peer: retransmissions, no probes (kernel server)": Case("11.5", "server", (
        *SETUP, "client vanish", "server send 100", "wait 4s"), toml=f"[server]\n{KEEPALIVE}"),
    # The simulator probes and the kernel answers: an old sequence number draws an ACK.
    "the kernel answers the simulator's probes (kernel server)": Case("11.5", "server", (
        *SETUP, "wait 5s"), toml=f"[client]\n{KEEPALIVE}"),
}

_runs: dict[str, KernelRun] = {}


def start_all(names=None) -> dict[str, KernelRun]:
    """Start the named cases (default: all) together, each in its own namespace."""
    if not _runs:
        wanted = set(CASES) if names is None else set(names)
        _runs.update(run_kernel_cases({n: (c.scenario_text(), c.kernel, c.syncookies)
                                       for n, c in CASES.items() if n in wanted}))
    return _runs


@pytest.fixture(scope="module")
def kernel_runs(request):
    if (reason := tun_available()) is not None:
        pytest.skip(reason)
    selected = {item.callspec.params["name"] for item in request.session.items
                if item.module is sys.modules[__name__] and getattr(item, "callspec", None) is not None
                and "name" in item.callspec.params}
    yield start_all(selected)
    for run in _runs.values():
        run.cancel()


@pytest.mark.linux
@pytest.mark.parametrize("name", list(CASES))
def test_simulator_matches_kernel_keepalive(name, kernel_runs):
    case = CASES[name]
    real = kernel_runs[name].result()
    problems, diff = outcome(case, real)
    assert not problems, f"{name}: the simulator and the kernel differ:\n" + "\n".join(problems) + "\n" + diff


@pytest.mark.linux
def test_kernel_application_is_told_etimedout(kernel_runs):
    """tcp_keepalive_timer -> tcp_write_err: the application's next read fails with ETIMEDOUT."""
    name = "the peer vanishes: three probes, then a reset (kernel server)"
    if name not in kernel_runs:
        pytest.skip("its kernel case is not selected")
    calls = kernel_runs[name].result()["calls"]
    assert {"step": "(read)", "endpoint": "server", "call": "recv", "result": "ETIMEDOUT"} in calls, calls


if __name__ == "__main__":
    for name, run in start_all().items():
        real = run.result()
        problems, diff = outcome(CASES[name], real)
        print(f"## {name}\n{diff}\nproblems: {problems}\ncalls: {real['calls']}\n")
