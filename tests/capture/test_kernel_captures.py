"""Real kernel captures explained: both ends as sockets in a private namespace, tcpdump records.

Each test makes its capture (a few seconds at most), explains it and checks what the kernel
certainly did: the states each side passed through, the events named, and that tshark agrees
on every retransmission, duplicate ACK and keep-alive. Skipped (with the reason) without root,
`ip netns` or tcpdump.
"""

from __future__ import annotations

import struct
import subprocess

import pytest

from tcptutor.capture import events as ev
from tcptutor.capture.explain import explain_packets
from tcptutor.capture.observer import state_path
from tcptutor.capture.packet import LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2
from tcptutor.capture.pcapfile import parse_capture
from netns import Namespace, require_netns
from tsharkcheck import our_verdicts, tshark_verdicts

pytestmark = pytest.mark.linux

TRANSFER = """
import socket, threading
FAMILY, HOST = {family}, {host!r}
srv = socket.socket(FAMILY); srv.bind((HOST, 5000)); srv.listen()
def serve():
    c, _ = srv.accept()
    while c.recv(65536):
        pass
    c.sendall(b"ok" * 50); c.close()
t = threading.Thread(target=serve); t.start()
cl = socket.socket(FAMILY); cl.connect((HOST, 5000))
cl.sendall(b"x" * {size}); cl.shutdown(socket.SHUT_WR)
while cl.recv(65536):
    pass
cl.close(); t.join()
"""

CLIENT_PATH = ["SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT"]
SERVER_PATH = ["SYN-RECEIVED", "ESTABLISHED", "CLOSE-WAIT", "LAST-ACK", "CLOSED"]


@pytest.fixture(scope="module", autouse=True)
def _netns():
    require_netns()


def explained(data: bytes, tmp_path, name="cap.pcap"):
    path = tmp_path / name
    path.write_bytes(data)
    cap = parse_capture(data, name)
    exp = explain_packets(cap.packets, name=name, frames=cap.frames, warnings=cap.warnings, snaplen=cap.snaplen)
    ours, theirs = our_verdicts(exp), tshark_verdicts(path)
    for kind in ("retransmission", "dupack", "keepalive", "window_full"):
        assert ours[kind] == theirs[kind], f"{kind}: ours {sorted(ours[kind])}, tshark {sorted(theirs[kind])}"
    return cap, exp


def transfer(size=20000, family="socket.AF_INET", host="127.0.0.1"):
    return TRANSFER.format(size=size, family=family, host=host)


def assert_clean_transfer(exp, client_bytes=20000):
    assert len(exp.reports) == 1
    rep = exp.reports[0]
    assert state_path(rep.rows, "client") == CLIENT_PATH
    assert state_path(rep.rows, "server") == SERVER_PATH
    assert rep.teardown["complete"] and rep.teardown["time_wait"] == "client"
    assert sum(g.length for g in rep.conn.segments if g.side == "client") == client_bytes
    assert sum(g.length for g in rep.conn.segments if g.side == "server") == 100
    lab = rep.lab
    assert lab.syn["relative_seq"] == 0 and lab.synack["relative_ack"] == 1
    assert lab.synack["ack"] == (lab.syn["seq"] + 1) % 2**32
    assert lab.bytes_acked == client_bytes and lab.rtt
    return rep


def test_handshake_data_teardown_on_loopback(tmp_path):
    with Namespace() as ns:
        data = ns.capture(transfer(), snaplen=262144)  # whole frames: nothing cut
    cap, exp = explained(data, tmp_path)
    assert not any(p.truncated for p in cap.packets) and not exp.warnings
    assert_clean_transfer(exp)
    assert not exp.reports[0].counts().get(ev.TIMEOUT_RETRANSMISSION)


def test_snaplen_96_keeps_the_lengths(tmp_path):
    with Namespace() as ns:
        data = ns.capture(transfer(), snaplen=96)
    cap, exp = explained(data, tmp_path)
    assert cap.snaplen == 96 and any(p.truncated for p in cap.packets)
    assert_clean_transfer(exp)
    assert any("snaplen" in w for w in exp.warnings)


def test_linux_cooked_capture_of_any(tmp_path):
    with Namespace() as ns:
        data = ns.capture(transfer(), iface="any", linktype="LINUX_SLL")
    cap, exp = explained(data, tmp_path)
    assert cap.linktype == LINKTYPE_LINUX_SLL
    assert_clean_transfer(exp)


def test_linux_cooked_v2(tmp_path):
    with Namespace() as ns:
        data = ns.capture(transfer(), iface="any", linktype="LINUX_SLL2")
    cap, exp = explained(data, tmp_path)
    assert cap.linktype == LINKTYPE_LINUX_SLL2
    assert_clean_transfer(exp)


def test_ipv6(tmp_path):
    with Namespace() as ns:
        data = ns.capture(transfer(family="socket.AF_INET6", host="::1"))
    cap, exp = explained(data, tmp_path)
    assert all(p.ip_version == 6 for p in cap.packets)
    assert_clean_transfer(exp)
    assert exp.reports[0].conn.addr["server"] == ("::1", 5000)


def test_reset_to_a_closed_port(tmp_path):
    script = """
import socket
try:
    socket.create_connection(("127.0.0.1", 5001), timeout=2)
except ConnectionRefusedError:
    pass
else:
    raise SystemExit("connected?")
"""
    with Namespace() as ns:
        data = ns.capture(script)
    cap, exp = explained(data, tmp_path)
    rep = exp.reports[0]
    rst = rep.infos[-1]
    assert rst.seg.has("RST") and rst.seg.side == "server"
    assert "nothing listens" in next(f.text for f in rst.findings if f.kind == ev.RESET)
    assert rep.rows[-1].states == {"client": "CLOSED", "server": "CLOSED"}
    assert "SYN-RECEIVED" not in state_path(rep.rows, "server")


def test_abort_with_so_linger_zero(tmp_path):
    script = """
import socket, struct, time
srv = socket.socket(); srv.bind(("127.0.0.1", 5000)); srv.listen()
cl = socket.create_connection(("127.0.0.1", 5000)); c, _ = srv.accept()
cl.sendall(b"hi"); c.recv(10)
cl.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
cl.close()  # SO_LINGER 0: RST, not FIN (RFC 9293 3.10.5 ABORT)
time.sleep(0.1); c.close()
"""
    with Namespace() as ns:
        data = ns.capture(script)
    cap, exp = explained(data, tmp_path)
    rep = exp.reports[0]
    rst = next(i for i in rep.infos if i.seg.has("RST"))
    assert rst.seg.side == "client" and "abort" in next(f.text for f in rst.findings if f.kind == ev.RESET)
    assert rep.teardown["reset"] == {"segment": rst.seg.i, "by": "client"} and rep.teardown["first_fin"] is None
    assert rep.rows[rst.seg.i - 1].states == {"client": "CLOSED", "server": "CLOSED"}


def test_zero_window_and_probes(tmp_path):
    script = """
import socket, time
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
srv.bind(("127.0.0.1", 5000)); srv.listen()
cl = socket.socket(); cl.connect(("127.0.0.1", 5000)); cl.setblocking(False)
c, _ = srv.accept()
end = time.time() + 1.5
while time.time() < end:
    try:
        cl.send(b"z" * 4096)
    except BlockingIOError:
        time.sleep(0.01)
c.setblocking(False)
while True:
    try:
        if not c.recv(65536):
            break
    except BlockingIOError:
        break
cl.close(); c.close()
"""
    with Namespace() as ns:
        data = ns.capture(script)
    cap, exp = explained(data, tmp_path)
    counts = exp.reports[0].counts()
    assert counts.get(ev.ZERO_WINDOW, 0) >= 1
    assert counts.get(ev.ZERO_WINDOW_PROBE, 0) >= 1
    assert not counts.get(ev.KEEPALIVE)  # Linux's probes look like keep-alives: told apart by the zero window


def test_keepalive(tmp_path):
    script = """
import socket, time
srv = socket.socket(); srv.bind(("127.0.0.1", 5000)); srv.listen()
cl = socket.socket()
cl.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
cl.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
cl.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
cl.connect(("127.0.0.1", 5000)); c, _ = srv.accept()
cl.sendall(b"hello"); c.recv(100)
time.sleep(2.6)
cl.close(); c.close()
"""
    with Namespace() as ns:
        data = ns.capture(script)
    cap, exp = explained(data, tmp_path)
    rep = exp.reports[0]
    counts = rep.counts()
    assert counts.get(ev.KEEPALIVE, 0) >= 1 and counts.get(ev.KEEPALIVE_ACK, 0) >= 1
    probe = next(i for i in rep.infos if ev.KEEPALIVE in i.kinds())
    assert probe.seg.side == "client" and probe.seg.length == 0
    assert not counts.get(ev.TIMEOUT_RETRANSMISSION) and not counts.get(ev.DUP_ACK)


SERVER_IN_B = """
import socket, sys
srv = socket.socket(); srv.bind(({host!r}, 5000)); srv.listen()
print("ready", flush=True)
c, _ = srv.accept()
while c.recv(65536):
    pass
c.sendall(b"ok" * 50); c.close()
"""
CLIENT_IN_A = """
import socket
cl = socket.create_connection(({host!r}, 5000), timeout=5)
cl.sendall(b"x" * {size}); cl.shutdown(socket.SHUT_WR)
while cl.recv(65536):
    pass
cl.close()
"""


def _two_stacks(ns: Namespace, vlan: bool) -> tuple[str, str, str]:
    """veth0 (here) <-> veth1 (namespace b); with vlan, 802.1Q id 10 on both. (b, address, capture iface)"""
    b = ns.peer()
    ns.ip("link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns", b)
    ns.ip("link", "set", "veth0", "up")
    ns.ip("link", "set", "veth1", "up", ns=b)
    if vlan:
        ns.ip("link", "add", "link", "veth0", "name", "veth0.10", "type", "vlan", "id", "10")
        ns.ip("link", "add", "link", "veth1", "name", "veth1.10", "type", "vlan", "id", "10", ns=b)
        ns.ip("addr", "add", "10.10.0.1/24", "dev", "veth0.10")
        ns.ip("addr", "add", "10.10.0.2/24", "dev", "veth1.10", ns=b)
        ns.ip("link", "set", "veth0.10", "up")
        ns.ip("link", "set", "veth1.10", "up", ns=b)
        return b, "10.10.0.2", "veth0"
    ns.ip("addr", "add", "10.9.0.1/24", "dev", "veth0")
    ns.ip("addr", "add", "10.9.0.2/24", "dev", "veth1", ns=b)
    return b, "10.9.0.2", "veth0"


def _across(ns: Namespace, vlan: bool, size: int) -> bytes:
    b, host, iface = _two_stacks(ns, vlan)
    server = ns.start(SERVER_IN_B.format(host=host), ns=b)
    try:
        assert server.stdout.readline().strip() == "ready", server.stderr.read()
        return ns.capture(CLIENT_IN_A.format(host=host, size=size), iface=iface)
    finally:
        server.wait(timeout=10)


def _vlan_supported(ns: Namespace) -> bool:
    probe = subprocess.run(["ip", "-n", ns.name, "link", "add", "link", "lo", "name", "lo.10", "type", "vlan", "id", "10"],
                           capture_output=True, text=True, timeout=10)
    if probe.returncode == 0:
        ns.ip("link", "del", "lo.10")
    return probe.returncode == 0


def tag_vlan(pcap: bytes, vid: int) -> bytes:
    """A classic pcap of Ethernet frames with an 802.1Q tag (TPID 0x8100, VLAN vid) put in each,
    after the MAC addresses, as a capture on the parent of a VLAN interface shows them."""
    order = "<" if pcap[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    out, i = [pcap[:24]], 24
    while i + 16 <= len(pcap):
        sec, frac, caplen, length = struct.unpack(order + "IIII", pcap[i:i + 16])
        frame = pcap[i + 16:i + 16 + caplen]
        frame = frame[:12] + struct.pack("!HH", 0x8100, vid) + frame[12:]
        out.append(struct.pack(order + "IIII", sec, frac, caplen + 4, length + 4) + frame)
        i += 16 + caplen
    return b"".join(out)


def test_vlan_tagged_ethernet(tmp_path):
    with Namespace() as ns:
        if _vlan_supported(ns):
            data = _across(ns, vlan=True, size=20000)
        else:  # this kernel has no 8021q: the same traffic, tagged after capture, frame by frame
            data = tag_vlan(_across(ns, vlan=False, size=20000), 10)
    cap, exp = explained(data, tmp_path)
    assert cap.linktype == LINKTYPE_ETHERNET
    assert_clean_transfer(exp)
    assert exp.reports[0].conn.addr["server"][0] in ("10.10.0.2", "10.9.0.2")


def test_segmentation_offload_on_veth(tmp_path):
    with Namespace() as ns:
        ns.exec("ethtool", "-K", "veth0", "tso", "on", "gso", "on") if _has_ethtool() else None
        data = _across(ns, vlan=False, size=300000)
    cap, exp = explained(data, tmp_path)
    rep = assert_clean_transfer(exp, client_bytes=300000)
    big = [i for i in rep.infos if ev.OFFLOAD in i.kinds()]
    assert big, "no segment larger than the MSS: TSO/GSO did not apply on this veth"
    assert all(i.seg.side == "client" for i in big)
    assert not rep.counts().get(ev.GAP)


def _has_ethtool() -> bool:
    import shutil

    return shutil.which("ethtool") is not None
