"""`tcptutor lab`: a scenario on this machine's Linux kernel, beside the simulator."""

from __future__ import annotations

import shutil
from pathlib import Path

import typer

from ..i18n import _
from . import app
from .common import print_json, reported_errors


@app.command()
def lab(
    scenario: str = typer.Argument(..., help="A scenario file, or the name of a shipped one (see `tcptutor scenarios`)."),
    kernel: str = typer.Option("client", "--kernel", help="The endpoint the kernel plays: client or server (tcptutor plays the other), or both (two namespaces, the harness between them)."),
    profile: str = typer.Option("linux", "--profile", help="The simulator profile to compare with: linux or rfc9293."),
    json_output: bool = typer.Option(False, "--json", help="Print both runs and their pairing as JSON (docs/lab-json.md)."),
    pcap: Path = typer.Option(None, "--pcap", help="Also write the kernel run's packets to this pcapng file.", metavar="FILE"),
    relative: bool = typer.Option(False, "--relative", help="Show seq/ack relative to the ISNs, as Wireshark does."),
    width: int = typer.Option(0, "--width", help="Width in columns (default: the terminal's, at least 100)."),
    max_time: float = typer.Option(120.0, "--max-time", help="Refuse a scenario whose run would take longer than this many seconds (it runs in real time).", metavar="SECONDS"),
) -> None:
    """Run a scenario on this machine's real Linux TCP stack (root, in a private network
    namespace) and show it beside the simulator's run, marking every difference."""
    from .. import library
    from ..lab import session
    from ..render.lab import render_lab
    from ..tcp.profiles import PROFILES
    from .simulate import write_atomically

    with reported_errors():
        if kernel not in ("client", "server", "both"):
            raise session.LabError(_("--kernel must be client, server or both, not {kernel}").format(kernel=repr(kernel)))
        if profile not in PROFILES:
            raise session.LabError(_("--profile must be one of {profiles}, not {profile}").format(
                profiles=", ".join(sorted(PROFILES)), profile=repr(profile)))
        text, path = library.read_scenario(scenario)
        if (why := session.available()) is not None:
            raise session.LabError(why)
        try:
            run = session.run_lab(text, path, kernel=kernel, profile=profile, max_time=max_time)
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM: run_lab has already removed the namespace
            typer.echo("tcptutor: " + _("interrupted; the network namespace and its devices are removed"), err=True)
            raise typer.Exit(130) from None
        if pcap is not None:
            data = session.capture(run)
            write_atomically(pcap, data)
            typer.echo("tcptutor: " + _("wrote {path}").format(path=pcap), err=True)
    if json_output:
        print_json(run.to_json())
        return
    columns = width or max(shutil.get_terminal_size((140, 24)).columns, 100)
    from .. import i18n
    i18n.set_titles(library.shipped_titles(i18n.language()))
    typer.echo(render_lab(run, relative=relative, width=columns))

