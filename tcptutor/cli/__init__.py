"""The `tcptutor` command: a thin Typer layer over the library.

Only this package prints and picks exit codes. A TcptutorError becomes one line on stderr
and its exit code (2 for bad input files), never a traceback.

Each command imports its work (SQLAlchemy, the grader, the simulator) inside its function,
so `tcptutor --help` pays only for Typer (bench/bench_startup.py measures it).
"""

from __future__ import annotations

import functools
import os

import typer

from .common import reported_errors

app = typer.Typer(
    name="tcptutor",
    help="Learn TCP by predicting what it does: lessons, a simulator, quizzes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(wanted: bool) -> None:
    """`--version`: answered before any command module does work (the version is a constant)."""
    if wanted:
        from .. import __version__

        typer.echo(f"tcptutor {__version__}")
        raise typer.Exit(0)


@app.callback()
def _tcptutor(
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                 help="Print tcptutor's version and exit."),
    lang: str = typer.Option(None, "--lang", metavar="en|zh",
                             help="Language of tcptutor's messages (default: TCPTUTOR_LANG, then LC_ALL/LANG)."),
) -> None:
    """Learn TCP by predicting what it does: lessons, a simulator, quizzes."""
    from .. import i18n  # stdlib gettext only: --help stays fast

    try:
        i18n.use(i18n.choose(lang, os.environ))
    except i18n.UnknownLanguage as err:
        typer.echo(f"tcptutor: {err}", err=True)
        raise typer.Exit(2) from None
    except OSError as err:  # a listed language whose catalog the installation lacks
        typer.echo(f"tcptutor: cannot read the message catalog ({err.strerror}: {err.filename})", err=True)
        raise typer.Exit(1) from None

# Registration order is the order `tcptutor --help` lists: students first, then instructors.
from . import practice as _practice  # noqa: E402,F401
from . import simulate as _simulate  # noqa: E402,F401
from . import lab as _lab  # noqa: E402,F401
from . import explain as _explain  # noqa: E402,F401
from . import bank as _bank  # noqa: E402,F401
from . import quiz as _quiz  # noqa: E402,F401
from . import course as _course  # noqa: E402,F401
from . import export as _export  # noqa: E402,F401


def _reporting(callback):
    """The command, run inside reported_errors(): an error escaping it is one line, not a traceback."""
    @functools.wraps(callback)  # Typer reads the options from the wrapped function's signature
    def run(*args, **kwargs):
        with reported_errors():
            return callback(*args, **kwargs)

    run.reports_errors = True
    return run


def _report_errors_everywhere(group: typer.Typer) -> None:
    """Every command, in every sub-group, also output written outside its own `with` block."""
    for command in group.registered_commands:
        if not getattr(command.callback, "reports_errors", False):
            command.callback = _reporting(command.callback)
    for sub in group.registered_groups:
        _report_errors_everywhere(sub.typer_instance)


_report_errors_everywhere(app)


def main() -> None:
    app()
