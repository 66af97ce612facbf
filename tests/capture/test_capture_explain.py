"""The explanation of captures the kernel tests cannot stage: mid-connection starts,
interleaved connections, the lab numbers worked by hand."""

from __future__ import annotations

import dataclasses

import pytest

from tcptutor.capture import events as ev
from tcptutor.capture.explain import explain_packets
from tcptutor.capture.lab import ALPHA
from tcptutor.capture.observer import UNKNOWN, state_path
from tcptutor.capture.pcapfile import parse_capture
from captures import scenario_capture


def packets(name: str):
    return parse_capture(scenario_capture(name)).packets


def test_a_capture_that_starts_mid_connection():
    pk = packets("data-transfer")[3:]  # no handshake
    rep = explain_packets(pk).reports[0]
    assert not rep.conn.roles_known and not rep.conn.handshake_seen["client"]
    assert rep.rows[0].states["client"] != UNKNOWN
    first = rep.conn.segments[0]
    assert first.rel_seq == 1  # counted from one below the first seq seen
    assert any("mid-connection" in line for line in rep.summary)
    assert state_path(rep.rows, "client")[0] == "ESTABLISHED"


def test_interleaved_connections_are_told_apart():
    a = packets("data-transfer")
    b = [dataclasses.replace(p, sport=41000 if p.sport == 40000 else p.sport,
                             dport=41000 if p.dport == 40000 else p.dport, time=p.time + 0.0005) for p in a]
    mixed = sorted(a + b, key=lambda p: p.time)
    exp = explain_packets(mixed)
    assert len(exp.reports) == 2
    one, two = exp.reports
    assert one.conn.addr["client"][1] == 40000 and two.conn.addr["client"][1] == 41000
    assert state_path(one.rows, "client") == state_path(two.rows, "client")
    assert one.lab.rtt == two.lab.rtt or [r.sample for r in one.lab.rtt] == pytest.approx([r.sample for r in two.lab.rtt])


def test_a_reused_four_tuple_is_a_new_connection():
    a = packets("active-close")
    later = [dataclasses.replace(p, seq=(p.seq + 99999) % 2**32 if p.sport == 40000 else p.seq,
                                 ack=(p.ack + 99999) % 2**32 if p.dport == 80 and p.ack else p.ack,
                                 time=p.time + 300) for p in a]
    # the server answers the new SYN with ack = new ISN + 1
    later = [dataclasses.replace(p, ack=(p.ack + 99999) % 2**32) if p.sport == 80 and "ACK" in p.flags else p
             for p in later]
    exp = explain_packets(a + later)
    assert len(exp.reports) == 2
    assert exp.reports[1].lab.syn["seq"] == (a[0].seq + 99999) % 2**32


def test_rtt_samples_and_estimated_rtt_follow_rfc_6298():
    rep = explain_packets(packets("data-transfer")).reports[0]
    lab = rep.lab
    assert lab.rtt
    est = None
    for r in lab.rtt:
        data = rep.conn.segments[r.segment - 1]
        ack = rep.conn.segments[r.ack_segment - 1]
        assert ack.rel_ack >= data.rel_seq + data.length and r.sample == pytest.approx(ack.time - data.time)
        # the first ACK that covers it
        assert not any(g.side != data.side and g.has("ACK") and data.i < g.i < ack.i and g.rel_ack >= data.end
                       for g in rep.conn.segments)
        est = r.sample if est is None else (1 - ALPHA) * est + ALPHA * r.sample
        assert r.estimated == pytest.approx(est)


def test_karn_no_sample_from_a_retransmitted_segment():
    rep = explain_packets(packets("fast-retransmit")).reports[0]
    resent = {i.seg.rel_seq for i in rep.infos if i.kinds() & {ev.FAST_RETRANSMISSION, ev.TIMEOUT_RETRANSMISSION}}
    assert resent
    for r in rep.lab.rtt:
        assert rep.conn.segments[r.segment - 1].rel_seq not in resent


def test_zero_window_probes_and_window_update_of_the_simulator():
    rep = explain_packets(packets("zero-window")).reports[0]
    c = rep.counts()
    assert c[ev.ZERO_WINDOW] >= 1 and c[ev.ZERO_WINDOW_PROBE] == 3 and c[ev.WINDOW_UPDATE] == 1
    assert rep.lab.min_rwnd["bytes"] == 0


def test_throughput_is_acknowledged_bytes_over_time():
    rep = explain_packets(packets("lost-data")).reports[0]
    lab = rep.lab
    assert lab.bytes_acked == 300 and lab.throughput == pytest.approx(300 / lab.duration)


def test_closed_port_reset_is_explained():
    rep = explain_packets(packets("closed-port")).reports[0]
    assert rep.teardown["reset"]["by"] == "server"
    assert any("nothing listens" in line for line in rep.summary)


def test_keepalive_of_the_simulator():
    rep = explain_packets(packets("keepalive-dead-peer")).reports[0]
    assert rep.counts().get(ev.KEEPALIVE, 0) >= 1


def _overtaken(delay: float):
    """lost-data (three data segments sent back to back) with the client's first data segment
    captured after its second, `delay` seconds later."""
    pk = packets("lost-data")
    data = [i for i, p in enumerate(pk) if p.sport == 40000 and p.length]
    first, second = data[0], data[1]
    late = dataclasses.replace(pk[first], time=pk[second].time + delay)
    order = [p for i, p in enumerate(pk) if i != first]
    order.insert(order.index(pk[second]) + 1, late)
    rep = explain_packets(order).reports[0]
    return next(i for i in rep.infos if i.seg.pkt is late)


def test_a_segment_that_fills_a_hole_at_once_is_out_of_order_not_resent():
    """Wireshark's rule: a hole filled within 3 ms was reordering before the capture point
    (per-queue transmit, GSO), not a retransmission."""
    quick = _overtaken(0.001)
    assert ev.OUT_OF_ORDER in quick.kinds()
    assert not quick.kinds() & {ev.RETRANSMISSION, ev.FAST_RETRANSMISSION, ev.TIMEOUT_RETRANSMISSION, ev.SPURIOUS}
    slow = _overtaken(0.050)
    assert ev.OUT_OF_ORDER not in slow.kinds()
    assert slow.kinds() & {ev.FAST_RETRANSMISSION, ev.TIMEOUT_RETRANSMISSION, ev.SPURIOUS}
