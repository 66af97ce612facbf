"""`tcptutor simulate` and `tcptutor scenarios`."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import typer

from ..i18n import _
from . import app
from .common import print_json, reported_errors


@app.command()
def simulate(
    scenario: str = typer.Argument(..., help="A scenario file, or the name of a shipped one (see `tcptutor scenarios`)."),
    json_output: bool = typer.Option(False, "--json", help="Print the trace as JSON (format tcptutor.trace/1)."),
    relative: bool = typer.Option(False, "--relative", help="Show Wireshark-style relative seq/ack numbers."),
    width: int = typer.Option(0, "--width", help="Diagram width in columns (default: the terminal's, at most 100)."),
    tcb: bool = typer.Option(False, "--tcb", help="Show cwnd, ssthresh and the windows beside the ladder after each event."),
    plot: Path = typer.Option(None, "--plot", help="Also write plots to this SVG file: cwnd over time and per round, and a time-sequence graph.",
                              metavar="FILE.svg"),
) -> None:
    """Simulate a scenario and draw its ladder diagram (or print its trace)."""
    from .. import library
    from ..render.ladder import render_ladder
    from ..tcp.simulator import simulate as run_simulation
    with reported_errors():
        trace = run_simulation(library.load_scenario(scenario))
        if plot is not None:
            from ..render.plot import render_plot
            write_atomically(plot, render_plot(trace))
            typer.echo("tcptutor: " + _("wrote {path}").format(path=plot), err=True)
    if json_output:
        print_json(trace.to_json())
        return
    columns = width or min(max(shutil.get_terminal_size((80, 24)).columns, 60), 100)
    from .. import i18n
    i18n.set_titles(library.shipped_titles(i18n.language()))
    typer.echo(render_ladder(trace, relative=relative, width=columns, tcb=tcb))


def write_atomically(path: Path, text: str | bytes) -> None:
    """Write `text` to `path` through a temporary file beside it and a rename, so that a
    reader never sees half a plot and a failed write leaves the old file as it was."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:  # name the path the user gave, not the temporary one
        raise OSError(err.errno, err.strerror, str(path)) from None
    try:
        with (os.fdopen(fd, "wb") if isinstance(text, bytes) else os.fdopen(fd, "w", encoding="utf-8")) as out:
            out.write(text)
        os.replace(tmp, path)
    except OSError as err:
        os.unlink(tmp)
        raise OSError(err.errno, err.strerror, str(path)) from None
    except BaseException:
        os.unlink(tmp)
        raise


@app.command()
def scenarios(json_output: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """List the shipped scenarios that `simulate NAME` accepts."""
    from .. import library
    rows = []
    with reported_errors():
        for name in library.scenario_names():
            rows.append({"name": name, "title": library.load_scenario(name).title})
    if json_output:
        print_json(rows)
        return
    from .. import i18n
    i18n.set_titles(library.shipped_titles(i18n.language()))
    wide = max(len(r["name"]) for r in rows)  # names are ASCII ids
    for r in rows:
        typer.echo(f"{r['name']:<{wide}}  {i18n.title(r['title'])}")
