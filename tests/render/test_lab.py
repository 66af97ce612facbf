"""render_lab: the kernel run beside the simulator's, with no kernel needed (a LabRun built from
a simulation stands in for the kernel run: the picture is what is tested here)."""

from __future__ import annotations

from tcptutor import library
from tcptutor.lab import compare
from tcptutor.lab.session import LabRun, first_isns
from tcptutor.render.lab import render_lab
from tcptutor.tcp.simulator import simulate


def stand_in(name: str, change=None) -> LabRun:
    trace = simulate(library.load_scenario(name))
    sim = trace.to_json()
    kernel = [{k: v for k, v in s.items() if k not in ("sent_at", "arrived_at")} | {"t": s["sent_at"], "n": s["n"]}
              for s in sim["segments"]]
    if change:
        kernel = change(kernel)
    states = [{"t": e["at"], "endpoint": e["endpoint"], "before": e["state_before"], "after": e["state_after"]}
              for e in sim["events"] if e["state_before"] != e["state_after"]]
    real = {"segments": kernel, "states": states, "final": dict(trace.final)}
    return LabRun(name, "client", "rfc9293", real, trace, compare.align(kernel, sim["segments"], "client"),
                  first_isns(kernel))


def rows_of(picture: str) -> list[str]:
    return [line for line in picture.splitlines() if line[:3].strip().isdigit()]


def test_agreeing_runs_say_so_and_every_row_is_as_wide_as_the_others():
    run = stand_in("lost-data")
    picture = render_lab(run, width=140)
    rows = rows_of(picture)
    assert len(rows) == len(run.real["segments"])
    assert len({len(r) for r in rows}) == 1
    assert "agree on every segment, time and final state" in picture
    assert "client: SYN-SENT → ESTABLISHED" in picture
    assert "✕" in rows[3]  # the lost segment, on both sides


def test_a_late_segment_is_marked_and_explained_by_row():
    def late_final_ack(segments):
        segments[2] = {**segments[2], "t": segments[2]["t"] + 0.2}
        return segments

    picture = render_lab(stand_in("handshake", late_final_ack), width=140)
    row3 = rows_of(picture)[2]
    assert " ≠ " in row3
    assert "row 3 ≠ the kernel sent it 200 ms later" in picture


def test_relative_numbers_start_at_zero_on_both_sides():
    picture = render_lab(stand_in("handshake"), relative=True, width=120)
    first = rows_of(picture)[0]
    assert first.count("[SYN] seq=0") == 2


def test_a_narrow_terminal_still_gets_whole_rows():
    rows = rows_of(render_lab(stand_in("fast-retransmit"), width=60))
    assert len({len(r) for r in rows}) == 1 and all("│" in r for r in rows)
