"""Student text made safe to show: on a terminal, and inside Markdown.

An answer is whatever a student (or a CSV cell) typed. Echoed raw, an ESC [ ... or OSC
sequence recolours, retitles or rewrites the instructor's terminal, a bidi override reorders
the line around it, and a newline in a Markdown feedback file can start a line that forges a
heading such as "## 2 / 2 points". These functions are pure and linear in the text's length.
"""

from __future__ import annotations

import unicodedata

# Bidirectional controls (Unicode UAX #9): they reorder what is shown after them ("Trojan
# Source", CVE-2021-42574). Other format characters (zero-width joiner, ...) are harmless.
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Cc: C0 and C1 controls, DEL (ESC starts every terminal sequence; U+009B is a one-character
# CSI, U+009D a one-character OSC). Cs: lone surrogates, which cannot even be encoded for the
# terminal. Zl, Zp: line and paragraph separators, which some renderers break lines at.
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
ECHO_LIMIT = 200  # characters of an answer a CLI echoes back; the rest is counted, not shown


def _escaped(ch: str) -> str:
    if ch in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _needs_escape(ch: str) -> bool:
    return ch in _BIDI_CONTROLS or unicodedata.category(ch) in _ESCAPED_CATEGORIES


def _shortened(text: str, limit: int | None) -> tuple[str, str]:
    if limit is None or len(text) <= limit:
        return text, ""
    return text[:limit], f"… ({len(text) - limit:,} more characters)"


def without_surrogates(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD.

    Python hands bytes that are not UTF-8 in argv and environment over as lone surrogates
    (PEP 383); they cannot be encoded for stdout, JSON or a database, so an answer that
    comes from outside is passed through this first, as a decoder with errors="replace" would."""
    return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)


def printable(text: str, *, limit: int | None = None) -> str:
    """`text` as one line that is safe to write to a terminal.

    Every control character (so every ESC [ ... CSI and OSC sequence, which all start with
    one), bidi control, lone surrogate and line separator is shown as a visible escape such
    as \\x1b or \\u202e; nothing is dropped silently, so what is shown is what was typed.
    With `limit`, at most that many characters of `text` are shown, then how many were left.
    """
    text, rest = _shortened(text, limit)
    return "".join(_escaped(ch) if _needs_escape(ch) else ch for ch in text) + rest


def markdown_inline(text: str, *, limit: int | None = None, in_table: bool = False) -> str:
    """`text` as an inline code span that shows it verbatim inside Markdown (CommonMark 6.1).

    The text is made one line first (printable), so it cannot start a heading, list item or
    block; inside a code span nothing is markup (no emphasis, links or HTML). The fence is one
    backtick longer than the longest run of backticks in the text, and padded with a space
    when the text starts or ends with a backtick or space, so the text cannot close it early.
    `in_table` also escapes "|", which would end a GFM table cell even inside a code span.
    """
    body = printable(text, limit=limit)
    if not body:
        return "` `"
    longest = run = 0
    for ch in body:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    if in_table:
        body = body.replace("|", "\\|")
    fence = "`" * (longest + 1)
    if (body[0] in "` " or body[-1] in "` ") and body.strip(" "):  # all spaces: shown as they are
        body = f" {body} "
    return f"{fence}{body}{fence}"
