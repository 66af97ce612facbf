"""Keep-alive (issue 11 point 5): RFC 9293 3.8.4, RFC 1122 4.2.3.6, and Linux's tcp_keepalive_timer.

Each test runs a scenario through the simulator and states what the wire and the events
show: the probe's numbers (SEQ = SND.NXT - 1, the ACK of RCV.NXT, no data), when probes go,
the reset after the last unanswered one, the final state and the error, and what restarts
the idle time. The kernel reference is tests/tcp/test_linux_keepalive.py.
"""

from __future__ import annotations

import pytest

from tcptutor.errors import ScenarioError
from tcptutor.tcp.params import MICROS
from tcptutor.tcp.scenario import parse_scenario
from tcptutor.tcp.simulator import simulate
from tcptutor.tcp.trace import Note

MS = 1_000
HS = ["server listen", "client connect"]  # both ESTABLISHED at 30 ms; the server last hears the client then
SHORT = {"keepalive": True, "keepalive_idle": "2s", "keepalive_interval": "1s", "keepalive_count": 3}
TIMED_OUT = "connection timed out: keep-alive probes unanswered"


def toml(steps, *, client=None, server=None, net=None) -> str:
    lines = ["steps = ["] + [f'  "{s}",' for s in steps] + ["]"]
    for name, values in (("client", {"isn": 1000, **(client or {})}), ("server", {"isn": 5000, **(server or {})}),
                         ("net", dict(net or {}))):
        lines.append(f"[{name}]")
        for key, value in values.items():
            shown = ("true" if value else "false") if isinstance(value, bool) else (
                f'"{value}"' if isinstance(value, str) else value)
            lines.append(f"{key} = {shown}")
    return "\n".join(lines) + "\n"


def run(steps, **tables):
    return simulate(parse_scenario(toml(steps, **tables), "<test>"))


def probes(trace, src="server"):
    return [r for r in trace.segments if r.src == src and r.note == Note.KEEPALIVE_PROBE]


def wire(record) -> tuple:
    return (record.sent_at, record.src, "+".join(sorted(record.flags)), record.seq, record.ack, record.length)


# --------------------------------------------------------------------------- the probe


def test_a_probe_carries_snd_nxt_minus_one_no_data_and_is_answered_with_an_ack():
    t = run([*HS, "wait 2.5s"], server=SHORT)
    probe, answer = t.segments[3], t.segments[4]
    assert wire(probe) == (2030 * MS, "server", "ACK", 5000, 1001, 0)  # SND.NXT = 5001, RCV.NXT = 1001
    assert probe.note == Note.KEEPALIVE_PROBE and not probe.retransmission
    # The client finds seq 5000 below RCV.NXT (unacceptable, RFC 9293 3.10.7.4) and ACKs.
    assert wire(answer) == (2040 * MS, "client", "ACK", 1001, 5001, 0)
    assert answer.note == Note.ACK_OF_UNACCEPTABLE
    event = next(e for e in t.events if e.sent == [probe.n])
    assert (str(event.cause), event.timer) == ("timeout keepalive", {"kind": "keepalive", "timeout": 2.0})
    assert t.final == {"client": "ESTABLISHED", "server": "ESTABLISHED"}


def test_an_answered_probe_restarts_the_idle_time():
    """The answer arrives at 2.05 s: the next probe is due 2 s after it, not 1 s after the probe."""
    t = run([*HS, "wait 7s"], server=SHORT)
    assert [p.sent_at for p in probes(t)] == [2030 * MS, 4050 * MS, 6070 * MS]
    assert [e.timer["timeout"] for e in t.events if str(e.cause) == "timeout keepalive"] == [2.0, 2.0, 2.0]
    assert t.final["server"] == "ESTABLISHED"


def test_the_interval_follows_the_last_probe_when_it_is_longer_than_the_idle_time():
    """Linux: the timer stays set one interval after the probe and only then looks at the idle time."""
    t = run([*HS, "wait 10s"], server={**SHORT, "keepalive_interval": "3s"})
    assert [p.sent_at for p in probes(t)] == [2030 * MS, 5030 * MS, 8030 * MS]


def test_data_received_restarts_the_idle_time():
    t = run([*HS, "wait 1.5s", "client send 100", "wait 3s"], server=SHORT)
    # The data arrives at 1.54 s; the probe follows 2 s later, with RCV.NXT past the data.
    assert [wire(p) for p in probes(t)] == [(3540 * MS, "server", "ACK", 5000, 1101, 0)]


def test_an_ack_of_our_data_restarts_the_idle_time_and_no_probe_goes_while_data_is_outstanding():
    """Keep-alive runs only with nothing outstanding (Linux tcp_keepalive_timer: packets_out)."""
    t = run([*HS, "wait 1.9s", "drop next server->client DATA", "server send 100", "wait 4s"],
            server={**SHORT, "keepalive_idle": "1s"})
    # A probe at 1.03 s is answered at 1.05 s, so the next would be due at 2.05 s; but the
    # data sent at 1.93 s is lost and outstanding until its retransmission (2.93 s) is ACKed
    # at 2.95 s. No probe meanwhile; the next comes 1 s after that ACK.
    assert [p.sent_at for p in probes(t)] == [1030 * MS, 3950 * MS, 4970 * MS]
    assert [p.seq for p in probes(t)] == [5000, 5100, 5100]  # SND.NXT - 1, before and after 100 bytes


def test_an_unacceptable_segment_does_not_restart_the_idle_time():
    """Both sides probe: the server's probe is unacceptable at the client, so the client
    still probes 2 s after the last acceptable segment it got."""
    t = run([*HS, "wait 2.5s"], client=SHORT, server=SHORT)
    assert [p.sent_at for p in probes(t, "client")] == [2020 * MS]  # 2 s after the SYN,ACK
    assert [p.sent_at for p in probes(t, "server")] == [2030 * MS]


def test_keepalive_is_off_by_default():
    t = run([*HS, "client vanish", "wait 3h"])
    assert len(t.segments) == 3 and t.final == {"client": "ESTABLISHED", "server": "ESTABLISHED"}


def test_the_defaults_are_two_hours_75_seconds_and_9_probes():
    t = run([*HS, "client vanish", "wait 3h"], server={"keepalive": True})
    start = 30 * MS + 7200 * MICROS
    assert [p.sent_at for p in probes(t)] == [start + k * 75 * MICROS for k in range(9)]
    reset = t.segments[-1]
    assert (reset.sent_at, sorted(reset.flags)) == (start + 9 * 75 * MICROS, ["RST"])


# --------------------------------------------------------------------------- a dead peer


@pytest.mark.parametrize(("profile", "flags"), [("rfc9293", ["RST"]), ("linux", ["ACK", "RST"])])
def test_a_vanished_peer_gets_count_probes_then_the_connection_is_reset(profile, flags):
    t = run([*HS, "client vanish", "wait 10s"], server=SHORT, net={"profile": profile})
    assert [p.sent_at for p in probes(t)] == [2030 * MS, 3030 * MS, 4030 * MS]
    assert all(p.fate == "dropped" and p.network_note == "client vanished: nothing reaches it" for p in probes(t))
    reset = t.segments[-1]
    # One interval after the third probe: a reset at SND.NXT (Linux tcp_send_active_reset: RST+ACK).
    assert (reset.sent_at, sorted(reset.flags), reset.seq, reset.note) == (5030 * MS, flags, 5001, Note.KEEPALIVE_RESET)
    last = t.events[-1]
    assert (last.at, last.endpoint, str(last.cause), last.state_before, last.state_after, last.error) == (
        5030 * MS, "server", "timeout keepalive", "ESTABLISHED", "CLOSED", TIMED_OUT)
    assert last.timer == {"kind": "keepalive", "timeout": 1.0}
    assert t.final == {"client": "ESTABLISHED", "server": "CLOSED"}


def test_a_dead_peer_is_found_in_close_wait_and_fin_wait_2():
    for steps, state in ((["client close"], "CLOSE-WAIT"), (["server close"], "FIN-WAIT-2")):
        t = run([*HS, *steps, "client vanish", "wait 10s"], server=SHORT)
        assert (t.events[-1].state_before, t.events[-1].state_after, t.events[-1].error) == (state, "CLOSED", TIMED_OUT)


def test_with_data_outstanding_the_retransmission_timer_finds_the_dead_peer_not_keepalive():
    t = run([*HS, "client vanish", "server send 100", "wait 20min"], server=SHORT)
    assert probes(t) == []
    assert t.events[-1].error == "connection aborted due to user timeout"


def test_no_probes_in_time_wait():
    t = run([*HS, "client close", "server close", "wait 5min"], client=SHORT, server=SHORT)
    assert probes(t, "client") == [] and t.final == {"client": "CLOSED", "server": "CLOSED"}


def test_the_named_scenario_finds_its_dead_peer():
    from tcptutor import library

    t = simulate(library.load_scenario("keepalive-dead-peer"))
    assert [(p.sent_at, p.fate) for p in probes(t)] == [
        (2040 * MS, "delivered"), (4060 * MS, "dropped"), (5060 * MS, "dropped"), (6060 * MS, "dropped")]
    assert (t.events[-1].error, t.final) == (TIMED_OUT, {"client": "ESTABLISHED", "server": "CLOSED"})


# --------------------------------------------------------------------------- the keys


def test_the_keys_are_parsed_with_their_defaults():
    s = parse_scenario(toml(HS, server={"keepalive": True, "keepalive_idle": "90min"}))
    assert (s.server.keepalive, s.server.keepalive_idle, s.server.keepalive_interval, s.server.keepalive_count) == (
        True, 5400 * MICROS, 75 * MICROS, 9)
    assert (s.client.keepalive, s.client.keepalive_idle) == (False, 7200 * MICROS)


@pytest.mark.parametrize(("key", "value", "message"), [
    ("keepalive", "yes", 'keepalive must be true or false; got "yes"'),
    ("keepalive_idle", 10, 'a duration needs a unit (us, ms, s, min, h), like "200ms"; got 10'),
    ("keepalive_idle", "0s", 'keepalive_idle must be more than 0; got "0s"'),
    ("keepalive_interval", "25h", "keepalive_interval: a duration can be at most 24h"),
    ("keepalive_count", 0, "keepalive_count must be at least 1; got 0"),
    ("keepalive_count", 128, "keepalive_count can be at most 127 probes (tcptutor is a teaching simulator); got 128"),
])
def test_bad_values_are_refused_at_their_line(key, value, message):
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(toml(HS, server={key: value}), "lab.toml")
    assert str(caught.value).startswith("lab.toml:9: ") and message in str(caught.value), str(caught.value)
