"""The network a scenario can describe (contract v2): drop Kth, delay, duplicate, vanish,
[net] loss, rate and queue, on simulated traces with exact numbers.

Unless a test says otherwise the client's ISN is 1000, the server's 5000 and the latency
10 ms, so a handshake ends at 30 ms and the next call happens then.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tcptutor.errors import ScenarioError
from tcptutor.tcp.network import Network, wire_bytes
from tcptutor.tcp.params import Delay, Drop, Duplicate, NetParams
from tcptutor.tcp.scenario import parse_scenario
from tcptutor.tcp.segment import FLAG_ORDER, Segment
from tcptutor.tcp.simulator import simulate
from tcptutor.tcp.trace import SegmentRecord

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "docs" / "scenarios.md"
MS, SEC = 1_000, 1_000_000
HS = ["server listen", "client connect"]  # both ESTABLISHED at 30 ms
DUP_NOTE = "duplicate ACK (out-of-order segment)"


def toml(steps, *, client=None, server=None, net=None) -> str:
    lines = ["steps = ["] + [f'  "{s}",' for s in steps] + ["]"]
    tables = {"client": {"isn": 1000, **(client or {})}, "server": {"isn": 5000, **(server or {})},
              "net": dict(net or {})}
    for name, values in tables.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {value!r}".replace("'", '"') for key, value in values.items() if value is not None]
    return "\n".join(lines) + "\n"


def run(steps, **tables):
    return simulate(parse_scenario(toml(steps, **tables), "net.toml"))


def wire(trace, n: int) -> tuple:
    """(src, flags, seq, ack, len) of segment n."""
    s = trace.segment(n).segment
    return (s.src, [f for f in FLAG_ORDER if f in s.flags], s.seq, s.ack, s.length)


def received(trace, endpoint: str) -> list[int]:
    """The segment numbers that reached `endpoint`, in arrival order (copies included)."""
    numbers = [e.cause.segment for e in trace.events if e.endpoint == endpoint and e.cause.is_recv]
    return [n for n in numbers if n > 3]  # after the handshake's #1 to #3


def acks_from_server(trace) -> list[tuple[int, str]]:
    return [(r.segment.ack, r.segment.note) for r in trace.segments
            if r.segment.src == "server" and r.segment.flags == {"ACK"} and r.sent_at > 30 * MS]


# --------------------------------------------------------------------------- drop Kth


def test_the_2nd_of_a_burst_lost_gives_duplicate_acks_and_a_fast_retransmit():
    t = run([*HS, "drop 2nd client->server DATA", "client send 100 100 100 100 100"])
    assert [(r.n, r.segment.seq, r.fate) for r in t.segments[3:8]] == [
        (4, 1001, "delivered"), (5, 1101, "dropped"), (6, 1201, "delivered"),
        (7, 1301, "delivered"), (8, 1401, "delivered"),
    ]
    # The 1st is acknowledged; the 3rd, 4th and 5th each repeat ack 1101 (RFC 9293 3.10.7.4).
    assert acks_from_server(t)[:4] == [(1101, ""), (1101, DUP_NOTE), (1101, DUP_NOTE), (1101, DUP_NOTE)]
    # The third duplicate ACK resends the hole (RFC 5681 3.2), and one ACK covers everything.
    assert wire(t, 13) == ("client", ["ACK", "PSH"], 1101, 5001, 100)
    assert t.segment(13).segment.note == "fast retransmit"
    assert wire(t, 14) == ("server", ["ACK"], 5001, 1501, 0)
    assert t.delivered["server"] == [(0, 100), (100, 100), (200, 100), (300, 100), (400, 100)]


def test_drop_counts_matches_from_its_own_step():
    """`drop 2nd DATA` after a first send counts only what is sent after the step."""
    t = run([*HS, "client send 100", "drop 2nd client->server DATA", "client send 100 100 100"])
    lost = [r.segment.seq for r in t.segments if r.fate == "dropped"]
    assert lost == [1201]  # the 2nd of the second send, not the first send's segment


@pytest.mark.parametrize(
    ("rules", "lost"),
    [
        (["drop next client->server DATA", "drop next client->server DATA"], [1001, 1101]),
        (["drop next client->server DATA", "drop 2nd client->server DATA"], [1001, 1101]),
        (["drop 2nd client->server DATA", "drop next client->server DATA"], [1001, 1101]),
        (["drop 3rd client->server DATA", "drop 3rd client->server DATA"], [1201, 1301]),
    ],
)
def test_several_drop_rules_combine_as_documented(rules, lost):
    """Every rule counts every match; a due rule whose segment is already lost takes the next."""
    t = run([*HS, *rules, "client send 100 100 100 100 100"])
    first_flight = [r for r in t.segments if r.sent_at == 30 * MS and r.segment.length]
    assert [r.segment.seq for r in first_flight if r.fate == "dropped"] == lost


def test_a_drop_and_a_delay_on_the_same_segment_lose_it_and_delay_the_next():
    t = run([*HS, "drop next client->server DATA", "delay next client->server DATA by 5ms",
             "client send 100 100 100"])
    assert [(r.segment.seq, r.fate, r.arrived_at) for r in t.segments[3:6]] == [
        (1001, "dropped", None), (1101, "delivered", 45 * MS), (1201, "delivered", 40 * MS),
    ]


# --------------------------------------------------------------------------- delay


def test_a_delayed_segment_overtaken_is_held_out_of_order_then_one_cumulative_ack():
    t = run([*HS, "delay next client->server DATA by 5ms", "client send 100 100 100"])
    assert [(r.segment.seq, r.arrived_at) for r in t.segments[3:6]] == [
        (1001, 45 * MS), (1101, 40 * MS), (1201, 40 * MS),
    ]
    assert received(t, "server") == [5, 6, 4]
    # #5 and #6 are held beyond the hole: each draws a duplicate ACK; #4 fills it.
    assert acks_from_server(t) == [(1001, DUP_NOTE), (1001, DUP_NOTE), (1301, "")]
    assert t.segment(9).sent_at == 45 * MS
    assert t.delivered["server"] == [(0, 100), (100, 100), (200, 100)]
    assert not [r for r in t.segments if r.segment.retransmission]


def test_a_delay_longer_than_the_rto_makes_a_spurious_retransmission():
    t = run([*HS, "delay next client->server DATA by 1.5s", "client send 100", "wait 3s"])
    original, resent = t.segment(4), t.segment(5)
    assert (original.sent_at, original.arrived_at) == (30 * MS, 1540 * MS)
    assert wire(t, 5) == ("client", ["ACK", "PSH"], 1001, 5001, 100)
    assert (resent.segment.retransmission, resent.sent_at) == (True, 1030 * MS)  # RTO 1 s (RFC 6298 2.1)
    assert resent.arrived_at < original.arrived_at  # the copy overtakes the original
    # The late original is an old duplicate: acknowledged again, not delivered again.
    assert [(ack, note) for ack, note in acks_from_server(t)] == [
        (1101, ""), (1101, "ACK of an unacceptable segment"),
    ]
    assert t.delivered["server"] == [(0, 100)]


# --------------------------------------------------------------------------- duplicate


def test_a_duplicated_data_segment_is_acknowledged_twice():
    t = run([*HS, "duplicate next client->server DATA", "client send 100"])
    record = t.segment(4)
    assert (record.copies, record.to_json()["copies"]) == (2, 2)
    assert received(t, "server") == [4, 4]
    arrivals = [e.at for e in t.events if e.cause == "recv #4"]
    assert arrivals == [40 * MS, 40 * MS]
    assert acks_from_server(t) == [(1101, ""), (1101, "ACK of an unacceptable segment")]
    assert t.delivered["server"] == [(0, 100)]  # delivered to the application once
    assert "copies" not in t.segment(3).to_json()


def test_a_duplicated_syn_ack_gets_the_client_to_ack_twice():
    t = run([*HS[:1], "duplicate next server->client SYN,ACK", "client connect"])
    assert t.segment(2).copies == 2
    assert [e.cause for e in t.events if e.endpoint == "client" and e.cause.is_recv] == ["recv #2"] * 2
    assert [wire(t, n) for n in (3, 4)] == [("client", ["ACK"], 1001, 5001, 0)] * 2
    assert t.final == {"client": "ESTABLISHED", "server": "ESTABLISHED"}


# --------------------------------------------------------------------------- vanish


def test_a_vanished_server_is_found_out_only_by_the_clients_retransmission_give_up():
    t = run([*HS, "server vanish", "client send 100", "wait 15min"])
    to_server = [r for r in t.segments if r.segment.dst == "server" and r.sent_at >= 30 * MS]
    assert to_server and all(r.fate == "dropped" and r.arrived_at is None for r in to_server)
    assert to_server[0].to_json()["note"] == "server vanished: nothing reaches it"
    assert to_server[1].to_json()["note"] == "retransmission timeout; server vanished: nothing reaches it"
    # Nothing reaches the server and it does nothing: no event of its after the handshake.
    assert [e.cause for e in t.events if e.endpoint == "server" and e.at > 30 * MS] == []
    # RFC 6298 5.5: each RTO doubles, up to the 60 s maximum (2.5); 15 retransmissions (R2).
    sends = [r.sent_at for r in to_server]
    gaps = [(b - a) // SEC for a, b in zip(sends, sends[1:])]
    assert gaps == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60, 60, 60, 60, 60]
    give_up = t.events[-1]
    assert (give_up.endpoint, give_up.cause, give_up.state_after) == ("client", "timeout retransmission", "CLOSED")
    assert give_up.error == "connection aborted due to user timeout"
    assert give_up.at == sends[-1] + 60 * SEC
    assert t.final == {"client": "CLOSED", "server": "ESTABLISHED"}


def test_a_vanished_host_keeps_no_timers():
    """The client's ACK is lost, so the server's SYN-ACK timer would fire; vanished, it never does."""
    t = run([*HS[:1], "drop next client->server ACK", "client connect", "server vanish", "wait 1min"])
    assert [r.segment.src for r in t.segments] == ["client", "server", "client"]
    assert t.final["server"] == "SYN-RECEIVED"


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([*HS, "server vanish", "server send 10"],
         'net.toml:5: step "server send 10": server has vanished: it makes no more calls'),
        ([*HS, "client vanish", "client vanish"], 'net.toml:5: step "client vanish": client has already vanished'),
    ],
)
def test_a_vanished_endpoint_makes_no_more_calls(steps, message):
    with pytest.raises(ScenarioError) as caught:
        run(steps)
    assert str(caught.value) == message


def test_segments_in_flight_to_a_host_that_vanishes_never_arrive():
    network = Network(10 * MS, NetParams())
    to_server = SegmentRecord(1, Segment("client", "server", 1, 0, frozenset({"SYN"})), 0, "delivered", None)
    to_client = SegmentRecord(2, Segment("server", "client", 1, 0, frozenset({"SYN"})), 0, "delivered", None)
    network.add_rule(Duplicate("client", "server"))
    network.send(to_server, 0)
    network.send(to_client, 0)
    assert network.vanish("server") == [to_server]
    assert (to_server.fate, to_server.arrived_at, to_server.copies) == ("dropped", None, 1)
    assert to_server.to_json()["note"] == "server vanished: nothing reaches it"
    assert network.pop_arrival() == (10 * MS, to_client)
    assert not network.in_flight()


# --------------------------------------------------------------------------- loss


def lossy(seed: int, loss: float = 0.3, **client):
    return run([*HS, "client send " + " ".join(["100"] * 10), "wait 30min"],
               net={"seed": seed, "loss": loss}, client=client)


def test_random_loss_is_reproducible_and_follows_the_seed():
    fates = [[r.fate for r in lossy(seed).segments] for seed in (7, 7, 8)]
    assert fates[0] == fates[1]
    assert fates[0] != fates[2]
    lost = lossy(7).segments
    dropped = [r for r in lost if r.fate == "dropped"]
    assert dropped and all(r.network_note == "lost at random ([net] loss = 0.3)" for r in dropped)
    # Whatever is lost, every byte reaches the application once, in order.
    assert lossy(7).delivered["server"] == [(i * 100, 100) for i in range(10)]


def test_loss_and_drops_draw_from_their_own_stream_so_isns_stay():
    """The ISNs come from [net].seed's generator; loss uses another, a drop draws nothing."""
    plain = run([*HS], net={"seed": 3}, client={"isn": None}, server={"isn": None}).params
    for extra in ({"loss": 0}, {"loss": 0.5}):
        changed = run([*HS], net={"seed": 3, **extra}, client={"isn": None}, server={"isn": None}).params
        assert (changed["client"]["isn"], changed["server"]["isn"]) == (plain["client"]["isn"], plain["server"]["isn"])
    dropped = run(["drop next SYN", *HS], net={"seed": 3}, client={"isn": None}, server={"isn": None}).params
    assert dropped["client"]["isn"] == plain["client"]["isn"]


def test_loss_1_loses_everything_and_loss_appears_in_params_only_when_set():
    t = run(["server listen", "client connect", "wait 5s"], net={"loss": 1})
    assert {r.fate for r in t.segments} == {"dropped"}
    assert t.params["net"]["loss"] == 1.0
    assert "loss" not in run(HS).params["net"] and "rate" not in run(HS).params["net"]


# --------------------------------------------------------------------------- rate and queue


def test_a_1mbps_bottleneck_spaces_back_to_back_full_segments_by_12ms():
    t = run([*HS, "client send 1460 1460 1460"], net={"rate": "1Mbps", "latency": "10ms"})
    data = [r for r in t.segments if r.segment.length]
    assert {r.sent_at for r in data} == {data[0].sent_at}
    arrivals = [r.arrived_at for r in data]
    # (1460 + 40) * 8 / 1e6 s = 12 ms each, then the 10 ms latency.
    assert arrivals == [data[0].sent_at + k * 12 * MS + 10 * MS for k in (1, 2, 3)]
    # The SYN carries the 4-byte MSS option: 44 bytes, 352 us.
    assert t.segment(1).arrived_at == 352 + 10 * MS
    assert t.params["net"]["rate"] == 1_000_000


def test_serialisation_rounds_up_to_whole_microseconds():
    network = Network(0, NetParams(rate=3_000_000))
    ack = Segment("client", "server", 1, 1, frozenset({"ACK"}))
    assert wire_bytes(ack) == 40
    assert network.serialisation(ack) == 107  # 320 bits / 3 Mbps = 106.67 us


def test_each_direction_has_its_own_bottleneck():
    t = run([*HS, "client send 1460 & server send 1460"], net={"rate": "1Mbps"})
    data = [r for r in t.segments if r.segment.length]
    assert [r.arrived_at - r.sent_at for r in data] == [22 * MS, 22 * MS]  # neither waits


def test_spoofed_syns_queue_at_the_bottleneck_to_the_server():
    """The flood's SYNs, sent at one instant, leave the bottleneck one after another."""
    t = run(["server listen", "flood 3"], net={"rate": "1Mbps"})
    syns = [r for r in t.segments if r.segment.flags == {"SYN"}]
    # 44 bytes (MSS option included) take 352 us each.
    assert [(r.sent_at, r.arrived_at) for r in syns] == [(0, k * 352 + 10 * MS) for k in (1, 2, 3)]
    # Their SYN-ACKs go the other way, sent as each SYN arrives: none waits.
    synacks = [r for r in t.segments if r.segment.flags == {"SYN", "ACK"}]
    assert [r.arrived_at - r.sent_at for r in synacks] == [352 + 10 * MS] * 3


def test_a_queue_of_2_loses_the_4th_and_5th_of_5_back_to_back_segments():
    t = run([*HS, "client send 1460 1460 1460 1460 1460", "wait 5s"], client={"iw": 10},
            net={"rate": "1Mbps", "queue": 2})
    first = [r for r in t.segments if r.segment.length and not r.segment.retransmission]
    # The 1st is on the link at once, the 2nd and 3rd wait (2 in the queue), the rest find it full.
    assert [r.fate for r in first] == ["delivered", "delivered", "delivered", "dropped", "dropped"]
    assert first[3].to_json()["note"] == "bottleneck queue full (2 segments waiting): dropped at its tail"
    # No segment after the hole, so no duplicate ACK: the RTO resends the 4th, and its ACK
    # brings the 5th (go-back-N in slow start, RFC 5681 3.1).
    resent = [r for r in t.segments if r.segment.retransmission]
    assert [(r.segment.seq, r.segment.note) for r in resent] == [
        (first[3].segment.seq, "retransmission timeout"), (first[4].segment.seq, "slow start after timeout"),
    ]
    assert t.delivered["server"] == [(i * 1460, 1460) for i in range(5)]


def test_the_queue_empties_as_the_bottleneck_serialises():
    """Sent 12 ms apart (after the 1st ACK), segments find the queue drained again."""
    t = run([*HS, "client send 1460 1460 1460", "client send 1460 1460 1460"], net={"rate": "1Mbps", "queue": 2})
    assert {r.fate for r in t.segments} == {"delivered"}


# --------------------------------------------------------------------------- the worked examples


def doc_example(title: str) -> str:
    blocks = re.findall(r"```toml\n(.*?)```", CONTRACT.read_text(encoding="utf-8"), re.DOTALL)
    return next(block for block in blocks if f'title = "{title}"' in block)


def test_the_documented_reordering_example_does_what_the_text_says():
    t = simulate(parse_scenario(doc_example("A delayed segment is overtaken"), "reorder.toml"))
    assert [(r.n, r.segment.seq, r.sent_at, r.arrived_at) for r in t.segments[3:6]] == [
        (4, 1001, 30 * MS, 45 * MS), (5, 1101, 30 * MS, 40 * MS), (6, 1201, 30 * MS, 40 * MS),
    ]
    assert [(r.n, r.segment.ack, r.segment.note) for r in t.segments[6:]] == [
        (7, 1001, DUP_NOTE), (8, 1001, DUP_NOTE), (9, 1301, ""),
    ]


def test_the_documented_vanish_example_does_what_the_text_says():
    t = simulate(parse_scenario(doc_example("The server is unplugged"), "vanish.toml"))
    resent = [r for r in t.segments if r.segment.retransmission]
    assert [r.sent_at for r in resent[:3]] == [1030 * MS, 3030 * MS, 7030 * MS]
    assert len(resent) == 15 and all(r.fate == "dropped" for r in t.segments[3:])
    assert (t.events[-1].at, t.events[-1].error) == (663030 * MS, "connection aborted due to user timeout")
    assert t.final == {"client": "CLOSED", "server": "ESTABLISHED"}


# --------------------------------------------------------------------------- the network alone


def test_rules_count_only_matching_segments_and_leave_others_alone():
    network = Network(10 * MS, NetParams())
    network.add_rule(Drop("client", "server", frozenset({"DATA"}), nth=2))
    network.add_rule(Delay(flags=frozenset({"FIN"}), by=7 * MS))
    segments = [
        Segment("client", "server", 1, 1, frozenset({"ACK"}), 10),
        Segment("server", "client", 1, 1, frozenset({"ACK"}), 10),  # other direction: not counted
        Segment("client", "server", 11, 1, frozenset({"ACK"})),  # no payload: not counted
        Segment("client", "server", 11, 1, frozenset({"ACK", "FIN"}), 10),  # 2nd DATA: lost, not delayed
        Segment("server", "client", 11, 1, frozenset({"ACK", "FIN"})),  # the delay's next match
    ]
    records = [SegmentRecord(n, s, 0, "delivered", None) for n, s in enumerate(segments, 1)]
    for record in records:
        network.send(record, 0)
    assert [(r.fate, r.arrived_at) for r in records] == [
        ("delivered", 10 * MS), ("delivered", 10 * MS), ("delivered", 10 * MS),
        ("dropped", None), ("delivered", 17 * MS),
    ]
