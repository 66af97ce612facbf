"""Reading answers the way students type them.

Numbers in decimal, hex (0x3e9) or full-width digits (１００１); states in every common
spelling (SYN_RCVD, SYN_RECV, ESTAB, time wait) and the Chinese textbook names; flags as
SYN+ACK, SYN,ACK, SA, S. or [SYN, ACK]. An answer that cannot be read is Unreadable, with
what was expected: it is never counted as wrong.

Every reader runs in time linear in the answer's length: answers are tokenised with plain
string operations and regular expressions that cannot backtrack (no nested or overlapping
quantifiers), and an answer longer than MAX_ANSWER_CHARS is Unreadable before anything else
is done with it. Numbers never overflow: digit strings are bounded by that limit (well under
Python's 4,300-digit int-string limit) and times must be finite and at most MAX_SECONDS.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from ..i18n import N_, _, pgettext
from ..segment_flags import canonical_flags

SEQ_MAX = 2**32 - 1
STATES = (
    "CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2",
    "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT",
)
# The longest answer any reader looks at. The longest real answer (an ordering by item names)
# is a few hundred characters; a longer cell is a paste accident or an attack, and reading it
# would only cost time. It is Unreadable with a message that states the limit.
MAX_ANSWER_CHARS = 1000
# No TCP timer runs anywhere near this long: the longest, the keep-alive idle time, defaults to
# two hours (RFC 1122 4.2.3.6, Linux tcp_keepalive_time 7,200 s).
MAX_SECONDS = 1e9
_SHOWN_CHARS = 60  # how much of an unreadable answer its message quotes


@dataclass(frozen=True)
class Unreadable:
    """Why an answer could not be read, and what a readable one looks like."""

    given: str
    expected: str  # e.g. "a number such as 1001 or 0x3e9"; includes any hint, so every caller shows it
    suggestion: str | None = None  # the canonical value a near miss probably means (e.g. "SYN-SENT")

    def __str__(self) -> str:
        shown = self.given if len(self.given) <= _SHOWN_CHARS else self.given[:_SHOWN_CHARS] + "…"
        return _("could not read {answer}: expected {expected}").format(answer=repr(shown), expected=self.expected)


def normalize(text: str) -> str:
    """NFKC folds full-width digits and letters (１００１, ＳＹＮ) into ASCII; trim spaces."""
    return unicodedata.normalize("NFKC", text).strip()


def too_long(text: str) -> Unreadable | None:
    """The Unreadable for an answer over MAX_ANSWER_CHARS, checked before any other work.

    NFKC can make a text longer (one character can fold into up to 18), so the folded length
    is checked too; folding at most MAX_ANSWER_CHARS characters is cheap."""
    length = len(text)
    if length <= MAX_ANSWER_CHARS:
        length = len(normalize(text))
        if length <= MAX_ANSWER_CHARS:
            return None
    return Unreadable(text, _("an answer of at most {limit} characters (this one has {length})").format(
        limit=f"{MAX_ANSWER_CHARS:,}", length=f"{length:,}"))


# ---------------------------------------------------------------- numbers

_PREFIX = re.compile(r"^(seq|ack|len|win|n|number|num|mss|wscale|ws|sport|dport|port)\s*[=:]\s*", re.IGNORECASE)
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+$")  # linear: each step consumes a fixed "," then 3 digits
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def read_number(text: str) -> int | Unreadable:
    """A whole number: 1001, 0x3e9, １００１, 1_001, 1,001, 'ack=1001'. May exceed 2**32-1
    (the grader then hints at wraparound); negative numbers are read too."""
    if (refused := too_long(text)) is not None:
        return refused
    raw = normalize(text)
    s = _PREFIX.sub("", raw).replace("_", "").replace(" ", "")
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    sign = 1
    if s.startswith(("-", "+")):
        sign, s = (-1 if s[0] == "-" else 1), s[1:]
    try:
        if s.lower().startswith("0x"):
            if s[2:] and all(ch in _HEX_DIGITS for ch in s[2:]):  # int() would also take "0x-5"
                return sign * int(s[2:], 16)
        elif s.isdigit():
            return sign * int(s)
    except ValueError:  # a digit int() refuses (such as ①); past the digit limit, were it reached
        pass
    return Unreadable(text, _("a whole number such as 1001 (hex like 0x3e9 works too)"))


_NONE_WORDS = frozenset({"NONE", "NO", "-", "N/A", "NA", "ABSENT", "NOTHING", "无", "没有"})


def is_none_word(text: str) -> bool:
    """"none", "no", "-", "n/a": the answer that a segment carries no such option."""
    return normalize(text).upper().rstrip(".") in _NONE_WORDS


def read_number_or_none(text: str) -> int | str | Unreadable:
    """An option's value (1460, 0x5b4, mss=1460) or "none" for an option that is absent."""
    if (refused := too_long(text)) is not None:
        return refused
    if is_none_word(text):
        return "none"
    number = read_number(text)
    if isinstance(number, Unreadable):
        return Unreadable(text, _("a whole number such as 1460, or none when the segment has no such option"))
    return number


# Option names as Wireshark, tcpdump and textbooks write them -> the canonical kind.
_OPTION_ALIASES = {
    "MSS": "MSS", "MAXSEG": "MSS", "MAXIMUMSEGMENTSIZE": "MSS",
    "SACKPERM": "SACK_PERM", "SACKPERMITTED": "SACK_PERM", "SACKOK": "SACK_PERM", "SACK": "SACK_PERM",
    "TS": "TS", "TSVAL": "TS", "TIMESTAMP": "TS", "TIMESTAMPS": "TS",
    "WS": "WS", "WSCALE": "WS", "WINDOWSCALE": "WS", "WINSCALE": "WS",
}
_OPTION_ORDER = ("MSS", "SACK_PERM", "TS", "WS")
_IGNORED_OPTIONS = {"NOP", "EOL"}  # padding, not an option a question counts
_OPTIONS_EXAMPLE = N_("option names separated by commas, e.g. MSS,SACK_PERM,TS,WS, or none")


def read_option_kinds(text: str) -> str | Unreadable:
    """TCP option kinds as 'MSS,SACK_PERM,TS,WS' (in that order) or 'none'. Accepts Wireshark's
    names, tcpdump's (mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7: values and nop are ignored)
    and words (window scale, SACK permitted)."""
    if (refused := too_long(text)) is not None:
        return refused
    if is_none_word(text):
        return "none"
    found: set[str] = set()
    for part in re.split(r"[,;+/|，、<>]+", normalize(text).upper()):
        words = [w for w in re.split(r"[\s_\-=:]+", part) if w]
        if not words:
            continue
        names = [w for w in words if not w.isdigit() and w not in ("VAL", "ECR")]
        key = "".join(names)
        if key in _IGNORED_OPTIONS or not key and words:
            continue
        if key in _OPTION_ALIASES:
            found.add(_OPTION_ALIASES[key])
            continue
        for word in names:  # "mss 1460 sackOK": several kinds in one part, separated by spaces
            if word in _OPTION_ALIASES:
                found.add(_OPTION_ALIASES[word])
            elif word not in _IGNORED_OPTIONS:
                return Unreadable(text, _(_OPTIONS_EXAMPLE))
    if not found:
        return Unreadable(text, _(_OPTIONS_EXAMPLE))
    return ",".join(k for k in _OPTION_ORDER if k in found)


# ---------------------------------------------------------------- seconds

_UNITS = {
    "": 1.0, "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0, "秒": 1.0,
    "ms": 0.001, "msec": 0.001, "millisecond": 0.001, "milliseconds": 0.001, "毫秒": 0.001,
    "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0, "分钟": 60.0, "分": 60.0,
    "h": 3600.0, "hour": 3600.0, "hours": 3600.0, "小时": 3600.0,
}
_DECIMAL_CHARS = frozenset("0123456789.")
_SECONDS_EXAMPLE = N_("a time in seconds such as 1.5 (or with a unit: 200ms, 4min)")


def _decimal_and_unit(s: str) -> tuple[str, str]:
    """Split '200 ms' into ('200', 'ms') in one pass (a regex like [0-9]*\\.?[0-9]+ backtracks
    quadratically on a long run of digits that does not match)."""
    end = 0
    while end < len(s) and s[end] in _DECIMAL_CHARS:
        end += 1
    return s[:end], s[end:].lstrip()


def read_seconds(text: str) -> float | Unreadable:
    """A time in seconds: 1, 1.5, 1s, 200ms, 4 min, 240秒. Finite and at most MAX_SECONDS."""
    if (refused := too_long(text)) is not None:
        return refused
    number, unit = _decimal_and_unit(normalize(text).lower())
    digits = number.replace(".", "", 1)
    if not digits.isdigit() or number.endswith(".") or unit not in _UNITS:  # "", "1.2.3", "1." are not times
        return Unreadable(text, _(_SECONDS_EXAMPLE))
    seconds = float(number) * _UNITS[unit]
    if not math.isfinite(seconds) or seconds > MAX_SECONDS:  # float("9" * 400) is inf
        return Unreadable(text, _("{example}, at most {limit} s (no TCP timer runs longer)").format(
            example=_(_SECONDS_EXAMPLE), limit=f"{MAX_SECONDS:,.0f}"))
    return seconds


# ---------------------------------------------------------------- states

_STATE_ALIASES = {
    "CLOSED": "CLOSED", "CLOSE": "CLOSED", "关闭": "CLOSED", "已关闭": "CLOSED",
    "LISTEN": "LISTEN", "LISTENING": "LISTEN", "监听": "LISTEN", "收听": "LISTEN", "侦听": "LISTEN",
    "SYN-SENT": "SYN-SENT", "SYNSENT": "SYN-SENT", "同步已发送": "SYN-SENT",
    "SYN-RECEIVED": "SYN-RECEIVED", "SYNRECEIVED": "SYN-RECEIVED", "SYN-RCVD": "SYN-RECEIVED",
    "SYNRCVD": "SYN-RECEIVED", "SYN-RECV": "SYN-RECEIVED", "SYNRECV": "SYN-RECEIVED",
    "SYN-RCV": "SYN-RECEIVED", "同步收到": "SYN-RECEIVED", "同步已收到": "SYN-RECEIVED",
    "同步已接收": "SYN-RECEIVED",
    "ESTABLISHED": "ESTABLISHED", "ESTAB": "ESTABLISHED", "ESTABLISH": "ESTABLISHED",
    "已建立连接": "ESTABLISHED", "连接已建立": "ESTABLISHED", "已建立": "ESTABLISHED",
    "FIN-WAIT-1": "FIN-WAIT-1", "FIN-WAIT1": "FIN-WAIT-1", "FINWAIT1": "FIN-WAIT-1",
    "FINWAIT-1": "FIN-WAIT-1", "终止等待1": "FIN-WAIT-1", "终止等待-1": "FIN-WAIT-1",
    "FIN-WAIT-2": "FIN-WAIT-2", "FIN-WAIT2": "FIN-WAIT-2", "FINWAIT2": "FIN-WAIT-2",
    "FINWAIT-2": "FIN-WAIT-2", "终止等待2": "FIN-WAIT-2", "终止等待-2": "FIN-WAIT-2",
    "CLOSE-WAIT": "CLOSE-WAIT", "CLOSEWAIT": "CLOSE-WAIT", "关闭等待": "CLOSE-WAIT",
    "CLOSING": "CLOSING", "正在关闭": "CLOSING",
    "LAST-ACK": "LAST-ACK", "LASTACK": "LAST-ACK", "最后确认": "LAST-ACK",
    "TIME-WAIT": "TIME-WAIT", "TIMEWAIT": "TIME-WAIT", "时间等待": "TIME-WAIT",
}
_STATE_EXAMPLE = N_("a TCP state such as SYN-RECEIVED, SYN_RCVD, ESTAB, time wait or 同步收到")


# The name a Chinese textbook gives each state, shown beside the RFC name in hints.
_CHINESE_NAME = {
    "CLOSED": "关闭", "LISTEN": "监听", "SYN-SENT": "同步已发送", "SYN-RECEIVED": "同步收到",
    "ESTABLISHED": "已建立连接", "FIN-WAIT-1": "终止等待1", "FIN-WAIT-2": "终止等待2", "CLOSE-WAIT": "关闭等待",
    "CLOSING": "正在关闭", "LAST-ACK": "最后确认", "TIME-WAIT": "时间等待",
}
# Spellings that are common enough to name (issue 9: SYN_SEND in many blog posts). They stay
# Unreadable, so an exam does not accept a wrong name, and are not counted wrong either.
_MISSPELLINGS = {"SYNSEND": "SYN-SENT", "SYNSENDED": "SYN-SENT"}
_NEAR_MISS_KEYS = {alias.replace("-", ""): state for alias, state in _STATE_ALIASES.items()}
_LONGEST_KEY = max(map(len, _NEAR_MISS_KEYS))


def _named(state: str) -> str:
    return _("{state} ({chinese})").format(state=state, chinese=_CHINESE_NAME[state])


def _edit_distance_at_most(a: str, b: str, limit: int) -> bool:
    """Levenshtein distance <= limit, for short strings (both at most _LONGEST_KEY + 2)."""
    if abs(len(a) - len(b)) > limit:
        return False
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return False
        previous = current
    return previous[-1] <= limit


def _state_hint(key: str) -> tuple[str, str | None] | None:
    """(hint, suggested state) for a near miss such as SYN_SEND or LISTN, or None."""
    bare = key.replace("-", "")
    if bare in _MISSPELLINGS:
        state = _MISSPELLINGS[bare]
        return _("{state} is meant").format(state=_named(state)), state
    if len(bare) > _LONGEST_KEY + 2:  # too long to be a typo: no quadratic work on long input
        return None
    limit = 1 if len(bare) <= 5 else 2
    near = sorted({state for alias, state in _NEAR_MISS_KEYS.items() if _edit_distance_at_most(bare, alias, limit)},
                  key=STATES.index)
    if not near:
        return None
    return (_("did you mean {states}?").format(states=pgettext("list", " or ").join(map(_named, near))),
            near[0] if len(near) == 1 else None)


def read_state(text: str) -> str | Unreadable:
    """A state in any common spelling; a near miss (SYN_SEND) is Unreadable with a hint."""
    if (refused := too_long(text)) is not None:
        return refused
    state = _state_or_hint(text)
    if isinstance(state, str):
        return state
    if state is None:
        return Unreadable(text, _(_STATE_EXAMPLE))
    return Unreadable(text, _("{example}; {hint}").format(example=_(_STATE_EXAMPLE), hint=state[0]), state[1])


def _state_or_hint(text: str) -> str | tuple[str, str | None] | None:
    """The state `text` names, else the near-miss hint (and suggestion), else None."""
    key = re.sub(r"[\s_\-]+", "-", normalize(text).upper()).strip("-")  # linear: one class, one run
    key = key.removeprefix("TCP-").removesuffix("-STATE")
    for candidate in (key, key.replace("-", ""), key.replace("状态", "")):
        if candidate in _STATE_ALIASES:
            return _STATE_ALIASES[candidate]
    return _state_hint(key.replace("状态", ""))


# Separators between list items, as plain alternatives: no \s* around them (that made every
# start position in a long run of spaces rescan the run: quadratic); parts are stripped instead.
_LIST_SEPARATORS = re.compile(r"->|=>|→|⟶|>|,|，|;|；|、|\||\n")
_STATES_EXAMPLE = N_("states in order separated by commas or arrows, e.g. CLOSED, SYN-SENT, ESTABLISHED")


def _list_parts(s: str) -> list[str]:
    return [part for part in (p.strip() for p in _LIST_SEPARATORS.split(s)) if part]


def read_states(text: str) -> list[str] | Unreadable:
    """States in order: 'CLOSED -> SYN-SENT -> ESTABLISHED', commas, arrows or spaces."""
    if (refused := too_long(text)) is not None:
        return refused
    parts = _list_parts(normalize(text))
    if len(parts) == 1:
        parts = parts[0].split()
    if not parts:
        return Unreadable(text, _(_STATES_EXAMPLE))
    states = []
    for number, part in enumerate(parts, 1):
        state = read_state(part)
        if isinstance(state, Unreadable):  # stop at the first: one hint, and no work per bad part
            if state.expected == _(_STATE_EXAMPLE):
                return Unreadable(text, _(_STATES_EXAMPLE))
            hint = state.expected.removeprefix(_("{example}; {hint}").format(example=_(_STATE_EXAMPLE), hint=""))
            return Unreadable(text, _("{example}; state {number}, {part}: {hint}").format(
                example=_(_STATES_EXAMPLE), number=number, part=repr(part[:_SHOWN_CHARS]), hint=hint))
        states.append(state)
    return states


# ---------------------------------------------------------------- flags

_FLAG_WORDS = {"SYN", "ACK", "FIN", "RST", "PSH", "URG", "ECE", "CWR"}
_FLAG_LETTERS = {"S": "SYN", "A": "ACK", "F": "FIN", "R": "RST", "P": "PSH", "U": "URG", ".": "ACK"}


def read_flags(text: str) -> str | Unreadable:
    """Flags as a canonical 'SYN+ACK' (PSH dropped: it is not graded).

    Accepts SYN+ACK, SYN,ACK, syn ack, [SYN, ACK], SA, S. (tcpdump), F., R., '.' (ACK).
    """
    if (refused := too_long(text)) is not None:
        return refused
    s = normalize(text).upper().strip("[]{}() ")
    if not s:
        return Unreadable(text, _("flags such as SYN+ACK (or SA, S., [SYN, ACK])"))
    words = [w for w in re.split(r"[\s+,/|&，、-]+", s) if w]
    found: set[str] = set()
    if all(w in _FLAG_WORDS or w in ("NONE", "-") for w in words):
        found = {w for w in words if w in _FLAG_WORDS}
    elif len(words) == 1 and all(ch in _FLAG_LETTERS for ch in words[0]):
        found = {_FLAG_LETTERS[ch] for ch in words[0]}
    else:
        return Unreadable(text, _("flags such as SYN+ACK (or SA, S., [SYN, ACK])"))
    return canonical_flags(found)


# ---------------------------------------------------------------- the other kinds

_TRUE = {"TRUE", "T", "YES", "Y", "1", "对", "正确", "是", "√", "✓", "RIGHT", "CORRECT"}
_FALSE = {"FALSE", "F", "NO", "N", "0", "错", "错误", "否", "×", "✗", "WRONG", "INCORRECT"}


def read_bool(text: str) -> bool | Unreadable:
    if (refused := too_long(text)) is not None:
        return refused
    s = normalize(text).upper().rstrip(".!")
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    return Unreadable(text, _("true or false"))


def read_letters(text: str, count: int) -> str | Unreadable:
    """Option letters, e.g. 'B', 'a, c', 'AC', '1 3' (numbers count from 1)."""
    if (refused := too_long(text)) is not None:
        return refused
    s = normalize(text).upper()
    tokens = [t for t in re.split(r"[\s,;/+&，、]+", s) if t]
    letters = []
    for token in tokens:
        # isdecimal: every such digit converts; a short token: no 4,301-digit int() to refuse
        if token.isdecimal() and len(token) <= 6 and 1 <= int(token) <= count:
            letters.append(chr(ord("A") + int(token) - 1))
        elif token.isalpha() and all("A" <= ch < chr(ord("A") + count) for ch in token):
            letters.extend(token)
        else:
            last = chr(ord("A") + count - 1)
            return Unreadable(text, _("option letters from A to {last}, e.g. B or A,C").format(last=last))
    if not letters:
        return Unreadable(text, _("one or more option letters, e.g. B or A,C"))
    return "".join(sorted(set(letters)))


_ARROWS = re.compile(r"->|=>|→|⟶")


def read_order(text: str, shown: list[str]) -> list[str] | Unreadable:
    """The items in order, by the letters they were shown with ('C A B', 'C -> A -> B') or by
    name (separated by arrows, or by commas when no item contains one)."""
    if (refused := too_long(text)) is not None:
        return refused
    s = normalize(text)
    tokens = [t for part in _LIST_SEPARATORS.split(s.upper()) for t in part.split()]
    valid = {chr(65 + i) for i in range(len(shown))} | {str(i + 1) for i in range(len(shown))}
    if tokens and all(t in valid for t in tokens):
        picked = [shown[int(t) - 1] if t.isdigit() else shown[ord(t) - 65] for t in tokens]
        if len(picked) == len(shown) and len(set(picked)) == len(shown):
            return picked
    by_name = {item.upper(): item for item in shown}
    parts = [p.strip() for p in (_ARROWS.split(s) if _ARROWS.search(s) else _LIST_SEPARATORS.split(s))]
    parts = [p for p in parts if p]
    if len(parts) == len(shown) and all(p.upper() in by_name for p in parts):
        return [by_name[p.upper()] for p in parts]
    return Unreadable(text, _("all {count} letters in order, e.g. {letters}").format(
        count=len(shown), letters=" ".join(chr(65 + i) for i in range(len(shown)))))


def read_float(text: str) -> float | Unreadable:
    """A decimal number (1,5 is 1.5), or a time with a unit; never inf or nan."""
    if (refused := too_long(text)) is not None:
        return refused
    s = normalize(text)
    if s.count(",") == 1 and "." not in text:
        s = s.replace(",", ".")
    try:
        value = float(s)
    except ValueError:
        seconds = read_seconds(text)
        if isinstance(seconds, float):
            return seconds
        return Unreadable(text, _("a number"))
    if not math.isfinite(value):  # "inf", "nan", "1e999"
        return Unreadable(text, _("a finite number, such as 240 or 2.5e2"))
    return value


# ---------------------------------------------------------------- windows (bytes or segments)

_SIZE_UNITS = {
    "": None, "b": "bytes", "byte": "bytes", "bytes": "bytes", "字节": "bytes",
    "seg": "segments", "segs": "segments", "segment": "segments", "segments": "segments",
    "mss": "segments", "smss": "segments", "个报文段": "segments", "报文段": "segments",
}


def read_size(text: str, unit: str, mss: int | None) -> float | Unreadable:
    """A window or flight in the unit asked (`bytes` or `segments`): 4380, 4,380 bytes,
    3 MSS, 3.5 segments. A number with the other unit is converted with the sender's MSS
    (3 MSS is 4380 bytes when the MSS is 1460), so a student may answer in either."""
    if (refused := too_long(text)) is not None:
        return refused
    s = normalize(text).lower().replace("_", "")
    number, written = _decimal_and_unit(s.replace(",", "") if _THOUSANDS.match(s.split(" ")[0]) else s)
    written = written.strip()
    example = _("a size such as 4380 (bytes) or 3 MSS (segments)")
    if written not in _SIZE_UNITS or not number or number.endswith(".") or not number.replace(".", "", 1).isdigit():
        return Unreadable(text, example)
    value = float(number)
    given_unit = _SIZE_UNITS[written] or unit
    if given_unit != unit:
        if not mss:
            return Unreadable(text, _("a size in bytes") if unit == "bytes" else _("a size in segments"))
        value = value * mss if given_unit == "segments" else value / mss
    return value


# ---------------------------------------------------------------- numbers with units (numeric questions)

# unit -> (dimension, factor to the dimension's base unit). Times as read_seconds reads them;
# sizes in bytes (kB = 1000 bytes, as link rates use it); rates in bit/s (a byte is 8 bits).
_QUANTITY_UNITS: dict[str, tuple[str, float]] = {u: ("time", f) for u, f in _UNITS.items() if u}
_QUANTITY_UNITS.update({
    "byte": ("size", 1.0), "bytes": ("size", 1.0), "b": ("size", 1.0), "字节": ("size", 1.0),
    "kb": ("size", 1e3), "kbyte": ("size", 1e3), "kbytes": ("size", 1e3),
    "mb": ("size", 1e6), "mbyte": ("size", 1e6), "mbytes": ("size", 1e6),
    "seg": ("segments", 1.0), "segs": ("segments", 1.0), "segment": ("segments", 1.0),
    "segments": ("segments", 1.0), "mss": ("segments", 1.0), "smss": ("segments", 1.0),
    "报文段": ("segments", 1.0), "个报文段": ("segments", 1.0),
    "bit/s": ("rate", 1.0), "bps": ("rate", 1.0), "b/s": ("rate", 1.0), "bits/s": ("rate", 1.0),
    "kbit/s": ("rate", 1e3), "kbps": ("rate", 1e3), "kb/s": ("rate", 1e3), "kbits/s": ("rate", 1e3),
    "mbit/s": ("rate", 1e6), "mbps": ("rate", 1e6), "mb/s": ("rate", 1e6), "mbits/s": ("rate", 1e6),
    "gbit/s": ("rate", 1e9), "gbps": ("rate", 1e9), "gb/s": ("rate", 1e9), "gbits/s": ("rate", 1e9),
    "byte/s": ("rate", 8.0), "bytes/s": ("rate", 8.0), "kbyte/s": ("rate", 8e3), "mbyte/s": ("rate", 8e6), "gbyte/s": ("rate", 8e9),
})
_NUMBER_CHARS = frozenset("0123456789.,+-eE_")


def _number_and_unit(s: str) -> tuple[str, str]:
    """'240 ms' -> ('240', 'ms'); '2.5e3bit/s' -> ('2.5e3', 'bit/s'), in one pass. An 'e'
    starts an exponent only when a digit (or a sign and a digit) follows it."""
    end = 0
    while end < len(s):
        ch = s[end]
        if ch in "eE":
            rest = s[end + 1:end + 3]
            if not (rest[:1].isdigit() or (rest[:1] in "+-" and rest[1:2].isdigit())):
                break
        elif ch not in _NUMBER_CHARS:
            break
        end += 1
    return s[:end].strip(), s[end:].strip()


def _unit_key(unit: str) -> str:
    unit = normalize(unit)
    if unit.endswith("B/s"):  # MB/s is megabytes per second, Mb/s megabits: case matters here only
        unit = unit[:-3] + "byte/s"
    return " ".join(unit.lower().split()).replace("per second", "/s").replace(" /", "/").replace("/ ", "/")


def read_quantity(text: str, unit: str) -> float | Unreadable:
    """A number in `unit` (a numeric question's), perhaps written with a unit of the same
    kind: 240 ms for unit s, 1.5 Mbit/s for bit/s, 3 kB for bytes. A unit tcptutor does not
    convert (packets, RTTs) may be written after the number as the question spells it; a
    number with a unit of another kind is Unreadable, never wrong."""
    if (refused := too_long(text)) is not None:
        return refused
    example = _("a number in {unit}, such as 2.5 or 2.5 {unit}").format(unit=unit) if unit else _("a number, such as 2.5")
    number, written = _number_and_unit(normalize(text))
    if _THOUSANDS.match(number):  # 12,000 bit/s; a single comma before 1 or 2 digits is a decimal comma
        number = number.replace(",", "")
    value = read_float(number) if number else Unreadable(text, example)
    if isinstance(value, Unreadable):
        return Unreadable(text, example)
    if not written:
        return value
    want, got = _unit_key(unit), _unit_key(written)
    if got == want or (want and got.rstrip("s") == want.rstrip("s")):
        return value
    if got in _QUANTITY_UNITS:
        dimension, factor = _QUANTITY_UNITS[got]
        if not want and dimension == "time":  # a unitless question about a time: seconds, as read_float does
            return value * factor
        if want in _QUANTITY_UNITS and _QUANTITY_UNITS[want][0] == dimension:
            converted = value * factor / _QUANTITY_UNITS[want][1]
            if math.isfinite(converted):
                return converted
    return Unreadable(text, example)
