"""Segment selectors: how a question names one segment of a trace ("server SYN+ACK", "#4").

Selectors work on the typed trace (tcptutor.tcp.trace.Trace); a trace that arrives as JSON
is read with `Trace.from_json` first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..i18n import N_, Said, _, language, pgettext
from ..tcp.trace import SegmentRecord, Trace

FLAG_WORDS = {"SYN", "ACK", "FIN", "RST", "PSH", "URG"}
CONTROL = {"SYN", "FIN", "RST"}


@dataclass(frozen=True)
class Selector:
    text: str
    number: int | None = None  # "#4"
    src: str | None = None  # client, server, spoof (any spoofed source)
    flags: frozenset[str] = frozenset()
    pure_ack: bool = False
    data: bool = False
    retransmission: bool | None = None
    nth: int = 1

    def matches(self, seg: SegmentRecord) -> bool:
        if self.number is not None:
            return seg.n == self.number
        if self.src is not None:
            src = seg.src
            if (self.src == "spoof") != src.startswith("spoof-") or (self.src != "spoof" and src != self.src):
                return False
        flags = seg.segment.flags
        if not self.flags <= flags:
            return False
        if self.pure_ack and (flags & CONTROL or seg.length > 0):
            return False
        if self.data and seg.length == 0:
            return False
        if self.retransmission is not None and seg.retransmission != self.retransmission:
            return False
        return True


def parse_selector(text: str) -> Selector:
    """`#N` | `[client|server|spoof] [FLAGS|DATA|ANY] [retransmission] [N]` (N: nth, <0 from the end).

    A ValueError's message is a Said (i18n.reason), said in Chinese where it is quoted."""
    words = text.split()
    if not words:
        raise ValueError(Said(N_("an empty selector; expected e.g. \"server SYN+ACK\" or \"#3\"")))
    if len(words) == 1 and words[0].startswith("#"):
        try:
            number = int(words[0][1:])
        except ValueError:
            raise ValueError(Said(N_("expected a segment number like #3; got {word!r}"), word=words[0])) from None
        if number < 1:
            raise ValueError(Said(N_("segment numbers start at #1")))
        return Selector(text, number=number)
    src = None
    if words[0].lower() in ("client", "server", "spoof"):
        src = words.pop(0).lower()
    flags: set[str] = set()
    pure_ack = data = False
    retransmission = None
    nth = 1
    saw_flags = False
    for word in words:
        upper = word.upper()
        if upper in ("RETRANSMISSION", "RETRANSMITTED"):
            retransmission = True
        elif upper in ("ORIGINAL", "FIRST-SENT"):
            retransmission = False
        elif _is_int(word):
            nth = int(word)
            if nth == 0:
                raise ValueError(Said(N_("the match number counts from 1 (or from -1 at the end); got 0")))
        elif upper == "DATA":
            data = saw_flags = True
        elif upper == "ANY":
            saw_flags = True
        else:
            parts = [p for p in upper.replace(",", "+").split("+") if p]
            unknown = [p for p in parts if p not in FLAG_WORDS]
            if unknown or not parts:
                raise ValueError(Said(N_(
                    "unknown word {word!r}; expected client/server, flags like SYN+ACK, DATA, ANY, "
                    "retransmission, or a match number"), word=word))
            flags |= set(parts)
            saw_flags = True
    if not saw_flags and src is None and retransmission is None:
        raise ValueError(Said(N_("{text!r} selects nothing in particular; name a sender and/or flags"), text=text))
    if flags == {"ACK"} and not data:
        pure_ack = True
    return Selector(text, None, src, frozenset(flags), pure_ack, data, retransmission, nth)


def _is_int(word: str) -> bool:
    try:
        int(word)
    except ValueError:
        return False
    return True


def select_all(selector: Selector, trace: Trace) -> list[SegmentRecord]:
    return [s for s in trace.segments if selector.matches(s)]


def select(selector: Selector, trace: Trace) -> SegmentRecord | None:
    """The segment the selector names, or None when the trace has no such segment."""
    found = select_all(selector, trace)
    index = selector.nth - 1 if selector.nth > 0 else selector.nth
    if -len(found) <= index < len(found):
        return found[index]
    return None


_CJK_THEN_LATIN = re.compile(r"([\u3400-\u9fff])([A-Za-z0-9#\[])")
_LATIN_THEN_CJK = re.compile(r"([A-Za-z0-9\]])([\u3400-\u9fff])")


def cjk_spaced(text: str) -> str:
    """A space between a Chinese character and a Latin word or number ("服务器的 SYN+ACK 的序号"),
    as Chinese typesetting wants, for a phrase put together from parts."""
    return _LATIN_THEN_CJK.sub(r"\1 \2", _CJK_THEN_LATIN.sub(r"\1 \2", text))


def shown_selector(text: str) -> str:
    """A selector as a student reads it in a label: in English the author's own words
    ("server SYN+ACK"); in another language a phrase in it ("服务器的 SYN+ACK"). Only what is
    shown changes: matching always goes by `text` (parse_selector)."""
    if language() == "en":
        return text
    try:
        sel = parse_selector(text)
    except ValueError:
        return text
    if sel.number is not None:
        return text
    words = text.split()
    explicit = any(_is_int(w) for w in words)
    if sel.nth < 0:
        nth = pgettext("segment selector", "last ") if sel.nth == -1 else \
            pgettext("segment selector", "{n}th from the end ").format(n=-sel.nth)
    else:
        nth = pgettext("segment selector", "{n}th ").format(n=sel.nth) if explicit else ""
    retransmitted = {True: pgettext("segment selector", "retransmitted "),
                     False: pgettext("segment selector", "original "), None: ""}[sel.retransmission]
    flags = "+".join(f for f in ("SYN", "FIN", "RST", "PSH", "URG", "ACK") if f in sel.flags)
    if flags and sel.data:
        kind = pgettext("segment selector", "{flags} data segment").format(flags=flags)
    elif flags:
        kind = flags
    elif sel.data:
        kind = pgettext("segment selector", "data segment")
    else:
        kind = pgettext("segment selector", "segment")
    args = dict(nth=nth, retransmitted=retransmitted, kind=kind)
    if sel.src is None:
        phrase = pgettext("segment selector", "the {nth}{retransmitted}{kind}").format(**args)
    else:
        sender = pgettext("segment selector", "spoofed sources") if sel.src == "spoof" else pgettext("endpoint", sel.src)
        phrase = pgettext("segment selector", "the {nth}{retransmitted}{kind} from the {sender}").format(
            sender=sender, **args)
    return cjk_spaced(phrase.strip())
