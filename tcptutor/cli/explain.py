"""`tcptutor explain CAPTURE`: what each TCP segment of a real capture means."""

from __future__ import annotations

import shutil
from pathlib import Path

import typer

from . import app
from .common import print_json, reported_errors


@app.command()
def explain(
    capture: Path = typer.Argument(..., help="A pcap or pcapng file (Wireshark, tcpdump, `tcptutor export pcap`)."),
    json_output: bool = typer.Option(False, "--json", help="Print the explanation as JSON (format tcptutor.explain/1, docs/explain-json.md)."),
    absolute: bool = typer.Option(False, "--absolute", help="Show absolute seq/ack numbers instead of relative ones."),
    connection: int = typer.Option(0, "--connection", min=0, help="Only connection N (numbered from 1 in order of first packet)."),
    width: int = typer.Option(0, "--width", help="Width in columns (default: the terminal's, at most 120)."),
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
                raise CaptureError(str(capture), None, f"no connection {connection}: the capture has {len(exp.reports)}")
            exp.reports = [exp.reports[connection - 1]]
    if json_output:
        print_json(exp.to_json())
        return
    from ..render.capture import render_explanation

    columns = width or min(max(shutil.get_terminal_size((100, 24)).columns, 70), 120)
    typer.echo(render_explanation(exp, absolute=absolute, width=columns), nl=False)
