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
