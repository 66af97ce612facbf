"""The misconception catalog: the classic wrong rules, each with a detector and a short
explanation. A detector looks at one wrong answer in its context (the trace, the asked
segment, the variant's parameters) and says whether that rule would produce it.

Detectors are tried in catalog order; the first that fires names the misconception.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..i18n import N_, _
from ..questions.expected import Expected, states_of
from ..questions.model import Ask
from ..tcp import analysis
from ..tcp.trace import Note, SegmentRecord, Trace

MOD = 2**32


@dataclass(frozen=True)
class Context:
    ask: Ask | None
    expected: Expected
    given: object  # the parsed answer
    trace: Trace | None
    params: dict

    @property
    def seg(self) -> SegmentRecord | None:
        return self.expected.segment

    @property
    def what(self) -> str:
        return self.expected.what


@dataclass(frozen=True)
class Misconception:
    """A wrong rule. Its title and explanation are messages of the catalogs (marked N_ in
    CATALOG) and read in the active language; the id, which statistics store, never changes."""

    id: str
    title_msgid: str
    explanation_msgid: str
    detect: Callable[[Context], bool]

    @property
    def title(self) -> str:
        return _(self.title_msgid)

    @property
    def explanation(self) -> str:
        return _(self.explanation_msgid)


_seg_len = analysis.seg_len


def basis(ctx: Context) -> SegmentRecord | None:
    """The segment whose sequence space the expected seq/ack counts past (see explain.py)."""
    seg, trace = ctx.seg, ctx.trace
    if seg is None or trace is None or ctx.what not in ("seq", "ack"):
        return None
    return analysis.seq_basis(trace, seg) if ctx.what == "seq" else analysis.ack_basis(trace, seg)


def _int(ctx: Context) -> bool:
    return ctx.what in ("seq", "ack") and isinstance(ctx.given, int) and isinstance(ctx.expected.value, int)


def _off_by(ctx: Context, delta: int) -> bool:
    return _int(ctx) and (ctx.given - ctx.expected.value) % MOD == delta % MOD and ctx.given <= MOD - 1


def _isn(ctx: Context, side: str) -> int | None:
    if ctx.trace is not None:
        return ctx.trace.params.get(side, {}).get("isn")
    return ctx.params.get(f"{side}_isn")


# ---------------------------------------------------------------- detectors


def no_wraparound(ctx: Context) -> bool:
    return _int(ctx) and ctx.given > MOD - 1 and ctx.given % MOD == ctx.expected.value


def relative_numbers(ctx: Context) -> bool:
    if not _int(ctx) or ctx.seg is None:
        return False
    side = ctx.seg.src if ctx.what == "seq" else ctx.seg.dst
    isn = _isn(ctx, side)
    return isn is not None and isn != 0 and ctx.given == (ctx.expected.value - isn) % MOD


def seq_ack_swapped(ctx: Context) -> bool:
    if not _int(ctx) or ctx.seg is None or not ctx.seg.has("ACK"):
        return False
    other = ctx.seg.ack if ctx.what == "seq" else ctx.seg.seq
    return ctx.given == other != ctx.expected.value


def ack_number_without_ack_flag(ctx: Context) -> bool:
    return (ctx.what == "ack" and ctx.seg is not None and not ctx.seg.has("ACK")
            and isinstance(ctx.given, int) and ctx.given != 0)


def syn_not_counted(ctx: Context) -> bool:
    prev = basis(ctx)
    return prev is not None and prev.has("SYN") and _off_by(ctx, -1)


def fin_not_counted(ctx: Context) -> bool:
    prev = basis(ctx)
    return prev is not None and prev.has("FIN") and _off_by(ctx, -1)


def ack_is_seq_plus_one(ctx: Context) -> bool:
    prev = basis(ctx)
    return (ctx.what == "ack" and prev is not None and prev.length > 1 and _int(ctx)
            and ctx.given == (prev.seq + 1) % MOD)


def ack_names_last_byte(ctx: Context) -> bool:
    prev = basis(ctx)
    return ctx.what == "ack" and prev is not None and prev.length > 0 and _off_by(ctx, -1)


def ack_equals_received_seq(ctx: Context) -> bool:
    prev = basis(ctx)
    return ctx.what == "ack" and prev is not None and _int(ctx) and ctx.given == prev.seq != ctx.expected.value


def data_not_counted(ctx: Context) -> bool:
    prev = basis(ctx)
    return (ctx.what == "seq" and prev is not None and prev.length > 0 and _int(ctx)
            and ctx.given in (prev.seq, (ctx.expected.value - prev.length) % MOD) and ctx.given != ctx.expected.value)


def pure_ack_consumes(ctx: Context) -> bool:
    if ctx.what != "seq" or ctx.seg is None or ctx.trace is None or not _off_by(ctx, 1):
        return False
    mine = [s for s in ctx.trace.segments if s.n < ctx.seg.n and s.src == ctx.seg.src]
    return any(_seg_len(s) == 0 and not s.has("RST") and s.seq == ctx.expected.value for s in mine)


def synack_missing_a_flag(ctx: Context) -> bool:
    return ctx.what == "flags" and ctx.expected.value == "SYN+ACK" and ctx.given in ("SYN", "ACK")


def ack_flag_forgotten(ctx: Context) -> bool:
    if ctx.what != "flags" or not isinstance(ctx.given, str):
        return False
    expected = set(str(ctx.expected.value).split("+"))
    given = set(ctx.given.split("+")) - {""}
    # Not for a RST: whether a reset carries ACK is no "every segment carries ACK" rule (RFC 9293
    # 3.10.5's ABORT sends none; Linux's does).
    return "ACK" in expected and "RST" not in expected and given == expected - {"ACK"} and bool(given)


def established_after_synack(ctx: Context) -> bool:
    return ctx.what == "state" and ctx.expected.value == "SYN-RECEIVED" and ctx.given == "ESTABLISHED"


def _closed_first(trace: Trace, endpoint: str) -> bool:
    fins = [s for s in trace.segments if s.has("FIN") and s.src in ("client", "server")]
    return bool(fins) and fins[0].src == endpoint


def time_wait_on_passive_closer(ctx: Context) -> bool:
    if ctx.what != "state" or ctx.given != "TIME-WAIT" or ctx.expected.value == "TIME-WAIT" or ctx.trace is None:
        return False
    endpoint = ctx.ask.endpoint if ctx.ask else None
    return endpoint is not None and not _closed_first(ctx.trace, endpoint)


def close_wait_vs_fin_wait_2(ctx: Context) -> bool:
    return ctx.what == "state" and {ctx.given, ctx.expected.value} == {"CLOSE-WAIT", "FIN-WAIT-2"}


def fin_wait_1_vs_2(ctx: Context) -> bool:
    return ctx.what == "state" and {ctx.given, ctx.expected.value} == {"FIN-WAIT-1", "FIN-WAIT-2"}


def states_are_segments(ctx: Context) -> bool:
    if ctx.what != "states" or not isinstance(ctx.given, list):
        return False
    expected = set(ctx.expected.value)
    return {"SYN-SENT", "SYN-RECEIVED"} <= set(ctx.given) and not {"SYN-SENT", "SYN-RECEIVED"} <= expected


def syn_seq_is_isn_plus_one(ctx: Context) -> bool:
    """The SYN's (or SYN-ACK's) own seq given as ISN + 1: the +1 belongs to the ack that answers it."""
    return ctx.what == "seq" and ctx.seg is not None and ctx.seg.has("SYN") and _off_by(ctx, 1)


def rst_ack_for_rfc_abort(ctx: Context) -> bool:
    """RFC 9293 3.10.5 ABORT sends <SEQ=SND.NXT><CTL=RST>; RST+ACK is Linux's (tcp_send_active_reset)."""
    return (ctx.what == "flags" and ctx.seg is not None and ctx.seg.note == Note.ABORT
            and ctx.expected.value == "RST" and ctx.given == "RST+ACK" and ctx.trace is not None
            and ctx.trace.params["net"].get("profile") == "rfc9293")


def fin_wait_2_skipped(ctx: Context) -> bool:
    """FIN-WAIT-1 straight to TIME-WAIT where the trace passes through FIN-WAIT-2."""
    if ctx.what != "states" or not isinstance(ctx.given, list):
        return False
    expected, given = list(ctx.expected.value), ctx.given
    if "FIN-WAIT-2" not in expected or "FIN-WAIT-2" in given or "FIN-WAIT-1" not in given:
        return False
    after_given = given[given.index("FIN-WAIT-1") + 1:][:1]
    after_expected = expected[expected.index("FIN-WAIT-2") + 1:][:1]
    return after_given == after_expected


def time_wait_in_passive_closers_states(ctx: Context) -> bool:
    """A state list with TIME-WAIT for the side that closed second (it ends in LAST-ACK, CLOSED)."""
    if ctx.what != "states" or not isinstance(ctx.given, list) or ctx.trace is None or ctx.ask is None:
        return False
    return ("TIME-WAIT" in ctx.given and "TIME-WAIT" not in ctx.expected.value and ctx.ask.endpoint is not None
            and _closed_first(ctx.trace, "client" if ctx.ask.endpoint == "server" else "server"))


def other_endpoints_states(ctx: Context) -> bool:
    if ctx.what != "states" or not isinstance(ctx.given, list) or ctx.trace is None or ctx.ask is None:
        return False
    other = {"client": "server", "server": "client"}.get(ctx.ask.endpoint or "")
    return other is not None and ctx.given == states_of(ctx.trace, other) != list(ctx.expected.value)


def retransmit_everything(ctx: Context) -> bool:
    if ctx.what != "count" or ctx.ask is None or "retrans" not in (ctx.ask.segment or "").lower() or ctx.trace is None:
        return False
    if not isinstance(ctx.given, int) or ctx.given <= ctx.expected.value:
        return False
    segments = ctx.trace.segments
    first = next((s for s in segments if s.retransmission and s.length > 0), None)
    if first is None:
        return False
    outstanding = {s.seq for s in segments if s.src == first.src and s.length > 0
                   and not s.retransmission and s.sent_at < first.sent_at
                   and (s.seq - first.seq) % MOD < MOD // 2}
    return ctx.given == len(outstanding)


def time_wait_is_one_msl(ctx: Context) -> bool:
    return (ctx.what == "timeout" and ctx.ask is not None and ctx.ask.timer == "time-wait"
            and isinstance(ctx.given, float) and abs(ctx.given * 2 - ctx.expected.value) < 1e-6)


def time_wait_profile_mixup(ctx: Context) -> bool:
    return (ctx.what == "timeout" and ctx.ask is not None and ctx.ask.timer == "time-wait"
            and isinstance(ctx.given, float) and {round(ctx.given), round(ctx.expected.value)} == {60, 240})


def rto_no_backoff(ctx: Context) -> bool:
    if ctx.what != "timeout" or ctx.ask is None or ctx.ask.timer == "time-wait" or ctx.trace is None:
        return False
    fired = [e.timer["timeout"] for e in analysis.timer_expiries(ctx.trace, ctx.ask.endpoint, ctx.ask.timer)]
    return bool(fired) and isinstance(ctx.given, float) and abs(ctx.given - fired[0]) < 1e-6 < ctx.expected.value - fired[0]


def mss_on_every_segment(ctx: Context) -> bool:
    """An MSS given for a segment that is no SYN (a value, or MSS among its options)."""
    if ctx.seg is None or ctx.seg.has("SYN"):
        return False
    if ctx.what == "mss":
        return isinstance(ctx.given, int)
    return ctx.what == "options" and isinstance(ctx.given, str) and "MSS" in ctx.given.split(",")


def window_scale_without_option(ctx: Context) -> bool:
    """A window scale shift where the segments carry no Window Scale option."""
    if ctx.what == "wscale":
        return ctx.expected.value == "none" and isinstance(ctx.given, int)
    return (ctx.what == "options" and isinstance(ctx.given, str) and "WS" in ctx.given.split(",")
            and "WS" not in str(ctx.expected.value).split(","))


CATALOG: tuple[Misconception, ...] = (
    Misconception("no-wraparound", N_("Forgetting that sequence numbers wrap at 2^32"),
                  N_("Sequence numbers live in a 32-bit space: past 4294967295 they wrap to 0, so every sum is taken modulo 2^32."),
                  no_wraparound),
    Misconception("relative-numbers", N_("Relative numbers where absolute ones are asked"),
                  N_("That is the relative number Wireshark shows (counted from the ISN); the segment on the wire carries the absolute value, ISN included."),
                  relative_numbers),
    Misconception("seq-ack-swapped", N_("seq and ack swapped"),
                  N_("seq numbers the sender's own bytes; ack names the next byte the sender expects from its peer. You gave this segment's other number."),
                  seq_ack_swapped),
    Misconception("ack-without-ack-flag", N_("An ack number on a segment without the ACK flag"),
                  N_("Without the ACK flag the acknowledgment field means nothing (it goes out as 0). The first SYN has no ACK flag: its sender has received nothing yet."),
                  ack_number_without_ack_flag),
    Misconception("syn-not-counted", N_("The SYN does not take a sequence number"),
                  N_("A SYN occupies one sequence number, so whatever follows it (the next seq, or the ack that answers it) is ISN + 1."),
                  syn_not_counted),
    Misconception("fin-not-counted", N_("The FIN does not take a sequence number"),
                  N_("A FIN occupies one sequence number, just like a SYN: the ACK of a FIN is the FIN's seq + 1."),
                  fin_not_counted),
    Misconception("ack-is-seq-plus-one", N_("ack = seq + 1, always"),
                  N_("ack = seq + 1 only holds after a SYN or FIN. After data, ack = seq + the number of data bytes: the next byte expected."),
                  ack_is_seq_plus_one),
    Misconception("ack-names-last-byte", N_("ack names the last byte received"),
                  N_("The ack number is the next byte the receiver expects, one past the last byte it has; not the last byte itself."),
                  ack_names_last_byte),
    Misconception("ack-equals-received-seq", N_("Acknowledging a segment by repeating its seq"),
                  N_("An ACK does not echo the seq it received: it adds the segment's length to say which byte should come next."),
                  ack_equals_received_seq),
    Misconception("data-not-counted", N_("Data does not advance seq"),
                  N_("Each data byte takes one sequence number: after sending N bytes, the sender's next seq is N higher."),
                  data_not_counted),
    Misconception("pure-ack-consumes", N_("A pure ACK takes a sequence number"),
                  N_("A segment with no data, no SYN and no FIN takes no sequence number: the next segment reuses the same seq."),
                  pure_ack_consumes),
    Misconception("synack-one-flag", N_("The SYN-ACK carries only one of SYN or ACK"),
                  N_("The server's reply carries both: ACK for the client's SYN, and SYN for its own direction."),
                  synack_missing_a_flag),
    Misconception("ack-flag-forgotten", N_("The ACK flag is left off after the handshake"),
                  N_("Once a connection is synchronized, every segment (FINs and data included) carries the ACK flag."),
                  ack_flag_forgotten),
    Misconception("established-after-synack", N_("The server is ESTABLISHED once it sends SYN+ACK"),
                  N_("Sending the SYN-ACK puts the server in SYN-RECEIVED; it becomes ESTABLISHED only when the client's ACK of its SYN arrives."),
                  established_after_synack),
    Misconception("time-wait-on-passive-closer", N_("TIME-WAIT belongs to the server (or to the side that closed second)"),
                  N_("TIME-WAIT is entered by the side that closed first (the active closer), whichever role it plays; the other side ends in LAST-ACK, then CLOSED."),
                  time_wait_on_passive_closer),
    Misconception("close-wait-fin-wait-2-swapped", N_("CLOSE-WAIT and FIN-WAIT-2 swapped"),
                  N_("FIN-WAIT-2 is the closer's state after its FIN was acknowledged; CLOSE-WAIT is the other side's state after receiving that FIN, while its application still has to close."),
                  close_wait_vs_fin_wait_2),
    Misconception("fin-wait-1-vs-2", N_("FIN-WAIT-1 and FIN-WAIT-2 confused"),
                  N_("FIN-WAIT-1: our FIN is sent but not yet acknowledged. FIN-WAIT-2: our FIN is acknowledged and we wait for the peer's FIN."),
                  fin_wait_1_vs_2),
    Misconception("states-are-segments", N_("The handshake's steps are LISTEN, SYN-SENT and SYN-RECEIVED"),
                  N_("Those are states of two different endpoints, not three steps of one: the client goes CLOSED, SYN-SENT, ESTABLISHED; only the server passes through SYN-RECEIVED."),
                  states_are_segments),
    Misconception("other-endpoints-states", N_("The other endpoint's states"),
                  N_("That is the other endpoint's path through the state diagram. Client and server pass through different states: the one that opens actively goes SYN-SENT, the one that listens goes LISTEN, SYN-RECEIVED; the one that closes first ends in TIME-WAIT, the other in CLOSE-WAIT, LAST-ACK."),
                  other_endpoints_states),
    Misconception("fin-wait-2-skipped", N_("FIN-WAIT-1 goes straight to TIME-WAIT"),
                  N_("When the peer acknowledges our FIN before sending its own, we move FIN-WAIT-1 -> FIN-WAIT-2 on that ACK, and only the peer's FIN takes us to TIME-WAIT (RFC 9293 3.10.7.4). Only a FIN that also acknowledges ours skips FIN-WAIT-2."),
                  fin_wait_2_skipped),
    Misconception("time-wait-in-passive-closers-states", N_("TIME-WAIT in the passive closer's states"),
                  N_("TIME-WAIT is entered only by the side that sent the first FIN (the active closer). The side that received it goes CLOSE-WAIT, LAST-ACK, then CLOSED when its own FIN is acknowledged."),
                  time_wait_in_passive_closers_states),
    Misconception("syn-seq-is-isn-plus-one", N_("A SYN's seq is ISN + 1"),
                  N_("A SYN carries the sender's ISN itself as its seq; the SYN then occupies that number, so what is ISN + 1 is the ack that answers it and the sender's next seq, not the SYN's own."),
                  syn_seq_is_isn_plus_one),
    Misconception("rst-ack-for-rfc-abort", N_("An RFC 9293 abort sends RST+ACK"),
                  N_("RFC 9293 3.10.5 ABORT sends <SEQ=SND.NXT><CTL=RST>: a RST with no ACK flag. RST+ACK is what Linux sends (tcp_send_active_reset); this question follows the RFC."),
                  rst_ack_for_rfc_abort),
    Misconception("retransmit-everything", N_("A timeout resends everything unacknowledged"),
                  N_("On a retransmission timeout TCP resends the earliest unacknowledged segment at once (RFC 6298 5.4) and cuts cwnd to one segment (RFC 5681 3.1); the rest is resent only as ACKs return, and only what those ACKs do not already cover."),
                  retransmit_everything),
    Misconception("time-wait-is-one-msl", N_("TIME-WAIT lasts one MSL"),
                  N_("TIME-WAIT lasts twice the maximum segment lifetime (2MSL): one MSL for the last ACK to reach the peer, one for a retransmitted FIN to come back."),
                  time_wait_is_one_msl),
    Misconception("time-wait-profile-mixup", N_("Linux's TIME-WAIT and the RFC's confused"),
                  N_("RFC 9293 takes MSL = 2 min, so TIME-WAIT lasts 4 min; Linux uses a fixed 60 s. The question says which one it asks about."),
                  time_wait_profile_mixup),
    Misconception("rto-no-backoff", N_("The retransmission timeout does not back off"),
                  N_("After each timeout the RTO doubles (RFC 6298 5.5), so the waits grow: 1 s, 2 s, 4 s ..."),
                  rto_no_backoff),
    Misconception("mss-on-every-segment", N_("Every segment carries the MSS option"),
                  N_("The MSS option is sent only on SYN segments (RFC 9293 3.7.1): each side announces it once, in the handshake, and later segments carry no MSS at all."),
                  mss_on_every_segment),
    Misconception("window-scale-without-option", N_("Window scaling without the Window Scale option"),
                  N_("A window is scaled only when both SYNs carried the Window Scale option (RFC 7323 2.2); then the effective window is win << shift. Without the option there is no shift: win is the window in bytes."),
                  window_scale_without_option),
)

BY_ID = {m.id: m for m in CATALOG}


def diagnose(ctx: Context) -> Misconception | None:
    return next((m for m in CATALOG if m.detect(ctx)), None)
