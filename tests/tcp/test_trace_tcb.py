"""The event member `tcb` (contract v2): each endpoint's variables after each event."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tcptutor import library
from tcptutor.tcp import cc
from tcptutor.tcp.cc import CongestionControl
from tcptutor.tcp.scenario import parse_scenario
from tcptutor.tcp.simulator import Simulator, simulate
from tcptutor.tcp.tcb import TCB_FIELDS, Tcb, snapshot
from tcptutor.tcp.trace import Trace

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"


def _events(name: str) -> list[dict]:
    return simulate(library.load_scenario(name)).to_json()["events"]


def test_the_handshake_shows_each_variable_once_it_exists():
    events = _events("handshake")
    listen, connect, syn, synack, ack = events
    assert "tcb" not in listen  # a listening socket has no connection yet
    # SYN-SENT: the peer's SYN has not come, so no SND.WND or RCV.NXT; no RTT sample: only the RTO.
    # newreno (the rfc9293 default) starts from IW = 3 segments of 1460 (RFC 5681 3.1).
    assert connect["tcb"] == {"snd_una": 1000, "snd_nxt": 1001, "rcv_wnd": 65535, "cwnd": 4380, "rto": 1.0}
    assert syn["tcb"] == {"snd_una": 5000, "snd_nxt": 5001, "snd_wnd": 65535, "rcv_nxt": 1001,
                          "rcv_wnd": 65535, "cwnd": 4380, "rto": 1.0}
    # The SYN,ACK gives the first sample (RFC 6298 2.2: SRTT = R, RTTVAR = R/2): 20 ms.
    assert synack["tcb"] == {"snd_una": 1001, "snd_nxt": 1001, "snd_wnd": 65535, "rcv_nxt": 5001,
                             "rcv_wnd": 65535, "cwnd": 4380, "srtt": 0.02, "rttvar": 0.01, "rto": 1.0}
    assert ack["tcb"]["srtt"] == 0.02 and ack["tcb"]["snd_una"] == 5001


def test_the_tcb_follows_the_data_and_its_acks():
    trace = simulate(library.load_scenario("data-transfer"))
    for event in trace.events:
        if event.tcb is None:
            continue
        assert list(event.tcb.to_json()) == [f for f in TCB_FIELDS if event.tcb.get(f) is not None]
        conn_sent = [trace.segment(n) for n in event.sent]
        for seg in conn_sent:
            if seg.length:  # what an event sends lies below the SND.NXT it leaves
                end = seg.seq + seg.length
                assert (event.tcb.snd_nxt - end) % 2**32 < 2**31
    client_last = [e for e in trace.events if e.endpoint == "client" and e.tcb][-1].tcb
    assert client_last.snd_una == client_last.snd_nxt


def test_a_retransmission_timeout_backs_off_the_rto_in_the_tcb():
    trace = simulate(library.load_scenario("lost-data"))
    timeouts = [e for e in trace.events if e.cause.is_timeout and e.endpoint == "client"]
    assert timeouts, "lost-data has a retransmission timeout"
    before = [e for e in trace.events if e.endpoint == "client" and e.tcb and e.at < timeouts[0].at][-1]
    assert timeouts[0].tcb.rto == min(2 * before.tcb.rto, 60_000_000)  # RFC 6298 5.5


def _run(toml: str):
    return simulate(parse_scenario(toml))


LOSS = """steps = ["server listen", "client connect", "drop 2nd client->server DATA",
 "client send 1000 1000 1000 1000 1000 1000 1000 1000", "wait 5s"]
[client]
isn = 1000
mss = 1000
iw = 8
%s
[server]
isn = 5000
"""


def test_no_cwnd_or_ssthresh_under_cc_none():
    trace = _run(LOSS % 'cc = "none"')
    client = [e.tcb for e in trace.events if e.endpoint == "client" and e.tcb is not None]
    assert client and all(t.cwnd is None and t.ssthresh is None for t in client)
    assert all(e.tcb.cwnd for e in trace.events if e.endpoint == "server" and e.tcb)  # newreno


def _after_fast_retransmit(cc_name: str):
    trace = _run(LOSS % f'cc = "{cc_name}"')
    fast = next(s for s in trace.segments if s.note == "fast retransmit")
    event = next(e for e in trace.events if fast.n in e.sent)
    return event.tcb, trace


def test_the_cwnd_after_a_triple_duplicate_ack_under_tahoe_and_reno():
    """RFC 5681 3.2: ssthresh = max(FlightSize / 2, 2 SMSS); Reno inflates cwnd to
    ssthresh + 3 SMSS, Tahoe (Jacobson 1988) restarts from one segment."""
    reno, trace = _after_fast_retransmit("reno")
    tahoe, _ = _after_fast_retransmit("tahoe")
    # The 1st segment was ACKed: 7 of 1000 bytes in flight (SND.NXT - SND.UNA) at the 3rd dup ACK.
    assert reno.snd_nxt - reno.snd_una == 7000
    assert reno.ssthresh == tahoe.ssthresh == 3500
    assert reno.cwnd == 3500 + 3 * 1000
    assert tahoe.cwnd == 1000
    first = next(e for e in trace.events if e.endpoint == "client" and e.tcb and e.tcb.snd_wnd is not None)
    assert first.tcb.cwnd == 8 * 1000 and first.tcb.ssthresh is None  # iw = 8; ssthresh arbitrarily high


def test_a_plug_in_s_window_is_in_the_snapshot_and_arbitrarily_high_ssthresh_is_absent():
    @cc.register("test-tcb-window")
    class Window(CongestionControl):
        limited = False

        @property
        def cwnd(self) -> int:
            return 3 * self.mss

        @property
        def ssthresh(self) -> int:
            return 2 * self.mss if self.limited else super().ssthresh

    try:
        scenario = parse_scenario('steps = ["server listen", "client connect"]\n')
        sim = Simulator(scenario)
        sim.run()
        conn = sim.hosts["client"].conns["server"]
        conn.sender.cc = cc.make("test-tcb-window", 1000, 10)
        tcb = snapshot(conn)
        assert tcb.cwnd == 3000 and tcb.ssthresh is None
        assert "ssthresh" not in tcb.to_json() and tcb.to_json()["cwnd"] == 3000
        conn.sender.cc.limited = True
        assert snapshot(conn).to_json()["ssthresh"] == 2000
    finally:
        del cc._REGISTRY["test-tcb-window"]


def test_the_tcb_reads_back_from_json():
    tcb = Tcb(1, 2, 3, 4, 5, 6000, 7000, 20_000, 10_000, 1_000_000)
    assert Tcb.from_json(tcb.to_json()) == tcb
    assert tcb.to_json()["srtt"] == 0.02
    partial = Tcb(1, 2, None, None, 5, rto=200_000)
    assert Tcb.from_json(partial.to_json()) == partial
    doc = simulate(library.load_scenario("lost-data")).to_json()
    assert Trace.from_json(doc).to_json() == doc


def _digests() -> dict[str, str]:
    rows = (HERE / "golden_before_tcb.sha256").read_text(encoding="utf-8").split("\n")
    return {name: digest for digest, name in (row.split() for row in rows if row.strip())}


@pytest.mark.parametrize("name", sorted(_digests()))
def test_removing_tcb_from_a_golden_gives_its_bytes_from_before_tcb(name):
    """The `tcb` member is the only change the TCB work made to the goldens.

    golden_before_tcb.sha256 holds the SHA-256 of each golden as it was before `tcb`.
    A golden changed since for another, intended reason: drop its line from that file."""
    path = GOLDEN / name
    if not path.is_file():
        pytest.skip(f"{name} is no longer a golden")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert any("tcb" in e for e in doc["events"]), f"{name} has no tcb member"
    for event in doc["events"]:
        event.pop("tcb", None)
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == _digests()[name]
