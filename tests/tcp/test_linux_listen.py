"""Kernel cases for the listener and the handshake (issue 10, points 4-7 and 9).

The TUN harness of test_linux_loss.py (the kernel as one endpoint, a live tcptutor Host as
the other, losses scripted) compares the `linux` profile with Linux segment by segment;
the comparison rules and tolerances are that module's. These cases add what its list
leaves out: the SYN-ACK timer pushed back by every repeated SYN, the flood with the real
client's SYNs clear of the listener's timers (so that the kernel's timer slack cannot
reorder them), Linux's default cookies, and a reopen from TIME-WAIT after data. (The
simultaneous open is test_linux_loss's "simultaneous open (kernel client)".) The point 9
measurements (answers to injected RSTs, SYNs and ACKs) are checked against the
simulator's own answers to the same segments.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_linux_loss import Case, MEASURES, SETUP, assert_kernel_agrees, case_ids, kernel_runs_of  # noqa: E402

from tcptutor.tcp.scenario import parse_scenario  # noqa: E402
from tcptutor.tcp.segment import Segment  # noqa: E402
from tcptutor.tcp.simulator import Simulator  # noqa: E402

CASES: dict[str, Case] = {
    # Four SYN-ACKs lost: each repeated SYN (one a second) is answered and restarts the 1 s
    # SYN-ACK timer (tcp_check_req, mod_timer_pending), so the timer itself never sends one.
    "lost SYN-ACK four times: every repeated SYN restarts the timer (kernel server)": Case("4", "server", (
        "server listen", *["drop next server->client SYN"] * 4, "client connect", "wait 6s")),
    # reqsk_timer_handler: 9 entries in a backlog of 8 (more than half of max(8, 8)): old
    # entries keep 2 SYN-ACK retries and go at 7 s until 4 are left; the client's SYN at 7.5 s
    # gets in. The client starts 0.5 s after the flood so that no SYN of its meets a timer.
    "flood 20 into backlog 8, client 0.5 s later, tcp_syncookies 0": Case("6", "server", (
        "server listen", "flood 20", "wait 500ms", "client connect", "wait 12s"),
        toml="[server]\nbacklog = 8\nsyncookies = false\n", syncookies=0),
    "flood 5 into backlog 4, client 0.5 s later, tcp_syncookies 0": Case("6", "server", (
        "server listen", "flood 5", "wait 500ms", "client connect", "wait 12s"),
        toml="[server]\nbacklog = 4\nsyncookies = false\n", syncookies=0),
    # No syncookies key: the linux profile's default, net.ipv4.tcp_syncookies = 1.
    "flood 20 into backlog 8, default cookies (kernel server)": Case("6", "server", (
        "server listen", "flood 20", "client connect", "client send 100", "wait 2s"),
        toml="[server]\nbacklog = 8\n"),
    "new SYN to TIME-WAIT 3 s later, with data before (kernel server)": Case("7", "server", (
        *SETUP, "client send 100", "server send 50", "server close", "client close", "wait 3s",
        "client connect", "client send 10", "wait 1s"), toml="[client]\nisn = 1000\n"),
}

@pytest.fixture(scope="module")
def kernel_runs():
    yield from kernel_runs_of(CASES)


@pytest.mark.linux
@pytest.mark.parametrize("name", list(CASES), ids=case_ids(CASES))
def test_simulator_matches_kernel(name, kernel_runs):
    assert_kernel_agrees(name, CASES[name], kernel_runs[name].result())


def simulated_answers(measure) -> list[int]:
    """The simulator's answers (segments sent) to the injections of a kernel measurement,
    made at the same times after the case's start to the same endpoint."""
    scenario = parse_scenario(measure.case.scenario_text())
    sim = Simulator(replace(scenario, steps=scenario.steps[:len(SETUP)]))
    sim.run()  # the handshake only: both ESTABLISHED at 30 ms
    host = sim.hosts[measure.case.kernel]
    peer = "client" if measure.case.kernel == "server" else "server"
    conn = host.conns[peer]
    answers = []
    for shot in measure.inject:
        seg = Segment(peer, measure.case.kernel, (conn.rcv_nxt + shot["seq_offset"]) % 2**32,
                      conn.snd_nxt if "ACK" in shot["flags"] else 0, frozenset(shot["flags"]), shot.get("len", 0))
        answers.append(len(host.receive(seg, int(shot["at"] * 1_000_000)).sent))
    return answers


@pytest.mark.parametrize("name", list(MEASURES), ids=[f"point 9: {n}" for n in MEASURES])
def test_simulator_answers_injected_segments_as_the_kernel_did(name):
    """MEASURES holds what Linux 6.18 answered (checked against the kernel in test_linux_loss)."""
    assert simulated_answers(MEASURES[name]) == list(MEASURES[name].answers)
