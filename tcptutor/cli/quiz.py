"""`tcptutor quiz ...`: the questions of the bank."""

from __future__ import annotations

import typer

from .. import i18n
from ..i18n import N_, _
from . import app
from .common import DB_OPTION, open_bank, print_json, read_bank, reported_errors

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
    from ..bank import reads
    with reported_errors(), read_bank(db) as bank:
        rows = reads.questions(bank, lesson=lesson, topic=topic)
    if json_output:
        print_json([r.to_json() for r in rows])
        return
    for r in rows:
        typer.echo(f"{r.id:<28} {r.kind:<10} {', '.join(r.topics)}")


def _variant(db: str | None, qid: str, seed: int):
    """(loaded question, its variant, topic titles) in the language spoken, from one read of
    the bank (cli.common.read_bank)."""
    from ..bank import reads
    from ..questions.variants import make_variant

    lang = i18n.language()
    with read_bank(db) as bank:
        loaded = reads.localized(bank, reads.load_question(bank, qid), lang)
        i18n.set_titles(reads.scenario_titles(bank, lang))
        topics = reads.topic_titles(bank, lang)
    return loaded, make_variant(loaded.question, seed, loaded.scenarios), topics


def variant_json(variant) -> dict:
    q = variant.question
    out = {"question": q.id, "seed": variant.seed, "kind": q.kind, "topics": list(q.topics),
           "prompt": variant.prompt, "fields": [{"name": n, "label": e.label} for n, e in variant.expected.items()]}
    if q.options:
        out["options"] = [{"letter": chr(65 + i), "text": o.text} for i, o in enumerate(q.options)]
    if q.kind == "ordering":
        out["items"] = [{"letter": chr(65 + i), "text": q.items[j]} for i, j in enumerate(variant.order)]
    return out


KIND_NAMES = {"predict": N_("predict"), "single": N_("single choice"), "multiple": N_("multiple choice"),
              "truefalse": N_("true or false"), "ordering": N_("ordering"), "numeric": N_("numeric")}


def render_variant(variant, topic_names: dict[str, str] | None = None, *, names: bool = True) -> str:
    """The question as a student reads it. English names the kind and topics by their ids (what
    --kind and --topic take); another language by their names, `topic_names` giving the topics'.
    `names=False` lists the fields by label alone (practice, in a language other than English)."""
    data = variant_json(variant)
    ids = i18n.language() == "en" or topic_names is None
    kind = data["kind"] if ids else _(KIND_NAMES[data["kind"]])
    topics = data["topics"] if ids else [topic_names.get(t, t) for t in data["topics"]]
    head = _("{question} (seed {seed}) · {kind} · {topics}").format(
        question=data["question"], seed=data["seed"], kind=kind, topics=_(", ").join(topics))
    lines = [head, "", variant.prompt, ""]
    for o in data.get("options", []) + data.get("items", []):
        lines.append(f"  {o['letter']}. {o['text']}")
    if data.get("options") or data.get("items"):
        lines.append("")
    for f in data["fields"]:
        lines.append(f"  {f['name']}: {f['label']}" if names else f"  · {f['label']}")
    return "\n".join(lines)


SEED_OPTION = typer.Option(0, "--seed", help="Which variant (the same seed always gives the same numbers).")


@quiz.command("show")
def show_question(
    qid: str = typer.Argument(..., help="A question id (see `tcptutor quiz list`)."),
    seed: int = SEED_OPTION,
    json_output: bool = typer.Option(False, "--json", help="Print as JSON."),
    db: str = DB_OPTION,
) -> None:
    """A variant's prompt and the fields to answer."""
    with reported_errors():
        _loaded, variant, topics = _variant(db, qid, seed)
    if json_output:
        print_json(variant_json(variant))
    else:
        typer.echo(render_variant(variant, topics))


@quiz.command("key")
def answer_key(
    qid: str = typer.Argument(..., help="A question id."),
    seed: int = SEED_OPTION,
    json_output: bool = typer.Option(False, "--json", help="Print as JSON."),
    db: str = DB_OPTION,
) -> None:
    """The expected answers and the worked solution (for instructors)."""
    from ..grading.explain import worked_solutions
    from ..grading.grader import show
    from ..render.ladder import render_ladder

    with reported_errors():
        _loaded, variant, topics = _variant(db, qid, seed)
    solutions = worked_solutions(variant)
    if json_output:
        print_json({"question": qid, "seed": seed, "fields": variant.answer_key,
                    "solutions": solutions, "explanation": variant.explanation})
        return
    typer.echo(render_variant(variant, topics) + "\n")
    for name, e in variant.expected.items():
        typer.echo(f"  {name} = {show(e.value)}")
        typer.echo(f"      {solutions[name]}")
    typer.echo(f"\n{variant.explanation}")
    if variant.trace is not None:
        marked = {e.segment.n for e in variant.expected.values() if e.segment}
        typer.echo("\n" + render_ladder(variant.trace, width=80, highlight=marked, seed=variant.seed))


@quiz.command("grade")
def grade_answers(
    qid: str = typer.Argument(..., help="A question id."),
    answers: list[str] = typer.Argument(None, help="FIELD=ANSWER pairs, e.g. seq=1001 ack=0x1389."),
    seed: int = typer.Option(..., "--seed", help="The variant that was answered."),
    json_output: bool = typer.Option(False, "--json", help="Print as JSON."),
    no_carry: bool = typer.Option(False, "--no-carry-forward", help="No partial credit for answers that follow from an earlier wrong one."),
    student: str = typer.Option(None, "--student", help="Record the attempt for this student."),
    db: str = DB_OPTION,
) -> None:
    """Grade answers to a variant: a verdict, misconception and feedback per field."""
    from ..grading.textsafe import ECHO_LIMIT, printable, without_surrogates
    from datetime import datetime

    from ..bank import attempts
    from ..errors import InputError
    from ..grading.grader import grade

    with reported_errors():
        loaded, variant, _topics = _variant(db, qid, seed)
        given: dict[str, str] = {}
        for pair in answers or []:
            name, sep, value = pair.partition("=")
            if not sep:
                raise InputError("answers", None, _("expected FIELD=ANSWER, got {pair}; fields: {fields}").format(
                    pair=repr(pair), fields=", ".join(variant.expected)))
            if name.strip() not in variant.expected:
                raise InputError("answers", None, _("question {question} has no field {field}; fields: {fields}").format(
                    question=qid, field=repr(name.strip()), fields=", ".join(variant.expected)))
            given[name.strip()] = without_surrogates(value)  # argv bytes that are not UTF-8
        result = grade(variant, given, carry_forward=not no_carry)
        if student:
            engine = open_bank(db)
            attempts.record(engine, student=attempts.student_id(engine, student), question_id=qid,
                            version_id=loaded.version_id, seed=seed, grade=result, now=datetime.now(),
                            source="quiz")
    if json_output:
        print_json(result.to_json())
        return
    for f in result.fields:
        mark = {"correct": "✓", "wrong": "✗", "unreadable": "?", "unanswered": "–"}[f.verdict]
        typer.echo(f"{mark} {f.field} = {printable(f.given, limit=ECHO_LIMIT) or _('(none)')}: {f.feedback}")
    typer.echo(_("score: {score}").format(score=result.score if result.score is not None else _("n/a")))
