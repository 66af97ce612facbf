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
    """An engine on the bank; on first use, the shipped content is built into it."""
    from ..bank.build import build, shipped_content_changed
    from ..bank.db import open_engine
    from ..bank.queries import ensure_built

    engine = open_engine(url)
    if build_if_missing and shipped_content_changed(engine):
        typer.echo("tcptutor: the shipped lessons changed; rebuilding the question bank...", err=True)
        typer.echo(f"tcptutor: {build(engine).summary()}", err=True)
    if build_if_missing:
        if ensure_built_needed(engine):
            typer.echo("tcptutor: building the question bank from the shipped lessons (first use)...", err=True)
            report = ensure_built(engine)
            if report is not None:
                typer.echo(f"tcptutor: {report.summary()}", err=True)
    return engine


def ensure_built_needed(engine) -> bool:
    from sqlalchemy.orm import Session

    from ..bank import models
    from ..bank.build import FINGERPRINT_KEY

    with Session(engine) as session:
        return session.get(models.Meta, FINGERPRINT_KEY) is None


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
