"""The TUN harness's pure parts, without root: packets, relative rows, the time tolerance."""

import socket
import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from tcptutor.lab.tun import build_packet, checksum, parse_packet, spoof_ip  # noqa: E402
from tcptutor.lab.compare import compare, discount_lateness, rows, tolerance, untie  # noqa: E402


def test_a_built_packet_parses_back_with_valid_checksums():
    packet = build_packet("10.0.0.2", "10.0.0.1", 40000, 8080, 4_000_000_000, 123, {"SYN", "ACK"},
                          70000, 1460, 5, ident=7)
    assert checksum(packet[:20]) == 0  # the IPv4 header checksum covers the header
    pseudo = packet[12:20] + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(packet) - 20)
    assert checksum(pseudo + packet[20:]) == 0  # the TCP checksum covers pseudo-header and segment
    assert parse_packet(packet) == {
        "src_ip": "10.0.0.2", "dst_ip": "10.0.0.1", "sport": 40000, "dport": 8080,
        "seq": 4_000_000_000, "ack": 123, "flags": ["SYN", "ACK"], "len": 5,
        "win": 0xFFFF,  # no window scaling: the field saturates
        "mss": 1460,
    }


def test_an_ack_field_without_the_ack_flag_reads_as_zero():
    packet = build_packet("10.0.0.2", "10.0.0.1", 1, 2, 10, 99, {"RST"}, 0, None, 0, ident=1)
    assert parse_packet(packet)["ack"] == 0
    assert parse_packet(packet)["mss"] is None


def test_spoofed_sources_get_distinct_addresses_past_250():
    assert [spoof_ip(k) for k in (1, 250, 251)] == ["10.0.1.1", "10.0.1.250", "10.0.2.1"]


def seg(src, dst, flags, seq, ack=0, length=0, t=0.0, fate="delivered"):
    return {"src": src, "dst": dst, "flags": flags, "seq": seq, "ack": ack, "len": length, "t": t,
            "fate": fate}


def test_rows_are_relative_to_each_connection_isn_and_a_new_syn_starts_a_new_one():
    segments = [
        seg("client", "server", ["SYN"], 1000),
        seg("server", "client", ["SYN", "ACK"], 5000, 1001),
        seg("client", "server", ["ACK", "PSH"], 1001, 5001, 10),
        seg("client", "server", ["SYN"], 9000),  # a new connection, a new ISN
        seg("server", "client", ["SYN", "ACK"], 7000, 9001),
    ]
    assert [r[0] for r in rows(segments, "t")] == [
        ("client", "SYN", 0, 0, 0, "delivered"),
        ("server", "SYN+ACK", 0, 1, 0, "delivered"),
        ("client", "ACK", 1, 1, 10, "delivered"),  # PSH left out
        ("client", "SYN", 0, 0, 0, "delivered"),
        ("server", "SYN+ACK", 0, 1, 0, "delivered"),
    ]


def test_untie_swaps_only_what_the_simulator_sent_at_one_instant_from_both_ends():
    a, b = (("client", "SYN", 0, 0, 0, "delivered"), 0.0), (("server", "SYN", 0, 0, 0, "delivered"), 0.0)
    assert untie([b, a], [a, b]) == [a, b]
    later = (("server", "SYN", 0, 0, 0, "delivered"), 0.5)
    assert untie([later, a], [a, later]) == [later, a]  # different instants: the order is a difference


def test_compare_allows_the_timer_slack_and_no_more():
    row = ("client", "SYN", 0, 0, 0, "delivered")
    assert tolerance(1.0) == 0.020 + 0.125
    assert compare([(row, 1.14)], [(row, 1.0)]) == []
    assert compare([(row, 1.15)], [(row, 1.0)]) != []
    assert compare([(row, 1.0)], []) == ["segment 1: kernel " + str(row) + ", simulator -"]
    # only the kernel's send times are compared: the peer's say how busy the harness was
    assert compare([(row, 1.15)], [(row, 1.0)], timed="server") == []
    assert compare([(row, 1.15)], [(row, 1.0)], timed="client") != []


def test_the_harness_lateness_at_a_step_start_is_not_the_kernels():
    segments = [seg("client", "server", ["SYN"], 0, t=0.001), seg("client", "server", ["FIN"], 1, t=0.045)]
    started = [[0.0, 0.001], [0.030, 0.040]]  # the second step began 10 ms late
    assert [s["t"] for s in discount_lateness(segments, started)] == [0.0, 0.035]


def test_a_reply_to_a_packet_handed_over_late_is_discounted_by_that_lateness():
    segments = [{"t": 0.034}, {"t": 1.041}]
    delivered = [[0.010, 0.034], [1.010, 1.012]]  # the SYN handed over 24 ms late, the next 2 ms
    assert [s["t"] for s in discount_lateness(segments, [], delivered)] == [0.010, 1.039]
