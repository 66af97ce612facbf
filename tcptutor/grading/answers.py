"""Reading answers the way students type them.

Numbers in decimal, hex (0x3e9) or full-width digits (１００１); states in every common
spelling (SYN_RCVD, SYN_RECV, ESTAB, time wait) and the Chinese textbook names; flags as
SYN+ACK, SYN,ACK, SA, S. or [SYN, ACK]. An answer that cannot be read is Unreadable, with
what was expected: it is never counted as wrong.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

SEQ_MAX = 2**32 - 1
STATES = (
    "CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2",
    "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT",
)


@dataclass(frozen=True)
class Unreadable:
    """Why an answer could not be read, and what a readable one looks like."""

    given: str
    expected: str  # e.g. "a number such as 1001 or 0x3e9"

    def __str__(self) -> str:
        return f"could not read {self.given!r}: expected {self.expected}"


def normalize(text: str) -> str:
    """NFKC folds full-width digits and letters (１００１, ＳＹＮ) into ASCII; trim spaces."""
    return unicodedata.normalize("NFKC", text).strip()


# ---------------------------------------------------------------- numbers

_PREFIX = re.compile(r"^(seq|ack|len|win|n|number|num)\s*[=:]\s*", re.IGNORECASE)
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+$")


def read_number(text: str) -> int | Unreadable:
    """A whole number: 1001, 0x3e9, １００１, 1_001, 1,001, 'ack=1001'. May exceed 2**32-1
    (the grader then hints at wraparound); negative numbers are read too."""
    raw = normalize(text)
    s = _PREFIX.sub("", raw).replace("_", "").replace(" ", "")
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    sign = 1
    if s.startswith(("-", "+")):
        sign, s = (-1 if s[0] == "-" else 1), s[1:]
    try:
        if s.lower().startswith("0x"):
            return sign * int(s[2:], 16)
        if s.isdigit():
            return sign * int(s)
    except ValueError:
        pass
    return Unreadable(text, "a whole number such as 1001 (hex like 0x3e9 works too)")


# ---------------------------------------------------------------- seconds

_UNITS = {
    "": 1.0, "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0, "秒": 1.0,
    "ms": 0.001, "msec": 0.001, "millisecond": 0.001, "milliseconds": 0.001, "毫秒": 0.001,
    "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0, "分钟": 60.0, "分": 60.0,
    "h": 3600.0, "hour": 3600.0, "hours": 3600.0, "小时": 3600.0,
}
_DURATION = re.compile(r"^([0-9]*\.?[0-9]+)\s*([a-z\u4e00-\u9fff]*)$", re.IGNORECASE)


def read_seconds(text: str) -> float | Unreadable:
    """A time in seconds: 1, 1.5, 1s, 200ms, 4 min, 240秒."""
    m = _DURATION.match(normalize(text).lower())
    if m and m.group(2) in _UNITS:
        return float(m.group(1)) * _UNITS[m.group(2)]
    return Unreadable(text, "a time in seconds such as 1.5 (or with a unit: 200ms, 4min)")


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
_STATE_EXAMPLE = "a TCP state such as SYN-RECEIVED, SYN_RCVD, ESTAB, time wait or 同步收到"


def read_state(text: str) -> str | Unreadable:
    key = re.sub(r"[\s_\-]+", "-", normalize(text).upper()).strip("-")
    key = key.removeprefix("TCP-").removesuffix("-STATE")
    for candidate in (key, key.replace("-", ""), key.replace("状态", "")):
        if candidate in _STATE_ALIASES:
            return _STATE_ALIASES[candidate]
    return Unreadable(text, _STATE_EXAMPLE)


_LIST_SPLIT = re.compile(r"\s*(?:->|=>|→|⟶|>|,|，|;|；|、|\||\n)\s*")


def read_states(text: str) -> list[str] | Unreadable:
    """States in order: 'CLOSED -> SYN-SENT -> ESTABLISHED', commas, arrows or spaces."""
    parts = [p for p in _LIST_SPLIT.split(normalize(text)) if p]
    if len(parts) == 1:
        parts = parts[0].split()
    states = [read_state(p) for p in parts]
    if not states or any(isinstance(s, Unreadable) for s in states):
        return Unreadable(text, "states in order separated by commas or arrows, e.g. CLOSED, SYN-SENT, ESTABLISHED")
    return states


# ---------------------------------------------------------------- flags

_FLAG_WORDS = {"SYN", "ACK", "FIN", "RST", "PSH", "URG", "ECE", "CWR"}
_FLAG_LETTERS = {"S": "SYN", "A": "ACK", "F": "FIN", "R": "RST", "P": "PSH", "U": "URG", ".": "ACK"}
_FLAG_ORDER = ("SYN", "ACK", "FIN", "RST", "URG")


def read_flags(text: str) -> str | Unreadable:
    """Flags as a canonical 'SYN+ACK' (PSH dropped: it is not graded).

    Accepts SYN+ACK, SYN,ACK, syn ack, [SYN, ACK], SA, S. (tcpdump), F., R., '.' (ACK).
    """
    s = normalize(text).upper().strip("[]{}() ")
    if not s:
        return Unreadable(text, "flags such as SYN+ACK (or SA, S., [SYN, ACK])")
    words = [w for w in re.split(r"[\s+,/|&，、-]+", s) if w]
    found: set[str] = set()
    if all(w in _FLAG_WORDS or w in ("NONE", "-") for w in words):
        found = {w for w in words if w in _FLAG_WORDS}
    elif len(words) == 1 and all(ch in _FLAG_LETTERS for ch in words[0]):
        found = {_FLAG_LETTERS[ch] for ch in words[0]}
    else:
        return Unreadable(text, "flags such as SYN+ACK (or SA, S., [SYN, ACK])")
    return "+".join(f for f in _FLAG_ORDER if f in found)


# ---------------------------------------------------------------- the other kinds

_TRUE = {"TRUE", "T", "YES", "Y", "1", "对", "正确", "是", "√", "✓", "RIGHT", "CORRECT"}
_FALSE = {"FALSE", "F", "NO", "N", "0", "错", "错误", "否", "×", "✗", "WRONG", "INCORRECT"}


def read_bool(text: str) -> bool | Unreadable:
    s = normalize(text).upper().rstrip(".!")
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    return Unreadable(text, "true or false")


def read_letters(text: str, count: int) -> str | Unreadable:
    """Option letters, e.g. 'B', 'a, c', 'AC', '1 3' (numbers count from 1)."""
    s = normalize(text).upper()
    tokens = [t for t in re.split(r"[\s,;/+&，、]+", s) if t]
    letters = []
    for token in tokens:
        if token.isdigit() and 1 <= int(token) <= count:
            letters.append(chr(ord("A") + int(token) - 1))
        elif token.isalpha() and all("A" <= ch < chr(ord("A") + count) for ch in token):
            letters.extend(token)
        else:
            last = chr(ord("A") + count - 1)
            return Unreadable(text, f"option letters from A to {last}, e.g. B or A,C")
    if not letters:
        return Unreadable(text, "one or more option letters, e.g. B or A,C")
    return "".join(sorted(set(letters)))


def read_order(text: str, shown: list[str]) -> list[str] | Unreadable:
    """The items in order, by the letters they were shown with ('C A B', 'C -> A -> B') or by
    name (separated by arrows, or by commas when no item contains one)."""
    s = normalize(text)
    tokens = [t for t in re.split(r"\s*(?:->|=>|→|>|,|，|;|、|\|)\s*|\s+", s.upper()) if t]
    valid = {chr(65 + i) for i in range(len(shown))} | {str(i + 1) for i in range(len(shown))}
    if tokens and all(t in valid for t in tokens):
        picked = [shown[int(t) - 1] if t.isdigit() else shown[ord(t) - 65] for t in tokens]
        if len(picked) == len(shown) and len(set(picked)) == len(shown):
            return picked
    by_name = {item.upper(): item for item in shown}
    arrows = re.compile(r"\s*(?:->|=>|→|⟶)\s*")
    parts = [p for p in (arrows.split(s) if arrows.search(s) else _LIST_SPLIT.split(s)) if p.strip()]
    if len(parts) == len(shown) and all(p.strip().upper() in by_name for p in parts):
        return [by_name[p.strip().upper()] for p in parts]
    return Unreadable(text, f"all {len(shown)} letters in order, e.g. {' '.join(chr(65 + i) for i in range(len(shown)))}")


def read_float(text: str) -> float | Unreadable:
    s = normalize(text).replace(",", ".") if normalize(text).count(",") == 1 and "." not in text else normalize(text)
    try:
        return float(s)
    except ValueError:
        seconds = read_seconds(text)
        if isinstance(seconds, float):
            return seconds
        return Unreadable(text, "a number")
