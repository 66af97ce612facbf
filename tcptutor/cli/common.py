"""Shared CLI plumbing: turning tcptutor's errors into a message and an exit code."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from ..errors import TcptutorError

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
        report = ensure_current(engine, lambda reason: typer.echo(f"tcptutor: {reason}...", err=True))
        if report is not None:
            typer.echo(f"tcptutor: {report.summary()}", err=True)
    from ..bank.attempts import replay_pending

    stored = replay_pending(engine)
    if stored:
        typer.echo(f"tcptutor: stored {stored} answer{'s' if stored != 1 else ''} kept while the bank was busy", err=True)
    return engine


@contextmanager
def reported_errors() -> Iterator[None]:
    try:
        yield
    except TcptutorError as err:
        typer.echo(f"tcptutor: {err}", err=True)
        raise typer.Exit(err.exit_code) from None


def print_json(data) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
