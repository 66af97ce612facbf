"""The congestion-control named scenarios tell the story their titles tell (issue 11 point 8).

Each runs with an `observe` hook that records the client's cwnd and ssthresh (in segments)
after every event, so the tests read the window the algorithm had, next to the segments the
trace shows; and each runs through `tcptutor simulate NAME` as a user would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tcptutor import library
from tcptutor.tcp.cc import UNLIMITED
from tcptutor.tcp.simulator import Simulator

ROOT = Path(__file__).resolve().parents[2]
MSS = 1460
NAMES = ["slow-start-bottleneck", "tahoe-vs-reno-tahoe", "tahoe-vs-reno-reno",
         "timeout-in-congestion-avoidance"]


@dataclass
class Moment:
    at: int  # microseconds
    cause: str
    cwnd: float  # segments
    ssthresh: float  # segments (inf: "arbitrarily high", RFC 5681 3.1)


def run(name: str) -> tuple[dict, list[Moment]]:
    moments: list[Moment] = []

    def observe(sim: Simulator) -> None:
        conn = sim.hosts["client"].conns.get("server")
        if conn is None or not sim.events or sim.events[-1].endpoint != "client":
            return
        algo = conn.sender.cc
        ssthresh = float("inf") if algo.ssthresh >= UNLIMITED else algo.ssthresh / MSS
        moments.append(Moment(sim.now, str(sim.events[-1].cause), algo.cwnd / MSS, ssthresh))

    trace = Simulator(library.load_scenario(name), observe=observe).run().to_json()
    return trace, moments


def client_data(trace: dict) -> list[dict]:
    return [s for s in trace["segments"] if s["src"] == "client" and s["len"]]


def all_delivered(trace: dict, total: int) -> bool:
    """The server's last ACK covers every byte the client wrote."""
    last_ack = [s["ack"] for s in trace["segments"] if s["src"] == "server"][-1]
    return last_ack == 1001 + total


@pytest.mark.parametrize("name", NAMES)
def test_tcptutor_simulate_draws_the_named_scenario(name):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "tcptutor", "simulate", name], capture_output=True,
                          text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    title = library.load_scenario(name).title
    assert done.stdout.startswith(title) and "#4" in done.stdout and done.stderr == ""


def test_slow_start_bottleneck_grows_per_ack_until_the_queue_overflows_then_recovers():
    trace, moments = run("slow-start-bottleneck")
    dropped = [s for s in trace["segments"] if s["fate"] == "dropped"]
    assert dropped and all("bottleneck queue full" in s.get("note", "") for s in dropped)
    first_loss_seen = next(m.at for m in moments if m.ssthresh != float("inf"))
    slow_start = [m for m in moments if m.at < first_loss_seen and m.cause.startswith("recv")]
    # Slow start: every ACK of new data adds one segment, from IW = 3 (RFC 5681 3.1).
    grown = [m.cwnd for k, m in enumerate(slow_start) if k == 0 or m.cwnd != slow_start[k - 1].cwnd]
    assert grown == [float(3 + i) for i in range(len(grown))]
    assert max(grown) >= 12  # well past what the 4-segment queue and the link hold
    # The first lost segment is resent by fast retransmit, the others on partial ACKs.
    resent = [s for s in client_data(trace) if s["retransmission"]]
    assert [s["seq"] for s in resent] == [s["seq"] for s in dropped]
    assert resent[0]["note"] == "fast retransmit" and all(s.get("note", "") == "partial ACK" for s in resent[1:])
    end = moments[-1]
    assert end.cwnd == end.ssthresh < max(grown) / 2
    assert all_delivered(trace, 29200) and not any(s.get("note", "") == "retransmission timeout" for s in resent)


def after_third_duplicate(name: str) -> tuple[dict, list[Moment], int]:
    trace, moments = run(name)
    i = next(i for i, m in enumerate(moments) if m.ssthresh != float("inf"))
    return trace, moments, i


def test_tahoe_falls_to_one_segment_and_slow_starts_again():
    trace, moments, i = after_third_duplicate("tahoe-vs-reno-tahoe")
    before, at = moments[i - 1], moments[i]
    assert before.cwnd == 8  # five ACKs grew it from 3
    assert (at.cwnd, at.ssthresh) == (1, 4)  # ssthresh = FlightSize (8) / 2
    assert "fast retransmit" in [s.get("note", "") for s in client_data(trace)]
    # The third write: slow start from cwnd 2 sends 2 segments at once, then 4 ...
    third = client_data(trace)[-8:]
    first_burst = [s for s in third if s["sent_at"] == third[0]["sent_at"]]
    assert len(first_burst) == 2
    assert all_delivered(trace, 21 * MSS)


def test_reno_halves_to_ssthresh_plus_three_and_inflates_in_fast_recovery():
    trace, moments, i = after_third_duplicate("tahoe-vs-reno-reno")
    before, at = moments[i - 1], moments[i]
    assert before.cwnd == 8
    assert (at.cwnd, at.ssthresh) == (4 + 3, 4)  # RFC 5681 3.2 step 3
    inflated = [m.cwnd for m in moments[i:] if m.cwnd > at.cwnd]
    assert inflated[:4] == [8, 9, 10, 11]  # one segment per further duplicate ACK (step 4)
    end_of_recovery = next(m for m in moments[i:] if m.cwnd < at.cwnd)
    assert end_of_recovery.cwnd == 4  # step 6: the new ACK deflates cwnd to ssthresh
    # The third write starts in congestion avoidance with cwnd 4: four segments at once.
    third = client_data(trace)[-8:]
    assert len([s for s in third if s["sent_at"] == third[0]["sent_at"]]) == 4
    assert all_delivered(trace, 21 * MSS)


def test_the_rto_finds_a_loss_while_cwnd_is_above_ssthresh():
    trace, moments = run("timeout-in-congestion-avoidance")
    timeout = next(i for i, m in enumerate(moments) if m.cause == "timeout retransmission")
    before, at = moments[timeout - 1], moments[timeout]
    assert before.cwnd > before.ssthresh == 4  # congestion avoidance since the first loss
    # Equation 4: ssthresh = max(FlightSize / 2, 2 SMSS) with 3 segments out; LW = 1 segment.
    assert (at.cwnd, at.ssthresh) == (1, 2)
    notes = [s.get("note", "") for s in client_data(trace) if s["retransmission"]]
    assert notes[0] == "fast retransmit" and "retransmission timeout" in notes
    # Congestion avoidance grows less than one segment per ACK: after the timeout the window
    # reaches ssthresh by slow start and then creeps.
    after = [m.cwnd for m in moments[timeout:]]
    assert after[-1] < 5 and any(not c.is_integer() for c in after)
    assert all_delivered(trace, 34 * MSS)
