"""tshark's verdicts on a capture, to compare with `tcptutor explain`'s (tests/capture only).

tshark is Wireshark's reader: its TCP analysis flags retransmissions, fast retransmissions
and duplicate ACKs per frame. Missing tshark skips, except in CI (CI=true), which installs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tcptutor.capture import events as ev

IN_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")
FIELDS = ["frame.number", "tcp.analysis.retransmission", "tcp.analysis.fast_retransmission",
          "tcp.analysis.spurious_retransmission", "tcp.analysis.duplicate_ack", "tcp.analysis.keep_alive",
          "tcp.analysis.window_full"]
RETRANSMISSIONS = {ev.FAST_RETRANSMISSION, ev.TIMEOUT_RETRANSMISSION, ev.SPURIOUS}


def tshark_exe() -> str:
    exe = shutil.which("tshark")
    if exe is None:
        if IN_CI:
            pytest.fail("tshark is not installed, but CI must run these checks: .ci/run installs it")
        pytest.skip("tshark is not installed (apt-get install tshark)")
    return exe


def tshark_verdicts(path: Path) -> dict[str, set[int]]:
    """Frame numbers tshark flags, by kind: retransmission (any), fast, dup-ack, keep-alive."""
    cmd = [tshark_exe(), "-r", str(path), "-n", "-T", "fields", "-E", "separator=\t",
           "-o", "tcp.analyze_sequence_numbers:TRUE", "-o", "tcp.relative_sequence_numbers:TRUE", "-Y", "tcp"]
    for f in FIELDS:
        cmd += ["-e", f]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = {"retransmission": set(), "fast": set(), "dupack": set(), "keepalive": set(), "window_full": set()}
    for line in done.stdout.splitlines():
        cols = (line.split("\t") + [""] * len(FIELDS))[:len(FIELDS)]
        frame = int(cols[0])
        if cols[1] or cols[2] or cols[3]:
            out["retransmission"].add(frame)
        if cols[2]:
            out["fast"].add(frame)
        if cols[4]:
            out["dupack"].add(frame)
        if cols[5]:
            out["keepalive"].add(frame)
        if cols[6]:
            out["window_full"].add(frame)
    return out


def our_verdicts(explanation) -> dict[str, set[int]]:
    out = {"retransmission": set(), "fast": set(), "dupack": set(), "keepalive": set(), "window_full": set()}
    for rep in explanation.reports:
        for info in rep.infos:
            kinds, frame = info.kinds(), info.seg.frame
            if kinds & RETRANSMISSIONS:
                out["retransmission"].add(frame)
            if ev.FAST_RETRANSMISSION in kinds:
                out["fast"].add(frame)
            if ev.DUP_ACK in kinds:
                out["dupack"].add(frame)
            if ev.WINDOW_FULL in kinds:
                out["window_full"].add(frame)
            # tshark calls every segment of the keep-alive form a keep-alive, Linux's zero-window probes too
            if info.old_byte:
                out["keepalive"].add(frame)
    return out
