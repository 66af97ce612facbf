"""The Internet checksum (RFC 1071), for the packets tcptutor writes: the pcap export's and
the kernel harness's. A module of its own with no imports, so that the harness, which runs on
a real-time schedule, does not load the export code to get it."""

from __future__ import annotations

import struct


def checksum(data: bytes) -> int:
    """One's complement of the one's complement sum of the 16-bit words (odd length padded)."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF
