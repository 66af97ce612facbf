"""docs/explain-json.md lists every member `tcptutor explain --json` writes."""

from __future__ import annotations

import re
from pathlib import Path

from tcptutor.capture import events as ev
from tcptutor.capture.explain import explain_packets
from tcptutor.capture.pcapfile import parse_capture
from captures import scenario_capture

DOC = (Path(__file__).resolve().parents[2] / "docs" / "explain-json.md").read_text()
DOCUMENTED = set(re.findall(r"`([a-z_]+)`", DOC))


def keys(obj, out: set, skip_maps=("isn", "states", "final_states", "counts")) -> set:
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.add(k)
            if k not in skip_maps:
                keys(v, out)
    elif isinstance(obj, list):
        for v in obj:
            keys(v, out)
    return out


def test_every_member_is_documented():
    written = set()
    for name in ("lost-final-ack", "fast-retransmit", "zero-window", "closed-port"):
        doc = explain_packets(parse_capture(scenario_capture(name)).packets).to_json()
        keys(doc, written)
    assert written - DOCUMENTED == set()


def test_every_finding_kind_is_documented():
    kinds = {v for k, v in vars(ev).items() if k.isupper() and isinstance(v, str) and k != "DUPACK_THRESHOLD"}
    missing = {k for k in kinds if f"`{k}`" not in DOC}
    assert not missing
