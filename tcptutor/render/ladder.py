"""The ladder (sequence) diagram of a trace, as plain text for a person to read.

Input is a typed trace (tcptutor.tcp.trace.Trace; JSON: Trace.from_json). The client's
lifeline is on the left, the server's on the right; each segment is one horizontal
arrow from its sender to its receiver, in wire order. Each side has its own time
column, so an arrow shows its send time on the sender's side and its arrival time on
the receiver's side, and a state change shows the time it happened at that endpoint.

Everything here is pure: a trace in, a string out, no terminal calls and no colour.
The words are the active language's (tcptutor.i18n): under zh a state is drawn as
"同步已发送 SYN-SENT", its textbook name beside the RFC's. Every width is measured in
terminal columns (render.width), so wide Chinese characters keep the lifelines straight.
"""

from __future__ import annotations

from .. import i18n
from ..i18n import N_, NP_, _, pgettext
from ..segment_flags import wireshark_flags, wireshark_order
from ..tcp import analysis
from ..tcp.trace import Note, SegmentRecord, Trace, TraceEvent
from .width import GLUE, center as _center, display_width, ljust, rjust, truncate, wrap

ENDPOINTS = ("client", "server")
MAX_WIDTH = 100  # wider arrows only make it harder to tie a label to its ends
GAP = 1.0  # seconds of silence that earn a "⋮ ... later" separator
TIMER_NAMES = {
    "retransmission": NP_("timer", "RTO"),  # RFC 6298
    "syn": NP_("timer", "SYN RTO"),  # RFC 6298 5.7; Linux tcp_retransmit_timer on a SYN
    "synack": NP_("timer", "SYN-ACK RTO"),  # Linux inet_csk_reqsk_queue_prune / reqsk_timer_handler
    "time-wait": NP_("timer", "TIME-WAIT"),  # RFC 9293 3.6: 2 MSL
    "keepalive": NP_("timer", "keep-alive"),  # RFC 1122 4.2.3.6; Linux tcp_keepalive_timer
    "delayed-ack": NP_("timer", "delayed-ack"),  # RFC 1122 4.2.3.2; Linux tcp_delack_timer
    "persist": NP_("timer", "persist"),  # RFC 1122 4.2.2.17; Linux tcp_probe_timer
}
# The errors the simulator reports to the application (RFC 9293 3.10's "error: connection
# reset" and the like), marked for the catalogs: pgettext("connection error", text).
ERROR_TEXTS = (NP_("connection error", "connection reset"),
               NP_("connection error", "connection aborted due to user timeout"),
               NP_("connection error", "connection timed out: keep-alive probes unanswered"))
ENDPOINT_NAMES = (NP_("endpoint", "client"), NP_("endpoint", "server"), NP_("endpoint", "listener"))
# The states (RFC 9293 3.3.2), marked for the catalogs: pgettext("TCP state", name).
STATE_NAMES = (
    NP_("TCP state", "CLOSED"), NP_("TCP state", "LISTEN"), NP_("TCP state", "SYN-SENT"),
    NP_("TCP state", "SYN-RECEIVED"), NP_("TCP state", "ESTABLISHED"), NP_("TCP state", "FIN-WAIT-1"),
    NP_("TCP state", "FIN-WAIT-2"), NP_("TCP state", "CLOSE-WAIT"), NP_("TCP state", "CLOSING"),
    NP_("TCP state", "LAST-ACK"), NP_("TCP state", "TIME-WAIT"),
)


def state(name: str) -> str:
    """A state as the active language names it, the RFC name kept beside a translation
    ("同步已发送 SYN-SENT"), so the reader can match it to RFC 9293 and to `ss` output."""
    shown = pgettext("TCP state", name)
    return name if shown == name else f"{shown}{GLUE}{name}"


def note(n: Note | str) -> str:
    """A segment's note in the active language (an unknown note's text as it came)."""
    return pgettext("trace note", n.value) if isinstance(n, Note) else str(n)


def endpoint(name: str) -> str:
    """An endpoint's name in the active language (a spoofed source's name as it is)."""
    return pgettext("endpoint", name) if name in ENDPOINT_NAMES else name


def error_text(text: str) -> str:
    """An error reported to the application, in the active language (an unknown one as it came)."""
    return pgettext("connection error", text) if text in ERROR_TEXTS else text


def timer_label(kind: str) -> str:
    """A timer's short name in the active language ("RTO", "重传计时器 RTO")."""
    name = TIMER_NAMES.get(kind)
    return kind if name is None else pgettext("timer", name)


# ---------------------------------------------------------------------------
# Text formatting
# ---------------------------------------------------------------------------


def _t(seconds: float | None) -> str:
    """A time stamp: seconds with millisecond precision ("0.010", "240.030")."""
    return "" if seconds is None else f"{seconds:.3f}"


def _dur(seconds: float) -> str:
    """A duration for people: "10 ms", "1 s", "1.5 s", "4 min"."""
    s = round(seconds, 3)
    if s < 1:
        return f"{round(s * 1000):g} ms"
    if s >= 120 or (s >= 60 and s % 60 == 0):
        return f"{round(s / 60, 1):g} min"
    return f"{s:g} s"


def _wrap(text: str, width: int, **kw) -> list[str]:
    """Word wrap by columns that keeps state names like SYN-RECEIVED in one piece."""
    return wrap(text, width, **kw)


def _ordinal(k: int) -> str:
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


# Why-notes from the simulator worth showing on the arrow (they also stop a challenge ACK
# from being mistaken for a duplicate ACK).
NOTES_SHOWN = (Note.CHALLENGE_ACK, Note.FAST_RETRANSMIT, Note.SYN_COOKIE, Note.REPLY_TO_REPEATED_SYN,
               Note.ACK_OF_RETRANSMITTED_FIN, Note.KEEPALIVE_PROBE, Note.KEEPALIVE_RESET,
               Note.ZERO_WINDOW_PROBE)


def _flags(flags) -> str:
    """Flags as Wireshark writes them: [SYN, ACK], [FIN, ACK], [PSH, ACK]."""
    return wireshark_flags(flags)


def _label(s: SegmentRecord, rel: dict | None, dups: dict, wins: dict | None = None) -> str:
    """#n [FLAGS] seq= ack= len= mss= win=, then (retransmission) / (dup ACK).

    `win=` appears only where the sender's window changed (analysis.window_changes), so a
    closing window stands out and a constant one adds nothing."""
    seq, ack = rel[s.n] if rel else (s.seq, s.ack)
    parts = [f"#{s.n}", _flags(s.flags), f"seq={seq}"]
    if s.has("ACK"):
        parts.append(f"ack={ack}")
    if s.length:
        parts.append(f"len={s.length}")
    if s.mss:
        parts.append(f"mss={s.mss}")
    if wins and s.n in wins:
        parts.append(f"win={wins[s.n]}")
    if s.retransmission and s.note != Note.ZERO_WINDOW_PROBE:  # a repeated probe is still a probe
        parts.append(_("(retransmission)"))
    if s.note in NOTES_SHOWN:
        parts.append(f"({note(s.note)})")
    elif s.n in dups:
        orig, k = dups[s.n]
        parts.append(_("({nth} dup ACK of #{orig})").format(nth=_ordinal(k), k=k, orig=orig))
    return " ".join(parts)


def _timer_name(e: TraceEvent) -> str | None:
    """'RTO 1 s' or 'TIME-WAIT 4 min' for an event caused by a timer, else None."""
    timer = e.timer
    if not timer and not e.cause.is_timeout:
        return None
    timer = timer or {}
    kind = timer.get("kind") or (e.cause.timer if e.cause.is_timeout else "") or "retransmission"
    name = timer_label(kind)
    if timer.get("timeout") is not None:
        name += f" {_dur(timer['timeout'])}"
    return name


def _event_lines(e: TraceEvent) -> list[str]:
    """What an event contributes to its endpoint's column (possibly nothing).

    A user call, a timer expiry, an error and a state change are each worth a line;
    an event that only acknowledged something is already visible as its arrow.
    """
    lines = []
    if e.cause.is_call:
        lines.append(_("app: {call}").format(call=f"{e.cause.verb}({', '.join(map(str, e.cause.sizes))})"))
    timer = _timer_name(e)
    if timer:
        lines.append(_("timer: {timer} expired").format(timer=timer))
    if e.error:
        lines.append(f"✗ {error_text(e.error)}")
    before, after = e.state_before, e.state_after
    if after and after != before:
        lines.append(f"{state(before)} → {state(after)}" if before else f"→ {state(after)}")
    return lines


# ---------------------------------------------------------------------------
# Layout: [time] │ <interior> │ [time]
# ---------------------------------------------------------------------------


class _Grid:
    """Column geometry for one diagram: two time columns around two lifelines."""

    def __init__(self, width: int, tw: int):
        self.tw = tw
        self.inner = max(width - 2 * (tw + 2), 10)  # between the two lifelines
        self.half = self.inner // 2
        self.cell = self.half - 1  # room for text in one endpoint's half

    def row(self, ltime: str = "", mid: str = "", rtime: str = "", bar: str = "│") -> str:
        mid = ljust(truncate(mid, self.inner), self.inner)
        return f"{rjust(ltime, self.tw)} {bar}{mid}{bar} {rtime}".rstrip().replace(GLUE, " ")

    def cells(self, side: str, lines: list[str], time: str) -> list[str]:
        """Text in one endpoint's half, next to its lifeline; time on its side."""
        wrapped = [w for line in lines for w in _wrap(line, self.cell)]
        out = []
        for i, text in enumerate(wrapped):
            t = time if i == 0 else ""
            if side == "client":
                out.append(self.row(t, " " + text))
            else:
                out.append(self.row("", rjust(text, self.inner - 1) + " ", t))
        return out

    def pair(self, time: str, client: str, server: str) -> str:
        """One row with a text in each endpoint's half (initial and final states)."""
        mid = ljust(f" {client}", self.half) + rjust(f"{server} ", self.inner - self.half)
        return self.row(time, mid)

    def banner(self, text: str, time: str = "", center: bool = False) -> list[str]:
        """Text across the middle (waits, flood summaries) between dashed lifelines."""
        lines = _wrap(text, self.inner - 2, subsequent_indent="  ")
        return [self.row(time if i == 0 else "",
                         _center(line, self.inner) if center else f" {line}", bar="┊")
                for i, line in enumerate(lines)]

    def arrow(self, s: SegmentRecord, label: str, arrival_below: bool = False) -> list[str]:
        """One segment: a shaft from sender to receiver, cut short with ✕ if lost.

        arrival_below: the arrival time is on a later row of its own ("#n arrives")."""
        rightward = _rightward(s)
        lost = not s.delivered
        lost_word = _("lost")
        shaft = self.inner - (display_width(" ✕ " + lost_word) + 8 if lost else 1)
        above = []
        if display_width(label) + 4 > shaft:  # label does not fit in the shaft: put it above
            above = [self.row("", _center(w, self.inner)) for w in _wrap(label, self.inner - 2)]
            body = "─" * shaft
        else:
            body = _center(f" {label} ", shaft, "─")
        if rightward:
            mid = body + (f"✕ {lost_word}" if lost else "►")
            ltime, rtime = _t(s.sent_seconds), _t(s.arrived_seconds)
        else:
            mid = (f"{lost_word} ✕" if lost else "◄") + body
            mid = rjust(mid, self.inner)
            ltime, rtime = _t(s.arrived_seconds), _t(s.sent_seconds)
        if arrival_below:
            ltime, rtime = (ltime, "") if rightward else ("", rtime)
        return above + [self.row(ltime, mid, rtime)]


# ---------------------------------------------------------------------------
# Chronology: interleave events and segments, collapse floods
# ---------------------------------------------------------------------------


def _is_flood(kind: str, item) -> bool:
    """Spoofed-source traffic and the listener's bookkeeping for it."""
    if kind == "seg":
        return item.src not in ENDPOINTS or item.dst not in ENDPOINTS
    ep = item.endpoint
    if ep in ENDPOINTS:
        return False
    if ep == "listener":
        return item.peer not in (None, *ENDPOINTS)
    return True


def _chronology(segments: list[SegmentRecord], events: list[TraceEvent]) -> list[tuple[str, object]]:
    """Events and segments in one list, segments strictly in wire order.

    Each event comes right before the segments it sent; segments no event claims
    (spoofed SYNs, for example) are placed by their send time.
    """
    pos = {s.n: i for i, s in enumerate(segments)}
    owner: dict[int, int] = {}
    events = sorted(events, key=lambda e: e.at)  # stable: keeps same-instant order
    for i, e in enumerate(events):
        for n in e.sent:
            owner.setdefault(n, i)
    rows, k = [], 0
    for i, e in enumerate(events):
        while (k < len(segments) and segments[k].sent_at < e.at
               and owner.get(segments[k].n, -1) < i):
            rows.append(("seg", segments[k]))
            k += 1
        rows.append(("event", e))
        last = max((pos[n] for n in e.sent if n in pos), default=-1)
        while k <= last:
            rows.append(("seg", segments[k]))
            k += 1
    rows += [("seg", s) for s in segments[k:]]
    return rows


def _start(kind: str, item) -> float:
    return item.sent_seconds if kind == "seg" else item.at_seconds


def _end(kind: str, item) -> float:
    if kind == "seg":
        return item.arrived_seconds or item.sent_seconds
    return item.at_seconds


def _long_wait(before: float, after: float) -> bool:
    """More than GAP seconds between two rows (rounded to the microsecond: floats)."""
    return round(after - before, 6) > GAP


def _group(rows: list[tuple[str, object]], highlight=()) -> list[tuple[str, object]]:
    """Runs of consecutive flood rows become one ("flood", [rows]) entry.

    A run also ends at a silence longer than GAP, so SYN-ACK retries that come in
    waves show as one summary per wave, each after its "⋮ later" separator.
    """
    out: list[tuple[str, object]] = []
    latest = None
    for kind, item in rows:
        if _is_flood(kind, item) and not (kind == "seg" and item.n in highlight):
            joins = out and out[-1][0] == "flood" and not _long_wait(latest, _start(kind, item))
            if joins:
                out[-1][1].append((kind, item))
            else:
                out.append(("flood", [(kind, item)]))
        else:
            out.append((kind, item))
        latest = max(latest or 0.0, _end(kind, item))
    return out


def _rightward(s: SegmentRecord) -> bool:
    """Drawn left to right: the client's lifeline is on the left."""
    return s.src == "client" or s.dst == "server"


def _row_times(kind: str, item) -> dict[str, float]:
    """The times a row shows, by column ("left" is the client's, "right" the server's).

    A segment's own row shows its send time; its arrival time is counted separately
    (see _schedule), since it may have to be drawn further down."""
    if kind == "flood":
        return {"left": _start(*item[0])}
    if kind == "seg":
        return {"left" if _rightward(item) else "right": item.sent_seconds}
    return {"left" if item.endpoint == "client" else "right": item.at_seconds}


def _arrival(kind: str, item) -> tuple[str, float] | None:
    """(column, time) of a segment's arrival, if it arrives at a lifeline."""
    if kind != "seg" or item.arrived_at is None or not item.delivered:
        return None
    return ("right" if _rightward(item) else "left"), item.arrived_seconds


def _schedule(groups: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """Rows in an order in which each time column never goes back.

    Wire order alone does not do it: in a simultaneous close the two FINs cross, so the
    client's FIN arrives (0.040) after the server has already sent its own FIN (0.030),
    and an arrow drawn on one row would show the server's times going 0.040, 0.030.
    A segment's arrival stays on its arrow's row when no later row of the receiver's
    column shows an earlier time; otherwise the arrow's row shows only the send time
    ("sent") and the arrival gets its own row ("arrival") just before the receiver's
    first row at or after that time. Rows keep their order otherwise.
    """
    n = len(groups)
    later_min = {"left": [float("inf")] * (n + 1), "right": [float("inf")] * (n + 1)}
    for i in range(n - 1, -1, -1):
        kind, item = groups[i]
        times = dict(_row_times(kind, item))
        arrival = _arrival(kind, item)
        for col in later_min:
            t = times.get(col, float("inf"))
            if arrival and arrival[0] == col:
                t = min(t, arrival[1])
            later_min[col][i] = min(later_min[col][i + 1], t)
    out: list[tuple[str, object]] = []
    pending: list[tuple[float, int, str, SegmentRecord]] = []  # (time, order, column, segment)

    def flush(col: str, upto: float) -> None:
        due = sorted(p for p in pending if p[2] == col and round(p[0] - upto, 6) <= 0)
        for p in due:
            pending.remove(p)
            out.append(("arrival", p[3]))

    for i, (kind, item) in enumerate(groups):
        times = _row_times(kind, item)
        arrival = _arrival(kind, item)
        inline = arrival is not None and round(later_min[arrival[0]][i + 1] - arrival[1], 6) >= 0
        if inline:
            times = {**times, arrival[0]: arrival[1]}
        for col, t in times.items():
            flush(col, t)
        if arrival is not None and not inline:
            out.append(("sent", item))
            pending.append((arrival[1], i, arrival[0], item))
        else:
            out.append((kind, item))
    out += [("arrival", p[3]) for p in sorted(pending)]
    return out


def _spoof_range(names: list[str]) -> str:
    """spoof-1..spoof-128 (by number), or the single name."""
    def num(name: str) -> int:
        tail = name.rsplit("-", 1)[-1]
        return int(tail) if tail.isdigit() else 0
    ordered = sorted(set(names), key=num)
    return ordered[0] if len(ordered) == 1 else f"{ordered[0]}..{ordered[-1]}"


def _flood_summary(run: list[tuple[str, object]]) -> list[str]:
    """One line per kind of flood traffic in the run, in order of first appearance."""
    groups: dict[tuple, list] = {}
    for kind, item in run:
        if kind == "seg":
            inbound = item.src not in ENDPOINTS
            key = ("in" if inbound else "out", item.dst if inbound else item.src,
                   "-".join(wireshark_order(item.flags)))
        else:
            before, after = item.state_before, item.state_after
            if item.error:
                what = f"✗ {error_text(item.error)}"
            elif before != after and after == "SYN-RECEIVED":
                what = _("half-open connections ({state})").format(state=state(after))
            elif before != after:
                what = _("connections {before} → {after}").format(before=state(before), after=state(after))
            else:  # a timer or a receipt: its segments are summarised already
                continue
            key = ("event", item.endpoint, what)
        groups.setdefault(key, []).append(item)
    lines = []
    for (kind, who, what), items in groups.items():
        n = len(items)
        lost = sum(1 for s in items if kind in ("in", "out") and not s.delivered)
        if kind == "in":
            srcs = _spoof_range([s.src for s in items])
            line = "⋮ " + _("{count} spoofed {what}s from {sources} → {endpoint}").format(
                count=n, what=what, sources=srcs, endpoint=endpoint(who))
        elif kind == "out":
            retx = sum(1 for s in items if s.retransmission)
            line = "⋮ " + _("{endpoint} → {count} {what}s to spoofed sources").format(
                count=n, what=what, endpoint=endpoint(who))
            if retx:
                line += " " + _("(retransmissions: {count})").format(count=retx)
        else:
            peers = [e.peer for e in items if e.peer]
            counted = f"{n} × {what}" if what.startswith("✗") else _("{count} {what}").format(count=n, what=what)
            line = "⋮ " + _("{endpoint}: {what}").format(endpoint=endpoint(who), what=counted)
            line += f" ({_spoof_range(peers)})" if peers else ""
        if lost:
            line += " " + _("({count} lost)").format(count=lost)
        lines.append(line)
    return lines


# ---------------------------------------------------------------------------
# The diagram
# ---------------------------------------------------------------------------


def _header(trace: Trace, relative: bool, width: int, seed: int | None = None) -> list[str]:
    """Title, network parameters, and a one-sentence key to the two time columns.

    The caption names what made these numbers: the question variant's seed when the
    caller passes it, and the ISNs. The scenario's [net] seed only draws ISNs that the
    scenario leaves open; a question variant always sets them, so "seed 0" there would
    name a seed that played no part. It is shown only when it is not the default 0."""
    params = trace.params
    net = params.get("net", {})
    facts = []
    if "profile" in net:
        facts.append(_("profile {profile}").format(profile=net["profile"]))
    for key, fact in (("latency", N_("latency {duration} one way")), ("rto", N_("RTO {duration}")),
                      ("msl", N_("MSL {duration}")), ("time_wait", N_("TIME-WAIT {duration}"))):
        if net.get(key) is not None:
            facts.append(_(fact).format(duration=_dur(net[key])))
    isn = analysis.isns(trace)
    c = params.get("client", {}).get("isn", isn.get(("client", "server"), "?"))
    s = params.get("server", {}).get("isn", isn.get(("server", "client"), "?"))
    if seed is not None:
        facts.append(_("seed {seed}").format(seed=seed))
    elif net.get("seed"):
        facts.append(_("simulator seed {seed}").format(seed=net["seed"]))
    if not relative:
        facts.append(_("ISN client {client}, server {server}").format(client=c, server=s))
    text = [i18n.title(trace.title) if trace.title else _("TCP trace"), _(", ").join(facts)]  # ", ": Chinese lists take "，"
    if relative:
        text.append(_("seq/ack are relative (Wireshark style): seq counts from the sender's"
                      " ISN, ack from the receiver's (client ISN {client}, server ISN {server}).").format(client=c, server=s))
    text.append(_("Times in seconds: left column at the client, right column at the server;"
                  " an arrow leaves at the sender's time and arrives at the receiver's."))
    out = []
    for paragraph in text:
        if paragraph:
            out += _wrap(paragraph, width)
    return out


def _initial(events: list[TraceEvent], endpoint: str) -> str:
    for e in sorted(events, key=lambda e: e.at):
        if e.endpoint == endpoint and e.state_before:
            return e.state_before
    return "CLOSED"


def _tcb_line(e: TraceEvent) -> str:
    """The windows an event left, for `--tcb`: cwnd and ssthresh (RFC 5681), SND.WND and
    RCV.WND (RFC 9293 3.3.1); what the endpoint does not have yet is left out."""
    t = e.tcb
    parts = [f"{name}={value}" for name, value in (
        ("cwnd", t.cwnd), ("ssthresh", t.ssthresh), ("SND.WND", t.snd_wnd), ("RCV.WND", t.rcv_wnd))
        if value is not None]
    return "[" + " ".join(parts) + "]"


def render_ladder(trace: Trace, *, relative: bool = False, width: int = 80, highlight=(),
                  seed: int | None = None, tcb: bool = False) -> str:
    """The ladder diagram of `trace` in at most `width` columns, as one string.

    relative=True shows Wireshark-style relative seq/ack (see analysis.relative_numbers).
    Segments numbered in `highlight` (the ones a question asked about) are marked >> <<.
    seed: the question variant's seed, for the caption (a variant's trace cannot tell).
    tcb=True writes, beside the endpoint's lifeline, its windows after each event that
    changed them (cwnd, ssthresh, SND.WND, RCV.WND), wrapped to the width like any label.
    """
    width = min(width, MAX_WIDTH)
    segments = trace.segments
    events = trace.events
    rel = analysis.relative_numbers(trace) if relative else None
    dups = analysis.duplicate_acks(trace)
    wins = analysis.window_changes(trace)
    times = [0.0] + [e.at_seconds for e in events] + [s.sent_seconds for s in segments]
    tw = max(5, *(len(_t(t)) for t in times))
    grid = _Grid(width, tw)

    out = _header(trace, relative, width, seed) + [""]
    heading = ljust(" " + _("CLIENT"), grid.half) + rjust(_("SERVER") + " ", grid.inner - grid.half)
    out.append(grid.row(_("time"), heading, _("time")).replace("│", " "))
    out.append(grid.pair(_("start"), state(_initial(events, "client")), state(_initial(events, "server"))))

    latest = None
    shown_tcb: dict[str, str] = {}
    for kind, item in _schedule(_group(_chronology(segments, events), highlight)):
        if kind == "arrival":  # a crossing segment's arrival, on a row of its own
            side = "server" if _rightward(item) else "client"
            out += grid.cells(side, [_("#{n} arrives").format(n=item.n)], _t(item.arrived_seconds))
            latest = max(latest or 0.0, item.arrived_seconds)
            continue
        rows = item if kind == "flood" else [("seg" if kind == "sent" else kind, item)]
        start = _start(*rows[0])
        if latest is not None and _long_wait(latest, start):
            out += grid.banner("⋮ " + _("{duration} later").format(duration=_dur(start - latest)) + " ⋮", center=True)
        if kind == "flood":
            for i, line in enumerate(_flood_summary(rows)):
                out += grid.banner(line, _t(start) if i == 0 else "")
        elif kind in ("seg", "sent"):
            label = _label(item, rel, dups, wins)
            spoof = next((e for e in (item.src, item.dst) if e not in ENDPOINTS), None)
            if spoof:  # a spoofed source's segment drawn on its own: say whose it is
                label += f" ({'from' if item.src == spoof else 'to'} {spoof})"
            if item.n in highlight:
                label = f">> {label} <<"
            out += grid.arrow(item, label, arrival_below=kind == "sent")
        else:
            side = "client" if item.endpoint == "client" else "server"
            lines = _event_lines(item)
            if tcb and item.tcb is not None and item.endpoint in ENDPOINTS:
                line = _tcb_line(item)
                if shown_tcb.get(item.endpoint) != line:
                    shown_tcb[item.endpoint] = line
                    lines.append(line)
            if item.endpoint not in (None, *ENDPOINTS):
                lines = [_("{endpoint}: {what}").format(endpoint=endpoint(item.endpoint), what=line) for line in lines]
            out += grid.cells(side, lines, _t(item.at_seconds))
        if kind == "sent":
            latest = max(latest or 0.0, item.sent_seconds)
        else:
            latest = max([latest or 0.0] + [_end(k, i) for k, i in rows])

    final = trace.final
    out.append(grid.pair(_("final"), state(final.get("client", "?")), state(final.get("server", "?"))))
    return "\n".join(out)
