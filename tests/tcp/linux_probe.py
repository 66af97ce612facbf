"""Run a tcptutor scenario against the real Linux TCP stack and print what went on the wire.

Meant to run inside a fresh, private network namespace (see linux_stack.py):

    echo '["server listen", "client connect"]' | ip netns exec NS python3 linux_probe.py

Why a namespace: the probe can then use a fixed server port (8080), treat every TCP
segment on `lo` as part of the scenario, and read the connection states from
/proc/net/tcp without seeing anybody else's sockets.

Only the standard library is used, so the script runs with any Python 3.11 and does
not need the project to be importable.

Output (stdout, one JSON object):
    {"segments": [{"src", "dst", "flags", "seq", "ack", "len", "mss", "win", "t"}, ...],
     "final": {"client": STATE, "server": STATE},
     "ports": {"client": int, "server": int},
     "calls": [{"step", "endpoint", "call", "result"}, ...]}
`segments` are in capture order; `flags`, `ack` and the state names follow
docs/scenarios.md. `calls` records how each user call ended
("ok", or an errno name such as "ECONNREFUSED") because a refused call is an
expected outcome, not a crash. On an unexpected error: {"error": "..."} and exit 1.
"""

import errno
import json
import socket
import struct
import sys
import threading
import time

HOST = "127.0.0.1"
SERVER_PORT = 8080
SETTLE = 0.3  # seconds after each step: longer than Linux's delayed ACK (40-200 ms)
ETH_P_IP = 0x0800
PACKET_OUTGOING = 4  # on lo every packet is seen leaving and arriving: keep one copy

# The contract's flag order; the TCP header bit for each.
FLAG_BITS = [("SYN", 0x02), ("ACK", 0x10), ("FIN", 0x01), ("RST", 0x04), ("PSH", 0x08), ("URG", 0x20)]

# /proc/net/tcp "st" column (include/net/tcp_states.h) -> RFC 9293 names.
# 07 (TCP_CLOSE) never appears for a connection there, but map it anyway.
PROC_STATES = {
    0x01: "ESTABLISHED", 0x02: "SYN-SENT", 0x03: "SYN-RECEIVED", 0x04: "FIN-WAIT-1",
    0x05: "FIN-WAIT-2", 0x06: "TIME-WAIT", 0x07: "CLOSED", 0x08: "CLOSE-WAIT",
    0x09: "LAST-ACK", 0x0A: "LISTEN", 0x0B: "CLOSING", 0x0C: "SYN-RECEIVED",
}


class Capture:
    """Every TCP segment on lo, parsed, in arrival order.

    The AF_PACKET socket is opened in the constructor, before any step runs, so the
    kernel queues every packet from then on; a thread just moves them into a list.
    """

    def __init__(self):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind(("lo", ETH_P_IP))
        self.sock.settimeout(0.05)
        self.t0 = time.monotonic()
        self.raw = []  # (t, parsed header dict)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while True:
            try:
                # 256 bytes hold Ethernet + the longest IP and TCP headers; the
                # payload itself is never needed (its length comes from the IP header).
                data, addr = self.sock.recvfrom(256)
            except socket.timeout:
                if self._stop.is_set():  # the queue is empty and we were told to stop
                    return
                continue
            if addr[2] == PACKET_OUTGOING:
                continue
            seg = parse_tcp(data)
            if seg is not None:
                self.raw.append((time.monotonic() - self.t0, seg))

    def stop(self):
        """Wait until everything queued so far has been read, then close."""
        self._stop.set()
        self._thread.join()
        self.sock.close()


def parse_tcp(frame):
    """Ethernet(14) + IPv4 + TCP header -> dict, or None for anything else."""
    if len(frame) < 14 + 20 or struct.unpack("!H", frame[12:14])[0] != ETH_P_IP:
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    total_len, proto = struct.unpack("!H", ip[2:4])[0], ip[9]
    if ip[0] >> 4 != 4 or proto != socket.IPPROTO_TCP:
        return None
    tcp = ip[ihl:]
    sport, dport, seq, ack, off_flags, win = struct.unpack("!HHIIHH", tcp[:16])
    doff = (off_flags >> 12) * 4
    bits = off_flags & 0x3F
    return {
        "sport": sport, "dport": dport, "seq": seq,
        "ack": ack if bits & 0x10 else 0,  # the contract's wire convention
        "flags": [name for name, bit in FLAG_BITS if bits & bit],
        "len": total_len - ihl - doff,
        "win": win,  # the raw header field: scaled by the window-scale option after the SYNs
        "mss": parse_mss(tcp[20:doff]),
    }


def parse_mss(options):
    """Value of the MSS option (kind 2), or None."""
    i = 0
    while i < len(options):
        kind = options[i]
        if kind == 0:  # end of option list
            break
        if kind == 1:  # no-operation
            i += 1
            continue
        if i + 1 >= len(options) or options[i + 1] < 2:
            break  # malformed: stop rather than loop
        size = options[i + 1]
        if kind == 2 and size == 4:
            return struct.unpack("!H", options[i + 2:i + 4])[0]
        i += size
    return None


class Endpoints:
    """The two applications: a server (listener + accepted socket) and a client."""

    def __init__(self):
        self.listener = None
        self.conn = {"client": None, "server": None}  # connected sockets, kept open
        self.eof = {"client": False, "server": False}
        self.accepted = False
        self.calls = []

    def do(self, step):
        for part in step.split("&"):
            endpoint, call, *args = part.split()
            if endpoint not in ("client", "server") or not hasattr(self, "call_" + call):
                raise ValueError(f"step not supported by the probe: {step!r}")
            result = "ok"
            try:
                getattr(self, "call_" + call)(endpoint, *args)
            except OSError as e:
                if e.errno is None:  # a timeout: not an outcome TCP defines
                    raise
                result = errno.errorcode.get(e.errno, str(e.errno))
            self.calls.append({"step": step, "endpoint": endpoint, "call": call, "result": result})

    def call_listen(self, endpoint):
        if endpoint != "server":
            raise ValueError("only the server listens")
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((HOST, SERVER_PORT))
        s.listen(128)
        self.listener = s

    def call_connect(self, endpoint):
        if endpoint != "client":
            raise ValueError("only the client connects")
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.conn["client"] = s  # kept even if refused: its state is then CLOSED
        s.connect((HOST, SERVER_PORT))  # ECONNREFUSED propagates to do()
        self.listener.settimeout(2)
        self.conn["server"], _ = self.listener.accept()
        self.accepted = True

    def call_send(self, endpoint, *sizes):
        for n in sizes:
            self._sock(endpoint).sendall(b"x" * int(n))

    def call_close(self, endpoint):
        """RFC CLOSE: FIN after queued data, but the fd stays open to receive."""
        self._sock(endpoint).shutdown(socket.SHUT_WR)

    def call_abort(self, endpoint):
        """RFC ABORT: SO_LINGER with timeout 0 makes close() send a RST."""
        s = self._sock(endpoint)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
        self.conn[endpoint] = None

    def _sock(self, endpoint):
        s = self.conn[endpoint]
        if s is None:
            raise ValueError(f"{endpoint} has no connection")
        return s

    def drain(self):
        """The applications read everything available at once (non-blocking)."""
        for endpoint, s in self.conn.items():
            while s is not None and not self.eof[endpoint]:
                try:
                    data = s.recv(65536, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    break
                except OSError as e:  # e.g. ECONNRESET after a RST: the app sees it once
                    if e.errno != errno.ENOTCONN:  # ENOTCONN: it never connected (refused)
                        self.calls.append({"step": "(read)", "endpoint": endpoint, "call": "recv",
                                           "result": errno.errorcode.get(e.errno, str(e.errno))})
                    self.eof[endpoint] = True
                    break
                if not data:
                    self.eof[endpoint] = True


def proc_tcp():
    """(local_port, remote_port, state) for every IPv4 TCP socket in this namespace."""
    rows = []
    with open("/proc/net/tcp") as f:
        next(f)  # header
        for line in f:
            fields = line.split()
            local, remote, st = fields[1], fields[2], int(fields[3], 16)
            rows.append((int(local.split(":")[1], 16), int(remote.split(":")[1], 16), PROC_STATES[st]))
    return rows


def final_states(ends, client_port):
    """Both ends' RFC 9293 state for the client<->server connection.

    A socket whose connection reached TCP_CLOSE is not in /proc/net/tcp even when
    its fd is still open, and a connection in TIME-WAIT is a separate timewait
    entry; so "no entry" means CLOSED and any entry that is there is the state.
    """
    rows = proc_tcp()

    def state(local, remote):
        found = [s for lp, rp, s in rows if lp == local and rp == remote]
        return found[0] if found else None

    client = state(client_port, SERVER_PORT) if client_port else None
    server = state(SERVER_PORT, client_port) if client_port else None
    if server is None:
        # Contract: CLOSED once the connection ended (or if it never listened);
        # LISTEN while listening and the client's SYN never produced a connection.
        server = "LISTEN" if ends.listener is not None and not ends.accepted else "CLOSED"
    return {"client": client or "CLOSED", "server": server}


def run(steps):
    capture = Capture()
    ends = Endpoints()
    for step in steps:
        ends.do(step)
        time.sleep(SETTLE)
        ends.drain()
    time.sleep(SETTLE)  # anything the last reads provoked (window updates)
    capture.stop()

    ports = [seg["sport"] for _, seg in capture.raw if seg["sport"] != SERVER_PORT]
    client_port = ports[0] if ports else None
    final = final_states(ends, client_port)  # before closing anything
    segments = []
    for t, seg in capture.raw:
        if SERVER_PORT not in (seg["sport"], seg["dport"]):
            continue
        src = "server" if seg["sport"] == SERVER_PORT else "client"
        segments.append({
            "src": src, "dst": "client" if src == "server" else "server",
            "flags": seg["flags"], "seq": seg["seq"], "ack": seg["ack"],
            "len": seg["len"], "mss": seg["mss"], "win": seg["win"], "t": round(t, 6),
        })
    return {"segments": segments, "final": final,
            "ports": {"client": client_port, "server": SERVER_PORT}, "calls": ends.calls}


def main():
    try:
        steps = json.load(sys.stdin)
        if not isinstance(steps, list) or not all(isinstance(s, str) for s in steps):
            raise ValueError("stdin must be a JSON list of step strings")
        result = run(steps)
    except Exception as e:  # report, don't traceback: the caller parses stdout
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
