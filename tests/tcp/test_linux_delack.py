"""Kernel cases for delayed ACKs and Nagle (issue 11 points 3 and 4).

The TUN harness of test_linux_loss.py (the kernel as one endpoint, a live tcptutor Host as
the other) compares the `linux` profile with Linux segment by segment, with that module's
rules and tolerances. Here the simulated endpoint that the kernel plays has
`delayed_ack = true` (the kernel always delays ACKs the way it does) or, for the kernel
sender, `nagle = true` (the harness then leaves TCP_NODELAY off).

What Linux 6.18 did (10 ms links, the application reading at once), and what the cases pin:
- a reading receiver ACKs every data segment at once, small or full-sized, 20 small ones
  100 ms apart and 30 back to back: quick-ACK mode first, then tcp_cleanup_rbuf's ACK when
  the read drains the buffer (so "16 quick ACKs, then 40 ms" shows only with an application
  that does not read: measured with a harness copy that never reads, 40 back-to-back full
  segments drew 20 ACKs at once and then one ACK 43 ms later; 22 segments 100 ms apart were
  each ACKed at once);
- its ACK of a FIN after data waits (tcp_fin enters pingpong mode) and rides on the
  application's own FIN: FIN, FIN+ACK, ACK;
- a FIN before any data is ACKed at once (ato still 0), then the FIN follows alone;
- once its own data answered the peer's (pingpong), the next data's ACK is delayed;
- Nagle with Minshall's rule: 100, 100, 100, 100 go as 100 then 300 after the ACK; 1460,
  100, 100 as 1460 and 100 at once and 100 after the ACK of the first 100; 1000, 1000, 1000
  as 1000 and 1460 at once, 540 after the ACK of the 1000.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_linux_loss import Case, SETUP, assert_kernel_agrees, case_ids, kernel_runs_of  # noqa: E402

DELACK_SERVER = "[server]\ndelayed_ack = true\n"
NAGLE_CLIENT = "[client]\nnagle = true\n"


def small_writes(n: int, gap: str) -> tuple[str, ...]:
    return tuple(step for _ in range(n) for step in ("client send 100", f"wait {gap}"))


CASES: dict[str, Case] = {
    "delayed ACK: small segments 100 ms apart, each ACKed at once (kernel server)": Case(
        "3", "server", (*SETUP, *small_writes(20, "100ms")), toml=DELACK_SERVER),
    "delayed ACK: 30 full segments back to back, each ACKed at once (kernel server)": Case(
        "3", "server", (*SETUP, "client send " + " ".join(["1460"] * 30), "wait 300ms"), toml=DELACK_SERVER),
    "delayed ACK: data, then the client's FIN: a three-segment teardown (kernel server)": Case(
        "3", "server", (*SETUP, "client send 100", "wait 100ms", "client close", "server close", "wait 300ms"),
        toml=DELACK_SERVER),
    "delayed ACK: a FIN before any data is ACKed at once (kernel server)": Case(
        "3", "server", (*SETUP, "client close", "server close", "wait 300ms"), toml=DELACK_SERVER),
    "delayed ACK: after an answer, the next data waits (kernel server)": Case(
        "3", "server", (*SETUP, "client send 100", "server send 50", "client send 100", "wait 300ms"),
        toml=DELACK_SERVER),
    "delayed ACK: after an answer, the next ACK rides on the next answer (kernel server)": Case(
        "3", "server", (*SETUP, "client send 100", "server send 50", "client send 100", "server send 50",
                        "wait 300ms"), toml=DELACK_SERVER),
    "delayed ACK: the server's FIN after data, a three-segment teardown (kernel client)": Case(
        "3", "client", (*SETUP, "server send 100", "wait 100ms", "server close", "client close", "wait 300ms"),
        toml="[client]\ndelayed_ack = true\n"),
    "Nagle: four 100-byte writes go as 100, then 300 (kernel client)": Case(
        "4", "client", (*SETUP, "client send 100 100 100 100", "wait 200ms"), toml=NAGLE_CLIENT),
    "Nagle, Minshall: 1460, 100, 100 (kernel client)": Case(
        "4", "client", (*SETUP, "client send 1460 100 100", "wait 200ms"), toml=NAGLE_CLIENT),
    "Nagle: 1000, 1000, 1000 coalesce to 1000, 1460, 540 (kernel client)": Case(
        "4", "client", (*SETUP, "client send 1000 1000 1000", "wait 200ms"), toml=NAGLE_CLIENT),
}

@pytest.fixture(scope="module")
def kernel_runs():
    yield from kernel_runs_of(CASES)


@pytest.mark.linux
@pytest.mark.parametrize("name", list(CASES), ids=case_ids(CASES))
def test_simulator_matches_kernel(name, kernel_runs):
    assert_kernel_agrees(name, CASES[name], kernel_runs[name].result())
