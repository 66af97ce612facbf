"""Run scenario steps on the real Linux TCP stack, for differential tests.

Each run gets its own network namespace so that the probe (linux_probe.py) can use a
fixed port, see only its own segments on `lo`, and leave no sockets (TIME-WAIT
included) behind: deleting the namespace destroys them all.

    from linux_stack import linux_available, run_on_linux, relative
    if (why := linux_available()) is None:
        trace = run_on_linux(["server listen", "client connect", "client close"])
        relative(trace["segments"])  # [("client", "SYN", 0, 0, 0), ...]
"""

import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

from tcptutor.lab.tun import netns_unavailable

PROBE = Path(__file__).with_name("linux_probe.py")


def _ip(*args, timeout=10):
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=timeout)


def _new_namespace():
    """A uniquely named namespace with lo up; its name."""
    name = f"tcptutor-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    r = _ip("netns", "add", name)
    if r.returncode != 0:
        raise RuntimeError(f"ip netns add {name} failed: {r.stderr.strip()}")
    r = _ip("netns", "exec", name, "ip", "link", "set", "lo", "up")
    if r.returncode != 0:
        _ip("netns", "delete", name)
        raise RuntimeError(f"bringing up lo in {name} failed: {r.stderr.strip()}")
    return name


def linux_available() -> str | None:
    """None if run_on_linux can work here, else why not (a pytest skip reason)."""
    return netns_unavailable("ip netns and AF_PACKET", _af_packet)


def _af_packet(_name: str) -> str | None:
    try:
        socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800)).close()
    except OSError as e:
        return f"AF_PACKET raw sockets unavailable: {e}"
    return None


def run_on_linux(steps: list[str], timeout: float = 60) -> dict:
    """Perform `steps` with real sockets in a fresh namespace; the probe's JSON.

    `segments` come in capture order (the order they crossed lo); seq/ack are the
    kernel's absolute values, with random ISNs: use relative() to compare.
    """
    name = _new_namespace()
    try:
        r = subprocess.run(
            ["ip", "netns", "exec", name, sys.executable, str(PROBE)],
            input=json.dumps(steps), capture_output=True, text=True, timeout=timeout,
        )
    finally:
        _ip("netns", "delete", name)
    try:
        result = json.loads(r.stdout)
    except json.JSONDecodeError:
        result = None
    if r.returncode != 0 or not isinstance(result, dict) or "error" in result:
        raise RuntimeError(
            f"linux probe failed (exit {r.returncode}) for {steps}:\n"
            f"stdout: {r.stdout.strip()}\nstderr: {r.stderr.strip()}"
        )
    return result


def relative(segments: list[dict]) -> list[tuple]:
    """(src, "FLAG+FLAG", seq, ack, len) with seq/ack relative to each side's ISN.

    The ISN of a side is the seq of its first segment (its SYN; for a side that only
    answers with a RST, that RST's seq); an ack is relative to the other side's ISN.
    An ack of 0 (no ACK flag) stays 0.
    """
    isn = {}
    for s in segments:
        isn.setdefault(s["src"], s["seq"])
    out = []
    for s in segments:
        other = isn.get(s["dst"])
        ack = (s["ack"] - other) % 2**32 if "ACK" in s["flags"] and other is not None else s["ack"]
        out.append((s["src"], "+".join(s["flags"]), (s["seq"] - isn[s["src"]]) % 2**32, ack, s["len"]))
    return out
