"""The simulator against RFC 9293 / 6298 / 5681 / 4987, point by point, with exact numbers.

Times are whole microseconds unless a name says otherwise. Unless a test says otherwise
the client's ISN is 1000, the server's 5000, the latency 10 ms (so a handshake ends at
30 ms and the next call happens then).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tcptutor.errors import ScenarioError
from tcptutor.tcp.host import COOKIE_MSS_TABLE
from tcptutor.tcp.scenario import parse_scenario
from tcptutor.tcp.segment import FLAG_ORDER, Segment
from tcptutor.tcp.simulator import Simulator, simulate
from tcptutor.tcp.states import EDGES, State

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "content" / "scenarios"
SCENARIO_FILES = sorted(SCENARIOS.glob("*.toml"))
MS, SEC = 1_000, 1_000_000
STATE_NAMES = {s.value for s in State}


# --- helpers --------------------------------------------------------------------------------------


def build(text: str, path: str = "<test>"):
    """A scenario from TOML text (indentation stripped)."""
    return parse_scenario(textwrap.dedent(text), path)


def toml(steps, *, client=None, server=None, net=None, title=None) -> str:
    """TOML text for `steps`; client ISN 1000 and server ISN 5000 unless told otherwise."""
    lines = []
    if title is not None:
        lines.append(f'title = "{title}"')
    lines += ["steps = ["] + [f'  "{s}",' for s in steps] + ["]"]
    tables = {
        "client": {"isn": 1000, **(client or {})},
        "server": {"isn": 5000, **(server or {})},
        "net": dict(net or {}),
    }
    for name, values in tables.items():
        lines.append(f"[{name}]")
        for key, value in values.items():
            if value is None:
                continue
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, str):
                value = f'"{value}"'
            lines.append(f"{key} = {value}")
    return "\n".join(lines) + "\n"


def run(steps, **tables):
    return simulate(build(toml(steps, **tables)))


def run_sim(steps, **tables) -> tuple[Simulator, object]:
    sim = Simulator(build(toml(steps, **tables)))
    return sim, sim.run()


def load(name: str):
    path = SCENARIOS / f"{name}.toml"
    return parse_scenario(path.read_text(), str(path))


def wire(trace, n: int) -> tuple:
    """(src, dst, flags, seq, ack, len) of segment n, flags in contract order."""
    s = trace.segment(n).segment
    return (s.src, s.dst, [f for f in FLAG_ORDER if f in s.flags], s.seq, s.ack, s.length)


def segs(trace, src=None, *, data=None, flag=None):
    """Segment records, optionally filtered by sender, payload and a flag."""
    out = []
    for r in trace.segments:
        s = r.segment
        if src is not None and s.src != src:
            continue
        if data is not None and bool(s.length) != data:
            continue
        if flag is not None and flag not in s.flags:
            continue
        out.append(r)
    return out


def moves(trace, endpoint=None):
    """(at, endpoint, before, after) for every event that changed a state."""
    return [
        (e.at, e.endpoint, e.state_before, e.state_after)
        for e in trace.events
        if e.state_before != e.state_after and (endpoint is None or e.endpoint == endpoint)
    ]


def event_of(trace, cause: str, endpoint: str | None = None):
    found = [e for e in trace.events if e.cause == cause and (endpoint is None or e.endpoint == endpoint)]
    assert len(found) == 1, [(e.endpoint, e.cause) for e in trace.events]
    return found[0]


def seg(src, dst, seq, ack, flags, length=0, **kw) -> Segment:
    return Segment(src, dst, seq, ack, frozenset(flags), length, **kw)


HS = ["server listen", "client connect"]  # a completed handshake: both ESTABLISHED at 30 ms


# ================================================================================================
# 1. States and transitions
# ================================================================================================


class TestStates:
    def test_three_way_handshake(self):
        t = simulate(load("handshake"))
        assert [wire(t, n) for n in (1, 2, 3)] == [
            ("client", "server", ["SYN"], 1000, 0, 0),
            ("server", "client", ["SYN", "ACK"], 5000, 1001, 0),
            ("client", "server", ["ACK"], 1001, 5001, 0),
        ]
        assert moves(t) == [
            (0, "server", "CLOSED", "LISTEN"),
            (0, "client", "CLOSED", "SYN-SENT"),
            (10 * MS, "server", "LISTEN", "SYN-RECEIVED"),
            (20 * MS, "client", "SYN-SENT", "ESTABLISHED"),
            (30 * MS, "server", "SYN-RECEIVED", "ESTABLISHED"),
        ]
        assert t.final == {"client": "ESTABLISHED", "server": "ESTABLISHED"}

    def test_simultaneous_open_follows_the_acceptability_rule_not_figure_7(self):
        # RFC 9293 3.10.7.4: the crossing SYN,ACK starts at RCV.NXT - 1, so it is unacceptable
        # and draws an ACK; each side is ESTABLISHED when the other's ACK arrives. (Figure 7
        # draws four segments; linux: tests/tcp/test_listen_linux.py.)
        t = simulate(load("simultaneous-open"))
        assert [wire(t, n) for n in range(1, len(t.segments) + 1)] == [
            ("client", "server", ["SYN"], 100, 0, 0),
            ("server", "client", ["SYN"], 300, 0, 0),
            ("server", "client", ["SYN", "ACK"], 300, 101, 0),
            ("client", "server", ["SYN", "ACK"], 100, 301, 0),
            ("client", "server", ["ACK"], 101, 301, 0),
            ("server", "client", ["ACK"], 301, 101, 0),
        ]
        assert [(r.sent_at, r.arrived_at) for r in t.segments] == [
            (0, 10 * MS), (0, 10 * MS), (10 * MS, 20 * MS), (10 * MS, 20 * MS), (20 * MS, 30 * MS), (20 * MS, 30 * MS),
        ]
        assert sorted(moves(t)) == sorted([
            (0, "client", "CLOSED", "SYN-SENT"),
            (0, "server", "CLOSED", "SYN-SENT"),
            (10 * MS, "client", "SYN-SENT", "SYN-RECEIVED"),
            (10 * MS, "server", "SYN-SENT", "SYN-RECEIVED"),
            (30 * MS, "client", "SYN-RECEIVED", "ESTABLISHED"),
            (30 * MS, "server", "SYN-RECEIVED", "ESTABLISHED"),
        ])

    def test_simultaneous_close_passes_through_closing(self):
        t = simulate(load("simultaneous-close"))
        assert [wire(t, n) for n in (4, 5, 6, 7)] == [
            ("client", "server", ["ACK", "FIN"], 1001, 5001, 0),
            ("server", "client", ["ACK", "FIN"], 5001, 1001, 0),
            ("server", "client", ["ACK"], 5002, 1002, 0),
            ("client", "server", ["ACK"], 1002, 5002, 0),
        ]
        assert t.segment(4).sent_at == t.segment(5).sent_at == 30 * MS
        for side in ("client", "server"):
            assert moves(t, side)[-4:] == [
                (30 * MS, side, "ESTABLISHED", "FIN-WAIT-1"),
                (40 * MS, side, "FIN-WAIT-1", "CLOSING"),
                (50 * MS, side, "CLOSING", "TIME-WAIT"),
                (50 * MS + 240 * SEC, side, "TIME-WAIT", "CLOSED"),
            ]
        assert t.final == {"client": "CLOSED", "server": "CLOSED"}

    def test_fin_wait_1_takes_fin_with_ack_of_fin_straight_to_time_wait(self):
        t = run(HS + ["drop next server->client", "client close", "server close"])
        assert wire(t, 4) == ("client", "server", ["ACK", "FIN"], 1001, 5001, 0)
        assert wire(t, 5) == ("server", "client", ["ACK"], 5001, 1002, 0)
        assert t.segment(5).fate == "dropped"
        # The server's FIN carries the ACK of the client's FIN.
        assert wire(t, 6) == ("server", "client", ["ACK", "FIN"], 5001, 1002, 0)
        recv = event_of(t, "recv #6", "client")
        assert (recv.at, recv.state_before, recv.state_after) == (50 * MS, "FIN-WAIT-1", "TIME-WAIT")
        assert "FIN-WAIT-2" not in {e.state_after for e in t.events if e.endpoint == "client"}
        assert wire(t, 7) == ("client", "server", ["ACK"], 1002, 5002, 0)
        assert recv.sent == [7]
        assert t.final == {"client": "TIME-WAIT", "server": "CLOSED"}

    def test_queued_data_and_fin_still_go_out_after_closing(self):
        # Window 2000: the first 1460 bytes are lost; the 540 bytes left in the window are less
        # than Fs * Max(SND.WND) = 1000, so the second write waits (sender-side SWS avoidance,
        # RFC 9293 3.8.6.2.1) and the server's FIN moves the client to CLOSING meanwhile. The
        # override timeout sends the 540 bytes; the rest and the FIN follow the retransmission.
        # (Before issue 10 the 540 bytes went at once, cut at the window edge.)
        t = run(HS + ["drop next client->server DATA", "client send 1460 1460", "client close", "server close",
                      "wait 5min"], server={"window": 2000})
        assert (40 * MS, "client", "FIN-WAIT-1", "CLOSING") in moves(t)
        assert t.delivered["server"] == [(0, 1460), (1460, 540), (2000, 920)]
        data = [(r.sent_at, r.segment.seq, r.segment.length) for r in segs(t, "client") if r.segment.length]
        assert data[1] == (230 * MS, 1001 + 1460, 540)  # 30 ms + the 200 ms override timeout
        assert data[-1][1:] == (1001 + 2000, 920)  # sent from CLOSING, after the retransmission opened the window
        assert [r.segment.seq for r in segs(t, "client", flag="FIN")] == [1001 + 2920]
        assert t.final == {"client": "CLOSED", "server": "CLOSED"}

    def test_active_close_four_way(self):
        t = simulate(load("active-close"))
        assert [wire(t, n) for n in (4, 5, 6, 7)] == [
            ("client", "server", ["ACK", "FIN"], 1001, 5001, 0),
            ("server", "client", ["ACK"], 5001, 1002, 0),
            ("server", "client", ["ACK", "FIN"], 5001, 1002, 0),
            ("client", "server", ["ACK"], 1002, 5002, 0),
        ]
        assert moves(t)[5:] == [
            (30 * MS, "client", "ESTABLISHED", "FIN-WAIT-1"),
            (40 * MS, "server", "ESTABLISHED", "CLOSE-WAIT"),
            (50 * MS, "client", "FIN-WAIT-1", "FIN-WAIT-2"),
            (50 * MS, "server", "CLOSE-WAIT", "LAST-ACK"),
            (60 * MS, "client", "FIN-WAIT-2", "TIME-WAIT"),
            (70 * MS, "server", "LAST-ACK", "CLOSED"),
            (60 * MS + 240 * SEC, "client", "TIME-WAIT", "CLOSED"),
        ]

    def test_passive_close_puts_time_wait_on_the_server(self):
        t = simulate(load("passive-close"))
        assert t.final == {"client": "CLOSED", "server": "TIME-WAIT"}
        assert (70 * MS, "client", "LAST-ACK", "CLOSED") in moves(t)

    def test_half_close_data_from_close_wait_reaches_fin_wait_2_and_is_acked(self):
        t = simulate(load("half-close"))
        assert moves(t, "client")[2:] == [
            (50 * MS, "client", "ESTABLISHED", "FIN-WAIT-1"),
            (70 * MS, "client", "FIN-WAIT-1", "FIN-WAIT-2"),
            (100 * MS, "client", "FIN-WAIT-2", "TIME-WAIT"),
        ]
        assert (60 * MS, "server", "ESTABLISHED", "CLOSE-WAIT") in moves(t)
        send = event_of(t, "call send 200 300", "server")
        assert (send.at, send.state_before, send.state_after) == (70 * MS, "CLOSE-WAIT", "CLOSE-WAIT")
        assert send.sent == [8, 9]
        assert wire(t, 8) == ("server", "client", ["ACK", "PSH"], 5001, 1012, 200)
        assert wire(t, 9) == ("server", "client", ["ACK", "PSH"], 5201, 1012, 300)
        for n, ack_n, ack in ((8, 10, 5201), (9, 11, 5501)):
            ev = event_of(t, f"recv #{n}", "client")
            assert (ev.state_before, ev.state_after) == ("FIN-WAIT-2", "FIN-WAIT-2")
            assert ev.sent == [ack_n]
            assert wire(t, ack_n) == ("client", "server", ["ACK"], 1012, ack, 0)
            assert t.segment(ack_n).sent_at == t.segment(n).arrived_at == 80 * MS
        assert t.delivered["client"] == [(0, 200), (200, 300)]
        assert t.delivered["server"] == [(0, 10)]
        assert wire(t, 12) == ("server", "client", ["ACK", "FIN"], 5501, 1012, 0)
        assert t.final == {"client": "TIME-WAIT", "server": "CLOSED"}


# ================================================================================================
# 2. Sequence space
# ================================================================================================


class TestSequenceSpace:
    def test_syn_and_fin_take_one_data_its_length_pure_ack_none(self):
        t = run(HS + ["client send 100", "client close", "server close"])
        # SYN: 1000 -> the peer acks 1001.
        assert wire(t, 2)[4] == 1001
        # The pure ACK of the handshake takes no number: the data after it starts at 1001 too.
        assert wire(t, 3) == ("client", "server", ["ACK"], 1001, 5001, 0)
        assert wire(t, 4) == ("client", "server", ["ACK", "PSH"], 1001, 5001, 100)
        assert wire(t, 5) == ("server", "client", ["ACK"], 5001, 1101, 0)
        # The FIN sits at 1101 and is acknowledged with 1102.
        assert wire(t, 6) == ("client", "server", ["ACK", "FIN"], 1101, 5001, 0)
        assert wire(t, 7) == ("server", "client", ["ACK"], 5001, 1102, 0)
        assert wire(t, 8) == ("server", "client", ["ACK", "FIN"], 5001, 1102, 0)
        assert wire(t, 9) == ("client", "server", ["ACK"], 1102, 5002, 0)

    def test_segment_len_counts_syn_and_fin(self):
        assert seg("a", "b", 1, 0, {"SYN"}).seg_len == 1
        assert seg("a", "b", 1, 2, {"ACK", "FIN"}, 10).seg_len == 11
        assert seg("a", "b", 1, 2, {"ACK"}).seg_len == 0
        assert seg("a", "b", 1, 0, {"SYN", "FIN"}, 5).seg_len == 7

    def test_wraparound(self):
        t = simulate(load("wraparound"))
        assert [wire(t, n) for n in range(1, 14)] == [
            ("client", "server", ["SYN"], 4294967100, 0, 0),
            ("server", "client", ["SYN", "ACK"], 4294967295, 4294967101, 0),
            ("client", "server", ["ACK"], 4294967101, 0, 0),
            ("client", "server", ["ACK", "PSH"], 4294967101, 0, 200),
            ("client", "server", ["ACK", "PSH"], 5, 0, 200),
            ("server", "client", ["ACK"], 0, 5, 0),
            ("server", "client", ["ACK"], 0, 205, 0),
            ("server", "client", ["ACK", "PSH"], 0, 205, 100),
            ("client", "server", ["ACK"], 205, 100, 0),
            ("client", "server", ["ACK", "FIN"], 205, 100, 0),
            ("server", "client", ["ACK"], 100, 206, 0),
            ("server", "client", ["ACK", "FIN"], 100, 206, 0),
            ("client", "server", ["ACK"], 206, 101, 0),
        ]
        assert t.delivered == {"client": [(0, 100)], "server": [(0, 200), (200, 200)]}
        assert t.written == {"client": 400, "server": 100}
        assert t.final == {"client": "TIME-WAIT", "server": "CLOSED"}
        assert not any(r.segment.retransmission for r in t.segments)

    def test_wraparound_connections_end_fully_acknowledged(self):
        sim = Simulator(load("wraparound"))
        sim.run()
        client = sim.hosts["client"].conns["server"]
        assert (client.snd_una, client.snd_nxt, client.rcv_nxt) == (206, 206, 101)
        assert client.unacked == []
        server = sim.hosts["server"].ended["client"]
        assert (server.snd_una, server.snd_nxt, server.rcv_nxt) == (101, 101, 206)


# ================================================================================================
# 3. Acceptability, resets
# ================================================================================================


class TestAcceptabilityAndResets:
    def test_old_duplicate_segment_gets_an_ack_and_is_not_delivered_again(self):
        # The server's ACK is lost; the client's retransmission is an old duplicate.
        t = run(HS + ["drop next server->client", "client send 100", "wait 2s"])
        assert wire(t, 5) == ("server", "client", ["ACK"], 5001, 1101, 0)
        assert t.segment(5).fate == "dropped"
        assert wire(t, 6) == ("client", "server", ["ACK", "PSH"], 1001, 5001, 100)
        assert t.segment(6).sent_at == 1030 * MS and t.segment(6).segment.retransmission
        assert wire(t, 7) == ("server", "client", ["ACK"], 5001, 1101, 0)
        assert t.segment(7).sent_at == 1040 * MS
        assert t.segment(7).segment.note == "ACK of an unacceptable segment"
        assert t.delivered["server"] == [(0, 100)]
        assert len(t.segments) == 7

    def test_segment_beyond_the_window_gets_an_ack_and_is_not_held(self):
        sim, _ = run_sim(HS, server={"window": 1000})
        server = sim.hosts["server"]
        beyond = seg("client", "server", 1001 + 1000, 5001, {"ACK"}, 10)
        out = server.receive(beyond, sim.now)
        assert out.moves == []
        assert [(s.flags, s.seq, s.ack, s.length) for s in out.sent] == [(frozenset({"ACK"}), 5001, 1001, 0)]
        assert server.conns["client"].out_of_order == {}
        # Just inside the window: held for later, with a duplicate ACK.
        inside = seg("client", "server", 1001 + 990, 5001, {"ACK"}, 10)
        out = server.receive(inside, sim.now)
        assert [(s.seq, s.ack) for s in out.sent] == [(5001, 1001)]
        assert list(server.conns["client"].out_of_order) == [1991]
        assert server.conns["client"].delivered == []

    def test_zero_length_segment_outside_the_window_gets_an_ack(self):
        sim, _ = run_sim(HS)
        out = sim.hosts["server"].receive(seg("client", "server", 1001 + 70000, 5001, {"ACK"}), sim.now)
        assert [(s.seq, s.ack, s.flags) for s in out.sent] == [(5001, 1001, frozenset({"ACK"}))]

    def test_syn_sent_answers_a_bad_ack_with_rst_seq_seg_ack(self):
        sim, _ = run_sim(["drop next client->server SYN", "client connect"])
        client = sim.hosts["client"]
        for bad in (1000, 999, 1002, 70000):  # SEG.ACK =< ISS or SEG.ACK > SND.NXT
            out = client.receive(seg("server", "client", 5000, bad, {"SYN", "ACK"}), sim.now)
            assert out.moves == []
            assert [(s.src, s.dst, s.flags, s.seq, s.ack) for s in out.sent] == [
                ("client", "server", frozenset({"RST"}), bad, 0)
            ]
            assert client.conns["server"].state == State.SYN_SENT
        # With RST set, a bad ACK is dropped silently.
        out = client.receive(seg("server", "client", 0, 1002, {"RST", "ACK"}), sim.now)
        assert (out.moves, out.sent) == ([], [])
        # A RST without ACK in SYN-SENT is dropped too (3.10.7.3 second check).
        out = client.receive(seg("server", "client", 0, 0, {"RST"}), sim.now)
        assert (out.moves, out.sent) == ([], [])
        assert client.conns["server"].state == State.SYN_SENT
        # An acceptable RST,ACK resets: "error: connection reset".
        out = client.receive(seg("server", "client", 0, 1001, {"RST", "ACK"}), sim.now)
        assert [(m.transition.source, m.transition.target, m.error) for m in out.moves] == [
            (State.SYN_SENT, State.CLOSED, "connection reset")
        ]
        assert out.sent == []

    def test_syn_sent_bad_ack_from_a_scenario(self):
        # The server opens anew to the client, which is in TIME-WAIT and does not listen:
        # with RFC 5961 the client's challenge ACK is bad for the server in SYN-SENT.
        t = run(HS + ["client close", "server close", "server connect", "wait 2s"], net={"rfc5961": True})
        assert wire(t, 9) == ("client", "server", ["ACK"], 1002, 5002, 0)
        assert wire(t, 10) == ("server", "client", ["RST"], 5002, 0, 0)
        assert t.segment(10).segment.note == "bad ACK in SYN-SENT"
        assert moves(t, "client")[-1] == (t.segment(10).arrived_at, "client", "TIME-WAIT", "CLOSED")

    def test_a_syn_in_time_wait_under_the_base_rule_is_reset(self):
        # The same SYN, on a stack without RFC 5961: in the window, so "an error: send a reset"
        # (3.10.7.4 fourth); its RST,ACK acknowledges the SYN and the server's connect fails.
        t = run(HS + ["client close", "server close", "server connect", "wait 2s"])
        syn = t.segment(8).segment
        assert (syn.src, sorted(syn.flags)) == ("server", ["SYN"])
        assert wire(t, 9) == ("client", "server", ["ACK", "RST"], 0, (syn.seq + 1) % 2**32, 0)
        assert t.final == {"client": "CLOSED", "server": "CLOSED"}

    def test_reset_for_no_connection_without_ack(self):
        t = simulate(load("closed-port"))
        assert wire(t, 2) == ("server", "client", ["ACK", "RST"], 0, 1001, 0)
        ev = event_of(t, "recv #2", "client")
        assert (ev.state_before, ev.state_after, ev.error) == ("SYN-SENT", "CLOSED", "connection reset")
        assert t.final == {"client": "CLOSED", "server": "CLOSED"}

    def test_reset_for_no_connection_counts_fin_and_data_in_the_ack(self):
        sim, _ = run_sim(["client connect"])
        out = sim.hosts["server"].receive(seg("client", "server", 77, 0, {"FIN"}, 10), sim.now)
        assert [(s.flags, s.seq, s.ack) for s in out.sent] == [(frozenset({"RST", "ACK"}), 0, 88)]
        out = sim.hosts["server"].receive(seg("client", "server", 2**32 - 1, 0, {"SYN"}), sim.now)
        assert [(s.seq, s.ack) for s in out.sent] == [(0, 0)]  # wraps

    def test_reset_for_no_connection_with_ack(self):
        # The client forgets TIME-WAIT; the server's retransmitted FIN meets no connection.
        t = run(HS + ["client close", "drop next client->server", "server close", "client abort", "wait 5s"])
        fin = segs(t, "server", flag="FIN")[-1]
        assert fin.segment.retransmission and fin.sent_at == 1050 * MS
        assert (fin.segment.seq, fin.segment.ack) == (5001, 1002)
        rst = t.segment(fin.n + 1)
        assert wire(t, rst.n) == ("client", "server", ["RST"], 1002, 0, 0)
        assert rst.sent_at == 1060 * MS
        ev = event_of(t, f"recv #{rst.n}", "server")
        assert (ev.state_before, ev.state_after) == ("LAST-ACK", "CLOSED")

    def test_reset_for_no_connection_by_injection(self):
        sim, _ = run_sim(["client connect"])
        out = sim.hosts["server"].receive(seg("client", "server", 1001, 4242, {"ACK"}, 5), sim.now)
        assert [(s.src, s.dst, s.flags, s.seq, s.ack, s.length) for s in out.sent] == [
            ("server", "client", frozenset({"RST"}), 4242, 0, 0)
        ]
        # A RST never draws a RST.
        out = sim.hosts["server"].receive(seg("client", "server", 1001, 4242, {"RST", "ACK"}), sim.now)
        assert out.sent == []

    def test_ack_to_a_listener_draws_a_reset(self):
        sim, _ = run_sim(["server listen"])
        out = sim.hosts["server"].receive(seg("client", "server", 1001, 777, {"ACK"}), sim.now)
        assert [(s.flags, s.seq, s.ack) for s in out.sent] == [(frozenset({"RST"}), 777, 0)]
        out = sim.hosts["server"].receive(seg("client", "server", 1001, 777, {"RST"}), sim.now)
        assert (out.sent, out.moves) == ([], [])

    def test_abort_sends_bare_rst_at_snd_nxt_rfc9293(self):
        t = simulate(load("abort"))
        assert wire(t, 6) == ("client", "server", ["RST"], 1011, 0, 0)
        ev = event_of(t, "call abort", "client")
        assert (ev.state_before, ev.state_after, ev.sent) == ("ESTABLISHED", "CLOSED", [6])
        ev = event_of(t, "recv #6", "server")
        assert (ev.at, ev.state_before, ev.state_after, ev.error) == (
            60 * MS, "ESTABLISHED", "CLOSED", "connection reset"
        )

    def test_abort_sends_rst_ack_linux(self):
        t = run(HS + ["client send 10", "client abort"], net={"profile": "linux"})
        assert wire(t, 6) == ("client", "server", ["ACK", "RST"], 1011, 5001, 0)
        assert t.final == {"client": "CLOSED", "server": "CLOSED"}

    @pytest.mark.parametrize("profile", ["rfc9293", "linux"])
    def test_abort_in_syn_sent_sends_nothing(self, profile):
        t = run(["drop next client->server", "client connect", "client abort"], net={"profile": profile})
        assert len(t.segments) == 1
        assert event_of(t, "call abort").sent == []

    def test_exact_rst_resets_in_window_rst_draws_challenge_ack(self):
        sim, _ = run_sim(HS + ["client send 10"], net={"rfc5961": True})
        server = sim.hosts["server"]
        conn = server.conns["client"]
        assert conn.rcv_nxt == 1011
        # In the window but not exactly RCV.NXT: challenge ACK (RFC 5961 3.2), no reset.
        out = server.receive(seg("client", "server", 1012, 0, {"RST"}), sim.now)
        assert out.moves == []
        assert [(s.flags, s.seq, s.ack, s.note) for s in out.sent] == [
            (frozenset({"ACK"}), 5001, 1011, "challenge ACK")
        ]
        # Outside the window: dropped without a word.
        out = server.receive(seg("client", "server", 1011 + 65535, 0, {"RST"}), sim.now)
        assert (out.moves, out.sent) == ([], [])
        out = server.receive(seg("client", "server", 1010, 0, {"RST"}), sim.now)
        assert (out.moves, out.sent) == ([], [])
        assert server.conns["client"].state == State.ESTABLISHED
        # Exactly RCV.NXT: reset.
        out = server.receive(seg("client", "server", 1011, 0, {"RST"}), sim.now)
        assert [(m.transition.source, m.transition.target, m.error) for m in out.moves] == [
            (State.ESTABLISHED, State.CLOSED, "connection reset")
        ]
        assert out.sent == []
        assert "client" not in server.conns and server.view("client") == State.CLOSED

    def test_rst_in_time_wait_closes(self):
        sim, _ = run_sim(HS + ["client close", "server close"])
        client = sim.hosts["client"]
        assert client.conns["server"].state == State.TIME_WAIT
        assert client.conns["server"].rcv_nxt == 5002
        out = client.receive(seg("server", "client", 5002, 0, {"RST"}), sim.now)
        assert [(m.transition.source, m.transition.target) for m in out.moves] == [
            (State.TIME_WAIT, State.CLOSED)
        ]
        assert out.sent == []
        assert client.view("server") == State.CLOSED

    def test_rst_in_syn_received_of_a_passive_open_returns_to_listen(self):
        t = run(["server listen", "drop next server->client", "client connect", "client abort", "wait 2s"])
        # The server's retransmitted SYN,ACK meets no connection: <SEQ=SEG.ACK><CTL=RST>.
        assert wire(t, 3) == ("server", "client", ["SYN", "ACK"], 5000, 1001, 0)
        assert t.segment(3).sent_at == 1010 * MS
        assert wire(t, 4) == ("client", "server", ["RST"], 1001, 0, 0)
        ev = event_of(t, "recv #4", "server")
        assert (ev.at, ev.state_before, ev.state_after) == (1030 * MS, "SYN-RECEIVED", "LISTEN")
        assert t.final == {"client": "CLOSED", "server": "LISTEN"}

    def test_rst_in_syn_received_of_an_active_open_is_connection_refused(self):
        t = run(["drop next client->server SYN,ACK", "drop next server->client SYN,ACK",
                 "client connect & server connect", "server abort"])
        assert wire(t, 5) == ("server", "client", ["RST"], 5001, 0, 0)
        ev = event_of(t, "recv #5", "client")
        assert (ev.state_before, ev.state_after, ev.error) == ("SYN-RECEIVED", "CLOSED", "connection refused")

    def test_in_window_syn_on_a_synchronized_connection_draws_challenge_ack(self):
        sim, _ = run_sim(HS, net={"rfc5961": True})
        out = sim.hosts["server"].receive(seg("client", "server", 1500, 0, {"SYN"}), sim.now)
        assert out.moves == []
        assert [(s.flags, s.seq, s.ack, s.note) for s in out.sent] == [
            (frozenset({"ACK"}), 5001, 1001, "challenge ACK")
        ]

    def test_without_rfc5961_any_rst_in_the_window_resets_and_an_in_window_syn_is_reset(self):
        """RFC 9293 3.10.7.4's base rule, the rfc9293 profile's default."""
        sim, _ = run_sim(HS + ["client send 10"])
        server = sim.hosts["server"]
        out = server.receive(seg("client", "server", 1012, 0, {"RST"}), sim.now)  # in window, inexact
        assert [(m.transition.target, m.error) for m in out.moves] == [(State.CLOSED, "connection reset")]
        assert out.sent == []
        sim, _ = run_sim(HS)
        out = sim.hosts["server"].receive(seg("client", "server", 1500, 0, {"SYN"}), sim.now)
        assert [(s.flags, s.seq, s.ack, s.note) for s in out.sent] == [
            (frozenset({"RST", "ACK"}), 0, 1501, "SYN in the window: reset")
        ]
        assert [(m.transition.source, m.transition.target, m.error) for m in out.moves] == [
            (State.ESTABLISHED, State.CLOSED, "connection reset")
        ]

    def test_ack_of_data_not_yet_sent_draws_an_ack(self):
        sim, _ = run_sim(HS)
        out = sim.hosts["server"].receive(seg("client", "server", 1001, 9999, {"ACK"}, 10), sim.now)
        assert [(s.flags, s.seq, s.ack) for s in out.sent] == [(frozenset({"ACK"}), 5001, 1001)]
        assert sim.hosts["server"].conns["client"].delivered == []


# ================================================================================================
# 4. Receiver
# ================================================================================================


class TestReceiver:
    def test_out_of_order_data_is_held_then_delivered_in_order(self):
        history = []

        def observe(sim):
            conn = sim.hosts["server"].conns.get("client")
            if conn is not None:
                history.append((sim.now, list(conn.delivered), sorted(conn.out_of_order)))

        sim = Simulator(load("fast-retransmit"), observe=observe)
        t = sim.run()
        at_40ms = [h for h in history if h[0] == 40 * MS]
        assert at_40ms[-1][1] == []  # nothing delivered while the first segment is missing
        assert at_40ms[-1][2] == [1101, 1201, 1301, 1401]
        at_60ms = [h for h in history if h[0] == 60 * MS]
        assert at_60ms[-1][1] == [(0, 100), (100, 100), (200, 100), (300, 100), (400, 100)]
        assert at_60ms[-1][2] == []
        assert t.delivered["server"] == [(0, 100), (100, 100), (200, 100), (300, 100), (400, 100)]
        # One cumulative ACK for everything once the gap fills.
        assert wire(t, 14) == ("server", "client", ["ACK"], 5001, 1501, 0)
        assert t.segment(14).sent_at == 60 * MS

    def test_gap_produces_duplicate_acks_and_third_triggers_fast_retransmit(self):
        t = simulate(load("fast-retransmit"))
        assert t.segment(4).fate == "dropped"
        dup = [wire(t, n) for n in (9, 10, 11, 12)]
        assert dup == [("server", "client", ["ACK"], 5001, 1001, 0)] * 4
        assert all(t.segment(n).sent_at == 40 * MS for n in (9, 10, 11, 12))
        assert [event_of(t, f"recv #{n}", "client").sent for n in (9, 10, 11, 12)] == [[], [], [13], []]
        assert wire(t, 13) == ("client", "server", ["ACK", "PSH"], 1001, 5001, 100)
        r = t.segment(13)
        assert (r.sent_at, r.segment.retransmission, r.segment.note) == (50 * MS, True, "fast retransmit")
        # Exactly one retransmission: the fourth duplicate ACK does not resend again.
        assert len([x for x in t.segments if x.segment.retransmission]) == 1

    def test_no_rtt_sample_from_an_ack_that_covers_a_retransmission(self):
        # Karn (RFC 6298 3): the ACK 1501 covers the fast-retransmitted 1001 and the later
        # segments, whose ACK waited for it: no sample, SRTT/RTTVAR stay the handshake's.
        sim = Simulator(load("fast-retransmit"))
        sim.run()
        conn = sim.hosts["client"].conns["server"]
        assert (conn.snd_una, conn.unacked) == (1501, [])
        assert (conn.srtt, conn.rttvar, conn.rto) == (20 * MS, 10 * MS, 1 * SEC)

    def test_two_duplicate_acks_wait_for_the_rto(self):
        t = simulate(load("lost-data"))
        assert [wire(t, n) for n in (7, 8)] == [("server", "client", ["ACK"], 5001, 1001, 0)] * 2
        rtx = [r for r in t.segments if r.segment.retransmission]
        assert len(rtx) == 1
        assert rtx[0].n == 9 and rtx[0].sent_at == 1030 * MS  # 30 ms + RTO 1 s
        assert rtx[0].segment.note == "retransmission timeout"
        assert wire(t, 9) == ("client", "server", ["ACK", "PSH"], 1001, 5001, 100)
        assert wire(t, 10) == ("server", "client", ["ACK"], 5001, 1301, 0)
        assert t.delivered["server"] == [(0, 100), (100, 100), (200, 100)]

    def test_every_acceptable_segment_is_acked_at_once(self):
        t = simulate(load("data-transfer"))
        for r in t.segments:
            if not r.segment.length:
                continue
            ev = event_of(t, f"recv #{r.n}")
            assert len(ev.sent) == 1
            ack = t.segment(ev.sent[0])
            assert ack.sent_at == r.arrived_at
            assert "ACK" in ack.segment.flags and ack.segment.length == 0
            assert ack.segment.ack == (r.segment.seq + r.segment.length) % 2**32
        assert [wire(t, n)[4] for n in (5, 7, 10, 11)] == [1101, 5301, 1151, 1171]

    def test_pure_acks_are_not_acked(self):
        t = simulate(load("data-transfer"))
        for r in t.segments:
            s = r.segment
            if s.flags == frozenset({"ACK"}) and s.length == 0:
                assert event_of(t, f"recv #{r.n}").sent == []


# ================================================================================================
# 5. Sender
# ================================================================================================


class TestSender:
    def test_mss_segmentation(self):
        t = run(HS + ["client send 3000"])
        data = segs(t, "client", data=True)
        assert [(r.segment.seq, r.segment.length) for r in data] == [(1001, 1460), (2461, 1460), (3921, 80)]
        assert ["PSH" in r.segment.flags for r in data] == [False, False, True]
        assert all(r.sent_at == 30 * MS for r in data)
        assert t.delivered["server"] == [(0, 1460), (1460, 1460), (2920, 80)]

    def test_each_send_size_is_its_own_segment(self):
        t = run(HS + ["client send 80 40"])
        assert [(r.segment.seq, r.segment.length) for r in segs(t, "client", data=True)] == [(1001, 80), (1081, 40)]

    def test_the_peers_smaller_mss_wins(self):
        t = run(HS + ["client send 3000", "server send 1000"], server={"mss": 536})
        assert t.segment(1).segment.mss == 1460
        assert t.segment(2).segment.mss == 536
        client_data = [r.segment.length for r in segs(t, "client", data=True)]
        assert client_data == [536] * 5 + [320]
        # The server sends at its own, smaller, MSS even though the client offered 1460.
        assert [r.segment.length for r in segs(t, "server", data=True)] == [536, 464]

    def test_without_the_peers_mss_the_own_smaller_mss_wins(self):
        t = run(HS + ["client send 1000"], client={"mss": 300})
        assert [r.segment.length for r in segs(t, "client", data=True)] == [300, 300, 300, 100]

    @pytest.mark.parametrize(
        ("net", "srtt", "rttvar", "rto"),
        [
            ({}, 20 * MS, 10 * MS, 1 * SEC),  # RFC 6298 2.2, then the 1 s minimum (2.4)
            ({"latency": "300ms"}, 600 * MS, 300 * MS, 1800 * MS),  # 600 + 4 * 300
            ({"latency": "400ms"}, 800 * MS, 400 * MS, 2400 * MS),
            ({"profile": "linux"}, 20 * MS, 10 * MS, 220 * MS),  # SRTT + max(4 RTTVAR, 200 ms)
        ],
    )
    def test_rtt_sample_of_the_handshake(self, net, srtt, rttvar, rto):
        sim, _ = run_sim(HS, net=net)
        for host, peer in (("client", "server"), ("server", "client")):
            conn = sim.hosts[host].conns[peer]
            assert (conn.srtt, conn.rttvar, conn.rto) == (srtt, rttvar, rto)

    def test_initial_rto_is_one_second(self):
        sim, _ = run_sim(["drop next client->server", "client connect"])
        assert sim.hosts["client"].conns["server"].rto == 1 * SEC
        assert sim.hosts["client"].conns["server"].rtx_deadline == 1 * SEC

    def test_later_rtt_samples_follow_rfc_6298_2_3(self):
        sim, _ = run_sim(HS + ["client send 100"])
        conn = sim.hosts["client"].conns["server"]
        # R = 20 ms again: RTTVAR = 3/4 * 10 + 1/4 * |20 - 20| = 7.5 ms; SRTT stays 20 ms.
        assert (conn.srtt, conn.rttvar, conn.rto) == (20 * MS, 7_500, 1 * SEC)
        sim, _ = run_sim(HS + ["client send 100"], net={"profile": "linux"})
        conn = sim.hosts["client"].conns["server"]
        assert (conn.srtt, conn.rttvar, conn.rto) == (20 * MS, 7_500, 220 * MS)

    def test_no_rtt_sample_after_a_retransmitted_syn_gives_rto_3s(self):
        # RFC 6298 5.7 (and Karn's algorithm: no sample from the retransmitted SYN).
        sim, _ = run_sim(["server listen", "drop next client->server SYN", "client connect", "wait 2s"])
        conn = sim.hosts["client"].conns["server"]
        assert (conn.srtt, conn.rto) == (None, 3 * SEC)
        assert sim.hosts["server"].conns["client"].rto == 1 * SEC

    def test_exponential_backoff(self):
        t = run(HS + ["drop next client->server DATA"] * 3 + ["client send 100", "wait 10s"])
        rtx = [r for r in t.segments if r.segment.retransmission]
        assert [r.sent_at for r in rtx] == [1030 * MS, 3030 * MS, 7030 * MS]  # +1, +2, +4 s
        assert [r.fate for r in rtx] == ["dropped", "dropped", "delivered"]
        assert all((r.segment.seq, r.segment.length) == (1001, 100) for r in rtx)
        timers = [e.timer for e in t.events if e.cause == "timeout retransmission"]
        assert timers == [{"kind": "retransmission", "timeout": 1.0},
                          {"kind": "retransmission", "timeout": 2.0},
                          {"kind": "retransmission", "timeout": 4.0}]
        assert t.delivered["server"] == [(0, 100)]

    def test_exponential_backoff_linux(self):
        t = run(HS + ["drop next client->server DATA"] * 3 + ["client send 100", "wait 10s"],
                net={"profile": "linux"})
        rtx = [r.sent_at for r in t.segments if r.segment.retransmission]
        assert rtx == [250 * MS, 690 * MS, 1570 * MS]  # +0.22, +0.44, +0.88 s

    def test_timeout_resends_only_the_earliest_unacked_segment(self):
        t = run(HS + ["drop next client->server DATA"] * 3 + ["client send 100 100 100", "wait 20s"])
        first = [e for e in t.events if e.cause == "timeout retransmission"][0]
        assert first.at == 1030 * MS
        assert len(first.sent) == 1
        assert wire(t, first.sent[0]) == ("client", "server", ["ACK", "PSH"], 1001, 5001, 100)
        rtx = [(r.sent_at, r.segment.seq) for r in t.segments if r.segment.retransmission]
        # RFC 6298 5.4: the timeout resends one segment; the others were lost too and follow
        # on the ACK of that one (go-back-N, slow start: cwnd is 1 SMSS plus 100 bytes).
        assert rtx == [(1030 * MS, 1001), (1050 * MS, 1101), (1050 * MS, 1201)]
        assert t.delivered["server"] == [(0, 100), (100, 100), (200, 100)]

    def test_syn_retries_rfc9293(self):
        t = simulate(load("syn-timeout"))
        syns = segs(t, "client", flag="SYN")
        # Doubling from 1 s (RFC 6298 5.5); the 64 s timeout is capped at 60 s (2.5).
        assert [r.sent_at // SEC for r in syns] == [0, 1, 3, 7, 15, 31, 63, 123]
        assert all(r.sent_at % SEC == 0 for r in syns)
        assert all(r.segment.seq == 1000 for r in syns)
        assert [r.segment.retransmission for r in syns] == [False] + [True] * 7
        give_up = moves(t, "client")[-1]
        assert give_up == (183 * SEC, "client", "SYN-SENT", "CLOSED")
        # RFC 9293 3.8.3 (MUST-23) / RFC 1122 4.2.3.5: keep trying a SYN for at least 3 minutes.
        assert give_up[0] >= 180 * SEC
        ev = [e for e in t.events if e.state_after == "CLOSED" and e.endpoint == "client"][0]
        assert ev.error == "connection aborted due to user timeout"
        assert t.final == {"client": "CLOSED", "server": "LISTEN"}

    def test_syn_retries_linux(self):
        t = run(["drop next client->server SYN"] * 7 + ["client connect", "wait 3min"], net={"profile": "linux"})
        syns = segs(t, "client", flag="SYN")
        assert [r.sent_at for r in syns][:7] == [0, 1 * SEC, 2 * SEC, 3 * SEC, 4 * SEC, 5 * SEC, 7 * SEC]

    def test_syn_retries_linux_with_syn_retries_10(self):
        # Give-up by time (tcp_model_timeout): 10 retries -> (2**7 - 1) * 1 s + 4 * 120 s = 607 s.
        t = run(["drop next client->server SYN"] * 20 + ["client connect", "wait 15min"],
                net={"profile": "linux", "syn_retries": 10})
        syns = segs(t, "client", flag="SYN")
        assert [r.sent_at // SEC for r in syns] == [0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67, 131, 251, 371, 491]
        assert moves(t, "client")[-1] == (611 * SEC, "client", "SYN-SENT", "CLOSED")

    def test_syn_retries_linux_default_match_contract_schedule(self):
        # Contract: "SYN retries at 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s"; Linux 6.5+ gives up by
        # time, at the first timeout after 2**7 - 1 = 127 s.
        t = run(["drop next client->server SYN"] * 11 + ["client connect", "wait 3min"], net={"profile": "linux"})
        syns = segs(t, "client", flag="SYN")
        assert [r.sent_at // SEC for r in syns[1:]] == [1, 2, 3, 4, 5, 7, 11, 19, 35, 67]
        assert moves(t, "client")[-1] == (131 * SEC, "client", "SYN-SENT", "CLOSED")

    def test_syn_retries_setting(self):
        t = run(["drop next client->server SYN"] * 3 + ["client connect", "wait 1min"], net={"syn_retries": 2})
        assert [r.sent_at for r in segs(t, "client", flag="SYN")] == [0, 1 * SEC, 3 * SEC]
        assert moves(t, "client")[-1] == (7 * SEC, "client", "SYN-SENT", "CLOSED")

    @pytest.mark.parametrize("profile", ["rfc9293", "linux"])
    def test_synack_retries(self, profile):
        # The client goes away during the handshake; every SYN,ACK is lost.
        t = run(["server listen"] + ["drop next server->client"] * 6 + ["client connect", "client abort", "wait 2min"],
                net={"profile": profile})
        synacks = segs(t, "server", flag="SYN")
        assert [r.sent_at for r in synacks] == [10 * MS, 1010 * MS, 3010 * MS, 7010 * MS, 15010 * MS, 31010 * MS]
        assert all((r.segment.seq, r.segment.ack) == (5000, 1001) for r in synacks)
        assert moves(t, "server")[-1] == (63010 * MS, "server", "SYN-RECEIVED", "LISTEN")
        assert t.final == {"client": "CLOSED", "server": "LISTEN"}

    def test_data_retransmissions_give_up_with_user_timeout(self):
        t = run(HS + ["drop next client->server DATA"] * 16 + ["client send 10", "wait 20min"])
        rtx = [r.sent_at - 30 * MS for r in t.segments if r.segment.retransmission]
        assert [x // SEC for x in rtx] == [1, 3, 7, 15, 31, 63, 123, 183, 243, 303, 363, 423, 483, 543, 603]
        ev = [e for e in t.events if e.endpoint == "client" and e.state_after == "CLOSED"]
        assert [(e.at, e.state_before, e.error) for e in ev] == [
            (663030 * MS, "ESTABLISHED", "connection aborted due to user timeout")
        ]

    @pytest.mark.parametrize("window", [1000, 300, 1])
    def test_window_smaller_than_mss_still_delivers(self, window):
        # RFC 9293 3.8.6: the sender may not exceed the offered window, but must not stall.
        peak = []

        def observe(sim):
            conn = sim.hosts["client"].conns.get("server")
            if conn is not None:
                peak.append(sum(u.length for u in conn.unacked))

        sim = Simulator(build(toml(HS + ["client send 3000", "wait 10s"], server={"window": window})),
                        observe=observe)
        t = sim.run()
        data = segs(t, "client", data=True)
        assert data, "no data segment was ever sent"
        assert max(r.segment.length for r in data) <= window
        assert max(peak) <= window
        expect = 0
        for start, length in t.delivered["server"]:
            assert start == expect
            expect += length
        assert expect == 3000
        assert not any(r.segment.retransmission for r in t.segments)

    def test_window_limits_bytes_in_flight(self):
        t = run(HS + ["client send 1000 1000 1000"], server={"window": 2000})
        data = segs(t, "client", data=True)
        assert [(r.sent_at, r.segment.seq, r.segment.length) for r in data] == [
            (30 * MS, 1001, 1000), (30 * MS, 2001, 1000), (50 * MS, 3001, 1000),
        ]
        assert t.delivered["server"] == [(0, 1000), (1000, 1000), (2000, 1000)]


# ================================================================================================
# 6. TIME-WAIT
# ================================================================================================


class TestTimeWait:
    @pytest.mark.parametrize(
        ("net", "duration"),
        [
            ({}, 240 * SEC),
            ({"profile": "linux"}, 60 * SEC),
            ({"msl": "30s"}, 60 * SEC),
            ({"profile": "linux", "msl": "10s"}, 20 * SEC),
            ({"msl": "0s"}, 0),
        ],
    )
    def test_time_wait_lasts_2msl(self, net, duration):
        t = run(HS + ["client close", "server close", "wait 5min"], net=net)
        entered = [e.at for e in t.events if e.endpoint == "client" and e.state_after == "TIME-WAIT"]
        left = [e for e in t.events if e.endpoint == "client" and e.state_before == "TIME-WAIT"
                and e.state_after == "CLOSED"]
        assert entered == [60 * MS]
        assert [e.at for e in left] == [60 * MS + duration]
        assert left[0].cause == "timeout time-wait"
        assert left[0].timer == {"kind": "time-wait", "timeout": duration / SEC}
        assert t.params["net"]["time_wait"] == duration / SEC

    def test_shipped_time_wait_scenarios(self):
        for name, end in (("active-close", 240060 * MS), ("linux-time-wait", 60060 * MS)):
            t = simulate(load(name))
            assert moves(t, "client")[-1] == (end, "client", "TIME-WAIT", "CLOSED")

    def test_time_wait_is_still_there_just_before_2msl(self):
        # The last step ends at 70 ms (the final ACK arrives); TIME-WAIT began at 60 ms.
        t = run(HS + ["client close", "server close", "wait 239989ms"])
        assert t.final["client"] == "TIME-WAIT"
        t = run(HS + ["client close", "server close", "wait 239990ms"])
        assert t.final["client"] == "CLOSED"

    def test_retransmitted_fin_is_acked_again_and_restarts_time_wait(self):
        t = simulate(load("lost-final-ack"))
        assert wire(t, 7) == ("client", "server", ["ACK"], 1002, 5002, 0)
        assert t.segment(7).fate == "dropped"
        assert wire(t, 8) == ("server", "client", ["ACK", "FIN"], 5001, 1002, 0)
        assert (t.segment(8).sent_at, t.segment(8).segment.retransmission) == (1050 * MS, True)
        ev = event_of(t, "recv #8", "client")
        assert (ev.at, ev.state_before, ev.state_after, ev.sent) == (1060 * MS, "TIME-WAIT", "TIME-WAIT", [9])
        assert wire(t, 9) == ("client", "server", ["ACK"], 1002, 5002, 0)
        assert t.segment(9).segment.note == "ACK of retransmitted FIN"
        assert (1070 * MS, "server", "LAST-ACK", "CLOSED") in moves(t)
        # 2 MSL from the retransmitted FIN (1.06 s), not from entering TIME-WAIT (0.06 s).
        assert moves(t, "client")[-1] == (241060 * MS, "client", "TIME-WAIT", "CLOSED")
        assert t.final == {"client": "CLOSED", "server": "CLOSED"}


# ================================================================================================
# 7. Listener: backlog, flood, SYN cookies
# ================================================================================================


class TestListener:
    @pytest.mark.parametrize(("profile", "held"), [("rfc9293", 4), ("linux", 5)])
    def test_backlog_holds_n_or_n_plus_one_half_open_entries(self, profile, held):
        # syncookies off: linux would otherwise answer the extra SYNs with cookies (its default)
        sim, t = run_sim(["server listen", "flood 7"], server={"backlog": 4, "syncookies": False},
                         net={"profile": profile})
        assert sim.hosts["server"].half_open() == held
        synacks = segs(t, "server", flag="SYN")
        assert [r.segment.dst for r in synacks] == [f"spoof-{i}" for i in range(1, held + 1)]
        full = [e for e in t.events if e.note == "half-open queue full: SYN dropped"]
        assert len(full) == 7 - held
        assert all(e.sent == [] and e.state_before == e.state_after == "LISTEN" for e in full)

    def test_flood_fills_the_queue_and_the_real_syn_is_dropped_unanswered(self):
        sim = Simulator(load("syn-flood"))
        t = sim.run()
        spoof_syns = [r for r in t.segments if r.segment.src.startswith("spoof-")]
        assert [r.segment.src for r in spoof_syns] == [f"spoof-{i}" for i in range(1, 17)]
        assert all(r.segment.flags == frozenset({"SYN"}) and r.sent_at == 0 for r in spoof_syns)
        ev = event_of(t, "recv #33", "server")
        assert (ev.at, ev.state_before, ev.state_after, ev.sent) == (30 * MS, "LISTEN", "LISTEN", [])
        assert ev.note == "half-open queue full: SYN dropped"
        # Every client SYN before the entries expire is dropped the same way.
        client_syns = segs(t, "client", flag="SYN")
        assert [r.sent_at for r in client_syns] == [
            20 * MS, 1020 * MS, 3020 * MS, 7020 * MS, 15020 * MS, 31020 * MS, 63020 * MS,
        ]
        for r in client_syns[:-1]:
            assert event_of(t, f"recv #{r.n}", "server").sent == []

    def test_configured_server_isn_is_kept_for_the_real_client(self):
        t = simulate(load("syn-flood"))
        to_client = segs(t, "server", flag="SYN")
        to_client = [r for r in to_client if r.segment.dst == "client"]
        assert [(r.segment.seq, r.segment.ack) for r in to_client] == [(5000, 1001)]
        assert all(r.segment.seq != 5000 for r in t.segments if r.segment.dst.startswith("spoof-"))
        assert t.params["server"]["isn"] == 5000

    def test_spoofed_entries_are_retried_then_dropped(self):
        sim = Simulator(load("syn-flood"))
        t = sim.run()
        to_spoof_1 = [r for r in t.segments if r.segment.dst == "spoof-1"]
        assert [r.sent_at for r in to_spoof_1] == [10 * MS, 1010 * MS, 3010 * MS, 7010 * MS, 15010 * MS, 31010 * MS]
        dropped = [e for e in t.events if e.endpoint == "listener" and e.state_after == "LISTEN"]
        assert len(dropped) == 16
        assert {e.at for e in dropped} == {63010 * MS}
        assert {e.peer for e in dropped} == {f"spoof-{i}" for i in range(1, 17)}
        assert all(e.state_before == "SYN-RECEIVED" for e in dropped)
        # Then the client's next SYN gets in.
        ev = event_of(t, "recv #119", "server")
        assert (ev.at, ev.state_before, ev.state_after) == (63030 * MS, "LISTEN", "SYN-RECEIVED")
        assert t.final == {"client": "ESTABLISHED", "server": "ESTABLISHED"}
        assert sim.hosts["server"].half_open() == 0

    def test_syn_cookie_answer_keeps_no_state_and_completes_the_handshake(self):
        half_open = []

        def observe(sim):
            half_open.append((sim.now, sim.hosts["server"].half_open(), "client" in sim.hosts["server"].conns))

        sim = Simulator(load("syn-flood-cookies"), observe=observe)
        t = sim.run()
        ev = event_of(t, "recv #33", "server")
        assert (ev.at, ev.state_before, ev.state_after, ev.sent) == (30 * MS, "LISTEN", "LISTEN", [34])
        assert ev.note == "half-open queue full: answered with a SYN cookie, no state kept"
        cookie_synack = t.segment(34).segment
        assert cookie_synack.flags == frozenset({"SYN", "ACK"})
        assert cookie_synack.ack == 1001 and cookie_synack.note == "SYN cookie"
        cookie = cookie_synack.seq
        assert cookie >> 27 == 0  # t = 30 ms // 64 s
        assert COOKIE_MSS_TABLE[(cookie >> 24) & 7] == 1460  # the client's MSS
        # No state: still 16 half-open entries, and no connection with the client.
        after_cookie = [h for h in half_open if h[0] == 30 * MS][-1]
        assert after_cookie == (30 * MS, 16, False)
        # The returning ACK rebuilds the connection.
        assert wire(t, 35) == ("client", "server", ["ACK"], 1001, cookie + 1, 0)
        ev = event_of(t, "recv #35", "server")
        assert (ev.at, ev.state_before, ev.state_after, ev.note) == (50 * MS, "LISTEN", "ESTABLISHED", "valid SYN cookie")
        conn = sim.hosts["server"].conns["client"]
        assert (conn.iss, conn.irs, conn.snd_nxt, conn.rcv_nxt) == (cookie, 1000, cookie + 1, 1101)
        assert sim.hosts["server"].half_open() == 16
        assert t.delivered["server"] == [(0, 100)]
        assert wire(t, 37) == ("server", "client", ["ACK"], cookie + 1, 1101, 0)

    def test_forged_ack_with_a_wrong_cookie_gets_a_reset(self):
        sim, t = run_sim(["server listen", "flood 2", "client connect"], server={"backlog": 2, "syncookies": True})
        cookie = segs(t, "server", flag="SYN")[-1].segment.seq
        server = sim.hosts["server"]
        forged = seg("intruder", "server", 7001, (cookie + 2) % 2**32, {"ACK"})
        out = server.receive(forged, sim.now)
        assert out.moves == []
        assert [(s.dst, s.flags, s.seq, s.ack) for s in out.sent] == [
            ("intruder", frozenset({"RST"}), (cookie + 2) % 2**32, 0)
        ]
        assert "intruder" not in server.conns
        # The right cookie from the wrong source (a different ISN) fails too.
        out = server.receive(seg("intruder", "server", 1001, (cookie + 1) % 2**32, {"ACK"}), sim.now)
        assert [s.flags for s in out.sent] == [frozenset({"RST"})]
        assert "intruder" not in server.conns

    def test_cookie_expires_after_two_periods(self):
        sim, t = run_sim(["server listen", "flood 1", "drop next client->server ACK", "client connect"],
                         server={"backlog": 1, "syncookies": True})
        cookie = segs(t, "server", flag="SYN")[-1].segment.seq
        late = seg("client", "server", 1001, (cookie + 1) % 2**32, {"ACK"})
        out = sim.hosts["server"].receive(late, 129 * SEC)
        assert [(s.flags, s.seq) for s in out.sent] == [(frozenset({"RST"}), (cookie + 1) % 2**32)]
        out = sim.hosts["server"].receive(late, 100 * SEC)  # previous period: still valid
        assert out.note == "valid SYN cookie"

    def test_without_syncookies_the_queue_full_syn_gets_no_cookie(self):
        t = run(["server listen", "flood 1", "client connect"], server={"backlog": 1})
        assert not [r for r in t.segments if r.segment.note == "SYN cookie"]

    def test_cookie_synack_announces_the_servers_own_mss(self):
        t = run(["server listen", "flood 1", "client connect", "client send 1000"],
                server={"backlog": 1, "syncookies": True, "mss": 536})
        cookie_synack = [r for r in t.segments if r.segment.note == "SYN cookie"][0]
        assert cookie_synack.segment.mss == 536
        assert max(r.segment.length for r in segs(t, "client", data=True)) <= 536


# ================================================================================================
# 8. Profiles
# ================================================================================================


class TestProfiles:
    def test_params_of_each_profile(self):
        rfc = run(["server listen"]).params["net"]
        linux = run(["server listen"], net={"profile": "linux"}).params["net"]
        assert rfc == {"profile": "rfc9293", "seed": 0, "latency": 0.01, "rto": 1.0, "rto_min": 1.0,
                       "msl": 120.0, "time_wait": 240.0, "syn_retries": 7, "synack_retries": 5}
        assert linux == {"profile": "linux", "seed": 0, "latency": 0.01, "rto": 1.0, "rto_min": 0.2,
                         "msl": 30.0, "time_wait": 60.0, "syn_retries": 6, "synack_retries": 5}

    def test_rto_after_handshake(self):
        for profile, rto in (("rfc9293", 1 * SEC), ("linux", 220 * MS)):
            sim, _ = run_sim(HS, net={"profile": profile})
            assert sim.hosts["client"].conns["server"].rto == rto

    def test_time_wait(self):
        for profile, end in (("rfc9293", 240060 * MS), ("linux", 60060 * MS)):
            t = run(HS + ["client close", "server close", "wait 5min"], net={"profile": profile})
            assert moves(t, "client")[-1] == (end, "client", "TIME-WAIT", "CLOSED")

    def test_syn_schedule(self):
        for profile, times in (("rfc9293", [0, 1, 3, 7, 15]), ("linux", [0, 1, 2, 3, 4])):
            t = run(["drop next client->server"] * 5 + ["client connect", "wait 16s"], net={"profile": profile})
            assert [r.sent_at // SEC for r in segs(t, "client", flag="SYN")][:5] == times

    def test_abort_reset_form(self):
        for profile, flags, ack in (("rfc9293", ["RST"], 0), ("linux", ["ACK", "RST"], 5001)):
            t = run(HS + ["client abort"], net={"profile": profile})
            assert wire(t, 4) == ("client", "server", flags, 1001, ack, 0)
            assert t.final == {"client": "CLOSED", "server": "CLOSED"}

    def test_backlog(self):
        for profile, capacity in (("rfc9293", 3), ("linux", 4)):
            sim, _ = run_sim(["server listen", "flood 10"], server={"backlog": 3}, net={"profile": profile})
            assert sim.hosts["server"].half_open() == capacity

    def test_abort_in_time_wait(self):
        # rfc9293: ABORT in TIME-WAIT deletes the TCB (3.10.5); linux: the TIME-WAIT
        # minisocket outlives the application's socket and runs its 60 s.
        steps = HS + ["client close", "server close", "client abort", "wait 2min"]
        rfc = run(steps)
        assert event_of(rfc, "call abort").state_after == "CLOSED"
        assert moves(rfc, "client")[-1] == (70 * MS, "client", "TIME-WAIT", "CLOSED")
        linux = run(steps, net={"profile": "linux"})
        ev = event_of(linux, "call abort")
        assert (ev.state_before, ev.state_after, ev.sent) == ("TIME-WAIT", "TIME-WAIT", [])
        assert moves(linux, "client")[-1] == (60060 * MS, "client", "TIME-WAIT", "CLOSED")
        assert len(rfc.segments) == len(linux.segments) == 7  # no RST either way

    def test_explicit_net_values_override_the_profile(self):
        net = {"profile": "linux", "rto": "3s", "msl": "2min", "syn_retries": 1, "synack_retries": 1,
               "latency": "50ms", "seed": 9}
        t = run(["drop next client->server"] * 3 + ["client connect", "wait 30s"], net=net)
        assert t.params["net"] == {"profile": "linux", "seed": 9, "latency": 0.05, "rto": 3.0, "rto_min": 0.2,
                                   "msl": 120.0, "time_wait": 240.0, "syn_retries": 1, "synack_retries": 1}
        # Linear 3 s timeouts; Linux's time budget for 1 retry is (2**2 - 1) * 3 s = 9 s.
        assert [r.sent_at for r in segs(t, "client", flag="SYN")] == [0, 3 * SEC, 6 * SEC]
        assert moves(t, "client")[-1] == (9 * SEC, "client", "SYN-SENT", "CLOSED")
        t = run(HS + ["client close", "server close", "wait 5min"], net=net)
        assert t.segment(1).arrived_at == 50 * MS
        assert moves(t, "client")[-1] == (300 * MS + 240 * SEC, "client", "TIME-WAIT", "CLOSED")

    def test_explicit_rto_sets_the_first_syn_timeout(self):
        t = run(["drop next client->server", "server listen", "client connect", "wait 3s"],
                net={"rto": "2500ms"})
        assert [r.sent_at for r in segs(t, "client", flag="SYN")] == [0, 2500 * MS]


# ================================================================================================
# 9. Errors
# ================================================================================================


class TestErrors:
    def _error(self, steps, path="s.toml", **tables) -> str:
        with pytest.raises(ScenarioError) as caught:
            simulate(build(toml(steps, **tables), path))
        return str(caught.value)

    def test_send_while_closed(self):
        text = textwrap.dedent("""\
            title = "x"
            steps = [
              "server listen",
              "client send 10",
            ]
            """)
        with pytest.raises(ScenarioError) as caught:
            simulate(parse_scenario(text, "lessons/x.toml"))
        assert str(caught.value) == (
            'lessons/x.toml:4: step "client send 10": error: connection does not exist (client is CLOSED)'
        )
        assert caught.value.line == 4 and caught.value.exit_code == 2

    def test_send_after_close(self):
        msg = self._error(HS + ["client close", "client send 10"])
        assert msg == 's.toml:5: step "client send 10": error: connection closing (client is FIN-WAIT-2)'

    def test_send_after_close_while_fin_unacked(self):
        msg = self._error(HS + ["drop next server->client", "client close", "client send 10"])
        assert msg == 's.toml:6: step "client send 10": error: connection closing (client is FIN-WAIT-1)'

    def test_close_twice(self):
        msg = self._error(HS + ["client close", "server close", "client close"])
        assert msg == 's.toml:6: step "client close": error: connection closing (client is TIME-WAIT)'

    def test_close_and_abort_without_a_connection(self):
        assert self._error(["client close"]) == (
            's.toml:2: step "client close": error: connection does not exist (client is CLOSED)'
        )
        assert self._error(["client abort"]) == (
            's.toml:2: step "client abort": error: connection does not exist (client is CLOSED)'
        )

    def test_connection_already_exists(self):
        assert self._error(["server listen", "server listen"]) == (
            's.toml:3: step "server listen": error: connection already exists (server is LISTEN)'
        )
        assert self._error(HS + ["client connect"]) == (
            's.toml:4: step "client connect": error: connection already exists (client is ESTABLISHED)'
        )

    def test_connection_reset_is_reported_on_the_side_that_receives_the_rst(self):
        t = run(HS + ["client send 10", "client abort"])
        errors = [(e.endpoint, e.error) for e in t.events if e.error]
        assert errors == [("server", "connection reset")]
        assert t.to_json()["events"][-1]["error"] == "connection reset"

    def test_send_to_a_refused_connection(self):
        msg = self._error(["client connect", "client send 10"])
        assert msg == 's.toml:3: step "client send 10": error: connection does not exist (client is CLOSED)'


# ================================================================================================
# The trace contract, and determinism
# ================================================================================================

SEGMENT_KEYS = {"n", "src", "dst", "flags", "seq", "ack", "len", "win", "sent_at", "fate", "arrived_at",
                "retransmission"}
EVENT_KEYS = {"at", "endpoint", "cause", "state_before", "state_after", "sent"}


def _check_contract(doc: dict, delayed: bool = False) -> None:
    """`delayed`: the scenario holds segments back (`delay`, a `rate` bottleneck), so they
    arrive later than `latency` alone makes them, never earlier."""
    assert doc["format"] == "tcptutor.trace/1"
    assert isinstance(doc["title"], str)
    assert {"client", "server", "net"} <= set(doc["params"])
    assert 0 <= doc["params"]["client"]["isn"] < 2**32 and 0 <= doc["params"]["server"]["isn"] < 2**32
    segments = doc["segments"]
    assert [s["n"] for s in segments] == list(range(1, len(segments) + 1))
    last_sent = 0.0
    for s in segments:
        assert SEGMENT_KEYS <= set(s)
        assert set(s) <= SEGMENT_KEYS | {"options", "note"}
        assert s["flags"] == [f for f in FLAG_ORDER if f in s["flags"]]
        assert len(set(s["flags"])) == len(s["flags"]) and set(s["flags"]) <= set(FLAG_ORDER)
        assert s["flags"], s
        if "ACK" not in s["flags"]:
            assert s["ack"] == 0
        for key in ("seq", "ack"):
            assert isinstance(s[key], int) and 0 <= s[key] <= 2**32 - 1
        assert isinstance(s["len"], int) and s["len"] >= 0
        assert s["fate"] in ("delivered", "dropped")
        if s["fate"] == "dropped":
            assert s["arrived_at"] is None
        elif delayed:
            assert s["arrived_at"] >= s["sent_at"] + doc["params"]["net"]["latency"] - 1e-9
        else:
            assert s["arrived_at"] == pytest.approx(s["sent_at"] + doc["params"]["net"]["latency"])
        assert s["sent_at"] >= last_sent  # on the wire in order
        last_sent = s["sent_at"]
        for end in ("src", "dst"):
            name = s[end]
            assert name in ("client", "server") or (
                name.startswith("spoof-") and name[6:].isdigit() and int(name[6:]) >= 1
            )
        assert isinstance(s["retransmission"], bool)
    last_at = 0.0
    for e in doc["events"]:
        assert EVENT_KEYS <= set(e)
        assert e["state_before"] in STATE_NAMES and e["state_after"] in STATE_NAMES
        if e["state_before"] != e["state_after"]:
            assert (State(e["state_before"]), State(e["state_after"])) in EDGES
        assert e["endpoint"] in ("client", "server", "listener")
        assert all(1 <= n <= len(segments) for n in e["sent"])
        for n in e["sent"]:
            assert segments[n - 1]["sent_at"] == e["at"]
        if e["cause"].startswith("recv #"):
            n = int(e["cause"][6:])
            assert segments[n - 1]["fate"] == "delivered"
            assert segments[n - 1]["arrived_at"] == e["at"]
        assert e["at"] >= last_at
        last_at = e["at"]
    # Every segment on the wire was sent by exactly one event (flood SYNs excepted).
    sent_by_events = sorted(n for e in doc["events"] for n in e["sent"])
    spoofed = [s["n"] for s in segments if s["src"].startswith("spoof-")]
    assert sorted(sent_by_events + spoofed) == [s["n"] for s in segments]
    assert set(doc["final"]) == {"client", "server"}
    assert set(doc["final"].values()) <= STATE_NAMES


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_shipped_scenario_trace_matches_the_contract(path):
    text = path.read_text()
    trace = simulate(parse_scenario(text, str(path)))
    doc = trace.to_json()
    _check_contract(doc, delayed='"delay ' in text or "rate =" in text)
    assert json.loads(json.dumps(doc)) == doc  # plain JSON values only
    # final is the last state each side's events reached (named endpoints only).
    for side in ("client", "server"):
        mine = [e for e in doc["events"] if e["endpoint"] == side]
        if mine:
            assert doc["final"][side] == mine[-1]["state_after"]


def test_contract_example_segment_shape():
    doc = simulate(load("handshake")).to_json()
    first = dict(doc["segments"][0])
    assert first.pop("options") == {"mss": 1460}
    assert first == {"n": 1, "src": "client", "dst": "server", "flags": ["SYN"], "seq": 1000, "ack": 0,
                     "len": 0, "win": 65535, "sent_at": 0.0, "fate": "delivered", "arrived_at": 0.01,
                     "retransmission": False}
    assert doc["events"][1] == {"at": 0.0, "endpoint": "client", "cause": "call connect",
                                "state_before": "CLOSED", "state_after": "SYN-SENT", "sent": [1],
                                "rfc": doc["events"][1]["rfc"],
                                # contract v2: the TCB after the event (no SND.WND/RCV.NXT before the peer's SYN)
                                "tcb": {"snd_una": 1000, "snd_nxt": 1001, "rcv_wnd": 65535, "cwnd": 4380, "rto": 1.0}}
    assert doc["title"] == "The three-way handshake"
    assert doc["final"] == {"client": "ESTABLISHED", "server": "ESTABLISHED"}


def test_flood_spoofs_are_named_and_marked_as_listener_events():
    doc = simulate(load("syn-flood")).to_json()
    spoofs = sorted({s["src"] for s in doc["segments"] if s["src"] != "client" and s["src"] != "server"},
                    key=lambda n: int(n.split("-")[1]))
    assert spoofs == [f"spoof-{i}" for i in range(1, 17)]
    listener = [e for e in doc["events"] if e["endpoint"] == "listener"]
    assert listener and all(e["peer"].startswith("spoof-") for e in listener)


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_simulation_is_deterministic(path):
    text = path.read_text()
    a = simulate(parse_scenario(text, str(path))).to_json()
    b = simulate(parse_scenario(text, str(path))).to_json()
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _isns(seed):
    t = simulate(build(f'steps = ["server listen", "client connect"]\n[net]\nseed = {seed}\n'))
    return t.segment(1).segment.seq, t.segment(2).segment.seq


def test_same_seed_same_isns_different_seed_different_isns():
    assert _isns(1) == _isns(1)
    assert _isns(0) == _isns(0)
    assert _isns(1) != _isns(2)
    assert len({_isns(s) for s in range(5)}) == 5
    client, server = _isns(3)
    t = simulate(build('steps = ["server listen", "client connect"]\n[net]\nseed = 3\n'))
    assert t.params["client"]["isn"] == client and t.params["server"]["isn"] == server


def test_giving_one_isn_does_not_change_the_other():
    _, server = _isns(4)
    t = simulate(build('steps = ["server listen", "client connect"]\n[client]\nisn = 77\n[net]\nseed = 4\n'))
    assert (t.segment(1).segment.seq, t.segment(2).segment.seq) == (77, server)


def test_full_windows_with_holes_on_both_sides_do_not_start_an_ack_war():
    """Both sides fill the other's window exactly while holding out-of-order data, so each
    one's pure ACK carries SEG.SEQ = the peer's RCV.NXT+RCV.WND. Read literally, RFC 9293's
    acceptability table refuses it and the two answer each other's ACKs forever; BSD and
    Linux accept an empty segment at the right edge (found by the lossy property test)."""
    text = """
steps = ["server listen", "client connect", "drop next", "drop next", "wait 2min",
         "server send 2877 & client send 453 1008 2636", "client send 409 536",
         "server close", "wait 10min"]
[client]
isn = 89
mss = 1460
window = 546
[server]
isn = 8
mss = 536
window = 480
[net]
latency = "0ms"
"""
    trace = simulate(parse_scenario(text))
    unacceptable = [r for r in trace.segments if r.segment.note == "ACK of an unacceptable segment"]
    assert len(unacceptable) < 5
    assert sum(n for _, n in trace.delivered["server"]) == 453 + 1008 + 2636 + 409 + 536
    assert sum(n for _, n in trace.delivered["client"]) == 2877


# ---------------------------------------------------------------- RFC 5961 is optional

def _after_lost_data_abort(net: str) -> dict:
    """The client's data is lost, then it aborts: its RST lands in the window, off RCV.NXT."""
    text = ('steps = ["server listen", "client connect", "drop next client->server", "client send 100", '
            '"client abort", "wait 3s"]\n[client]\nisn = 1000\n[server]\nisn = 5000\n' + net)
    return simulate(parse_scenario(text)).to_json()


def _reconnect_at_once(net: str) -> dict:
    """The client forgets its connection (its RST is lost) and connects again 0 s later: the
    clock-driven ISN puts the new SYN inside the server's window."""
    text = ('steps = ["server listen", "client connect", "drop next client->server RST", "client abort", '
            '"client connect", "wait 2s"]\n[client]\nisn = 1000\n[server]\nisn = 5000\n' + net)
    return simulate(parse_scenario(text)).to_json()


def _server_segments(trace: dict) -> list[tuple]:
    return [("+".join(s["flags"]), s["seq"], s["ack"]) for s in trace["segments"] if s["src"] == "server"]


def test_the_base_rule_resets_on_any_rst_in_the_window():
    """RFC 9293 3.10.7.4 second check without RFC 5961: in-window is enough."""
    trace = _after_lost_data_abort("")
    assert trace["final"]["server"] == "CLOSED"
    assert [s for s in _server_segments(trace) if s[0] == "ACK" and s[2] == 1001][-1:] == []  # no challenge ACK


def test_rfc5961_turns_an_inexact_rst_into_a_challenge_ack_under_either_profile():
    for net in ('[net]\nrfc5961 = true\n', '[net]\nprofile = "linux"\n'):
        trace = _after_lost_data_abort(net)
        challenge = [s for s in trace["segments"] if s.get("note") == "challenge ACK"]
        assert challenge and challenge[0]["src"] == "server" and challenge[0]["ack"] == 1001, net
        assert trace["final"]["server"] == "CLOSED"  # the client's host answers it with an exact RST


def test_a_syn_in_the_window_is_answered_with_a_reset_under_the_base_rule():
    """RFC 9293 3.10.7.4 fourth check, "for implementations that do not follow RFC 5961": send
    a reset (3.10.7.1's form for a segment without ACK) and enter CLOSED; the reset
    acknowledges the new SYN, so the client in SYN-SENT accepts it."""
    trace = _reconnect_at_once("")
    syn = [s for s in trace["segments"] if s["src"] == "client" and s["flags"] == ["SYN"]][-1]
    reset = [s for s in trace["segments"] if s["src"] == "server" and "RST" in s["flags"]]
    assert [(sorted(r["flags"]), r["seq"], r["ack"]) for r in reset] == [(["ACK", "RST"], 0, syn["seq"] + 1)]
    assert reset[0]["note"] == "SYN in the window: reset"
    assert trace["final"] == {"client": "CLOSED", "server": "CLOSED"}
    assert trace["params"]["net"].get("rfc5961") is None  # the profile's own rule: not written


def test_with_rfc5961_the_same_syn_draws_a_challenge_ack_and_the_retry_connects():
    trace = _reconnect_at_once('[net]\nrfc5961 = true\n')
    assert any(s.get("note") == "challenge ACK" and s["ack"] == 1001 for s in trace["segments"])
    assert trace["final"] == {"client": "ESTABLISHED", "server": "ESTABLISHED"}
    assert trace["params"]["net"]["rfc5961"] is True
