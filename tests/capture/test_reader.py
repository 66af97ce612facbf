"""Reading captures: link types, IPv6, VLAN tags, a short snaplen, offload lengths, bad files."""

from __future__ import annotations

import ipaddress
import struct

import pytest

from tcptutor.capture.packet import (LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_NULL,
                                     LINKTYPE_RAW, decode, parse_options)
from tcptutor.capture.pcapfile import CaptureError, parse_capture
from captures import pcap, raw_frames, scenario_capture

ETH = b"\x02" * 6 + b"\x04" * 6


def lost_data_frames() -> list[bytes]:
    return raw_frames(scenario_capture("lost-data"))


def test_export_reads_back_with_every_field():
    cap = parse_capture(scenario_capture("lost-data"))
    assert cap.linktype == LINKTYPE_RAW and cap.frames == len(cap.packets) == 10
    syn = cap.packets[0]
    assert (syn.src, syn.sport, syn.dst, syn.dport) == ("10.0.0.1", 40000, "10.0.0.2", 80)
    assert syn.flags == {"SYN"} and syn.seq == 1000 and syn.options.mss == 1460
    assert [p.length for p in cap.packets if p.length] == [100, 100, 100, 100]


@pytest.mark.parametrize("wrap,linktype", [
    (lambda ip: ETH + b"\x08\x00" + ip, LINKTYPE_ETHERNET),
    (lambda ip: ETH + b"\x81\x00\x00\x0a\x08\x00" + ip, LINKTYPE_ETHERNET),  # 802.1Q
    (lambda ip: ETH + b"\x88\xa8\x00\x64\x81\x00\x00\x0a\x08\x00" + ip, LINKTYPE_ETHERNET),  # QinQ
    (lambda ip: struct.pack("!HHH8sH", 0, 772, 6, b"\0" * 8, 0x0800) + ip, LINKTYPE_LINUX_SLL),
    (lambda ip: struct.pack("!HHIHBB8s", 0x0800, 0, 1, 772, 0, 6, b"\0" * 8) + ip, LINKTYPE_LINUX_SLL2),
    (lambda ip: struct.pack("<I", 2) + ip, LINKTYPE_NULL),
])
def test_every_link_type_gives_the_same_segments(wrap, linktype):
    frames = lost_data_frames()
    cap = parse_capture(pcap([wrap(f) for f in frames], linktype))
    want = parse_capture(pcap(frames, LINKTYPE_RAW))
    strip = lambda p: (p.seq, p.ack, p.flags, p.length, p.src, p.dport)  # noqa: E731
    assert [strip(p) for p in cap.packets] == [strip(p) for p in want.packets]


def test_short_snaplen_keeps_lengths_from_the_ip_header():
    frames = lost_data_frames()
    cap = parse_capture(pcap(frames, LINKTYPE_RAW, caplen=54))
    data = [p for p in cap.packets if p.length]
    assert [p.length for p in data] == [100] * 4 and all(p.truncated and p.captured == 14 for p in data)


def test_ip_length_zero_is_a_tso_super_packet():
    frame = bytearray(lost_data_frames()[3])
    frame[2:4] = b"\0\0"  # Linux writes 0 into a TSO packet's IP length
    p = decode(LINKTYPE_RAW, bytes(frame), 1, 0.0)
    assert p.length == 100 and p.length_from_capture


def test_ipv6_with_a_destination_options_header():
    v4 = decode(LINKTYPE_RAW, lost_data_frames()[3], 1, 0.0)
    tcp = lost_data_frames()[3][20:]
    ext = bytes([6, 0]) + b"\x01\x04\0\0\0\0"  # next header TCP, length 0 (8 bytes), PadN
    src, dst = ipaddress.IPv6Address("2001:db8::1").packed, ipaddress.IPv6Address("2001:db8::2").packed
    ip6 = struct.pack("!IHBB", 6 << 28, len(ext) + len(tcp), 60, 64) + src + dst + ext + tcp
    p = decode(LINKTYPE_RAW, ip6, 1, 0.0)
    assert p.ip_version == 6 and p.src == "2001:db8::1" and p.length == v4.length == 100 and p.seq == v4.seq


def test_options_mss_ws_sack_perm_ts_and_sack_blocks():
    raw = (struct.pack("!BBH", 2, 4, 1460) + b"\x01" + struct.pack("!BBB", 3, 3, 7) + struct.pack("!BB", 4, 2)
           + struct.pack("!BBII", 8, 10, 111, 222) + struct.pack("!BBIIII", 5, 18, 10, 20, 30, 40))
    o = parse_options(raw)
    assert (o.mss, o.wscale, o.sack_permitted, o.ts, o.sack) == (1460, 7, True, (111, 222), ((10, 20), (30, 40)))
    assert parse_options(b"\x02\x04\x05").mss is None  # cut short: ignored, no error


def test_non_tcp_frames_are_skipped():
    arp = ETH + b"\x08\x06" + b"\0" * 28
    frames = [arp] + [ETH + b"\x08\x00" + f for f in lost_data_frames()]
    cap = parse_capture(pcap(frames, LINKTYPE_ETHERNET))
    assert cap.frames == 11 and len(cap.packets) == 10 and cap.packets[0].frame == 2


@pytest.mark.parametrize("data,message", [
    (b"", "not a pcap"),
    (b"hello world, not a capture", "not a pcap"),
    (pcap([], LINKTYPE_RAW), "no packets"),
    (pcap([b"\x45" + b"\0" * 30], 147), "no TCP segment"),
    (pcap([b"\x08\x06" + b"\0" * 40], LINKTYPE_ETHERNET), "no TCP segment"),
])
def test_bad_input_is_one_clear_error(data, message):
    with pytest.raises(CaptureError) as err:
        parse_capture(data, "x.pcap")
    assert message in str(err.value) and str(err.value).startswith("x.pcap: ")


def test_a_capture_cut_in_the_middle_of_a_record():
    whole = pcap(lost_data_frames(), LINKTYPE_RAW)
    with pytest.raises(CaptureError, match="cut short"):
        parse_capture(whole[:24 + 8])


def test_pcapng_with_two_interfaces_of_different_link_types():
    from captures import pcapng

    frames = lost_data_frames()
    packets = []
    for k, f in enumerate(frames):
        if k % 2:  # odd frames on an Ethernet interface with nanosecond stamps
            packets.append((1, (1_767_225_600 * 10**9) + k * 10**6, ETH + b"\x08\x00" + f))
        else:
            packets.append((0, (1_767_225_600 * 10**6) + k * 10**3, f))
    cap = parse_capture(pcapng([(LINKTYPE_RAW, None), (LINKTYPE_ETHERNET, 9)], packets))
    want = parse_capture(pcap(frames, LINKTYPE_RAW))
    assert [(p.seq, p.ack, p.flags, p.length) for p in cap.packets] == [(p.seq, p.ack, p.flags, p.length) for p in want.packets]
    assert [round(p.time - cap.packets[0].time, 6) for p in cap.packets] == [k / 1000 for k in range(len(frames))]


def test_pcapng_packet_on_an_undescribed_interface():
    from captures import pcapng

    with pytest.raises(CaptureError, match="interface 3"):
        parse_capture(pcapng([(LINKTYPE_RAW, None)], [(3, 0, lost_data_frames()[0])]))


def test_checksums_are_never_checked():
    """A host with checksum offload captures its own segments before the NIC fills the sum in."""
    from tcptutor.capture.explain import explain_packets

    frames = lost_data_frames()
    zeroed = [f[:10] + b"\0\0" + f[12:36] + b"\xde\xad" + f[38:] for f in frames]  # IP and TCP sums garbage
    a = explain_packets(parse_capture(pcap(frames, LINKTYPE_RAW)).packets).to_json()
    b = explain_packets(parse_capture(pcap(zeroed, LINKTYPE_RAW)).packets).to_json()
    assert a["connections"] == b["connections"] and b["warnings"] == []
    assert "checksum" not in str(b).lower()
