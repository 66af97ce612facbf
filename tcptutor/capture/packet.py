"""Decoding one captured frame into a Packet: link layer, IPv4/IPv6, TCP header and options.

Pure: bytes in, a Packet (or None for a frame that carries no TCP) out. Written for what
real captures contain:
- link types Ethernet (with 802.1Q/802.1ad VLAN tags), Linux cooked SLL and SLL2
  (`tcpdump -i any`), raw IP (LINKTYPE_RAW, as `tcptutor export pcap` writes), BSD loopback;
- a truncated snaplen: only the TCP header is needed; the payload length comes from the IP
  header's length field, not from the bytes captured (RFC 791 Total Length, RFC 8200
  Payload Length);
- segmentation offload: a sender's capture shows the segment before the NIC splits it, and
  its IP length may be 0 (Linux writes 0 into a TSO super-packet's header): then the
  captured bytes are the best there is, and `length_from_capture` says so;
- checksums are never checked: a capturing host with checksum offload writes garbage there.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass, field

from ..i18n import N_, Said

# Link-layer header types (tcpdump.org/linktypes.html)
LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LOOP = 108
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276
DLT_RAW_ALIASES = (12, 14)  # DLT_RAW on some BSDs and OpenBSD, in old pcap files

ETH_IPV4, ETH_IPV6 = 0x0800, 0x86DD
ETH_VLAN = (0x8100, 0x88A8, 0x9100)
IPPROTO_TCP = 6
# IPv6 extension headers that can stand before TCP (RFC 8200 4): hop-by-hop, routing,
# destination options; a fragment header (44) is handled apart.
IPV6_EXT = (0, 43, 60)

FLAG_BITS = (("FIN", 0x01), ("SYN", 0x02), ("RST", 0x04), ("PSH", 0x08), ("ACK", 0x10),
             ("URG", 0x20), ("ECE", 0x40), ("CWR", 0x80))


@dataclass(frozen=True)
class TcpOptions:
    """The options a course asks about (RFC 9293 3.2 MSS, RFC 7323 WS and TS, RFC 2018 SACK)."""

    mss: int | None = None
    wscale: int | None = None
    sack_permitted: bool = False
    ts: tuple[int, int] | None = None  # (TSval, TSecr)
    sack: tuple[tuple[int, int], ...] = ()  # SACK blocks (left, right), absolute

    def to_json(self) -> dict:
        out: dict = {}
        if self.mss is not None:
            out["mss"] = self.mss
        if self.wscale is not None:
            out["wscale"] = self.wscale
        if self.sack_permitted:
            out["sack_perm"] = True
        if self.ts is not None:
            out["ts"] = {"val": self.ts[0], "ecr": self.ts[1]}
        if self.sack:
            out["sack"] = [list(b) for b in self.sack]
        return out


@dataclass(frozen=True)
class Packet:
    """One captured TCP segment, header fields as on the wire (seq and ack are absolute)."""

    frame: int  # the capture's frame number, from 1, as Wireshark counts
    time: float  # seconds since the Unix epoch
    ip_version: int
    src: str
    dst: str
    sport: int
    dport: int
    seq: int
    ack: int
    flags: frozenset[str]
    window: int  # the raw 16-bit field (RFC 7323: scaled on non-SYN segments)
    length: int  # payload bytes, from the IP length
    options: TcpOptions = field(default_factory=TcpOptions)
    captured: int = 0  # payload bytes actually in the capture (less under a short snaplen)
    length_from_capture: bool = False  # the IP length was 0 (a TSO super-packet): length = captured

    def has(self, flag: str) -> bool:
        return flag in self.flags

    @property
    def seg_len(self) -> int:
        """SEG.LEN: payload, plus one for SYN and one for FIN (RFC 9293 3.4)."""
        return self.length + self.has("SYN") + self.has("FIN")

    @property
    def truncated(self) -> bool:
        return self.captured < self.length


class DecodeError(ValueError):
    """A frame that claims to carry TCP but whose headers are cut short or inconsistent (its
    argument is Said: English as str(), the reader's language in the explanation's warnings)."""


def _u16(b: bytes, i: int) -> int:
    return struct.unpack_from("!H", b, i)[0]


def network_layer(linktype: int, frame: bytes) -> tuple[int, bytes] | None:
    """(IP version, the bytes from the IP header on) of a frame, or None if it is not IP."""
    if linktype in (LINKTYPE_RAW, *DLT_RAW_ALIASES, LINKTYPE_IPV4, LINKTYPE_IPV6):
        data = frame
    elif linktype == LINKTYPE_ETHERNET:
        if len(frame) < 14:
            return None
        ethertype, i = _u16(frame, 12), 14
        while ethertype in ETH_VLAN:  # 802.1Q tag(s): TCI, then the real type
            if len(frame) < i + 4:
                return None
            ethertype, i = _u16(frame, i + 2), i + 4
        if ethertype not in (ETH_IPV4, ETH_IPV6):
            return None
        data = frame[i:]
    elif linktype == LINKTYPE_LINUX_SLL:  # 16-byte header, protocol in the last two
        if len(frame) < 16:
            return None
        ethertype, i = _u16(frame, 14), 16
        while ethertype in ETH_VLAN and len(frame) >= i + 4:
            ethertype, i = _u16(frame, i + 2), i + 4
        if ethertype not in (ETH_IPV4, ETH_IPV6):
            return None
        data = frame[i:]
    elif linktype == LINKTYPE_LINUX_SLL2:  # 20-byte header, protocol first
        if len(frame) < 20 or _u16(frame, 0) not in (ETH_IPV4, ETH_IPV6):
            return None
        data = frame[20:]
    elif linktype in (LINKTYPE_NULL, LINKTYPE_LOOP):  # 4-byte address family, either byte order
        data = frame[4:]
    else:
        return None
    if not data:
        return None
    version = data[0] >> 4
    return (version, data) if version in (4, 6) else None


def _ipv4(data: bytes) -> tuple[str, str, bytes, int | None]:
    """(src, dst, the TCP bytes, the TCP length from Total Length) of an IPv4 datagram."""
    if len(data) < 20:
        raise DecodeError(Said(N_("IPv4 header cut short")))
    ihl = (data[0] & 0x0F) * 4
    if ihl < 20 or len(data) < ihl:
        raise DecodeError(Said(N_("IPv4 header length {ihl} is impossible"), ihl=ihl))
    if data[9] != IPPROTO_TCP:
        raise LookupError("not TCP")
    if _u16(data, 6) & 0x1FFF:  # a later fragment: no TCP header in it
        raise LookupError("an IP fragment")
    total = _u16(data, 2)
    tcp_len = total - ihl if total else None  # 0: TSO, the length is not filled in
    if tcp_len is not None and tcp_len < 0:
        raise DecodeError(Said(N_("IPv4 total length {total} is shorter than its header"), total=total))
    src = str(ipaddress.IPv4Address(data[12:16]))
    dst = str(ipaddress.IPv4Address(data[16:20]))
    return src, dst, data[ihl:], tcp_len


def _ipv6(data: bytes) -> tuple[str, str, bytes, int | None]:
    if len(data) < 40:
        raise DecodeError(Said(N_("IPv6 header cut short")))
    payload_len = _u16(data, 4)
    nxt, i = data[6], 40
    while nxt in IPV6_EXT:
        if len(data) < i + 8:
            raise DecodeError(Said(N_("IPv6 extension header cut short")))
        nxt, i = data[i], i + (data[i + 1] + 1) * 8
    if nxt == 44:
        raise LookupError("an IPv6 fragment")
    if nxt != IPPROTO_TCP:
        raise LookupError("not TCP")
    tcp_len = payload_len - (i - 40) if payload_len else None  # 0: a jumbogram or TSO
    if tcp_len is not None and tcp_len < 0:
        raise DecodeError(Said(N_("IPv6 payload length is shorter than its extension headers")))
    src = str(ipaddress.IPv6Address(data[8:24]))
    dst = str(ipaddress.IPv6Address(data[24:40]))
    return src, dst, data[i:], tcp_len


def parse_options(raw: bytes) -> TcpOptions:
    """The options area (RFC 9293 3.1); a malformed option ends the parse, like Wireshark."""
    mss = wscale = ts = None
    sack_perm = False
    sack: list[tuple[int, int]] = []
    i = 0
    while i < len(raw):
        kind = raw[i]
        if kind == 0:  # end of option list
            break
        if kind == 1:  # NOP
            i += 1
            continue
        if i + 1 >= len(raw):
            break
        size = raw[i + 1]
        if size < 2 or i + size > len(raw):
            break
        body = raw[i + 2:i + size]
        if kind == 2 and size == 4:
            mss = struct.unpack("!H", body)[0]
        elif kind == 3 and size == 3:
            wscale = body[0]
        elif kind == 4 and size == 2:
            sack_perm = True
        elif kind == 5 and (size - 2) % 8 == 0:
            sack = [struct.unpack_from("!II", body, k) for k in range(0, len(body), 8)]
        elif kind == 8 and size == 10:
            ts = struct.unpack("!II", body)
        i += size
    return TcpOptions(mss, wscale, sack_perm, ts, tuple(sack))


def decode(linktype: int, frame: bytes, number: int, time: float) -> Packet | None:
    """The TCP segment in a frame, or None if the frame carries none (ARP, UDP, a fragment).

    Raises DecodeError for a frame whose IP or TCP header is cut short or impossible."""
    net = network_layer(linktype, frame)
    if net is None:
        return None
    version, data = net
    try:
        src, dst, tcp, tcp_len = _ipv4(data) if version == 4 else _ipv6(data)
    except LookupError:
        return None
    if len(tcp) < 20:
        raise DecodeError(Said(N_("frame {number}: TCP header cut short ({n} bytes captured)"), number=number, n=len(tcp)))
    sport, dport, seq, ack, off, bits, window = struct.unpack_from("!HHIIBBH", tcp)
    hlen = (off >> 4) * 4
    if hlen < 20:
        raise DecodeError(Said(N_("frame {number}: TCP data offset {hlen} is below 20"), number=number, hlen=hlen))
    options = parse_options(tcp[20:min(hlen, len(tcp))])
    captured = max(len(tcp) - hlen, 0)
    from_capture = tcp_len is None
    if tcp_len is None:
        length = captured
    else:
        if tcp_len < hlen:
            raise DecodeError(Said(N_("frame {number}: IP length leaves less than the TCP header ({hlen} bytes)"),
                                   number=number, hlen=hlen))
        length = tcp_len - hlen
        captured = min(captured, length)  # link-layer padding (short Ethernet frames) is not payload
    flags = frozenset(name for name, bit in FLAG_BITS if bits & bit)
    return Packet(number, time, version, src, dst, sport, dport, seq, ack, flags, window, length,
                  options, captured, from_capture)
