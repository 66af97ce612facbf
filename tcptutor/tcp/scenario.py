"""The scenario file parser: TOML text as checked params (tcp/params.py), with file:line errors.

The file format is documented in docs/scenarios.md. Durations are held as
whole microseconds so that every clock comparison in the simulator is exact.
"""

from __future__ import annotations

import re
import tomllib

from tcptutor.errors import ScenarioError

from . import limits
from .params import (
    ENDPOINTS,
    MICROS,
    SEQ_SPACE,
    Action,
    Call,
    Calls,
    Delay,
    Drop,
    Duplicate,
    EndpointParams,
    Flood,
    NetParams,
    NetworkRule,
    Scenario,
    Step,
    Vanish,
    Wait,
)

# ---------------------------------------------------------------------------
# Parsing. Pure: text in, values or one error out. No file I/O, no printing.
# ---------------------------------------------------------------------------

CALL_VERBS = ("listen", "connect", "send", "read", "close", "abort")
ENDPOINT_VERBS = CALL_VERBS + ("vanish",)  # vanish is said of an endpoint, but is no user call
RULE_VERBS = {"drop": Drop, "delay": Delay, "duplicate": Duplicate}  # the network's rules
NETWORK_VERBS = (*RULE_VERBS, "flood", "wait")  # steps of their own, not calls of an endpoint
STEP_VERBS = ENDPOINT_VERBS + NETWORK_VERBS
DROP_FLAGS = ("SYN", "ACK", "FIN", "RST", "PSH", "URG", "DATA")
DURATION_UNITS = {"us": 1, "ms": 1_000, "s": MICROS, "min": 60 * MICROS, "h": 3600 * MICROS}
RATE_UNITS = {"bps": 1, "kbps": 1_000, "mbps": 1_000_000, "gbps": 1_000_000_000}  # SI: k = 1000

_DURATION = re.compile(r"(-?)(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)", re.IGNORECASE)
_WHOLE = re.compile(r"[+-]?\d+")
_RULE = re.compile(r"(\w+)(?:\s+(\S+)(?:\s+(.*))?)?", re.IGNORECASE | re.DOTALL)
_ORDINAL = re.compile(r"(\d+)([a-z]*)", re.IGNORECASE)
_DELAY_BY = re.compile(r"(.*?)(?:^|\s)by(?:\s+(.*))?", re.IGNORECASE | re.DOTALL)
_DIRECTION = re.compile(r"(\w+)\s*->\s*(\w+)")
_RATE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)", re.IGNORECASE)
_NEEDS_UNIT = 'a duration needs a unit (us, ms, s, min, h), like "200ms"'


def _or_list(items) -> str:
    """'a, b or c': how every "expected ..." in an error message lists its choices."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _show(value) -> str:
    """A value the way the user wrote it in TOML, so they can find it in their file."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_duration(value) -> int:
    """A duration string ("200ms", "1.5s", "2min") as whole microseconds.

    Durations always carry a unit: a bare 200 could mean ms or s, and guessing wrong
    silently changes what a scenario teaches. The arithmetic is on integers so that
    "0.1s" is exactly 100000 us, never 99999.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f'a duration must be a string with a unit, like "200ms"; got {_show(value)}')
    if not isinstance(value, str):
        raise ValueError(f"{_NEEDS_UNIT}; got {_show(value)}")
    match = _DURATION.fullmatch(value.strip())
    if not match:
        raise ValueError(f"{_NEEDS_UNIT.replace('needs', 'is a number with')}; got {_show(value)}")
    sign, number, unit = match.group(1), match.group(2), match.group(3).lower()
    if not unit:
        raise ValueError(f"{_NEEDS_UNIT}; got {_show(value)}")
    if unit not in DURATION_UNITS:
        units = _or_list(DURATION_UNITS)
        raise ValueError(f"unknown duration unit '{match.group(3)}': expected {units}, like \"200ms\"")
    if sign:
        raise ValueError(f"a duration cannot be negative; got {_show(value)}")
    whole, _, fraction = number.partition(".")
    scaled = int(whole + fraction or "0") * DURATION_UNITS[unit]
    micros, rest = divmod(scaled, 10 ** len(fraction))
    if rest:
        raise ValueError(f"a duration must be a whole number of microseconds; got {_show(value)}")
    return micros


def _bounded_duration(value) -> int:
    """parse_duration, refusing what no TCP timer needs (limits.MAX_DURATION)."""
    micros = parse_duration(value)
    if micros > limits.MAX_DURATION:
        raise ValueError(f"a duration can be at most 24h ({limits.TEACHING}); got {_show(value)}")
    return micros


def _endpoint_name(word: str) -> str:
    name = word.lower()
    if name not in ENDPOINTS:
        raise ValueError(f"unknown endpoint '{word}': expected {_or_list(ENDPOINTS)}")
    return name


def _unknown_verb(word: str) -> ValueError:
    return ValueError(f"unknown step verb '{word}': expected {_or_list(STEP_VERBS)}")


def _size(word: str) -> int:
    if not _WHOLE.fullmatch(word) or int(word) < 1:
        raise ValueError(f"a size must be a whole number of bytes, at least 1; got {word}")
    return int(word)


def _parse_call(words: list[str]) -> Call:
    """`E verb [sizes]`: one RFC 9293 user call by one endpoint."""
    first = words[0].lower()
    if first in ENDPOINT_VERBS:
        raise ValueError(
            f"'{words[0]}' needs an endpoint first: expected \"client {first}\" or \"server {first}\""
        )
    if first not in ENDPOINTS and (len(words) == 1 or words[1].lower() not in CALL_VERBS):
        raise _unknown_verb(words[0])
    endpoint = _endpoint_name(words[0])
    if len(words) == 1:
        raise ValueError(f"'{words[0]}' needs a call after it: expected {_or_list(CALL_VERBS)}")
    verb, args = words[1].lower(), words[2:]
    if verb in NETWORK_VERBS:
        raise ValueError(
            f"'{verb}' is not a call an endpoint makes: write \"{verb} ...\" without '{words[0]}'"
        )
    if verb not in CALL_VERBS:
        raise _unknown_verb(words[1])
    if verb == "send":
        if not args:
            raise ValueError(f'send needs at least one size in bytes, like "{endpoint} send 100"')
        return Call(endpoint, verb, tuple(_size(arg) for arg in args))
    if verb == "read":  # RECEIVE (RFC 9293 3.10.3): N bytes, or everything buffered
        if len(args) != 1:
            raise ValueError(f'read needs one size in bytes or "all", like "{endpoint} read 100"')
        return Call(endpoint, verb, () if args[0].lower() == "all" else (_size(args[0]),))
    if args:
        raise ValueError(f"'{endpoint} {verb}' takes nothing after it; got '{' '.join(args)}'")
    return Call(endpoint, verb)


def _parse_simultaneous(text: str) -> Calls:
    """`A & B`: calls at the same instant, the only way to open or close simultaneously."""
    calls = []
    for side in text.split("&"):
        words = side.split()
        if not words:
            raise ValueError('each side of \'&\' needs a call, like "client close & server close"')
        if words[0].lower() in NETWORK_VERBS or (len(words) > 1 and words[1].lower() == "vanish"):
            raise ValueError(
                f"only calls can happen at the same instant; '{side.strip()}' cannot be joined with '&'"
            )
        calls.append(_parse_call(words))
    for endpoint in ENDPOINTS:
        if sum(call.endpoint == endpoint for call in calls) > 1:
            raise ValueError(f"{endpoint} appears twice around '&': an endpoint makes one call at a time")
    return Calls(tuple(calls))


_RULE_USAGE = {
    "drop": "drop next|Kth [SRC->DST] [FLAG,...]",
    "delay": "delay next|Kth [SRC->DST] [FLAG,...] by DURATION",
    "duplicate": "duplicate next|Kth [SRC->DST] [FLAG,...]",
}


def ordinal_suffix(k: int) -> str:
    """How English ends the ordinal of k: 1st 2nd 3rd 4th ... 11th 12th 13th ... 21st 22nd ..."""
    if k % 100 in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")


def _which(verb: str, word: str) -> int:
    """`next` or an ordinal (`3rd`): the how-many-th matching segment from now the rule takes."""
    if word.lower() == "next":
        return 1
    match = _ORDINAL.fullmatch(word)
    if not match:
        raise ValueError(f"{verb} needs 'next' or an ordinal (1st, 2nd, 3rd ...): "
                         f"expected \"{_RULE_USAGE[verb]}\"; got '{word}'")
    k, suffix = int(match.group(1)), match.group(2).lower()
    if k < 1:
        raise ValueError(f"{verb} counts matching segments from the 1st; got '{word}'")
    if suffix != ordinal_suffix(k):
        raise ValueError(f"'{word}' is not an ordinal: write {k}{ordinal_suffix(k)}")
    if k > limits.MAX_RULE_ORDINAL:
        most = f"{limits.MAX_RULE_ORDINAL}{ordinal_suffix(limits.MAX_RULE_ORDINAL)}"
        raise ValueError(f"{verb} can count at most to the {most} matching segment ({limits.TEACHING}); got '{word}'")
    return k


def _parse_rule(text: str) -> NetworkRule:
    """`drop|delay|duplicate next|Kth [SRC->DST] [FLAG,...]` (delay: `... by DURATION`)."""
    verb, which, rest = _RULE.fullmatch(text.strip()).groups()
    verb = verb.lower()
    if which is None:
        raise ValueError(f"{verb} needs 'next' or an ordinal (1st, 2nd, 3rd ...): expected \"{_RULE_USAGE[verb]}\"")
    nth, rest, src, dst, by = _which(verb, which), (rest or "").strip(), None, None, None
    if verb == "delay":
        split = _DELAY_BY.fullmatch(rest)
        if not split:
            raise ValueError("delay needs 'by DURATION' at its end, like \"delay next client->server DATA by 50ms\"")
        rest = split.group(1).strip()
        if not split.group(2):
            raise ValueError('delay ... by needs a duration, like "by 50ms"')
        by = _bounded_duration(split.group(2))
        if by == 0:
            raise ValueError(f'a delay must be more than 0; got "{split.group(2).strip()}"')
    direction = _DIRECTION.match(rest)
    if direction:
        src, dst = _endpoint_name(direction.group(1)), _endpoint_name(direction.group(2))
        if src == dst:
            raise ValueError(f"a {verb} direction needs two different endpoints; got {src}->{dst}")
        rest = rest[direction.end():]
    flags = set()
    for word in filter(None, re.split(r"[\s,+]+", rest)):
        if word.upper() in DROP_FLAGS:
            flags.add(word.upper())
        elif "->" in word or word.lower() in ENDPOINTS:
            raise ValueError(
                f"the direction goes right after '{which}' as SRC->DST, "
                f"like \"{verb} {which} client->server SYN\"; got '{word}'"
            )
        else:
            raise ValueError(f"unknown flag '{word}': expected {_or_list(DROP_FLAGS)}")
    selector = dict(src=src, dst=dst, flags=frozenset(flags), nth=nth)
    return Delay(**selector, by=by) if verb == "delay" else RULE_VERBS[verb](**selector)


def parse_step(text: str) -> Action:
    """One step string as the action it stands for; ValueError says what was expected."""
    text = text.strip()
    if "&" in text:
        return _parse_simultaneous(text)
    words = text.split()
    if not words:
        raise ValueError(f"a step cannot be empty: expected {_or_list(STEP_VERBS)}")
    first = words[0].lower()
    if first in RULE_VERBS:
        return _parse_rule(text)
    if len(words) >= 2 and words[1].lower() == "vanish" and first in ENDPOINTS:
        if len(words) > 2:
            raise ValueError(f"'{first} vanish' takes nothing after it; got '{' '.join(words[2:])}'")
        return Vanish(first)
    if first == "flood":
        if len(words) != 2 or not _WHOLE.fullmatch(words[1]) or int(words[1]) < 1:
            got = " ".join(words[1:]) or "nothing"
            raise ValueError(f'flood needs one whole number of SYNs, at least 1, like "flood 100"; got {got}')
        return Flood(int(words[1]))
    if first == "wait":
        if len(words) == 1:
            raise ValueError('wait needs a duration, like "wait 200ms"')
        return Wait(_bounded_duration(text.split(None, 1)[1]))
    return Calls((_parse_call(words),))


# --- where things are in the file -------------------------------------------------
# tomllib returns values without positions, so a light tokenizer finds the line of each
# table header, each key, and each element of the steps array. It only runs on text
# tomllib has accepted, so it can afford to be forgiving.

_TOKEN = re.compile(
    r'''(?P<newline>\n)
      | (?P<space>[ \t\r]+)
      | (?P<comment>\#[^\n]*)
      | (?P<string>"""(?:\\.|[^\\])*?"""{1,3}
                  | \'\'\'[\s\S]*?\'\'\'{1,3}
                  | "(?:\\.|[^"\\\n])*"
                  | '[^'\n]*')
      | (?P<punct>[\[\]{}=,.])
      | (?P<bare>[^\s\[\]{}=,.\#"']+)
      | (?P<other>.)''',
    re.VERBOSE | re.DOTALL,
)


def _tokens(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, line) for everything but spaces and comments."""
    tokens, line = [], 1
    for match in _TOKEN.finditer(text):
        if match.lastgroup not in ("space", "comment"):
            tokens.append((match.lastgroup, match.group(), line))
        line += match.group().count("\n")
    return tokens


def _key_part(kind: str, token: str) -> str:
    """A bare or quoted key as its name (quoted keys decoded by tomllib itself)."""
    return tomllib.loads(f"k = {token}")["k"] if kind == "string" else token


class _Positions:
    """Line numbers of table headers, keys (by dotted path) and the steps array's elements."""

    def __init__(self, text: str):
        self.key_lines: dict[tuple[str, ...], int] = {}
        self.step_lines: list[int] = []
        tokens, i, table = _tokens(text), 0, ()
        while i < len(tokens):
            kind, token, line = tokens[i]
            if kind == "newline":
                i += 1
                continue
            parts = []
            while i < len(tokens) and tokens[i][0] != "newline" and tokens[i][1] != "=":
                if tokens[i][0] in ("bare", "string"):
                    parts.append(_key_part(*tokens[i][:2]))
                i += 1
            key_path = tuple(parts) if token == "[" else table + tuple(parts)
            for end in range(1, len(key_path) + 1):
                self.key_lines.setdefault(key_path[:end], line)
            if token == "[":
                table = key_path
            else:
                i = self._skip_value(tokens, i + 1, record=key_path == ("steps",))

    def _skip_value(self, tokens, i: int, record: bool) -> int:
        """Skip a value (arrays may span lines); for steps, note where each element starts."""
        depth, expecting_element = 0, False
        while i < len(tokens) and not (tokens[i][0] == "newline" and depth == 0):
            kind, token, line = tokens[i]
            if record and depth == 1 and expecting_element and kind != "newline" and token not in ",]":
                self.step_lines.append(line)
                expecting_element = False
            if kind == "punct" and token in "[{":
                depth += 1
                expecting_element = depth == 1
            elif kind == "punct" and token in "]}":
                depth -= 1
            elif kind == "punct" and token == "," and depth == 1:
                expecting_element = True
            i += 1
        return i

    def line_of(self, *key_path: str) -> int:
        """The line of a key, else of its nearest enclosing table, else 1."""
        for end in range(len(key_path), 0, -1):
            if key_path[:end] in self.key_lines:
                return self.key_lines[key_path[:end]]
        return 1


# --- checking values ------------------------------------------------------------------
# Each checker takes (key, value) and returns the stored value or raises ValueError.


def _whole_number(low: int, high: int | None = None, why: str = ""):
    """`why` set: only the lower bound is the field's own; the upper one is a limit of ours."""

    def check(key, value):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{key} must be a whole number (a TOML integer); got {_show(value)}")
        if why and value < low:
            raise ValueError(f"{key} must be at least {low}; got {value}")
        if why and value > high:
            raise ValueError(f"{key} can be at most {high} {why}; got {value}")
        if high is None and value < low:
            raise ValueError(f"{key} must be at least {low}; got {value}")
        if high is not None and not low <= value <= high:
            raise ValueError(f"{key} must be between {low} and {high}; got {value}")
        return value

    return check


def _boolean(key, value):
    if not isinstance(value, bool):
        raise ValueError(f"{key} must be true or false; got {_show(value)}")
    return value


def _one_of(*choices: str):
    def check(key, value):
        if value not in choices:
            raise ValueError(f"{key} must be {_or_list(_show(c) for c in choices)}; got {_show(value)}")
        return value

    return check


def _duration(positive: bool = False):
    def check(key, value):
        try:
            micros = _bounded_duration(value)
        except ValueError as error:
            raise ValueError(f"{key}: {error}") from None
        if positive and micros == 0:
            raise ValueError(f"{key} must be more than 0; got {_show(value)}")
        return micros

    return check


def _congestion_control(key, value):
    """One of the shipped plug-ins (tcp/cc/)."""
    return _one_of("none", "tahoe", "reno", "newreno", "cubic")(key, value)


def _probability(key, value):
    """[net] loss: a probability per segment, 0 (never) to 1 (always)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{key} must be a number from 0 to 1, like {key} = 0.01; got {_show(value)}")
    if not 0 <= value <= 1:  # NaN fails this too
        raise ValueError(f"{key} must be from 0 to 1 (a probability per segment); got {_show(value)}")
    return float(value)


def parse_rate(value) -> int:
    """A rate string ("10Mbps", "1.5Gbps", "64kbps") as whole bits per second (SI: k = 1000).

    Like durations, a rate needs its unit and the arithmetic is on integers.
    """
    example = 'like "10Mbps"'
    if not isinstance(value, str):
        raise ValueError(f"a rate must be a string with a unit (bps, kbps, Mbps, Gbps), {example}; got {_show(value)}")
    match = _RATE.fullmatch(value.strip())
    if not match:
        raise ValueError(f"a rate is a number with a unit (bps, kbps, Mbps, Gbps), {example}; got {_show(value)}")
    number, unit = match.group(1), match.group(2).lower()
    if unit not in RATE_UNITS:
        got = f"unit '{match.group(2)}'" if unit else "no unit"
        raise ValueError(f"a rate needs a unit: bps, kbps, Mbps or Gbps, {example}; got {got} in {_show(value)}")
    whole, _, fraction = number.partition(".")
    bits, rest = divmod(int(whole + fraction or "0") * RATE_UNITS[unit], 10 ** len(fraction))
    if rest:
        raise ValueError(f"a rate must be a whole number of bits per second; got {_show(value)}")
    return bits


def _rate(key, value):
    try:
        bits = parse_rate(value)
    except ValueError as error:
        raise ValueError(f"{key}: {error}") from None
    if bits < limits.MIN_RATE:
        raise ValueError(f"{key} must be at least 1kbps; got {_show(value)}")
    if bits > limits.MAX_RATE:
        raise ValueError(f"{key} can be at most 100Gbps ({limits.TEACHING}); got {_show(value)}")
    return bits


_ENDPOINT_FIELDS = {
    "isn": _whole_number(0, SEQ_SPACE - 1),
    "window": _whole_number(1, 65535),
    "mss": _whole_number(1, 65495),
    "backlog": _whole_number(1, limits.MAX_BACKLOG, why=f"half-open entries ({limits.TEACHING})"),
    "syncookies": _boolean,
    "cc": _congestion_control,
    "iw": _whole_number(1, limits.MAX_INITIAL_WINDOW, why=f"segments ({limits.TEACHING})"),
    "autoread": _boolean,
    "keepalive": _boolean,
    "keepalive_idle": _duration(positive=True),
    "keepalive_interval": _duration(positive=True),
    "keepalive_count": _whole_number(1, limits.MAX_KEEPALIVE_COUNT, why=f"probes ({limits.TEACHING})"),
    "nagle": _boolean,
    "delayed_ack": _boolean,
}
_NET_FIELDS = {
    "profile": _one_of("rfc9293", "linux"),
    "seed": _whole_number(0),
    "latency": _duration(),
    "rto": _duration(positive=True),
    "msl": _duration(),
    "syn_retries": _whole_number(0, 255),
    "synack_retries": _whole_number(0, 255),
    "loss": _probability,
    "rate": _rate,
    "queue": _whole_number(1, limits.MAX_QUEUE, why=f"segments ({limits.TEACHING})"),
    "rfc5961": _boolean,
}
_TABLES = {"client": _ENDPOINT_FIELDS, "server": _ENDPOINT_FIELDS, "net": _NET_FIELDS}
_TOP_LEVEL = ("steps", "title", *(f"[{name}]" for name in _TABLES))


def _load_toml(text: str, path: str) -> dict:
    deep_at = limits.toml_too_deep(text)
    if deep_at is not None:
        raise ScenarioError(path, deep_at, limits.too_deep_message())
    try:
        return tomllib.loads(text)
    except RecursionError:  # the pre-check is the guard; this only backs it up
        raise ScenarioError(path, 1, limits.too_deep_message()) from None
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        at = re.search(r"\s*\(at (?:line (\d+), column \d+|end of document)\)$", message)
        line = int(at.group(1)) if at and at.group(1) else max(len(text.splitlines()), 1)
        described = message[: at.start()] if at else message
        raise ScenarioError(path, line, f"malformed TOML: {described}") from None


def parse_scenario(text: str, path: str = "<scenario>") -> Scenario:
    """A scenario file's text as a checked Scenario; the first problem raises ScenarioError.

    Every error carries the line to fix, because the people reading these messages are
    students editing a file, not programmers reading a traceback.
    """
    if len(text) > limits.MAX_SCENARIO_CHARS:
        raise ScenarioError(path, None, f"{len(text)} characters: a scenario can be at most"
                                        f" {limits.MAX_SCENARIO_CHARS} characters ({limits.TEACHING})")
    data = _load_toml(text, path)
    where = _Positions(text)

    def fail(key_path: tuple[str, ...], message: str, line: int | None = None):
        raise ScenarioError(path, line or where.line_of(*key_path), message)

    for key, value in data.items():
        if key not in _TABLES and key not in _TOP_LEVEL:
            unknown = f"table [{key}]" if isinstance(value, dict) else f"key '{key}'"
            fail((key,), f"unknown {unknown}: expected {_or_list(_TOP_LEVEL)}")

    steps = data.get("steps")
    if steps is None:
        fail((), 'steps is missing: a scenario needs steps = ["...", ...]')
    if not isinstance(steps, list):
        example = 'steps = ["server listen", "client connect"]'
        fail(("steps",), f"steps must be a list of strings, like {example}; got {_show(steps)}")
    if not steps:
        fail(("steps",), "steps is empty: a scenario needs at least one step")
    if len(steps) > limits.MAX_STEPS:
        fail(("steps",), f"{len(steps)} steps: at most {limits.MAX_STEPS} steps in a scenario ({limits.TEACHING})")
    parsed_steps = []
    for index, step in enumerate(steps):
        line = where.step_lines[index] if index < len(where.step_lines) else where.line_of("steps")
        if not isinstance(step, str):
            fail(("steps",), f'each step must be a string, like "client connect"; got {_show(step)}', line)
        try:
            parsed_steps.append(Step(step.strip(), line, parse_step(step)))
        except ValueError as error:
            fail(("steps",), f'step "{step.strip()}": {error}', line)

    title = data.get("title", "")
    if not isinstance(title, str):
        fail(("title",), f"title must be a string; got {_show(title)}")

    tables = {}
    for name, fields in _TABLES.items():
        table = data.get(name, {})
        if not isinstance(table, dict):
            fail((name,), f"[{name}] must be a table of settings ({_or_list(fields)}); got {_show(table)}")
        values = {}
        for key, value in table.items():
            if key not in fields:
                fail((name, key), f"unknown key '{key}' in [{name}]: expected {_or_list(fields)}")
            try:
                values[key] = fields[key](key, value)
            except ValueError as error:
                fail((name, key), str(error))
        tables[name] = values

    if "queue" in tables["net"] and "rate" not in tables["net"]:
        fail(("net", "queue"), 'queue needs a rate: a queue only fills behind a bottleneck, like rate = "10Mbps"')

    scenario = Scenario(
        steps=tuple(parsed_steps),
        title=title,
        client=EndpointParams(**tables["client"]),
        server=EndpointParams(**tables["server"]),
        net=NetParams(**tables["net"]),
        path=path,
    )
    _check_reach(scenario)
    return scenario


def _check_reach(scenario: Scenario) -> None:
    """Refuse, at the step that crosses it, a flood or a transfer beyond tcp/limits.py.

    A send's data segments are counted at least as the simulator cuts them (connection.send
    and _flush): each write in pieces of at most min(both MSS, the peer's window) bytes. A
    window that reopens in small pieces cuts more; the simulator's MAX_SEGMENTS stops those.
    """
    floods, data_segments = 0, 0
    rules = {Drop: 0, Delay: 0, Duplicate: 0}
    most = {Drop: limits.MAX_DROPS, Delay: limits.MAX_DELAYS, Duplicate: limits.MAX_DUPLICATES}
    params = {"client": scenario.client, "server": scenario.server}
    for step in scenario.steps:
        action = step.action

        def refuse(message: str):
            raise ScenarioError(scenario.path, step.line, f'step "{step.text}": {message} ({limits.TEACHING})')

        if type(action) in rules:
            rules[type(action)] += 1
            if rules[type(action)] > most[type(action)]:
                verb = type(action).__name__.lower()
                refuse(f"at most {most[type(action)]} {verb} steps in a scenario")
        elif isinstance(action, Flood):
            floods += action.count
            if floods > limits.MAX_FLOOD_SYNS:
                refuse(f"at most {limits.MAX_FLOOD_SYNS} spoofed SYNs in a scenario")
        elif isinstance(action, Calls):
            for call in action.calls:
                if call.verb != "send":
                    continue
                own, peer = params[call.endpoint], params["server" if call.endpoint == "client" else "client"]
                piece = min(own.mss, peer.mss, peer.window)
                data_segments += sum(-(-size // piece) for size in call.sizes)
                if data_segments > limits.MAX_DATA_SEGMENTS:
                    refuse(f"at most {limits.MAX_DATA_SEGMENTS} data segments in a scenario; with segments of"
                           f" at most {piece} bytes (the smaller MSS, or the peer's window) this needs more")
