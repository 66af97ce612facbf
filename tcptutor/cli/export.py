"""`tcptutor export FORMAT --out PATH`."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import InputError
from . import app
from .common import DB_OPTION, open_bank, reported_errors


@app.command("export")
def export_questions(
    format: str = typer.Argument(..., help="moodle-xml, gift, qti, anki, json, markdown, html or pcap."),
    out: Path = typer.Option(..., "--out", help="Where to write (a file, or a folder for formats that write several files)."),
    lesson: str = typer.Option(None, "--lesson", help="Only this lesson's questions."),
    topic: str = typer.Option(None, "--topic", help="Only questions on this topic."),
    variants: int = typer.Option(1, "--variants", min=1, help="Numbered variants of each question (a quiz can draw at random)."),
    seed: int = typer.Option(0, "--seed", help="Variant k uses seed S+k: the same numbers in every format."),
    set_name: str = typer.Option(None, "--set", help="Only the questions of this assessment set (see `tcptutor course`)."),
    course_dir: Path = typer.Option(Path("."), "--course", help="With --set: the course folder."),
    scenario: str = typer.Option(None, "--scenario", help="pcap only: capture this scenario (a shipped name or a file) instead of the question variants."),
    db: str = DB_OPTION,
) -> None:
    """Export questions (and their answer keys, in a separate file) for an LMS, Anki or print."""
    from ..export import check_destination, load_formats, write_staged
    from ..export.select import collect
    with reported_errors():
        formats = load_formats()
        if format not in formats:
            raise InputError(format, None, f"unknown export format; expected one of {', '.join(sorted(formats))}")
        if scenario is not None:
            if format != "pcap":
                raise InputError("--scenario", None, f"only the pcap format exports a scenario's trace; {format} exports questions")
            from ..export.pcap import write_scenario

            check_destination(out)
            written = write_staged(lambda destination: write_scenario(scenario, destination), out)
            for path in written:
                typer.echo(str(path))
            return
        check_destination(out, folder=format == "pcap")  # before the bank is opened: fail fast
        engine = open_bank(db)
        question_ids = None
        title = "tcptutor questions"
        if set_name:
            from ..course.service import open_course, set_questions

            course = open_course(course_dir)
            title, question_ids = set_questions(engine, course, set_name)
        selection = collect(engine, lesson=lesson, topic=topic, question_ids=question_ids, variants=variants,
                            seed=seed, title=title)
        if not selection.items:
            raise InputError("export", None, "no questions match the selection")
        written = write_staged(lambda destination: formats[format](selection, destination), out)
    for path in written:
        typer.echo(str(path))
