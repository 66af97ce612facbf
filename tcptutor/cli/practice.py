"""`tcptutor practice` (interactive) and `tcptutor progress`."""

from __future__ import annotations

import getpass
import os
import random
import sys
from datetime import datetime
from typing import TYPE_CHECKING

import typer

from .. import i18n
from ..i18n import _, ngettext
from . import app
from .common import DB_OPTION, open_bank, print_json, read_then_write, reported_errors

if TYPE_CHECKING:  # the engine is imported by the commands that run it: --help stays fast
    from ..practice.session import Answered, PracticeSession, Posed

STUDENT_OPTION = typer.Option(
    None, "--student", envvar="TCPTUTOR_STUDENT", help="Whose progress this is (default: your login name)."
)
MARK = {"correct": "✓", "wrong": "✗", "unreadable": "?", "unanswered": "–"}


def _student_name(student: str | None) -> str:
    return student or getpass.getuser()


class _Stop(Exception):
    """The student pressed Ctrl-C or closed the input."""


def _ask(label: str) -> str:
    try:
        return input(f"  {label}? ")
    except (KeyboardInterrupt, EOFError):
        raise _Stop from None


def _answer_fields(session: PracticeSession, posed: Posed) -> dict[str, str]:
    """Prompt for each field; unreadable input is explained and asked again, never graded."""
    given: dict[str, str] = {}
    try:
        for name, expected in posed.variant.expected.items():
            while True:
                text = _ask(f"{name} ({expected.label})" if i18n.language() == "en" else expected.label)
                unreadable = session.unreadable(posed, name, text)
                if unreadable is not None:
                    typer.echo("    ? " + _("{reason}. Not counted; try again.").format(reason=unreadable))  # str() quotes only the start
                    continue
                given[name] = text
                break
    except _Stop:
        raise _Interrupted(given) from None
    return given


class _Interrupted(Exception):
    def __init__(self, given: dict[str, str]):
        self.given = given


@app.command()
def practice(
    topic: str = typer.Option(None, "--topic", help="Only questions on this topic."),
    lesson: str = typer.Option(None, "--lesson", help="Only this lesson's questions."),
    kind: str = typer.Option(None, "--kind", help="Only this kind of question (e.g. predict)."),
    count: int = typer.Option(5, "--count", min=1, help="How many questions."),
    student: str = STUDENT_OPTION,
    seed: int = typer.Option(None, "--seed", help="Fix the random choices (for repeatable sessions)."),
    db: str = DB_OPTION,
) -> None:
    """Practise: answer questions, get immediate feedback, diagrams and explanations."""
    from ..grading.textsafe import ECHO_LIMIT, printable
    from ..render.ladder import render_ladder

    from ..bank import reads
    from ..practice.session import PracticeSession
    from .quiz import render_variant
    rng = random.Random(seed if seed is not None else int.from_bytes(os.urandom(8), "big"))
    english = i18n.language() == "en"  # field names are English identifiers: other languages show the labels
    with reported_errors():
        bank, writes = read_then_write(db)
        name = _student_name(student)
        session = PracticeSession.start(bank, name, rng, lesson=lesson, topic=topic, kind=kind,
                                        lang=i18n.language(), writes=writes)
        topic_names = reads.topic_titles(bank, i18n.language())
        i18n.set_titles(reads.scenario_titles(bank, i18n.language()))
    if callable(getattr(sys.stdin, "reconfigure", None)):  # bytes that are not UTF-8 (a GBK terminal)
        sys.stdin.reconfigure(errors="replace")  # become U+FFFD: unreadable, asked again, no traceback
    typer.echo(ngettext("Practice for {name}: {count} question. Ctrl-C stops and keeps your answers.",
                        "Practice for {name}: {count} questions. Ctrl-C stops and keeps your answers.",
                        count).format(name=name, count=count) + "\n")
    for number in range(1, count + 1):
        posed = session.next_question(datetime.now())
        typer.echo("── " + _("Question {number}/{count}").format(number=number, count=count) + " " + "─" * 50)
        typer.echo(render_variant(posed.variant, topic_names, names=english) + "\n")
        try:
            given = _answer_fields(session, posed)
        except _Interrupted as stop:
            _kept_notice(session, session.answer(posed, stop.given, datetime.now(), complete=False))
            _summary(session, stopped=True, answered=len(stop.given))
            raise typer.Exit(130) from None
        answered = session.answer(posed, given, datetime.now())
        _kept_notice(session, answered)
        result = answered.grade
        typer.echo("")
        for f in result.fields:
            credit = " " + _("(partial credit)") if f.credit and f.verdict != "correct" else ""
            shown = f.field if english else posed.variant.expected[f.field].label
            typer.echo(f"  {MARK[f.verdict]} {shown} = {printable(f.given, limit=ECHO_LIMIT)}{credit}")
            typer.echo(f"      {f.feedback}")
        if posed.variant.trace is not None:
            ladder = render_ladder(posed.variant.trace, width=80, highlight=posed.asked_segments, seed=posed.seed)
            typer.echo("\n" + ladder)
        if posed.loaded.question.kind == "predict":
            typer.echo("\n  " + _("Why: {explanation}").format(explanation=posed.variant.explanation))
        score = result.score if result.score is not None else _("n/a")
        typer.echo("\n  " + _("score {score} · running {running:.0%}").format(score=score, running=session.running_score) + "\n")
    _summary(session)


def _kept_notice(session: PracticeSession, answered: Answered) -> None:
    """record() keeps an answer the busy bank could not take; say where, and that it is not lost."""
    if answered.kept_pending:
        from ..bank import attempts
        typer.echo("tcptutor: " + _("the bank is busy; your answer is kept in {path} and stored the next time "
                                    "tcptutor starts").format(path=attempts.pending_path(session.writes())), err=True)


def _summary(session: PracticeSession, *, stopped: bool = False, answered: int = 0) -> None:
    from ..grading.misconceptions import BY_ID
    typer.echo("── " + _("Summary") + " " + "─" * 60)
    if stopped:
        typer.echo(_("Stopped. Every answer so far is saved ({answered} in the unfinished question).").format(answered=answered))
    if session.scores:
        typer.echo(_("{count} question(s), average score {average:.0%}.").format(
            count=len(session.scores), average=session.running_score))
    for mid, n in session.misconceptions_seen():
        typer.echo("  " + _("misconception: {title} (×{count})").format(title=BY_ID[mid].title, count=n))
    typer.echo(_("See your mastery with `tcptutor progress`."))


@app.command()
def progress(
    student: str = STUDENT_OPTION,
    json_output: bool = typer.Option(False, "--json", help="Print as JSON."),
    db: str = DB_OPTION,
) -> None:
    """Mastery per topic, recent accuracy, frequent misconceptions and what to practise next."""
    from ..bank import attempts
    from ..grading.misconceptions import BY_ID
    from ..practice.scheduler import misconception_counts, suggestions, topic_mastery
    from sqlalchemy.orm import Session
    with reported_errors():
        engine = open_bank(db)
        name = _student_name(student)
        sid = attempts.student_id(engine, name)
        history = attempts.history(engine, sid)
        with Session(engine) as session:
            from ..bank import queries

            topics = queries.topic_titles(session, i18n.language())
        mastery = topic_mastery(history, topics)
        recent = [a.score for a in history[-20:] if a.score is not None]
        misconceptions = misconception_counts(history).most_common(5)
        nxt = suggestions(mastery)
    data = {
        "student": name,
        "attempts": len(history),
        "recent_accuracy": round(sum(recent) / len(recent), 4) if recent else None,
        "topics": {t: {"title": topics[t], "mastery": m.value, "attempts": m.attempts} for t, m in mastery.items()},
        "misconceptions": [{"id": mid, "title": BY_ID[mid].title, "count": n} for mid, n in misconceptions if mid in BY_ID],
        "next": nxt,
    }
    if json_output:
        print_json(data)
        return
    from ..render.width import ljust

    def attempts_text(n: int) -> str:
        return ngettext("{count} attempt", "{count} attempts", n).format(count=n)

    typer.echo(_("Progress of {name}: {attempts}").format(name=name, attempts=attempts_text(len(history))))
    if recent:
        typer.echo(_("Recent accuracy (last {count}): {accuracy:.0%}").format(count=len(recent), accuracy=data["recent_accuracy"]))
    typer.echo("")
    from ..render.width import display_width
    width = 18 if i18n.language() == "en" else max([display_width(topics.get(t, t)) for t in mastery] + [18])
    for t, m in sorted(mastery.items(), key=lambda kv: -kv[1].value):
        bar = "█" * round(m.value * 20) + "·" * (20 - round(m.value * 20))
        typer.echo(f"  {ljust(t if i18n.language() == 'en' else topics.get(t, t), width)} {bar} {m.value:4.0%}  "
                   f"({attempts_text(m.attempts)})")
    if data["misconceptions"]:
        typer.echo("\n" + _("Most frequent misconceptions:"))
        for row in data["misconceptions"]:
            typer.echo(f"  {row['count']:>3} × {row['title']}")
    typer.echo("\n" + _("Practise next: {commands}").format(
        commands=", ".join(f"tcptutor practice --topic {t}" for t in nxt)))
