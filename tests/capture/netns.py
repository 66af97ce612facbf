"""Captures made by the real kernel: sockets in a private network namespace, recorded by tcpdump.

    with Namespace() as ns:               # a fresh namespace, lo up; deleted on exit
        ns.ip("link", "add", ...)         # more set-up, inside it
        data = ns.capture(SCRIPT, iface="lo", snaplen=96)

`capture` starts tcpdump in the namespace (packet-buffered, immediate mode, a 32 MB buffer,
and by default a 1024-byte snaplen: the kernel's ring holds a frame of snaplen bytes per
packet, so full 64 KB loopback frames would overflow it), waits until it
listens, runs the Python SCRIPT there (both ends as sockets), waits for tcpdump to write the
last packets and returns the capture's bytes. Every run is a few seconds at most.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from tcptutor.lab import tun


def _settle(path: Path, quiet: float = 0.5, limit: float = 5.0) -> None:
    """Wait until tcpdump (-U writes each packet at once) has stopped adding to the file: on a
    busy machine it may read its ring buffer well after the script is done."""
    end = time.monotonic() + limit
    size, since = -1, time.monotonic()
    while time.monotonic() < end:
        now = path.stat().st_size if path.exists() else 0
        if now != size:
            size, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.05)


def netns_unavailable() -> str | None:
    """None if captures can be made here, else why not (a skip reason)."""
    return tun.netns_unavailable("ip netns, tcpdump", _tcpdump)


def _tcpdump(_name: str) -> str | None:
    return None if shutil.which("tcpdump") else "no tcpdump (apt-get install tcpdump; .ci/run installs it)"


def require_netns() -> None:
    reason = netns_unavailable()
    if reason:
        if os.environ.get("CI", "").lower() in ("true", "1", "yes") and "root" not in reason:
            pytest.fail(f"CI must run the kernel capture tests: {reason}")
        pytest.skip(reason)


class Namespace:
    def __init__(self) -> None:
        self.name = f"ttcap-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.others: list[str] = []
        self.dir = Path(tempfile.mkdtemp(prefix="ttcap-"))

    def __enter__(self) -> "Namespace":
        self._run(["ip", "netns", "add", self.name])
        self.ip("link", "set", "lo", "up")
        return self

    def __exit__(self, *exc) -> None:
        for ns in [self.name, *self.others]:
            subprocess.run(["ip", "netns", "delete", ns], capture_output=True, timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)

    @staticmethod
    def _run(cmd: list[str], timeout: float = 10) -> str:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        assert r.returncode == 0, f"{' '.join(cmd)}: {r.stderr.strip()}"
        return r.stdout

    def ip(self, *args: str, ns: str | None = None) -> str:
        return self._run(["ip", "-n", ns or self.name, *args])

    def exec(self, *cmd: str, ns: str | None = None, timeout: float = 10) -> str:
        return self._run(["ip", "netns", "exec", ns or self.name, *cmd], timeout)

    def peer(self) -> str:
        """A second namespace (for a veth pair between two stacks), deleted with this one."""
        name = f"{self.name}-b"
        self._run(["ip", "netns", "add", name])
        self.others.append(name)
        self.ip("link", "set", "lo", "up", ns=name)
        return name

    def start(self, script: str, ns: str | None = None) -> subprocess.Popen:
        """A Python script running in a namespace, in the background (a server)."""
        return subprocess.Popen(["ip", "netns", "exec", ns or self.name, sys.executable, "-c", script],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def capture(self, script: str, *, iface: str = "lo", snaplen: int = 1024, linktype: str | None = None,
                ns: str | None = None, timeout: float = 20) -> bytes:
        path = self.dir / f"{uuid.uuid4().hex[:8]}.pcap"
        cmd = ["ip", "netns", "exec", ns or self.name, "tcpdump", "-i", iface, "-s", str(snaplen), "-B", "32768", "-U",
               "--immediate-mode", "-n", "-w", str(path)]
        if linktype:
            cmd += ["-y", linktype]
        cmd.append("tcp")
        dump = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            said = ""
            for _ in range(5):  # "tcpdump: listening on lo, link-type ..." once it captures
                line = dump.stderr.readline()
                said += line
                if "listening" in line or not line:
                    break
            assert "listening" in said, f"tcpdump did not start: {said}"
            done = subprocess.run(["ip", "netns", "exec", ns or self.name, sys.executable, "-c", script],
                                  capture_output=True, text=True, timeout=timeout)
            assert done.returncode == 0, f"the socket script failed:\n{done.stderr}"
            _settle(path)
        finally:
            dump.send_signal(signal.SIGINT)  # tcpdump then flushes what it holds
            dump.wait(timeout=10)
            self.last_stats = dump.stderr.read()
        dropped = re.search(r"(\d+) packets? dropped by kernel", self.last_stats)
        assert dropped is None or dropped.group(1) == "0", f"tcpdump lost packets: {self.last_stats}"
        return path.read_bytes()
