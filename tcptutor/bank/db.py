"""Opening a bank: the default SQLite file, any SQLAlchemy URL, migrations applied on open."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from ..errors import TcptutorError

PACKAGE = Path(__file__).resolve().parent.parent
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 30_000


class BankError(TcptutorError):
    """The bank cannot be opened or used."""


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


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets readers and one writer work at once; the busy timeout makes writers queue
    instead of failing, so concurrent practice sessions and builds lose nothing."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def open_engine(url: str | None = None) -> Engine:
    """An engine on the bank at `url` (default: see default_url), migrated to the latest schema."""
    url = resolve_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise BankError(f"not a database URL: {url!r} (e.g. sqlite:///path/bank.sqlite or postgresql+psycopg://...)") from None
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    try:
        migrate(engine)
    except OperationalError as err:
        raise BankError(f"cannot open the bank at {parsed.render_as_string(hide_password=True)}: {err.orig}") from None
    return engine


def migrate(engine: Engine) -> None:
    """Bring the bank to the latest schema, all or nothing, keeping every row.

    On SQLite the whole upgrade is one explicit transaction (the driver would otherwise
    commit each DDL statement on its own, leaving a half-migrated bank after a failure), and
    foreign keys are off while tables change, then checked before the commit.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if MigrationContext.configure(connection).get_current_revision() == head:
            return
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        config.attributes["connection"] = connection
        try:
            command.upgrade(config, "head")
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise BankError(f"the schema upgrade would break {len(broken)} references; nothing was changed")
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
