"""bank.lite opens a bank with sqlite3 alone only when the full way (open_bank) would have
nothing to do; in every other case it answers None and the full way runs as before."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tcptutor.bank import attempts, lite
from tcptutor.bank.build import FINGERPRINT_KEY
from tcptutor.bank.db import open_engine
from tcptutor.bank.location import pending_file, sqlite_file
from tcptutor.cli.common import open_bank


@pytest.fixture
def bank(make_bank) -> tuple[str, Path]:
    url = make_bank("sqlite")
    return url, sqlite_file(url)


def change(path: Path, sql: str, *params) -> None:
    with sqlite3.connect(path) as con:
        con.execute(sql, params)
    con.close()


def test_an_up_to_date_bank_opens_without_sqlalchemy(bank):
    url, path = bank
    connection = lite.open_current(url)
    assert isinstance(connection, sqlite3.Connection)
    assert connection.execute("SELECT count(*) FROM questions").fetchone()[0] > 0
    connection.close()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "postgresql+psycopg://u@h/db",
                                 "sqlite:///x.sqlite?timeout=5", "sqlite:///with%20space.sqlite"])
def test_other_urls_take_the_full_way(url):
    assert lite.open_current(url) is None


def test_no_bank_yet_is_left_to_the_full_way_and_not_created(tmp_path):
    path = tmp_path / "new.sqlite"
    assert lite.open_current(f"sqlite:///{path}") is None
    assert not path.exists()


def test_not_a_bank_is_left_to_the_full_way(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_text("not a database at all\n" * 100)
    assert lite.open_current(f"sqlite:///{path}") is None


def test_an_older_schema_is_migrated_the_full_way(bank):
    url, path = bank
    change(path, "UPDATE alembic_version SET version_num = ?", "0001")
    assert lite.open_current(url) is None


def test_changed_lessons_are_rebuilt_the_full_way(bank):
    url, path = bank
    change(path, "UPDATE bank_meta SET value = ? WHERE key = ?", "before the pull", FINGERPRINT_KEY)
    assert lite.open_current(url) is None
    open_bank(url).dispose()  # rebuilds
    assert lite.open_current(url) is not None


def test_answers_kept_while_the_bank_was_busy_are_replayed_the_full_way(bank, tmp_path):
    url, path = bank
    engine = open_engine(url)
    sid = attempts.student_id(engine, "ann")
    row = dict(student_id=sid, question_id="hs-synack-numbers", version_id=1, seed=1, score=1.0, complete=True,
               source="practice", created_at="2026-12-01T10:00:00", fields=[])
    pending_file(path).write_text(json.dumps(row) + "\n")
    assert lite.open_current(url) is None
    open_bank(url).dispose()  # stores the kept answer
    assert not pending_file(path).exists()
    con = lite.open_current(url)
    assert con.execute("SELECT count(*) FROM attempts WHERE student_id = ?", (sid,)).fetchone()[0] == 1
    con.close()
    engine.dispose()
