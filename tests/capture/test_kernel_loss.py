"""Loss explained: the TUN harness (tcptutor/lab/tun.py) drives the kernel against a scripted
peer and drops what the scenario says; its record of every packet, both ways, becomes a raw-IP
capture (LINKTYPE_RAW, the harness's vantage point: between the two, before the drop) that
`tcptutor explain` reads. The retransmissions must be found and typed, and tshark must agree.

The harness is used as it is: its result lists each packet's header fields, which is all a
capture needs (the payload bytes do not matter to an explanation, so they are filler).
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "tcp"))
from tcptutor.lab.tun import (CLIENT_PORT, KERNEL_IP, PEER_IP, SERVER_PORT, build_packet,  # noqa: E402
                              run_kernel_cases, tun_available)
from test_linux_loss import CASES  # noqa: E402

from tcptutor.capture import events as ev  # noqa: E402
from tcptutor.capture.explain import explain_packets  # noqa: E402
from tcptutor.capture.observer import state_path  # noqa: E402
from tcptutor.capture.pcapfile import parse_capture  # noqa: E402
from tsharkcheck import our_verdicts, tshark_verdicts  # noqa: E402

pytestmark = pytest.mark.linux

PICKED = {
    "fast": "fast retransmit: 1 acked, then 1 lost of 5 x 1000 (kernel sender)",
    "timeout": "lost data, no later segments (kernel sender)",
    "synack": "lost SYN-ACK (kernel server)",
}


def to_pcap(result: dict, kernel: str) -> bytes:
    """The harness's packets as a classic pcap of raw IPv4 (LINKTYPE_RAW = 101), microseconds."""
    ip = {kernel: KERNEL_IP, ("server" if kernel == "client" else "client"): PEER_IP}
    port = {"client": CLIENT_PORT, "server": SERVER_PORT}
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101)]
    base = 1_767_225_600
    for k, s in enumerate(result["segments"], start=1):
        if s["src"] not in ip or s["dst"] not in ip:
            continue
        pkt = build_packet(ip[s["src"]], ip[s["dst"]], port[s["src"]], port[s["dst"]], s["seq"], s["ack"],
                           set(s["flags"]), s["win"], s["mss"], s["len"], k)
        us = round(s["t"] * 1_000_000)
        out.append(struct.pack("<IIII", base + us // 1_000_000, us % 1_000_000, len(pkt), len(pkt)) + pkt)
    return b"".join(out)


@pytest.fixture(scope="module")
def runs():
    if (reason := tun_available()) is not None:
        pytest.skip(reason)
    started = run_kernel_cases({k: (CASES[n].scenario_text(), CASES[n].kernel, CASES[n].syncookies)
                                for k, n in PICKED.items()})
    try:
        yield started
    finally:
        for run in started.values():
            run.cancel()


def explained(runs, key: str, tmp_path):
    data = to_pcap(runs[key].result(), CASES[PICKED[key]].kernel)
    path = tmp_path / f"{key}.pcap"
    path.write_bytes(data)
    cap = parse_capture(data, path.name)
    exp = explain_packets(cap.packets, name=path.name)
    ours, theirs = our_verdicts(exp), tshark_verdicts(path)
    for kind in ("retransmission", "dupack", "keepalive", "window_full"):
        assert ours[kind] == theirs[kind], f"{key} {kind}: ours {sorted(ours[kind])}, tshark {sorted(theirs[kind])}"
    assert ours["fast"] <= theirs["fast"]
    assert len(exp.reports) == 1
    return exp.reports[0]


def test_fast_retransmit_is_found_and_typed(runs, tmp_path):
    rep = explained(runs, "fast", tmp_path)
    fast = [i for i in rep.infos if ev.FAST_RETRANSMISSION in i.kinds()]
    assert len(fast) == 1 and fast[0].seg.side == "client" and fast[0].seg.length == 1000
    assert sum(1 for i in rep.infos if ev.DUP_ACK in i.kinds()) >= 3
    assert not rep.counts().get(ev.TIMEOUT_RETRANSMISSION)


def test_a_lone_lost_segment_is_resent_by_timeout(runs, tmp_path):
    rep = explained(runs, "timeout", tmp_path)
    resent = [i for i in rep.infos if ev.TIMEOUT_RETRANSMISSION in i.kinds()]
    assert resent and all(i.seg.side == "client" for i in resent)
    assert "probably" in resent[0].findings[-1].text or any("probably" in f.text for f in resent[0].findings)
    assert not rep.counts().get(ev.FAST_RETRANSMISSION)
    assert all(r.segment != resent[0].seg.i for r in rep.lab.rtt)  # Karn: no sample from it


def test_lost_synack_is_resent_and_the_handshake_completes(runs, tmp_path):
    rep = explained(runs, "synack", tmp_path)
    synacks = [i for i in rep.infos if i.seg.has("SYN") and i.seg.has("ACK")]
    assert len(synacks) >= 2
    assert any(i.kinds() & {ev.TIMEOUT_RETRANSMISSION} for i in synacks[1:])
    assert state_path(rep.rows, "server")[-1] == "ESTABLISHED"
    assert state_path(rep.rows, "client")[-1] == "ESTABLISHED"
