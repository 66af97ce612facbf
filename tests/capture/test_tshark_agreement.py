"""tcptutor explain against tshark on the same captures: every retransmission and duplicate ACK.

Here the captures are `tcptutor export pcap` of every shipped scenario; the kernel's own
captures are compared in test_kernel_captures.py.
"""

from __future__ import annotations

import pytest

from tcptutor import library
from tcptutor.capture.explain import explain_packets
from tcptutor.capture.pcapfile import read_capture
from tcptutor.export.pcap import scenario_trace, write_trace
from tsharkcheck import our_verdicts, tshark_exe, tshark_verdicts

SCENARIOS = library.scenario_names()
# Where tshark and tcptutor disagree on purpose: {scenario: {kind: (frames tshark adds, why)}}.
DIVERGENCES = {
    "simultaneous-open": {"retransmission": ({3, 4}, "a SYN,ACK after its own SYN is the simultaneous-open answer "
                                             "(RFC 9293 3.5 figure 8), not a retransmission")},
    "simultaneous-lost-syn": {"retransmission": ({3}, "the same: the SYN,ACK answering a crossing SYN")},
    "wraparound": {"dupack": ({3}, "tshark compares the SYN's ack field although its ACK bit is off "
                              "(RFC 9293 3.1: the field is then meaningless)")},
}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    tshark_exe()
    folder = tmp_path_factory.mktemp("explain")
    return {n: write_trace(scenario_trace(n), folder / f"{n}.pcapng") for n in SCENARIOS}


@pytest.mark.parametrize("name", SCENARIOS)
def test_retransmissions_and_dup_acks_agree_with_tshark(exported, name):
    path = exported[name]
    cap = read_capture(path)
    ours = our_verdicts(explain_packets(cap.packets, name=name))
    theirs = tshark_verdicts(path)
    for kind in ("retransmission", "dupack", "keepalive", "window_full"):
        extra, _why = DIVERGENCES.get(name, {}).get(kind, (set(), ""))
        assert extra <= theirs[kind] and not extra & ours[kind], f"{name}: a documented divergence is gone"
        theirs[kind] -= extra
        assert ours[kind] == theirs[kind], f"{name} {kind}: ours {sorted(ours[kind])}, tshark {sorted(theirs[kind])}"
    # tshark calls a retransmission fast after 2 duplicate ACKs (3 equal ACKs); RFC 5681 3.2 asks for 3
    # duplicates. Every fast one of ours is fast for tshark too.
    assert ours["fast"] <= theirs["fast"], f"{name}: ours {sorted(ours['fast'])}, tshark {sorted(theirs['fast'])}"
