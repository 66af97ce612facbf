"""`tcptutor course ...`: rosters, per-student variants, bulk grading, statistics."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import typer

from ..i18n import _, ngettext
from . import app
from .common import DB_OPTION, open_bank, plural, print_json, reported_errors

course = typer.Typer(help="Instructors: rosters, per-student variants, bulk grading, statistics.", no_args_is_help=True)
app.add_typer(course, name="course")

COURSE_OPTION = typer.Option(Path("."), "--course", help="The course folder (course.toml, roster.csv, sets/).")


def _problems(problems, count: int | None = None) -> None:
    for p in problems:
        typer.echo(f"tcptutor: {p}", err=True)
    if count is not None and count > len(problems):
        typer.echo("tcptutor: " + _("... and {count} more problems").format(count=count - len(problems)), err=True)


@course.command("init")
def init(
    folder: Path = typer.Argument(..., help="Folder to create the course in."),
    name: str = typer.Option(None, "--name", help="The course's name."),
) -> None:
    """Create a course folder with a sample roster and assessment set."""
    from ..course import service
    with reported_errors():
        c = service.init_course(folder, name=name)
    typer.echo(_("course {id} in {root}: edit roster.csv and sets/*.toml, then `{command}`").format(
        id=c.id, root=c.root, command=f"tcptutor course assign quiz1 --course {folder}"), err=True)


@course.command("assign")
def assign(
    set_name: str = typer.Argument(..., help="An assessment set: sets/SET.toml in the course folder."),
    course_dir: Path = COURSE_OPTION,
    force: bool = typer.Option(False, "--force", help="Apply an edited set file even though that changes grades."),
    db: str = DB_OPTION,
) -> None:
    """Give each student their own variant of every question; write handouts and the key."""
    from ..course import service
    with reported_errors():
        c = service.open_course(course_dir)
        service.load_set(c, set_name)  # a bad name, set or secret fails before the bank is opened
        service.course_secret(c, create=True)
        report = service.assign(open_bank(db), c, set_name, force=force)
    _problems(report.roster_problems)
    typer.echo(_("{students} students × {questions} questions ({new} new assignments)").format(
        students=report.students, questions=report.questions, new=report.new_assignments), err=True)
    typer.echo(_("handouts: {path}").format(path=report.handouts), err=True)
    typer.echo(_("answer key: {path}").format(path=report.key), err=True)


@course.command("grade")
def grade(
    set_name: str = typer.Argument(..., help="The assessment set."),
    submissions: Path = typer.Argument(..., help="CSV: long (student,question,field,answer) or wide (student,QID.field,...)."),
    form: str = typer.Option("auto", "--form", help="long, wide or auto (detected from the header)."),
    course_dir: Path = COURSE_OPTION,
    json_output: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    db: str = DB_OPTION,
) -> None:
    """Grade every submitted answer; write the gradebook and one feedback file per student."""
    from ..course import files
    with reported_errors():
        files.checked_name("set name", set_name)  # before any path is built or bank opened
        c = files.open_course(course_dir)
        report, digest = _graded_before(db, c, set_name, submissions, form)
        if report is None:
            from ..course import service

            report = service.grade_submissions(open_bank(db), c, set_name, submissions, form=form, digest=digest)
    _report(report, json_output)


def _graded_before(db: str | None, course, set_name: str, submissions: Path, form: str):
    """(the last run's report, None) when this file was graded before and nothing changed
    since, read through sqlite3 alone on an up-to-date SQLite bank (bank.lite), so a repeated
    run imports neither SQLAlchemy nor the grader; (None, the file's digest) when it was not,
    so grading need not ask again; (None, None) when this cannot tell (another bank, or a file
    that cannot be read): grade_submissions asks, and says why a file cannot be read."""
    from ..bank.lite import open_current
    from ..course import again

    connection = open_current(db)
    if connection is None:
        return None, None
    with contextlib.closing(connection):
        try:
            digest = again.file_digest(submissions, str(submissions), form)
        except OSError:
            return None, None
        report = again.graded_before(connection, course, set_name, digest)
    return (report, None) if report is not None else (None, digest)


def _report(report, json_output: bool) -> None:
    problems = report.sorted_problems()  # in line order, as the instructor reads the file
    if json_output:
        print_json({"rows": report.rows, "students": report.students, "graded": report.graded,
                    "unchanged": report.unchanged, "problems": [str(p) for p in problems],
                    "problem_count": report.problem_count, "gradebook": str(report.gradebook),
                    "encoding": report.encoding})
    else:
        if report.encoding:
            typer.echo("tcptutor: " + _("note: the submissions were read as {encoding}").format(encoding=report.encoding),
                       err=True)
        _problems(problems, report.problem_count)
        typer.echo(_("{answers} from {students}: {graded} graded, {unchanged} unchanged, {problems}").format(
            answers=ngettext("{count} answer", "{count} answers", report.rows).format(count=report.rows),
            students=ngettext("{count} student", "{count} students", report.students).format(count=report.students),
            graded=ngettext("{count} attempt", "{count} attempts", report.graded).format(count=report.graded),
            unchanged=report.unchanged,
            problems=ngettext("{count} problem", "{count} problems", report.problem_count).format(
                count=report.problem_count)), err=True)
        typer.echo(_("gradebook: {path}").format(path=report.gradebook), err=True)
        if report.feedback:
            typer.echo(_("feedback: {path}").format(path=report.feedback), err=True)
    if report.problem_count:
        raise typer.Exit(1)


@course.command("regrade")
def regrade(
    set_name: str = typer.Argument(..., help="The assessment set."),
    current_versions: bool = typer.Option(False, "--current-versions", help="Move students to the questions' current versions first."),
    course_dir: Path = COURSE_OPTION,
    db: str = DB_OPTION,
) -> None:
    """Re-score the stored answers of a set (after a question or the grader changed)."""
    from ..course import service
    with reported_errors():
        service.checked_name("set name", set_name)  # before any path is built or bank opened
        c = service.open_course(course_dir)
        report = service.regrade(open_bank(db), c, set_name, current_versions=current_versions)
    for move in report.key_moves:  # what changed in the answer keys, and why
        examples = "; ".join(f"{s} {f}: {old} -> {new}" for s, f, old, new in move.examples)
        typer.echo(f"{move.question_id}: the key moved for {plural(move.keys, 'student')} because {move.why}; "
                   f"{plural(move.grades, 'grade')} changed (e.g. {examples})", err=True)
    _report(report, False)


@course.command("stats")
def stats(
    set_name: str = typer.Argument(..., help="The assessment set."),
    course_dir: Path = COURSE_OPTION,
    json_output: bool = typer.Option(False, "--json", help="Print as JSON."),
    csv_file: Path = typer.Option(None, "--csv", help="Also write the per-question table as CSV."),
    plots: Path = typer.Option(None, "--plots", help="Write SVG plots (score histogram, misconceptions) to this folder."),
    db: str = DB_OPTION,
) -> None:
    """Facility and discrimination per question, error rates, misconceptions, topic mastery."""
    from ..course import service
    from ..course.files import atomic_file, write_private
    from ..course.stats import bar_chart_svg
    from ..grading.misconceptions import BY_ID
    import csv

    from ..course.csvsafe import safe_row

    with reported_errors():
        service.checked_name("set name", set_name)  # before any path is built or bank opened
        c = service.open_course(course_dir)
        data = service.set_statistics(open_bank(db), c, set_name)
    try:
        if csv_file:
            with atomic_file(csv_file, newline="") as f:  # instructor-only: 0600 whatever the umask
                w = csv.writer(f)
                w.writerow(["question", "points", "students", "facility", "discrimination", "upper_lower"])
                for row in data["items"]:
                    w.writerow(safe_row([row[k] for k in ("question", "points", "students", "facility", "discrimination", "upper_lower")]))
        if plots:
            plots.mkdir(parents=True, exist_ok=True)
            write_private(plots / "scores.svg", bar_chart_svg("Score distribution (% of points)", list(data["score_histogram"].items())))
            bars = [(BY_ID[r["id"]].title if r["id"] in BY_ID else r["id"], r["count"]) for r in data["misconceptions"][:12]]
            write_private(plots / "misconceptions.svg", bar_chart_svg("Most frequent misconceptions", bars, horizontal=True))
    except OSError as err:
        typer.echo(f"tcptutor: {err.filename or csv_file or plots}: cannot write: {err.strerror or err}", err=True)
        raise typer.Exit(2) from None
    if json_output:
        print_json(data)
        return
    typer.echo(_("{students} students · mean {mean}% · median {median}%").format(
        students=data["students"], mean=data["mean_percent"], median=data["median_percent"]) + "\n")
    typer.echo(f"{'question':<30} {'facility':>8} {'discr.':>7} {'upper-lower':>11}")
    for r in data["items"]:
        fmt = lambda x: "-" if x is None else f"{x:.2f}"  # noqa: E731
        typer.echo(f"{r['question']:<30} {fmt(r['facility']):>8} {fmt(r['discrimination']):>7} {fmt(r['upper_lower']):>11}")
    typer.echo("\n" + _("field error rates:"))
    for r in data["fields"]:
        rate = "-" if r["error_rate"] is None else f"{r['error_rate']:.0%}"
        typer.echo(f"  {r['question'] + '.' + r['field']:<38} {rate:>5} " + _("wrong  ({count} unreadable)").format(
            count=r["unreadable"]))
    if data["misconceptions"]:
        typer.echo("\n" + _("misconceptions:"))
        for r in data["misconceptions"]:
            title = BY_ID[r["id"]].title if r["id"] in BY_ID else r["id"]
            typer.echo(f"  {r['count']:>5} × {title}")
    typer.echo("\n" + _("topic mastery (mean, median):"))
    for topic, t in data["topics"].items():
        typer.echo(f"  {topic:<18} {t['mean']:.2f} {t['median']:.2f}  {json.dumps(t['histogram'])}")
