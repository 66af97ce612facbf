"""`tcptutor simulate` / `scenarios` end to end, through the real console script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tcptutor import library

EXE = shutil.which("tcptutor")


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    cmd = [EXE, *args] if EXE else [sys.executable, "-m", "tcptutor", *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=120)


def test_handshake_by_name_draws_a_ladder():
    out = run("simulate", "handshake")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert all(len(line) <= 100 for line in lines)
    text = out.stdout
    assert "#1 [SYN] seq=1000" in text
    assert "#2 [SYN, ACK] seq=5000 ack=1001" in text
    assert "#3 [ACK] seq=1001 ack=5001" in text
    assert "SYN-SENT → ESTABLISHED" in text and "SYN-RECEIVED → ESTABLISHED" in text


def test_width_80_is_respected():
    out = run("simulate", "lost-final-ack", "--width", "80")
    assert out.returncode == 0, out.stderr
    assert max(len(line) for line in out.stdout.splitlines()) <= 80


def test_relative_numbers():
    out = run("simulate", "wraparound", "--relative", "--width", "80")
    assert out.returncode == 0, out.stderr
    assert "#1 [SYN] seq=0" in out.stdout
    assert "#2 [SYN, ACK] seq=0 ack=1" in out.stdout


@pytest.mark.parametrize("name", library.scenario_names())
def test_every_shipped_scenario_prints_contract_json(name):
    out = run("simulate", str(library.SCENARIOS / f"{name}.toml"), "--json")
    assert out.returncode == 0, out.stderr
    trace = json.loads(out.stdout)
    assert trace["format"] == "tcptutor.trace/1"
    assert set(trace) >= {"title", "params", "segments", "events", "final"}
    assert set(trace["final"]) == {"client", "server"}
    numbers = [s["n"] for s in trace["segments"]]
    assert numbers == list(range(1, len(numbers) + 1))


BAD = {
    "unknown-verb.toml": ('steps = ["server listen", "client sned 10"]\n', ":1: ", "unknown step verb"),
    "unknown-endpoint.toml": ('steps = [\n  "server listen",\n  "clinet connect",\n]\n', ":3: ", "unknown endpoint 'clinet'"),
    "malformed.toml": ('steps = ["client connect"\n[client]\n', "malformed.toml:", "malformed TOML"),
    "isn.toml": ('steps = ["client connect"]\n[client]\nisn = -1\n', ":3: ", "isn must be between 0 and 4294967295"),
    "size.toml": ('steps = ["client send -5"]\n', ":1: ", "at least 1"),
    "unit.toml": ('steps = ["wait 10"]\n', ":1: ", "a duration needs a unit"),
    "refused.toml": ('steps = [\n "server listen",\n "client send 10",\n]\n', ":3: ", "connection does not exist (client is CLOSED)"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_is_one_clear_line_and_exit_2(tmp_path, name):
    text, where, what = BAD[name]
    path = tmp_path / name
    path.write_text(text)
    out = run("simulate", str(path))
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert "Traceback" not in out.stderr
    assert str(path) + where in lines[0] or (where.endswith(":") and where in lines[0])
    assert what in lines[0]


def test_unknown_scenario_name_lists_the_shipped_ones():
    out = run("simulate", "no-such-scenario")
    assert out.returncode == 2
    assert "handshake" in out.stderr and "Traceback" not in out.stderr


def test_scenarios_lists_names_and_titles():
    out = run("scenarios", "--json")
    assert out.returncode == 0
    rows = json.loads(out.stdout)
    assert {r["name"] for r in rows} == set(library.scenario_names())
    assert all(r["title"] for r in rows)


def test_every_command_has_help():
    from tcptutor.cli import app

    import typer.main

    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        assert command.help, f"command {name} has no help"
        out = run(name, "--help")
        assert out.returncode == 0 and "Usage" in out.stdout
