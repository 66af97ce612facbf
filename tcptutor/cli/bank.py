"""`tcptutor build`, `check`, `lessons`, `read`."""

from __future__ import annotations

import os
import shutil
import sys

import typer

from .. import i18n
from ..i18n import _, ngettext
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
    lang: str = typer.Option(
        None, "--lang", metavar="zh",
        help="Also check the translation into this language: every lesson and question translated, none stale "
             "(its English changed since), placeholders and options matching the English. Any problem exits 1."),
) -> None:
    """Verify the content (every predict question over 50 seeds) without writing anything.

    Errors (`path:line: message`) exit 1. Warnings (`path:line: warning: ...`: a prompt that
    hides what the answer depends on, a question whose answers never vary, a concrete ISN the
    variants replace) are printed and exit 0, unless --strict."""
    from .. import library
    from ..bank.content import check as check_content
    if lang is not None and lang not in library.TRANSLATED_LANGUAGES:
        typer.echo("tcptutor: " + _("no translations into {lang!r}: choose one of {languages}").format(
            lang=lang, languages=", ".join(library.TRANSLATED_LANGUAGES)), err=True)
        raise typer.Exit(2)
    with reported_errors():
        report = check_content(content)
    for w in report.warnings:
        typer.echo(str(w), err=True)
    count = len(report.warnings)
    noted = ngettext(", {n} warning", ", {n} warnings", count).format(n=count) if count else ""
    typer.echo(_("ok: {lessons} lessons, {questions} questions verified{noted}").format(
        lessons=report.lessons, questions=report.questions, noted=noted), err=True)
    for code in ([lang] if lang else sorted(report.translated)):
        found = report.translation_problems.get(code, [])
        if lang:
            for problem in found:
                typer.echo(str(problem), err=True)
        lessons, questions = report.translated.get(code, (0, 0))
        verdict = _("ok") if not found else ngettext("{n} problem", "{n} problems", len(found)).format(n=len(found))
        hint = _(" (check --lang {code} lists them)").format(code=code) if found and not lang else ""
        typer.echo(_("{code}: {lessons} of {all_lessons} lessons and {questions} of {all_questions} questions "
                     "translated and current; {verdict}{hint}").format(
            code=code, lessons=lessons, all_lessons=report.lessons, questions=questions,
            all_questions=report.questions, verdict=verdict, hint=hint), err=True)
    if (strict and count) or (lang and report.translation_problems.get(lang)):
        raise typer.Exit(1)


@app.command()
def translate(
    lesson: str = typer.Argument(..., help="A lesson id (see `tcptutor lessons`)."),
    lang: str = typer.Option("zh", "--lang", metavar="zh", help="The language to translate into."),
    content: str = CONTENT_OPTION,
) -> None:
    """Print a translation file to start from: the lesson's English texts, each with the
    hash of its English (`source`), to be replaced by the translation.

    Save it as translations/LANG/<the lesson's file name> in the content folder; `check --lang
    LANG` then says what is left. Texts already translated and current are kept as they are."""
    from .. import library
    from ..bank.content import compile_content, read_content
    from ..lessons.translation import skeleton
    if lang not in library.TRANSLATED_LANGUAGES:
        typer.echo("tcptutor: " + _("no translations into {lang!r}: choose one of {languages}").format(
            lang=lang, languages=", ".join(library.TRANSLATED_LANGUAGES)), err=True)
        raise typer.Exit(2)
    with reported_errors():
        course, _ = compile_content(read_content(content))
    found = next((x for x in course.lessons if x.id == lesson), None)
    if found is None:
        typer.echo(f"tcptutor: no lesson {lesson!r}; lessons: {', '.join(x.id for x in course.lessons)}", err=True)
        raise typer.Exit(2)
    existing = next((tr for tr in course.translations if tr.lang == lang and tr.lesson == lesson), None)
    typer.echo(skeleton(found, lang, existing), nl=False)


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
            titles = queries.lesson_titles(session, i18n.language())
            topics = queries.topic_titles(session, i18n.language())
    if json_output:
        print_json([{**r.to_json(), "title": titles.get(r.id, r.title)} for r in rows])
        return
    english = i18n.language() == "en"
    for r in rows:
        typer.echo(f"{r.id:<18} {titles.get(r.id, r.title)}")
        typer.echo(f"{'':<18} " + _("topics: {topics} · {count} questions ({predict} predict)").format(
            topics=", ".join(r.topics) if english else "、".join(topics.get(t, t) for t in r.topics),
            count=r.questions, predict=r.predict))


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
            i18n.set_titles(queries.scenario_titles(session, i18n.language()))
            translated = queries.translations(session, i18n.language(), "lesson", [lesson]).get(lesson)
            if translated:
                markdown = translated["markdown"]
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
