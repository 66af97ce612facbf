"""Opening an up-to-date bank skips Alembic: the head is read off the migration files, and
must be the one Alembic itself finds; a bank behind it is still migrated by Alembic."""

from __future__ import annotations

import sqlite3

from alembic.config import Config
from alembic.script import ScriptDirectory

from tcptutor.bank import db


def test_the_head_read_off_the_files_is_alembics():
    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS))
    assert db.head_revision() == ScriptDirectory.from_config(config).get_current_head()


def test_a_bank_behind_the_head_is_migrated(tmp_path):
    from alembic import command

    path = tmp_path / "bank.sqlite"
    engine = db.open_engine(f"sqlite:///{path}")
    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS))
    with engine.begin() as connection:  # undo the last migration for real (not just its number)
        config.attributes["connection"] = connection
        command.downgrade(config, "-1")
    engine.dispose()
    with sqlite3.connect(path) as con:
        (behind,) = con.execute("SELECT version_num FROM alembic_version").fetchone()
    con.close()
    assert behind != db.head_revision()
    engine = db.open_engine(f"sqlite:///{path}")
    engine.dispose()
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [(db.head_revision(),)]
    con.close()
