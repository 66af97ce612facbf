"""`tcptutor --help` imports no command's work: the heavy parts load inside the commands.

A structural check, not a timing one (bench/bench_startup.py measures the time): after the
CLI is imported and its help printed, none of the heavy modules is in sys.modules.
"""

from __future__ import annotations

import json
import subprocess
import sys

# (rich and markdown-it are loaded by Typer itself to format help, as in a bare Typer app)
HEAVY = ("sqlalchemy", "alembic", "tcptutor.bank.db", "tcptutor.grading.grader", "tcptutor.practice.session",
         "tcptutor.tcp.simulator", "tcptutor.course.service", "tcptutor.export.moodle", "tcptutor.render.ladder")

PROBE = """
import json, sys
from typer.testing import CliRunner
from tcptutor.cli import app
result = CliRunner().invoke(app, ["--help"])
print(json.dumps({"exit": result.exit_code, "help": result.output,
                  "loaded": [m for m in %r if m in sys.modules]}))
""" % (HEAVY,)


def test_help_loads_none_of_the_commands_work():
    run = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True)
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["exit"] == 0
    for command in ("practice", "simulate", "build", "quiz", "course", "export"):
        assert command in seen["help"]
    assert seen["loaded"] == []
