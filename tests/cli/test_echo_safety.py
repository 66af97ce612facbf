"""Answers echoed by `tcptutor quiz grade` and `tcptutor practice` cannot drive the terminal
(issue 16): terminal escape sequences, C1 controls, bidi overrides and line breaks in an
answer are shown as visible escapes (tcptutor.grading.textsafe.printable), through the real
console script, on a tmp bank built from a one-question lesson of our own."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import unicodedata

import pytest

from tcptutor.bank.build import build
from tcptutor.bank.db import open_engine

from lessonkit import handshake_lesson, write_content

LESSON = handshake_lesson('''\
    ```question
    id = "hs-synack"
    kind = "predict"
    topics = ["handshake"]
    difficulty = 1
    scenario = "handshake"
    prompt = "Client ISN {client_isn}. Give the ack and the flags of the server's reply."
    explanation = "The SYN-ACK acknowledges the client's SYN: client ISN + 1."

    [[ask]]
    field = "ack"
    what = "ack"
    segment = "server SYN+ACK"

    [[ask]]
    field = "flags"
    what = "flags"
    segment = "server SYN+ACK"
    ```
''')

EXE = shutil.which("tcptutor")


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("TCPTUTOR_DB", "TCPTUTOR_STUDENT")}
    env.update(PYTHONIOENCODING="utf-8", LC_ALL="C.UTF-8", LANG="C.UTF-8")
    cmd = [EXE, *args] if EXE else [sys.executable, "-m", "tcptutor", *args]
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, encoding="utf-8", env=env, timeout=120)


def _controls(text: str) -> set[str]:
    """Control characters a terminal acts on (newline, which separates output lines, aside)."""
    return {ch for ch in text if ch != "\n" and (unicodedata.category(ch) == "Cc" or ch in "\u202e\u2066\u2067")}


@pytest.fixture
def bank(tmp_path) -> str:
    write_content(tmp_path / "content", LESSON)
    url = f"sqlite:///{tmp_path}/b.sqlite"
    engine = open_engine(url)
    try:
        build(engine, tmp_path / "content")
    finally:
        engine.dispose()
    return url


def test_quiz_grade_echoes_escape_sequences_as_visible_text(bank):
    ack = "\x1b]0;owned\x07\x1b[2J\u202e1001"
    flags = "S.\x1b[31m"
    out = _run("quiz", "grade", "hs-synack", f"ack={ack}", f"flags={flags}", "--seed", "5", "--db", bank)
    assert out.returncode == 0, out.stderr
    assert _controls(out.stdout) == set(), out.stdout
    assert "\\x1b]0;owned\\x07\\x1b[2J\\u202e1001" in out.stdout
    assert "S.\\x1b[31m" in out.stdout


def test_quiz_grade_shows_only_the_start_of_a_huge_answer(bank):
    out = _run("quiz", "grade", "hs-synack", "ack=" + "7" * 5_000, "flags=S.", "--seed", "5", "--db", bank)
    assert out.returncode == 0, out.stderr
    ack_line = next(line for line in out.stdout.splitlines() if " ack = " in line)
    assert ack_line.startswith("? ack = " + "7" * 200 + "… (4,800 more characters)")
    assert "at most 1,000 characters" in ack_line


def test_practice_echoes_a_readable_answer_with_controls_as_visible_text(bank):
    """\\x85 (C1 NEL) and \\x1f are whitespace to str.strip, so '\\x851001' is read as 1001:
    the answer is graded, and echoed with its controls made visible."""
    out = _run("practice", "--count", "1", "--seed", "3", "--student", "eve", "--db", bank,
               stdin="\x85\x1f1001\x85\nS.\x1f\n")
    assert out.returncode == 0, out.stderr
    echoed = [line for line in out.stdout.splitlines() if " ack = " in line or " flags = " in line]
    assert len(echoed) == 2, out.stdout
    assert "\\x85\\x1f1001\\x85" in echoed[0] and "S.\\x1f" in echoed[1]
    assert _controls("\n".join(echoed)) == set()


def test_practice_survives_input_that_is_not_utf8(bank):
    """A terminal left in GBK sends bytes that are not UTF-8: the answer is unreadable and asked
    again, not a UnicodeDecodeError traceback that ends the session."""
    env = {k: v for k, v in os.environ.items() if k not in ("TCPTUTOR_DB", "TCPTUTOR_STUDENT")}
    env.update(PYTHONIOENCODING="utf-8", LC_ALL="C.UTF-8", LANG="C.UTF-8")
    cmd = [EXE] if EXE else [sys.executable, "-m", "tcptutor"]
    typed = "同步已发送".encode("gbk") + b"\n1001\nS.\n"
    out = subprocess.run([*cmd, "practice", "--count", "1", "--seed", "3", "--student", "gbk", "--db", bank],
                         input=typed, capture_output=True, env=env, timeout=120)
    stdout, stderr = out.stdout.decode("utf-8"), out.stderr.decode("utf-8")
    assert out.returncode == 0, stderr
    assert "Traceback" not in stderr
    refused = next(line for line in stdout.splitlines() if "? could not read" in line)
    assert "\ufffd" in refused and "Not counted; try again." in refused
    assert " ack = 1001" in stdout and " flags = S." in stdout


@pytest.mark.parametrize("json_flag", [(), ("--json",), ("--student", "zed")], ids=["text", "json", "stored"])
def test_quiz_grade_survives_an_argument_that_is_not_utf8(bank, json_flag):
    """Python hands such bytes over as lone surrogates (PEP 383), which cannot be printed,
    written as JSON or stored: each becomes U+FFFD, as in a decoder with errors="replace"."""
    env = {k: v for k, v in os.environ.items() if k not in ("TCPTUTOR_DB", "TCPTUTOR_STUDENT")}
    env.update(PYTHONIOENCODING="utf-8", LC_ALL="C.UTF-8", LANG="C.UTF-8")
    cmd = [EXE] if EXE else [sys.executable, "-m", "tcptutor"]
    out = subprocess.run([*cmd, "quiz", "grade", "hs-synack", b"ack=\xff\xfe1001", "flags=S.", "--seed", "5",
                          *json_flag, "--db", bank], capture_output=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr.decode("utf-8", "replace")
    assert b"Traceback" not in out.stderr
    assert "\ufffd\ufffd1001".encode() in out.stdout
