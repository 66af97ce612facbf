"""Shared CLI plumbing: turning tcptutor's errors into a message and an exit code."""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from .. import i18n
from ..errors import TcptutorError
from ..i18n import N_
from ..wording import plural  # noqa: F401  (for the command modules: "1 attempt", "2 attempts")

DB_OPTION = typer.Option(
    None, "--db", envvar="TCPTUTOR_DB",
    help="SQLAlchemy URL of the bank (default: db/tcptutor.sqlite, built on first use).",
)


def open_bank(url: str | None, *, build_if_missing: bool = True):
    """An engine on the bank; the shipped lessons are built into it on first use, and again
    when they change (see bank.build.rebuild_reason)."""
    from ..bank.build import ensure_current
    from ..bank.db import open_engine

    engine = open_engine(url)
    if build_if_missing:
        def announce(reason: str) -> None:
            typer.echo("tcptutor: " + i18n._("{reason}...").format(reason=reason), err=True)

        report = ensure_current(engine, announce)
        if report is not None:
            typer.echo(f"tcptutor: {report.summary()}", err=True)
    from ..bank.attempts import replay_pending

    stored = replay_pending(engine)
    if stored:
        typer.echo("tcptutor: " + i18n.ngettext("stored {n} answer kept while the bank was busy",
                                                "stored {n} answers kept while the bank was busy", stored).format(n=stored),
                   err=True)
    return engine


@contextmanager
def read_bank(url: str | None) -> Iterator:
    """What a reading command queries (bank.reads): a plain sqlite3 connection when the bank is
    an SQLite file with nothing to do first (bank.lite: no SQLAlchemy import, the larger part
    of such a command's start-up), else a Session on open_bank's engine."""
    from ..bank.lite import open_current

    connection = open_current(url)
    if connection is not None:
        with contextlib.closing(connection):
            yield connection
        return
    from sqlalchemy.orm import Session

    with Session(open_bank(url)) as session:
        yield session


def read_then_write(url: str | None):
    """(what to read with, a function giving the engine to write with) for a command that reads
    before it writes (practice): bank.lite's connection and an engine opened on the first
    write when the bank allows it, else open_bank's engine for both."""
    from ..bank.lite import open_current

    connection = open_current(url)
    if connection is None:
        engine = open_bank(url)
        return engine, lambda: engine

    @functools.cache
    def writes():
        from ..bank.db import open_engine

        return open_engine(url)
    return connection, writes


# What an OS error means to the person who typed the path, and its exit code: 2 when the
# path they gave is wrong (as for an InputError), 1 when the machine failed (a full disk).
OS_ERRORS = {
    errno.ENOENT: (N_("no such file or folder"), 2),
    errno.ENOTDIR: (N_("a part of this path is a file, not a folder"), 2),
    errno.EISDIR: (N_("this is a folder, not a file"), 2),
    errno.EEXIST: (N_("this already exists"), 2),
    errno.EACCES: (N_("permission denied"), 2),
    errno.EPERM: (N_("operation not permitted"), 2),
    errno.EROFS: (N_("the file system is read-only"), 2),
    errno.ENAMETOOLONG: (N_("the name is too long"), 2),
    errno.ELOOP: (N_("too many levels of symbolic links"), 2),
    errno.ENOSPC: (N_("no space left on the device"), 1),
    errno.EDQUOT: (N_("disk quota exceeded"), 1),
}


def os_error_line(err: OSError) -> tuple[str, int]:
    """One line for an OSError, naming the file it was about, and the exit code."""
    reason, code = OS_ERRORS.get(err.errno, (None, 1))
    reason = i18n._(reason) if reason is not None else err.strerror or str(err)
    where = [os.fsdecode(name) for name in (err.filename, err.filename2) if name is not None]
    return (f"{' -> '.join(where)}: {reason}" if where else reason), code


@contextmanager
def reported_errors() -> Iterator[None]:
    """A TcptutorError or an OSError (a bad path, a full disk) becomes one line on stderr and
    an exit code, never a traceback. Every command runs inside this (see cli/__init__.py)."""
    try:
        yield
    except TcptutorError as err:
        typer.echo(f"tcptutor: {err}", err=True)
        raise typer.Exit(err.exit_code) from None
    except BrokenPipeError:
        # the reader of stdout went away (`tcptutor ... | head`): nothing left to say to it
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so exit flushes nowhere
        except (OSError, ValueError, AttributeError):
            pass
        raise typer.Exit(1) from None
    except OSError as err:
        line, code = os_error_line(err)
        typer.echo(f"tcptutor: {line}", err=True)
        raise typer.Exit(code) from None
    except Exception as err:
        # The database failed under a command (a lost PostgreSQL connection, a locked or
        # corrupt SQLite file; sqlite3's own errors on bank.lite's connection): one line naming
        # it. Checked by module, so that --help never imports SQLAlchemy; anything else is a bug
        # and keeps its traceback.
        if not type(err).__module__.startswith(("sqlalchemy", "sqlite3")):
            raise
        cause = " ".join(str(getattr(err, "orig", None) or err).split())
        typer.echo("tcptutor: " + i18n._("database error ({kind}): {cause}").format(kind=type(err).__name__, cause=cause),
                   err=True)
        raise typer.Exit(1) from None


def print_json(data) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
