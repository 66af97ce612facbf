"""The observer against the simulator: `tcptutor export pcap` of every shipped scenario, explained.

The trace records each side's state, so it is an oracle for what the observer infers from
the capture alone. Two checks per scenario:
- the sender's state when it sent each segment (known exactly from the trace: the state
  after the event that sent it) is the observer's state for the sender at that row;
- the distinct states each side passes through (leading CLOSED/LISTEN left out, and only
  up to the last segment: timers that fire later are invisible in a capture) are the same.
Rows sent while an earlier-listed segment to their sender was still in flight are skipped: the
observer assumes each segment arrives when seen, and there it had not. The receiver's
state at each row is not compared: the observer shows it when the segment is
seen, the trace when it arrives, and those differ whenever segments cross.
"""

from __future__ import annotations

import functools

import pytest

from tcptutor import library
from tcptutor.capture.explain import explain_packets
from tcptutor.capture.observer import state_path
from tcptutor.capture.pcapfile import parse_capture
from tcptutor.export.pcap import CLIENT, SERVER, trace_to_pcapng
from tcptutor.tcp import analysis
from tcptutor.tcp.simulator import simulate

SCENARIOS = library.scenario_names()
QUIET = ("CLOSED", "LISTEN")
# What one capture point cannot see, by scenario: (endpoint, the state the observer shows
# that the endpoint never had, why). Each is a documented limit of a single vantage point.
KNOWN_LIMITS = {
    "syn-flood-cookies": ("server", "SYN-RECEIVED", "a SYN cookie keeps no state (RFC 4987 3.6): the SYN,ACK looks the same"),
    "teardown-three-segments": ("client", "FIN-WAIT-2", "the ACK of the client's FIN is lost after the capture point"),
}


@functools.lru_cache(maxsize=None)
def _explained(name: str):
    trace = simulate(library.load_scenario(name))
    cap = parse_capture(trace_to_pcapng(trace), name)
    exp = explain_packets(cap.packets, name=name)
    real = [r for r in exp.reports if {r.conn.addr["client"], r.conn.addr["server"]} == {CLIENT, SERVER}]
    return trace, real


def _endpoint(rep, side: str) -> str:
    return "client" if rep.conn.addr[side] == CLIENT else "server"


def _trim(path: list[str]) -> list[str]:
    while path and path[0] in QUIET:
        path = path[1:]
    return path


def _trace_path(trace, ep: str, until: int) -> list[str]:
    out: list[str] = []
    for e in analysis.events_of(trace, ep):
        if e.at > until:
            break
        if not out or out[-1] != e.state_after:
            out.append(e.state_after)
    return _trim(out)


def test_every_shipped_scenario_is_covered():
    assert len(SCENARIOS) >= 30


@pytest.mark.parametrize("name", SCENARIOS)
def test_sender_states_agree_with_the_trace(name):
    trace, reps = _explained(name)
    wire = sorted((s for s in trace.segments if {s.src, s.dst} == {"client", "server"}), key=lambda s: s.sent_at)
    rows = [row for rep in reps for row in rep.rows]
    assert len(rows) == len(wire)
    sides = {id(row): rep for rep in reps for row in rep.rows}
    sent_by = {}  # segment number -> the state of its sender after the event that sent it (analysis.state_after)
    for e in trace.events:
        for n in e.sent:
            sent_by[n] = e.state_after
    latest = {"client": -1, "server": -1}  # latest arrival at each endpoint of the segments listed so far
    for row, seg in zip(rows, wire):
        rep = sides[id(row)]
        in_flight = latest[seg.src] > seg.sent_at
        if seg.delivered:
            latest[seg.dst] = max(latest[seg.dst], seg.arrived_at)
        if in_flight:
            continue  # a segment listed before it was still in flight: "arrives when seen" does not hold
        assert _endpoint(rep, row.seg.side) == seg.src
        want = sent_by.get(seg.n)
        if want is None:
            continue
        got = row.states[row.seg.side]
        if KNOWN_LIMITS.get(name, (None, None))[:2] == (seg.src, got):
            continue
        # a side that sends RST has no connection left: CLOSED, whatever the simulator's listener keeps
        if row.seg.has("RST") and got == "CLOSED":
            continue
        assert got == want, f"{name} #{seg.n} from {seg.src}: observer {got}, trace {want}"


@pytest.mark.parametrize("name", SCENARIOS)
def test_state_paths_agree_with_the_trace(name):
    trace, reps = _explained(name)
    wire = [s for s in trace.segments if {s.src, s.dst} == {"client", "server"}]
    until = max(s.arrived_at if s.arrived_at is not None else s.sent_at for s in wire)
    observed = {"client": [], "server": []}
    for rep in reps:
        for side in ("client", "server"):
            observed[_endpoint(rep, side)] += state_path(rep.rows, side)
    for ep in ("client", "server"):
        want = _trace_path(trace, ep, until)
        got = _trim(observed[ep])
        limit = KNOWN_LIMITS.get(name)
        if limit and limit[0] == ep:
            assert limit[1] in got, f"{name}: the known limit no longer shows: drop it from KNOWN_LIMITS"
            got = [s for s in got if s != limit[1]]
        # RST from a side: the simulator keeps a listener's LISTEN where the connection is CLOSED
        assert [s for s in got if s not in QUIET] == [s for s in want if s not in QUIET], \
            f"{name} {ep}: observer {got}, trace {want}"
