"""The address plan of a trace: which IPv4 address and TCP port each endpoint name has.

The simulator names endpoints (`client`, `server`, `spoof-K`) and needs no addresses; a
capture (export/pcap.py) and a question about ports (`what = "sport"`) need them, and both
must agree, so the plan lives here: client 10.0.0.1 port 40000 (an ephemeral port, as a
client's is), server 10.0.0.2 port 80; the spoofed source `spoof-N` of a SYN flood is
198.18.0.0 + N (the RFC 2544 benchmarking range) with source port 1024 + N; any other name
gets the next free address of 198.19.0.0/16, port 1024 + k, in the order first seen.
"""

from __future__ import annotations

import ipaddress
import re

CLIENT = ("10.0.0.1", 40000)
SERVER = ("10.0.0.2", 80)
SPOOF_BASE = int(ipaddress.IPv4Address("198.18.0.0"))
OTHER_BASE = int(ipaddress.IPv4Address("198.19.0.0"))


class Addresses:
    """Endpoint name -> (IPv4 address, TCP port), as documented above."""

    def __init__(self) -> None:
        self.known = {"client": CLIENT, "server": SERVER}
        self.others = 0

    def __call__(self, name: str) -> tuple[str, int]:
        if name not in self.known:
            m = re.fullmatch(r"spoof-(\d+)", name)
            if m and 0 < int(m.group(1)) < 64512:
                n = int(m.group(1))
                self.known[name] = (str(ipaddress.IPv4Address(SPOOF_BASE + n)), 1024 + n)
            else:
                self.others += 1
                k = self.others
                self.known[name] = (str(ipaddress.IPv4Address(OTHER_BASE + k)), 1024 + k)
        return self.known[name]


def address_plan(trace) -> Addresses:
    """The plan a capture of `trace` uses: names met in wire order, source before destination."""
    plan = Addresses()
    for seg in sorted(trace.segments, key=lambda s: s.sent_at):
        plan(seg.src)
        plan(seg.dst)
    return plan
