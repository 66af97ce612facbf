"""`tcptutor export FORMAT --out PATH`."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import InputError
from ..i18n import N_, _, ngettext
from . import app
from .common import DB_OPTION, open_bank, reported_errors

WORDLESS = ("pcap",)  # formats with no question words: a language changes nothing in them
LANGUAGE_NAMES = {"zh": N_("Chinese")}


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
    lang: str = typer.Option(None, "--lang", metavar="en|zh",
                             help="Language of the exported words (default: tcptutor's own, `tcptutor --lang`). "
                                  "A question with no current translation stays in English."),
    db: str = DB_OPTION,
) -> None:
    """Export questions (and their answer keys, in a separate file) for an LMS, Anki or print."""
    from .. import i18n
    from ..export import MODULES, TRACE_FORMATS, _cache, check_destination, load_format, write_staged
    from ..export.select import collect
    with reported_errors():
        if lang is not None:  # the export's language is also that of every word tcptutor generates in it
            try:
                i18n.use(i18n.choose(lang, {}))
            except i18n.UnknownLanguage:
                raise InputError("--lang", None, _("unknown language {lang!r}; choose one of {choices}").format(
                    lang=lang, choices=", ".join(i18n.LANGUAGES))) from None
        lang = i18n.language()
        if format not in MODULES:
            raise InputError(format, None, _("unknown export format; expected one of {formats}").format(
                formats=", ".join(sorted(MODULES))))
        if scenario is not None:
            if format != "pcap":
                raise InputError("--scenario", None, _("only the pcap format exports a scenario's trace; "
                                                       "{format} exports questions").format(format=format))
            from ..export.pcap import write_scenario

            check_destination(out)
            written = write_staged(lambda destination: write_scenario(scenario, destination), out)
            for path in written:
                typer.echo(str(path))
            return
        check_destination(out, folder=format == "pcap")  # before the bank is opened: fail fast
        engine = open_bank(db)
        question_ids = None
        title = _("tcptutor questions")
        if set_name:
            from ..course.service import open_course, set_questions

            course = open_course(course_dir)
            title, question_ids = set_questions(engine, course, set_name)
        cache = None if format in TRACE_FORMATS else _cache.path_for(str(engine.url))
        with _cache.opened(cache):  # variants, ladders and parts kept beside the bank
            selection = collect(engine, lesson=lesson, topic=topic, question_ids=question_ids, variants=variants,
                                seed=seed, title=title, lang=lang)
            if not selection.items:
                raise InputError("export", None, _("no questions match the selection"))
            writer = load_format(format)
            written = write_staged(lambda destination: writer(selection, destination), out)
        if selection.untranslated and format not in WORDLESS:
            missing, total = len(selection.untranslated), len(selection.items)
            typer.echo("tcptutor: " + ngettext(
                "{missing} of {total} questions has no current {language} translation and is exported in English.",
                "{missing} of {total} questions have no current {language} translation and are exported in English.",
                missing).format(missing=missing, total=total, language=_(LANGUAGE_NAMES.get(lang, lang))), err=True)
    for path in written:
        typer.echo(str(path))
