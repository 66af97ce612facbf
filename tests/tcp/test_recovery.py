"""Loss recovery as real stacks do it (issue 10 points 1 and 2, collapsing from point 3).

Partial ACKs resend the next hole at once (RFC 6582 3.2 step 5; Linux tcp_fastretrans_alert,
tcp_newreno_mark_lost); after an RTO the outstanding segments are resent go-back-N as the
ACKs return (RFC 5681 3.1 slow start; Linux tcp_enter_loss, tcp_xmit_retransmit_queue);
Linux merges small segments into a retransmission (tcp_retrans_try_collapse). The times
and lengths below are the ones Linux 6.18 showed with reno, no SACK, no timestamps and
10 ms each way (the lead-in of each test says which measurement).
"""

from __future__ import annotations

from tcptutor.tcp.cc.linux import LinuxReno
from tcptutor.tcp.cc.newreno import NewReno
from tcptutor.tcp.simulator import Simulator

from test_simulator import MS, build, toml

HS = ["server listen", "client connect"]
DROP = "drop next client->server DATA"


def sim(steps, **tables) -> tuple[Simulator, object]:
    simulator = Simulator(build(toml(steps, **tables)))
    return simulator, simulator.run()


def client(simulator):
    host = simulator.hosts["client"]
    return host.conns.get("server") or host.ended["server"]


def data(trace, src="client"):
    """(sent_at ms, seq, len, retransmission, note) of every data segment from `src`."""
    return [(r.sent_at // MS, r.segment.seq, r.segment.length, r.segment.retransmission, r.segment.note)
            for r in trace.segments if r.segment.src == src and r.segment.length]


def resent(trace):
    return [(at, seq_, length, note) for at, seq_, length, rtx, note in data(trace) if rtx]


def test_two_holes_the_second_is_resent_on_the_partial_ack_not_after_an_rto():
    """Linux: 1460 x 6, 1st and 2nd lost: fast retransmit, ACK of the 1st, the 2nd at once."""
    for profile, cc_keys in (("rfc9293", {"iw": 10}), ("linux", {})):
        _, t = sim(HS + [DROP, DROP, "client send 1460 1460 1460 1460 1460 1460", "wait 3s"],
                   client=cc_keys, net={"profile": profile})
        assert resent(t) == [(50, 1001, 1460, "fast retransmit"), (70, 2461, 1460, "partial ACK")], profile
        acks = [r.segment.ack for r in t.segments if r.segment.src == "server" and r.sent_at >= 60 * MS]
        assert acks == [2461, 1001 + 6 * 1460]  # the partial ACK, then the full one


def test_two_separate_holes_linux_as_measured():
    """Linux (measured): 1460 x 6, 1st and 3rd lost; partial ACK 2921 resends 2921 at once."""
    _, t = sim(HS + [DROP, "client send 1460 1460", DROP, "client send 1460 1460 1460 1460", "wait 3s"],
               client={"isn": 0}, net={"profile": "linux"})
    assert [(seq_, length, note) for _, seq_, length, note in resent(t)] == [
        (1, 1460, "fast retransmit"), (2921, 1460, "partial ACK")]
    assert t.segments[-1].segment.ack == 8761 and not any(e.cause == "timeout retransmission" for e in t.events)


def test_reno_ends_recovery_on_the_partial_ack_so_the_second_hole_waits_for_the_timer():
    _, t = sim(HS + [DROP, DROP, "client send 1460 1460 1460 1460 1460 1460", "wait 5s"],
               client={"iw": 10, "cc": "reno"})
    assert [(at, seq_, note) for at, seq_, _, note in resent(t)][:2] == [
        (50, 1001, "fast retransmit"), (1070, 2461, "retransmission timeout")]  # from the ACK at 70 ms


def test_a_full_ack_ends_recovery_with_cwnd_at_ssthresh():
    simulator, t = sim(HS + ["client send 100", DROP, "client send 100 100 100 100 100", "wait 1s"])
    conn = client(simulator)
    algo = conn.sender.cc
    assert isinstance(algo, NewReno) and resent(t) == [(70, 1101, 100, "fast retransmit")]
    # FlightSize was 500 bytes: ssthresh = max(250, 2 SMSS) = 2920; the full ACK sets cwnd to it.
    assert (conn.sender.in_recovery, algo.in_recovery, algo.cwnd, algo.ssthresh) == (False, False, 2920, 2920)
    assert conn.snd_una == 1601


def test_four_lost_are_resent_one_then_two_then_one_as_the_acks_return():
    """Linux (measured): RTO, 1 resent; its ACK: 2 and 3; their ACKs: 4 (cwnd 1, 2, 3)."""
    steps = HS + [DROP] * 4 + ["client send 1460 1460 1460 1460", "wait 5s"]
    _, t = sim(steps, net={"profile": "linux"})
    assert resent(t) == [(250, 1001, 1460, "retransmission timeout"),
                         (270, 2461, 1460, "slow start after timeout"),
                         (270, 3921, 1460, "slow start after timeout"),
                         (290, 5381, 1460, "slow start after timeout")]
    _, t = sim(steps, client={"iw": 4})  # rfc9293: the same in bytes, after the 1 s RTO
    assert [(at, seq_) for at, seq_, _, _ in resent(t)] == [(1030, 1001), (1050, 2461), (1050, 3921), (1070, 5381)]


def test_after_an_rto_segments_the_receiver_holds_are_resent_too_and_the_ack_jumps():
    """Linux (measured): 1460 x 4, 1st and 2nd lost: 1; then 2 and 3 (held); ACK to the end."""
    _, t = sim(HS + [DROP, DROP, "client send 1460 1460 1460 1460", "wait 5s"], net={"profile": "linux"})
    assert [(at, seq_) for at, seq_, _, _ in resent(t)] == [(250, 1001), (270, 2461), (270, 3921)]
    assert [r.segment.ack for r in t.segments if r.segment.src == "server"][-2:] == [6841, 6841]


def test_linux_collapses_small_segments_into_the_retransmission_rfc9293_does_not():
    """Linux (measured): send 100 x 6 after the 1st is acknowledged, 2nd lost: 500 bytes."""
    steps = HS + ["client send 100", DROP, "client send 100 100 100 100 100", "wait 1s"]
    _, linux = sim(steps, net={"profile": "linux"})
    _, standard = sim(steps)
    assert resent(linux) == [(70, 1101, 500, "fast retransmit")]
    assert resent(standard) == [(70, 1101, 100, "fast retransmit")]
    assert linux.segments[-1].segment.ack == standard.segments[-1].segment.ack == 1601


def test_collapsing_stops_at_one_mss():
    """Linux (measured, lost-data): RTO resend of 3 x 100 with the 1st lost carries 300."""
    _, t = sim(HS + [DROP, "client send 100 100 100", "wait 1s"], net={"profile": "linux"})
    assert resent(t) == [(250, 1001, 300, "retransmission timeout")]
    _, t = sim(HS + ["client send 100", DROP, "client send 100 100 100 100 100", "wait 1s"],
               client={"mss": 250}, server={"mss": 250}, net={"profile": "linux"})
    assert [length for _, _, length, _ in resent(t)] == [200]  # two 100s fit one MSS of 250


def test_the_initial_window_limits_the_first_flight():
    """Linux (measured): 1460 x 14: 10 segments, then 4 on the ACKs (IW 10, TCP_INIT_CWND)."""
    _, t = sim(HS + ["client send " + " ".join(["1460"] * 14), "wait 1s"], net={"profile": "linux"})
    assert [at for at, *_ in data(t)] == [30] * 10 + [50] * 4
    _, t = sim(HS + ["client send " + " ".join(["1460"] * 5), "wait 1s"])  # RFC 5681: IW 3
    assert [at for at, *_ in data(t)] == [30] * 3 + [50] * 2
    _, t = sim(HS + ["client send 1460 1460 1460", "wait 1s"], client={"iw": 1})
    assert [at for at, *_ in data(t)] == [30, 50, 50]


def test_the_cc_counts_in_the_effective_mss_and_a_lost_syn_leaves_one_segment():
    simulator, t = sim(HS + ["client send 536 536 536 536 536", "wait 1s"], server={"mss": 536})
    algo = client(simulator).sender.cc
    assert (algo.mss, algo.iw) == (536, 4)  # RFC 5681 3.1: SMSS <= 1095 bytes: 4 segments
    assert [at for at, *_ in data(t)] == [30] * 4 + [50]
    simulator, t = sim(["server listen", "drop next client->server SYN", "client connect",
                        "wait 2s", "client send 1460 1460"])
    assert client(simulator).sender.cc.iw == 1  # RFC 5681 3.1: the SYN was lost
    first, second = data(t)
    assert second[0] - first[0] == 20
    simulator, _ = sim(["server listen", "drop next client->server SYN", "client connect", "wait 2s"],
                       net={"profile": "linux"})
    algo = client(simulator).sender.cc
    assert isinstance(algo, LinuxReno) and algo.iw == 10  # Linux: only after two (tcp_init_transfer)


def test_tahoe_resends_go_back_n_from_one_segment_after_a_fast_retransmit():
    _, t = sim(HS + [DROP, DROP, "client send 1460 1460 1460 1460 1460 1460", "wait 3s"],
               client={"iw": 10, "cc": "tahoe"})
    assert [(at, seq_, note) for at, seq_, _, note in resent(t)] == [
        (50, 1001, "fast retransmit"), (70, 2461, "slow start after timeout"), (70, 3921, "slow start after timeout")]


def test_none_keeps_no_congestion_window():
    _, t = sim(HS + ["client send " + " ".join(["1460"] * 14), "wait 1s"], client={"cc": "none"})
    assert [at for at, *_ in data(t)] == [30] * 14


def test_only_the_first_partial_ack_restarts_the_timer_in_rfc9293_every_one_in_linux():
    """RFC 6582 3.2 step 5 and 4 ("Impatient"); Linux rearms on every ACK of new data
    (tcp_rearm_rto). Seven holes of twelve, one round trip (240 ms) per partial ACK."""
    steps = HS + [DROP] * 7 + ["client send " + " ".join(["1000"] * 12), "wait 5s"]
    _, standard = sim(steps, client={"iw": 12}, net={"latency": "120ms"})
    # The timer runs RTO = 1 s (the floor over 3 x 240 ms) from the first partial ACK (0.84 s).
    assert [(at, note) for at, _, _, note in resent(standard)][:7] == [
        (600, "fast retransmit"), (840, "partial ACK"), (1080, "partial ACK"), (1320, "partial ACK"),
        (1560, "partial ACK"), (1800, "partial ACK"), (1840, "retransmission timeout")]
    _, linux = sim(steps, client={"iw": 12}, net={"latency": "120ms", "profile": "linux"})
    assert [note for _, _, _, note in resent(linux)] == ["fast retransmit"] + ["partial ACK"] * 6


def test_limited_transmit_turns_two_duplicates_into_a_fast_retransmit():
    """RFC 5681 3.2 / RFC 3042: the 1st and 2nd duplicate ACK each send one new segment, whose
    duplicates reach the third; Linux does the same by counting them out of the flight
    (TCP_CA_Disorder, tcp_add_reno_sack). IW 3 of 6 x 1460, the 1st lost."""
    steps = HS + [DROP, "client send 1460 1460 1460 1460 1460 1460", "wait 3s"]
    _, t = sim(steps)
    assert [(at, seq_, rtx) for at, seq_, _, rtx, _ in data(t)][:7] == [
        (30, 1001, False), (30, 2461, False), (30, 3921, False),
        (50, 5381, False), (50, 6841, False),  # one per duplicate
        (70, 1001, True), (70, 8301, False)]
    assert [note for _, _, _, note in resent(t)] == ["fast retransmit"]
    # Linux: the first repeat of SND.UNA right after the handshake updates the window (point 3,
    # tcp_may_update_window), so only the second counts; the chain takes one round trip more.
    _, t = sim(steps, client={"iw": 3}, net={"profile": "linux"})
    assert [(at, seq_, rtx) for at, seq_, _, rtx, _ in data(t)][:6] == [
        (30, 1001, False), (30, 2461, False), (30, 3921, False),
        (50, 5381, False), (70, 6841, False), (90, 1001, True)]
    assert [note for _, _, _, note in resent(t)] == ["fast retransmit"]
