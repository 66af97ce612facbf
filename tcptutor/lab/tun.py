"""The kernel under loss: Linux as one endpoint, a live tcptutor Host as the other, on a TUN.

A packetdrill-like harness. In a fresh private network namespace (one per run) a TUN device
(IFF_TUN | IFF_NO_PI) gets 10.0.0.1/24; 10.0.0.0/16 is routed through it. The kernel endpoint
uses ordinary sockets on 10.0.0.1. The other endpoint, at 10.0.0.2, is a
`tcptutor.tcp.host.Host` with the scenario's profile, driven in real time (its clock is the
monotonic microseconds since the run started): the harness parses the kernel's packets from
the TUN fd into `Segment`s for it and writes its segments back as IPv4/TCP packets.

Between the two the harness is the network: every packet, either way, is held for the
scenario's `latency`, and the scenario's network steps (`drop`, and with contract v2 `delay`,
`duplicate`, `vanish`, [net] loss/rate/queue) act on packets in the order they are sent,
decided by the simulator's own network model (see Wire). A `flood N` sends N
SYNs from spoofed sources 10.0.1.1, 10.0.1.2, ... (routed through the TUN as well) whose
replies are recorded and never answered.

Schedule: the pure simulation of the same scenario runs first, and each step is executed at
the simulated instant it started, so `wait` needs no special handling and timers line up.
Kernel calls: listen (backlog from [server]), connect, send N (one send() per N), close
(shutdown SHUT_WR), abort (SO_LINGER 0 + close); the kernel application reads everything
as it arrives. The peer's calls go to its Host. With `keepalive = true` for the kernel's
endpoint its sockets get SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT (whole seconds).

The peer offers only MSS: no SACK, no timestamps, no window scaling (SACK-based recovery is a
later step). The namespace is set to match: tcp_sack=0, tcp_timestamps=0,
tcp_window_scaling=0, tcp_autocorking=0, tcp_congestion_control=reno, tcp_no_metrics_save=1,
tcp_syncookies per [server] syncookies (or the `syncookies` override), and the kernel socket
has TCP_NODELAY unless the kernel endpoint's `nagle` key is true, and TCP_CONGESTION = the kernel
endpoint's `cc` (its profile's: cubic for linux; "newreno" is the kernel's reno). The socket
option, not the sysctl: a namespace may only choose from the host's
tcp_allowed_congestion_control (EPERM otherwise), which need not list cubic. Delayed ACKs are the kernel's
own (they cannot be turned off per socket for good); a scenario whose kernel endpoint receives
data compares against a simulator endpoint with `delayed_ack = true`.

Timing: the runs that start together prepare first (imports, the simulation, the TUN) and
then start their clocks a few ms apart (KernelRun, STAGGER); the harness runs SCHED_FIFO; a
step waits briefly (GRACE) for packets still in flight, as the simulator settles before each.

Host side (the kernel tests, `tcptutor lab`):
    from tcptutor.lab.tun import tun_available, run_kernel_case, run_kernel_cases
    result = run_kernel_case(scenario_text, kernel="server")
    runs = run_kernel_cases({"a": (text_a, "client", None), "b": (text_b, "server", 1)})
    runs["a"].result()   # blocks; runs["b"].cancel() stops one and deletes its namespace
Inside the namespace this module runs as a script (`python -m tcptutor.lab.tun`): a JSON line {"scenario", "kernel",
"syncookies", "inject"} on stdin, "ready" on stdout, then "go" on stdin; at the end JSON
{"segments", "final", "calls", "sysctl"} on stdout (or {"error"} and exit 1).
Each segment: {"src", "dst", "flags", "seq", "ack", "len", "mss", "win", "t", "fate"}, with
`t` the second it left its sender (the kernel's: when read from the TUN fd); "steps": the
(simulated, real) second each step started, so that a comparison can discount the harness's
own lateness.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import fcntl
import gc
import heapq
import itertools
import json
import os
import random
import select
import shutil
import socket
import struct
import subprocess
import sys
import time
import traceback
import uuid
from pathlib import Path

from tcptutor import i18n
from tcptutor.inet import checksum  # noqa: F401 (re-exported: the tests check packets with it)

ROOT = Path(__file__).resolve().parents[2]  # the directory holding the tcptutor package (PYTHONPATH inside)

KERNEL_IP, PEER_IP = "10.0.0.1", "10.0.0.2"
SERVER_PORT, CLIENT_PORT = 8080, 40000
TUN_NAME = "tun0"
# How long the run goes on after the simulation's last instant, so that a segment the kernel
# sends later than the simulator would (a delayed ACK, up to 200 ms) still shows as a diff.
MARGIN = 0.3
# A step waits for the packets due within this long after its simulated instant (see run()):
# as long as the comparison lets a segment be late (test_linux_loss.SLACK_FIXED).
GRACE = 20_000  # microseconds
# Runs started together begin this far apart: their packets then come at different instants,
# not all at once on a machine with few cores.
STAGGER = 0.010  # seconds

TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000

FLAG_BITS = [("SYN", 0x02), ("ACK", 0x10), ("FIN", 0x01), ("RST", 0x04), ("PSH", 0x08), ("URG", 0x20)]
MODELLED_FLAGS = {"SYN", "ACK", "FIN", "RST"}  # what a Segment carries; PSH/URG are recorded only

# /proc/net/tcp "st" column (include/net/tcp_states.h) -> RFC 9293 names, as linux_probe.py.
PROC_STATES = {
    0x01: "ESTABLISHED", 0x02: "SYN-SENT", 0x03: "SYN-RECEIVED", 0x04: "FIN-WAIT-1",
    0x05: "FIN-WAIT-2", 0x06: "TIME-WAIT", 0x07: "CLOSED", 0x08: "CLOSE-WAIT",
    0x09: "LAST-ACK", 0x0A: "LISTEN", 0x0B: "CLOSING", 0x0C: "SYN-RECEIVED",
}


# ---------------------------------------------------------------------- host side (pytest)

def _ip(*args, timeout=10):
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=timeout)


def netns_unavailable(root_for: str, check=None) -> str | None:
    """None if a private network namespace can be made here, else why not (one line: a skip
    reason, or what `tcptutor lab` needs). `root_for` says what root is needed for; `check`,
    given the name of a fresh namespace, may return a further reason (the namespace is
    deleted afterwards either way)."""
    if sys.platform != "linux":
        return i18n._("needs Linux, not {platform}").format(platform=sys.platform)
    if os.geteuid() != 0:
        return i18n._("needs root ({what})").format(what=root_for)
    if shutil.which("ip") is None:
        return i18n._("no `ip` binary (iproute2)")
    name = f"tcptutor-probe-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    r = _ip("netns", "add", name)
    if r.returncode != 0:
        return i18n._("cannot create a network namespace: {error}").format(error=r.stderr.strip())
    try:
        return check(name) if check is not None else None
    finally:
        _ip("netns", "delete", name)


def tun_available() -> str | None:
    """None if run_kernel_case can work here, else why not (a pytest skip reason)."""
    return netns_unavailable(i18n._("ip netns and /dev/net/tun"), _tun_in)


def _tun_in(name: str) -> str | None:
    if not os.path.exists("/dev/net/tun"):
        return i18n._("no /dev/net/tun")
    r = _ip("netns", "exec", name, "ip", "tuntap", "add", "dev", TUN_NAME, "mode", "tun")
    return None if r.returncode == 0 else i18n._("cannot create a TUN device in a namespace: {error}").format(
        error=r.stderr.strip())


class KernelRun:
    """One case in its own fresh namespace, started in two phases so that many can share a start.

    start(): the namespace and the harness process, which imports, simulates, sets up the TUN
    and says "ready"; go(): its clock starts; result(): its JSON, the namespace deleted.
    Preparing costs CPU (imports, the simulation); running costs almost none: several cases
    started together with go() at once keep their real-time schedules on a small machine.
    """

    def __init__(self, scenario_text: str, kernel: str, syncookies: int | None = None,
                 inject: list[dict] | None = None, record: bool = False, adjust: dict | None = None):
        self.job = json.dumps({"scenario": scenario_text, "kernel": kernel, "syncookies": syncookies,
                               "inject": inject or [], "record": record, "adjust": adjust or {}})
        self.name = f"tcptutor-tun-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.names = [self.name]  # every namespace the run makes (pair.PairRun: two)
        self.proc: subprocess.Popen | None = None
        self._result: dict | None = None
        self._deleted = True  # nothing to delete until start()

    MODULE = "tcptutor.lab.tun"  # what runs inside the (first) namespace

    def start(self) -> None:
        self._deleted = False
        for name in self.names:
            r = _ip("netns", "add", name)
            if r.returncode != 0:
                raise RuntimeError(f"ip netns add {name} failed: {r.stderr.strip()}")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.name, sys.executable, "-m", self.MODULE],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        self.proc.stdin.write(self.job + "\n")
        self.proc.stdin.flush()

    def wait_ready(self) -> None:
        """Block until the harness is prepared (or has failed: result() then says why)."""
        self.proc.stdout.readline()

    def go(self) -> None:
        try:
            self.proc.stdin.write("go\n")
            self.proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass  # it already failed: result() reports it
        self.proc.stdin = None  # communicate() must not touch it again

    def cancel(self) -> None:
        """Stop the run if it is still going and delete its namespace (idempotent)."""
        if self.proc is not None and self._result is None:
            if self.proc.stdin is not None:  # go() never ran
                try:
                    self.proc.stdin.close()
                except OSError:
                    pass
                self.proc.stdin = None
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.communicate()
            self._result = {"error": "cancelled"}
        if not self._deleted:
            self._delete_namespaces()

    def _delete_namespaces(self) -> None:
        for name in self.names:
            _ip("netns", "delete", name)
        self._deleted = True

    def result(self, timeout: float = 300) -> dict:
        if self._result is None:
            try:
                self._result = self._collect(timeout)
            except BaseException as err:
                self._result = {"error": str(err)}
                raise
        if "error" in self._result:
            raise RuntimeError(self._result["error"])
        return self._result

    def _collect(self, timeout: float) -> dict:
        try:
            out, err = self.proc.communicate(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self._delete_namespaces()
        try:
            result = json.loads(out)
        except json.JSONDecodeError:
            result = None
        if self.proc.returncode != 0 or not isinstance(result, dict) or "error" in result:
            why = result["error"] if isinstance(result, dict) and "error" in result else "no result"
            raise RuntimeError(f"TUN harness failed (exit {self.proc.returncode}): {why}\nstdout: {out.strip()}\n"
                               f"stderr: {err.strip()}")
        return result


def run_kernel_cases(jobs: dict[str, tuple]) -> dict[str, KernelRun]:
    """Start every (scenario_text, kernel, syncookies[, inject]) job, wait until all are ready, start their
    clocks together; the runs, whose result() blocks until each is done."""
    runs = {name: KernelRun(*job) for name, job in jobs.items()}
    atexit.register(lambda: [run.cancel() for run in runs.values()])  # no namespace outlives us
    try:
        for run in runs.values():
            run.start()
        for run in runs.values():
            run.wait_ready()
    except BaseException:
        for run in runs.values():
            run.cancel()
        raise
    for run in runs.values():
        run.go()
        time.sleep(STAGGER)
    return runs


def run_kernel_case(scenario_text: str, kernel: str, syncookies: int | None = None) -> dict:
    """Run one scenario with the kernel as `kernel` ("client" or "server") in a fresh namespace.

    `syncookies` sets net.ipv4.tcp_syncookies (0, 1 or 2); None: 1 if the scenario's
    [server] syncookies is true (or, not given, its profile's default is), else 0.
    """
    return run_kernel_cases({"case": (scenario_text, kernel, syncookies)})["case"].result()


# ---------------------------------------------------------------------- packets



def build_packet(src_ip: str, dst_ip: str, sport: int, dport: int, seq: int, ack: int,
                 flags: set[str], win: int, mss: int | None, length: int, ident: int) -> bytes:
    """An IPv4/TCP packet with correct checksums; MSS is the only TCP option ever sent."""
    options = struct.pack("!BBH", 2, 4, mss) if mss is not None else b""
    doff = (20 + len(options)) // 4
    bits = sum(bit for name, bit in FLAG_BITS if name in flags)
    payload = b"x" * length
    tcp = struct.pack("!HHIIHHHH", sport, dport, seq, ack, (doff << 12) | bits, min(win, 0xFFFF), 0, 0)
    tcp += options + payload
    src, dst = socket.inet_aton(src_ip), socket.inet_aton(dst_ip)
    pseudo = src + dst + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), ident & 0xFFFF, 0x4000, 64,
                     socket.IPPROTO_TCP, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return ip + tcp


def parse_packet(packet: bytes) -> dict | None:
    """An IPv4/TCP packet -> its header fields, or None for anything else."""
    if len(packet) < 40 or packet[0] >> 4 != 4 or packet[9] != socket.IPPROTO_TCP:
        return None
    ihl = (packet[0] & 0x0F) * 4
    total_len = struct.unpack("!H", packet[2:4])[0]
    tcp = packet[ihl:]
    sport, dport, seq, ack, off_flags, win = struct.unpack("!HHIIHH", tcp[:16])
    doff = (off_flags >> 12) * 4
    bits = off_flags & 0x3F
    return {
        "src_ip": socket.inet_ntoa(packet[12:16]), "dst_ip": socket.inet_ntoa(packet[16:20]),
        "sport": sport, "dport": dport, "seq": seq, "ack": ack if bits & 0x10 else 0,
        "flags": [name for name, bit in FLAG_BITS if bits & bit],
        "len": total_len - ihl - doff, "win": win, "mss": parse_mss(tcp[20:doff]),
    }


def parse_mss(options: bytes) -> int | None:
    i = 0
    while i < len(options):
        kind = options[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(options) or options[i + 1] < 2:
            break
        if kind == 2 and options[i + 1] == 4:
            return struct.unpack("!H", options[i + 2:i + 4])[0]
        i += options[i + 1]
    return None


def spoof_ip(k: int) -> str:
    """The address of the simulator's `spoof-k` (1-based): 10.0.1.1 ... 10.0.1.250, 10.0.2.1 ..."""
    return f"10.0.{1 + (k - 1) // 250}.{1 + (k - 1) % 250}"


# ---------------------------------------------------------------------- inside the namespace

def adjusted(scenario, kernel: str, adjust: dict):
    """The scenario as `tcptutor lab` runs it: `profile` replaces [net] profile, and with
    `delayed_ack` the kernel's endpoint delays its ACKs in the simulation as the kernel always
    does (tcp_delack_timer; it cannot be turned off per socket for good); `kernel` "both": both do."""
    from dataclasses import replace

    if adjust.get("profile"):
        scenario = replace(scenario, net=replace(scenario.net, profile=adjust["profile"]))
    if adjust.get("delayed_ack"):
        sides = ("client", "server") if kernel == "both" else (kernel,)
        scenario = replace(scenario, **{side: replace(getattr(scenario, side), delayed_ack=True) for side in sides})
    return scenario


def _sysctl(key: str, value) -> str:
    path = Path("/proc/sys") / key.replace(".", "/")
    try:
        path.write_text(f"{value}\n")
        return path.read_text().strip()
    except OSError as e:
        return f"unset ({e.strerror})"


def kernel_congestion_control(scenario, kernel: str) -> str:
    """The kernel endpoint's `cc` as a kernel module name (linux runs Reno for both names)."""
    from tcptutor.tcp.profiles import resolve

    name = (scenario.client if kernel == "client" else scenario.server).cc or resolve(scenario.net).cc
    if name not in ("cubic", "reno", "newreno"):
        raise ValueError(f"the kernel has no congestion control {name!r}: use cubic or reno")
    return "reno" if name == "newreno" else name


def open_tun(name: str) -> int:
    """A new TUN device `name` in this namespace; its fd (non-blocking, bare IP packets)."""
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def bring_up(tun: str, address: str, netns: str | None = None) -> None:
    """lo and the TUN up, `address`/24 on it, 10.0.0.0/16 routed through it (in `netns`, or here)."""
    where = ["-n", netns] if netns else []
    for args in (["link", "set", "lo", "up"], ["addr", "add", f"{address}/24", "dev", tun],
                 ["link", "set", tun, "up"], ["route", "add", "10.0.0.0/16", "dev", tun]):
        r = subprocess.run(["ip", *where, *args], capture_output=True, text=True)
        if r.returncode != 0 and "File exists" not in r.stderr:
            raise RuntimeError(f"ip {' '.join(where + args)}: {r.stderr.strip()}")


def set_sysctls(syncookies: int, tun: str) -> dict:
    """The settings the simulator's model needs (no SACK, timestamps or window scaling: it has
    none), in the current namespace; each as the kernel reports it afterwards."""
    settings = {
        "net.ipv4.tcp_sack": 0, "net.ipv4.tcp_timestamps": 0, "net.ipv4.tcp_window_scaling": 0,
        "net.ipv4.tcp_autocorking": 0, "net.ipv4.tcp_congestion_control": "reno",
        "net.ipv4.tcp_no_metrics_save": 1, "net.ipv4.tcp_syncookies": syncookies,
        "net.ipv4.conf.all.rp_filter": 0, f"net.ipv4.conf.{tun}.rp_filter": 0,
    }
    return {key: _sysctl(key, value) for key, value in settings.items()}


def setup_namespace(syncookies: int) -> tuple[int, dict]:
    """Bring up lo and the TUN; set the sysctls the peer needs. The TUN fd and the settings."""
    fd = open_tun(TUN_NAME)
    bring_up(TUN_NAME, KERNEL_IP)
    return fd, set_sysctls(syncookies, TUN_NAME)


def simulated_schedule(scenario):
    """The pure simulation of the scenario, run step by step: it and [(the simulated instant
    each step starts, the step)], so that a harness can start each step on time."""
    from tcptutor.tcp.simulator import MAX_EVENTS_PER_STEP, Simulator

    sim = Simulator(scenario)
    schedule = []
    for step in scenario.steps:
        sim._budget, sim._step = MAX_EVENTS_PER_STEP, step
        schedule.append((sim.now, step))
        sim._run_step(step)
    return sim, schedule


class KernelApp:
    """The kernel endpoint's application: non-blocking sockets driven by the event loop."""

    def __init__(self, role: str, backlog: int, params=None, congestion_control: str = "cubic",
                 local_ip: str = KERNEL_IP, remote_ip: str = PEER_IP, namespace=None):
        self.role, self.backlog = role, backlog
        # where its sockets live: this namespace, or (pair.py) `namespace()`, a context that enters another
        self.local_ip, self.remote_ip = local_ip, remote_ip
        self.namespace = namespace or contextlib.nullcontext
        self.autoread = True if params is None else params.autoread  # False: read only at "E read N" steps
        # SO_RCVBUF for an application that does not read (a small buffer that fills), 0: the default
        self.rcvbuf = 0 if self.autoread else params.window
        self.keepalive = self._keepalive_options(params)
        # TCP_NODELAY unless the scenario's `nagle` key is on for the kernel endpoint
        self.nodelay = 0 if params is not None and params.nagle else 1
        self.congestion_control = congestion_control.encode()  # TCP_CONGESTION (CAP_NET_ADMIN: any module)
        self.listener: socket.socket | None = None
        self.conn: socket.socket | None = None
        self.pending = b""  # bytes of send() calls the socket buffer did not take yet
        self.close_after_pending = False
        self.eof = False
        self.calls: list[dict] = []

    @staticmethod
    def _keepalive_options(params) -> list[tuple[int, int, int]]:
        """The scenario's keep-alive as socket options: SO_KEEPALIVE, and TCP_KEEPIDLE and
        TCP_KEEPINTVL in whole seconds (the kernel's unit), TCP_KEEPCNT."""
        if params is None or not params.keepalive:
            return []
        idle, interval = divmod(params.keepalive_idle, 1_000_000), divmod(params.keepalive_interval, 1_000_000)
        if idle[1] or interval[1]:
            raise ValueError("the kernel takes keepalive_idle and keepalive_interval in whole seconds")
        return [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1), (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, idle[0]),
                (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, interval[0]),
                (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, params.keepalive_count)]

    def _new_socket(self) -> socket.socket:
        with self.namespace():  # a socket stays in the namespace it was made in
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, self.nodelay)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, self.congestion_control)
        if s.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).rstrip(b"\0") != self.congestion_control:
            raise RuntimeError(f"TCP_CONGESTION {self.congestion_control.decode()} did not take")
        if self.rcvbuf:  # a small buffer that fills: the kernel's window closes (SO_RCVBUF)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        for level, option, value in self.keepalive:  # an accepted socket inherits them
            s.setsockopt(level, option, value)
        s.setblocking(False)
        return s

    def call(self, verb: str, sizes: tuple[int, ...], step: str) -> None:
        result = "ok"
        try:
            getattr(self, "call_" + verb)(sizes)
        except OSError as e:
            result = errno.errorcode.get(e.errno, str(e.errno))
        self.calls.append({"step": step, "endpoint": self.role, "call": verb, "result": result})

    def call_listen(self, sizes):
        s = self._new_socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.local_ip, SERVER_PORT))
        s.listen(self.backlog)
        self.listener = s

    def call_connect(self, sizes):
        s = self._new_socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # ports by role, so that a server's connect (simultaneous open) aims at the client's port
        local, remote = (CLIENT_PORT, SERVER_PORT) if self.role == "client" else (SERVER_PORT, CLIENT_PORT)
        s.bind((self.local_ip, local))
        self.conn, self.eof = s, False
        err = s.connect_ex((self.remote_ip, remote))
        if err not in (0, errno.EINPROGRESS):
            raise OSError(err, os.strerror(err))

    def call_send(self, sizes):
        for n in sizes:
            self.pending += b"x" * n
            self.flush()  # one send() per size while the buffer takes it all

    def call_read(self, sizes):
        """`E read N` / `E read all`: recv() what is buffered, up to N bytes."""
        wanted = sizes[0] if sizes else 1 << 30
        s = self._sock()
        while wanted > 0:
            try:
                data = s.recv(min(wanted, 65536))
            except (BlockingIOError, InterruptedError):
                return
            if not data:
                self.eof = True
                return
            wanted -= len(data)

    def call_close(self, sizes):
        self.close_after_pending = True
        self.flush()

    def call_abort(self, sizes):
        s = self._sock()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
        self.conn, self.pending, self.close_after_pending = None, b"", False

    def tcp_info(self) -> dict | None:
        """The kernel connection's TCB at the end (struct tcp_info, include/uapi/linux/tcp.h:
        8 bytes of u8 fields, then u32s from tcpi_rto), for comparing with the trace's `tcb`;
        None once the socket is gone."""
        if self.conn is None:
            return None
        try:
            raw = self.conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
        except OSError:
            return None
        u32 = struct.unpack_from("<19I", raw, 8)
        return {"rto": u32[0], "snd_mss": u32[2], "rtt": u32[15], "rttvar": u32[16],
                "snd_ssthresh": u32[17], "snd_cwnd": u32[18]}

    def _sock(self) -> socket.socket:
        if self.conn is None:
            raise OSError(errno.ENOTCONN, os.strerror(errno.ENOTCONN))
        return self.conn

    def flush(self) -> None:
        s = self.conn
        if s is None:
            return
        while self.pending:
            try:
                sent = s.send(self.pending)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                if e.errno == errno.ENOTCONN:  # still connecting: retried from the loop
                    return
                raise
            self.pending = self.pending[sent:]
        if self.close_after_pending:
            self.close_after_pending = False
            s.shutdown(socket.SHUT_WR)

    def readable(self) -> list[socket.socket]:
        out = [self.listener] if self.listener is not None else []
        if self.conn is not None and not self.eof and self.autoread:
            out.append(self.conn)
        return out

    def service(self) -> None:
        """Accept and read whatever is there now, without waiting for select to say so: the
        application is always quick (a connection is accepted before its next segment comes)."""
        for s in self.readable():
            self.on_readable(s)

    def on_readable(self, s: socket.socket) -> None:
        if s is self.listener:
            try:
                conn, _ = s.accept()
            except (BlockingIOError, InterruptedError):
                return
            conn.setblocking(False)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, self.nodelay)
            if self.conn is not None:  # a new connection replaces the old one (kept open)
                self.old = getattr(self, "old", []) + [self.conn]
            self.conn, self.eof = conn, False
            self.flush()
            return
        while True:
            try:
                data = s.recv(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:  # ECONNRESET, ETIMEDOUT...: the application sees it once
                self.calls.append({"step": "(read)", "endpoint": self.role, "call": "recv",
                                   "result": errno.errorcode.get(e.errno, str(e.errno))})
                self.eof = True
                return
            if not data:
                self.eof = True
                return


def socket_state(app: KernelApp, reached: bool) -> str | None:
    """An endpoint's state from its own socket when that says it (TCP_INFO's tcpi_state: a few
    microseconds), else None: then only /proc/net/tcp can tell (about 5 ms: it walks the whole
    connection hash table). That is so for a connection still in the listener's SYN queue
    (SYN-RECEIVED), and after the socket closed (TIME-WAIT lives in a separate mini-socket,
    tcp_time_wait). `reached`: whether a segment ever reached the listener."""
    if app.conn is not None:
        try:
            state = PROC_STATES.get(app.conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0])
        except OSError:
            return None
        return None if state == "CLOSED" else state
    if app.listener is None:
        return "CLOSED"  # no socket at all (never made, or aborted: an abort leaves no TIME-WAIT)
    if not reached:
        return "LISTEN"
    return None


def proc_tcp() -> list[tuple[int, str, int, str]]:
    """(local port, remote address, remote port, state) of every IPv4 TCP socket here."""
    with open("/proc/net/tcp") as f:
        return proc_tcp_rows(f)


def proc_tcp_rows(f) -> list[tuple[int, str, int, str]]:
    """The rows of an open /proc/net/tcp (of whichever namespace opened it)."""
    rows = []
    next(f)
    for line in f:
        fields = line.split()
        local, remote, st = fields[1], fields[2], int(fields[3], 16)
        addr, port = remote.split(":")
        addr = socket.inet_ntoa(struct.pack("<I", int(addr, 16)))
        rows.append((int(local.split(":")[1], 16), addr, int(port, 16), PROC_STATES[st]))
    return rows


class Wire:
    """The emulated network's decisions, made by the simulator's own network model
    (tcp/network.py: drop/delay/duplicate rules, loss, rate, queue, vanish). A segment's fate
    is decided once, when it is sent, in the order segments are sent."""

    def __init__(self, scenario, profile):
        from tcptutor.tcp.network import Network

        self.latency = profile.latency
        self.vanished: set[str] = set()
        self._n = 0
        self.network = Network(profile.latency, scenario.net)

    def add_rule(self, rule) -> None:
        self.network.add_rule(rule)

    def vanish(self, name: str) -> None:
        self.vanished.add(name)
        self.network.vanish(name)

    def arrivals(self, seg, now: int) -> list[int]:
        """When the segment put on the wire at `now` arrives: twice if duplicated, never if lost."""
        if seg.src in self.vanished or seg.dst in self.vanished:
            return []
        from tcptutor.tcp.trace import SegmentRecord

        self._n += 1
        record = SegmentRecord(self._n, seg, now, "delivered", None)
        self.network.send(record, now)
        while self.network.in_flight():  # the harness keeps its own delay line
            self.network.pop_arrival()
        if record.fate != "delivered":
            return []
        return [record.arrived_at] * record.copies


class Inject:
    """A segment from the peer that no scenario step can ask for yet (an in-window RST that is
    not at RCV.NXT, a second SYN ...): `at` microseconds after the start, seq = the peer's
    SND.NXT + seq_offset, ack = its RCV.NXT. Recorded with "injected": true; a run with
    injections is a measurement of the kernel, not a comparison with the simulator."""

    def __init__(self, at: int, flags: list[str], seq_offset: int = 0, length: int = 0):
        self.at, self.flags, self.seq_offset, self.length = at, frozenset(flags), seq_offset, length
        self.text = f"inject {'+'.join(sorted(flags))} seq+{seq_offset} len {length} at {at} us"


class Harness:
    def __init__(self, scenario, kernel: str, fd: int, inject: list[dict] = (), record: bool = False):
        from tcptutor.tcp.host import Host

        self.scenario, self.kernel, self.fd = scenario, kernel, fd
        self.peer = "server" if kernel == "client" else "client"
        # The pure simulation first: when each step starts, and the ISNs the peer will use.
        sim, self.schedule = simulated_schedule(scenario)
        self.sim_end = sim.now
        for item in inject:
            extra = Inject(int(item["at"] * 1_000_000), item["flags"], item.get("seq_offset", 0), item.get("len", 0))
            self.schedule.append((extra.at, extra))
            self.sim_end = max(self.sim_end, extra.at)
        self.schedule.sort(key=lambda entry: entry[0])  # stable: steps keep their order
        records = sim.records
        peer_isns = []
        for r in records:
            s = r.segment
            if s.src == self.peer and "SYN" in s.flags and s.seq not in peer_isns:
                peer_isns.append(s.seq)
        self.spoof_syns = [r.segment for r in records if r.segment.src.startswith("spoof-")]
        self.spoof_count = 0
        self.wire = Wire(scenario, sim.profile)
        rng = random.Random(scenario.net.seed)
        params = scenario.client if self.peer == "client" else scenario.server
        self.host = Host(self.peer, params, sim.profile, sim.isn[self.peer], rng)
        isns = iter(peer_isns)
        fallback = self.host._new_isn
        self.host._new_isn = lambda name, *now: next(isns, None) or fallback(name, *now)  # the simulated ISNs
        self.app = KernelApp(kernel, scenario.server.backlog, scenario.client if kernel == "client" else scenario.server,
                             kernel_congestion_control(scenario, kernel))
        self.t0 = time.monotonic()
        # The delay line: (due, n, toward "kernel" or "peer", packet or Segment, its record).
        self.line: list[tuple[int, int, str, object, dict]] = []
        self.counter = itertools.count()
        self.ident = itertools.count(1)
        self.segments: list[dict] = []
        self.addr_of = {self.peer: PEER_IP}
        self.name_of = {PEER_IP: self.peer}
        self.kernel_talked_to_peer = False
        # record: each packet's bytes ("raw", hex) and both endpoints' state changes ("states"):
        # the kernel's read from /proc/net/tcp after everything that can change it, the peer's
        # from its Host. Off for the kernel tests: reading /proc at every packet costs time.
        self.record = record
        self.states: list[dict] = []
        self.last_state: dict[str, str] = {}

    def now(self) -> int:
        return int((time.monotonic() - self.t0) * 1_000_000)

    # -------------------------------------------------------------- the network

    def _record(self, seg, t: int, dropped: bool, extra: dict, packet: bytes | None = None) -> None:
        self.segments.append({
            "src": seg.src, "dst": seg.dst, "flags": [f for f, _ in FLAG_BITS if f in extra["flags"]],
            "seq": seg.seq, "ack": seg.ack, "len": seg.length, "mss": seg.mss, "win": seg.win,
            "t": round(t / 1_000_000, 6), "fate": "dropped" if dropped else "delivered",
        })
        if self.record and packet is not None:
            self.segments[-1]["raw"] = packet.hex()

    def note_states(self, t: int | None = None) -> None:
        """With `record`: append each endpoint's state when it differs from the last one seen,
        stamped `t` (the packet or step that caused it; default now)."""
        if not self.record:
            return
        t = round((self.now() if t is None else t) / 1_000_000, 6)
        for endpoint, state in ((self.kernel, self.kernel_state()), (self.peer, self.host.view(self.kernel).value)):
            if self.last_state.get(endpoint, "CLOSED") != state:
                self.states.append({"t": t, "endpoint": endpoint, "before": self.last_state.get(endpoint, "CLOSED"),
                                    "after": state})
                self.last_state[endpoint] = state

    def from_kernel(self, packet: bytes) -> None:
        from tcptutor.tcp.segment import Segment

        t = self.now()
        p = parse_packet(packet)
        if p is None or p["src_ip"] != KERNEL_IP:
            return
        dst = self.name_of.get(p["dst_ip"], p["dst_ip"])
        seg = Segment(self.kernel, dst, p["seq"], p["ack"], frozenset(set(p["flags"]) & MODELLED_FLAGS),
                      length=p["len"], win=p["win"], mss=p["mss"])
        if dst == self.peer and "RST" not in p["flags"]:
            self.kernel_talked_to_peer = True
        arrivals = self.wire.arrivals(seg, t)
        self._record(seg, t, not arrivals, p, packet)
        self.note_states(t)
        if dst == self.peer:  # replies to spoofed sources are never answered
            for at in arrivals:
                heapq.heappush(self.line, (at, next(self.counter), "peer", seg, self.segments[-1]))

    def to_kernel(self, seg, t: int) -> None:
        """A segment the peer (or a spoofed source) sends at `t`: onto the wire toward the kernel."""
        arrivals = self.wire.arrivals(seg, t)
        if seg.src == self.peer:
            sport = CLIENT_PORT if self.peer == "client" else SERVER_PORT
        else:
            sport = CLIENT_PORT
        dport = SERVER_PORT if self.kernel == "server" else CLIENT_PORT
        packet = build_packet(self.addr_of[seg.src], KERNEL_IP, sport, dport, seg.seq, seg.ack,
                              set(seg.flags), seg.win, seg.mss, seg.length, next(self.ident))
        self._record(seg, t, not arrivals, {"flags": seg.flags}, packet)
        self.note_states(t)
        for at in arrivals:
            heapq.heappush(self.line, (at, next(self.counter), "kernel", packet, self.segments[-1]))

    def _peer_outcome(self, outcome, t: int) -> None:
        for seg in outcome.sent:
            self.to_kernel(seg, t)

    # -------------------------------------------------------------- steps

    def run_step(self, step, t: int) -> None:
        from tcptutor.tcp.params import Calls, Delay, Drop, Duplicate, Flood, Vanish, Wait
        from tcptutor.tcp.segment import Segment

        if isinstance(step, Inject):
            conn = self.host.connection_with(self.kernel)
            seg = Segment(self.peer, self.kernel, (conn.snd_nxt + step.seq_offset) % 2**32,
                          conn.rcv_nxt if "ACK" in step.flags else 0, step.flags, length=step.length,
                          win=conn.params.window)
            self.to_kernel(seg, t)
            self.segments[-1]["injected"] = True
            return
        action = step.action
        if isinstance(action, (Drop, Delay, Duplicate)):  # network rules
            self.wire.add_rule(action)
        elif isinstance(action, Vanish):  # the host goes silent: it sends nothing, nothing reaches it
            self.wire.vanish(action.endpoint)
            gone = "kernel" if action.endpoint == self.kernel else "peer"
            for entry in self.line:
                if entry[2] == gone:
                    entry[4]["fate"] = "dropped"  # in flight to a host that vanished: never arrives
            self.line = [entry for entry in self.line if entry[2] != gone]
            heapq.heapify(self.line)
            if action.endpoint == self.kernel:
                self.app.calls.append({"step": step.text, "endpoint": self.kernel, "call": "vanish",
                                       "result": "ok"})
        elif isinstance(action, Wait):
            pass
        elif isinstance(action, Flood):
            if self.kernel != "server":
                raise ValueError("flood needs the kernel as the server")
            for _ in range(action.count):
                syn = self.spoof_syns[self.spoof_count]
                self.spoof_count += 1
                self.addr_of[syn.src] = spoof_ip(self.spoof_count)
                self.name_of[spoof_ip(self.spoof_count)] = syn.src
                self.to_kernel(syn, t)
        elif isinstance(action, Calls):
            for call in action.calls:
                if call.endpoint in self.wire.vanished:
                    continue
                if call.endpoint == self.kernel:
                    self.app.call(call.verb, call.sizes, step.text)
                    self.drain()  # what the call sent leaves now, before the next call
                else:
                    self._peer_outcome(self.host.call(call.verb, self.kernel, call.sizes, t), t)
        else:
            raise ValueError(f"step not supported by the TUN harness yet: {step.text!r}")

    # -------------------------------------------------------------- the loop

    def drain(self) -> None:
        """Read every packet the kernel has queued on the TUN: each is recorded as it leaves."""
        while True:
            try:
                packet = os.read(self.fd, 65536)
            except BlockingIOError:
                return
            self.from_kernel(packet)

    def run(self) -> dict:
        self.t0 = time.monotonic()
        steps = list(self.schedule)
        end = self.sim_end + int(MARGIN * 1_000_000)
        started = []  # (simulated, real) start of each step, in seconds
        delivered = []  # (due, real) of each packet handed to the kernel, in seconds
        i = 0
        while True:
            t = self.now()
            while self.line and self.line[0][0] <= t:
                due, _, direction, item, _ = heapq.heappop(self.line)
                if direction == "kernel":
                    handed = self.now()
                    delivered.append((round(due / 1_000_000, 6), round(handed / 1_000_000, 6)))
                    os.write(self.fd, item)  # the kernel handles it in this call: drain its replies
                    self.drain()
                    self.app.service()
                    self.drain()
                    self.note_states(handed)
                else:
                    arrived = self.now()
                    self._peer_outcome(self.host.receive(item, arrived), arrived)
                    self.note_states(arrived)
            due = None if self.peer in self.wire.vanished else self.host.next_deadline()
            if due is not None and due[0] <= t:
                outcome, _, _ = self.host.fire_timer(due[1], t)
                self._peer_outcome(outcome, t)
                self.note_states(t)
                continue
            # A step starts at its simulated instant once the network is quiet, as in the
            # simulator, where every step begins after the last one settled: a packet still
            # in flight that the simulation delivered just before this instant (each real
            # hop costs a little more than `latency`) is delivered first.
            if i < len(steps) and steps[i][0] <= t and not (self.line and self.line[0][0] <= steps[i][0] + GRACE):
                began = self.now()
                started.append((round(steps[i][0] / 1_000_000, 6), round(began / 1_000_000, 6)))
                self.run_step(steps[i][1], began)
                self.note_states(began)
                i += 1
                continue
            self.app.flush()
            self.drain()
            if i >= len(steps) and t >= end:
                break
            wake = [end]
            if i < len(steps):
                wake.append(steps[i][0])
            if self.line:
                wake.append(self.line[0][0])
            if due is not None:
                wake.append(due[0])
            timeout = max(0, min(wake) - self.now()) / 1_000_000
            socks = self.app.readable()
            ready, _, _ = select.select([self.fd, *socks], [], [], min(timeout, 0.05))
            for r in ready:
                if r == self.fd:
                    self.drain()
                else:
                    self.app.on_readable(r)
                    self.drain()
        self.note_states()
        result = {"segments": self.segments, "final": self.final(), "calls": self.app.calls, "steps": started,
                  "deliveries": delivered, "tcp_info": self.app.tcp_info()}
        if self.record:
            result["states"] = self.states
        return result

    def kernel_state(self) -> str:
        """The kernel endpoint's state toward the peer now (see socket_state)."""
        quick = socket_state(self.app, self.kernel_talked_to_peer)
        if quick is not None:
            return quick
        rows = proc_tcp()
        local, remote = (CLIENT_PORT, SERVER_PORT) if self.kernel == "client" else (SERVER_PORT, CLIENT_PORT)
        found = [s for lp, ra, rp, s in rows if lp == local and ra == PEER_IP and rp == remote]
        if found:
            return found[0]
        if self.app.listener is not None and self.app.conn is None and not self.kernel_talked_to_peer:
            return "LISTEN"
        return "CLOSED"

    def final(self) -> dict:
        return {self.kernel: self.kernel_state(), self.peer: self.host.view(self.kernel).value}


def syncookies_setting(scenario, override: int | None) -> int:
    """net.ipv4.tcp_syncookies for a run: the override, else [server] syncookies, else the
    profile's default (linux: on)."""
    if override is not None:
        return override
    from tcptutor.tcp.profiles import resolve

    wanted = scenario.server.syncookies
    return 1 if (resolve(scenario.net).syncookies if wanted is None else wanted) else 0


def serve(prepare) -> int:
    """Inside the namespace: read the job, `prepare(job)` -> (harness, settings), say "ready",
    wait for "go", run, and print the result (or {"error"} and exit 1) as JSON on stdout."""
    try:
        job = json.loads(sys.stdin.readline())
        harness, settings = prepare(job)
        try:  # real-time priority: the schedule must not wait behind other work on the machine
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
            settings["sched"] = "SCHED_FIFO 10"
        except (OSError, AttributeError) as e:
            settings["sched"] = f"normal ({e})"
        print("ready", flush=True)
        sys.stdin.readline()  # "go" (or EOF)
        gc.disable()  # no collector pause in the middle of a real-time schedule (a run is short)
        result = harness.run()
        result["sysctl"] = settings
    except Exception as e:  # report, don't traceback: the caller parses stdout
        print(json.dumps({"error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()}))
        return 1
    print(json.dumps(result))
    return 0


def _prepare(job: dict):
    from tcptutor.tcp.scenario import parse_scenario

    scenario = adjusted(parse_scenario(job["scenario"]), job["kernel"], job.get("adjust", {}))
    fd, settings = setup_namespace(syncookies_setting(scenario, job.get("syncookies")))
    return Harness(scenario, job["kernel"], fd, job.get("inject", []), job.get("record", False)), settings


def main() -> int:
    return serve(_prepare)


if __name__ == "__main__":
    sys.exit(main())
