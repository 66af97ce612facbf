"""`tcptutor quiz ...`: the questions of the bank."""

from __future__ import annotations

import typer
from sqlalchemy.orm import Session

from ..bank import queries
from . import app
from .common import DB_OPTION, open_bank, print_json, reported_errors

quiz = typer.Typer(help="List, show, grade and explain the bank's questions.", no_args_is_help=True)
app.add_typer(quiz, name="quiz")


@quiz.command("list")
def list_questions(
    lesson: str = typer.Option(None, "--lesson", help="Only this lesson's questions."),
    topic: str = typer.Option(None, "--topic", help="Only questions on this topic."),
    json_output: bool = typer.Option(False, "--json", help="Print as JSON."),
    db: str = DB_OPTION,
) -> None:
    """Question ids with their kind and topics."""
    with reported_errors():
        engine = open_bank(db)
        with Session(engine) as session:
            rows = queries.questions(session, lesson=lesson, topic=topic)
    if json_output:
        print_json([r.to_json() for r in rows])
        return
    for r in rows:
        typer.echo(f"{r.id:<28} {r.kind:<10} {', '.join(r.topics)}")
