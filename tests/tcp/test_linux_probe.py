"""What the real Linux TCP stack does for the basic scenarios, pinned down.

These tests check the probe (linux_probe.py via linux_stack.run_on_linux) against
behaviour observed on Linux 6.x over loopback, so that a later differential test can
trust it as the reference for the simulator. Sequence numbers are compared relative
to each side's ISN (the kernel draws random ISNs), plus a few absolute checks.

Linux facts these expectations rely on (all with the probe's 0.3 s settle per step):
- data segments carry PSH (each send() is pushed);
- data early in a connection is ACKed at once (quick-ACK mode), but the ACK of a
  FIN is delayed (a few to ~40 ms), so it is a bare ACK, not piggybacked on the
  peer's own FIN, when the peer closes a step later;
- ABORT sends RST+ACK, a closed port answers a SYN with RST+ACK, seq 0.
"""

import pytest

from linux_stack import linux_available, relative, run_on_linux

pytestmark = pytest.mark.linux

C, S = "client", "server"


@pytest.fixture(scope="module", autouse=True)
def _needs_linux():
    reason = linux_available()
    if reason is not None:
        pytest.skip(reason)


def check_handshake(segs):
    """The first three segments are the three-way handshake, with MSS options."""
    syn, synack, ack = segs[:3]
    assert synack["ack"] == (syn["seq"] + 1) % 2**32
    assert ack["seq"] == synack["ack"] and ack["ack"] == (synack["seq"] + 1) % 2**32
    assert syn["mss"] == synack["mss"] == 65495  # lo's MTU 65536 - 40
    assert ack["mss"] is None


def run(steps):
    trace = run_on_linux(steps)
    print(f"\n{steps} -> {trace['final']}")
    for seg in relative(trace["segments"]):
        print("   ", seg)
    return trace


def test_handshake_and_close():
    t = run(["server listen", "client connect", "client close", "server close"])
    check_handshake(t["segments"])
    assert relative(t["segments"]) == [
        (C, "SYN", 0, 0, 0),
        (S, "SYN+ACK", 0, 1, 0),
        (C, "ACK", 1, 1, 0),
        (C, "ACK+FIN", 1, 1, 0),
        (S, "ACK", 1, 2, 0),
        (S, "ACK+FIN", 1, 2, 0),
        (C, "ACK", 2, 2, 0),
    ]
    assert t["final"] == {"client": "TIME-WAIT", "server": "CLOSED"}
    assert t["ports"]["server"] == 8080 and t["ports"]["client"] not in (None, 8080)
    assert all(c["result"] == "ok" for c in t["calls"])


def test_data_both_ways():
    t = run(["server listen", "client connect", "client send 100", "server send 50",
             "client close", "server close"])
    check_handshake(t["segments"])
    assert relative(t["segments"]) == [
        (C, "SYN", 0, 0, 0),
        (S, "SYN+ACK", 0, 1, 0),
        (C, "ACK", 1, 1, 0),
        (C, "ACK+PSH", 1, 1, 100),
        (S, "ACK", 1, 101, 0),
        (S, "ACK+PSH", 1, 101, 50),
        (C, "ACK", 101, 51, 0),
        (C, "ACK+FIN", 101, 51, 0),
        (S, "ACK", 51, 102, 0),
        (S, "ACK+FIN", 51, 102, 0),
        (C, "ACK", 102, 52, 0),
    ]
    assert t["final"] == {"client": "TIME-WAIT", "server": "CLOSED"}


def test_server_closes_first():
    t = run(["server listen", "client connect", "server close", "client close"])
    assert relative(t["segments"]) == [
        (C, "SYN", 0, 0, 0),
        (S, "SYN+ACK", 0, 1, 0),
        (C, "ACK", 1, 1, 0),
        (S, "ACK+FIN", 1, 1, 0),
        (C, "ACK", 1, 2, 0),
        (C, "ACK+FIN", 1, 2, 0),
        (S, "ACK", 2, 2, 0),
    ]
    assert t["final"] == {"client": "CLOSED", "server": "TIME-WAIT"}


def test_half_close_with_data_after_fin():
    t = run(["server listen", "client connect", "client send 10", "client close",
             "server send 20", "server close"])
    assert relative(t["segments"]) == [
        (C, "SYN", 0, 0, 0),
        (S, "SYN+ACK", 0, 1, 0),
        (C, "ACK", 1, 1, 0),
        (C, "ACK+PSH", 1, 1, 10),
        (S, "ACK", 1, 11, 0),
        (C, "ACK+FIN", 11, 1, 0),
        (S, "ACK", 1, 12, 0),
        (S, "ACK+PSH", 1, 12, 20),  # CLOSE-WAIT may still send
        (C, "ACK", 12, 21, 0),      # FIN-WAIT-2 still receives and ACKs
        (S, "ACK+FIN", 21, 12, 0),
        (C, "ACK", 12, 22, 0),
    ]
    assert t["final"] == {"client": "TIME-WAIT", "server": "CLOSED"}


def test_connect_to_closed_port():
    t = run(["client connect"])
    syn, rst = t["segments"]
    assert syn["flags"] == ["SYN"] and syn["src"] == C
    assert rst["src"] == S and rst["flags"] == ["ACK", "RST"]
    assert rst["seq"] == 0 and rst["ack"] == (syn["seq"] + 1) % 2**32 and rst["len"] == 0
    assert t["final"] == {"client": "CLOSED", "server": "CLOSED"}
    assert t["calls"][0]["result"] == "ECONNREFUSED"


def test_abort():
    t = run(["server listen", "client connect", "client send 10", "client abort"])
    segs = t["segments"]
    assert relative(segs) == [
        (C, "SYN", 0, 0, 0),
        (S, "SYN+ACK", 0, 1, 0),
        (C, "ACK", 1, 1, 0),
        (C, "ACK+PSH", 1, 1, 10),
        (S, "ACK", 1, 11, 0),
        (C, "ACK+RST", 11, 1, 0),  # Linux: RST+ACK at the client's next seq
    ]
    assert segs[-1]["seq"] == (segs[0]["seq"] + 11) % 2**32
    assert t["final"] == {"client": "CLOSED", "server": "CLOSED"}
    assert {"step": "(read)", "endpoint": S, "call": "recv", "result": "ECONNRESET"} in t["calls"]


def test_listen_only():
    """Contract: the server LISTENs when no connection with the client ever existed."""
    t = run(["server listen"])
    assert t["segments"] == []
    assert t["final"] == {"client": "CLOSED", "server": "LISTEN"}


def test_half_open_states():
    t = run(["server listen", "client connect", "client close"])
    assert t["final"] == {"client": "FIN-WAIT-2", "server": "CLOSE-WAIT"}
