"""Golden traces: every shipped scenario's `tcptutor simulate NAME --json` output, byte for byte.

The simulator is being re-cut; these files prove that a re-cut changes nothing a user can
see. A difference here is either a regression or an intended change of behaviour.

To regenerate after an INTENDED change (never do this to make a failure go away):

    TCPTUTOR_REGEN_GOLDEN=1 PYTHONPATH=$PWD python -m pytest tests/tcp/test_golden.py

Regeneration rewrites tests/tcp/golden/NAME.json and then fails each rewritten test on
purpose, so that a run with the variable set can never pass silently (in CI or anywhere).
Review `git diff tests/tcp/golden` and commit the files with the change that explains them.

A trace longer than BIG_TRACE characters (a bulk transfer) is kept as its SHA-256 and length
in NAME.trace.sha256 instead, so the repository does not carry megabytes of JSON; the check
is as strict, only the diff of a change is lost (print the trace with `tcptutor simulate
NAME --json` to look at it).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tcptutor import library
from tcptutor.tcp.simulator import simulate

GOLDEN = Path(__file__).resolve().parent / "golden"
REGENERATE = os.environ.get("TCPTUTOR_REGEN_GOLDEN") == "1"
BIG_TRACE = 300_000  # characters
DIGEST = ".trace.sha256"


def digest_line(text: str) -> str:
    data = text.encode("utf-8")
    return f"{hashlib.sha256(data).hexdigest()} {len(data)}\n"


def trace_json_text(name: str) -> str:
    """The trace exactly as `tcptutor simulate NAME --json` prints it (cli.common.print_json)."""
    trace = simulate(library.load_scenario(name)).to_json()
    return json.dumps(trace, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("name", library.scenario_names())
def test_trace_is_byte_identical_to_its_golden_file(name):
    golden = GOLDEN / f"{name}.json"
    actual = trace_json_text(name)
    if len(actual) > BIG_TRACE:
        golden, actual = GOLDEN / f"{name}{DIGEST}", digest_line(actual)
    if REGENERATE:
        old = golden.read_text(encoding="utf-8") if golden.is_file() else None
        if old != actual:
            golden.write_text(actual, encoding="utf-8")
            pytest.fail(f"regenerated {golden.name}: review `git diff tests/tcp/golden`, "
                        "then run again without TCPTUTOR_REGEN_GOLDEN")
        return
    assert golden.is_file(), f"no golden trace for {name}: see this module's docstring"
    expected = golden.read_text(encoding="utf-8")
    assert actual == expected, f"{name}: the trace differs from tests/tcp/golden/{name}.json"


def test_every_golden_file_belongs_to_a_shipped_scenario():
    kept = {p.stem for p in GOLDEN.glob("*.json")} | {p.name[:-len(DIGEST)] for p in GOLDEN.glob(f"*{DIGEST}")}
    stale = sorted(kept - set(library.scenario_names()))
    assert stale == [], f"golden files without a scenario: {stale}"


def test_the_cli_prints_exactly_the_golden_bytes():
    """The in-process serialisation above is the CLI's, proved on one scenario end to end."""
    exe = shutil.which("tcptutor")
    cmd = [exe] if exe else [sys.executable, "-m", "tcptutor"]
    out = subprocess.run([*cmd, "simulate", "syn-flood-cookies", "--json"], capture_output=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout == (GOLDEN / "syn-flood-cookies.json").read_bytes()
