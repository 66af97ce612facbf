"""`tcptutor explain CAPTURE` end to end: text, --json, and one line with exit 2 for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tcptutor.export.pcap import scenario_trace, write_trace

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "tcptutor", *args], capture_output=True, text=True,
                          timeout=120, env=env)


@pytest.fixture(scope="module")
def lost_final_ack(tmp_path_factory) -> Path:
    return write_trace(scenario_trace("lost-final-ack"), tmp_path_factory.mktemp("x") / "lfa.pcapng")


def test_text_shows_states_events_and_lab(lost_final_ack):
    out = run("explain", str(lost_final_ack), "--width", "100")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "Connection 1: client 10.0.0.1:40000, server 10.0.0.2:80" in text
    assert "SYN-SENT" in text and "TIME-WAIT" in text and "LAST-ACK" in text
    assert "resent its FIN: the ACK of it probably never arrived" in text
    assert "Lab answers:" in text and "seq 1000 (relative 0)" in text
    assert max(len(line) for line in text.splitlines()) <= 100


def test_absolute_numbers(lost_final_ack):
    out = run("explain", str(lost_final_ack), "--absolute")
    assert out.returncode == 0 and "seq=1000" in out.stdout and "ack=1001" in out.stdout


def test_json_shape(lost_final_ack):
    out = run("explain", str(lost_final_ack), "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["format"] == "tcptutor.explain/1" and len(doc["connections"]) == 1
    c = doc["connections"][0]
    assert c["final_states"]["client"] == "TIME-WAIT"
    assert c["teardown"]["first_fin"]["by"] == "client" and c["teardown"]["time_wait"] == "client"
    seg = c["segments"][0]
    for key in ("n", "frame", "time", "from", "flags", "seq", "ack", "relative_seq", "relative_ack", "len",
                "window", "window_field", "options", "states", "moves", "revisions", "observer_notes", "findings"):
        assert key in seg
    assert seg["options"] == {"mss": 1460} and seg["flags"] == ["SYN"]


@pytest.mark.parametrize("content,message", [
    (b"not a capture at all", "not a pcap or pcapng capture"),
    (b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00" + b"\0" * 8, "cut short"),
])
def test_bad_files_are_one_line_and_exit_2(tmp_path, content, message):
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(content)
    out = run("explain", str(bad))
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and message in out.stderr and "Traceback" not in out.stderr


def test_missing_file_and_unknown_connection(tmp_path, lost_final_ack):
    out = run("explain", str(tmp_path / "none.pcap"))
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    out = run("explain", str(lost_final_ack), "--connection", "4")
    assert out.returncode == 2 and "no connection 4" in out.stderr


def test_help_describes_the_command():
    out = run("explain", "--help")
    assert out.returncode == 0 and "observer" in out.stdout and "--json" in out.stdout


def test_quiz_shows_blanks_and_grades(lost_final_ack):
    out = run("explain", str(lost_final_ack), "--quiz", "2", "--seed", "5", "--json")
    assert out.returncode == 0, out.stderr
    fields = [f["field"] for f in json.loads(out.stdout)["fields"]]
    sheet = run("explain", str(lost_final_ack), "--quiz", "2", "--seed", "5")
    assert sheet.returncode == 0 and "=?" in sheet.stdout and "Lab answers" not in sheet.stdout
    graded = run("explain", str(lost_final_ack), "--quiz", "2", "--seed", "5", "--json",
                 *[a for f in fields for a in ("--answer", f"{f}=0")])
    assert graded.returncode == 0, graded.stderr
    doc = json.loads(graded.stdout)
    assert [f["field"] for f in doc["fields"]] == fields and all(f["feedback"] for f in doc["fields"])
    bad = run("explain", str(lost_final_ack), "--quiz", "2", "--answer", "nope=1")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
