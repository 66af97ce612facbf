"""Trace questions from a capture: blanks in a real connection for a student to fill in.

A connection becomes a tcptutor Trace (its segments as the capture shows them, each
"arriving" when seen: one vantage point), so that the questions are ordinary predict
questions and `grading.grader.grade` grades them, with the same answer reading, worked
solutions and carried-forward credit as every other question. Which segments are asked
about is drawn from the seed: the same capture and seed give the same questions.
"""

from __future__ import annotations

import hashlib
import random

from ..i18n import _, pgettext
from ..questions.expected import expected_from_trace
from ..questions.model import Ask, Question
from ..questions.variants import Variant
from ..tcp.segment import Segment
from ..tcp.trace import SegmentRecord, Trace
from .explain import ConnectionReport

FIELDS = ("seq", "ack", "len")


def connection_trace(rep: ConnectionReport, *, relative: bool = True) -> Trace:
    """The connection as a Trace: client/server named as the explanation names them."""
    t0 = rep.conn.segments[0].time
    records = []
    for g in rep.conn.segments:
        p = g.pkt
        seq, ack = (g.rel_seq, g.rel_ack) if relative else (p.seq, p.ack)
        flags = frozenset(f for f in p.flags if f in ("SYN", "ACK", "FIN", "RST", "PSH", "URG"))
        other = "server" if g.side == "client" else "client"
        seg = Segment(g.side, other, seq, ack if p.has("ACK") else 0, flags, p.length, p.window, p.options.mss)
        at = round((g.time - t0) * 1_000_000)
        records.append(SegmentRecord(g.i, seg, at, "delivered", at))
    return Trace(f"capture connection {rep.conn.index}", {}, records, [], dict(rep.rows[-1].states))


def quiz_variant(rep: ConnectionReport, capture_id: str, seed: int, count: int = 3,
                 *, relative: bool = True) -> Variant:
    """A predict question asking `count` blanks (seq, ack or len of drawn segments)."""
    trace = connection_trace(rep, relative=relative)
    rng = random.Random(hashlib.sha256(f"{capture_id}:{rep.conn.index}:{seed}".encode()).digest())
    candidates = [(r.n, f) for r in trace.segments for f in FIELDS
                  if r.n > 1 and (f != "ack" or r.has("ACK")) and (f != "len" or r.length or r.has("FIN"))]
    picked = sorted(rng.sample(candidates, min(count, len(candidates))))
    asks = tuple(Ask(field=f"{what}{n}", what=what, segment=f"#{n}") for n, what in picked)
    blanks = pgettext("list", ", ").join(_("the {what} of segment {segment}").format(what=a.what, segment=a.segment)
                                         for a in asks)
    prompt = (_("Connection {n} of the capture ({label}). With relative numbers, fill in the blanks: {blanks}.") if relative
              else _("Connection {n} of the capture ({label}). With absolute numbers, fill in the blanks: {blanks}.")
              ).format(n=rep.conn.index, label=rep.conn.label(), blanks=blanks)
    qid = f"capture-{capture_id[:8]}-c{rep.conn.index}"
    question = Question(qid, "predict", ("captures",), 2, prompt, "", "<capture>", 0, asks=asks)
    return Variant(question, seed, {}, prompt, expected_from_trace(question, trace), trace)


def capture_id(data: bytes) -> str:
    """A short name for a capture's content: the same file gives the same questions anywhere."""
    return hashlib.sha256(data).hexdigest()[:16]
