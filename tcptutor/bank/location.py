"""Where the bank is and which schema its migrations end at: the standard library alone, so
that bank.lite can open an up-to-date SQLite bank without importing SQLAlchemy (bank.db
imports these)."""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = int(os.environ.get("TCPTUTOR_BUSY_TIMEOUT_MS", "30000"))
BANK_FILE_MODE = 0o600  # the bank holds answers and grades: instructor-only, whatever the umask


def default_url() -> str:
    """db/tcptutor.sqlite in a clone; the user's data folder for an installed package."""
    checkout = PACKAGE.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "db").is_dir():
        path = checkout / "db" / "tcptutor.sqlite"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
        path = base / "tcptutor" / "tcptutor.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def resolve_url(url: str | None) -> str:
    return url or os.environ.get("TCPTUTOR_DB") or default_url()


SQLITE_URL = re.compile(r"^sqlite(\+pysqlite)?:///(?P<path>[^?#]+)$")


def sqlite_file(url: str) -> Path | None:
    """The file of a plain SQLite URL (sqlite:///relative, sqlite:////absolute); None for any
    other database, in-memory SQLite, and URLs with options or %-escapes (those go the full way)."""
    found = SQLITE_URL.match(url)
    if found is None or found["path"] == ":memory:" or found["path"].startswith("file:") or "%" in found["path"]:
        return None
    return Path(found["path"])


def pending_file(bank: Path) -> Path:
    """Where answers wait when the SQLite bank `bank` cannot take them (bank.attempts)."""
    return bank.with_name(bank.name + ".pending.jsonl")


REVISION_LINE = re.compile(r'^(down_revision|revision)\s*=\s*(None|"[^"]*"|\'[^\']*\')\s*$', re.M)


@cache
def head_revision() -> str | None:
    """The newest migration's revision, read off migrations/versions/*.py without importing
    Alembic (0.1 s, for every command on an up-to-date bank). None when the files do not
    name exactly one head plainly: migrate() then asks Alembic."""
    revisions, parents = set(), set()
    for path in MIGRATIONS.joinpath("versions").glob("*.py"):
        found = dict(m.groups() for m in REVISION_LINE.finditer(path.read_text(encoding="utf-8")))
        if "revision" not in found or "down_revision" not in found:
            return None
        revisions.add(found["revision"].strip("\"'"))
        if found["down_revision"] != "None":
            parents.add(found["down_revision"].strip("\"'"))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None
