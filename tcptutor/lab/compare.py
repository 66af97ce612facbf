"""How a kernel run and a simulation of the same scenario compare, segment by segment.

Pure: both runs come in as lists of segment dicts (the TUN harness's `segments`, the trace
JSON's `segments`). A row is ((sender, flags without PSH, seq and ack relative to the ISNs,
payload length, fate), time); the kernel tests and `tcptutor lab` compare rows.

Time tolerance: |t_kernel - t_sim| <= 20 ms + t_sim / 8, t_sim counted from the case start,
t_kernel less the harness's own lateness at its last act before the segment. The eighth is
the timer wheel's slack (kernel/time/timer.c: a timer in level n fires up to one level-n
bucket late, at most 1/8 of its expiry distance), and no timer that ends at t_sim can have
started before the run did, so t_sim / 8 bounds it. The 20 ms cover jiffies rounding (HZ 250:
4 ms), the kernel's own ms-granular RTO arithmetic and the harness's real-time scheduling on
a loaded machine.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..i18n import N_, Said

SLACK_FIXED = 0.020  # seconds
SLACK_SHARE = 1 / 8


def discount_lateness(segments: list[dict], started: list[list[float]],
                      delivered: list[list[float]] = ()) -> list[dict]:
    """The kernel run's segments with each time less how late the harness was at its last
    act before the segment: beginning a step, or handing the kernel a packet (a reply to a
    packet handed over late leaves late, through no fault of the kernel). Each pair is
    (when it was due, when it happened); the latest act before a segment decides."""
    acts = sorted([*started, *delivered], key=lambda pair: pair[1])
    out = []
    for seg in segments:
        late = 0.0
        for due, real in acts:
            if real > seg["t"]:
                break
            late = max(0.0, real - due)
        out.append({**seg, "t": round(seg["t"] - late, 6)})
    return out


def rows(segments: list[dict], time_key: str) -> list[tuple]:
    """((src, flags without PSH, seq, ack, len, fate), time) for each segment.

    seq is relative to the sender's ISN toward that receiver (its first seq to it; a SYN with
    another seq starts a new connection and a new ISN), ack to the receiver's: the runs' own
    random ISNs (the kernel's, a listener's for a second connection) then compare equal.
    """
    isn: dict[tuple[str, str], int] = {}
    out = []
    for s in segments:
        pair = (s["src"], s["dst"])
        if pair not in isn or ("SYN" in s["flags"] and s["seq"] != isn[pair]):
            isn[pair] = s["seq"]
        other = isn.get((s["dst"], s["src"]))
        ack = (s["ack"] - other) % 2**32 if "ACK" in s["flags"] and other is not None else s["ack"]
        flags = "+".join(f for f in s["flags"] if f != "PSH")
        out.append(((s["src"], flags, (s["seq"] - isn[pair]) % 2**32, ack, s["len"], s["fate"]),
                    s[time_key]))
    return out


def untie(kernel: list[tuple], sim: list[tuple]) -> list[tuple]:
    """The kernel rows, with two neighbours swapped where the simulator sent both at one instant
    from different ends: which of them the harness saw first says nothing about either stack."""
    kernel = list(kernel)
    for i in range(min(len(kernel), len(sim)) - 1):
        if (kernel[i][0] != sim[i][0] and sim[i][1] == sim[i + 1][1] and sim[i][0][0] != sim[i + 1][0][0]
                and kernel[i][0] == sim[i + 1][0] and kernel[i + 1][0] == sim[i][0]):
            kernel[i], kernel[i + 1] = kernel[i + 1], kernel[i]
    return kernel


def tolerance(t_sim: float) -> float:
    return SLACK_FIXED + SLACK_SHARE * t_sim


def compare(kernel: list[tuple], sim: list[tuple], timed: str | None = None) -> list[str]:
    """What differs, one line each (empty: the runs agree).

    `timed` names the endpoint whose send times are compared (the kernel's); None compares all.
    The peer's segments (and a flood's) leave when the harness, a Python process sharing the
    machine, gets to send them: their times say how busy the machine was, not what either
    stack does, so only their contents are compared."""
    problems = []
    for i in range(max(len(kernel), len(sim))):
        k = kernel[i] if i < len(kernel) else None
        s = sim[i] if i < len(sim) else None
        if k is None or s is None or k[0] != s[0]:
            problems.append(f"segment {i + 1}: kernel {k[0] if k else '-'}, simulator {s[0] if s else '-'}")
            break  # after the first difference in order the rest is shifted
        if (timed is None or s[0][0] == timed) and abs(k[1] - s[1]) > tolerance(s[1]):
            problems.append(f"segment {i + 1}: kernel at {k[1]:.3f} s, simulator at {s[1]:.3f} s "
                            f"(tolerance {tolerance(s[1]) * 1000:.0f} ms)")
    return problems


def side_by_side(kernel: list[tuple], sim: list[tuple]) -> str:
    def show(r):
        if r is None:
            return "-"
        (src, flags, seq, ack, length, fate), t = r
        src = src.replace("spoof-", "spf")
        return f"{t:8.3f} {src:<6} {flags:<8} {seq:>6} {ack:>6} {length:>4}{' DROP' if fate == 'dropped' else ''}"

    lines = [f"      {'kernel run (t s, src, flags, seq, ack, len)':<46} simulator"]
    for i in range(max(len(kernel), len(sim))):
        k = kernel[i] if i < len(kernel) else None
        s = sim[i] if i < len(sim) else None
        same = k is not None and s is not None and k[0] == s[0] and abs(k[1] - s[1]) <= tolerance(s[1])
        lines.append(f"{i + 1:>3} {'  ' if same else '!='} {show(k):<46} {show(s)}")
    return "\n".join(lines)


# ---------------------------------------------------------------------- tcptutor lab

SAME, SLACK, DIFFERENT, KERNEL_ONLY, SIMULATOR_ONLY = "same", "slack", "different", "kernel-only", "simulator-only"
NOTICEABLE = 0.005  # seconds: a time difference below this is not worth a word


@dataclass(frozen=True)
class Pair:
    """One row of `tcptutor lab`: a kernel-run segment and the simulator's that matches it
    (either may be missing), how they compare, and why they differ where that is known."""

    kernel: dict | None
    sim: dict | None
    status: str
    reason: str = ""  # Said: English in the JSON, local() in the picture


def _pure_ack(seg: dict) -> bool:
    return seg["len"] == 0 and [f for f in seg["flags"] if f != "PSH"] == ["ACK"]


def _resent(segments: list[dict], i: int) -> bool:
    """Whether segment i repeats sequence space its sender already sent to that receiver."""
    seg = segments[i]
    if seg["len"] == 0 and not {"SYN", "FIN"} & set(seg["flags"]):
        return False
    return any(s["src"] == seg["src"] and s["dst"] == seg["dst"] and s["seq"] == seg["seq"]
               and (s["len"] or {"SYN", "FIN"} & set(s["flags"])) for s in segments[:i])


def why_different(kernel: dict | None, sim: dict | None, kernel_end: str, resent: bool) -> str:
    """The likeliest reason a kernel segment and a simulated one differ (or one is missing),
    from what kind of segment it is; "" when nothing specific is known."""
    seg = kernel or sim
    if kernel_end != "both" and seg["src"] != kernel_end:
        return Said(N_("the peer answers what reached it: this follows from an earlier difference"))
    if kernel is not None and sim is not None:
        if set(kernel["flags"]) - {"PSH"} != set(sim["flags"]) - {"PSH"}:
            return ""
        if kernel["len"] != sim["len"]:
            return Said(N_("segment sizes differ: Linux sizes segments by its size goal and merges small writes and "
                           "retransmissions (tcp_sendmsg_locked, tcp_retrans_try_collapse)"))
        if kernel["win"] != sim["win"]:
            return Said(N_("the advertised window differs: Linux grows it by receive-buffer auto-tuning "
                           "(tcp_rcv_space_adjust)"))
        return ""
    if _pure_ack(seg):
        if kernel is not None:
            return Said(N_("an ACK the simulator did not send: Linux acknowledges at once in quick-ack mode "
                           "(tcp_in_quickack_mode) or sends a delayed ACK the simulator merged (tcp_send_delayed_ack)"))
        return Said(N_("an ACK the kernel did not send: Linux delayed it and let a later segment carry it "
                       "(tcp_send_delayed_ack, tcp_delack_timer)"))
    if resent:
        return Said(N_("a retransmission on one side only: the kernel's recovery differs here (tcp_retransmit_timer, "
                       "tcp_fastretrans_alert; F-RTO, RFC 5682, is not modelled)"))
    return ""


def align(kernel_segments: list[dict], sim_segments: list[dict], kernel_end: str) -> list[Pair]:
    """Pair the kernel run's segments (times already discounted) with the simulator's;
    `kernel_end` is the endpoint the kernel played, or "both".

    Segments are matched by content (sender, flags, relative numbers, length, fate) in order,
    as difflib matches lines, so a segment only one side sent shows as one row with a gap,
    and the rest still lines up. The kernel endpoint's send times are compared within the
    timer slack (`tolerance`); the peer's are not (the harness, a Python process, sends them)."""
    import difflib

    krows, srows = rows(kernel_segments, "t"), rows(sim_segments, "sent_at")
    order = list(range(len(krows)))
    for i in range(min(len(krows), len(srows)) - 1):  # untie, keeping the permutation
        a, b = order[i], order[i + 1]
        if (krows[a][0] != srows[i][0] and srows[i][1] == srows[i + 1][1] and srows[i][0][0] != srows[i + 1][0][0]
                and krows[a][0] == srows[i + 1][0] and krows[b][0] == srows[i][0]):
            order[i], order[i + 1] = b, a
    keys_k = [krows[j][0] for j in order]
    keys_s = [r[0] for r in srows]
    pairs: list[Pair] = []
    matcher = difflib.SequenceMatcher(None, keys_k, keys_s, autojunk=False)
    peer_late = 0.0  # how late the harness sent the peer's latest segment, against the simulation
    for op, k0, k1, s0, s1 in matcher.get_opcodes():
        if op == "equal":
            for dk, ds in zip(range(k0, k1), range(s0, s1)):
                j = order[dk]
                kseg, sseg = kernel_segments[j], sim_segments[ds]
                status, reason = SAME, ""
                gap = kseg["t"] - sseg["sent_at"]
                if kernel_end != "both" and kseg["src"] != kernel_end:
                    peer_late = gap
                else:
                    slack = tolerance(sseg["sent_at"])
                    if abs(gap) > slack and peer_late > 0 and abs(gap - peer_late) <= slack:
                        # the kernel answered on time a segment the harness handed it late
                        status = SLACK
                        reason = Said(N_("{gap:+.0f} ms, of which {late:.0f} ms because the peer's segment before "
                                         "it left late (the harness shares a busy machine)"),
                                      gap=gap * 1000, late=peer_late * 1000)
                    elif abs(gap) > slack:
                        status = DIFFERENT
                        reason = Said(N_("the kernel sent it {gap:.0f} ms later: more than its timer slack "
                                         "({slack:.0f} ms here)") if gap > 0 else
                                      N_("the kernel sent it {gap:.0f} ms earlier: more than its timer slack "
                                         "({slack:.0f} ms here)"), gap=abs(gap) * 1000, slack=slack * 1000)
                    elif abs(gap) > NOTICEABLE:
                        status, reason = SLACK, Said(N_("{gap:+.0f} ms: within the kernel's timer slack"), gap=gap * 1000)
                pairs.append(Pair(kseg, sseg, status, reason))
            continue
        ks = [order[d] for d in range(k0, k1)]
        ss = list(range(s0, s1))
        for n in range(max(len(ks), len(ss))):
            kseg = kernel_segments[ks[n]] if n < len(ks) else None
            sseg = sim_segments[ss[n]] if n < len(ss) else None
            resent = _resent(kernel_segments, ks[n]) if kseg is not None else _resent(sim_segments, ss[n])
            status = DIFFERENT if kseg is not None and sseg is not None else KERNEL_ONLY if kseg else SIMULATOR_ONLY
            pairs.append(Pair(kseg, sseg, status, why_different(kseg, sseg, kernel_end, resent)))
    return pairs
