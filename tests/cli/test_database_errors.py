"""A database that cannot be opened or fails under a command is one line, never a traceback.

The URL is the user's input (--db / TCPTUTOR_DB): a malformed one, an unknown kind or a
missing driver is exit code 2; a server that refuses, or a file that is not a database, is
exit code 1. Real files and a real closed port, no fakes.
"""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
import typer
from sqlalchemy.exc import OperationalError

from tcptutor.cli.common import reported_errors


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the socket is: nothing listens there


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tcptutor", *args], capture_output=True, text=True, timeout=120)


@pytest.fixture
def not_a_database(tmp_path):
    path = tmp_path / "bank.sqlite"
    path.write_text("this is a spreadsheet, not a bank\n" * 20)
    return path


@pytest.mark.parametrize("url, code, words", [
    ("::::", 2, "not a database URL"),
    ("nonsense://x", 2, "unknown kind of database"),
    ("mysql://u@localhost/db", 2, "no database driver"),
])
def test_a_bad_url_is_one_line_and_exit_2(url, code, words):
    run = _run("quiz", "list", "--db", url)
    assert run.returncode == code, run.stderr
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tcptutor: ") and words in lines[0], run.stderr


def test_a_file_that_is_not_a_database_is_one_line(not_a_database):
    run = _run("quiz", "list", "--db", f"sqlite:///{not_a_database}")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines() == [
        f"tcptutor: cannot open the bank at sqlite:///{not_a_database}: file is not a database"]
    assert not_a_database.read_text().startswith("this is a spreadsheet")  # left as it was


def test_a_server_that_refuses_is_one_line():
    run = _run("quiz", "list", "--db", f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/bank")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot open the bank" in lines[0] and "refused" in lines[0], run.stderr


def test_a_database_failure_under_a_command_is_one_line(capsys):
    with pytest.raises(typer.Exit) as stop, reported_errors():
        raise OperationalError("INSERT INTO attempts ...", {}, Exception("database is locked\n  (after 30 s)"))
    assert stop.value.exit_code == 1
    assert capsys.readouterr().err == "tcptutor: database error (OperationalError): database is locked (after 30 s)\n"


def test_other_exceptions_are_bugs_and_keep_their_traceback():
    with pytest.raises(ZeroDivisionError), reported_errors():
        1 / 0
