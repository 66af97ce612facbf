"""A question's variant: parameters drawn from a seed, its scenario, its trace, its answers.

Pure: the caller passes the texts of the named scenarios. The same question and seed give
the same variant on every machine (the seed is hashed with the question id).
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
import re
from collections.abc import Mapping
from functools import lru_cache
from dataclasses import dataclass
from string import Template

from ..errors import TcptutorError
from ..i18n import _
from ..tcp import limits
from ..tcp.params import Scenario
from ..tcp.scenario import parse_scenario
from ..tcp.simulator import simulate
from ..tcp.trace import Trace
from .expected import Expected, Unanswerable, expected_from_trace
from .expr import ExprError, compile_expr, format_number
from .model import Question, tolerance_for, vary_spec
from .selectors import parse_selector, select

SEQ_SPACE = 2**32
PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class VariantError(ValueError):
    """The question cannot produce this variant (a placeholder with no value, ...)."""


@dataclass(frozen=True)
class Variant:
    question: Question
    seed: int
    params: dict
    prompt: str
    expected: dict[str, Expected]
    trace: Trace | None = None
    order: tuple[int, ...] = ()  # ordering questions: the order items are shown in
    explanation: str = ""  # the question's explanation with this variant's values filled in

    @property
    def answer_key(self) -> dict[str, object]:
        return {name: e.value for name, e in self.expected.items()}


def _rng(question_id: str, seed: int) -> random.Random:
    digest = hashlib.sha256(f"{question_id}/{seed}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def draw(spec, rng: random.Random):
    if spec == "isn":
        return rng.getrandbits(32)
    if spec == "isn-wrap":
        return SEQ_SPACE - rng.randint(1, 2000)
    if isinstance(spec, list):
        return rng.randint(spec[0], spec[1])
    return rng.choice(spec["choice"])


def params_for(question: Question, seed: int) -> dict:
    """client_isn and server_isn always; then every [vary] parameter, in the order written;
    then a numeric question's [let] values, computed in order (each may read those before)."""
    rng = _rng(question.id, seed)
    specs = {"client_isn": "isn", "server_isn": "isn"}
    specs.update({k: vary_spec(v) for k, v in question.vary})
    return with_lets(question, {name: draw(spec, rng) for name, spec in specs.items()})


def with_lets(question: Question, params: dict) -> dict:
    """The parameters with the question's [let] values (re)computed from them, in order."""
    params = dict(params)
    for name, text in question.lets:
        params[name] = _evaluate(text, params, f"let.{name}")
    return params


def _evaluate(text, params: dict, where: str):
    """A fixed number as it is; an expression computed from the variant's values. Results
    are rounded to 10 significant digits (0.1 + 0.2 is 0.3), whole floats become ints."""
    if not isinstance(text, str):
        return text
    try:
        value = compile_expr(text, params).evaluate(params)
    except ExprError as err:
        raise VariantError(f"{where}: {err}") from None
    if isinstance(value, float):
        value = float(f"{value:.10g}")
        if value.is_integer() and abs(value) < 2**53:
            value = int(value)
    return value


@lru_cache(maxsize=256)
def _parse_named(text: str, path: str) -> Scenario:
    """A named scenario's text is the same for every seed: parse it once (Scenario is frozen)."""
    return parse_scenario(text, path)


ISN_NAMES = ("client_isn", "server_isn")
_ISN_LINE = re.compile(r"^[ \t]*isn[ \t]*=[ \t]*\$(?:\{(client_isn|server_isn)\}|(client_isn|server_isn)\b)[ \t]*$", re.M)
_SENTINELS = ({"client_isn": 1_000_001, "server_isn": 2_000_002}, {"client_isn": 3_000_003, "server_isn": 4_000_004})


def _isns_only_as_values(text: str) -> bool:
    """Whether the template names the ISNs only as whole `isn = ${client_isn}` lines (then
    they reach the parsed scenario as an endpoint's isn and nowhere else)."""
    placeholders = [m.group("named") or m.group("braced") for m in Template.pattern.finditer(text)
                    if (m.group("named") or m.group("braced")) in ISN_NAMES]
    return len(placeholders) == len(_ISN_LINE.findall(text))


def _inline_with_isns(text: str, values: dict, rendered: str, path: str, params: dict) -> Scenario | None:
    """The inline scenario for these params without parsing its text again when only the ISNs
    differ from a variant parsed before: the text with every other value filled in is parsed
    once (with sentinel ISNs) and the drawn ISNs put into its endpoints. Every student's ISNs
    differ, so each variant parsed its text again (most of its cost for a short scenario).
    None: parse as before."""
    if len(rendered) > limits.MAX_SCENARIO_CHARS:
        return None  # parse_scenario says so, with its message
    if not all(type(params.get(k)) is int and 0 <= params[k] < SEQ_SPACE for k in ISN_NAMES):
        return None
    known = _WITHOUT_ISNS.setdefault((text, path), {})
    keyed = Template(text).substitute({**values, **{k: f"${{{k}}}" for k in ISN_NAMES}})
    if keyed not in known:
        if len(known) >= _KEYS_PER_TEMPLATE or not _isns_only_as_values(text):
            return None  # [vary] values too many to share, or the ISNs used elsewhere
        known[keyed] = _parse_without_isns(keyed, path)
    parsed = known[keyed]
    if parsed is None:
        return None
    scenario, sides = parsed
    ends = {side: dataclasses.replace(getattr(scenario, side), isn=params[name]) for side, name in sides.items()}
    return dataclasses.replace(scenario, **ends) if ends else scenario


# (template, path) -> the template with all but the ISNs filled in -> its parse (None: no shortcut)
_WITHOUT_ISNS: dict[tuple[str, str], dict[str, tuple[Scenario, dict[str, str]] | None]] = {}
_KEYS_PER_TEMPLATE = 64  # beyond it a template's [vary] values differ per student: parse each as before


def _parse_without_isns(keyed: str, path: str) -> tuple[Scenario, dict[str, str]] | None:
    """`keyed` (a scenario whose only placeholders are its `isn = ${..._isn}` lines) parsed
    with two sets of sentinel ISNs, and which endpoint takes which ISN. None when the two
    parses differ anywhere but in those endpoints' isn (or either fails): no shortcut then."""
    try:
        first, second = (parse_scenario(Template(keyed).substitute(s), path) for s in _SENTINELS)
    except (ValueError, TcptutorError):
        return None
    sides: dict[str, str] = {}
    for side in ("client", "server"):
        for name in ISN_NAMES:
            if getattr(first, side).isn == _SENTINELS[0][name] and getattr(second, side).isn == _SENTINELS[1][name]:
                sides[side] = name
    same = {side: dataclasses.replace(getattr(second, side), isn=getattr(first, side).isn) for side in sides}
    if dataclasses.replace(second, **same) != first:
        return None
    return first, sides


def is_inline(scenario: str) -> bool:
    return "steps" in scenario and "\n" in scenario


def scenario_for(question: Question, params: dict, scenarios: Mapping[str, str]) -> Scenario:
    """The question's scenario with the variant's ISNs (where the scenario leaves them open
    or names a shipped scenario, unless the question keeps that scenario's ISNs) and profile
    applied."""
    text = question.scenario or ""
    if is_inline(text):
        values = {k: str(v) for k, v in params.items()}
        try:
            rendered = Template(text).substitute(values)
        except KeyError as err:
            raise VariantError(f"scenario placeholder ${{{err.args[0]}}} has no value") from None
        except ValueError as err:
            raise VariantError(f"bad $ placeholder in the scenario: {err}") from None
        path = f"question {question.id}'s scenario"
        scenario = _inline_with_isns(text, values, rendered, path, params)
        if scenario is None:
            scenario = parse_scenario(rendered, path)
        named = False
    else:
        if text not in scenarios:
            raise VariantError(f"no scenario named {text!r}; named scenarios: {', '.join(sorted(scenarios))}")
        scenario = _parse_named(scenarios[text], f"scenarios/{text}.toml")
        named = True
    client, server = scenario.client, scenario.server
    replace = named and not question.keep_isns
    if replace or client.isn is None:
        client = dataclasses.replace(client, isn=params["client_isn"])
    if replace or server.isn is None:
        server = dataclasses.replace(server, isn=params["server_isn"])
    net = scenario.net
    if question.profile:
        net = dataclasses.replace(net, profile=question.profile)
    return dataclasses.replace(scenario, client=client, server=server, net=net)


def fill_prompt(text: str, params: dict, trace: Trace | None, *, numbers: bool = False) -> str:
    """Replace {name} with a parameter and {SELECTOR.FIELD} with a value read off the trace.
    numbers: write floats as expr.format_number does (numeric questions' computed values)."""

    def value(match: re.Match) -> str:
        key = match.group(1).strip()
        if key in params:
            return format_number(params[key]) if numbers else str(params[key])
        if trace is not None and "." in key:
            selector, _dot, field = key.rpartition(".")
            try:
                seg = select(parse_selector(selector), trace)
            except ValueError as err:
                raise VariantError(f"placeholder {{{key}}}: {err}") from None
            if seg is None:
                raise VariantError(f"placeholder {{{key}}}: no segment matches {selector!r}")
            if field not in ("seq", "ack", "len", "win", "sent_at", "arrived_at", "n"):
                raise VariantError(f"placeholder {{{key}}}: unknown field {field!r}")
            return str(seg.field(field))
        raise VariantError(f"placeholder {{{key}}} has no value")

    return PLACEHOLDER.sub(value, text)


def make_variant(question: Question, seed: int, scenarios: Mapping[str, str],
                 params: dict | None = None) -> Variant:
    """Everything a student sees and everything the grader needs, for one seed.

    `params` replaces the seed's parameters (`tcptutor check` changes one at a time to find
    a prompt that hides what the answer depends on). Raises VariantError (or ScenarioError
    for a broken scenario) when the question cannot be answered for this seed: `tcptutor
    check` reports it against the question's line.
    """
    params = params_for(question, seed) if params is None else with_lets(question, params)
    trace = None
    if question.scenario:
        try:
            trace = simulate(scenario_for(question, params, scenarios))
        except TcptutorError as err:
            raise VariantError(str(err)) from None
        if question.keep_isns:  # {client_isn} and {server_isn} show the ISNs the scenario kept
            params["client_isn"] = trace.params["client"]["isn"]
            params["server_isn"] = trace.params["server"]["isn"]
    numbers = question.kind == "numeric" or bool(question.lets)
    prompt = fill_prompt(question.prompt, params, trace, numbers=numbers)
    explanation = fill_prompt(question.explanation, params, trace, numbers=numbers)
    order: tuple[int, ...] = ()
    if question.kind == "predict":
        try:
            expected = expected_from_trace(question, trace)
        except Unanswerable as err:
            raise VariantError(str(err)) from None
    elif question.kind == "numeric":
        expected = numeric_expected(question, params)
    else:
        expected, order = _static_expected(question, seed)
    return Variant(question, seed, params, prompt, expected, trace, order, explanation)


def numeric_expected(question: Question, params: dict) -> dict[str, Expected]:
    """Each part's value for this variant, with its absolute tolerance."""
    out = {}
    for part in question.numeric_parts:
        where = "answer" if part.field == "answer" and not question.parts else f"part {part.field}: answer"
        value = _evaluate(part.answer, params, where)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise VariantError(f"{where} is not a number")
        if part.label:
            label = f"{part.label} ({part.unit})" if part.unit and part.unit not in part.label else part.label
        else:
            label = _("a number in {unit}").format(unit=part.unit) if part.unit else _("a number")
        out[part.field] = Expected(part.field, "numeric", value, label, unit=part.unit,
                                   tolerance=tolerance_for(part.tolerance, value))
    return out


def _static_expected(question: Question, seed: int) -> tuple[dict[str, Expected], tuple[int, ...]]:
    kind = question.kind
    label = {  # in the language spoken (i18n): a label is shown, never graded
        "single": _("the letter of your choice"),
        "multiple": _("the letters of every right option"),
        "truefalse": _("true or false"),
        "numeric": _("a number in {unit}").format(unit=question.unit) if question.unit else _("a number"),
        "ordering": _("the letters in the right order"),
    }[kind]
    if kind == "single":
        value = next(LETTERS[i] for i, o in enumerate(question.options) if o.correct)
    elif kind == "multiple":
        value = "".join(LETTERS[i] for i, o in enumerate(question.options) if o.correct)
    elif kind == "truefalse":
        value = bool(question.answer)
    elif kind == "numeric":
        value = question.answer
    else:  # ordering: shown shuffled, answered as the items in the right order
        order = list(range(len(question.items)))
        rng = _rng(question.id, seed)
        while order == sorted(order):
            rng.shuffle(order)
        return {"answer": Expected("answer", "order", list(question.items), label)}, tuple(order)
    return {"answer": Expected("answer", kind, value, label)}, ()
