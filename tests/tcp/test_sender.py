"""The sending half on its own: segmentation, the peer's window, FIN, ACKs, duplicate ACKs."""

from __future__ import annotations

from tcptutor.tcp import cc
from tcptutor.tcp.segment import Segment
from tcptutor.tcp.sender import Sender

ISS = 1000


def established(window: int = 10_000) -> Sender:
    """A sender whose SYN (ISS) has been sent and acknowledged."""
    sender = Sender(ISS, window, cc.make("none", 100, 1))
    sender.queue(0, syn=True)
    sender.acknowledge(ISS + 1, 0)
    return sender


def ack(number: int, win: int = 10_000, length: int = 0) -> Segment:
    return Segment("server", "client", 5000, number, frozenset({"ACK"}), length=length, win=win)


def test_writes_are_cut_at_the_mss_with_psh_on_the_last_piece_of_each_write():
    sender = established()
    sender.write((250, 100), 100)
    assert list(sender.unsent) == [(100, 0, False), (100, 100, False), (50, 200, True), (100, 250, True)]
    assert sender.written == 350


def test_only_what_the_peer_window_allows_goes_out_rfc9293_3_8_6():
    sender = established(window=150)
    sender.write((300,), 100)
    sent = [(e.seq, e.length, e.psh) for e in sender.sendable(5)]
    # 50 bytes are left in the window, less than Fs * Max(SND.WND) = 75 (3.8.6.2.1): the second
    # piece waits whole (this test once expected it cut to 50 bytes: the SWS defect of issue 10)
    assert sent == [(ISS + 1, 100, False)]
    assert sender.window_blocked
    assert (sender.snd_una, sender.snd_nxt, sender.in_flight) == (ISS + 1, ISS + 101, 100)
    assert list(sender.unsent) == [(100, 100, False), (100, 200, True)]


def test_a_pending_fin_follows_the_last_byte_and_occupies_one_sequence_number():
    sender = established()
    sender.write((100,), 100)
    sender.fin_pending = True
    entries = list(sender.sendable(5))
    assert [(e.length, e.fin) for e in entries] == [(100, False), (0, True)]
    assert sender.fin_seq == ISS + 101 and sender.snd_nxt == ISS + 102 and not sender.fin_pending
    assert not sender.fin_acked
    sender.acknowledge(ISS + 102, 9)
    assert sender.fin_acked and sender.unacked == []


def test_an_ack_drops_only_the_entries_it_covers_and_returns_them():
    sender = established()
    sender.write((300,), 100)
    list(sender.sendable(5))
    done = sender.acknowledge(ISS + 150, 7)  # mid-segment: the second entry stays
    assert [e.seq for e in done] == [ISS + 1]
    assert [e.seq for e in sender.unacked] == [ISS + 101, ISS + 201]
    assert sender.snd_una == ISS + 150


def test_the_third_duplicate_ack_names_the_segment_to_retransmit_once_rfc5681_3_2():
    sender = established()
    sender.write((400,), 100)
    list(sender.sendable(5))
    dup = ack(ISS + 1)
    assert sender.is_duplicate_ack(dup)
    assert not sender.is_duplicate_ack(ack(ISS + 1, win=9_000))  # a window update
    assert not sender.is_duplicate_ack(ack(ISS + 1, length=10))  # carries data
    got = [sender.on_duplicate_ack(t) for t in range(5)]
    assert [g.seq if g else None for g in got] == [None, None, ISS + 1, None, None]
    assert sender.recover == ISS + 401  # RFC 6582: no second one until SND.UNA passes this
    sender.acknowledge(ISS + 101, 9)
    assert sender.dupacks == 0
    assert [sender.on_duplicate_ack(t) for t in range(3)] == [None, None, None]
