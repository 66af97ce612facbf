"""`tcptutor lab`'s picture: the kernel run's ladder beside the simulator's, row by row.

Pure: a LabRun's parts in, text out. Each row is one segment of the kernel run and the
simulator's segment paired with it (tcptutor.lab.compare.align); an empty half is a segment
only the other side sent. Between the rows, each side's state changes as it saw them (the
kernel's read from /proc/net/tcp during the run). The middle column marks each row:
blank when both agree, ~ within the kernel's timer slack, ≠ different, + one side only;
the reasons follow the picture, by row number.
"""

from __future__ import annotations

from ..segment_flags import wireshark_flags
from ..lab import compare

MARKS = {compare.SAME: " ", compare.SLACK: "~", compare.DIFFERENT: "≠",
         compare.KERNEL_ONLY: "+", compare.SIMULATOR_ONLY: "+"}


def _label(seg: dict, n: int, isns: dict[str, int], relative: bool) -> str:
    seq, ack = seg["seq"], seg["ack"]
    if relative:
        seq = (seq - isns.get(seg["src"], 0)) % 2**32
        ack = (ack - isns.get(seg["dst"], 0)) % 2**32
    text = f"#{n} {wireshark_flags(seg['flags'])} seq={seq}"
    if "ACK" in seg["flags"]:
        text += f" ack={ack}"
    if seg["len"]:
        text += f" len={seg['len']}"
    return text


def _arrow(seg: dict, label: str, width: int) -> str:
    """A segment between the lifelines, as wide as the half allows: ──label──► or ◄──label──."""
    rightward = seg["src"] == "client" or (seg["dst"] == "server" and seg["src"] != "server")
    body = f" {label} "
    if len(body) > width - 3:
        body = body[: width - 4] + "…"
    lost = seg.get("fate") == "dropped"
    fill = width - len(body) - 1
    left, right = "─" * (fill // 2), "─" * (fill - fill // 2)
    if rightward:
        return f"{left}{body}{right}{'✕' if lost else '►'}"
    return f"{'✕' if lost else '◄'}{left}{body}{right}"


def _half(seg: dict | None, n: int, time_key: str, isns, relative: bool, width: int) -> str:
    if seg is None:
        return f"{'':>7} │{'':{width}}│"
    return f"{seg[time_key]:7.3f} │{_arrow(seg, _label(seg, n, isns, relative), width)}│"


def _state_line(change: dict, width: int) -> str:
    text = f"{change['endpoint']}: {change['before']} → {change['after']}"
    if change["endpoint"] == "server":
        text = text.rjust(width)
    return f"{change['t']:7.3f} │{text[:width]:<{width}}│"


def _attach(changes: list[dict], times: list[float | None]) -> dict[int, list[dict]]:
    """State changes by the row they follow: the last row whose segment was sent by then."""
    out: dict[int, list[dict]] = {}
    for change in changes:
        row = -1
        for i, t in enumerate(times):
            if t is not None and t <= change["t"] + 1e-9:
                row = i
        out.setdefault(row, []).append(change)
    return out


def sim_state_changes(trace_json: dict) -> list[dict]:
    return [{"t": e["at"], "endpoint": e["endpoint"], "before": e["state_before"], "after": e["state_after"]}
            for e in trace_json["events"] if e["state_before"] != e["state_after"]
            and e["endpoint"] in ("client", "server")]


def render_lab(run, *, relative: bool = False, width: int = 120) -> str:
    """The side-by-side picture of a LabRun, `width` columns wide (at least 80)."""
    half = max(30, (max(width, 80) - 23) // 2)
    sim_json = run.trace.to_json()
    kernel_times = [p.kernel["t"] if p.kernel else None for p in run.pairs]
    sim_times = [p.sim["sent_at"] if p.sim else None for p in run.pairs]
    kernel_states = _attach(run.real.get("states", []), kernel_times)
    sim_states = _attach(sim_state_changes(sim_json), sim_times)
    title = sim_json.get("title") or run.scenario_path
    if run.kernel == "both":
        head_k = "KERNEL (Linux at both ends)"
    else:
        head_k = f"KERNEL (Linux, as the {run.kernel}; the {'server' if run.kernel == 'client' else 'client'} is tcptutor)"
    head_s = f"SIMULATOR (profile {run.profile})"
    lines = [title,
             f"ISNs: client {run.isns.get('client', '-')}, server {run.isns.get('server', '-')} (the kernel run's; "
             f"the simulation uses the same){'; numbers relative' if relative else ''}",
             f"{'':4}{head_k[: half + 9]:<{half + 9}}   {head_s[: half + 9]}",
             f"{'':4}{'time':>7}  {'client':<{half - 12}}{'server':>10}     {'time':>7}  {'client':<{half - 12}}{'server':>10}"]
    for row in range(-1, len(run.pairs)):
        if row >= 0:
            p = run.pairs[row]
            left = _half(p.kernel, p.kernel["n"] if p.kernel else 0, "t", run.isns, relative, half)
            right = _half(p.sim, p.sim["n"] if p.sim else 0, "sent_at", run.isns, relative, half)
            lines.append(f"{row + 1:>3} {left} {MARKS[p.status]} {right}")
        ks, ss = kernel_states.get(row, []), sim_states.get(row, [])
        for i in range(max(len(ks), len(ss))):
            left = _state_line(ks[i], half) if i < len(ks) else f"{'':>7} │{'':{half}}│"
            right = _state_line(ss[i], half) if i < len(ss) else f"{'':>7} │{'':{half}}│"
            lines.append(f"{'':>3} {left}   {right}")
    final_k, final_s = run.real["final"], run.trace.final
    lines.append(f"{'':>3} {'final':>7}  client {final_k.get('client', '?')}, server {final_k.get('server', '?')}"
                 f"{'':<4}{'' if final_k == final_s else '≠ '}simulator: client {final_s.get('client')}, "
                 f"server {final_s.get('server')}")
    notes = [(i + 1, p) for i, p in enumerate(run.pairs) if p.status != compare.SAME]
    lines.append("")
    if run.agree and not notes:
        lines.append("The kernel and the simulator agree on every segment, time and final state.")
    else:
        lines.append("Differences (~ within the kernel's timer slack, ≠ different, + sent by one side only):")
        for row, p in notes:
            who = {compare.KERNEL_ONLY: "only the kernel run has it", compare.SIMULATOR_ONLY: "only the simulator has it"}
            what = who.get(p.status, "")
            reason = "; ".join(x for x in (what, p.reason or ("reason not known" if p.status != compare.SLACK else "")) if x)
            lines.append(f"  row {row} {MARKS[p.status]} {reason}")
        if final_k != final_s:
            lines.append(f"  final states differ: kernel run {final_k}, simulator {final_s}")
    return "\n".join(lines)
