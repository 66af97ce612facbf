"""`tcptutor lab`'s picture: the kernel run's ladder beside the simulator's, row by row.

Pure: a LabRun's parts in, text out. Each row is one segment of the kernel run and the
simulator's segment paired with it (tcptutor.lab.compare.align); an empty half is a segment
only the other side sent. Between the rows, each side's state changes as it saw them (the
kernel's read from /proc/net/tcp during the run). The middle column marks each row:
blank when both agree, ~ within the kernel's timer slack, ≠ different, + one side only;
the reasons follow the picture, by row number.
"""

from __future__ import annotations

from .. import i18n
from ..i18n import _, local, pgettext
from ..segment_flags import wireshark_flags
from ..lab import compare
from .ladder import endpoint, state
from .width import GLUE, ljust, rjust, truncate

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


def _state(name: str) -> str:
    return state(name).replace(GLUE, " ")


def _state_line(change: dict, width: int) -> str:
    text = _("{endpoint}: {before} → {after}").format(endpoint=endpoint(change["endpoint"]),
                                                       before=_state(change["before"]), after=_state(change["after"]))
    if change["endpoint"] == "server":
        text = rjust(text, width)
    return f"{change['t']:7.3f} │{ljust(truncate(text, width), width)}│"


def _finals(final: dict) -> str:
    """Both ends' final states, as the English picture has always shown them (a dict)."""
    if i18n.language() == "en":
        return str(final)
    return pgettext("list", ", ").join(f"{endpoint(e)} {_state(s)}" for e, s in final.items())


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
    title = i18n.title(sim_json["title"]) if sim_json.get("title") else run.scenario_path
    if run.kernel == "both":
        head_k = _("KERNEL (Linux at both ends)")
    else:
        head_k = _("KERNEL (Linux, as the {kernel}; the {peer} is tcptutor)").format(
            kernel=endpoint(run.kernel), peer=endpoint("server" if run.kernel == "client" else "client"))
    head_s = _("SIMULATOR (profile {profile})").format(profile=run.profile)
    isns = dict(client=run.isns.get("client", "-"), server=run.isns.get("server", "-"))
    columns = (f"{rjust(_('time'), 7)}  {ljust(endpoint('client'), half - 12)}{rjust(endpoint('server'), 10)}")
    lines = [title,
             (_("ISNs: client {client}, server {server} (the kernel run's; the simulation uses the same); numbers "
                "relative") if relative else
              _("ISNs: client {client}, server {server} (the kernel run's; the simulation uses the same)")).format(**isns),
             f"{'':4}{ljust(truncate(head_k, half + 9), half + 9)}   {truncate(head_s, half + 9)}",
             f"{'':4}{columns}     {columns}"]
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
    shown = {f"{run_}_{e}": _state(final[e]) if final.get(e) else missing
             for run_, final, missing in (("kernel", final_k, "?"), ("sim", final_s, "None")) for e in ("client", "server")}
    lines.append(f"{'':>3} {rjust(_('final'), 7)}  " + _("client {kernel_client}, server {kernel_server}").format(**shown)
                 + f"{'':<4}{'' if final_k == final_s else '≠ '}"
                 + _("simulator: client {sim_client}, server {sim_server}").format(**shown))
    notes = [(i + 1, p) for i, p in enumerate(run.pairs) if p.status != compare.SAME]
    lines.append("")
    if run.agree and not notes:
        lines.append(_("The kernel and the simulator agree on every segment, time and final state."))
    else:
        lines.append(_("Differences (~ within the kernel's timer slack, ≠ different, + sent by one side only):"))
        who = {compare.KERNEL_ONLY: _("only the kernel run has it"), compare.SIMULATOR_ONLY: _("only the simulator has it")}
        for row, p in notes:
            what = who.get(p.status, "")
            why = local(p.reason) or (_("reason not known") if p.status != compare.SLACK else "")
            reason = pgettext("list", "; ").join(x for x in (what, why) if x)
            lines.append("  " + _("row {row} {mark} {reason}").format(row=row, mark=MARKS[p.status], reason=reason))
        if final_k != final_s:
            lines.append("  " + _("final states differ: kernel run {kernel}, simulator {simulator}").format(
                kernel=_finals(final_k), simulator=_finals(final_s)))
    return "\n".join(lines)
