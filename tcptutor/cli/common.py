"""Shared CLI plumbing: turning tcptutor's errors into a message and an exit code."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from ..errors import TcptutorError


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
