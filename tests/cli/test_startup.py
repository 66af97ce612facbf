"""`tcptutor --help` imports no command's work: the heavy parts load inside the commands.

A structural check, not a timing one (bench/bench_startup.py measures the time): after the
CLI is imported and its help printed, none of the heavy modules is in sys.modules. Typer's
own rich help formatting loads rich and markdown-it, as it does for a bare Typer app: those
two are checked against a bare app's --help run the same way, so tcptutor adds neither.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("sqlalchemy", "alembic", "tcptutor.bank.db", "tcptutor.bank.build", "tcptutor.bank.models",
         "tcptutor.lessons.parser", "tcptutor.grading", "tcptutor.grading.grader", "tcptutor.practice.session",
         "tcptutor.tcp.simulator", "tcptutor.course", "tcptutor.course.service", "tcptutor.export.moodle",
         "tcptutor.render.ladder")
LIKE_TYPER = ("markdown_it", "rich")  # loaded by Typer's help itself

PROBE = """
import json, sys
from typer.testing import CliRunner
from tcptutor.cli import app
result = CliRunner().invoke(app, %r)
print(json.dumps({"exit": result.exit_code, "help": result.output,
                  "loaded": [m for m in %r if m in sys.modules]}))
"""

BARE = """
import json, sys
import typer
from typer.testing import CliRunner
app = typer.Typer(add_completion=False)

@app.command()
def one(name: str = "x") -> None:
    \"\"\"The first command.\"\"\"

@app.command()
def two(count: int = 1) -> None:
    \"\"\"The second command.\"\"\"

result = CliRunner().invoke(app, ["--help"])
print(json.dumps({"exit": result.exit_code, "loaded": [m for m in %r if m in sys.modules]}))
"""


def probe(code: str) -> dict:
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def bare_app_loads() -> set[str]:
    seen = probe(BARE % (LIKE_TYPER,))
    assert seen["exit"] == 0
    return set(seen["loaded"])


@pytest.mark.parametrize("argv, commands", [
    (["--help"], ("practice", "simulate", "build", "quiz", "course", "export")),
    (["quiz", "--help"], ("list", "show", "key", "grade")),
])
def test_help_loads_none_of_the_commands_work(argv, commands, bare_app_loads):
    seen = probe(PROBE % (argv, HEAVY + LIKE_TYPER))
    assert seen["exit"] == 0
    for command in commands:
        assert command in seen["help"]
    assert [m for m in seen["loaded"] if m in HEAVY] == []
    assert set(seen["loaded"]) - set(HEAVY) <= bare_app_loads  # nothing a bare Typer app's help does not load


def test_check_writes_no_bank_and_loads_no_database_code():
    """`tcptutor check` verifies content only: SQLAlchemy and Alembic are not even imported."""
    seen = probe(PROBE % (["check"], HEAVY))
    assert seen["exit"] == 0, seen["help"]
    assert "questions verified" in seen["help"]
    assert not {"sqlalchemy", "alembic", "tcptutor.bank.db", "tcptutor.bank.build"} & set(seen["loaded"])


READ_PROBE = """
import json, os, sys
os.environ["TCPTUTOR_DB"] = %r
from typer.testing import CliRunner
from tcptutor.cli import app
result = CliRunner().invoke(app, %r, input="")
print(json.dumps({"exit": result.exit_code, "help": result.output,
                  "loaded": sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "alembic"))}))
"""


@pytest.fixture(scope="module")
def built_bank(tmp_path_factory) -> str:
    from tcptutor.cli.common import open_bank

    url = f"sqlite:///{tmp_path_factory.mktemp('startup') / 'bank.sqlite'}"
    open_bank(url).dispose()
    return url


@pytest.mark.parametrize("argv, shown", [
    (["quiz", "show", "hs-synack-numbers", "--seed", "3"], "Give the seq and ack"),
    (["quiz", "key", "hs-synack-numbers", "--seed", "3"], "seq = "),
    (["quiz", "list"], "hs-synack-numbers"),
    (["--lang", "zh", "quiz", "show", "hs-synack-numbers"], "SYN+ACK"),
    (["practice", "--count", "1", "--seed", "1", "--student", "probe"], "Question 1/1"),
])
def test_reading_an_up_to_date_sqlite_bank_never_imports_sqlalchemy(argv, shown, built_bank):
    """bank.lite's sqlite3 connection serves these; practice stops at its first question (no
    input), before anything is written."""
    seen = probe(READ_PROBE % (built_bank, argv))
    assert seen["exit"] in (0, 130), seen["help"]
    assert shown in seen["help"]
    assert seen["loaded"] == []


def test_a_bank_that_needs_work_takes_the_full_way(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    seen = probe(READ_PROBE % (url, ["quiz", "show", "hs-synack-numbers"]))
    assert seen["exit"] == 0 and "Give the seq and ack" in seen["help"]
    assert "sqlalchemy" in seen["loaded"] and "alembic" in seen["loaded"]  # built on first use, as before
