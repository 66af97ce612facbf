"""What happens to the bank when things go wrong (issue 16): a killed build leaves no pool
worker behind; a bank that stays locked keeps the practice answer (and stores it on the next
start); a full disk leaves the previous bank intact and says so in one line; and the bank's
files are private whatever the umask. Real processes, real SQLite files, a real tmpfs."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import time
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from test_build import ALPHA, BETA, dump

from tcptutor.bank import attempts, db
from tcptutor.bank import models as m
from tcptutor.bank import queries
from tcptutor.bank.build import build
from tcptutor.bank.db import open_engine
from tcptutor.grading.grader import grade
from tcptutor.questions.variants import make_variant

EXE = shutil.which("tcptutor")


def folder(root: Path) -> Path:
    (root / "lessons").mkdir(parents=True)
    (root / "lessons" / "01-alpha.md").write_text(ALPHA, encoding="utf-8")
    (root / "lessons" / "02-beta.md").write_text(BETA, encoding="utf-8")
    return root


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(predicate, seconds: float) -> bool:
    """Poll until predicate() holds or the bound passes; a bound on waiting, not a timing assertion."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_pool_workers_die_with_a_killed_build(tmp_path):
    """`tcptutor check` verifies the shipped lessons in a process pool; kill -9 it mid-way.
    (With no verification cache: a cached check would verify nothing, with no pool.)"""
    env = {**os.environ, "TCPTUTOR_VERIFY_CACHE": "off"}
    proc = subprocess.Popen([EXE, "check"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path, env=env)
    workers: set[int] = set()
    try:
        assert wait_for(lambda: len(children_of(proc.pid)) >= 2 or proc.poll() is not None, 120)
        workers = children_of(proc.pid)
        assert proc.poll() is None and len(workers) >= 2, "the check ended before its pool started"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert wait_for(lambda: not any(alive(w) for w in workers), 15), [w for w in workers if alive(w)]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for w in workers | children_of(proc.pid):  # never leave one behind, even when the test fails
            if alive(w):
                os.kill(w, signal.SIGKILL)


def test_the_bank_files_are_private_whatever_the_umask(tmp_path):
    bank = tmp_path / "private" / "bank.sqlite"
    old = os.umask(0)
    try:
        engine = open_engine(f"sqlite:///{bank}")
        build(engine, folder(tmp_path / "content"))
        with engine.connect():  # while a connection is open, the -wal and -shm files exist
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in bank.parent.iterdir()}
        engine.dispose()
    finally:
        os.umask(old)
    assert {"bank.sqlite", "bank.sqlite-wal", "bank.sqlite-shm", "bank.sqlite.lock"} <= set(modes)
    assert set(modes.values()) == {0o600}, modes


# ------------------------------------------------------------------ a busy bank


@pytest.fixture
def busy(tmp_path, monkeypatch):
    """A built bank, a short busy timeout, short pauses between tries, and a second real
    connection that holds the write lock (BEGIN IMMEDIATE) until told to let go."""
    bank = tmp_path / "bank.sqlite"
    engine = open_engine(f"sqlite:///{bank}")
    build(engine, folder(tmp_path / "content"))
    with engine.begin() as c:
        c.exec_driver_sql("INSERT INTO students (id, name, created_at) VALUES (1, 'ann', '2026-01-01')")
    engine.dispose()
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 50)
    monkeypatch.setattr(attempts, "RETRY_PAUSES_S", (0.01, 0.01))
    engine = open_engine(f"sqlite:///{bank}")
    holder = sqlite3.connect(bank, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    yield bank, engine, holder
    holder.close()
    engine.dispose()


def answer(engine) -> dict:
    with Session(engine) as session:
        loaded = queries.load_question(session, "b-num")
    variant = make_variant(loaded.question, 3, loaded.scenarios)
    return dict(question_id="b-num", version_id=loaded.version_id, seed=3, grade=grade(variant, {"answer": "240"}),
                now=datetime(2026, 1, 2, 3, 4, 5))


def stored_attempts(engine) -> list[tuple]:
    with Session(engine) as session:
        return [(a.question_id, a.seed, a.score, a.created_at, [(f.field, f.given) for f in a.fields])
                for a in session.scalars(select(m.Attempt))]


def test_a_practice_answer_the_locked_bank_cannot_take_is_kept_and_stored_next_start(busy):
    bank, engine, holder = busy
    assert attempts.record(engine, student=1, **answer(engine)) is None
    pending = attempts.pending_path(engine)
    assert pending == bank.with_name("bank.sqlite.pending.jsonl")
    assert stat.S_IMODE(pending.stat().st_mode) == 0o600
    assert len(pending.read_text(encoding="utf-8").splitlines()) == 1

    holder.execute("ROLLBACK")  # the long job ends
    assert attempts.replay_pending(engine) == 1
    assert not pending.exists()
    assert stored_attempts(engine) == [("b-num", 3, 1.0, datetime(2026, 1, 2, 3, 4, 5), [("answer", "240")])]
    assert attempts.replay_pending(engine) == 0


def test_a_practice_write_that_meets_a_lock_retries_and_succeeds_when_it_goes(busy):
    bank, engine, holder = busy
    failures = []

    @event.listens_for(engine, "handle_error")
    def the_lock_goes_after_the_first_failure(context):
        failures.append(str(context.original_exception))
        if len(failures) == 1:
            holder.execute("ROLLBACK")

    attempt_id = attempts.record(engine, student=1, **answer(engine))
    assert attempt_id is not None
    assert len(failures) == 1 and "locked" in failures[0]
    assert not attempts.pending_path(engine).exists()
    assert [a[0] for a in stored_attempts(engine)] == ["b-num"]


def test_a_seed_out_of_the_banks_range_is_refused_before_any_write(busy):
    _, engine, holder = busy
    holder.execute("ROLLBACK")
    with pytest.raises(attempts.SeedOutOfRange, match=r"seed 9223372036854775808 is out of range"):
        attempts.record(engine, student=1, **{**answer(engine), "seed": 2**63})
    assert stored_attempts(engine) == []


# ------------------------------------------------------------------ a full disk


@pytest.fixture
def tiny_disk(tmp_path):
    mountpoint = tmp_path / "tiny"
    mountpoint.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root and mount(8) to mount a small tmpfs")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mountpoint)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def fill(path: Path) -> None:
    """Write zeros until the file system is full."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 512, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)


def test_a_full_disk_leaves_the_previous_bank_intact_and_says_so_in_one_line(tiny_disk, tmp_path):
    content = folder(tmp_path / "content")
    bank = tiny_disk / "bank.sqlite"
    url = f"sqlite:///{bank}"
    engine = open_engine(url)
    build(engine, content)
    engine.dispose()
    before = dump(bank)
    # a bigger build: every lesson and question again under new ids, with long prose
    for path in (content / "lessons").glob("*.md"):
        text = path.read_text(encoding="utf-8").replace('id = "a', 'id = "big-a').replace('id = "b', 'id = "big-b')
        (content / "lessons" / f"9{path.name}").write_text(text.replace("None.", "x" * 400_000), encoding="utf-8")
    fill(tiny_disk / "filler")
    filler = tiny_disk / "filler"
    os.truncate(filler, filler.stat().st_size - 256 * 1024)  # room to open the bank, not to write the build
    env = {k: v for k, v in os.environ.items() if k != "TCPTUTOR_DB"}
    out = subprocess.run([EXE, "build", "--replace", "--content", str(content), "--db", url], capture_output=True,
                         text=True, env=env, timeout=600)
    (tiny_disk / "filler").unlink()
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr
    assert out.stderr.count("\n") == 1, out.stderr
    assert out.stderr.startswith(f"tcptutor: cannot write the bank at {url}: ")
    assert "full" in out.stderr and out.stderr.rstrip().endswith("the previous bank is unchanged")
    assert dump(bank) == before


def test_practice_says_the_answer_was_kept_and_the_next_start_stores_it(busy):
    bank, engine, holder = busy
    env = {**{k: v for k, v in os.environ.items() if k != "TCPTUTOR_DB"}, "TCPTUTOR_BUSY_TIMEOUT_MS": "50"}
    url = f"sqlite:///{bank}"
    out = subprocess.run([EXE, "practice", "--lesson", "beta", "--kind", "numeric", "--count", "1", "--student", "ann",
                          "--seed", "1", "--db", url], input="240\n", capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    assert f"tcptutor: the bank is busy; your answer is kept in {bank}.pending.jsonl" in out.stderr
    holder.execute("ROLLBACK")
    assert stored_attempts(engine) == []
    later = subprocess.run([EXE, "progress", "--json", "--student", "ann", "--db", url], capture_output=True, text=True,
                           env=env, timeout=300)
    assert later.returncode == 0, later.stderr
    assert "tcptutor: stored 1 answer kept while the bank was busy" in later.stderr
    assert [(a[0], a[4]) for a in stored_attempts(engine)] == [("b-num", [("answer", "240")])]
