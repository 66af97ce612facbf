"""What tcptutor refuses, in one place: the reach of a teaching simulator, with headroom.

A scenario beyond these is refused when it is parsed (or, for what only a run can tell,
when it is simulated) with one line that names the limit, instead of running for minutes
and ending in a MemoryError. Within them the simulator is linear (log-linear for timers)
in the number of segments, so the largest scenario allowed still runs in seconds.
"""

from __future__ import annotations

import re

TEACHING = "tcptutor is a teaching simulator"

MAX_STEPS = 10_000  # steps in one scenario
MAX_SCENARIO_CHARS = 2_000_000  # a scenario's text: room for MAX_STEPS steps of 200 characters
MAX_FLOOD_SYNS = 100_000  # spoofed SYNs over all `flood` steps of a scenario
MAX_DROPS = 100  # `drop` steps: every segment is matched against the pending ones
MAX_DELAYS = 100  # `delay` steps, likewise
MAX_DUPLICATES = 100  # `duplicate` steps, likewise
MAX_RULE_ORDINAL = 10_000  # `drop 10000th ...`: a rule counts at most this many matching segments
MIN_RATE = 1_000  # [net] rate, bits per second: 1 kbps (a 1500-byte segment then takes 12 s)
MAX_RATE = 100_000_000_000  # 100 Gbps: beyond ~12 Gbps every segment takes the 1 us minimum anyway
MAX_KEEPALIVE_COUNT = 127  # keepalive_count: Linux MAX_TCP_KEEPCNT (TCP_KEEPCNT refuses more)
MAX_BACKLOG = 65_535  # [server] backlog: half-open entries (the old u16 somaxconn cap)
MAX_INITIAL_WINDOW = 1_000  # [client]/[server] iw: segments in the initial congestion window
MAX_DURATION = 24 * 3600 * 1_000_000  # microseconds: any wait, latency, rto or msl (a day)
# Segments on the wire in one scenario, counted as they are sent. Leaves room for the
# largest flood answered by SYN cookies (2 segments per spoofed SYN) and a connection.
MAX_SEGMENTS = 250_000
# Data segments `send` may ask for in a scenario, estimated when parsing: each one is
# acknowledged, so together they stay within MAX_SEGMENTS.
MAX_DATA_SEGMENTS = MAX_SEGMENTS // 2
MAX_QUEUE = MAX_SEGMENTS  # [net] queue, segments: a longer queue can never fill in a scenario

# TOML nesting: tcptutor's own files nest three levels at most; tomllib recurses once per
# level and would end in a RecursionError (a traceback) on `a = [[[[...]]]]`.
MAX_TOML_DEPTH = 32

# Unrolled loops ([^"\\]* eats long runs at C speed; a lazy (?:.|.)*? took minutes on a
# 50 MB string). A closing """ may be followed by one or two quotes of the string's own.
_NESTING_TOKEN = re.compile(
    r'"""[^"\\]*(?:(?:\\[\s\S]|"(?!""))[^"\\]*)*"""(?:"{1,2})?'  # multi-line basic string
    r"|'''[^']*(?:'(?!'')[^']*)*'''(?:'{1,2})?"  # multi-line literal string
    r'|"[^"\\\n]*(?:\\.[^"\\\n]*)*"'  # basic string
    r"|'[^'\n]*'"  # literal string
    r"|#[^\n]*"  # comment
    r"|[\[{]+|[\]}]+",  # runs of opening or closing brackets
)


def toml_too_deep(text: str) -> int | None:
    """The 1-based line where `text` nests arrays/tables deeper than MAX_TOML_DEPTH, else None.

    Cheap, so that it can run before tomllib on every scenario and lesson block however
    large: a count when there are few brackets, else one regex pass that skips everything
    but brackets, strings and comments.
    """
    if text.count("[") + text.count("{") <= MAX_TOML_DEPTH:
        return None
    depth = 0
    for match in _NESTING_TOKEN.finditer(text):
        token = match.group()
        if token[0] in "[{":
            depth += len(token)
            if depth > MAX_TOML_DEPTH:
                crossing = match.end() - (depth - MAX_TOML_DEPTH)
                return text.count("\n", 0, crossing) + 1
        elif token[0] in "]}":
            depth = max(depth - len(token), 0)
    return None


def too_deep_message(where: str = "") -> str:
    """`where`: " in the question block", say, placed as in "malformed TOML in the ..."."""
    return f"too deeply nested{where}: at most {MAX_TOML_DEPTH} levels of [ ] and {{ }} ({TEACHING})"
