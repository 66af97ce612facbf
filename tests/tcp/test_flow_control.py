"""Flow control (RFC 9293 3.8.6): a receive buffer the application reads (`autoread = false`,
`E read`), the window that shrinks to zero and reopens (receiver-side SWS avoidance,
3.8.6.2.2), window updates, and the sender's zero-window probes on the persist timer
(3.8.6.1, RFC 1122 4.2.2.17; Linux tcp_probe_timer / tcp_send_probe0)."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tcptutor.errors import ScenarioError
from tcptutor.tcp.scenario import parse_scenario
from tcptutor.tcp.simulator import simulate
from tcptutor.tcp.trace import Note


def run(steps: list[str], profile: str = "rfc9293", server: str = "", client: str = "mss = 500"):
    text = textwrap.dedent(f"""\
        steps = {steps!r}
        [client]
        isn = 1000
        {client}
        [server]
        isn = 5000
        window = 1000
        autoread = false
        {server}
        [net]
        profile = "{profile}"
        """).replace("'", '"')
    return simulate(parse_scenario(text))


FILL = ["server listen", "client connect", "client send 3000", "wait 5s"]


def from_server(trace):
    return [r for r in trace.segments if r.src == "server"]


def probes(trace):
    return [r for r in trace.segments if r.src == "client" and r.segment.note == Note.ZERO_WINDOW_PROBE]


@pytest.mark.parametrize("profile", ["rfc9293", "linux"])
def test_the_window_shrinks_by_each_segment_to_zero_while_the_application_does_not_read(profile):
    trace = run(FILL, profile)
    acks_of_data = [r for r in from_server(trace) if r.ack > 1001]
    # the right edge stays at 1001 + 1000 (3.8.6.2.2): 500 left after the first segment, 0 after the second
    assert [(r.ack, r.win) for r in acks_of_data[:2]] == [(1501, 500), (2001, 0)]
    assert all(r.win == 0 for r in acks_of_data[2:])
    assert sum(r.length for r in trace.segments if r.src == "client" and r.length > 1) == 1000


def test_rfc9293_probes_with_one_octet_of_new_data_at_the_rto_then_doubling():
    trace = run(FILL)
    sent = probes(trace)
    # the zero window arrives at 0.050 s; RTO 1 s (RFC 6298 2.1), then 2 s (RFC 1122 4.2.2.17)
    assert [(r.sent_at, r.seq, r.length, r.retransmission) for r in sent] == [
        (1_050_000, 2001, 1, False), (3_050_000, 2001, 1, True)]
    timers = [e.timer for e in trace.events if e.cause == "timeout persist"]
    assert [t["timeout"] for t in timers] == [1.0, 2.0]
    # each probe is answered with the unchanged zero window, and none counts as a duplicate ACK
    answers = [r for r in from_server(trace) if r.sent_at in (1_060_000, 3_060_000)]
    assert [(r.ack, r.win) for r in answers] == [(2001, 0), (2001, 0)]
    assert not any(r.segment.note == Note.FAST_RETRANSMIT for r in trace.segments)


def test_linux_probes_with_snd_una_minus_one_and_no_data_restarting_the_timer_on_each_ack():
    trace = run(FILL, "linux")
    sent = probes(trace)
    assert all((r.seq, r.length) == (2000, 0) for r in sent)  # SND.UNA - 1: tcp_xmit_probe_skb(sk, 0)
    # RTO 220 ms (SRTT 20 ms + TCP_RTO_MIN) from the zero window at 0.050 s; the answer at
    # 0.290 s restarts the timer (tcp_ack_probe) at twice that; the peer does not answer the
    # probe at 0.730 s (one out-of-window ACK per 500 ms), so the next comes 880 ms later.
    assert [r.sent_at for r in sent] == [270_000, 730_000, 1_610_000, 3_390_000]
    answered = [r.sent_at for r in from_server(trace) if 250_000 < r.sent_at < 5_000_000]
    assert answered == [280_000, 1_620_000, 3_400_000]


@pytest.mark.parametrize("profile", ["rfc9293", "linux"])
def test_a_read_sends_a_window_update_and_the_sender_resumes(profile):
    trace = run([*FILL, "server read all", "wait 1s"], profile)
    read_at = 5_050_000
    update = next(r for r in from_server(trace) if r.sent_at == read_at)
    assert (update.length, update.win) == (0, 1000)  # an ACK that only opens the window
    resumed = [r for r in trace.segments if r.src == "client" and r.sent_at == read_at + 10_000 and r.length]
    assert resumed and resumed[0].seq == 2001


def test_rfc9293_does_not_open_the_window_by_less_than_min_half_the_buffer_or_an_mss():
    trace = run([*FILL, "server read 100", "server read 399", "server read 1"])
    # 100 and then 499 free bytes are less than min(1000 / 2, 500): no update (3.8.6.2.2)
    updates = [r for r in from_server(trace) if r.sent_at >= 5_050_000]
    assert [(r.ack, r.win) for r in updates][:1] == [(2001, 500)]
    assert all(r.sent_at == 5_050_000 for r in updates[:1])
    # the update came with the third read (500 free), not before: no ACK from the first two
    read_events = [e for e in trace.events if str(e.cause).startswith("call read")]
    assert [bool(e.sent) for e in read_events] == [False, False, True]


def test_reading_more_than_is_buffered_reads_what_there_is():
    trace = run([*FILL, "server read 5000", "server read 10", "wait 1s"])
    first, second = [e for e in trace.events if str(e.cause).startswith("call read")]
    assert first.sent and not second.sent  # the buffer held 1000 bytes; then nothing was left
    assert trace.final == {"client": "ESTABLISHED", "server": "ESTABLISHED"}


@pytest.mark.parametrize(("steps", "message"), [
    (["server read 10"], "connection does not exist (server is CLOSED)"),
    (["server listen", "server read 10"], "foreign socket unspecified (server is LISTEN)"),
    (["server listen", "drop next SYN,ACK", "client connect", "client read all"],
     "connection not yet established (client is SYN-SENT)"),
])
def test_a_read_without_a_synchronized_connection_is_an_error_naming_the_step(steps, message):
    with pytest.raises(ScenarioError) as caught:
        run(steps)
    assert f'step "{steps[-1]}": error: {message}' in str(caught.value)


def test_read_needs_a_size_or_all():
    with pytest.raises(ScenarioError, match='read needs one size in bytes or "all"'):
        run(["server listen", "server read"])


def test_with_autoread_the_window_never_changes():
    trace = run(FILL, server="", client="mss = 500").params  # the file sets autoread = false
    assert trace["server"]["window"] == 1000
    text = 'steps = ["server listen", "client connect", "client send 3000"]\n[server]\nwindow = 1000\n'
    done = simulate(parse_scenario(text))
    assert {r.win for r in done.segments if r.src == "server"} == {1000}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    profile=st.sampled_from(["rfc9293", "linux"]),
    window=st.integers(1, 3000),
    mss=st.integers(100, 1460),
    sizes=st.lists(st.integers(1, 4000), min_size=1, max_size=3),
    reads=st.lists(st.one_of(st.integers(1, 3000), st.none()), max_size=4),
)
def test_the_sender_never_puts_more_in_flight_than_the_peer_offered(profile, window, mss, sizes, reads):
    steps = ["server listen", "client connect", "client send " + " ".join(map(str, sizes)), "wait 3s"]
    for r in reads:
        steps += [f"server read {'all' if r is None else r}", "wait 2s"]
    text = textwrap.dedent(f"""\
        steps = {steps!r}
        [client]
        isn = 1000
        mss = {mss}
        [server]
        isn = 5000
        window = {window}
        autoread = false
        [net]
        profile = "{profile}"
        """).replace("'", '"')
    trace = simulate(parse_scenario(text))
    server = from_server(trace)
    for r in trace.segments:
        if r.src != "client" or not r.length:
            continue
        heard = [s for s in server if s.arrived_at is not None and s.arrived_at <= r.sent_at and "ACK" in s.flags]
        right_edge = heard[-1].ack + heard[-1].win
        allowance = 1 if r.segment.note == Note.ZERO_WINDOW_PROBE else 0  # RFC 9293 3.8.6.1's octet
        assert r.seq + r.length <= right_edge + allowance, (r.n, r.seq, r.length, right_edge)
    delivered = sum(n for _, n in trace.delivered.get("server", []))
    assert delivered <= window + sum(window if r is None else r for r in reads)
