"""`tcptutor build`, `check`, `lessons`, `read`."""

from __future__ import annotations

import os
import shutil
import sys

import typer

from . import app
from .common import DB_OPTION, open_bank, print_json, reported_errors

CONTENT_OPTION = typer.Option(None, "--content", help="A content folder (lessons/, scenarios/, topics.toml); default: the shipped lessons.")
BUILD_CONTENT_OPTION = typer.Option(
    None, "--content",
    help="Your content folder (lessons/, scenarios/, topics.toml). Its lessons go into the bank beside the shipped "
         "ones (a question id used by both is an error); add --replace to build it alone. Default: the shipped lessons.")


@app.command()
def build(
    content: str = BUILD_CONTENT_OPTION,
    db: str = DB_OPTION,
    force: bool = typer.Option(False, "--force", help="Verify and compare everything even if the content has not changed."),
    replace: bool = typer.Option(False, "--replace", help="Build the --content folder alone, instead of beside the shipped lessons."),
    retire: bool = typer.Option(
        False, "--retire",
        help="Allow the build to retire questions the content no longer has (their attempts are kept). Without it, "
             "such a build lists them and writes nothing."),
) -> None:
    """Verify every question with the simulator, then write the bank in one transaction.

    A build that would retire questions (in the bank, not in the content) says how many and
    which, writes nothing and exits 1, unless --retire is given."""
    from ..bank.build import build as build_bank
    with reported_errors():
        engine = open_bank(db, build_if_missing=False)
        report = build_bank(engine, content, force=force, beside=not replace, retire=retire)
    typer.echo(report.summary(), err=True)


@app.command()
def check(
    content: str = CONTENT_OPTION,
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when there are warnings, as for errors."),
) -> None:
    """Verify the content (every predict question over 50 seeds) without writing anything.

    Errors (`path:line: message`) exit 1. Warnings (`path:line: warning: ...`: a prompt that
    hides what the answer depends on, a question whose answers never vary, a concrete ISN the
    variants replace) are printed and exit 0, unless --strict."""
    from ..bank.content import check as check_content
    with reported_errors():
        report = check_content(content)
    for w in report.warnings:
        typer.echo(str(w), err=True)
    count = len(report.warnings)
    noted = f", {count} warning{'s' if count != 1 else ''}" if count else ""
    typer.echo(f"ok: {report.lessons} lessons, {report.questions} questions verified{noted}", err=True)
    if strict and count:
        raise typer.Exit(1)


@app.command("lessons")
def list_lessons(
    json_output: bool = typer.Option(False, "--json", help="Print as JSON."),
    db: str = DB_OPTION,
) -> None:
    """The lessons, with their topics and question counts."""
    from ..bank import queries
    from sqlalchemy.orm import Session
    with reported_errors():
        engine = open_bank(db)
        with Session(engine) as session:
            rows = queries.lessons(session)
    if json_output:
        print_json([r.to_json() for r in rows])
        return
    for r in rows:
        typer.echo(f"{r.id:<18} {r.title}")
        typer.echo(f"{'':<18} topics: {', '.join(r.topics)} · {r.questions} questions ({r.predict} predict)")


@app.command()
def read(
    lesson: str = typer.Argument(..., help="A lesson id (see `tcptutor lessons`)."),
    db: str = DB_OPTION,
    plain: bool = typer.Option(False, "--plain", help="Print the Markdown as text, without styling."),
) -> None:
    """Read a lesson in the terminal, ladder diagrams included."""
    from ..bank import queries
    from ..render.lesson import diagram_width, lesson_for_terminal
    from sqlalchemy.orm import Session
    with reported_errors():
        engine = open_bank(db)
        with Session(engine) as session:
            row = queries.lesson(session, lesson)
            markdown, scenarios = row.markdown, dict(row.scenarios)
        width = _output_width()
        text = lesson_for_terminal(markdown, scenarios, width=width if plain else diagram_width(width))
    if plain:
        typer.echo(text)
        return
    from rich.console import Console
    from rich.markdown import Markdown

    Console(width=width).print(Markdown(text, code_theme="ansi_dark"))


def _output_width() -> int:
    """The columns `read` may fill: the terminal's width; when stdout is not a terminal
    (piped to less, say), $COLUMNS if it is set, else 80. Never wider than that, so
    nothing wraps."""
    if sys.stdout.isatty():
        return shutil.get_terminal_size((80, 24)).columns
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    return columns if columns > 0 else 80
