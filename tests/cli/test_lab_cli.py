"""`tcptutor lab`: the real kernel beside the simulator, and what it says where it cannot run.

The runs on the kernel need root, `ip netns` and /dev/net/tun (CI has them); elsewhere they
skip, saying why. The lab's own answers are checked against the simulator's trace and the
capture it writes against tshark, a reader that is not ours."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tcptutor.lab.tun import tun_available

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "140"}
TUN = tun_available()
needs_tun = pytest.mark.skipif(TUN is not None, reason=f"the kernel runs need it: {TUN}")


def lab(*args, timeout=120):
    """`tcptutor lab ARGS` run to its end: a CompletedProcess with the `pid` it ran as."""
    proc = subprocess.Popen([sys.executable, "-m", "tcptutor", "lab", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    done = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    done.pid = proc.pid
    return done


def our_namespaces(pid: int) -> list[str]:
    """The namespaces a tcptutor process `pid` made (tun.KernelRun and pair.PairRun name them so)."""
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split("\n")
    return [line.split()[0] for line in listed
            if line.startswith((f"tcptutor-tun-{pid}-", f"tcptutor-pair-{pid}-"))]


def test_a_bad_scenario_is_one_line_and_exit_2():
    done = lab("no-such-scenario")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "no such file or named scenario" in done.stderr


def test_a_bad_kernel_or_profile_is_one_line_and_exit_2():
    for args, words in ((["handshake", "--kernel", "router"], "--kernel must be client, server or both"),
                        (["handshake", "--profile", "bsd"], "--profile must be one of linux, rfc9293")):
        done = lab(*args)
        assert (done.returncode, done.stdout) == (2, ""), done.stderr
        assert done.stderr.count("\n") == 1 and words in done.stderr


def test_without_root_it_says_what_it_needs_in_one_line():
    if os.geteuid() == 0:
        # A new user namespace with no mapping: inside it the process is uid 65534, not root,
        # with no privileges over the network (files stay readable: access goes by the outer uid).
        if shutil.which("unshare") is None:
            pytest.skip("root, and no unshare to leave root's privileges behind")
        cmd = ["unshare", "--user", sys.executable, "-m", "tcptutor", "lab", "handshake"]
        done = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=60)
    else:
        done = lab("handshake")
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    assert done.stderr.count("\n") == 1
    assert "runs the real Linux TCP stack and needs root" in done.stderr


@needs_tun
def test_lost_data_on_the_kernel_agrees_with_the_linux_profile(tmp_path):
    """The acceptance: `sudo tcptutor lab lost-data`. The kernel (client) loses its first data
    segment to the harness; both runs resend it the same way at about the same time."""
    capture = tmp_path / "real.pcapng"
    done = lab("lost-data", "--json", "--pcap", str(capture))
    assert done.returncode == 0, done.stderr
    run = json.loads(done.stdout)
    assert run["format"] == "tcptutor-lab/1" and run["kernel"] == "client" and run["profile"] == "linux"
    assert run["agree"], json.dumps(run["pairs"], indent=1)
    sim = run["simulator"]
    real = run["kernel_run"]["segments"]
    assert len(real) == len(sim["segments"])
    # the simulation ran with the kernel's own ISN, so the absolute numbers are the same
    assert [(s["seq"], s["ack"], s["len"]) for s in real] == [(s["seq"], s["ack"], s["len"]) for s in sim["segments"]]
    assert run["isns"]["client"] == sim["params"]["client"]["isn"]
    assert run["kernel_run"]["final"] == sim["final"] == {"client": "ESTABLISHED", "server": "ESTABLISHED"}
    # the kernel's states, read from /proc/net/tcp during the run, went where the simulator's did
    client_states = [c["after"] for c in run["kernel_run"]["states"] if c["endpoint"] == "client"]
    assert client_states == ["SYN-SENT", "ESTABLISHED"]
    # the capture holds the kernel's own packets: tshark finds the lost segment's retransmission
    out = subprocess.run(["tshark", "-r", str(capture), "-T", "fields", "-e", "frame.number",
                          "-e", "tcp.analysis.retransmission", "-e", "tcp.seq_raw"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    frames = [line.split("\t") for line in out.stdout.splitlines()]
    assert len(frames) == len(real)
    resent = [f for f in frames if f[1]]
    lost = next(s for s in real if s["fate"] == "dropped")
    assert [int(f[2]) for f in resent] == [lost["seq"]]
    assert our_namespaces(done.pid) == []


@needs_tun
def test_both_ends_on_the_kernel_a_simultaneous_open_as_the_simulator_has_it():
    """--kernel both: two namespaces, two real stacks, the harness between them. The crossing
    SYNs draw two SYN-ACKs and two ACKs (6 segments, RFC 9293 figure 8) on Linux too."""
    done = lab("simultaneous-open", "--kernel", "both", "--json")
    assert done.returncode == 0, done.stderr
    run = json.loads(done.stdout)
    assert run["kernel"] == "both" and run["agree"], json.dumps(run["pairs"], indent=1)
    flags = [(s["src"], "+".join(s["flags"])) for s in run["kernel_run"]["segments"]]
    assert sorted(flags) == [("client", "ACK"), ("client", "SYN"), ("client", "SYN+ACK"),
                             ("server", "ACK"), ("server", "SYN"), ("server", "SYN+ACK")]
    for side in ("client", "server"):
        states = [c["after"] for c in run["kernel_run"]["states"] if c["endpoint"] == side]
        assert states == ["SYN-SENT", "SYN-RECEIVED", "ESTABLISHED"], (side, states)
    assert our_namespaces(done.pid) == []


def test_a_scenario_longer_than_max_time_is_refused_before_anything_starts():
    done = lab("active-close", "--kernel", "both")
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    assert "runs for 300 s" in done.stderr and "--max-time 310" in done.stderr


@needs_tun
def test_the_picture_marks_every_row_and_keeps_its_columns():
    done = lab("fast-retransmit", "--kernel", "client", "--width", "140")
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line[:3].strip().isdigit()]
    assert len(rows) >= 10
    assert len({len(line) for line in rows}) == 1  # every row as wide as the others
    assert "KERNEL (Linux, as the client" in done.stdout and "SIMULATOR (profile linux)" in done.stdout


@needs_tun
def test_an_interrupted_run_leaves_no_namespace_behind(tmp_path):
    scenario = tmp_path / "long.toml"
    scenario.write_text('steps = ["server listen", "client connect", "wait 30s"]\n[net]\nprofile = "linux"\n')
    proc = subprocess.Popen([sys.executable, "-m", "tcptutor", "lab", str(scenario)], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not our_namespaces(proc.pid) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert our_namespaces(proc.pid), "the run never made its namespace"
        time.sleep(1.0)  # well into the 30 s wait
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == ["tcptutor: interrupted; the network namespace and its devices are removed"]
    assert our_namespaces(proc.pid) == []
