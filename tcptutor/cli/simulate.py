"""`tcptutor simulate` and `tcptutor scenarios`."""

from __future__ import annotations

import shutil

import typer

from . import app
from .common import print_json, reported_errors


@app.command()
def simulate(
    scenario: str = typer.Argument(..., help="A scenario file, or the name of a shipped one (see `tcptutor scenarios`)."),
    json_output: bool = typer.Option(False, "--json", help="Print the trace as JSON (format tcptutor.trace/1)."),
    relative: bool = typer.Option(False, "--relative", help="Show Wireshark-style relative seq/ack numbers."),
    width: int = typer.Option(0, "--width", help="Diagram width in columns (default: the terminal's, at most 100)."),
) -> None:
    """Simulate a scenario and draw its ladder diagram (or print its trace)."""
    from .. import library
    from ..render.ladder import render_ladder
    from ..tcp.simulator import simulate as run_simulation
    with reported_errors():
        trace = run_simulation(library.load_scenario(scenario))
    if json_output:
        print_json(trace.to_json())
        return
    columns = width or min(max(shutil.get_terminal_size((80, 24)).columns, 60), 100)
    typer.echo(render_ladder(trace, relative=relative, width=columns))


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
    wide = max(len(r["name"]) for r in rows)
    for r in rows:
        typer.echo(f"{r['name']:<{wide}}  {r['title']}")
