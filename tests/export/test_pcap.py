"""`tcptutor export pcap`: pcapng captures of simulated traces, proven by a real reader.

tshark (Wireshark's command-line reader) reads every capture back: each packet has the
simulator's seq, ack, flags and length, good IP and TCP checksums, its sent_at time and a
comment with the states it caused, and Wireshark's own TCP analysis flags the simulated
retransmissions and duplicate ACKs. The tshark tests skip only where tshark is missing
outside CI; in CI (CI=true) a missing tshark is a failure. The structure and checksum
tests below them need nothing but Python.
"""

from __future__ import annotations

import datetime
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tcptutor.export.pcap import (
    CLIENT,
    EPOCH,
    LINKTYPE_RAW,
    SERVER,
    Addresses,
    checksum,
    comment_for,
    scenario_trace,
    trace_to_pcapng,
    write_trace,
)
from tcptutor.tcp import analysis
from tcptutor.tcp.trace import Trace

SCENARIOS = ["handshake", "data-transfer", "lost-data", "fast-retransmit", "lost-final-ack", "wraparound",
             "syn-flood-cookies"]
FLAG_BITS = {"FIN": 0x01, "SYN": 0x02, "RST": 0x04, "PSH": 0x08, "ACK": 0x10, "URG": 0x20}
IN_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")


@pytest.fixture(scope="module")
def tshark() -> str:
    exe = shutil.which("tshark")
    if exe is None:
        if IN_CI:
            pytest.fail("tshark is not installed, but CI must run the pcap validation: .ci/run installs it (apt-get install tshark)")
        pytest.skip("tshark is not installed (apt-get install tshark); CI installs it and runs these tests")
    return exe


def run_tshark(exe: str, path: Path, fields: list[str], *, extra: list[str] = ()) -> list[list[str]]:
    cmd = [exe, "-r", str(path), "-n", "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
           "-E", "aggregator=|", "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
           "-o", "tcp.analyze_sequence_numbers:TRUE", *extra]
    for f in fields:
        cmd += ["-e", f]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{done.stderr}"
    return [line.split("\t") for line in done.stdout.splitlines()]


def comment_field(exe: str, path: Path) -> str:
    """frame.comment (Wireshark 3.6+) or pkt_comment (older)."""
    for name in ("frame.comment", "pkt_comment"):
        done = subprocess.run([exe, "-r", str(path), "-T", "fields", "-e", name, "-c", "1"],
                              capture_output=True, text=True, timeout=60)
        if done.returncode == 0:
            return name
    pytest.fail("this tshark knows neither frame.comment nor pkt_comment")


def good(status: str) -> bool:
    return status in ("1", "Good", "good")


@pytest.fixture(scope="module")
def captures(tmp_path_factory) -> dict[str, tuple[dict, Path]]:
    """name -> (the trace JSON, its capture): the checks read the contract's fields."""
    folder = tmp_path_factory.mktemp("pcap")
    out = {}
    for name in SCENARIOS:
        trace = scenario_trace(name)
        out[name] = (trace.to_json(), write_trace(trace, folder / f"{name}.pcapng"))
    return out


# ---------------------------------------------------------------------------
# tshark reads it back
# ---------------------------------------------------------------------------

FIELDS = ["frame.number", "frame.time_epoch", "ip.src", "ip.dst", "tcp.srcport", "tcp.dstport",
          "tcp.seq_raw", "tcp.ack_raw", "tcp.flags", "tcp.len", "tcp.window_size_value",
          "tcp.checksum.status", "ip.checksum.status", "tcp.options.mss_val"]


@pytest.mark.parametrize("name", SCENARIOS)
def test_tshark_reads_every_segment(tshark, captures, name):
    trace, path = captures[name]
    rows = run_tshark(tshark, path, FIELDS)
    segments = trace["segments"]
    assert len(rows) == len(segments), f"{name}: tshark read {len(rows)} packets, the trace has {len(segments)} segments"
    addr = Addresses()
    for row, seg in zip(rows, segments):
        got = dict(zip(FIELDS, row))
        where = f"{name} #{seg['n']}"
        assert int(got["frame.number"]) == seg["n"], where
        assert abs(float(got["frame.time_epoch"]) - (EPOCH + seg["sent_at"])) < 1e-6, where
        assert (got["ip.src"], int(got["tcp.srcport"])) == addr(seg["src"]), where
        assert (got["ip.dst"], int(got["tcp.dstport"])) == addr(seg["dst"]), where
        assert int(got["tcp.seq_raw"]) == seg["seq"], where
        assert int(got["tcp.ack_raw"]) == seg["ack"], where
        assert int(got["tcp.flags"], 16) == sum(FLAG_BITS[f] for f in seg["flags"]), where
        assert int(got["tcp.len"]) == seg["len"], where
        assert int(got["tcp.window_size_value"]) == min(seg["win"], 65535), where
        assert good(got["tcp.checksum.status"]), f"{where}: TCP checksum {got['tcp.checksum.status']}"
        assert good(got["ip.checksum.status"]), f"{where}: IP checksum {got['ip.checksum.status']}"
        if "SYN" in seg["flags"]:
            assert int(got["tcp.options.mss_val"]) == seg["options"]["mss"], where


def test_packets_are_on_a_real_date(tshark, captures):
    trace, path = captures["handshake"]
    rows = run_tshark(tshark, path, ["frame.time_epoch", "frame.time_relative"])
    for (epoch, relative), seg in zip(rows, trace["segments"]):
        when = datetime.datetime.fromtimestamp(float(epoch), datetime.timezone.utc)
        assert when.date() == datetime.date(2026, 1, 1)
        assert float(relative) == pytest.approx(seg["sent_at"] - trace["segments"][0]["sent_at"], abs=1e-6)


def test_addresses_are_the_documented_ones(tshark, captures):
    trace, path = captures["syn-flood-cookies"]
    rows = run_tshark(tshark, path, ["ip.src", "tcp.srcport", "ip.dst"])
    sources = {(r[0], int(r[1])) for r in rows}
    assert CLIENT in sources and SERVER in sources
    assert ("198.18.0.1", 1025) in sources and ("198.18.0.16", 1040) in sources
    assert all(r[2] in ("10.0.0.1", "10.0.0.2") or r[2].startswith("198.18.") for r in rows)


@pytest.mark.parametrize("name", ["lost-data", "fast-retransmit"])
def test_wireshark_flags_retransmissions_and_duplicate_acks(tshark, captures, name):
    trace, path = captures[name]
    fields = ["frame.number", "tcp.analysis.retransmission", "tcp.analysis.fast_retransmission",
              "tcp.analysis.duplicate_ack", "tcp.analysis.duplicate_ack_num"]
    rows = run_tshark(tshark, path, fields)
    retransmitted = {int(r[0]) for r in rows if r[1] or r[2]}
    duplicate = {int(r[0]) for r in rows if r[3]}
    simulated_retx = {s["n"] for s in trace["segments"] if s["retransmission"]}
    simulated_dups = set(analysis.duplicate_acks(Trace.from_json(trace)))
    assert simulated_retx, f"{name} should have a retransmission"
    assert simulated_dups, f"{name} should have duplicate ACKs"
    assert retransmitted == simulated_retx
    assert duplicate == simulated_dups
    # The simulator's own notes agree: every "duplicate ACK" it sent is one for Wireshark too.
    noted = {s["n"] for s in trace["segments"] if s.get("note", "").startswith("duplicate ACK")}
    assert noted <= duplicate
    if name == "fast-retransmit":
        fast = {int(r[0]) for r in rows if r[2]}
        assert fast == {s["n"] for s in trace["segments"] if s.get("note") == "fast retransmit"}
        # The dup ACK counter counts 1, 2, 3, ... as a sender does.
        counts = [r[4] for r in rows if r[3]]
        assert counts == [str(k) for k in range(1, len(counts) + 1)]


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_packet_has_its_comment(tshark, captures, name):
    trace, path = captures[name]
    field = comment_field(tshark, path)
    rows = run_tshark(tshark, path, ["frame.number", field])
    assert len(rows) == len(trace["segments"])
    typed = Trace.from_json(trace)
    for (number, comment), seg in zip(rows, trace["segments"]):
        assert comment == comment_for(typed.segment(seg["n"]), typed), f"{name} #{number}"
        assert comment.startswith(f"#{seg['n']} [")


def test_comments_say_which_states_a_packet_caused(tshark, captures):
    trace, path = captures["handshake"]
    field = comment_field(tshark, path)
    comments = [r[0] for r in run_tshark(tshark, path, [field])]
    assert "server: LISTEN -> SYN-RECEIVED" in comments[0]
    assert "client: CLOSED -> SYN-SENT" in comments[0]  # the call that sent it
    assert "client: SYN-SENT -> ESTABLISHED" in comments[1]
    assert "server: SYN-RECEIVED -> ESTABLISHED" in comments[2]
    trace, path = captures["lost-data"]
    comments = [r[0] for r in run_tshark(tshark, path, [field])]
    lost = next(s["n"] for s in trace["segments"] if s["fate"] == "dropped")
    assert "lost in the network" in comments[lost - 1]
    assert "never arrives" in comments[lost - 1]


def test_capture_summary_names_the_trace(tshark, captures):
    trace, path = captures["lost-data"]
    capinfos = shutil.which("capinfos")  # ships with tshark (wireshark-common)
    if capinfos is None:
        pytest.skip("capinfos is not installed")
    info = subprocess.run([capinfos, str(path)], capture_output=True, text=True, timeout=60)
    assert info.returncode == 0, info.stderr
    assert "pcapng" in info.stdout
    assert trace["title"] in info.stdout  # the section header's comment
    assert f"Number of packets:   {len(trace['segments'])}" in info.stdout


# ---------------------------------------------------------------------------
# The CLI: --scenario, and one capture per question variant
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bank_url(bank) -> str:
    return bank[0]


def cli(*args: str, db: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if db:
        env["TCPTUTOR_DB"] = db
    return subprocess.run([sys.executable, "-m", "tcptutor", *args], capture_output=True, text=True, env=env, timeout=300)


def test_cli_scenario_by_name_and_by_file(tmp_path):
    done = cli("export", "pcap", "--scenario", "lost-data", "--out", str(tmp_path / "ld.pcapng"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "ld.pcapng")
    assert (tmp_path / "ld.pcapng").read_bytes() == trace_to_pcapng(scenario_trace("lost-data"))
    scenario = tmp_path / "mine.toml"
    scenario.write_text('steps = ["server listen", "client connect", "client send 10"]\n[client]\nisn = 7\n')
    done = cli("export", "pcap", "--scenario", str(scenario), "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "mine.pcapng").is_file()


def test_cli_scenario_is_only_for_pcap(tmp_path):
    done = cli("export", "json", "--scenario", "handshake", "--out", str(tmp_path / "x.json"))
    assert done.returncode == 2
    assert "pcap" in done.stderr
    done = cli("export", "pcap", "--scenario", "no-such-scenario", "--out", str(tmp_path / "x.pcapng"))
    assert done.returncode == 2
    assert "named scenarios" in done.stderr


def test_cli_one_capture_per_variant(tmp_path, bank_url, tshark):
    from sqlalchemy.orm import Session

    from tcptutor.bank import queries
    from tcptutor.bank.db import open_engine
    from tcptutor.questions.variants import make_variant

    out = tmp_path / "caps"
    done = cli("export", "pcap", "--out", str(out), "--lesson", "handshake", "--variants", "2", "--seed", "5", db=bank_url)
    assert done.returncode == 0, done.stderr
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(Path(line).name for line in done.stdout.split())
    with Session(open_engine(bank_url)) as session:
        rows = queries.questions(session, lesson="handshake")
        loaded = [queries.load_question(session, r.id) for r in rows]
    expected = sorted(f"{lq.question.id}-seed{s}.pcapng" for lq in loaded if lq.question.scenario for s in (5, 6))
    assert written == expected
    # One of them, read back: the numbers are the variant's.
    lq = next(lq for lq in loaded if lq.question.id == "hs-synack-numbers")
    trace = make_variant(lq.question, 6, lq.scenarios).trace.to_json()
    rows = run_tshark(tshark, out / "hs-synack-numbers-seed6.pcapng", ["tcp.seq_raw", "tcp.ack_raw"])
    assert [(int(a), int(b)) for a, b in rows] == [(s["seq"], s["ack"]) for s in trace["segments"]]


# ---------------------------------------------------------------------------
# Without tshark: the bytes themselves
# ---------------------------------------------------------------------------


def parse_pcapng(data: bytes) -> tuple[list[tuple[int, bytes]], list[tuple[int, bytes, list[tuple[int, bytes]]]]]:
    """(blocks as (type, body)), and EPBs as (timestamp µs, packet, options)."""
    blocks, packets, pos = [], [], 0
    while pos < len(data):
        btype, total = struct.unpack_from("<II", data, pos)
        assert total % 4 == 0 and total >= 12
        assert struct.unpack_from("<I", data, pos + total - 4)[0] == total
        body = data[pos + 8: pos + total - 4]
        blocks.append((btype, body))
        if btype == 6:
            _, hi, lo, cap, orig = struct.unpack_from("<IIIII", body)
            assert cap == orig
            packet = body[20: 20 + cap]
            opts, o = [], 20 + cap + (-cap) % 4
            while o < len(body):
                code, length = struct.unpack_from("<HH", body, o)
                if code == 0:
                    break
                opts.append((code, body[o + 4: o + 4 + length]))
                o += 4 + length + (-length) % 4
            packets.append(((hi << 32) | lo, packet, opts))
        pos += total
    return blocks, packets


@pytest.mark.parametrize("name", SCENARIOS)
def test_pcapng_structure_and_checksums(name):
    typed = scenario_trace(name)
    trace = typed.to_json()
    blocks, packets = parse_pcapng(trace_to_pcapng(typed))
    assert blocks[0][0] == 0x0A0D0D0A and struct.unpack_from("<I", blocks[0][1])[0] == 0x1A2B3C4D
    assert blocks[1][0] == 1 and struct.unpack_from("<H", blocks[1][1])[0] == LINKTYPE_RAW
    assert len(packets) == len(trace["segments"])
    for (micros, packet, opts), seg in zip(packets, trace["segments"]):
        assert micros == EPOCH * 1_000_000 + round(seg["sent_at"] * 1_000_000)
        assert packet[0] == 0x45 and packet[9] == 6
        assert checksum(packet[:20]) == 0  # a correct header sums to 0xFFFF
        tcp = packet[20:]
        pseudo = packet[12:20] + struct.pack("!BBH", 0, 6, len(tcp))
        assert checksum(pseudo + tcp) == 0
        seq, ack = struct.unpack_from("!II", tcp, 4)
        assert (seq, ack) == (seg["seq"], seg["ack"])
        offset = (tcp[12] >> 4) * 4
        assert len(tcp) - offset == seg["len"]
        assert tcp[13] == sum(FLAG_BITS[f] for f in seg["flags"])
        assert [c for c, _ in opts] == [1]
        assert opts[0][1].decode() == comment_for(typed.segment(seg["n"]), typed)


def test_a_retransmission_carries_the_same_bytes():
    typed = scenario_trace("lost-data")
    trace = typed.to_json()
    _, packets = parse_pcapng(trace_to_pcapng(typed))
    by_seq: dict[int, list[bytes]] = {}
    for (_, packet, _), seg in zip(packets, trace["segments"]):
        if seg["len"]:
            tcp = packet[20:]
            by_seq.setdefault(seg["seq"], []).append(tcp[(tcp[12] >> 4) * 4:])
    resent = [payloads for payloads in by_seq.values() if len(payloads) > 1]
    assert resent, "lost-data retransmits a segment"
    assert all(len(set(payloads)) == 1 for payloads in resent)
    assert resent[0][0] == bytes(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"[(1001 + i) % 26] for i in range(100))


def test_spoofed_sources_get_documented_addresses():
    addr = Addresses()
    assert addr("client") == ("10.0.0.1", 40000)
    assert addr("server") == ("10.0.0.2", 80)
    assert addr("spoof-1") == ("198.18.0.1", 1025)
    assert addr("spoof-256") == ("198.18.1.0", 1280)
    assert addr("mystery")[0].startswith("198.19.")


def test_payload_and_comments_read_as_before():
    """payload slices the repeated alphabet and comment_for reads a one-pass index of the
    trace's events: the bytes and words of the byte-by-byte payload and of asking
    analysis.caused_by / sent_by per segment."""
    from tcptutor.export.pcap import LETTERS, _Causes, payload

    for seq in (0, 1, 25, 26, 2**32 - 3, 123456789):
        for length in (0, 1, 25, 26, 27, 1460):
            assert payload(seq, length) == bytes(LETTERS[(seq + i) % 26] for i in range(length))
    trace = scenario_trace("lost-data")
    causes = _Causes(trace)
    for seg in trace.segments:
        assert causes.caused.get(seg.n, []) == analysis.caused_by(trace, seg.n)
        assert causes.sent.get(seg.n) is analysis.sent_by(trace, seg.n)
        assert comment_for(seg, trace, causes) == comment_for(seg, trace)
