"""Naming what each segment of a connection is: the analysis a course asks a student to do.

Per direction this keeps what Wireshark's TCP analysis keeps (the highest sequence number
sent, the last ACK and window), so that its verdicts can be checked against tshark's:
- retransmission: a segment that carries sequence space (data, SYN or FIN) below the
  highest already sent, and is no keep-alive. Fast retransmit when it resends the sequence
  number that at least three duplicate ACKs asked for (RFC 5681 3.2), else by timeout
  (RFC 6298 5.4). From one vantage point this is "probably": a tail-loss probe (RFC 8985 7)
  or a timer the capture cannot see look the same;
- duplicate ACK: a pure ACK that repeats the previous ACK number and window of its sender and
  sends no new data (RFC 5681 2; a changed window makes it a window update instead);
- zero window (the receiver's buffer is full, RFC 9293 3.8.6), zero-window probes (3.8.6.1)
  and keep-alives (3.8.4: seq = SND.NXT-1 with 0 or 1 byte; Linux's zero-window probe has
  the same form, tcp_xmit_probe_skb, and is told apart by the peer's zero window);
- resets and why (RFC 9293 3.10.7.1: the answer to a SYN for a closed port; 3.10.5 an abort);
- gaps: sequence space that was never captured (lost before the capture point, or the
  capture missed it) and ACKs of data the capture did not see;
- window full: data up to the right edge of the receiver's window (flow control holds the
  sender back, RFC 9293 3.8.6);
- segments larger than the MSS: segmentation offload (TSO/GSO at the sender, GRO at the
  receiver) captured before the split or after the merge, not an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..i18n import N_, Listed, Said
from .connections import SIDES, Connection, Seg, other

# Kinds of finding (the JSON's `kind` strings: a stable list, docs/explain-json.md)
HANDSHAKE = "handshake"
DATA = "data"
ACK = "ack"
RETRANSMISSION = "retransmission"
FAST_RETRANSMISSION = "fast-retransmission"
TIMEOUT_RETRANSMISSION = "timeout-retransmission"
SPURIOUS = "spurious-retransmission"
OUT_OF_ORDER = "out-of-order"
# A segment that fills a hole the capture saw open less than this long ago was only overtaken
# on its way to the capture point (per-queue transmit, GSO on a busy host), not resent: the
# rule Wireshark applies before it calls anything a retransmission (its 3 ms default).
OUT_OF_ORDER_WINDOW = 0.003
DUP_ACK = "duplicate-ack"
WINDOW_UPDATE = "window-update"
ZERO_WINDOW = "zero-window"
ZERO_WINDOW_PROBE = "zero-window-probe"
KEEPALIVE = "keep-alive"
KEEPALIVE_ACK = "keep-alive-ack"
RESET = "reset"
FIN = "fin"
GAP = "previous-segment-not-captured"
ACKED_UNSEEN = "acked-unseen-segment"
OFFLOAD = "larger-than-mss"
WINDOW_FULL = "window-full"

DUPACK_THRESHOLD = 3  # RFC 5681 3.2


@dataclass
class Finding:
    kind: str
    text: str  # Said: English (the JSON's), local() for people

    def to_json(self) -> dict:
        return {"kind": self.kind, "text": self.text}


@dataclass
class _Dir:
    """What one side has sent so far, as Wireshark's analysis keeps it."""

    nextseq: int | None = None  # highest seq + SEG.LEN sent
    lastack: int | None = None
    window: int | None = None  # scaled
    dupacks: int = 0
    dupack_of: int | None = None  # segment number of the ACK being duplicated
    mss: int | None = None  # the MSS it announced (what its peer may send)
    wscale: int | None = None
    syn_only_seq: int | None = None  # its SYN without ACK, while no SYN,ACK from it yet
    peer_syn_seen: bool = False
    holes: list[tuple[int, int, float]] = field(default_factory=list)  # (from, to, seen at) never captured


@dataclass
class SegInfo:
    seg: Seg
    findings: list[Finding] = field(default_factory=list)
    window: int = 0  # the advertised window in bytes (scaled when scaling is known)
    dup_of: int | None = None  # for a dup ACK: the segment number of the ACK it repeats
    dup_count: int = 0
    old_byte: bool = False  # seq = SND.NXT-1 with 0 or 1 byte: a keep-alive's form (and Linux's zero-window probe's)

    def kinds(self) -> set[str]:
        return {f.kind for f in self.findings}


def scales(conn: Connection) -> dict[str, int | None]:
    """Window shift per side (RFC 7323 2.2): used only if both SYNs carried the option.

    None: the handshake was not captured, so the scale (and real window) is unknown."""
    syn = {s: next((g for g in conn.segments if g.side == s and g.has("SYN")), None) for s in SIDES}
    if not all(syn.values()):
        return {s: None for s in SIDES}
    ws = {s: syn[s].pkt.options.wscale for s in SIDES}
    if ws["client"] is None or ws["server"] is None:
        return {s: 0 for s in SIDES}
    return {s: min(ws[s], 14) for s in SIDES}  # RFC 7323 2.3: at most 14


def analyse(conn: Connection) -> list[SegInfo]:
    """One SegInfo per segment, in order, with what it is."""
    shift = scales(conn)
    dirs = {s: _Dir() for s in SIDES}
    out: list[SegInfo] = []
    last_from: dict[str, SegInfo | None] = {s: None for s in SIDES}
    for seg in conn.segments:
        fwd, rev = dirs[seg.side], dirs[other(seg.side)]
        p = seg.pkt
        win = p.window if p.has("SYN") else p.window << (shift[seg.side] or 0)
        info = SegInfo(seg, window=win)
        f = info.findings
        flags_ctl = p.flags & {"SYN", "FIN", "RST"}
        if p.options.mss is not None:
            fwd.mss = p.options.mss
        if p.has("SYN") and not p.has("ACK"):
            rev.peer_syn_seen = True
        peer_prev = last_from[other(seg.side)]

        if p.has("SYN"):
            f.append(Finding(HANDSHAKE, _syn_text(seg, shift)))
        # keep-alive / zero-window probe: seq = SND.NXT - 1, 0 or 1 byte (RFC 9293 3.8.4)
        keepalive = (fwd.nextseq is not None and seg.seg_len <= 1 and not flags_ctl
                     and seg.rel_seq == fwd.nextseq - 1)
        zwp = (not keepalive and seg.seg_len == 1 and not flags_ctl and fwd.nextseq is not None
               and seg.rel_seq == fwd.nextseq and rev.window == 0)
        info.old_byte = keepalive
        if keepalive:
            if rev.window == 0:
                f.append(Finding(ZERO_WINDOW_PROBE, Said(N_(
                    "zero-window probe in Linux's form: seq = SND.UNA-1, no new data, so the receiver must "
                    "answer with its window (RFC 9293 3.8.6.1; Linux tcp_xmit_probe_skb)"))))
            else:
                f.append(Finding(KEEPALIVE, Said.ngettext(
                    "keep-alive: seq = SND.NXT-1 with {n} byte, an old byte the peer must acknowledge "
                    "(RFC 9293 3.8.4, RFC 1122 4.2.3.6)",
                    "keep-alive: seq = SND.NXT-1 with {n} bytes, an old byte the peer must acknowledge "
                    "(RFC 9293 3.8.4, RFC 1122 4.2.3.6)", p.length)))
        elif zwp:
            f.append(Finding(ZERO_WINDOW_PROBE, Said(N_("zero-window probe: one new byte sent into a zero window, to "
                                                        "learn when it opens (RFC 9293 3.8.6.1)"))))
        elif p.has("SYN") and p.has("ACK") and fwd.syn_only_seq == seg.rel_seq:
            fwd.syn_only_seq = None  # its SYN again, now with the ACK: simultaneous open (RFC 9293 3.5 figure 8)
            f[-1] = Finding(HANDSHAKE, Said(N_("SYN,ACK after its own SYN: the SYNs crossed (simultaneous open, "
                                               "RFC 9293 3.5), so each side acknowledges the other's")))
        elif seg.seg_len > 0 and fwd.nextseq is not None and seg.rel_seq < fwd.nextseq and not p.has("RST"):
            hole = next((h for h in fwd.holes if h[0] <= seg.rel_seq and seg.end <= h[1]), None)
            if hole is not None and seg.time - hole[2] < OUT_OF_ORDER_WINDOW:
                f.append(Finding(OUT_OF_ORDER, Said(N_(
                    "out of order: it fills the hole at relative seq {seq} that the capture saw open {ms:.1f} ms ago, "
                    "so it was overtaken on the way, not resent (Wireshark's rule: within 3 ms)"),
                    seq=hole[0], ms=(seg.time - hole[2]) * 1000)))
            else:
                f.append(_retransmission(seg, fwd, rev))
        elif seg.seg_len > 0 and fwd.nextseq is not None and seg.rel_seq > fwd.nextseq and not p.has("SYN"):
            fwd.holes.append((fwd.nextseq, seg.rel_seq, seg.time))
            f.append(Finding(GAP, Said(N_("{n} bytes before this one (from relative seq {seq}) are not in the capture: "
                                          "lost before the capture point, or missed by the capture"),
                                       n=seg.rel_seq - fwd.nextseq, seq=fwd.nextseq)))
        if p.length and not keepalive and not zwp and not any(x.kind in (RETRANSMISSION, FAST_RETRANSMISSION,
                                                                         TIMEOUT_RETRANSMISSION, SPURIOUS) for x in f):
            f.append(Finding(DATA, Said(N_("{n} bytes of data, relative seq {first} to {last}"), n=p.length,
                                        first=seg.rel_seq, last=seg.rel_seq + p.length - 1)))
        if (p.length and not flags_ctl and shift[other(seg.side)] is not None and rev.lastack is not None
                and rev.window is not None and seg.rel_seq + p.length == rev.lastack + rev.window):
            f.append(Finding(WINDOW_FULL, Said(N_("fills the receiver's window: {n} bytes past its last ACK are now in "
                                                  "flight, so the sender must wait for an ACK (flow control, RFC 9293 "
                                                  "3.8.6)"), n=rev.window)))
        if p.length and rev.mss is not None and p.length > rev.mss:
            f.append(Finding(OFFLOAD, Said(N_("{n} bytes, more than the {mss}-byte MSS the peer announced: the capture "
                                              "saw it before segmentation offload split it (TSO/GSO) or after the "
                                              "receiver merged several (GRO); on the wire it was several segments. Not "
                                              "an error."), n=p.length, mss=rev.mss)))

        # the ACK side of the segment
        if p.has("ACK") and not p.has("SYN") and not p.has("RST"):
            is_probe_ack = peer_prev is not None and peer_prev.kinds() & {KEEPALIVE, ZERO_WINDOW_PROBE}
            same = (seg.seg_len == 0 and not flags_ctl and fwd.lastack is not None and seg.rel_ack == fwd.lastack
                    and (fwd.nextseq is None or seg.rel_seq == fwd.nextseq))
            if same and is_probe_ack and not win == 0:
                f.append(Finding(KEEPALIVE_ACK, Said(N_("answers the probe: the peer is alive") if win else
                                                     N_("answers the probe: the peer is alive and its window is still zero"))))
            elif same and win != 0 and win == fwd.window:
                fwd.dupacks += 1
                info.dup_of, info.dup_count = fwd.dupack_of, fwd.dupacks
                f.append(Finding(DUP_ACK, Said(N_("duplicate ACK #{k} of segment {of} (ack {ack} again): a segment "
                                                  "arrived that was not the next expected, or a copy (RFC 5681 2, 4.2)"),
                                               k=fwd.dupacks, of=fwd.dupack_of, ack=seg.rel_ack)))
            elif same and fwd.window is not None and win != fwd.window:
                f.append(Finding(WINDOW_UPDATE, Said(N_("window update: the window goes from {before} to {after} bytes, "
                                                        "nothing else new (RFC 9293 3.8.6.2.2)"),
                                                     before=fwd.window, after=win)))
            elif same and is_probe_ack:
                f.append(Finding(KEEPALIVE_ACK, Said(N_("answers the probe: its window is still zero"))))
            if fwd.lastack is None or seg.rel_ack != fwd.lastack:
                fwd.dupacks, fwd.dupack_of = 0, seg.i
            if rev.nextseq is not None and seg.rel_ack > rev.nextseq:
                f.append(Finding(ACKED_UNSEEN, Said(N_("acknowledges up to {ack}, beyond anything the capture saw sent "
                                                       "({seen}): the capture missed segments"),
                                                    ack=seg.rel_ack, seen=rev.nextseq)))
            if not f and seg.pure_ack:
                f.append(Finding(ACK, Said(N_("acknowledges every byte before relative {ack}"), ack=seg.rel_ack)))
            fwd.lastack = seg.rel_ack if fwd.lastack is None else max(fwd.lastack, seg.rel_ack)
        elif p.has("SYN") and p.has("ACK"):  # the SYN,ACK's ACK counts: a later ACK repeating it is a duplicate
            fwd.lastack, fwd.dupacks, fwd.dupack_of = seg.rel_ack, 0, seg.i
        if win == 0 and not p.has("RST"):
            f.append(Finding(ZERO_WINDOW, Said(N_("zero window: its receive buffer is full, the peer must stop sending "
                                                  "(RFC 9293 3.8.6)"))))
        if p.has("FIN"):
            f.append(Finding(FIN, Said(N_("FIN: this side has no more data to send (RFC 9293 3.6)"))))
        if p.has("RST"):
            f.append(Finding(RESET, _reset_text(seg, out)))

        if p.has("SYN") and not p.has("ACK") and fwd.peer_syn_seen is False and rev.syn_only_seq is None:
            fwd.syn_only_seq = seg.rel_seq
        elif p.has("SYN") and not p.has("ACK") and rev.syn_only_seq is not None:
            fwd.syn_only_seq = seg.rel_seq  # the second of two crossing SYNs
        end = seg.end
        if not zwp:  # a probe's byte is not yet sent for good: the next probe repeats it (as Wireshark counts)
            fwd.nextseq = end if fwd.nextseq is None or end > fwd.nextseq else fwd.nextseq
        if not p.has("RST"):
            fwd.window = win
        out.append(info)
        last_from[seg.side] = info
    return out


def _syn_text(seg: Seg, shift) -> Said:
    o = seg.pkt.options
    what = (N_("SYN,ACK: answers the SYN and sends its own ISN {isn} (relative 0)") if seg.has("ACK")
            else N_("SYN: opens the connection, ISN {isn} (relative 0)"))
    opts = []
    if o.mss is not None:
        opts.append(Said(N_("MSS {mss} (the largest segment it will accept, RFC 9293 3.7.1)"), mss=o.mss))
    if o.wscale is not None:
        opts.append(Said(N_("window scale {ws} (windows x{factor}, RFC 7323 2)"), ws=o.wscale,
                         factor=2 ** min(o.wscale, 14)))
    if o.sack_permitted:
        opts.append(Said(N_("SACK permitted (RFC 2018)")))
    if o.ts is not None:
        opts.append(Said(N_("timestamps TSval={tsval} (RFC 7323 3)"), tsval=o.ts[0]))
    if opts:
        return Said(N_("{what}; options: {options}"), what=Said(what, isn=seg.pkt.seq), options=Listed(", ", opts))
    return Said(what, isn=seg.pkt.seq)


def _retransmission(seg: Seg, fwd: _Dir, rev: _Dir) -> Finding:
    what = ("SYN" if seg.has("SYN") else "FIN" if seg.has("FIN") and not seg.length
            else Said(N_("{n} bytes"), n=seg.length))
    if rev.lastack is not None and seg.end <= rev.lastack:
        return Finding(SPURIOUS, Said(N_(
            "spurious retransmission of {what} at relative seq {seq}: an ACK of it is already in the capture, so "
            "either that ACK was lost on its way after the capture point, or it was only late and the timer fired "
            "too early (RFC 6298 5.5; one capture point cannot tell which)"), what=what, seq=seg.rel_seq))
    if rev.dupacks >= DUPACK_THRESHOLD and rev.lastack == seg.rel_seq:
        return Finding(FAST_RETRANSMISSION, Said(N_("fast retransmission of {what} at relative seq {seq}: it follows "
                                                    "{dupacks} duplicate ACKs asking for it (RFC 5681 3.2)"),
                                                 what=what, seq=seg.rel_seq, dupacks=rev.dupacks))
    return Finding(TIMEOUT_RETRANSMISSION, Said(N_(
        "retransmission of {what} at relative seq {seq}, probably by timeout (RFC 6298 5.4: fewer than 3 duplicate ACKs "
        "asked for it; a tail-loss probe, RFC 8985 7, looks the same). From one capture point it cannot be known where "
        "the first copy was lost, or whether it was lost at all."), what=what, seq=seg.rel_seq))


def _reset_text(seg: Seg, before: list[SegInfo]) -> Said:
    prev = next((i.seg for i in reversed(before) if i.seg.side != seg.side), None)
    if prev is not None and prev.has("SYN") and not prev.has("ACK") and seg.has("ACK") and seg.rel_ack == prev.end:
        return Said(N_("RST,ACK answering the SYN: nothing listens on that port (RFC 9293 3.10.7.1: no connection, "
                       "<SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>); the connection is refused"))
    mine = [i.seg for i in before if i.seg.side == seg.side]
    theirs = [i.seg for i in before if i.seg.side != seg.side]
    if any(s.has("FIN") for s in mine) and any(s.has("FIN") for s in theirs):
        return Said(N_("RST after both FINs: a segment reached a side with no connection left (RFC 9293 3.10.7.1)"))
    if before and before[-1].kinds() & {KEEPALIVE} and before[-1].seg.side == seg.side:
        return Said(N_("RST after unanswered keep-alive probes: the peer is taken for dead (RFC 1122 4.2.3.6)"))
    return Said(N_("RST: an abort, the application reset the connection (RFC 9293 3.10.5 ABORT: e.g. it closed with "
                   "unread data, or with SO_LINGER 0), or its host had no connection for a segment it got"))
