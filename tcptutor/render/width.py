"""Text measured in terminal columns, not characters: the one place that knows CJK is wide.

A character whose Unicode East Asian Width is W or F (汉字, full-width ＡＢＣ, 、。：) takes
two columns in a terminal (UAX #11); a combining mark takes none. Ambiguous characters
(box drawing, arrows) count as one, as in every non-CJK terminal locale. Every diagram and
table pads, centres, cuts and wraps through these, so a Chinese state name keeps the
columns. ASCII text takes the stdlib's own paths, so English output is unchanged.
"""

from __future__ import annotations

import textwrap
import unicodedata
from functools import cache


def char_width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


# A character's width never changes: each is looked up once per process. A ladder row holds
# a few box-drawing characters among ASCII, so it measured 4 million lookups per export.
_width_of = cache(char_width)


def display_width(text: str) -> int:
    """Columns `text` takes in a terminal."""
    if text.isascii():
        return len(text)
    return sum(map(_width_of, text))


def ljust(text: str, width: int, fill: str = " ") -> str:
    return text + fill * max(0, width - display_width(text))


def rjust(text: str, width: int, fill: str = " ") -> str:
    return fill * max(0, width - display_width(text)) + text


def center(text: str, width: int, fill: str = " ") -> str:
    """str.center by columns, the odd column placed where str.center places it."""
    marg = width - display_width(text)
    if marg <= 0:
        return text
    left = marg // 2 + (marg & width & 1)
    return fill * left + text + fill * (marg - left)


def truncate(text: str, width: int) -> str:
    """The longest prefix of `text` that fits in `width` columns."""
    if text.isascii():
        return text[:width]
    if display_width(text) <= width:  # it fits: the usual case, one pass in C
        return text
    used = 0
    for i, w in enumerate(map(_width_of, text)):
        used += w
        if used > width:
            return text[:i]
    return text


GLUE = "\u00a0"  # a no-break space: joins "同步已发送" to "SYN-SENT" so a line never splits the pair


def _has_wide(text: str) -> bool:
    return 2 in map(_width_of, text)


OPENING = "（《「『【“‘"  # a line never ends with one


def _breaks(word: str) -> list[int]:
    """Where a word may break: beside a wide character (Chinese breaks between any two), never
    inside a run of narrow ones ("RFC", "3.10.7.4", "SYN-SENT"), after an opening bracket, nor
    inside a glued pair: the wide run before a GLUE and the narrow run after it ("同步已发送
    SYN-SENT") stay together."""
    wide = [_width_of(ch) == 2 for ch in word]
    held = set()
    for g, ch in enumerate(word):
        if ch == GLUE:
            start, end = g, g + 1
            while start > 0 and wide[start - 1]:
                start -= 1
            while end < len(word) and not wide[end] and word[end] != GLUE:
                end += 1
            held.update(range(start + 1, end))
    return [i for i in range(1, len(word)) if (wide[i - 1] or wide[i]) and i not in held and word[i - 1] not in OPENING]


def _fit(word: str, room: int) -> str:
    """The longest head of `word` that fits in `room` columns and ends where it may break ("" if none)."""
    best, used, counted = "", 0, 0
    for i in _breaks(word):
        used += display_width(word[counted:i])  # the widths so far, each character counted once
        counted = i
        if used > room:
            break
        best = word[:i]
    return best


def wrap(text: str, width: int, subsequent_indent: str = "") -> list[str]:
    """Word wrap to `width` columns; state names like SYN-RECEIVED stay in one piece.

    ASCII text is textwrap's (break_on_hyphens=False). Other text breaks at spaces; a word
    with wide characters (Chinese prose has no spaces) fills the rest of a line and goes on
    on the next, breaking beside a wide character only (see _breaks: "RFC 9293" and a GLUEd
    pair, a state's two names, stay whole). A GLUE comes out as a plain space."""
    if text.isascii():
        return textwrap.wrap(text, width, break_on_hyphens=False, subsequent_indent=subsequent_indent) or [""]
    lines: list[str] = []
    line = ""

    def indent() -> str:
        return subsequent_indent if lines else ""

    for word in filter(None, text.split(" ")):
        sep = " " if line else ""
        if display_width(indent() + line + sep + word) <= width:
            line += sep + word
            continue
        room = width - display_width(indent() + line + sep)
        if _has_wide(word) and room >= 2:
            head = _fit(word, room)
            if head:
                line += sep + head
                word = word[len(head):]
        if line:
            lines.append(indent() + line)
        line = word
        while display_width(indent() + line) > width and len(line) > 1:  # wider than a whole line
            room = max(1, width - display_width(indent()))
            head = _fit(line, room) or truncate(line, room) or line[0]
            lines.append(indent() + head)
            line = line[len(head):]
    if line or not lines:
        lines.append(indent() + line)
    return [w.replace(GLUE, " ") for w in lines]
