"""Question values and their schema check: a `question` block's TOML -> Question, or problems.

The schema is documented for authors in content/README.md; keep the two in step.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field

from ..i18n import N_, NP_, Said, _, language, pgettext, reason
from ..problems import Problem
from .expr import FUNCTIONS, ExprError, compile_expr
from .selectors import cjk_spaced, parse_selector, shown_selector

KINDS = ("predict", "single", "multiple", "truefalse", "ordering", "numeric")
WHATS = ("seq", "ack", "len", "win", "flags", "state", "states", "sent_at", "arrived_at", "count", "timeout",
         "cwnd", "ssthresh", "rwnd", "flight", "srtt", "rttvar", "rto", "sport", "dport", "mss", "wscale", "options")
# Asked of a TCB (the trace's event member `tcb`): sizes in bytes or segments, times in seconds.
TCB_SIZE_WHATS = ("cwnd", "ssthresh", "rwnd", "flight")
TCB_TIME_WHATS = ("srtt", "rttvar", "rto")
TCB_WHATS = TCB_SIZE_WHATS + TCB_TIME_WHATS
SIZE_UNITS = ("bytes", "segments")
# Read off one segment as a capture shows it: its ports (the capture's address plan,
# tcp/addresses.py) and its TCP options (RFC 9293 3.1; "none" when it carries none).
OPTION_WHATS = ("mss", "wscale", "options")
PORT_WHATS = ("sport", "dport")
SEGMENT_WHATS = ("seq", "ack", "len", "win", "flags", "sent_at", "arrived_at", "count") + PORT_WHATS + OPTION_WHATS
# The trace's timer kinds (docs/scenarios.md, event `timer`) a timeout question may ask about.
TIMER_KINDS = ("time-wait", "retransmission", "syn", "synack", "delayed-ack", "persist", "keepalive")
ENDPOINTS = ("client", "server")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
FIELD_RE = re.compile(r"^[a-z0-9_]+$")
MAX_CHOICES = 26  # options and ordering items: one letter each, A to Z (variants.LETTERS)

COMMON_KEYS = {"id", "kind", "topics", "difficulty", "prompt", "explanation", "scenario", "profile"}
KIND_KEYS = {
    "predict": {"vary", "ask", "let", "keep_isns", "same_answers"},
    "single": {"options"},
    "multiple": {"options"},
    "truefalse": {"answer"},
    "ordering": {"items"},
    "numeric": {"answer", "tolerance", "unit", "vary", "let", "part", "same_answers"},
}
PART_KEYS = {"field", "label", "answer", "unit", "tolerance"}
NAME_RE = re.compile(r"^[a-z_][a-z0-9_]*$")  # a [vary] or [let] name an expression can read
TOLERANCE_RE = re.compile(r"^\s*(\d+(\.\d+)?)\s*%\s*$")
ASK_KEYS = {"field", "what", "segment", "endpoint", "at", "timer", "nth", "label", "unit", "round"}


@dataclass(frozen=True)
class Ask:
    """One field a predict question asks for, and where in the trace its answer is."""

    field: str
    what: str
    segment: str | None = None
    endpoint: str | None = None
    at: str | None = None
    timer: str | None = None
    nth: int = 1
    label: str = ""
    unit: str = ""  # TCB sizes: "bytes" or "segments" ("" = the what's default, see size_unit)
    round: int | None = None  # TCB whats: the endpoint's TCB at the end of transmission round N

    @property
    def size_unit(self) -> str:
        """The unit a TCB size is asked in: `flight` counts segments, the windows bytes."""
        return self.unit or ("segments" if self.what == "flight" else "bytes")

    def spec(self) -> dict:
        """For Question.to_spec: the keys added with the TCB whats only when set, so that
        the stored spec (and content hash) of every older question stays as it was."""
        out = dict(self.__dict__)
        for key, default in (("unit", ""), ("round", None)):
            if out[key] == default:
                del out[key]
        return out

    @property
    def shown_label(self) -> str:
        """The field's label: the author's, else one made from the ask, in the active language
        (the segments named as shown_selector shows them; English is the selectors' own words)."""
        if self.label:
            return self.label
        label = self._generated_label()
        return label if language() == "en" else cjk_spaced(label)

    def _generated_label(self) -> str:
        endpoint = pgettext("endpoint", self.endpoint) if self.endpoint else str(self.endpoint)
        if self.what in TCB_WHATS:
            unit = {"bytes": _(" (bytes)"), "segments": _(" (segments)")}.get(self.size_unit, f" ({self.size_unit})") \
                if self.what in TCB_SIZE_WHATS else _(" (s)")
            name = _("segments in flight") if self.what == "flight" else self.what
            if self.round is not None:
                return _("the {endpoint}'s {name} at the end of round {round}{unit}").format(
                    endpoint=endpoint, name=name, round=self.round, unit=unit)
            if self.segment is not None:
                return _("{name} when {segment} was sent{unit}").format(
                    name=name, segment=shown_selector(self.segment), unit=unit)
            return _("the {endpoint}'s {name} after {at}{unit}").format(
                endpoint=endpoint, name=name, at=shown_selector(str(self.at)), unit=unit)
        if self.what == "states":
            return _("{endpoint}'s states in order").format(endpoint=endpoint)
        if self.what == "state":
            if self.at == "end":
                return _("{endpoint}'s state at the end").format(endpoint=endpoint)
            return _("{endpoint}'s state after {at}").format(endpoint=endpoint, at=shown_selector(str(self.at)))
        if self.what == "timeout":
            timer = pgettext("timer kind", self.timer) if self.timer in TIMER_KINDS else self.timer
            return _("how long the {endpoint}'s {timer} timer ran (s)").format(endpoint=endpoint, timer=timer)
        segment = shown_selector(str(self.segment))
        if self.what == "count":
            return _("number of segments: {segment}").format(segment=segment)
        named = SEGMENT_LABELS.get(self.what)
        if named is None:
            return _("{what} of {segment}").format(what=self.what, segment=segment)
        return pgettext("field label", named).format(segment=segment)


# The label of a field about one segment, when the author wrote none: pgettext("field label", ...).
SEGMENT_LABELS = {
    "seq": NP_("field label", "seq of {segment}"), "ack": NP_("field label", "ack of {segment}"),
    "len": NP_("field label", "len of {segment}"), "win": NP_("field label", "win of {segment}"),
    "flags": NP_("field label", "flags of {segment}"), "sent_at": NP_("field label", "sent_at of {segment}"),
    "arrived_at": NP_("field label", "arrived_at of {segment}"),
    "sport": NP_("field label", "source port of {segment}"),
    "dport": NP_("field label", "destination port of {segment}"),
    "mss": NP_("field label", "MSS option (or none) of {segment}"),
    "wscale": NP_("field label", "window scale shift (or none) of {segment}"),
    "options": NP_("field label", "TCP options (or none) of {segment}"),
}
# The timer kinds named in a sentence ("how long the client's retransmission timer ran"):
# pgettext("timer kind", kind); in English the kind itself.
TIMER_KIND_NAMES = (NP_("timer kind", "time-wait"), NP_("timer kind", "retransmission"), NP_("timer kind", "syn"),
                    NP_("timer kind", "synack"), NP_("timer kind", "delayed-ack"), NP_("timer kind", "persist"),
                    NP_("timer kind", "keepalive"))


@dataclass(frozen=True)
class NumericPart:
    """One number a numeric question asks for: fixed, or an expression over the variant's
    [vary] and [let] values (tcptutor/questions/expr.py)."""

    field: str
    label: str
    answer: object  # int | float | str (an expression)
    unit: str = ""
    tolerance: object = 0.0  # float (absolute) or "N%" (relative to the answer)


def tolerance_for(tolerance, value: float) -> float:
    """The absolute tolerance: a number as it is, "1%" as 1% of |value|."""
    if isinstance(tolerance, str):
        m = TOLERANCE_RE.match(tolerance)
        return abs(value) * float(m.group(1)) / 100 if m else 0.0
    return float(tolerance)


@dataclass(frozen=True)
class Option:
    text: str
    correct: bool
    feedback: str


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    topics: tuple[str, ...]
    difficulty: int
    prompt: str
    explanation: str
    path: str
    line: int
    lesson: str = ""
    scenario: str | None = None  # a scenario name, or inline TOML with ${placeholders}
    profile: str | None = None
    vary: tuple[tuple[str, str], ...] = ()  # (name, the spec as JSON): immutable, and unambiguous
    asks: tuple[Ask, ...] = ()
    options: tuple[Option, ...] = ()
    answer: object = None  # truefalse: bool; numeric: a number or an expression string
    items: tuple[str, ...] = ()
    keep_isns: bool = False  # predict: run a named scenario with its own ISNs, not the variant's
    # the [vary] values change the prompt but not the answers, and that is the point (a size
    # that does not matter): `check` then warns if the answers do vary, instead of if they do not
    same_answers: bool = False
    tolerance: object = 0.0  # numeric: a number (absolute) or "N%" (relative)
    unit: str = ""
    lets: tuple[tuple[str, str], ...] = ()  # numeric: (name, expression), evaluated in order
    parts: tuple[NumericPart, ...] = ()  # numeric: [[part]] tables; () = the single `answer`
    source: str = field(default="", compare=False)  # the block's text, for hashing and export

    @property
    def content_hash(self) -> str:
        """Hash of what the question says (not where it sits in the file)."""
        payload = json.dumps(self.to_spec(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    @property
    def fields(self) -> tuple[str, ...]:
        """The answer fields a student fills in (QID.field)."""
        if self.kind == "predict":
            return tuple(a.field for a in self.asks)
        if self.kind == "numeric":
            return tuple(p.field for p in self.numeric_parts)
        return ("answer",)

    @property
    def numeric_parts(self) -> tuple[NumericPart, ...]:
        """A numeric question's parts; a single-`answer` question is one part, `answer`."""
        return self.parts or (NumericPart("answer", "", self.answer, self.unit, self.tolerance),)

    @property
    def multipart(self) -> bool:
        """A numeric question with [[part]] tables: exported and graded like a predict
        question's fields (one sub-question per part)."""
        return self.kind == "numeric" and bool(self.parts)

    @property
    def varies(self) -> bool:
        """Whether the seed changes the question (and `check` must try every seed)."""
        return self.kind == "predict" or bool(self.vary)

    def to_spec(self) -> dict:
        """A JSON-able description, stored with each version in the bank (`keep_isns` only
        when set, so the stored spec and hash of every older question stay as they were)."""
        spec = {
            "id": self.id, "kind": self.kind, "topics": list(self.topics), "difficulty": self.difficulty,
            "prompt": self.prompt, "explanation": self.explanation, "scenario": self.scenario,
            "profile": self.profile, "vary": [[k, json.loads(v)] for k, v in self.vary],
            "asks": [a.spec() for a in self.asks],
            "options": [o.__dict__ for o in self.options], "answer": self.answer,
            "items": list(self.items), "tolerance": self.tolerance, "unit": self.unit,
            # added only when set, so that older questions keep their stored spec and hash
            **({"lets": [list(kv) for kv in self.lets]} if self.lets else {}),
            **({"parts": [p.__dict__ for p in self.parts]} if self.parts else {}),
        }
        if self.keep_isns:
            spec["keep_isns"] = True
        if self.same_answers:
            spec["same_answers"] = True
        return spec

    @classmethod
    def from_spec(cls, spec: dict, *, path: str = "<bank>", line: int = 0, lesson: str = "") -> "Question":
        return cls(
            id=spec["id"], kind=spec["kind"], topics=tuple(spec["topics"]), difficulty=spec["difficulty"],
            prompt=spec["prompt"], explanation=spec["explanation"], path=path, line=line, lesson=lesson,
            scenario=spec.get("scenario"), profile=spec.get("profile"),
            vary=tuple((k, json.dumps(v)) for k, v in spec.get("vary", [])),
            asks=tuple(Ask(**a) for a in spec.get("asks", [])),
            options=tuple(Option(**o) for o in spec.get("options", [])),
            answer=spec.get("answer"), items=tuple(spec.get("items", [])),
            tolerance=spec.get("tolerance", 0.0), unit=spec.get("unit", ""),
            keep_isns=bool(spec.get("keep_isns", False)),
            same_answers=bool(spec.get("same_answers", False)),
            lets=tuple((k, v) for k, v in spec.get("lets", [])),
            parts=tuple(NumericPart(**p) for p in spec.get("parts", [])),
        )


def vary_spec(value: str) -> object:
    """A [vary] value as authored (list / dict / str), from its stored JSON."""
    return json.loads(value)


class _Checker:
    """Collects problems for one question block, each at the line of the key it concerns."""

    def __init__(self, path: str, line_of):
        self.path, self.line_of, self.problems = path, line_of, []

    def bad(self, key: str | None, message: str) -> None:  # message: a Said sentence
        self.problems.append(Problem(self.path, self.line_of(key), message))


def question_from_toml(data: dict, *, path: str, line_of, lesson: str, topics: set[str], source: str = "") -> tuple[Question | None, list[Problem]]:
    """Check a question block's TOML table; `line_of(key)` gives the file line of a key."""
    c = _Checker(path, line_of)
    qid = data.get("id")
    if not isinstance(qid, str) or not ID_RE.match(qid):
        c.bad("id", Said(N_("question id must be lowercase letters, digits and dashes; got {qid!r}"), qid=qid))
        qid = "?"
    kind = data.get("kind")
    if kind not in KINDS:
        c.bad("kind", Said(N_("question {qid}: unknown kind {kind!r}; expected one of {kinds}"), qid=qid, kind=kind,
                           kinds=", ".join(KINDS)))
        return None, c.problems
    for key in sorted(set(data) - COMMON_KEYS - KIND_KEYS[kind]):
        allowed = ", ".join(sorted(COMMON_KEYS | KIND_KEYS[kind]))
        c.bad(key, Said(N_("question {qid}: unknown field {key!r} for kind {kind}; expected one of {allowed}"),
                        qid=qid, key=key, kind=kind, allowed=allowed))
    q_topics = data.get("topics")
    if not isinstance(q_topics, list) or not q_topics or not all(isinstance(t, str) for t in q_topics):
        c.bad("topics", Said(N_("question {qid}: topics must be a non-empty list of topic ids"), qid=qid))
        q_topics = []
    for t in q_topics:
        if t not in topics:
            c.bad("topics", Said(N_("question {qid}: unknown topic {topic!r}; known topics: {known}"), qid=qid, topic=t,
                                 known=", ".join(sorted(topics))))
    difficulty = data.get("difficulty", 1)
    if isinstance(difficulty, bool) or not isinstance(difficulty, int) or difficulty not in (1, 2, 3):
        c.bad("difficulty", Said(N_("question {qid}: difficulty must be 1, 2 or 3; got {difficulty!r}"), qid=qid,
                                 difficulty=difficulty))
    for key in ("prompt", "explanation"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            c.bad(key if key in data else "id", Said(N_("question {qid}: {key} is missing or empty"), qid=qid, key=key))
    scenario = data.get("scenario")
    if scenario is not None and not isinstance(scenario, str):
        c.bad("scenario", Said(N_("question {qid}: scenario must be a name or an inline TOML string"), qid=qid))
    profile = data.get("profile")
    if profile is not None and profile not in ("rfc9293", "linux"):
        c.bad("profile", Said(N_("question {qid}: profile must be rfc9293 or linux; got {profile!r}"), qid=qid,
                              profile=profile))

    extra: dict = {}
    if kind == "predict":
        extra = _check_predict(c, qid, data)
    elif kind in ("single", "multiple"):
        extra = _check_choice(c, qid, kind, data)
    elif kind == "truefalse":
        if not isinstance(data.get("answer"), bool):
            c.bad("answer" if "answer" in data else "kind",
                  Said(N_("question {qid}: a truefalse question needs answer = true or false"), qid=qid))
        extra = {"answer": data.get("answer")}
    elif kind == "ordering":
        items = data.get("items")
        if not isinstance(items, list) or len(items) < 3 or not all(isinstance(i, str) for i in items) or len(set(items)) != len(items):
            c.bad("items" if "items" in data else "kind", Said(N_(
                "question {qid}: an ordering question needs items: at least 3 distinct strings, in the correct order"),
                qid=qid))
            items = []
        elif len(items) > MAX_CHOICES:
            c.bad("items", Said(N_("question {qid}: {n} items; at most {most}, one letter each (A to Z)"), qid=qid,
                                n=len(items), most=MAX_CHOICES))
            items = []
        extra = {"items": tuple(items)}
    elif kind == "numeric":
        extra = _check_numeric(c, qid, data, source)
    if "same_answers" in data:
        same = data["same_answers"]
        if not isinstance(same, bool):
            c.bad("same_answers", Said(N_("question {qid}: same_answers must be true or false; got {same!r}"), qid=qid,
                                       same=same))
        elif same and not data.get("vary"):
            c.bad("same_answers", Said(N_("question {qid}: same_answers is about [vary]; this question has none"), qid=qid))
        else:
            extra["same_answers"] = same
    if c.problems:
        return None, c.problems
    q = Question(
        id=qid, kind=kind, topics=tuple(q_topics), difficulty=difficulty, prompt=data["prompt"].strip(),
        explanation=data["explanation"].strip(), path=path, line=line_of("id"), lesson=lesson,
        scenario=scenario, profile=profile, source=source, **extra,
    )
    return q, []


def _check_predict(c: _Checker, qid: str, data: dict) -> dict:
    if not isinstance(data.get("scenario"), str):
        c.bad("kind", Said(N_("question {qid}: a predict question needs a scenario (a name or inline TOML)"), qid=qid))
    vary = data.get("vary", {})
    if not isinstance(vary, dict):
        c.bad("vary", Said(N_("question {qid}: vary must be a table"), qid=qid))
        vary = {}
    for name, spec in vary.items():
        problem = _vary_problem(spec)
        if problem:
            c.bad(name, Said(N_("question {qid}: vary.{name}: {problem}"), qid=qid, name=name, problem=problem))
    asks_raw = data.get("ask")
    asks: list[Ask] = []
    if not isinstance(asks_raw, list) or not asks_raw:
        c.bad("kind", Said(N_("question {qid}: a predict question needs at least one [[ask]]"), qid=qid))
        asks_raw = []
    seen = set()
    for i, raw in enumerate(asks_raw, 1):
        where = Said(N_("question {qid}, ask {i}"), qid=qid, i=i)
        if not isinstance(raw, dict):
            c.bad("ask", Said(N_("{where}: must be a table"), where=where))
            continue
        for key in sorted(set(raw) - ASK_KEYS):
            c.bad(key, Said(N_("{where}: unknown field {key!r}; expected one of {allowed}"), where=where, key=key,
                            allowed=", ".join(sorted(ASK_KEYS))))
        fname, what = raw.get("field"), raw.get("what")
        if not isinstance(fname, str) or not FIELD_RE.match(fname):
            c.bad("field", Said(N_("{where}: field must be a name of [a-z0-9_]; got {field!r}"), where=where, field=fname))
            continue
        if fname in seen:
            c.bad("field", Said(N_("{where}: field {field!r} is asked twice"), where=where, field=fname))
        seen.add(fname)
        if what not in WHATS:
            c.bad("what", Said(N_("{where}: unknown what {what!r}; expected one of {whats}"), where=where, what=what,
                               whats=", ".join(WHATS)))
            continue
        segment = raw.get("segment")
        if what in TCB_WHATS:
            ask = _check_tcb_ask(c, where, fname, what, raw)
            if ask is not None:
                asks.append(ask)
            continue
        for key in ("unit", "round"):
            if key in raw:
                c.bad(key, Said(N_("{where}: {key} is for the TCB whats ({whats}), not what = {what!r}"), where=where,
                                key=key, whats=", ".join(TCB_WHATS), what=what))
        if what in SEGMENT_WHATS:
            if not isinstance(segment, str):
                c.bad("what", Said(N_("{where}: what = {what!r} needs a segment selector"), where=where, what=what))
                continue
            try:
                parse_selector(segment)
            except ValueError as err:
                c.bad("segment", Said(N_("{where}: segment {segment!r}: {err}"), where=where, segment=segment, err=reason(err)))
                continue
        endpoint = raw.get("endpoint")
        if what in ("state", "states", "timeout") and endpoint not in ENDPOINTS:
            c.bad("endpoint" if "endpoint" in raw else "what",
                  Said(N_("{where}: what = {what!r} needs endpoint = \"client\" or \"server\""), where=where, what=what))
            continue
        at = raw.get("at")
        if what == "state":
            if not isinstance(at, str):
                c.bad("what", Said(N_("{where}: what = \"state\" needs at = a segment selector or \"end\""), where=where))
                continue
            if at != "end":
                try:
                    parse_selector(at)
                except ValueError as err:
                    c.bad("at", Said(N_("{where}: at {at!r}: {err}"), where=where, at=at, err=reason(err)))
                    continue
        timer = raw.get("timer")
        if what == "timeout" and timer not in TIMER_KINDS:
            c.bad("timer" if "timer" in raw else "what", Said(N_("{where}: what = \"timeout\" needs timer = one of {timers}"),
                                                              where=where, timers=", ".join(TIMER_KINDS)))
            continue
        nth = raw.get("nth", 1)
        if not isinstance(nth, int) or isinstance(nth, bool) or nth == 0:
            c.bad("nth", Said(N_("{where}: nth must be a whole number other than 0"), where=where))
            continue
        asks.append(Ask(fname, what, segment, endpoint, at, timer, nth, str(raw.get("label", ""))))
    keep = data.get("keep_isns", False)
    if not isinstance(keep, bool):
        c.bad("keep_isns", Said(N_("question {qid}: keep_isns must be true or false; got {keep!r}"), qid=qid, keep=keep))
        keep = False
    if keep:
        if not isinstance(data.get("scenario"), str) or "\n" in data["scenario"]:
            c.bad("keep_isns", Said(N_("question {qid}: keep_isns is for a named scenario (an inline one keeps "
                                       "the isn it writes; leave isn out to vary it)"), qid=qid))
        for name in ("client_isn", "server_isn"):
            if name in vary:
                c.bad(name, Said(N_("question {qid}: vary.{name} and keep_isns = true contradict each other"),
                                 qid=qid, name=name))
    frozen = tuple((k, json.dumps(v)) for k, v in vary.items())
    lets = _check_lets(c, qid, data, [k for k in vary if NAME_RE.match(k)])
    return {"vary": frozen, "asks": tuple(asks), "keep_isns": keep, "lets": tuple(lets)}


def _line_finder(c: _Checker, source: str):
    """line_of(key, n): the file line of `key =` after the n-th `[[part]]` (key "" : that
    [[part]] line itself), so that a problem in part 3 is reported at part 3."""
    lines = source.splitlines()
    first = c.line_of(None)

    def line_of(snippet: str, after_part: int = 0) -> int:
        seen = 0
        for i, text in enumerate(lines):
            if text.strip().startswith("[[part]]"):
                seen += 1
                if seen == after_part and not snippet:
                    return first + i
            if seen >= after_part and snippet and re.match(rf"\s*{re.escape(snippet)}\s*=", text):
                return first + i
        return first

    return line_of


def _check_lets(c: _Checker, qid: str, data: dict, names: list[str]) -> list[tuple[str, str]]:
    """[let]: name = "expression" over the vary names and the lets before it (appended to
    `names` as they are checked), for answers and for {placeholders} in the text."""
    lets_raw = data.get("let", {})
    lets: list[tuple[str, str]] = []
    if not isinstance(lets_raw, dict):
        c.bad("let", Said(N_("question {qid}: let must be a table of name = \"expression\""), qid=qid))
        lets_raw = {}
    for name, text in lets_raw.items():
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            text = repr(text)
        if not NAME_RE.match(name) or name in FUNCTIONS or name in names:
            c.bad(name, Said(N_("question {qid}: let.{name}: a new name of [a-z_][a-z0-9_]* (not a vary name or a function)"),
                             qid=qid, name=name))
            continue
        if not isinstance(text, str):
            c.bad(name, Said(N_("question {qid}: let.{name}: must be an expression string"), qid=qid, name=name))
            continue
        try:
            compile_expr(text, names)
        except ExprError as err:
            c.bad(name, Said(N_("question {qid}: let.{name}: {err}"), qid=qid, name=name, err=reason(err)))
        lets.append((name, text))
        names.append(name)
    return lets


def _check_numeric(c: _Checker, qid: str, data: dict, source: str) -> dict:
    """answer (a number or an expression) + tolerance + unit, or [[part]] tables; [vary]
    draws the parameters, [let] names values computed from them in order."""
    find = _line_finder(c, source)
    vary = data.get("vary", {})
    if not isinstance(vary, dict):
        c.bad("vary", Said(N_("question {qid}: vary must be a table"), qid=qid))
        vary = {}
    names: list[str] = []
    for name, spec in vary.items():
        problem = _vary_problem(spec)
        if not NAME_RE.match(name) or name in FUNCTIONS:
            problem = Said(N_("a name an expression can use: [a-z_][a-z0-9_]*, not a function ({functions})"),
                           functions=", ".join(FUNCTIONS))
        elif spec in ("isn", "isn-wrap"):
            problem = Said(N_("a numeric question varies numbers: [lo, hi] or { choice = [...] }"))
        elif isinstance(spec, dict) and not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                for v in spec["choice"]):
            problem = Said(N_("choice values of a numeric question must be numbers"))
        if problem:
            c.bad(name, Said(N_("question {qid}: vary.{name}: {problem}"), qid=qid, name=name, problem=problem))
        names.append(name)
    lets = _check_lets(c, qid, data, names)
    extra: dict = {"vary": tuple((k, json.dumps(v)) for k, v in vary.items()), "lets": tuple(lets)}
    raw_parts = data.get("part")
    if raw_parts is not None:
        for key in ("answer", "tolerance", "unit"):
            if key in data:
                c.bad(key, Said(N_("question {qid}: {key} belongs in each [[part]] when the question has parts"),
                                qid=qid, key=key))
        if not isinstance(raw_parts, list) or not raw_parts:
            c.bad("part", Said(N_("question {qid}: [[part]] must be one or more tables"), qid=qid))
            return extra
        parts, seen = [], set()
        for i, raw in enumerate(raw_parts, 1):
            where = Said(N_("question {qid}, part {i}"), qid=qid, i=i)
            line = find("", i)
            if not isinstance(raw, dict):
                c.problems.append(Problem(c.path, line, Said(N_("{where}: must be a table"), where=where)))
                continue
            for key in sorted(set(raw) - PART_KEYS):
                c.problems.append(Problem(c.path, find(key, i), Said(N_("{where}: unknown field {key!r}; expected one of {allowed}"),
                                                                     where=where, key=key, allowed=", ".join(sorted(PART_KEYS)))))
            fname = raw.get("field")
            if not isinstance(fname, str) or not FIELD_RE.match(fname):
                c.problems.append(Problem(c.path, line, Said(N_("{where}: field must be a name of [a-z0-9_]; got {field!r}"),
                                                             where=where, field=fname)))
                continue
            if fname in seen:
                c.problems.append(Problem(c.path, find("field", i), Said(N_("{where}: field {field!r} is used twice"),
                                                                         where=where, field=fname)))
            seen.add(fname)
            label = raw.get("label", "")
            if not isinstance(label, str):
                c.problems.append(Problem(c.path, find("label", i), Said(N_("{where}: label must be a string"), where=where)))
                label = ""
            problems_before = len(c.problems)
            answer, tol, unit = _check_answer(c, where, raw, names, lambda key, i=i: find(key, i))
            if len(c.problems) == problems_before:
                parts.append(NumericPart(fname, label, answer, unit, tol))
        extra["parts"] = tuple(parts)
        return extra
    answer, tol, unit = _check_answer(c, Said(N_("question {qid}"), qid=qid), data, names, lambda key: c.line_of(key))
    extra.update(answer=answer, tolerance=tol, unit=unit)
    return extra


def _check_answer(c: _Checker, where: Said, raw: dict, names: list[str], line_of) -> tuple[object, object, str]:
    answer = raw.get("answer")
    if isinstance(answer, str):
        try:
            compile_expr(answer, names)
        except ExprError as err:
            c.problems.append(Problem(c.path, line_of("answer"), Said(N_("{where}: answer: {err}"), where=where, err=reason(err))))
    elif isinstance(answer, bool) or not isinstance(answer, (int, float)):
        c.problems.append(Problem(c.path, line_of("answer" if "answer" in raw else None),
                                  Said(N_("{where}: a numeric question needs answer = a number or an expression string"),
                                       where=where)))
    elif not math.isfinite(answer):  # nan and inf are TOML floats; JSON has no such numbers
        c.problems.append(Problem(c.path, line_of("answer"), Said(N_("{where}: answer must be a finite number; got {answer}"),
                                                                  where=where, answer=answer)))
    tol = raw.get("tolerance", 0)
    if isinstance(tol, str):
        if not TOLERANCE_RE.match(tol):
            c.problems.append(Problem(c.path, line_of("tolerance"), Said(N_(
                "{where}: tolerance must be a finite number >= 0 or a percentage like \"1%\"; got {tolerance!r}"),
                where=where, tolerance=tol)))
        tol = tol.strip()
    elif isinstance(tol, bool) or not isinstance(tol, (int, float)) or not math.isfinite(tol) or tol < 0:
        c.problems.append(Problem(c.path, line_of("tolerance"), Said(N_("{where}: tolerance must be a finite number >= 0; got {tolerance!r}"),
                                                                     where=where, tolerance=tol)))
        tol = 0
    else:
        tol = float(tol)
    unit = raw.get("unit", "")
    if not isinstance(unit, str):
        c.problems.append(Problem(c.path, line_of("unit"), Said(N_("{where}: unit must be a string"), where=where)))
        unit = ""
    return answer, tol, unit


def _check_tcb_ask(c: "_Checker", where: Said, fname: str, what: str, raw: dict) -> Ask | None:
    """A TCB what names its moment one way: `segment` (the sender's TCB just after the event
    that sent it), `endpoint` + `at` (the endpoint's TCB after it handled that segment), or
    `endpoint` + `round` (its TCB at the end of that transmission round)."""
    segment, endpoint, at, rnd = raw.get("segment"), raw.get("endpoint"), raw.get("at"), raw.get("round")
    ways = [k for k, v in (("segment", segment), ("at", at), ("round", rnd)) if v is not None]
    if len(ways) != 1:
        c.bad(ways[1] if len(ways) > 1 else "what",
              Said(N_("{where}: what = {what!r} needs one of segment = SELECTOR, endpoint + at = SELECTOR, "
                      "or endpoint + round = N"), where=where, what=what))
        return None
    for key, text in (("segment", segment), ("at", at)):
        if text is None:
            continue
        if not isinstance(text, str):
            c.bad(key, Said(N_("{where}: {key} must be a segment selector"), where=where, key=key))
            return None
        try:
            parse_selector(text)
        except ValueError as err:
            c.bad(key, Said(N_("{where}: {key} {text!r}: {err}"), where=where, key=key, text=text, err=reason(err)))
            return None
    if rnd is not None and (not isinstance(rnd, int) or isinstance(rnd, bool) or rnd < 1):
        c.bad("round", Said(N_("{where}: round must be a whole number from 1"), where=where))
        return None
    if segment is None and endpoint not in ENDPOINTS:
        c.bad("endpoint" if "endpoint" in raw else "what",
              Said(N_("{where}: what = {what!r} with {way} needs endpoint = \"client\" or \"server\""), where=where,
                   what=what, way=ways[0]))
        return None
    unit = raw.get("unit", "")
    if unit and (what not in TCB_SIZE_WHATS or unit not in SIZE_UNITS):
        allowed = Said(N_("one of {units}"), units=", ".join(SIZE_UNITS)) if what in TCB_SIZE_WHATS \
            else Said(N_("not given: times are in seconds"))
        c.bad("unit", Said(N_("{where}: unit for what = {what!r} is {allowed}; got {unit!r}"), where=where, what=what,
                           allowed=allowed, unit=unit))
        return None
    return Ask(fname, what, segment, endpoint, at, None, 1, str(raw.get("label", "")), unit, rnd)


def _vary_problem(spec) -> Said | None:
    if spec in ("isn", "isn-wrap"):
        return None
    if isinstance(spec, list):
        if len(spec) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in spec) and spec[0] <= spec[1]:
            return None
        return Said(N_("a range must be [lo, hi], two whole numbers with lo <= hi"))
    if isinstance(spec, dict):
        if set(spec) == {"choice"} and isinstance(spec["choice"], list) and spec["choice"]:
            if any(isinstance(v, float) and not math.isfinite(v) for v in spec["choice"]):
                return Said(N_("choice values must be finite numbers (no nan or inf)"))
            return None
        return Said(N_("expected { choice = [values...] }"))
    return Said(N_('expected "isn", "isn-wrap", [lo, hi] or { choice = [...] }'))


def _check_choice(c: _Checker, qid: str, kind: str, data: dict) -> dict:
    raw = data.get("options")
    if not isinstance(raw, list) or len(raw) < 2:
        c.bad("options" if "options" in data else "kind",
              Said(N_("question {qid}: a {kind} question needs at least two [[options]]"), qid=qid, kind=kind))
        return {}
    if len(raw) > MAX_CHOICES:
        c.bad("options", Said(N_("question {qid}: {n} options; at most {most}, one letter each (A to Z)"), qid=qid,
                              n=len(raw), most=MAX_CHOICES))
        return {}
    options = []
    for i, o in enumerate(raw, 1):
        if not isinstance(o, dict) or not isinstance(o.get("text"), str) or not isinstance(o.get("correct"), bool):
            c.bad("options", Said(N_("question {qid}, option {i}: needs text (string) and correct (true/false)"), qid=qid, i=i))
            continue
        if not isinstance(o.get("feedback"), str) or not o["feedback"].strip():
            c.bad("options", Said(N_("question {qid}, option {i}: needs feedback"), qid=qid, i=i))
            continue
        unknown = set(o) - {"text", "correct", "feedback"}
        if unknown:
            c.bad("options", Said(N_("question {qid}, option {i}: unknown field {key!r}"), qid=qid, i=i,
                                  key=sorted(unknown)[0]))
        options.append(Option(o["text"], o["correct"], o["feedback"]))
    correct = sum(o.correct for o in options)
    if kind == "single" and correct != 1:
        c.bad("options", Said(N_("question {qid}: a single-choice question needs exactly one correct option; it has {n}"),
                              qid=qid, n=correct))
    if kind == "multiple" and correct < 1:
        c.bad("options", Said(N_("question {qid}: a multiple-choice question needs at least one correct option"), qid=qid))
    return {"options": tuple(options)}
