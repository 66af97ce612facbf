"""`tcptutor explain CAPTURE`: what each TCP segment of a real capture means."""

from __future__ import annotations

import shutil
from pathlib import Path

import typer

from ..i18n import NP_, _, pgettext
from . import app
from .common import print_json, reported_errors

VERDICTS = (NP_("verdict", "correct"), NP_("verdict", "wrong"), NP_("verdict", "unreadable"),
            NP_("verdict", "unanswered"))  # a graded field's verdict, said: pgettext("verdict", f.verdict)


@app.command()
def explain(
    capture: Path = typer.Argument(..., help="A pcap or pcapng file (Wireshark, tcpdump, `tcptutor export pcap`)."),
    json_output: bool = typer.Option(False, "--json", help="Print the explanation as JSON (format tcptutor.explain/1, docs/explain-json.md)."),
    absolute: bool = typer.Option(False, "--absolute", help="Show absolute seq/ack numbers instead of relative ones."),
    connection: int = typer.Option(0, "--connection", min=0, help="Only connection N (numbered from 1 in order of first packet)."),
    width: int = typer.Option(0, "--width", help="Width in columns (default: the terminal's, at most 120)."),
    quiz: int = typer.Option(0, "--quiz", min=0, metavar="N",
                             help="Instead: a quiz of N blanks (seq, ack, len) in the connection (--connection, default 1)."),
    seed: int = typer.Option(0, "--seed", help="With --quiz: which blanks (the same capture and seed, the same quiz)."),
    answers: list[str] = typer.Option(None, "--answer", metavar="FIELD=VALUE",
                                      help="With --quiz: grade these answers (repeat the option), as every question is graded."),
) -> None:
    """Explain a capture: each connection's ladder with both sides' states, what happened, the lab answers.

    Reads Ethernet (VLAN tags too), Linux cooked (tcpdump -i any), raw IP and loopback
    captures, IPv4 and IPv6. States are inferred by running the RFC 9293 state machine as an
    observer; what one capture point cannot know is said so.
    """
    from ..capture.explain import explain_packets
    from ..capture.pcapfile import CaptureError, read_capture

    with reported_errors():
        cap = read_capture(capture)
        exp = explain_packets(cap.packets, name=str(capture), frames=cap.frames, warnings=cap.warnings,
                              snaplen=cap.snaplen)
        if connection:
            if connection > len(exp.reports):
                raise CaptureError(str(capture), None, _("no connection {n}: the capture has {count}").format(
                    n=connection, count=len(exp.reports)))
            exp.reports = [exp.reports[connection - 1]]
    if quiz:
        _quiz(capture, exp, connection or 1, quiz, seed, answers or [], absolute, json_output, width)
        return
    if json_output:
        print_json(exp.to_json())
        return
    from ..render.capture import render_explanation

    columns = width or min(max(shutil.get_terminal_size((100, 24)).columns, 70), 120)
    typer.echo(render_explanation(exp, absolute=absolute, width=columns), nl=False)


def _quiz(capture: Path, exp, connection: int, count: int, seed: int, answers: list[str], absolute: bool,
          json_output: bool, width: int) -> None:
    """--quiz: print the blanks, or grade --answer FIELD=VALUE with the practice grader."""
    from ..capture.quiz import capture_id, quiz_variant
    from ..errors import InputError
    from ..render.capture import render_connection

    with reported_errors():
        rep = exp.reports[0] if len(exp.reports) == 1 else exp.reports[connection - 1]
        variant = quiz_variant(rep, capture_id(capture.read_bytes()), seed, count, relative=not absolute)
        given = {}
        for item in answers:
            name, sep, value = item.partition("=")
            if not sep or name.strip() not in variant.expected:
                raise InputError("--answer", None, _("{answer}: expected FIELD=VALUE with FIELD one of {fields}").format(
                    answer=repr(item), fields=", ".join(variant.expected)))
            given[name.strip()] = value
    if answers:
        from ..grading.grader import grade

        result = grade(variant, given)
        if json_output:
            print_json(result.to_json())
            return
        for f in result.fields:
            typer.echo(_("{field}: {verdict}. {feedback}").format(field=f.field, verdict=pgettext("verdict", f.verdict),
                                                                  feedback=f.feedback))
        typer.echo(_("score: {score:.2f}").format(score=result.score))
        return
    if json_output:
        print_json({"question": variant.question.id, "seed": seed, "prompt": variant.prompt,
                    "fields": [{"field": a.field, "what": a.what, "segment": a.segment} for a in variant.question.asks]})
        return
    blanks: dict[int, set[str]] = {}
    for a in variant.question.asks:
        blanks.setdefault(int(a.segment[1:]), set()).add(a.what)
    columns = width or min(max(shutil.get_terminal_size((100, 24)).columns, 70), 120)
    typer.echo(variant.prompt)
    typer.echo(render_connection(rep, absolute=absolute, width=columns, blanks=blanks))
    command = (f"tcptutor explain {capture} --quiz {count} --seed {seed}"
               + (f" --connection {connection}" if connection != 1 else "") + (" --absolute" if absolute else "")
               + " --answer FIELD=VALUE ...")
    typer.echo(_("Fields: {fields}  (answer with: {command})").format(
        fields=", ".join(a.field for a in variant.question.asks), command=command))
