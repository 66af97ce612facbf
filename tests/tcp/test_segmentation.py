"""What the sender puts in each segment, and which ACKs are duplicates (issue 10, points 3 and 8).

Sender-side SWS avoidance (RFC 9293 3.8.6.2.1, MUST-38) for `rfc9293`, tcp_write_xmit for
`linux`; the window update with SND.WL1/SND.WL2 (3.10.7.4, tcp_may_update_window); RFC 5681's
duplicate ACK and Linux's FLAG_NOT_DUP.
"""

from __future__ import annotations

import json

import pytest

from tcptutor.tcp import cc
from tcptutor.tcp.connection import Connection
from tcptutor.tcp.params import EndpointParams
from tcptutor.tcp.profiles import LINUX, RFC9293
from tcptutor.tcp.scenario import parse_scenario
from tcptutor.tcp.segment import Segment
from tcptutor.tcp.sender import SWS_OVERRIDE_TIMEOUT, Sender
from tcptutor.tcp.simulator import simulate
from tcptutor.tcp.states import State

MSS = 1460
ISS, IRS = 1000, 5000


def transfer(size: int, *, window: int = 65535, profile: str = "rfc9293", extra=()):
    steps = ["server listen", "client connect", f"client send {size}", *extra]
    # cc = "none": only the peer's window limits the sender, so the window edge is what shows.
    text = (f"steps = {json.dumps(steps)}\n[client]\nisn = {ISS}\nmss = {MSS}\ncc = \"none\"\n"
            f"[server]\nisn = {IRS}\nmss = {MSS}\nwindow = {window}\n[net]\nprofile = \"{profile}\"\n")
    return simulate(parse_scenario(text))


def data_lengths(trace):
    return [r.segment.length for r in trace.segments if r.segment.src == "client" and r.segment.length]


# ------------------------------------------------------------------ point 8: segmentation


@pytest.mark.parametrize("profile", ["rfc9293", "linux"])
def test_a_1_46_mb_write_is_not_cut_at_every_window_edge(profile):
    # Issue 10: it used to be cut at every window edge, 11,656 segments down to 25 bytes.
    trace = transfer(1000 * MSS, profile=profile)
    lengths = data_lengths(trace)
    assert sum(lengths) == 1000 * MSS
    if profile == "rfc9293":
        assert lengths == [MSS] * 1000  # never less than Fs * Max(SND.WND) left: always wait
    else:
        # tcp_write_xmit: a segment goes only if a full MSS fits (tcp_snd_wnd_test), and
        # tcp_mss_split_point (Nagle off) lets a burst end with the sub-MSS part left below
        # the window's right edge: every short segment but the last ends exactly there.
        records = {r.n: r for r in trace.segments}
        sent_on = {n: e.cause.segment for e in trace.events if e.cause.is_recv
                   for n in e.sent}
        short = [r for r in trace.segments if r.segment.src == "client" and 0 < r.segment.length < MSS
                 and r.segment.payload_start + r.segment.length < 1000 * MSS]
        for r in short[1:]:  # the first goes in the handshake's burst
            snd_una = records[sent_on[r.n]].segment.ack  # the ACK whose arrival sent it
            assert r.segment.seq + r.segment.length == snd_una + 65535, r.n
        assert lengths[:45] == [MSS] * 44 + [65535 - 44 * MSS]
        assert len(lengths) < 1200
    assert not any(r.segment.retransmission for r in trace.segments)


@pytest.mark.parametrize("window", [3000, 10_000, 65535])
def test_no_segment_below_the_mss_but_a_writes_last_piece_rfc9293(window):
    trace = transfer(50_000, window=window)
    lengths = data_lengths(trace)
    assert sum(lengths) == 50_000
    assert all(n == MSS for n in lengths[:-1]) and lengths[-1] == 50_000 % MSS
    timers = [e.timer["kind"] for e in trace.events if e.timer]
    assert "sws-override" not in timers  # the ACKs keep the window moving: it never fires


def test_half_the_largest_window_may_go_cut_at_the_edge_rfc9293():
    # Window 2000: after one full segment 540 bytes are left, less than Fs * 2000: wait.
    sender = Sender(ISS, 2000, cc.make("none", MSS, 10))
    sender.write((3 * MSS,), MSS)
    assert [e.length for e in sender.sendable(0)] == [MSS] and sender.window_blocked
    # Window 1000 (< MSS): 1000 >= Fs * Max(SND.WND), rule (3) lets it go cut at the window.
    small = Sender(ISS, 1000, cc.make("none", MSS, 10))
    small.write((3 * MSS,), MSS)
    assert [e.length for e in small.sendable(0)] == [1000] and not small.window_blocked


def test_the_override_timeout_sends_what_the_window_allows_rfc9293():
    # The first segment is lost: the window stays full (540 bytes left) until the
    # retransmission; the override timeout (200 ms) sends those 540 bytes before it.
    trace = simulate(parse_scenario(
        'steps = ["server listen", "client connect", "drop next client->server DATA", "client send 4380", "wait 3s"]\n'
        f"[client]\nisn = {ISS}\n[server]\nisn = {IRS}\nwindow = 2000\n"))
    data = [(r.sent_at, r.segment.seq - ISS - 1, r.segment.length, r.segment.retransmission)
            for r in trace.segments if r.segment.src == "client" and r.segment.length]
    sent_at = 30_000  # the write, right after the handshake (latency 10 ms)
    assert data[0] == (sent_at, 0, MSS, False)
    assert data[1] == (sent_at + SWS_OVERRIDE_TIMEOUT, MSS, 540, False)
    timer_events = [e for e in trace.events if e.timer and e.timer["kind"] == "sws-override"]
    assert [(e.at, e.timer["timeout"]) for e in timer_events][0] == (sent_at + SWS_OVERRIDE_TIMEOUT, 0.2)
    assert sum(length for _, _, length, rtx in data if not rtx) == 3 * MSS


def test_linux_sends_a_sub_mss_piece_on_the_probe_timer_only_with_nothing_in_flight():
    # Linux bounds the MSS to half the largest window (tcp_bound_to_half_wnd): window 1000
    # means 500-byte segments, two in flight, none stalled.
    trace = transfer(3000, window=1000, profile="linux", extra=["wait 5s"])
    assert data_lengths(trace) == [500] * 6
    assert not [e for e in trace.events if e.timer and e.timer["kind"] == "persist"]


def test_linux_window_below_the_smallest_segment_waits_for_the_probe_timer():
    trace = transfer(100, window=10, profile="linux", extra=["wait 5s"])
    # 68 - 20 = 48 bytes is Linux's smallest segment: a 10-byte window takes probes.
    lengths = data_lengths(trace)
    assert lengths[:2] == [10, 10] and sum(lengths) == 100
    probes = [e for e in trace.events if e.timer and e.timer["kind"] == "persist"]
    assert len(probes) == len(lengths) - 1  # the last 10 bytes fit the window whole: no probe


# ------------------------------------------------------------------ point 3: WL1/WL2, duplicates


def established(profile, *, window=65535):
    """A client connection that completed the handshake with a SYN-ACK <SEQ=IRS><ACK=ISS+1>."""
    conn = Connection(local="client", remote="server", iss=ISS, params=EndpointParams(isn=ISS),
                      profile=profile, passive=False)
    conn.connect(0)
    conn.on_segment(seg(IRS, ISS + 1, flags={"SYN", "ACK"}, win=window, mss=MSS), 10_000)
    conn.out.clear()
    return conn


def seg(seqno, ack, *, win=65535, flags=frozenset({"ACK"}), length=0, mss=None):
    return Segment("server", "client", seqno, ack, frozenset(flags), length=length, win=win, mss=mss)


def test_syn_processing_sets_wl1_and_wl2():
    conn = established(RFC9293, window=30_000)
    assert (conn.sender.snd_wnd, conn.sender.snd_wl1, conn.sender.snd_wl2) == (30_000, IRS, ISS + 1)


def test_an_older_segment_does_not_update_the_window_rfc9293_3_10_7_4():
    conn = established(RFC9293)
    conn.send((MSS,), 20_000)
    # The peer sent 100 bytes (seq IRS+1) with window 40,000, then 0 bytes at IRS+101, window
    # 20,000; the first arrives last (reordered): SND.WL1 = IRS+101 > its SEG.SEQ.
    conn.on_segment(seg(IRS + 101, ISS + 1, win=20_000), 30_000)
    assert (conn.sender.snd_wnd, conn.sender.snd_wl1) == (20_000, IRS + 101)
    conn.on_segment(seg(IRS + 1, ISS + 1, win=40_000, length=100), 31_000)
    assert conn.sender.snd_wnd == 20_000
    # Same SEG.SEQ, SND.WL2 =< SEG.ACK: it does update (a shrink included).
    conn.on_segment(seg(IRS + 101, ISS + 1 + MSS, win=15_000), 32_000)
    assert (conn.sender.snd_wnd, conn.sender.snd_wl2) == (15_000, ISS + 1 + MSS)


def test_an_ack_below_snd_una_is_ignored():
    conn = established(RFC9293)
    conn.send((2 * MSS,), 20_000)
    conn.on_segment(seg(IRS + 1, ISS + 1 + 2 * MSS, win=30_000), 30_000)
    conn.on_segment(seg(IRS + 1, ISS + 1 + MSS, win=50_000), 31_000)  # old: SEG.ACK < SND.UNA
    assert conn.sender.snd_wnd == 30_000


def fast_retransmit_after(conn, acks):
    """Feed pure ACKs of ISS+1 (the first segment lost); the ACK after which it is resent."""
    for n, ack in enumerate(acks, 1):
        conn.on_segment(ack, 40_000 + n)
        if any(s.retransmission for s in conn.out):
            return n
    return None


@pytest.mark.parametrize("profile", [RFC9293, LINUX])
def test_an_ack_that_changes_the_window_is_no_duplicate(profile):
    conn = established(profile)
    conn.send((10 * MSS,), 20_000)
    acks = [seg(IRS + 1, ISS + 1, win=w) for w in (64_512, 64_512, 64_512, 64_512)]
    # RFC 5681 2 (e): the first ACK's window differs from the SYN-ACK's, so it is no duplicate;
    # Linux: it may update the window (SEG.SEQ > SND.WL1), FLAG_WIN_UPDATE. The fourth resends.
    assert fast_retransmit_after(conn, acks) == 4
    assert conn.sender.snd_wnd == 64_512


def test_linux_right_after_the_handshake_the_first_ack_is_a_window_update_even_unchanged():
    # Measured on Linux 6.18 (reno, no SACK, no timestamps, first data segment lost): the
    # receiver's first ACK has SEG.SEQ = IRS + 1 > SND.WL1 = IRS (tcp_init_wl at the
    # SYN-ACK), so tcp_may_update_window holds and it does not count: fast retransmit
    # comes after the fourth ACK. RFC 5681 counts it when the window is the same.
    same = [seg(IRS + 1, ISS + 1) for _ in range(4)]
    linux, rfc = established(LINUX), established(RFC9293)
    linux.send((10 * MSS,), 20_000)
    rfc.send((10 * MSS,), 20_000)
    assert fast_retransmit_after(linux, same) == 4
    assert fast_retransmit_after(rfc, same) == 3


def test_linux_counts_an_ack_with_a_smaller_window_and_keeps_the_window():
    # tcp_may_update_window: same SEG.SEQ as SND.WL1, a smaller window: no update, a duplicate.
    conn = established(LINUX)
    conn.send((10 * MSS,), 20_000)
    conn.on_segment(seg(IRS + 1, ISS + 1 + MSS), 30_000)  # a new ACK: WL1 = IRS + 1
    dups = [seg(IRS + 1, ISS + 1 + MSS, win=60_000) for _ in range(3)]
    assert fast_retransmit_after(conn, dups) == 3
    assert conn.sender.snd_wnd == 65535


def test_fast_retransmit_scenario_keeps_the_third_duplicate_when_the_second_segment_is_lost():
    # Linux, 2nd segment lost: the ACK of the first advances SND.UNA and sets SND.WL1, so the
    # three duplicates that follow count (measured: retransmission after the 3rd duplicate).
    text = ('steps = ["server listen", "client connect", "drop 2nd client->server DATA", '
            '"client send 14600", "wait 3s"]\n'
            f"[client]\nisn = {ISS}\n[server]\nisn = {IRS}\n[net]\nprofile = \"linux\"\n")
    try:
        trace = simulate(parse_scenario(text))
    except Exception as err:  # `drop 2nd` is the net helper's (contract v2): not parsed yet
        pytest.skip(f"drop Kth not available on this branch: {err}")
    rtx = [r for r in trace.segments if r.segment.retransmission]
    assert rtx and rtx[0].segment.note == "fast retransmit"
    assert State.ESTABLISHED.value in {e.state_after for e in trace.events}
