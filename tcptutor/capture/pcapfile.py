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
from .packet import DecodeError, Packet, decode

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


def _reader(data: bytes, name: str):
    import dpkt

    head = data[:4]
    if head in PCAP_MAGICS:
        return dpkt.pcap.Reader(io.BytesIO(data))
    if head == PCAPNG_MAGIC:
        return dpkt.pcapng.Reader(io.BytesIO(data))
    raise CaptureError(name, None, "not a pcap or pcapng capture (its first bytes are neither magic number)")


def parse_capture(data: bytes, name: str = "<capture>") -> Capture:
    """Every TCP packet of a capture given as bytes, in capture order."""
    import dpkt

    failures = (ValueError, struct.error, dpkt.Error, IndexError, KeyError, TypeError, OverflowError, EOFError)
    try:
        reader = _reader(data, name)
        linktype = reader.datalink()
        capture = Capture(name, linktype, [], snaplen=getattr(reader, "snaplen", 0) or 0)
        for number, (ts, frame) in enumerate(reader, start=1):
            capture.frames = number
            try:
                pkt = decode(linktype, bytes(frame), number, float(ts))
            except DecodeError as err:
                capture.warnings.append(f"frame {number}: skipped: {err}")
                continue
            if pkt is not None:
                capture.packets.append(pkt)
    except CaptureError:
        raise
    except dpkt.NeedData:
        raise CaptureError(name, None, "the capture is cut short (its last record is incomplete)") from None
    except failures as err:
        raise CaptureError(name, None, f"not a readable capture: {err or type(err).__name__}") from None
    if capture.frames == 0:
        raise CaptureError(name, None, "the capture holds no packets")
    if not capture.packets:
        why = f"link type {linktype} is not one tcptutor reads" if linktype not in KNOWN_LINKTYPES else "no frame carries TCP"
        raise CaptureError(name, None, f"no TCP segment in {capture.frames} frames ({why})")
    return capture


def read_capture(path: str | Path) -> Capture:
    path = Path(path)
    return parse_capture(path.read_bytes(), str(path))


from .packet import (DLT_RAW_ALIASES, LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6,  # noqa: E402
                     LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP, LINKTYPE_NULL, LINKTYPE_RAW)

KNOWN_LINKTYPES = {LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LOOP, LINKTYPE_LINUX_SLL,
                   LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL2, *DLT_RAW_ALIASES}
