"""Several processes on one SQLite bank: two `tcptutor practice` sessions (real processes,
answers piped in) and `tcptutor build --force` running at the same time lose no attempt and
no field; a rebuild after an edit keeps every earlier attempt tied to the version the
student saw; and an upgrade of the schema keeps the attempts already stored."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tcptutor.bank import models as m
from tcptutor.bank import queries
from tcptutor.bank.build import build
from tcptutor.bank.db import open_engine
from tcptutor.questions.variants import make_variant

EXE = shutil.which("tcptutor")

QUESTION = '''
```question
id = "{qid}"
kind = "predict"
topics = ["{topic}"]
difficulty = 1
scenario = "{scenario}"
prompt = "Client ISN {{client_isn}}, server ISN {{server_isn}}. {ask_text}"
explanation = "Count what each segment consumes."
{asks}
```
'''


def ask(field: str, what: str, segment: str) -> str:
    return f'\n[[ask]]\nfield = "{field}"\nwhat = "{what}"\nsegment = "{segment}"\n'


# Every field is a number, so one piped answer ("1") is readable for every field of every question.
QUESTIONS = [
    ("c-synack", "handshake", "handshake", "Give the seq and ack of the SYN+ACK.",
     ask("seq", "seq", "server SYN+ACK") + ask("ack", "ack", "server SYN+ACK")),
    ("c-final-ack", "handshake", "handshake", "Give the ack of the client's final ACK.",
     ask("ack", "ack", "client ACK")),
    ("c-data", "sequence-numbers", "data-transfer", "Give the seq of the client's second data segment and the ack that answers its first.",
     ask("seq", "seq", "client DATA 2") + ask("ack", "ack", "server ACK") + ask("len", "len", "client DATA 2")),
    ("c-fin", "teardown", "active-close", "Give the ack of the server's ACK of the client's FIN.",
     ask("ack", "ack", "server ACK")),
]


def lesson_text(prefix: str = "") -> str:
    blocks = "".join(QUESTION.format(qid=qid, topic=topic, scenario=scenario, ask_text=prefix + ask_text, asks=asks)
                     for qid, topic, scenario, ask_text, asks in QUESTIONS)
    return textwrap.dedent('''\
        # Numbers

        ```lesson
        id = "numbers"
        topics = ["handshake", "sequence-numbers", "teardown"]
        objectives = ["Compute seq and ack"]
        ```

        ## Common mistakes

        Forgetting the SYN.

        ## Questions
        ''') + blocks


def write_content(root: Path, prefix: str = "") -> Path:
    (root / "lessons").mkdir(parents=True, exist_ok=True)
    (root / "lessons" / "01-numbers.md").write_text(lesson_text(prefix), encoding="utf-8")
    return root


def command(*args: str) -> list[str]:
    return [EXE, *args] if EXE else [sys.executable, "-m", "tcptutor", *args]


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    for key in ("TCPTUTOR_DB", "TCPTUTOR_STUDENT"):
        env.pop(key, None)
    env.update(PYTHONIOENCODING="utf-8", LC_ALL="C.UTF-8", LANG="C.UTF-8")
    return env


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(command(*args), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=child_env())


def finish(proc: subprocess.Popen, answers: str = "", timeout: float = 240) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(answers.encode("utf-8"), timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"{proc.args} timed out:\n{out.decode(errors='replace')[-3000:]}\n{err.decode(errors='replace')}")
    return proc.returncode, out.decode("utf-8", errors="replace"), err.decode("utf-8", errors="replace")


def practice(url: str, student: str, count: int, seed: int) -> subprocess.Popen:
    return start("practice", "--count", str(count), "--kind", "predict", "--seed", str(seed), "--student", student, "--db", url)


ONES = "1\n" * 400  # far more answers than any session asks for


def rows(bank: Path, sql: str, *params) -> list[sqlite3.Row]:
    con = sqlite3.connect(bank)
    con.row_factory = sqlite3.Row
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def attempts_of(bank: Path, student: str | None = None) -> list[dict]:
    where, params = ("WHERE s.name = ?", (student,)) if student else ("", ())
    out = []
    for r in rows(bank, f"SELECT a.*, s.name AS student FROM attempts a JOIN students s ON s.id = a.student_id {where} "
                        "ORDER BY a.id", *params):
        d = dict(r)
        d["fields"] = [dict(f) for f in rows(bank, "SELECT * FROM attempt_fields WHERE attempt_id = ? ORDER BY id", d["id"])]
        out.append(d)
    return out


def version_row(bank: Path, version_id: int) -> dict:
    (r,) = rows(bank, "SELECT * FROM question_versions WHERE id = ?", version_id)
    d = dict(r)
    d["spec"] = json.loads(d["spec"])
    return d


@pytest.fixture
def bank(tmp_path) -> Path:
    return tmp_path / "b.sqlite"


def url(bank: Path) -> str:
    return f"sqlite:///{bank}"


def build_in_process(bank: Path, content: Path, **options) -> None:
    engine = open_engine(url(bank))
    try:
        build(engine, content, **options)
    finally:
        engine.dispose()


def assert_every_field_stored(bank: Path, attempt: dict) -> None:
    version = version_row(bank, attempt["version_id"])
    assert version["question_id"] == attempt["question_id"]
    asked = [a["field"] for a in version["spec"]["asks"]]
    assert [f["field"] for f in attempt["fields"]] == asked
    for f in attempt["fields"]:
        assert f["given"] == "1"
        assert f["verdict"] in ("correct", "wrong")
        assert f["expected"].isdigit()
        assert f["credit"] in (0.0, 0.5, 1.0)


# ----------------------------------------------------------------------- concurrency


def test_two_sessions_and_a_forced_build_at_once_lose_nothing(tmp_path, bank):
    content_a = write_content(tmp_path / "a")
    content_b = write_content(tmp_path / "b", prefix="Now: ")  # every prompt edited
    build_in_process(bank, content_a)

    sessions = {"ann": practice(url(bank), "ann", 10, 1), "ben": practice(url(bank), "ben", 10, 2)}
    results: dict[str, tuple[int, str, str]] = {}
    threads = [threading.Thread(target=lambda s=s, p=p: results.__setitem__(s, finish(p, ONES))) for s, p in sessions.items()]
    for t in threads:
        t.start()

    builds = []
    folders = [content_b, content_a]
    while any(t.is_alive() for t in threads) or len(builds) < 2:  # rebuild, alternating versions, the whole time
        content = folders[len(builds) % 2]
        builds.append(subprocess.run(command("build", "--force", "--replace", "--content", str(content), "--db", url(bank)),
                                     capture_output=True, text=True, env=child_env(), timeout=240))
    for t in threads:
        t.join(timeout=300)

    for b in builds:
        assert b.returncode == 0, b.stderr
        assert "built 1 lessons, 4 questions" in b.stderr
    for student, (rc, out, err) in results.items():
        assert rc == 0, f"{student}: {err}\n{out[-2000:]}"
        assert "── Question 10/10" in out and "── Summary" in out
        assert "Traceback" not in err and "locked" not in err

    stored = attempts_of(bank)
    assert len(stored) == 20
    assert sorted(a["student"] for a in stored) == ["ann"] * 10 + ["ben"] * 10
    for a in stored:
        assert a["complete"] == 1 and a["source"] == "practice"
        assert_every_field_stored(bank, a)
    # the builds really wrote: both versions of every question exist, and attempts may point at either
    assert len(rows(bank, "SELECT * FROM question_versions")) == 2 * len(QUESTIONS)
    prompts = {version_row(bank, a["version_id"])["spec"]["prompt"].split(". ", 1)[-1][:5] for a in stored}
    assert prompts <= {"Now: ", "Give "}

    for student in ("ann", "ben"):
        out = subprocess.run(command("progress", "--json", "--student", student, "--db", url(bank)),
                             capture_output=True, text=True, env=child_env(), timeout=120)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["attempts"] == 10


def test_concurrent_sessions_for_the_same_new_student_share_one_student_row(tmp_path, bank):
    build_in_process(bank, write_content(tmp_path / "a"))
    procs = [practice(url(bank), "zoe", 3, seed) for seed in (1, 2, 3)]
    results = []
    threads = [threading.Thread(target=lambda p=p: results.append(finish(p, ONES))) for p in procs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert [r[0] for r in results] == [0, 0, 0], [r[2] for r in results]
    assert len(rows(bank, "SELECT * FROM students WHERE name = 'zoe'")) == 1
    stored = attempts_of(bank, "zoe")
    assert len(stored) == 9
    for a in stored:
        assert_every_field_stored(bank, a)


# ----------------------------------------------------------------------- versions


def test_a_rebuild_after_an_edit_keeps_earlier_attempts_on_the_old_version(tmp_path, bank):
    content = write_content(tmp_path / "content")
    build_in_process(bank, content)
    rc, out, err = finish(practice(url(bank), "dan", 4, 9), ONES)
    assert rc == 0, err
    before = attempts_of(bank, "dan")
    assert len(before) == 4
    old_versions = {a["id"]: version_row(bank, a["version_id"]) for a in before}
    assert {v["version"] for v in old_versions.values()} == {1}

    write_content(content, prefix="Edited: ")
    done = subprocess.run(command("build", "--replace", "--content", str(content), "--db", url(bank)), capture_output=True, text=True,
                          env=child_env(), timeout=240)
    assert done.returncode == 0, done.stderr
    assert f"{len(QUESTIONS)} new versions" in done.stderr

    after = attempts_of(bank, "dan")
    assert after == before  # not one attempt or field changed
    engine = open_engine(url(bank))
    try:
        with Session(engine) as session:
            for a in after:
                old = session.get(m.QuestionVersion, a["version_id"])
                assert old is not None and old.version == 1 and old.spec == old_versions[a["id"]]["spec"]
                assert "Edited: " not in old.spec["prompt"]
                current = session.get(m.Question, a["question_id"]).current
                assert current.version == 2 and current.id != old.id and "Edited: " in current.spec["prompt"]
                # the old version still gives exactly the numbers the student was graded against
                loaded = queries.from_version(old)
                variant = make_variant(loaded.question, a["seed"], loaded.scenarios)
                assert [str(e.value) for e in variant.expected.values()] == [f["expected"] for f in a["fields"]]
                assert "Edited: " not in variant.prompt
    finally:
        engine.dispose()

    rc, out, err = finish(practice(url(bank), "dan", 2, 10), ONES)
    assert rc == 0, err
    assert "Edited: " in out
    newer = attempts_of(bank, "dan")[4:]
    assert len(newer) == 2
    assert {version_row(bank, a["version_id"])["version"] for a in newer} == {2}

    out = subprocess.run(command("progress", "--json", "--student", "dan", "--db", url(bank)),
                         capture_output=True, text=True, env=child_env(), timeout=120)
    assert json.loads(out.stdout)["attempts"] == 6  # old attempts still count, through their old versions


def test_removing_an_attempted_question_keeps_its_attempts(tmp_path, bank):
    content = write_content(tmp_path / "content")
    build_in_process(bank, content)
    rc, _, err = finish(practice(url(bank), "eli", 4, 3), ONES)
    assert rc == 0, err
    before = attempts_of(bank, "eli")
    lesson = content / "lessons" / "01-numbers.md"
    text_ = lesson.read_text(encoding="utf-8")
    start_ = text_.index('```question\nid = "c-fin"')
    lesson.write_text(text_[:start_], encoding="utf-8")  # c-fin is the last block
    build_in_process(bank, content, retire=True)
    assert attempts_of(bank, "eli") == before
    assert rows(bank, "SELECT active FROM questions WHERE id = 'c-fin'")[0]["active"] == 0


# ----------------------------------------------------------------------- schema upgrades


def test_upgrading_a_bank_that_holds_attempts_keeps_them(tmp_path, bank):
    from alembic import command as alembic
    from alembic.config import Config

    from tcptutor.bank.db import MIGRATIONS, _sqlite_pragmas

    engine = create_engine(url(bank))
    event.listen(engine, "connect", _sqlite_pragmas)  # as open_engine does
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        alembic.upgrade(config, "head")
    build(engine, write_content(tmp_path / "content"))
    with engine.begin() as connection:  # a built bank from before the course tables
        config.attributes["connection"] = connection
        alembic.downgrade(config, "0002")
    with engine.begin() as c:
        version_id = c.execute(text("SELECT current_version_id FROM questions WHERE id = 'c-final-ack'")).scalar()
        c.execute(text("INSERT INTO students (id, name) VALUES (1, 'old')"))
        c.execute(text("INSERT INTO attempts (id, student_id, question_id, version_id, seed, score, complete, source, created_at) "
                       "VALUES (1, 1, 'c-final-ack', :v, 4, 0.0, 1, 'practice', '2024-01-01 10:00:00')"), {"v": version_id})
        c.execute(text("INSERT INTO attempt_fields (attempt_id, field, given, expected, verdict, misconception, credit) "
                       "VALUES (1, 'ack', '1', '2', 'wrong', NULL, 0.0)"))
    engine.dispose()

    upgraded = open_engine(url(bank))  # migrates to the latest schema
    upgraded.dispose()
    (attempt,) = attempts_of(bank, "old")
    assert (attempt["question_id"], attempt["version_id"], attempt["seed"]) == ("c-final-ack", version_id, 4)
    assert [(f["field"], f["given"], f["verdict"]) for f in attempt["fields"]] == [("ack", "1", "wrong")]
