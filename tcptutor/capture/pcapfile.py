"""Reading a capture file (pcap or pcapng) into Packets: the one module that does I/O and imports dpkt.

dpkt (pure Python) reads the file formats, pcap in both byte orders and both time
resolutions, and pcapng; `packet.decode` reads each frame's headers. Anything wrong with
the file (not a capture, cut short, a frame whose headers are impossible) is a
CaptureError naming the file, which the CLI prints as one line with exit code 2.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..i18n import N_, Said, _
from .packet import (DLT_RAW_ALIASES, LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL,
                     LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP, LINKTYPE_NULL, LINKTYPE_RAW, DecodeError, Packet, decode)

PCAP_MAGICS = {b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"}
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"


class CaptureError(InputError):
    """A file that is not a readable capture, or holds no TCP."""


@dataclass
class Capture:
    """The TCP packets of a capture, and what the reader saw beside them."""

    name: str
    linktype: int
    packets: list[Packet]
    frames: int = 0  # every frame, TCP or not
    snaplen: int = 0
    warnings: list[str] = field(default_factory=list)


def _pcap_frames(data: bytes):
    """(link type, snaplen, [(linktype, time, frame)]) of a classic pcap, read by dpkt."""
    import dpkt

    reader = dpkt.pcap.Reader(io.BytesIO(data))
    linktype = reader.datalink()
    return linktype, reader.snaplen, ((linktype, float(ts), bytes(f)) for ts, f in reader)


def _pcapng_frames(data: bytes):
    """The same for pcapng, frame by frame with its own interface's link type and time
    resolution (dpkt.pcapng.Reader reads only the first interface's: a Wireshark capture on
    several interfaces has one Interface Description Block each). dpkt parses the blocks."""
    import dpkt
    import dpkt.pcapng as ng

    first = ng.Reader(io.BytesIO(data))  # checks the section header, finds the first interface
    linktype, snaplen = first.datalink(), first.snaplen

    def frames():
        le, i = True, 0
        ifaces: list[tuple[int, float, int]] = []  # (link type, time divisor, offset in s)
        while i + 12 <= len(data):
            btype = struct.unpack_from("<I", data, i)[0]
            if btype == ng.PCAPNG_BT_SHB:  # a section: its own byte order and interfaces
                le = data[i + 8:i + 12] == b"\x4d\x3c\x2b\x1a"
                ifaces = []
            size = struct.unpack_from("<I" if le else ">I", data, i + 4)[0]
            if size < 12 or size % 4 or i + size > len(data):
                raise dpkt.NeedData("a pcapng block runs past the end of the file")
            block = data[i:i + size]
            if btype == ng.PCAPNG_BT_IDB:
                idb = (ng.InterfaceDescriptionBlockLE if le else ng.InterfaceDescriptionBlock)(block)
                divisor, offset = 1e6, 0
                for opt in idb.opts:
                    if opt.code == ng.PCAPNG_OPT_IF_TSRESOL and opt.data:
                        v = opt.data[0]
                        divisor = float((2 if v & 0x80 else 10) ** (v & 0x7F))
                    elif opt.code == ng.PCAPNG_OPT_IF_TSOFFSET and len(opt.data) >= 8:
                        offset = struct.unpack("<q" if le else ">q", opt.data[:8])[0]
                ifaces.append((idb.linktype, divisor, offset))
            elif btype in (ng.PCAPNG_BT_EPB, ng.PCAPNG_BT_PB):
                cls = {ng.PCAPNG_BT_EPB: (ng.EnhancedPacketBlockLE, ng.EnhancedPacketBlock),
                       ng.PCAPNG_BT_PB: (ng.PacketBlockLE, ng.PacketBlock)}[btype][0 if le else 1]
                pkt = cls(block)
                iface = getattr(pkt, "iface_id", None)
                if iface is None:
                    iface = getattr(pkt, "iface", 0)
                if iface >= len(ifaces):
                    raise ValueError(f"a packet names interface {iface}, which the file does not describe")
                lt, divisor, offset = ifaces[iface]
                yield lt, offset + ((pkt.ts_high << 32) | pkt.ts_low) / divisor, bytes(pkt.pkt_data)
            elif btype == ng.PCAPNG_BT_SPB and ifaces:  # simple packet block: interface 0, no time
                length = struct.unpack_from("<I" if le else ">I", block, 8)[0]
                yield ifaces[0][0], 0.0, block[12:12 + min(length, size - 16)]
            i += size

    return linktype, snaplen, frames()


def _frames(data: bytes, name: str):
    head = data[:4]
    if head in PCAP_MAGICS:
        return _pcap_frames(data)
    if head == PCAPNG_MAGIC:
        return _pcapng_frames(data)
    raise CaptureError(name, None, _("not a pcap or pcapng capture (its first bytes are neither magic number)"))


def parse_capture(data: bytes, name: str = "<capture>") -> Capture:
    """Every TCP packet of a capture given as bytes, in capture order."""
    import dpkt

    failures = (ValueError, struct.error, dpkt.Error, IndexError, KeyError, TypeError, OverflowError, EOFError)
    try:
        linktype, snaplen, frames = _frames(data, name)
        capture = Capture(name, linktype, [], snaplen=snaplen or 0)
        for number, (lt, ts, frame) in enumerate(frames, start=1):
            capture.frames = number
            try:
                pkt = decode(lt, frame, number, ts)
            except DecodeError as err:
                capture.warnings.append(Said(N_("frame {number}: skipped: {why}"), number=number, why=err.args[0]))
                continue
            if pkt is not None:
                capture.packets.append(pkt)
    except CaptureError:
        raise
    except dpkt.NeedData:
        raise CaptureError(name, None, _("the capture is cut short (its last record is incomplete)")) from None
    except failures as err:
        raise CaptureError(name, None, _("not a readable capture: {why}").format(why=err or type(err).__name__)) from None
    if capture.frames == 0:
        raise CaptureError(name, None, _("the capture holds no packets"))
    if not capture.packets:
        why = (_("link type {linktype} is not one tcptutor reads").format(linktype=linktype)
               if linktype not in KNOWN_LINKTYPES else _("no frame carries TCP"))
        raise CaptureError(name, None, _("no TCP segment in {frames} frames ({why})").format(frames=capture.frames, why=why))
    return capture


def read_capture(path: str | Path) -> Capture:
    path = Path(path)
    return parse_capture(path.read_bytes(), str(path))


KNOWN_LINKTYPES = {LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LOOP, LINKTYPE_LINUX_SLL,
                   LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL2, *DLT_RAW_ALIASES}
