"""`pcap`: the simulated segments as a pcapng capture that opens in Wireshark like a real one.

One capture per trace. `tcptutor export pcap --scenario NAME|FILE --out F.pcapng` writes the
capture of one scenario; without --scenario, `--out DIR` gets one `QID-seedS.pcapng` per
simulator-backed question variant (these captures show every number a predict question
asks for: they are instructor material, like the answer key).

What is in a capture
--------------------
- pcapng (Section Header, one Interface Description, one Enhanced Packet Block per
  segment). The interface's link type is LINKTYPE_RAW (101): each packet is a bare IPv4
  datagram, as on a tun device, so no MAC addresses have to be invented. Timestamps use
  the default resolution (if_tsresol absent: microseconds).
- Timestamps are the simulation clock on a real date: a packet's time is its segment's
  `sent_at` after a fixed base, 2026-01-01 00:00:00 UTC (EPOCH), so Wireshark shows a
  plausible date (not 1 January 1970), its "seconds since the beginning of capture" are
  the trace's times, and the same trace always gives the same bytes.
- Capture point: the sender of each segment. Every segment the trace lists is in the
  capture, in wire order, at the moment it was put on the wire, including the segments
  the network then lost (`fate = dropped`): they were transmitted, as a capture at the
  sender would show, which is also what lets Wireshark spot the retransmissions and
  duplicate ACKs itself. Each lost packet's comment says that it never arrived.
- Addresses (tcp/addresses.py, shared with questions about ports): client 10.0.0.1 port
  40000, server 10.0.0.2 port 80; the spoofed source `spoof-N` of a SYN flood is
  198.18.0.0 + N (the RFC 2544 benchmarking range, so spoof-1 is 198.18.0.1 and spoof-256
  is 198.18.1.0) with source port 1024 + N. Any other endpoint name gets the next free
  address of 198.19.0.0/16, port 1024 + k.
- IPv4: no options, DF set, TTL 64, an identification counter per sender, correct header
  checksum. TCP: the trace's seq, ack (the wire value), flags and window (clamped to
  65535: the simulator has no window scaling), the MSS option on segments that carried
  one (every SYN and SYN+ACK), a correct checksum over the RFC 9293 pseudo-header. The
  payload is `len` bytes of the letters A-Z picked by absolute sequence number
  (byte at sequence number s is "ABC...Z"[s mod 26]), so a retransmission carries exactly
  the bytes of the segment it repeats.
- A comment (opt_comment) on every packet: which states its arrival caused, e.g.
  "arrives at 0.020 s: client: SYN-SENT -> ESTABLISHED", or that it was lost, then which
  call, arrival or timer made the sender send it, read off the trace's events (the arrival
  each caused and the `sent` lists: tcp.analysis), e.g. "Sent by server: LISTEN -> SYN-RECEIVED (recv #1)".
  The section header's comment names the trace.
"""

from __future__ import annotations

import ipaddress
import struct
from functools import cache
from pathlib import Path

from .. import __version__
from ..segment_flags import wireshark_flags
from ..errors import InputError
from ..tcp.addresses import CLIENT, OTHER_BASE, SERVER, SPOOF_BASE, Addresses  # noqa: F401 (re-exported)
from ..tcp.trace import SegmentRecord, Trace, TraceEvent
from ..inet import checksum  # noqa: F401 (re-exported: the tests check packets with it)
from . import ExportSet, register

LINKTYPE_RAW = 101
EPOCH = 1_767_225_600  # Unix time of the simulation's t = 0: 2026-01-01T00:00:00Z
TTL = 64
FLAG_BITS = {"FIN": 0x01, "SYN": 0x02, "RST": 0x04, "PSH": 0x08, "ACK": 0x10, "URG": 0x20}
LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# pcapng block types and option codes (draft-ietf-opsawg-pcapng)
SHB, IDB, EPB = 0x0A0D0D0A, 0x00000001, 0x00000006
BYTE_ORDER_MAGIC = 0x1A2B3C4D
OPT_ENDOFOPT, OPT_COMMENT = 0, 1
SHB_USERAPPL = 4
IF_NAME, IF_DESCRIPTION = 2, 3


# ---------------------------------------------------------------------------
# IPv4 + TCP
# ---------------------------------------------------------------------------




def payload(seq: int, length: int) -> bytes:
    """`length` bytes starting at sequence number seq (SYN-less data): A-Z by seq mod 26
    (sliced out of the alphabet repeated, not built byte by byte)."""
    start = seq % 26
    return (LETTERS * ((start + length) // 26 + 1))[start:start + length]


@cache
def _packed(address: str) -> bytes:
    """An IPv4 address's 4 bytes: a capture has two or three addresses and thousands of packets."""
    return ipaddress.IPv4Address(address).packed


def tcp_segment(seg: SegmentRecord, src: tuple[str, int], dst: tuple[str, int]) -> bytes:
    """The TCP header (with options) and payload of a trace segment, checksum filled in."""
    options = b""
    if seg.mss:
        options += struct.pack("!BBH", 2, 4, seg.mss)  # kind 2: maximum segment size
    while len(options) % 4:
        options += b"\x01"  # NOP padding
    flags = 0
    for f in seg.flags:
        flags |= FLAG_BITS.get(f, 0)
    data_offset = (20 + len(options)) // 4
    data = payload(seg.seq + seg.has("SYN"), seg.length)
    header = struct.pack("!HHIIBBHHH", src[1], dst[1], seg.seq % 2**32, seg.ack % 2**32,
                         data_offset << 4, flags, min(seg.win, 0xFFFF), 0, 0)
    body = header + options + data
    pseudo = (_packed(src[0]) + _packed(dst[0])
              + struct.pack("!BBH", 0, 6, len(body)))
    csum = checksum(pseudo + body)
    return body[:16] + struct.pack("!H", csum) + body[18:]


def ipv4_packet(tcp: bytes, src: str, dst: str, ident: int) -> bytes:
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), ident & 0xFFFF, 0x4000, TTL, 6, 0,
                         _packed(src), _packed(dst))
    csum = checksum(header)
    return header[:10] + struct.pack("!H", csum) + header[12:] + tcp


# ---------------------------------------------------------------------------
# Comments: the states each segment caused, read off the trace's events
# ---------------------------------------------------------------------------


def _who(e: TraceEvent) -> str:
    ep = e.endpoint
    if ep == "listener":
        return f"server (listener, for {e.peer})" if e.peer else "server (listener)"
    return ep


def _states(e: TraceEvent) -> str:
    """'client: SYN-SENT -> ESTABLISHED', or 'server stays ESTABLISHED'."""
    before, after = e.state_before, e.state_after
    if before and after and before != after:
        return f"{_who(e)}: {before} -> {after}"
    return f"{_who(e)} stays {after or before}"


def _time(t: float) -> str:
    return f"{t:.6f}".rstrip("0").rstrip(".") if t else "0"


class _Causes:
    """What analysis.caused_by and analysis.sent_by answer for every segment of a trace, read
    off its events in one pass (asking them per segment scanned the events once per packet)."""

    def __init__(self, trace: Trace):
        self.caused: dict[int, list[TraceEvent]] = {}
        self.sent: dict[int, TraceEvent] = {}
        for e in trace.events:
            if e.cause.is_recv:
                self.caused.setdefault(e.cause.segment, []).append(e)
            for n in e.sent:
                self.sent.setdefault(n, e)


def comment_for(seg: SegmentRecord, trace: Trace, causes: _Causes | None = None) -> str:
    """The packet comment of a segment, e.g. '#2 [SYN,ACK] server -> client: arrives at 0.02 s:
    client: SYN-SENT -> ESTABLISHED. Sent by server: LISTEN -> SYN-RECEIVED (recv #1).'

    causes: the trace's _Causes, when the caller writes every segment's comment."""
    n = seg.n
    if causes is None:
        causes = _Causes(trace)
    head = f"#{n} {wireshark_flags(seg.flags)} {seg.src} -> {seg.dst}"
    if not seg.delivered:
        caused = "lost in the network (captured at the sender): it never arrives"
    else:
        arrivals = causes.caused.get(n, [])
        at = f"arrives at {_time(seg.arrived_seconds)} s" if seg.arrived_at is not None else "arrives"
        if arrivals:
            caused = f"{at}: " + "; ".join(_states(e) for e in arrivals)
        else:
            spoofed = " (a spoofed source: nobody is there)" if seg.dst.startswith("spoof-") else ""
            caused = f"{at}: {seg.dst} keeps no state for it{spoofed}"
    e = causes.sent.get(n)
    if e is not None:
        why = str(e.cause)
        before, after = e.state_before, e.state_after
        if before and after and before != after:
            sent = f"Sent by {_states(e)} ({why})"
        else:
            sent = f"Sent by {_who(e)} in {after or before} ({why})"
    else:
        sent = f"Sent by {seg.src}"
    parts = [f"{head}: {caused}.", f"{sent}."]
    if seg.retransmission:
        parts.append("Retransmission.")
    if seg.note_text:
        parts.append(f"Note: {seg.note_text}.")
    return " ".join(parts)


# ---------------------------------------------------------------------------
# pcapng blocks
# ---------------------------------------------------------------------------


def _option(code: int, value: bytes) -> bytes:
    pad = (-len(value)) % 4
    return struct.pack("<HH", code, len(value)) + value + b"\0" * pad


def _options(pairs: list[tuple[int, bytes]]) -> bytes:
    if not pairs:
        return b""
    return b"".join(_option(c, v) for c, v in pairs) + struct.pack("<HH", OPT_ENDOFOPT, 0)


def _block(block_type: int, body: bytes) -> bytes:
    assert len(body) % 4 == 0
    total = 12 + len(body)
    return struct.pack("<II", block_type, total) + body + struct.pack("<I", total)


def section_header(comment: str = "") -> bytes:
    opts = [(SHB_USERAPPL, f"tcptutor {__version__}".encode())]
    if comment:
        opts.insert(0, (OPT_COMMENT, comment.encode()))
    body = struct.pack("<IHHq", BYTE_ORDER_MAGIC, 1, 0, -1) + _options(opts)
    return _block(SHB, body)


def interface_description() -> bytes:
    opts = [(IF_NAME, b"tcptutor-sim"),
            (IF_DESCRIPTION, b"tcptutor simulated network (raw IPv4), captured at each segment's sender")]
    body = struct.pack("<HHI", LINKTYPE_RAW, 0, 0) + _options(opts)
    return _block(IDB, body)


def enhanced_packet(packet: bytes, micros: int, comment: str) -> bytes:
    pad = (-len(packet)) % 4
    body = struct.pack("<IIIII", 0, (micros >> 32) & 0xFFFFFFFF, micros & 0xFFFFFFFF, len(packet), len(packet))
    body += packet + b"\0" * pad + _options([(OPT_COMMENT, comment.encode())])
    return _block(EPB, body)


def trace_to_pcapng(trace: Trace, *, comment: str | None = None) -> bytes:
    """The whole capture of a trace, as bytes."""
    addr = Addresses()
    ident: dict[str, int] = {}
    title = trace.title or "TCP trace"
    shb_comment = comment or f"tcptutor simulation: {title}"
    out = [section_header(shb_comment), interface_description()]
    segments = sorted(trace.segments, key=lambda s: s.sent_at)  # stable: wire order
    causes = _Causes(trace)
    for seg in segments:
        src, dst = addr(seg.src), addr(seg.dst)
        ident[seg.src] = ident.get(seg.src, 0) + 1
        packet = ipv4_packet(tcp_segment(seg, src, dst), src[0], dst[0], ident[seg.src])
        micros = EPOCH * 1_000_000 + seg.sent_at
        out.append(enhanced_packet(packet, micros, comment_for(seg, trace, causes)))
    return b"".join(out)


def write_trace(trace: Trace, path: Path, *, comment: str | None = None) -> Path:
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(trace_to_pcapng(trace, comment=comment))
    return path


def scenario_trace(name_or_file: str) -> Trace:
    """The trace of a shipped scenario (by name) or of a scenario file."""
    from ..library import load_scenario
    from ..tcp.simulator import simulate

    return simulate(load_scenario(name_or_file))


def write_scenario(name_or_file: str, out: Path) -> list[Path]:
    """`--scenario`: one capture; a folder `out` gets NAME.pcapng."""
    trace = scenario_trace(name_or_file)
    out = Path(out)
    if out.is_dir():
        out = out / f"{Path(name_or_file).stem}.pcapng"
    return [write_trace(trace, out)]


@register("pcap")
def write_pcap(selection: ExportSet, out: Path) -> list[Path]:
    """One QID-seedS.pcapng per simulator-backed variant, in the folder `out`."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(str(out), None, "pcap export of questions writes one file per variant: --out must be a folder (or use --scenario for one capture)")
    written = []
    for item in selection.items:
        for v in item.variants:
            if v.trace is None:
                continue
            out.mkdir(parents=True, exist_ok=True)
            comment = (f"tcptutor question {item.question.id} (version {item.version}), seed {v.seed}: "
                       f"{v.trace.title or 'TCP trace'}")
            written.append(write_trace(v.trace, out / f"{item.question.id}-seed{v.seed}.pcapng", comment=comment))
    if not written:
        raise InputError("export", None, "no selected question has a simulated scenario, so there is nothing to capture")
    return written
