"""An up-to-date SQLite bank opened with the standard library alone, for the commands that
only read before the student answers (`quiz show`, `quiz key`, `practice` up to the first
answer): importing SQLAlchemy costs such a command more than everything else it does.

open_current gives None whenever the full way (cli.common.open_bank: bank.db.open_engine,
bank.build.ensure_current, bank.attempts.replay_pending) has something to do: another
database or a URL with options, no bank yet, an older schema (a migration), lessons that
changed since the build (a rebuild), answers waiting in the pending file (a replay). The
caller then takes the full way, which does exactly what it always did.
"""

from __future__ import annotations

import sqlite3

from .freshness import rebuild_reason_of
from .location import BUSY_TIMEOUT_MS, head_revision, pending_file, resolve_url, sqlite_file


def open_current(url: str | None) -> sqlite3.Connection | None:
    """A connection to the bank at `url` (default: bank.location.resolve_url) if it is a SQLite
    file that needs nothing done before reading it; else None."""
    path = sqlite_file(resolve_url(url))
    if path is None or not path.is_file() or pending_file(path).exists():
        return None
    try:  # mode=rw: never create a file here (the full way creates it, mode 0600)
        connection = sqlite3.connect(f"{path.absolute().as_uri()}?mode=rw", uri=True,
                                     timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error:
        return None
    try:
        if _current(connection):
            return connection
    except sqlite3.Error:  # not a bank, damaged, locked past the timeout: the full way says which
        pass
    connection.close()
    return None


def _current(connection: sqlite3.Connection) -> bool:
    head = head_revision()
    if head is None or connection.execute("SELECT version_num FROM alembic_version").fetchall() != [(head,)]:
        return False
    stored = dict(connection.execute("SELECT key, value FROM bank_meta").fetchall())
    return rebuild_reason_of(stored) is None
