"""`tcptutor practice` (interactive) and `tcptutor progress`."""

from __future__ import annotations

import getpass
import os
import random
import sys
from datetime import datetime

import typer
from sqlalchemy.orm import Session

from ..bank import attempts, queries
from ..grading.answers import Unreadable
from ..grading.grader import grade, parse_answer
from ..grading.misconceptions import BY_ID
from ..grading.textsafe import ECHO_LIMIT, printable
from ..practice.scheduler import choose_next, misconception_counts, suggestions, topic_mastery
from ..questions.variants import make_variant
from ..render.ladder import render_ladder
from . import app
from .common import DB_OPTION, open_bank, plural, print_json, reported_errors
from .quiz import render_variant

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


def _answer_fields(variant) -> dict[str, str]:
    """Prompt for each field; unreadable input is explained and asked again, never graded."""
    given: dict[str, str] = {}
    try:
        for name, expected in variant.expected.items():
            while True:
                text = _ask(f"{name} ({expected.label})")
                parsed = parse_answer(expected, text, variant) if text.strip() else Unreadable(text, "an answer")
                if isinstance(parsed, Unreadable):
                    typer.echo(f"    ? {parsed}. Not counted; try again.")  # str() quotes only the start
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
    rng = random.Random(seed if seed is not None else int.from_bytes(os.urandom(8), "big"))
    with reported_errors():
        engine = open_bank(db)
        name = _student_name(student)
        sid = attempts.student_id(engine, name)
        pool = attempts.candidates(engine, lesson=lesson, topic=topic, kind=kind)
        if not pool:
            raise queries.NotFound("no questions match; see `tcptutor quiz list` and `tcptutor lessons`")
    if callable(getattr(sys.stdin, "reconfigure", None)):  # bytes that are not UTF-8 (a GBK terminal)
        sys.stdin.reconfigure(errors="replace")  # become U+FFFD: unreadable, asked again, no traceback
    typer.echo(f"Practice for {name}: {count} question{'s' if count != 1 else ''}. Ctrl-C stops and keeps your answers.\n")
    asked: list[str] = []
    scores: list[float] = []
    seen: dict[str, int] = {}
    for number in range(1, count + 1):
        chosen = choose_next(pool, attempts.history(engine, sid), datetime.now(), asked, rng)
        with Session(engine) as session:
            loaded = queries.load_question(session, chosen.question_id)
        variant_seed = rng.randrange(1_000_000)
        variant = make_variant(loaded.question, variant_seed, loaded.scenarios)
        typer.echo(f"── Question {number}/{count} " + "─" * 50)
        typer.echo(render_variant(variant) + "\n")
        complete = True
        try:
            given = _answer_fields(variant)
        except _Interrupted as stop:
            given, complete = stop.given, False
        result = grade(variant, given, interrupted=not complete)
        if not complete:
            # The fields not reached are stored as unanswered (no credit), so the attempt's
            # score is what was answered over all fields, the same in the summary and `progress`.
            if given:
                _kept_notice(engine, attempts.record(
                    engine, student=sid, question_id=loaded.question.id, version_id=loaded.version_id,
                    seed=variant_seed, grade=result, now=datetime.now(), complete=False))
                scores.append(result.score)
                for f in result.fields:
                    if f.misconception:
                        seen[f.misconception] = seen.get(f.misconception, 0) + 1
            _summary(scores, seen, stopped=True, answered=len(given))
            raise typer.Exit(130)
        _kept_notice(engine, attempts.record(engine, student=sid, question_id=loaded.question.id,
                                             version_id=loaded.version_id, seed=variant_seed, grade=result,
                                             now=datetime.now()))
        asked.append(loaded.question.id)
        typer.echo("")
        for f in result.fields:
            credit = " (partial credit)" if f.credit and f.verdict != "correct" else ""
            typer.echo(f"  {MARK[f.verdict]} {f.field} = {printable(f.given, limit=ECHO_LIMIT)}{credit}")
            typer.echo(f"      {f.feedback}")
            if f.misconception:
                seen[f.misconception] = seen.get(f.misconception, 0) + 1
        if result.score is not None:
            scores.append(result.score)
        if variant.trace is not None:
            marked = {e.segment["n"] for e in variant.expected.values() if e.segment}
            typer.echo("\n" + render_ladder(variant.trace, width=80, highlight=marked))
        if loaded.question.kind == "predict":
            typer.echo(f"\n  Why: {variant.explanation}")
        running = sum(scores) / len(scores) if scores else 0.0
        typer.echo(f"\n  score {result.score if result.score is not None else 'n/a'} · running {running:.0%}\n")
    _summary(scores, seen)


def _kept_notice(engine, attempt_id: int | None) -> None:
    """record() keeps an answer the busy bank could not take; say where, and that it is not lost."""
    if attempt_id is None:
        typer.echo(f"tcptutor: the bank is busy; your answer is kept in {attempts.pending_path(engine)} "
                   "and stored the next time tcptutor starts", err=True)


def _summary(scores: list[float], seen: dict[str, int], *, stopped: bool = False, answered: int = 0) -> None:
    typer.echo("── Summary " + "─" * 60)
    if stopped:
        typer.echo(f"Stopped. Every answer so far is saved ({answered} in the unfinished question).")
    if scores:
        typer.echo(f"{len(scores)} question(s), average score {sum(scores) / len(scores):.0%}.")
    for mid, n in sorted(seen.items(), key=lambda kv: -kv[1]):
        typer.echo(f"  misconception: {BY_ID[mid].title} (×{n})")
    typer.echo("See your mastery with `tcptutor progress`.")


@app.command()
def progress(
    student: str = STUDENT_OPTION,
    json_output: bool = typer.Option(False, "--json", help="Print as JSON."),
    db: str = DB_OPTION,
) -> None:
    """Mastery per topic, recent accuracy, frequent misconceptions and what to practise next."""
    with reported_errors():
        engine = open_bank(db)
        name = _student_name(student)
        sid = attempts.student_id(engine, name)
        history = attempts.history(engine, sid)
        with Session(engine) as session:
            from ..bank import models

            topics = {t.id: t.title for t in session.query(models.Topic).all()}
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
    typer.echo(f"Progress of {name}: {plural(len(history), 'attempt')}")
    if recent:
        typer.echo(f"Recent accuracy (last {len(recent)}): {data['recent_accuracy']:.0%}")
    typer.echo("")
    for t, m in sorted(mastery.items(), key=lambda kv: -kv[1].value):
        bar = "█" * round(m.value * 20) + "·" * (20 - round(m.value * 20))
        typer.echo(f"  {t:<18} {bar} {m.value:4.0%}  ({plural(m.attempts, 'attempt')})")
    if data["misconceptions"]:
        typer.echo("\nMost frequent misconceptions:")
        for row in data["misconceptions"]:
            typer.echo(f"  {row['count']:>3} × {row['title']}")
    typer.echo("\nPractise next: " + ", ".join(f"tcptutor practice --topic {t}" for t in nxt))
