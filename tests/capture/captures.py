"""Small captures built in the tests: pcap and pcapng bytes around hand-made frames."""

from __future__ import annotations

import struct

from tcptutor.export.pcap import trace_to_pcapng
from tcptutor.library import load_scenario
from tcptutor.tcp.simulator import simulate


def pcap(frames: list[bytes], linktype: int, *, snaplen: int = 65535, t0: float = 1_767_225_600.0,
         caplen: int | None = None) -> bytes:
    """A classic little-endian microsecond pcap; `caplen` cuts every frame (a short snaplen)."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype)]
    for k, f in enumerate(frames):
        cut = f[:caplen] if caplen else f
        us = k * 1000
        out.append(struct.pack("<IIII", int(t0) + us // 1_000_000, us % 1_000_000, len(cut), len(f)) + cut)
    return b"".join(out)


def raw_frames(pcapng: bytes) -> list[bytes]:
    """The packets of a tcptutor pcapng export (raw IPv4), in order."""
    import io

    import dpkt

    return [bytes(b) for _, b in dpkt.pcapng.Reader(io.BytesIO(pcapng))]


def scenario_capture(name: str) -> bytes:
    return trace_to_pcapng(simulate(load_scenario(name)))


def pcapng(interfaces: list[tuple[int, int | None]], packets: list[tuple[int, int, bytes]]) -> bytes:
    """A little-endian pcapng: interfaces as (link type, if_tsresol or None: microseconds),
    packets as (interface, timestamp in that interface's units, frame)."""
    def block(kind: int, body: bytes) -> bytes:
        body += b"\0" * (-len(body) % 4)
        return struct.pack("<II", kind, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))

    out = [block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))]
    for linktype, tsresol in interfaces:
        opts = b""
        if tsresol is not None:
            opts = struct.pack("<HHB3x", 9, 1, tsresol) + struct.pack("<HH", 0, 0)
        out.append(block(1, struct.pack("<HHI", linktype, 0, 0) + opts))
    for iface, ts, frame in packets:
        out.append(block(6, struct.pack("<IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, len(frame), len(frame)) + frame))
    return b"".join(out)
