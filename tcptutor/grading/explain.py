"""Worked solutions: which rule gives each expected answer, read off the trace.

"1001 = 1000 + 1: the SYN (#1) consumes one sequence number" is what a student needs to
see, not just "1001". Every sentence is one message of the catalogs (tcptutor.i18n), its
values as placeholders, so a translation can put them where its own word order wants them.
"""

from __future__ import annotations

import re

from ..i18n import N_, NP_, _, language, ngettext, pgettext
from ..questions.expected import Expected
from ..questions.model import TIMER_KINDS
from ..segment_flags import wireshark_flags
from ..tcp import analysis
from ..tcp.trace import RESET_REPLIES, Cause, Note, SegmentRecord, Trace, TraceEvent

MOD = 2**32
STATES = ("CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2",
          "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT")
ENDPOINT_NAMES = ("client", "server", "listener")  # pgettext("endpoint", ...): the ladder's names


def state_name(name: str) -> str:
    """A state named in a sentence: the RFC name in English; under zh the textbook name with
    the RFC name beside it, 同步收到（SYN-RECEIVED）, so it matches both the book and `ss`."""
    local = pgettext("TCP state", name)
    return name if local == name else _("{local} ({rfc})").format(local=local, rfc=name)


def who(name: str) -> str:
    """An endpoint in the active language ("client", "客户端"); a spoofed source as it is."""
    return pgettext("endpoint", name) if name in ENDPOINT_NAMES else name


def timer_kind(kind: str) -> str:
    return pgettext("timer kind", kind) if kind in TIMER_KINDS else kind


def show(value: object) -> str:
    """An expected value the way a student would write it (every worked solution starts so);
    a state with its textbook name beside it under zh (state_name)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " → ".join(map(show, value))
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str) and value in STATES:
        return state_name(value)
    return str(value)


def with_value(shown: str, solution: str) -> str:
    """"<value>: <why>" with the value written once: a worked solution that already starts
    with the value (every predict one does: "1001 = 1000 + 1: ...") is returned as it is."""
    if solution == shown or solution.startswith((f"{shown}:", f"{shown}：", f"{shown} ")):
        return solution
    return _("{value}: {why}").format(value=shown, why=solution)


seg_len = analysis.seg_len


def describe(seg: SegmentRecord) -> str:
    """"#2 ([SYN, ACK] from the server)", "#4 (with 800 bytes from the client)": flags as
    Wireshark lists them, left out for a plain ACK or a data segment."""
    plain = {f for f in seg.flags if f != "PSH"} == {"ACK"}
    flags, sender = wireshark_flags(seg.flags), who(seg.src)
    if not seg.length:
        return _("#{n} ({flags} from the {sender})").format(n=seg.n, flags=flags, sender=sender)
    if plain:
        return _("#{n} (with {length} bytes from the {sender})").format(n=seg.n, length=seg.length, sender=sender)
    return _("#{n} ({flags} with {length} bytes from the {sender})").format(
        n=seg.n, flags=flags, length=seg.length, sender=sender)


def resent_original(seg: SegmentRecord, trace: Trace) -> SegmentRecord | None:
    """The segment a retransmission resends (see analysis.resent_original)."""
    return analysis.resent_original(trace, seg)


def _previous_ack(seg: SegmentRecord, trace: Trace) -> SegmentRecord | None:
    return next((s for s in reversed(_before(trace, seg)) if s.src == seg.src and s.has("ACK")
                 and not s.has("RST")), None)


def is_duplicate_ack(seg: SegmentRecord, trace: Trace) -> bool:
    """RFC 5681 2 "DUPLICATE ACKNOWLEDGMENT" (see analysis.duplicate_acks); a challenge ACK
    (RFC 5961) is none."""
    return analysis.is_duplicate_ack(trace, seg)


def _consumed(seg: SegmentRecord) -> str:
    parts = []
    if seg.has("SYN"):
        parts.append(_("its SYN takes one sequence number"))
    if seg.length:
        parts.append(_("its {length} data bytes take {length}").format(length=seg.length))
    if seg.has("FIN"):
        parts.append(_("its FIN takes one sequence number"))
    return pgettext("list", " and ").join(parts)


def _before(trace: Trace, seg: SegmentRecord) -> list[SegmentRecord]:
    return trace.segments[: seg.n - 1]


def _wrap(start: int, used: int) -> str:
    return _(" (modulo 2^32)") if start + used >= MOD else ""


def explain_seq(seg: SegmentRecord, trace: Trace) -> str:
    seq = seg.seq
    if seg.has("RST") and seg.note in RESET_REPLIES:
        if seg.has("ACK") and seq == 0:
            return _("0: a RST answering a segment that had no ACK uses seq 0 and acknowledges that segment "
                     "(RFC 9293 3.10.7.1)")
        return _("{seq}: a RST answering a segment that had an ACK takes that segment's ack as its seq "
                 "(RFC 9293 3.10.7.1)").format(seq=seq)
    if seg.note == Note.KEEPALIVE_PROBE:
        return _("{seq} = SND.NXT − 1: a keep-alive probe repeats the last sequence number the peer has already "
                 "acknowledged, so a live peer must answer it with an ACK (RFC 9293 3.8.4)").format(seq=seq)
    if seg.retransmission:
        original = resent_original(seg, trace)
        if original:
            if not original.delivered:
                return _("{seq}: a retransmission repeats the seq of the segment it resends, {segment}, which "
                         "was lost").format(seq=seq, segment=describe(original))
            return _("{seq}: a retransmission repeats the seq of the segment it resends, {segment}").format(
                seq=seq, segment=describe(original))
    if seg.has("SYN"):
        return _("{seq}: a SYN carries the sender's initial sequence number (ISN)").format(seq=seq)
    prev = analysis.seq_basis(trace, seg)
    if prev is not None:
        used = seg_len(prev)
        return _("{seq} = {start} + {used}{wrap}: {segment} started at {start} and {consumed}").format(
            seq=seq, start=prev.seq, used=used, wrap=_wrap(prev.seq, used), segment=describe(prev),
            consumed=_consumed(prev))
    mine = [s for s in _before(trace, seg) if s.src == seg.src and not s.has("RST")]
    if mine:
        prev = mine[-1]
        if prev.seq == seq:
            return _("{seq}: the same as {segment}, which carried no SYN, FIN or data, so it used up no sequence "
                     "number").format(seq=seq, segment=describe(prev))
    return _("{seq}: the sender's next sequence number (SND.NXT)").format(seq=seq)


def explain_ack(seg: SegmentRecord, trace: Trace) -> str:
    ack = seg.ack
    if not seg.has("ACK"):
        return _("0: the ACK flag is not set, so the acknowledgment field carries nothing (it is sent as 0)")
    sender, peer = who(seg.src), who(seg.dst)
    arrived = analysis.arrived_before(trace, seg)
    prev = analysis.ack_basis(trace, seg)
    if prev is not None:
        used = seg_len(prev)
        rule = _("{ack} = {start} + {used}{wrap}: ack is the next sequence number the {sender} expects; "
                 "{segment} started at {start} and {consumed}").format(
            ack=ack, start=prev.seq, used=used, wrap=_wrap(prev.seq, used), sender=sender,
            segment=describe(prev), consumed=_consumed(prev))
        return rule + _why_this_ack(seg, trace, prev, arrived)
    if seg.has("RST"):
        return _("{ack}: the RST acknowledges everything the segment it answers occupied (SEG.SEQ + SEG.LEN)").format(
            ack=ack)
    return _("{ack}: the next sequence number the {sender} expects from the {peer} (RCV.NXT)").format(
        ack=ack, sender=sender, peer=peer)


def _numbers_listed(segs) -> str:
    return pgettext("list", ", ").join(f"#{s.n}" for s in segs)


def _why_this_ack(seg: SegmentRecord, trace: Trace, basis: SegmentRecord, arrived: list[SegmentRecord]) -> str:
    """What kind of ACK this is, when that is the point: a challenge ACK, a duplicate ACK, or
    the cumulative ACK that fills a hole."""
    ack = seg.ack
    beyond = [s for s in arrived if seg_len(s) and 0 < (s.seq - ack) % MOD < MOD // 2]
    if seg.note == Note.CHALLENGE_ACK:
        return _("; this is a challenge ACK (RFC 5961 3.2, 4.2): the {sender} answers a RST or SYN "
                 "it cannot trust by restating what it expects").format(sender=who(seg.src))
    if is_duplicate_ack(seg, trace):
        if beyond:
            return _("; the byte at {ack} has not arrived ({segments} arrived beyond it, out of order), so the "
                     "ACK repeats ack {ack}: a duplicate ACK (RFC 5681 2)").format(ack=ack, segments=_numbers_listed(beyond))
        return _("; the byte at {ack} has not arrived, so the ACK repeats ack {ack}: "
                 "a duplicate ACK (RFC 5681 2)").format(ack=ack)
    if seg.note == Note.ACK_OF_UNACCEPTABLE:
        return _("; it answers a segment outside the {sender}'s receive window, which is not acceptable: "
                 "such a segment is dropped and answered with an ACK restating what is expected "
                 "(RFC 9293 3.10.7.4, first check)").format(sender=who(seg.src))
    # A hole filled: the previous ACK asked for the seq of the segment that just arrived, and
    # this one jumps past the data that had been held beyond it.
    last = max((s for s in arrived if seg_len(s)), key=lambda s: (s.arrived_at, s.n), default=None)
    previous = _previous_ack(seg, trace)
    if (last is not None and last.n != basis.n and previous is not None and previous.ack == last.seq
            and not last.has("SYN") and basis.arrived_at <= last.arrived_at):
        return _("; {segment} filled the hole at {seq}, so this cumulative ACK also covers "
                 "#{n}, which had arrived out of order and was held (RFC 9293 3.10.7.4)").format(
            segment=describe(last), seq=last.seq, n=basis.n)
    return ""


_FLAG_REASONS = {
    "SYN": N_("a SYN opens the sender's direction and carries its ISN; no ACK yet, since nothing has been received"),
    "SYN+ACK": N_("the reply to a SYN acknowledges it (ACK) and opens the replier's own direction (SYN)"),
    "ACK": N_("a pure ACK: it acknowledges without carrying SYN, FIN or data"),
    "FIN+ACK": N_("FIN says the sender has no more data; after the handshake every segment carries ACK"),
    "RST": N_("a reset: the connection is refused or aborted, or the segment belongs to no connection"),
    "RST+ACK": N_("a reset that also acknowledges the segment it answers"),
}


def explain_flags(value: str, seg: SegmentRecord) -> str:
    shown = _("{value} (Wireshark: {flags})").format(value=value, flags=wireshark_flags(seg.flags))
    if seg.length and value == "ACK":
        return _("{shown}: a data segment after the handshake carries ACK (PSH, often set too, is not graded)").format(
            shown=shown)
    reason = _FLAG_REASONS.get(value)
    return _("{value}: {why}").format(value=shown, why=_(reason) if reason else _("the flags the sender set"))


def worked_solutions(variant) -> dict[str, str]:
    """Field -> worked solution: the rule read off the trace for predict questions, the
    question's explanation (with this variant's values) for the others."""
    if variant.question.kind == "predict":
        return {name: explain(e, variant.trace) for name, e in variant.expected.items()}
    return {name: variant.explanation for name in variant.expected}


def explain(expected: Expected, trace: Trace | None) -> str:
    """One line saying which rule gives the expected answer."""
    value, seg = expected.value, expected.segment
    if trace is None:
        return show(value) if isinstance(value, str) else f"{value}"
    if expected.what == "seq" and seg:
        return explain_seq(seg, trace)
    if expected.what == "ack" and seg:
        return explain_ack(seg, trace)
    if expected.what == "len" and seg:
        if value == 0:
            return _("0: no payload; SYN, FIN and ACK are flags, not data")
        return _("{value}: the payload bytes of #{n} (one write, or one MSS-sized piece of it)").format(
            value=value, n=seg.n)
    if expected.what == "flags" and seg:
        return explain_flags(str(value), seg)
    if expected.what == "win" and seg:
        return _("{value}: the receive window the {sender} advertises").format(value=value, sender=who(seg.src))
    if expected.what == "state":
        return _explain_state(expected, trace)
    if expected.what == "states":
        return _("{states}: each move is an edge of RFC 9293's state diagram").format(states=show(list(value)))
    if expected.what in ("sent_at", "arrived_at") and seg:
        latency = show(trace.params['net']['latency'])
        note = _note_text(seg)
        if expected.what == "sent_at":
            if note:
                return _("{t} s: #{n} leaves then ({note}); latency is {latency} s each way").format(
                    t=show(value), n=seg.n, note=note, latency=latency)
            return _("{t} s: #{n} leaves then; latency is {latency} s each way").format(
                t=show(value), n=seg.n, latency=latency)
        if note:
            return _("{t} s: #{n} arrives then ({note}); latency is {latency} s each way").format(
                t=show(value), n=seg.n, note=note, latency=latency)
        return _("{t} s: #{n} arrives then; latency is {latency} s each way").format(
            t=show(value), n=seg.n, latency=latency)
    if expected.what == "timeout":
        return _explain_timeout(value, trace, expected.event)
    if expected.what in ("sport", "dport") and seg:
        return _explain_port(expected.what, value, seg)
    if expected.what in ("mss", "wscale", "options") and seg:
        return _explain_option(expected.what, value, seg)
    if expected.what == "count":
        return _explain_count(value, expected.matches, trace)
    if expected.what in TCB_RULES and expected.event is not None:
        return _explain_tcb(expected)
    return show(value)


def _note_text(seg: SegmentRecord) -> str:
    """The segment's notes (sender's and network's) in the active language, as the ladder
    shows them (pgettext("trace note", ...)); "" for none."""
    shown = []
    if seg.note:
        shown.append(pgettext("trace note", seg.note.value if isinstance(seg.note, Note) else str(seg.note)))
    if seg.network_note:
        shown.append(network_note(seg.network_note))
    return pgettext("list", "; ").join(shown)


# The network's notes on a lost segment (tcp/network.py writes them with their values in).
_NETWORK_NOTES = (
    (re.compile(r"(?P<endpoint>\S+) vanished: nothing reaches it"), N_("{endpoint} vanished: nothing reaches it")),
    (re.compile(r"bottleneck queue full \((?P<count>\d+) segments waiting\): dropped at its tail"),
     N_("bottleneck queue full ({count} segments waiting): dropped at its tail")),
    (re.compile(r"lost at random \(\[net\] loss = (?P<loss>.+)\)"), N_("lost at random ([net] loss = {loss})")),
)


def network_note(text: str) -> str:
    """Why the network lost a segment, in the active language (the note as it is when unknown)."""
    for pattern, message in _NETWORK_NOTES:
        m = pattern.fullmatch(text)
        if m:
            values = m.groupdict()
            if "endpoint" in values:
                values["endpoint"] = who(values["endpoint"])
            return _(message).format(**values)
    return text


def _explain_port(what: str, value, seg: SegmentRecord) -> str:
    """Ports come from the capture's address plan (tcp/addresses.py)."""
    end = seg.src if what == "sport" else seg.dst
    args = dict(value=value, n=seg.n, sender=who(seg.src), receiver=who(seg.dst), end=who(end))
    if what == "sport":
        return _("{value}: #{n} goes from the {sender} to the {receiver}, so its source port is the {end}'s; "
                 "tcptutor's captures give the client port 40000 (an ephemeral port, as clients get) and the "
                 "server port 80, and every reply swaps the two ports").format(**args)
    return _("{value}: #{n} goes from the {sender} to the {receiver}, so its destination port is the {end}'s; "
             "tcptutor's captures give the client port 40000 (an ephemeral port, as clients get) and the "
             "server port 80, and every reply swaps the two ports").format(**args)


def _explain_option(what: str, value, seg: SegmentRecord) -> str:
    """Which options a segment carries: the MSS only on SYNs (RFC 9293 3.7.1); the window scale
    only on SYNs too, and only in use when both SYNs carry it (RFC 7323 2.2)."""
    syn = seg.has("SYN")
    where = _("#{n} ({flags} from the {sender})").format(n=seg.n, flags=wireshark_flags(seg.flags), sender=who(seg.src))
    if what == "mss":
        if value != "none":
            return _("{value}: the MSS option on {segment}: the largest payload its sender accepts in one segment "
                     "(RFC 9293 3.7.1); each side announces it once, on its SYN").format(value=value, segment=where)
        if not syn:
            return _("none: {segment} is not a SYN, and the MSS option is sent only on SYNs (RFC 9293 3.7.1)").format(
                segment=where)
        return _("none: {segment} carries no MSS option, so its peer assumes 536 (RFC 9293 3.7.1)").format(segment=where)
    if what == "wscale":
        if value != "none":
            return _("{value}: the Window Scale option on {segment}: every later win from the {sender} is shifted "
                     "left by {value} (the window is win << {value}, RFC 7323 2.2)").format(
                value=value, segment=where, sender=who(seg.src))
        if syn:
            return _("none: {segment} carries no Window Scale option, so window scaling is off for the connection "
                     "(RFC 7323 2.2: both SYNs must carry it) and every win is the window in bytes, unscaled").format(
                segment=where)
        return _("none: {segment} is not a SYN; the Window Scale option is sent only on SYNs (RFC 7323 2.2), and "
                 "a later win is shifted by the value the SYNs agreed (here none: win is the window itself)").format(
            segment=where)
    if value == "none":
        if not syn:
            return _("none: {segment} carries no TCP options (no SYN: the MSS and Window Scale options travel only "
                     "on SYNs); its header is 20 bytes").format(segment=where)
        return _("none: {segment} carries no TCP options (its sender sent none); its header is 20 bytes").format(
            segment=where)
    return _("{value}: the options on {segment}; tcptutor's simulator sends only the MSS option (on SYNs), "
             "where Linux also sends SACK_PERM, TS and WS (tcp_syn_options)").format(value=value, segment=where)


TCB_RULES = {
    "cwnd": N_("slow start adds up to one SMSS per ACK, congestion avoidance about one SMSS per RTT, "
               "and a loss cuts it (RFC 5681 3.1, 3.2)"),
    "ssthresh": N_("it is set at a loss to max(FlightSize / 2, 2 SMSS) (RFC 5681 3.1 equation 4, 3.2)"),
    "rwnd": N_("the window the peer last advertised, as SND.WND took it (RFC 9293 3.10.7.4)"),
    "flight": N_("the segments sent and not yet acknowledged, between SND.UNA and SND.NXT (RFC 5681 2: FlightSize)"),
    "srtt": N_("SRTT = 7/8 SRTT + 1/8 R for each RTT sample R, R itself for the first (RFC 6298 2.2, 2.3)"),
    "rttvar": N_("RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|, R/2 for the first sample (RFC 6298 2.2, 2.3)"),
    "rto": N_("RTO = SRTT + max(G, 4 RTTVAR) within its bounds, doubled at each timeout (RFC 6298 2.4, 5.5)"),
}


def _size(value, unit: str) -> str:
    """"1 segment", "3 segments", "4380 bytes" (a fraction of a segment is plural)."""
    n = 1 if value == 1 else 2
    if unit == "segments":
        return ngettext("{n} segment", "{n} segments", n).format(n=show(value))
    if unit == "bytes":
        return ngettext("{n} byte", "{n} bytes", n).format(n=show(value))
    return f"{show(value)} {unit[:-1] if value == 1 else unit}"


def cause_text(cause: Cause) -> str:
    """An event's cause in a sentence: the trace's own text in English ("recv #3",
    "call send 100", "timeout retransmission"), words in another language."""
    if language() == "en":
        return str(cause)  # only tcp/trace.py writes the trace's own text
    if cause.is_call:
        if cause.sizes:
            return _("the user call {verb} with {sizes}").format(verb=cause.verb, sizes=" ".join(map(str, cause.sizes)))
        return _("the user call {verb}").format(verb=cause.verb)
    if cause.is_recv:
        return _("the arrival of segment #{n}").format(n=cause.segment)
    return _("the {timer} timer expiring").format(timer=timer_kind(cause.timer))


def _explain_tcb(expected: Expected) -> str:
    """Which TCB, after which event, and the rule that sets the variable."""
    event, what = expected.event, expected.what
    if what in ("srtt", "rttvar", "rto"):
        shown = _("{t} s").format(t=show(expected.value))
    elif expected.unit == "segments" and what != "flight":
        raw = event.tcb.get("snd_wnd" if what == "rwnd" else what)
        shown = _("{size} ({raw} bytes / MSS {mss})").format(size=_size(expected.value, "segments"), raw=raw,
                                                            mss=expected.mss)
    else:
        shown = _size(expected.value, expected.unit)
    args = dict(shown=shown, endpoint=who(event.endpoint), what=what, cause=cause_text(event.cause),
                t=show(event.at_seconds), rule=_(TCB_RULES[what]))
    if event.sent:
        return _("{shown}: the {endpoint}'s {what} in its TCB after {cause} at {t} s, which sent {sent}; "
                 "{rule}").format(sent=pgettext("list", ", ").join(f"#{n}" for n in event.sent), **args)
    return _("{shown}: the {endpoint}'s {what} in its TCB after {cause} at {t} s; {rule}").format(**args)


STATE_MEANING = {
    "CLOSED": N_("no connection (any more)"),
    "LISTEN": N_("waiting for a SYN from any client"),
    "SYN-SENT": N_("its SYN is out; it waits for the peer's SYN and the ACK of its own"),
    "SYN-RECEIVED": N_("it has the peer's SYN and has sent its own SYN; it waits for the ACK of that SYN"),
    "ESTABLISHED": N_("both SYNs are acknowledged: data flows both ways"),
    "FIN-WAIT-1": N_("it has sent its FIN, not yet acknowledged"),
    "FIN-WAIT-2": N_("its FIN is acknowledged; it waits for the peer's FIN (and can still receive data)"),
    "CLOSE-WAIT": N_("it received the peer's FIN; its application can still send, then must close"),
    "CLOSING": N_("both FINs crossed: it waits for the ACK of its own FIN"),
    "LAST-ACK": N_("it closed after the peer did; it waits for the ACK of its FIN"),
    "TIME-WAIT": N_("it closed first and has acknowledged the peer's FIN; it waits 2MSL before forgetting the "
                    "connection"),
}


# The rules the state transitions cite (tcp/states.py TRANSITIONS[...].rfc), for a sentence:
# pgettext("RFC rule", rfc); a test checks that every transition's rule is here.
RFC_RULES = frozenset((
    NP_("RFC rule", 'RFC 1122 4.2.3.6 / RFC 9293 3.8.4: keep-alive probes unanswered -> reset, CLOSED'),
    NP_("RFC rule", 'RFC 4987 2 / Linux: half-open entry dropped after SYN-ACK retries'),
    NP_("RFC rule", 'RFC 4987 3.6: a valid cookie rebuilds the TCB'),
    NP_("RFC rule", 'RFC 9293 3.10.1 OPEN (active): send SYN, enter SYN-SENT'),
    NP_("RFC rule", 'RFC 9293 3.10.1 OPEN (passive): create TCB, enter LISTEN'),
    NP_("RFC rule", 'RFC 9293 3.10.1 OPEN in LISTEN: passive -> active, send SYN'),
    NP_("RFC rule", 'RFC 9293 3.10.2 SEND in LISTEN: become active, send SYN'),
    NP_("RFC rule", 'RFC 9293 3.10.4 CLOSE in CLOSE-WAIT: send FIN'),
    NP_("RFC rule", 'RFC 9293 3.10.4 CLOSE in ESTABLISHED: send FIN'),
    NP_("RFC rule", 'RFC 9293 3.10.4 CLOSE in LISTEN: delete TCB'),
    NP_("RFC rule", 'RFC 9293 3.10.4 CLOSE in LISTEN: half-open entries go with the listener'),
    NP_("RFC rule", 'RFC 9293 3.10.4 CLOSE in SYN-RECEIVED: send FIN'),
    NP_("RFC rule", 'RFC 9293 3.10.4 CLOSE in SYN-SENT: delete TCB'),
    NP_("RFC rule", 'RFC 9293 3.10.5 ABORT'),
    NP_("RFC rule", 'RFC 9293 3.10.5 ABORT in LISTEN: delete TCB, no RST'),
    NP_("RFC rule", 'RFC 9293 3.10.5 ABORT in SYN-SENT: delete TCB, no RST'),
    NP_("RFC rule", 'RFC 9293 3.10.5 ABORT: send RST'),
    NP_("RFC rule", 'RFC 9293 3.10.7.2 LISTEN, third: SYN -> send SYN,ACK'),
    NP_("RFC rule", 'RFC 9293 3.10.7.3 fourth: SYN alone (simultaneous open)'),
    NP_("RFC rule", 'RFC 9293 3.10.7.3 fourth: SYN with our SYN ACKed'),
    NP_("RFC rule", 'RFC 9293 3.10.7.3 second: RST with acceptable ACK'),
    NP_("RFC rule", 'RFC 9293 3.10.7.4 eighth: FIN and our FIN ACKed'),
    NP_("RFC rule", 'RFC 9293 3.10.7.4 eighth: FIN in ESTABLISHED'),
    NP_("RFC rule", 'RFC 9293 3.10.7.4 eighth: FIN in FIN-WAIT-2'),
    NP_("RFC rule", 'RFC 9293 3.10.7.4 eighth: FIN in SYN-RECEIVED'),
    NP_("RFC rule", 'RFC 9293 3.10.7.4 eighth: FIN-WAIT-1, FIN before our FIN is ACKed'),
    NP_("RFC rule", 'RFC 9293 3.10.7.4 fifth: CLOSING, our FIN ACKed'),
    NP_("RFC rule", 'RFC 9293 3.10.7.4 fifth: FIN-WAIT-1, our FIN ACKed'),
    NP_("RFC rule", 'RFC 9293 3.10.7.4 fifth: LAST-ACK, our FIN ACKed'),
    NP_("RFC rule", 'RFC 9293 3.10.7.4 fifth: SND.UNA < SEG.ACK =< SND.NXT'),
    NP_("RFC rule", 'RFC 9293 3.10.7.4 fourth, without RFC 5961: a SYN in the window is an error: send a reset, CLOSED'),
    NP_("RFC rule", 'RFC 9293 3.10.7.4 fourth: SYN in SYN-RECEIVED of a passive OPEN'),
    NP_("RFC rule", 'RFC 9293 3.10.7.4 second: RST in a synchronized state -> CLOSED'),
    NP_("RFC rule", 'RFC 9293 3.10.7.4 second: active OPEN, connection refused'),
    NP_("RFC rule", 'RFC 9293 3.10.7.4 second: passive OPEN returns to LISTEN'),
    NP_("RFC rule", 'RFC 9293 3.10.8 time-wait timeout'),
    NP_("RFC rule", 'RFC 9293 3.6 MAY-2 (RFC 1122 4.2.2.13, RFC 6191): a new SYN above RCV.NXT reopens from TIME-WAIT'),
    NP_("RFC rule", 'RFC 9293 3.8.3 R2 / 3.10.8 USER TIMEOUT: retransmissions exhausted -> CLOSED'),
))


def rfc_rule(text: str) -> str:
    """A transition's RFC rule in the active language; one not in RFC_RULES, its reference only
    ("RFC 9293 3.10.7.4") outside English, rather than an English sentence."""
    if text in RFC_RULES:
        return pgettext("RFC rule", text)
    if language() == "en":
        return text
    return re.match(r"RFC \d+(?: [\d.]+)?", text).group(0) if re.match(r"RFC \d+", text) else text


def _explain_state(expected: Expected, trace: Trace) -> str:
    seg = expected.segment
    value = expected.value
    meaning = _(STATE_MEANING[value]) if value in STATE_MEANING else ""
    if seg is None:
        return _("{state} when the scenario ends: {meaning}").format(state=show(value), meaning=meaning)
    involved = analysis.caused_by(trace, seg.n)
    sender = analysis.sent_by(trace, seg.n)
    if sender is not None:
        involved.append(sender)
    events = [e for e in trace.events if e.state_after == value and e.rfc and any(e is i for i in involved)]
    if events:
        return _("{state}: {meaning} ({rfc})").format(state=show(value), meaning=meaning, rfc=rfc_rule(events[-1].rfc))
    return _("{state}: {meaning}; segment #{n} does not change the state").format(
        state=show(value), meaning=meaning, n=seg.n)


def _numbers(segs) -> str:
    names = [f"#{s.n}" for s in segs]
    comma = pgettext("list", ", ")
    if len(names) > 6:
        names = names[:3] + ["…"] + names[-1:]
        return comma.join(names)
    if len(names) == 1:
        return names[0]
    return _("{first} and {last}").format(first=comma.join(names[:-1]), last=names[-1])


def _explain_count(value: int, segs: tuple[SegmentRecord, ...], trace: Trace) -> str:
    """"3: #4, #6 and #8 (duplicate ACKs of ack 1001)": the segments counted, by number."""
    if not segs:
        return _("{value}: no segment in the trace matches").format(value=value)
    first = segs[0]
    n = 1 if value == 1 else 2
    if all(is_duplicate_ack(s, trace) for s in segs) and len({s.ack for s in segs}) == 1:
        what = ngettext("duplicate ACK of ack {ack}", "duplicate ACKs of ack {ack}", n).format(ack=first.ack)
    elif all(s.retransmission for s in segs):
        if len({s.seq for s in segs}) == 1:
            what = ngettext("retransmission of seq {seq}", "retransmissions of seq {seq}", n).format(seq=first.seq)
        else:
            what = ngettext("retransmission", "retransmissions", n)
    elif len({(s.src, tuple(sorted(set(s.flags) - {"PSH"}))) for s in segs}) == 1:
        plain = {f for f in first.flags if f != "PSH"} == {"ACK"}
        sender = who(first.src)
        if plain and all(s.length for s in segs):
            what = ngettext("data segment from the {sender}", "data segments from the {sender}", n).format(sender=sender)
        elif plain:
            what = ngettext("ACK from the {sender}", "ACKs from the {sender}", n).format(sender=sender)
        else:
            what = ngettext("{flags} segment from the {sender}", "{flags} segments from the {sender}", n).format(
                flags=wireshark_flags(set(first.flags) - {"PSH"}), sender=sender)
    elif len(segs) <= 4:
        return _("{value}: {segments}").format(value=value, segments=pgettext("list", ", ").join(describe(s) for s in segs))
    else:
        what = ngettext("the segment that matches", "the segments that match", n)
    return _("{value}: {segments} ({what})").format(value=value, segments=_numbers(segs), what=what)


def _rtt_estimate(trace: Trace, endpoint: str, before: float) -> tuple[float, float] | None:
    """(SRTT, RTTVAR) of `endpoint` just before `before`, replayed from the trace the way the
    sender measures: one sample per ACK of segments never retransmitted (Karn's algorithm,
    RFC 6298 3), the first sample sets SRTT = R, RTTVAR = R/2 (2.2), later ones smooth (2.3)."""
    outstanding: list[dict] = []  # the endpoint's segments not yet acknowledged, in order
    srtt = rttvar = None
    events = []
    for s in trace.segments:  # times in seconds, as the trace JSON gives them
        if s.src == endpoint and seg_len(s) and s.sent_seconds < before:
            events.append((s.sent_seconds, 1, s))
        elif s.dst == endpoint and s.has("ACK") and s.delivered \
                and s.arrived_at is not None and s.arrived_seconds < before:
            events.append((s.arrived_seconds, 0, s))
    for _, kind, s in sorted(events, key=lambda e: (e[0], e[1], e[2].n)):
        if kind == 1:
            same = next((o for o in outstanding if analysis.same_occupancy(o["seg"], s)), None)
            if same is not None:
                same["retransmitted"] = True
            elif s.retransmission:
                continue
            else:
                outstanding.append({"seg": s, "end": (s.seq + seg_len(s)) % MOD, "sent": s.sent_seconds,
                                    "retransmitted": False})
            continue
        acked = [o for o in outstanding if (s.ack - o["end"]) % MOD < MOD // 2]
        if not acked:
            continue
        outstanding = [o for o in outstanding if o not in acked]
        if any(o["retransmitted"] for o in acked):
            continue
        r = s.arrived_seconds - acked[-1]["sent"]
        if srtt is None:
            srtt, rttvar = r, r / 2
        else:
            rttvar = 0.75 * rttvar + 0.25 * abs(srtt - r)
            srtt = 0.875 * srtt + 0.125 * r
    return None if srtt is None else (srtt, rttvar)


def _explain_other_timer(v: str, value: float, trace: Trace, event: TraceEvent) -> str:
    """The delayed-ACK, persist and keep-alive timers: how long each ran, and why."""
    kind, endpoint = event.timer["kind"], event.endpoint
    linux = trace.params["net"].get("profile") == "linux"
    earlier = [e for e in analysis.timer_expiries(trace, endpoint, kind) if e.at < event.at]
    if kind == "delayed-ack":
        if linux:
            return _("{v} s: Linux holds an ACK for its delayed-ACK timeout ato (40 ms at first, TCP_ATO_MIN, "
                     "adapting to the gaps between arrivals: tcp_event_data_recv), then sends it alone").format(v=v)
        return _("{v} s: the receiver held the ACK, hoping to send it with data or with the ACK of a second "
                 "full segment; it may wait at most 0.5 s (RFC 1122 4.2.3.2, RFC 5681 4.2), tcptutor's "
                 "rfc9293 profile waits 200 ms").format(v=v)
    if kind == "persist":
        if earlier and abs(value - 2 * earlier[-1].timer["timeout"]) < 1e-6:
            return _("{v} s = 2 × {previous} s: the window stayed zero, so the persist "
                     "timer backs off exponentially between zero-window probes (RFC 1122 4.2.2.17)").format(
                v=v, previous=show(earlier[-1].timer['timeout']))
        return _("{v} s: the peer advertised a zero window with data waiting and nothing in flight, so the "
                 "persist timer started at the RTO; when it expires a zero-window probe goes out "
                 "(RFC 9293 3.8.6.1, RFC 1122 4.2.2.17)").format(v=v)
    last = earlier[-1] if earlier else None
    answered = last is not None and any(
        s.dst == endpoint and s.delivered and s.arrived_at is not None and last.at <= s.arrived_at <= event.at
        for s in trace.segments)
    reset = any(trace.segments[n - 1].has("RST") for n in event.sent if 0 < n <= len(trace.segments))
    if last is None:
        return _("{v} s: keepalive_idle: the time since the connection went idle with nothing acknowledged in "
                 "between; then a keep-alive probe goes out (RFC 1122 4.2.3.6, Linux tcp_keepalive_timer)").format(v=v)
    if answered:
        return _("{v} s: keepalive_idle: the time since the peer answered the last probe with nothing acknowledged "
                 "in between; then a keep-alive probe goes out (RFC 1122 4.2.3.6, Linux tcp_keepalive_timer)").format(v=v)
    if reset:
        return _("{v} s: keepalive_interval: the previous probe went unanswered, so the next one follows one "
                 "interval later (RFC 1122 4.2.3.6, Linux TCP_KEEPINTVL); it was the last allowed, so the "
                 "connection is reset (keepalive_count probes unanswered)").format(v=v)
    return _("{v} s: keepalive_interval: the previous probe went unanswered, so the next one follows one "
             "interval later (RFC 1122 4.2.3.6, Linux TCP_KEEPINTVL)").format(v=v)


def _explain_timeout(value: float, trace: Trace, event: TraceEvent | None = None) -> str:
    """The timer value actually used, and the rule that set it (RFC 6298, or Linux's)."""
    net = trace.params["net"]
    linux = net.get("profile") == "linux"
    v = show(value)
    if value == net.get("time_wait") and (event is None or event.timer["kind"] == "time-wait"):
        if linux:
            return _("{v} s: Linux holds TIME-WAIT for a fixed 60 s (TCP_TIMEWAIT_LEN)").format(v=v)
        return _("{v} s = 2 × MSL = 2 × {msl} s (RFC 9293 3.10.8)").format(v=v, msl=show(net['msl']))
    if event is None:
        return _("{v} s: the timer's value then").format(v=v)
    kind, endpoint = event.timer["kind"], event.endpoint
    if kind in ("delayed-ack", "persist", "keepalive"):
        return _explain_other_timer(v, value, trace, event)
    fired = [e for e in analysis.timer_expiries(trace, endpoint)
             if e.timer["kind"] in ("syn", "synack", "retransmission") and e.at < event.at]
    same = [e for e in fired if e.timer["kind"] == kind]
    previous = same[-1].timer["timeout"] if same else None
    if previous is not None and abs(value - 2 * previous) < 1e-6:
        return _("{v} s = 2 × {previous} s: each timeout doubles the timer (RFC 6298 5.5, "
                 "back-off), and no new RTT sample has reset it since the last one (Karn's algorithm: "
                 "a retransmitted segment gives none, RFC 6298 3)").format(v=v, previous=show(previous))
    if previous is not None and previous - 1e-6 <= value < 2 * previous - 1e-6:
        if linux:
            return _("{v} s: doubling the previous {previous} s would pass the ceiling, so the timer "
                     "stays at {v} s (Linux: TCP_RTO_MAX)").format(v=v, previous=show(previous))
        return _("{v} s: doubling the previous {previous} s would pass the ceiling, so the timer "
                 "stays at {v} s (RFC 6298 2.5 allows a ceiling of at least 60 s)").format(v=v, previous=show(previous))
    if kind in ("syn", "synack"):
        if previous is None and abs(value - net["rto"]) < 1e-6:
            if kind == "syn":
                return _("{v} s: the initial RTO (RFC 6298 2.1): nothing has been measured yet when the "
                         "SYN goes out").format(v=v)
            return _("{v} s: the initial RTO (RFC 6298 2.1): nothing has been measured yet when the "
                     "SYN-ACK goes out").format(v=v)
        return _("{v} s: the {timer} timer then (initial RTO {rto} s, doubling after each timeout)").format(
            v=v, timer=timer_kind(kind), rto=show(net['rto']))
    estimate = _rtt_estimate(trace, endpoint, event.at_seconds)
    if estimate is None:
        if any(e.timer["kind"] == "syn" for e in fired) and abs(value - 3.0) < 1e-6:
            return _("{v} s: the SYN was retransmitted, so no RTT was measured and data starts with an "
                     "RTO of 3 s (RFC 6298 5.7)").format(v=v)
        return _("{v} s: the initial RTO (RFC 6298 2.1): no RTT has been measured yet").format(v=v)
    srtt, rttvar = estimate
    if linux:
        floor = net.get("rto_min", 0.2)
        if 4 * rttvar < floor:
            return _("{v} s = SRTT {srtt} s + {floor} s: Linux takes SRTT + max(4 × RTTVAR, "
                     "{floor_ms} ms), and 4 × RTTVAR = {four_rttvar} s is below the "
                     "200 ms floor TCP_RTO_MIN (tcp_set_rto)").format(
                v=v, srtt=show(round(srtt, 4)), floor=show(floor), floor_ms=show(floor * 1000),
                four_rttvar=show(round(4 * rttvar, 4)))
        return _("{v} s = SRTT {srtt} s + 4 × RTTVAR {rttvar} s "
                 "(Linux: SRTT + max(4 × RTTVAR, TCP_RTO_MIN), tcp_set_rto)").format(
            v=v, srtt=show(round(srtt, 4)), rttvar=show(round(rttvar, 4)))
    computed = srtt + 4 * rttvar
    if computed < net.get("rto_min", 1.0) - 1e-6:
        return _("{v} s: SRTT + 4 × RTTVAR = {computed} s is below the minimum RTO of "
                 "{minimum} s, so the minimum is used (RFC 6298 2.4)").format(
            v=v, computed=show(round(computed, 4)), minimum=show(net.get('rto_min', 1.0)))
    return _("{v} s = SRTT + 4 × RTTVAR = {srtt} + 4 × {rttvar} s, from the "
             "RTT measured on this connection (RFC 6298 2.2, 2.3)").format(
        v=v, srtt=show(round(srtt, 4)), rttvar=show(round(rttvar, 4)))
