"""`tcptutor build / check / lessons / quiz list / read` end to end, through the real
console script, each run on a bank of its own (TCPTUTOR_DB=sqlite:///tmp...)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import textwrap
import tomllib
from pathlib import Path

import pytest

EXE = shutil.which("tcptutor")
# Every topic of the shipped course (content/topics.toml): content v2 asks 20 questions of each.
CARD_TOPICS = tuple(tomllib.loads((Path(__file__).resolve().parents[2] / "content" / "topics.toml")
                                  .read_text(encoding="utf-8"))["topics"])

ALPHA = textwrap.dedent('''\
    # Alpha: the handshake

    ```lesson
    id = "alpha"
    topics = ["handshake"]
    objectives = ["Compute the handshake's numbers"]
    ```

    Here is the handshake:

    ```scenario
    handshake
    ```

    ## Common mistakes

    None.

    ## Questions

    ```question
    id = "a-synack"
    kind = "predict"
    topics = ["handshake", "sequence-numbers"]
    scenario = "handshake"
    prompt = "Client ISN {client_isn}, server ISN {server_isn}. Give the ack of the SYN+ACK."
    explanation = "The client's ISN + 1."

    [[ask]]
    field = "ack"
    what = "ack"
    segment = "server SYN+ACK"
    ```

    ```question
    id = "a-tf"
    kind = "truefalse"
    topics = ["handshake"]
    prompt = "The server is ESTABLISHED when it sends its SYN+ACK."
    explanation = "It waits for the ACK of its SYN."
    answer = false
    ```
''')

BETA = textwrap.dedent('''\
    # Beta: TIME-WAIT

    ```lesson
    id = "beta"
    topics = ["time-wait", "teardown"]
    objectives = ["Say how long TIME-WAIT lasts"]
    ```

    ```scenario
    active-close
    ```

    ## Common mistakes

    None.

    ```question
    id = "b-tw"
    kind = "predict"
    topics = ["time-wait"]
    scenario = "active-close"
    prompt = "How long does the client stay in TIME-WAIT?"
    explanation = "2 MSL."

    [[ask]]
    field = "tw"
    what = "timeout"
    endpoint = "client"
    timer = "time-wait"
    ```
''')

BROKEN = textwrap.dedent('''\
    # Broken

    ```lesson
    id = "broken"
    topics = ["handshake"]
    objectives = ["None"]
    ```

    ## Common mistakes

    ```question
    id = "x-kind"
    kind = "essay"
    topics = ["handshake"]
    prompt = "p"
    explanation = "e"
    ```

    ```question
    id = "x-ask"
    kind = "predict"
    topics = ["handshake"]
    scenario = "handshake"
    prompt = "p"
    explanation = "e"

    [[ask]]
    field = "seq"
    what = "seq"
    segment = "server FIN"
    ```

    ```question
    id = "x-topic"
    kind = "truefalse"
    topics = ["nope"]
    prompt = "p"
    explanation = "e"
    answer = true
    ```
''')


def run(*args: str, db: str, cwd: Path | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    assert EXE, "the tcptutor console script is not on PATH (pip install -e .)"
    assert db.startswith("sqlite:///") and "/db/tcptutor.sqlite" not in db  # never the checkout's bank
    env = {**os.environ, "TCPTUTOR_DB": db}
    return subprocess.run([EXE, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)


def bank_url(path: Path) -> str:
    return f"sqlite:///{path}"


def digest(bank: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(bank.parent.glob(bank.name + "*"))}


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.fixture
def course(tmp_path) -> Path:
    root = tmp_path / "course"
    (root / "lessons").mkdir(parents=True)
    (root / "lessons" / "01-alpha.md").write_text(ALPHA, encoding="utf-8")
    (root / "lessons" / "02-beta.md").write_text(BETA, encoding="utf-8")
    return root


@pytest.fixture
def built(tmp_path, course) -> str:
    """A bank built from `course` with `tcptutor build --content course`."""
    db = bank_url(tmp_path / "bank.sqlite")
    out = run("build", "--replace", "--content", "course", db=db, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    return db


def test_build_exits_0_and_a_second_build_writes_nothing(tmp_path, course):
    bank = tmp_path / "bank.sqlite"
    out = run("build", "--replace", "--content", "course", db=bank_url(bank), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "built 2 lessons, 3 questions: 3 new" in out.stderr
    assert "building the question bank from the shipped lessons" not in out.stderr  # build never auto-builds
    assert bank.is_file()
    again = run("build", "--replace", "--content", "course", db=bank_url(bank), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "bank up to date: 2 lessons, 3 questions (nothing written)" in again.stderr


def test_the_db_option_overrides_the_environment(tmp_path, course):
    bank = tmp_path / "other.sqlite"
    out = run("build", "--replace", "--content", "course", "--db", bank_url(bank), db=bank_url(tmp_path / "unused.sqlite"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert bank.is_file() and not (tmp_path / "unused.sqlite").exists()


def test_check_on_broken_content_lists_every_problem_and_touches_nothing(tmp_path, built):
    bank = tmp_path / "bank.sqlite"
    before = digest(bank)
    (tmp_path / "broken" / "lessons").mkdir(parents=True)
    (tmp_path / "broken" / "lessons" / "bad.md").write_text(BROKEN, encoding="utf-8")
    path = os.path.join("broken", "lessons", "bad.md")
    expected = {
        line_of(BROKEN, 'kind = "essay"'): "unknown kind 'essay'",
        line_of(BROKEN, 'id = "x-ask"'): "no segment matches 'server FIN'",
        line_of(BROKEN, 'topics = ["nope"]'): "unknown topic 'nope'",
    }

    for command in (["check", "--content", "broken"], ["build", "--replace", "--content", "broken"]):
        out = run(*command, db=built, cwd=tmp_path)
        assert out.returncode == 1, (command, out.stderr)
        assert out.stdout == ""
        assert "Traceback" not in out.stderr
        assert "tcptutor: 3 problems in the content:" in out.stderr
        located = re.findall(rf"^{re.escape(path)}:(\d+): (.*)$", out.stderr, re.M)
        assert len(located) == 3, out.stderr
        for line, fragment in expected.items():
            assert any(int(n) == line and fragment in msg for n, msg in located), (line, fragment, out.stderr)
        assert digest(bank) == before, command

    # check never opens a bank at all
    fresh = tmp_path / "never-created.sqlite"
    out = run("check", "--content", "course", db=bank_url(fresh), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "ok: 2 lessons, 3 questions verified" in out.stderr
    assert not fresh.exists()


def test_lessons_json(tmp_path, built):
    out = run("lessons", "--json", db=built, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "building" not in out.stderr  # the bank exists: no auto-build
    assert json.loads(out.stdout) == [
        {"id": "alpha", "title": "Alpha: the handshake", "topics": ["handshake"], "questions": 2, "predict": 1},
        {"id": "beta", "title": "Beta: TIME-WAIT", "topics": ["time-wait", "teardown"], "questions": 1, "predict": 1},
    ]
    text = run("lessons", db=built, cwd=tmp_path)
    assert text.returncode == 0 and "alpha" in text.stdout and "2 questions (1 predict)" in text.stdout


def test_quiz_list_filters_by_lesson_and_topic(tmp_path, built):
    def listed(*args: str) -> list[dict]:
        out = run("quiz", "list", *args, "--json", db=built, cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    everything = listed()
    assert [q["id"] for q in everything] == ["a-synack", "a-tf", "b-tw"]
    assert everything[0] == {"id": "a-synack", "lesson": "alpha", "kind": "predict", "topics": ["handshake", "sequence-numbers"], "difficulty": 1, "version": 1}
    assert [q["id"] for q in listed("--lesson", "alpha")] == ["a-synack", "a-tf"]
    assert [q["id"] for q in listed("--lesson", "beta")] == ["b-tw"]
    assert [q["id"] for q in listed("--topic", "handshake")] == ["a-synack", "a-tf"]
    assert [q["id"] for q in listed("--topic", "sequence-numbers")] == ["a-synack"]
    assert [q["id"] for q in listed("--topic", "time-wait")] == ["b-tw"]
    assert listed("--topic", "teardown") == []  # the lesson's topics are not its questions' topics
    assert [q["id"] for q in listed("--lesson", "alpha", "--topic", "sequence-numbers")] == ["a-synack"]


def test_read_plain_draws_the_ladder(tmp_path, built):
    out = run("read", "alpha", "--plain", db=built, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "# Alpha: the handshake" in text
    assert "#1 [SYN] seq=1000" in text
    assert "#2 [SYN, ACK] seq=5000 ack=1001" in text
    assert "#3 [ACK] seq=1001 ack=5001" in text
    assert "```scenario" not in text and "```lesson" not in text and "```question" not in text
    assert 'id = "a-synack"' not in text  # question blocks are for practice, not reading
    assert "This lesson has 2 questions" in text
    beta = run("read", "beta", "--plain", db=built, cwd=tmp_path)
    assert beta.returncode == 0, beta.stderr
    assert "[FIN, ACK]" in beta.stdout


def test_a_bank_built_from_a_folder_by_an_older_tcptutor_is_not_replaced_by_the_shipped_lessons(tmp_path, built):
    import sqlite3

    con = sqlite3.connect(tmp_path / "bank.sqlite")
    try:  # what a bank built by the previous release looks like: a fingerprint, no source
        con.execute("DELETE FROM bank_meta WHERE key = 'content_source'")
        con.commit()
        assert [r[0] for r in con.execute("SELECT key FROM bank_meta")] == ["content_fingerprint"]
    finally:
        con.close()
    out = run("lessons", "--json", db=built, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "rebuilding" not in out.stderr
    assert [row["id"] for row in json.loads(out.stdout)] == ["alpha", "beta"]


def test_read_an_unknown_lesson(tmp_path, built):
    out = run("read", "gamma", "--plain", db=built, cwd=tmp_path)
    assert out.returncode == 2
    assert "no lesson 'gamma'" in out.stderr and "alpha" in out.stderr
    assert "Traceback" not in out.stderr


# --------------------------------------------------------------- shipped content


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """The first command on an empty bank: it builds the shipped content."""
    tmp = tmp_path_factory.mktemp("shipped")
    db = bank_url(tmp / "bank.sqlite")
    return db, tmp, run("lessons", "--json", db=db, cwd=tmp, timeout=600)


def test_first_use_builds_the_shipped_content(shipped):
    db, tmp, first = shipped
    assert first.returncode == 0, first.stderr
    assert "building the question bank from the shipped lessons (first use)" in first.stderr
    lessons = json.loads(first.stdout)
    assert lessons and all(set(row) == {"id", "title", "topics", "questions", "predict"} for row in lessons)
    assert "handshake" in {row["id"] for row in lessons}
    again = run("lessons", "--json", db=db, cwd=tmp)
    assert again.returncode == 0, again.stderr
    assert "building" not in again.stderr
    assert json.loads(again.stdout) == lessons
    read = run("read", "handshake", "--plain", db=db, cwd=tmp)
    assert read.returncode == 0, read.stderr
    assert "#2 [SYN, ACK]" in read.stdout


def test_shipped_content_counts(shipped):
    """The course card (issue 12): 16 lessons, 320+ questions, 60% simulator-backed, 20+ on
    every topic of the course, the second half's (reliable transfer, RTT, flow and congestion
    control, delayed ACKs and keep-alive, captures) included."""
    db, tmp, first = shipped
    check = run("check", db=db, cwd=tmp, timeout=600)
    assert check.returncode == 0, check.stderr
    assert first.returncode == 0, first.stderr
    lessons = json.loads(first.stdout)
    listed = run("quiz", "list", "--json", db=db, cwd=tmp)
    assert listed.returncode == 0, listed.stderr
    questions = json.loads(listed.stdout)

    total = len(questions)
    predict = sum(q["kind"] == "predict" for q in questions)
    per_topic = {t: sum(t in q["topics"] for q in questions) for t in CARD_TOPICS}
    card = {"lessons": len(lessons), "questions": total, "predict": predict, **per_topic}
    assert total == sum(row["questions"] for row in lessons), card
    assert predict == sum(row["predict"] for row in lessons), card
    assert len(lessons) >= 16, card
    assert total >= 320, card
    assert predict >= 0.6 * total, card
    assert len(CARD_TOPICS) >= 16 and {"reliable-transfer", "rtt", "flow-control", "congestion-control"} <= set(CARD_TOPICS)
    for topic in CARD_TOPICS:
        assert per_topic[topic] >= 20, (topic, card)


def test_the_shipped_bank_is_not_rebuilt_after_a_change_of_directory(shipped):
    """Issue 9: every `cd net101` cost a rebuild and a false "the shipped lessons changed"."""
    db, tmp, first = shipped
    assert first.returncode == 0, first.stderr
    for cwd in (tmp / "net101", tmp / "net101" / "deeper", Path("/")):
        cwd.mkdir(parents=True, exist_ok=True)
        out = run("lessons", "--json", db=db, cwd=cwd)
        assert out.returncode == 0, out.stderr
        assert "changed" not in out.stderr and "building" not in out.stderr, (cwd, out.stderr)


def test_build_help_names_replace_and_retire(tmp_path):
    env = {**os.environ, "TCPTUTOR_DB": bank_url(tmp_path / "unused.sqlite"), "COLUMNS": "100"}
    out = subprocess.run([EXE, "build", "--help"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    text = " ".join(out.stdout.replace("│", " ").split())  # the words, without rich's boxes and wrapping
    assert "--replace" in text and "beside the shipped ones" in text
    assert "--retire" in text and "writes nothing" in text
    assert not (tmp_path / "unused.sqlite").exists()


def test_a_build_that_would_retire_questions_lists_them_and_writes_nothing(tmp_path, built, course):
    bank = tmp_path / "bank.sqlite"
    (course / "lessons" / "02-beta.md").unlink()
    before = digest(bank)
    out = run("build", "--replace", "--content", "course", db=built, cwd=tmp_path)
    assert out.returncode == 1
    assert out.stderr == ("tcptutor: this build would retire 1 question that the content no longer has (b-tw); "
                          "nothing was written. Run it again with --retire to retire them, or use --content FOLDER "
                          "without --replace to add your lessons beside the shipped ones\n")
    assert digest(bank) == before
    done = run("build", "--replace", "--retire", "--content", "course", db=built, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "built 1 lessons, 2 questions: 0 new, 0 new versions of edited questions, 1 retired" in done.stderr
