"""Broken captures never crash the reader or the explanation: only CaptureError, or a result."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tcptutor.capture.explain import explain_packets
from tcptutor.capture.packet import LINKTYPE_ETHERNET, LINKTYPE_RAW
from tcptutor.capture.pcapfile import CaptureError, parse_capture
from captures import pcap, raw_frames, scenario_capture

PCAPNG = scenario_capture("fast-retransmit")
PCAP = pcap(raw_frames(PCAPNG), LINKTYPE_RAW)
ETHER = pcap([b"\x02" * 12 + b"\x81\x00\x00\x0a\x08\x00" + f for f in raw_frames(PCAPNG)], LINKTYPE_ETHERNET)


def survive(data: bytes) -> None:
    try:
        cap = parse_capture(data, "fuzz")
    except CaptureError:
        return
    explain_packets(cap.packets, name="fuzz").to_json()


@pytest.mark.parametrize("blob", [PCAPNG, PCAP, ETHER], ids=["pcapng", "pcap", "vlan"])
def test_truncated_at_every_offset(blob):
    for cut in range(len(blob)):
        survive(blob[:cut])


@pytest.mark.parametrize("blob", [PCAPNG, PCAP, ETHER], ids=["pcapng", "pcap", "vlan"])
def test_single_bit_flips(blob):
    rng = random.Random(15)
    for _ in range(1500):
        b = bytearray(blob)
        i = rng.randrange(len(b))
        b[i] ^= 1 << rng.randrange(8)
        survive(bytes(b))


def test_random_bytes_after_a_valid_header():
    rng = random.Random(9)
    for head in (PCAPNG[:28], PCAP[:24]):
        for n in (0, 1, 7, 16, 64, 500):
            for _ in range(40):
                survive(head + rng.randbytes(n))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_hypothesis_mutations(data):
    blob = data.draw(st.sampled_from([PCAPNG, PCAP, ETHER]))
    b = bytearray(blob)
    for _ in range(data.draw(st.integers(1, 8))):
        i = data.draw(st.integers(0, len(b) - 1))
        b[i] = data.draw(st.integers(0, 255))
    survive(bytes(b[:data.draw(st.integers(0, len(b)))]))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_hypothesis_any_bytes(blob):
    survive(blob)
