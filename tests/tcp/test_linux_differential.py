"""Differential tests: the simulator's `linux` profile against the real Linux TCP stack.

Each scenario runs on Linux (linux_probe.py in a fresh network namespace, via
linux_stack.run_on_linux) and in the simulator with the ISNs and MSS options Linux chose.
Both must put the same segments on the wire in the same order -- sender, flags (PSH
aside: Linux pushes every send(), the simulator only a write's last segment), seq, ack,
payload length -- and end in the same states.

Only scenarios that Linux makes deterministic over loopback, and that the simulator models,
are here. Each step makes one call, and the probe's 0.3 s settle lets every ACK arrive before
the next call. Left out: several writes in one step, or `client close & server close`.
Loopback delivers at once, so Linux ACKs the first write before the second leaves, and the
server's FIN answers the client's. A write larger than the MSS is also left out. Linux cuts
it at half the peer's window (32741 bytes on lo) and at 65483 bytes (MSS minus the
timestamp option), and it can retransmit it while the receive buffer fills.
"""

import json

import pytest

from linux_stack import linux_available, run_on_linux
from tcptutor.tcp.scenario import parse_scenario
from tcptutor.tcp.simulator import simulate

pytestmark = pytest.mark.linux

SCENARIOS = {
    "handshake and close": ["server listen", "client connect", "client close", "server close"],
    "data both ways": ["server listen", "client connect", "client send 100", "server send 50",
                       "client close", "server close"],
    "server closes first": ["server listen", "client connect", "server close", "client close"],
    "half-close, data after the FIN": ["server listen", "client connect", "client send 10",
                                       "client close", "server send 20", "server close"],
    "closed port": ["client connect"],
    "abort (SO_LINGER 0)": ["server listen", "client connect", "client send 10", "client abort"],
    # More that Linux makes deterministic over loopback.
    "half-open: FIN-WAIT-2 / CLOSE-WAIT": ["server listen", "client connect", "client close"],
    "several sends": ["server listen", "client connect", "client send 100", "client send 200",
                      "client send 300", "client close", "server close"],
    "both sides send several times": ["server listen", "client connect", "client send 10",
                                      "server send 20", "client send 30", "server send 40",
                                      "server close", "client close"],
    "server sends twice after the client's FIN": ["server listen", "client connect", "client close",
                                                  "server send 20", "server send 30", "server close"],
    "client sends after the server's FIN": ["server listen", "client connect", "server close",
                                            "client send 10", "client close"],
    "server aborts after sending": ["server listen", "client connect", "server send 10", "server abort"],
    "abort in CLOSE-WAIT": ["server listen", "client connect", "client close", "server abort"],
    "abort in FIN-WAIT-2": ["server listen", "client connect", "client close", "client abort"],
    # Linux keeps TIME-WAIT in a separate minisocket: the abort sends nothing and changes
    # nothing (the linux profile's abort_keeps_time_wait; RFC 9293 would delete the TCB).
    "abort in TIME-WAIT": ["server listen", "client connect", "client close", "server close", "client abort"],
}


def linux_rows(segments: list[dict], isn: dict[str, int]) -> list[tuple]:
    """Captured segments as (src, flags without PSH, seq, ack, len), seq/ack relative to `isn`."""
    return [_row(s, isn) for s in segments]


def sim_rows(trace: dict, isn: dict[str, int]) -> list[tuple]:
    """The simulator's trace JSON segments as the same tuples."""
    return [_row(s, isn) for s in trace["segments"]]


def _row(s: dict, isn: dict[str, int]) -> tuple:
    ack = (s["ack"] - isn[s["dst"]]) % 2**32 if "ACK" in s["flags"] else 0
    flags = "+".join(f for f in s["flags"] if f != "PSH")
    return (s["src"], flags, (s["seq"] - isn[s["src"]]) % 2**32, ack, s["len"])


def side_by_side(linux: list[tuple], sim: list[tuple]) -> str:
    rows = [f"      {'linux':<42} simulator"]
    for i in range(max(len(linux), len(sim))):
        a = linux[i] if i < len(linux) else "-"
        b = sim[i] if i < len(sim) else "-"
        rows.append(f"{i + 1:>3} {'  ' if a == b else '!='} {str(a):<42} {b}")
    return "\n".join(rows)


@pytest.fixture(scope="module", autouse=True)
def _needs_linux():
    if (reason := linux_available()) is not None:
        pytest.skip(reason)


@pytest.mark.parametrize("steps", list(SCENARIOS.values()), ids=list(SCENARIOS))
def test_simulator_matches_linux(steps):
    real = run_on_linux(steps)
    syns = {s["src"]: s for s in real["segments"] if "SYN" in s["flags"]}
    isn = {side: syns[side]["seq"] if side in syns else 0 for side in ("client", "server")}
    ends = "".join(
        f"[{side}]\nisn = {isn[side]}\n" + (f"mss = {syns[side]['mss']}\n" if side in syns else "")
        for side in ("client", "server"))
    scenario = parse_scenario(f'steps = {json.dumps(steps)}\n[net]\nprofile = "linux"\n{ends}')
    sim = simulate(scenario).to_json()

    linux, simulated = linux_rows(real["segments"], isn), sim_rows(sim, isn)
    assert (linux, real["final"]) == (simulated, sim["final"]), (
        f"simulator and Linux differ for {steps} (seq/ack relative to the ISNs {isn}; "
        f"(src, flags without PSH, seq, ack, len)):\n{side_by_side(linux, simulated)}\n"
        f"{'  ' if real['final'] == sim['final'] else '!='} final: linux {real['final']}, "
        f"simulator {sim['final']}")
