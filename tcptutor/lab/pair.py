"""Both endpoints as real Linux sockets, each in a namespace of its own, joined by the harness.

`tcptutor lab --kernel both`. Two fresh namespaces, the client's (10.0.0.1 on tun0) and the
server's (10.0.0.2 on tun1). The harness runs in the client's; it creates tun1 there and
moves it into the server's namespace (`ip link set tun1 netns`: the open fd keeps working),
and enters the server's namespace (setns) only to make the server's sockets, to set its
sysctls and to read its /proc/net/tcp. Every packet either kernel sends is read from its TUN
and written into the other's after the scenario's latency, with the fate the simulator's
network model gives it (tun.Wire), so drops, delays and duplicates act on the packets
of two real stacks. Steps start at their simulated instants, as in tun.py.

There is no tcptutor endpoint in this run: both columns of the comparison are the kernel's.

Inside the client's namespace this module runs as a script (`python -m tcptutor.lab.pair`):
a JSON line {"scenario", "server_netns", "adjust", "record"} on stdin, "ready" on stdout,
"go" on stdin, then the result JSON as tun.py's, with both endpoints' states.
"""

from __future__ import annotations

import contextlib
import ctypes
import heapq
import itertools
import json
import os
import select
import subprocess
import sys
import time
import uuid

from . import tun

CLIENT_IP, SERVER_IP = "10.0.0.1", "10.0.0.2"
TUNS = {"client": "tun0", "server": "tun1"}
CLONE_NEWNET = 0x40000000


def _setns(fd: int) -> None:
    if hasattr(os, "setns"):  # Python 3.12
        os.setns(fd, CLONE_NEWNET)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


class Namespace:
    """A named network namespace this process can step into and back out of."""

    def __init__(self, name: str):
        self.fd = os.open(f"/var/run/netns/{name}", os.O_RDONLY)
        self.home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)

    @contextlib.contextmanager
    def entered(self):
        _setns(self.fd)
        try:
            yield
        finally:
            _setns(self.home)


class PairRun(tun.KernelRun):
    """tun.KernelRun for two namespaces: the harness in the client's, the server's beside it."""

    MODULE = "tcptutor.lab.pair"

    def __init__(self, scenario_text: str, record: bool = False, adjust: dict | None = None):
        super().__init__(scenario_text, "both", record=record, adjust=adjust)
        self.name = f"tcptutor-pair-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.names = [self.name, f"{self.name}-s"]
        self.job = json.dumps({"scenario": scenario_text, "server_netns": self.names[1], "record": record,
                               "adjust": adjust or {}})


class PairHarness:
    def __init__(self, scenario, fds: dict[str, int], server_ns: Namespace, record: bool = False):
        from tcptutor.tcp.profiles import resolve

        self.scenario, self.fds, self.server_ns, self.record = scenario, fds, server_ns, record
        sim, self.schedule = tun.simulated_schedule(scenario)
        self.sim_end = sim.now
        self.wire = tun.Wire(scenario, resolve(scenario.net))
        self.apps = {
            "client": tun.KernelApp("client", scenario.server.backlog, scenario.client,
                                    tun.kernel_congestion_control(scenario, "client"), CLIENT_IP, SERVER_IP),
            "server": tun.KernelApp("server", scenario.server.backlog, scenario.server,
                                    tun.kernel_congestion_control(scenario, "server"), SERVER_IP, CLIENT_IP,
                                    namespace=server_ns.entered),
        }
        self.t0 = time.monotonic()
        self.line: list[tuple[int, int, str, bytes, dict]] = []  # (due, n, toward, packet, its record)
        self.counter = itertools.count()
        self.segments: list[dict] = []
        self.states: list[dict] = []
        self.last_state: dict[str, str] = {}
        self.talked = False  # whether the client's SYN ever reached the server

    def now(self) -> int:
        return int((time.monotonic() - self.t0) * 1_000_000)

    # -------------------------------------------------------------- states

    def state(self, endpoint: str) -> str:
        """An endpoint's state toward the other: its socket's, or its namespace's /proc/net/tcp."""
        quick = tun.socket_state(self.apps[endpoint], self.talked)
        if quick is not None:
            return quick
        context = self.server_ns.entered if endpoint == "server" else contextlib.nullcontext
        with context():
            with open("/proc/thread-self/net/tcp") as f:
                rows = tun.proc_tcp_rows(f)
        local, remote, addr = ((tun.CLIENT_PORT, tun.SERVER_PORT, SERVER_IP) if endpoint == "client"
                               else (tun.SERVER_PORT, tun.CLIENT_PORT, CLIENT_IP))
        found = [s for lp, ra, rp, s in rows if lp == local and ra == addr and rp == remote]
        if found:
            return found[0]
        app = self.apps[endpoint]
        if app.listener is not None and app.conn is None and not self.talked:
            return "LISTEN"
        return "CLOSED"

    def note_states(self, t: int) -> None:
        if not self.record:
            return
        for endpoint in ("client", "server"):
            state = self.state(endpoint)
            if self.last_state.get(endpoint, "CLOSED") != state:
                self.states.append({"t": round(t / 1_000_000, 6), "endpoint": endpoint,
                                    "before": self.last_state.get(endpoint, "CLOSED"), "after": state})
                self.last_state[endpoint] = state

    # -------------------------------------------------------------- the network

    def from_kernel(self, src: str, packet: bytes) -> None:
        from tcptutor.tcp.segment import Segment

        t = self.now()
        p = tun.parse_packet(packet)
        if p is None:
            return
        dst = "server" if src == "client" else "client"
        seg = Segment(src, dst, p["seq"], p["ack"], frozenset(set(p["flags"]) & tun.MODELLED_FLAGS),
                      length=p["len"], win=p["win"], mss=p["mss"])
        arrivals = self.wire.arrivals(seg, t)
        self.segments.append({
            "src": src, "dst": dst, "flags": [f for f, _ in tun.FLAG_BITS if f in p["flags"]],
            "seq": seg.seq, "ack": seg.ack, "len": seg.length, "mss": seg.mss, "win": seg.win,
            "t": round(t / 1_000_000, 6), "fate": "delivered" if arrivals else "dropped",
            **({"raw": packet.hex()} if self.record else {}),
        })
        for at in arrivals:
            heapq.heappush(self.line, (at, next(self.counter), dst, packet, self.segments[-1]))
        self.note_states(t)

    def drain(self) -> None:
        for src, fd in self.fds.items():
            while True:
                try:
                    packet = os.read(fd, 65536)
                except BlockingIOError:
                    break
                self.from_kernel(src, packet)

    def run_step(self, step) -> None:
        from tcptutor.tcp.params import Calls, Delay, Drop, Duplicate, Vanish, Wait

        action = step.action
        if isinstance(action, (Drop, Delay, Duplicate)):
            self.wire.add_rule(action)
        elif isinstance(action, Vanish):
            self.wire.vanish(action.endpoint)
            for entry in self.line:
                if entry[2] == action.endpoint:
                    entry[4]["fate"] = "dropped"
            self.line = [entry for entry in self.line if entry[2] != action.endpoint]
            heapq.heapify(self.line)
        elif isinstance(action, Wait):
            pass
        elif isinstance(action, Calls):
            for call in action.calls:
                if call.endpoint not in self.wire.vanished:
                    self.apps[call.endpoint].call(call.verb, call.sizes, step.text)
                    self.drain()
        else:
            raise ValueError(f"step not supported with both endpoints on the kernel: {step.text!r} "
                             "(a flood needs --kernel server)")

    def run(self) -> dict:
        self.t0 = time.monotonic()
        end = self.sim_end + int(tun.MARGIN * 1_000_000)
        started, delivered, i = [], [], 0
        while True:
            t = self.now()
            while self.line and self.line[0][0] <= t:
                due, _, toward, packet, _ = heapq.heappop(self.line)
                handed = self.now()
                delivered.append((round(due / 1_000_000, 6), round(handed / 1_000_000, 6)))
                if toward == "server":
                    self.talked = True
                os.write(self.fds[toward], packet)
                self.drain()
                for app in self.apps.values():
                    app.service()
                self.drain()
                self.note_states(handed)
            if (i < len(self.schedule) and self.schedule[i][0] <= t
                    and not (self.line and self.line[0][0] <= self.schedule[i][0] + tun.GRACE)):
                began = self.now()
                started.append((round(self.schedule[i][0] / 1_000_000, 6), round(began / 1_000_000, 6)))
                self.run_step(self.schedule[i][1])
                self.note_states(began)
                i += 1
                continue
            for app in self.apps.values():
                app.flush()
            self.drain()
            if i >= len(self.schedule) and t >= end:
                break
            wake = [end] + ([self.schedule[i][0]] if i < len(self.schedule) else []) + (
                [self.line[0][0]] if self.line else [])
            timeout = max(0, min(wake) - self.now()) / 1_000_000
            socks = {s: app for app in self.apps.values() for s in app.readable()}
            ready, _, _ = select.select([*self.fds.values(), *socks], [], [], min(timeout, 0.05))
            for r in ready:
                if r in socks:
                    socks[r].on_readable(r)
                self.drain()
        self.note_states(self.now())
        result = {"segments": self.segments, "final": {e: self.state(e) for e in ("client", "server")},
                  "calls": self.apps["client"].calls + self.apps["server"].calls, "steps": started,
                  "deliveries": delivered}
        if self.record:
            result["states"] = self.states
        return result


def _prepare(job: dict):
    from tcptutor.tcp.scenario import parse_scenario

    scenario = tun.adjusted(parse_scenario(job["scenario"]), "both", job.get("adjust", {}))
    cookies = tun.syncookies_setting(scenario, None)
    fds = {"client": tun.open_tun(TUNS["client"]), "server": tun.open_tun(TUNS["server"])}
    tun.bring_up(TUNS["client"], CLIENT_IP)
    moved = subprocess.run(["ip", "link", "set", TUNS["server"], "netns", job["server_netns"]],
                           capture_output=True, text=True)
    if moved.returncode != 0:
        raise RuntimeError(f"moving {TUNS['server']} into the server's namespace: {moved.stderr.strip()}")
    tun.bring_up(TUNS["server"], SERVER_IP, job["server_netns"])
    server_ns = Namespace(job["server_netns"])
    settings = {"client": tun.set_sysctls(cookies, TUNS["client"])}
    with server_ns.entered():
        settings["server"] = tun.set_sysctls(cookies, TUNS["server"])
    return PairHarness(scenario, fds, server_ns, job.get("record", False)), settings


def main() -> int:
    return tun.serve(_prepare)


if __name__ == "__main__":
    sys.exit(main())
