"""The `tcptutor` command: a thin Typer layer over the library.

Only this package prints and picks exit codes. A TcptutorError becomes one line on stderr
and its exit code (2 for bad input files), never a traceback.
"""

from __future__ import annotations

import typer

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
) -> None:
    """Learn TCP by predicting what it does: lessons, a simulator, quizzes."""

# Registration order is the order `tcptutor --help` lists: students first, then instructors.
from . import practice as _practice  # noqa: E402,F401
from . import simulate as _simulate  # noqa: E402,F401
from . import bank as _bank  # noqa: E402,F401
from . import quiz as _quiz  # noqa: E402,F401
from . import course as _course  # noqa: E402,F401
from . import export as _export  # noqa: E402,F401


def main() -> None:
    app()
