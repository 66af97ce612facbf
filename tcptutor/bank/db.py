"""Opening a bank: the default SQLite file, any SQLAlchemy URL, migrations applied on open."""

from __future__ import annotations

import contextlib
import fcntl
import os
import zlib
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError, OperationalError

from .. import i18n
from ..errors import TcptutorError
from .location import (  # noqa: F401  (MIGRATIONS, default_url: part of this module's API)
    BANK_FILE_MODE, BUSY_TIMEOUT_MS, MIGRATIONS, default_url, head_revision, resolve_url,
)

# pg_advisory_lock key of "the bank is being built or migrated"
PG_LOCK_KEY = zlib.crc32(b"tcptutor bank build") - 2**31


class BankError(TcptutorError):
    """The bank cannot be opened or used."""


class BankInputError(BankError):
    """The bank's URL itself is wrong (--db / TCPTUTOR_DB): bad input, exit code 2."""

    exit_code = 2


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets readers and one writer work at once; the busy timeout makes writers queue
    instead of failing, so concurrent practice sessions and builds lose nothing."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def sqlite_path(engine: Engine) -> Path | None:
    """The file of a SQLite bank; None for other databases and in-memory SQLite."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    return Path(database) if database and database != ":memory:" and not database.startswith("file:") else None


def describe(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _create_private(path: Path) -> None:
    """Create the bank file 0600 before SQLite does (SQLite would follow the umask); its
    -wal and -shm files take the main file's mode."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, BANK_FILE_MODE))
        os.chmod(path, BANK_FILE_MODE)  # the umask may have removed bits; never added any
    except OSError as err:
        raise BankError(i18n._("cannot create the bank file {path}: {error}").format(path=path, error=err.strerror)) from None


@contextlib.contextmanager
def bank_lock(engine: Engine) -> Iterator[None]:
    """Only one process builds or migrates a bank at a time; the others wait their turn.

    SQLite: flock(2) on BANK.lock next to the file (released by the kernel if the holder
    dies). PostgreSQL: a session-level pg_advisory_lock on a connection of its own. Other
    databases: no lock."""
    path = sqlite_path(engine)
    if path is not None:
        lock = path.with_name(path.name + ".lock")
        try:
            fd = os.open(lock, os.O_CREAT | os.O_RDWR, BANK_FILE_MODE)
        except OSError as err:
            raise BankError(i18n._("cannot create the lock file {path}: {error}").format(path=lock, error=err.strerror)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock
    elif engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.exec_driver_sql(f"SELECT pg_advisory_lock({PG_LOCK_KEY})")
            connection.commit()
            try:
                yield
            finally:
                connection.exec_driver_sql(f"SELECT pg_advisory_unlock({PG_LOCK_KEY})")
                connection.commit()
    else:
        yield


def open_engine(url: str | None = None) -> Engine:
    """An engine on the bank at `url` (default: see default_url), migrated to the latest schema."""
    url = resolve_url(url)
    hint = i18n._("e.g. {sqlite} or {postgresql}").format(sqlite="sqlite:///path/bank.sqlite",
                                                          postgresql="postgresql+psycopg://user@host/db")
    try:
        parsed = make_url(url)
        sqlite = parsed.get_backend_name() == "sqlite"
        engine = (create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}) if sqlite
                  else create_engine(url, pool_pre_ping=True))
    except NoSuchModuleError:
        raise BankInputError(i18n._("unknown kind of database in {url} ({hint})").format(url=repr(url), hint=hint)) from None
    except ArgumentError:
        raise BankInputError(i18n._("not a database URL: {url} ({hint})").format(url=repr(url), hint=hint)) from None
    except ImportError as err:  # a known dialect whose driver is not installed
        raise BankInputError(i18n._("no database driver for {url}: {error} ({hint})").format(
            url=repr(url), error=one_line(err), hint=hint)) from None
    if sqlite:
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:") and not Path(database).exists():
            _create_private(Path(database))
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        migrate(engine)
    except (OperationalError, DatabaseError) as err:  # refused connection, "file is not a database", ...
        raise BankError(i18n._("cannot open the bank at {bank}: {error}").format(
            bank=parsed.render_as_string(hide_password=True), error=one_line(err.orig or err))) from None
    return engine


def one_line(err: BaseException) -> str:
    """A driver's message on one line (psycopg adds a tab-indented hint on the next)."""
    return " ".join(str(err).split())


def _stored_revision(engine: Engine) -> str | None:
    """The bank's alembic_version, or None (a new bank, or anything unexpected)."""
    try:
        with engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT version_num FROM alembic_version").fetchall()
    except (OperationalError, DatabaseError):
        return None
    return rows[0][0] if len(rows) == 1 else None


def migrate(engine: Engine) -> None:
    """Bring the bank to the latest schema, all or nothing, keeping every row.

    A bank already at the head is recognised without importing Alembic.

    On SQLite the whole upgrade is one explicit transaction (the driver would otherwise
    commit each DDL statement on its own, leaving a half-migrated bank after a failure), and
    foreign keys are off while tables change, then checked before the commit.
    """
    head = head_revision()
    if head is not None and _stored_revision(engine) == head:
        return
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if MigrationContext.configure(connection).get_current_revision() == head:
            return
    with bank_lock(engine), engine.connect() as connection:
        if MigrationContext.configure(connection).get_current_revision() == head:
            return  # another process migrated it while we waited
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        config.attributes["connection"] = connection
        try:
            command.upgrade(config, "head")
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise BankError(i18n._("the schema upgrade would break {n} references; nothing was changed").format(
                        n=len(broken)))
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
