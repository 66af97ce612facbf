"""Nagle's algorithm (issue 11 point 4): a short segment waits while data is unacknowledged.

rfc9293: RFC 9293 3.7.4 (RFC 1122 4.2.3.4): while any data is unacknowledged. linux:
Minshall's variant (tcp_nagle_check, tcp_minshall_check): only while an earlier short segment
is; bytes written meanwhile join the waiting segment up to the MSS (tcp_sendmsg). The linux
cases are what Linux 6.18 put on the wire (tests/tcp/test_linux_delack.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tcptutor.tcp.scenario import parse_scenario
from tcptutor.tcp.simulator import simulate

ROOT = Path(__file__).resolve().parents[2]
ISS, IRS = 1000, 5000


def run(steps, *, profile="rfc9293", nagle=True):
    text = (f"steps = {json.dumps(['server listen', 'client connect', *steps])}\n"
            f"[client]\nisn = {ISS}\nnagle = {str(nagle).lower()}\n[server]\nisn = {IRS}\n"
            f"[net]\nprofile = \"{profile}\"\n")
    return simulate(parse_scenario(text))


def client_data(trace):
    """(offset, length, sent_at in ms) of each data segment the client sent."""
    return [(r.segment.seq - ISS - 1, r.segment.length, round(r.sent_at / 1000))
            for r in trace.segments if r.segment.src == "client" and r.segment.length]


@pytest.mark.parametrize("profile", ["rfc9293", "linux"])
def test_off_small_writes_go_back_to_back(profile):
    trace = run(["client send 100 100 100", "wait 1s"], profile=profile, nagle=False)
    assert client_data(trace) == [(0, 100, 30), (100, 100, 30), (200, 100, 30)]


@pytest.mark.parametrize("profile", ["rfc9293", "linux"])
def test_small_writes_wait_for_the_ack_and_leave_together(profile):
    trace = run(["client send 100 100 100 100", "wait 1s"], profile=profile)
    # The ACK of the first 100 arrives at 50 ms; the three held writes go as one segment.
    assert client_data(trace) == [(0, 100, 30), (100, 300, 50)]


def test_named_scenario_nagle_small_writes():
    trace = simulate(parse_scenario((ROOT / "content" / "scenarios" / "nagle-small-writes.toml").read_text()))
    assert client_data(trace) == [(0, 100, 30), (100, 400, 50)]
    assert trace.final == {"client": "ESTABLISHED", "server": "ESTABLISHED"}


@pytest.mark.parametrize("profile", ["rfc9293", "linux"])
def test_full_sized_segments_never_wait(profile):
    trace = run(["client send 1460 1460 1460", "wait 1s"], profile=profile)
    assert client_data(trace) == [(0, 1460, 30), (1460, 1460, 30), (2920, 1460, 30)]


def test_rfc9293_a_short_segment_waits_behind_a_full_one():
    trace = run(["client send 1460 100 100", "wait 1s"])
    assert client_data(trace) == [(0, 1460, 30), (1460, 200, 50)]


def test_linux_minshall_a_short_segment_may_follow_full_ones():
    trace = run(["client send 1460 100 100", "wait 1s"], profile="linux")
    # The first 100 goes at once (no short segment is unACKed); the second waits for its ACK.
    assert client_data(trace) == [(0, 1460, 30), (1460, 100, 30), (1560, 100, 50)]


@pytest.mark.parametrize("profile", ["rfc9293", "linux"])
def test_waiting_bytes_are_cut_at_the_mss(profile):
    trace = run(["client send 1000 1000 1000", "wait 1s"], profile=profile)
    # 1000 goes; the next two writes make 1460 (full: goes at once) and 540 (waits).
    assert client_data(trace) == [(0, 1000, 30), (1000, 1460, 30), (2460, 540, 50)]


@pytest.mark.parametrize("profile", ["rfc9293", "linux"])
def test_close_releases_the_held_segment(profile):
    # The ACK of the first 100 is lost, so the second stays held until the close at 40 ms
    # (the settle ends at 40 ms: the first 100 arrives, its ACK is lost).
    trace = run(["drop next server->client ACK", "client send 100 100", "client close", "wait 300ms"],
                profile=profile)
    fin = next(r for r in trace.segments if r.segment.src == "client" and "FIN" in r.segment.flags)
    assert client_data(trace)[:2] == [(0, 100, 30), (100, 100, 40)] and round(fin.sent_at / 1000) == 40


def test_nagle_meets_a_delayed_ack_and_waits_200_ms_rfc9293():
    """The classic interaction (RFC 1122 4.2.3.4): the receiver holds its ACK of the lone
    short segment for 200 ms, so the held second write waits as long."""
    text = (f"steps = {json.dumps(['server listen', 'client connect', 'client send 100 100', 'wait 1s'])}\n"
            f"[client]\nisn = {ISS}\nnagle = true\n[server]\nisn = {IRS}\ndelayed_ack = true\n")
    trace = simulate(parse_scenario(text))
    # The first 100 arrives at 40 ms; its delayed ACK leaves at 240 ms, arrives at 250 ms.
    assert client_data(trace) == [(0, 100, 30), (100, 100, 250)]
