"""The receiving half on its own: in-order delivery, holding, reassembly, the FIN."""

from __future__ import annotations

from tcptutor.tcp.receiver import Receiver
from tcptutor.tcp.segment import Segment

IRS = 5000


def data(offset: int, length: int, fin: bool = False) -> Segment:
    flags = {"ACK", "FIN"} if fin else {"ACK"}
    return Segment("client", "server", IRS + 1 + offset, 1, frozenset(flags), length=length,
                   payload_start=offset)


def receiver() -> Receiver:
    r = Receiver(65535)
    r.start_at(IRS)
    return r


def test_in_order_data_is_delivered_and_advances_rcv_nxt():
    r, fins = receiver(), []
    r.accept_in_order(data(0, 100), lambda: fins.append(r.rcv_nxt))
    assert (r.rcv_nxt, r.delivered, fins) == (IRS + 101, [(0, 100)], [])
    assert r.ack_now()  # ACK every segment with content


def test_held_segments_are_delivered_once_the_gap_fills_rfc9293_3_10_7_4():
    r = receiver()
    r.hold(data(200, 100))
    r.hold(data(100, 100))
    r.accept_in_order(data(0, 100), lambda: None)
    assert r.delivered == [(0, 100), (100, 100), (200, 100)]
    assert r.rcv_nxt == IRS + 301 and r.out_of_order == {}


def test_a_retransmission_overlapping_received_bytes_delivers_only_the_new_part():
    r = receiver()
    r.accept_in_order(data(0, 100), lambda: None)
    r.hold(data(150, 100))  # wholly covered by the next one: dropped, not delivered twice
    r.accept_in_order(data(50, 250), lambda: None)
    assert r.delivered == [(0, 100), (100, 200)] and r.out_of_order == {}


def test_a_fin_in_sequence_takes_one_number_and_is_reported_once():
    r, fins = receiver(), []
    r.hold(data(100, 50, fin=True))
    r.accept_in_order(data(0, 100), lambda: fins.append(r.rcv_nxt))
    assert fins == [IRS + 152] and r.peer_fin and r.rcv_nxt == IRS + 152
    assert r.delivered == [(0, 100), (100, 50)] and r.out_of_order == {}
