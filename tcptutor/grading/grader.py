"""Grading one variant: a verdict per field, the misconception behind a wrong answer, error
carried forward, and feedback that says which rule gives the right answer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass

from ..i18n import _, pgettext
from ..questions.expected import Expected
from ..questions.variants import LETTERS, Variant
from . import answers as read
from .explain import show, state_name, with_value, worked_solutions
from .misconceptions import Context, diagnose

MOD = 2**32
CORRECT, WRONG, UNREADABLE, UNANSWERED = "correct", "wrong", "unreadable", "unanswered"
CARRIED_CREDIT = 0.5
TIME_TOLERANCE = 0.0005  # seconds: answers to the millisecond are exact enough
SEGMENT_TOLERANCE = 0.005  # a window in segments is asked to two decimals (3500 bytes / 1000 = 3.5)


@dataclass(frozen=True)
class FieldVerdict:
    field: str
    label: str
    verdict: str  # correct | wrong | unreadable | unanswered
    given: str
    expected: object
    misconception: str | None
    feedback: str
    solution: str
    credit: float
    carried_from: str | None = None
    parsed: object = None  # the answer as read (for storage and statistics)

    def to_json(self) -> dict:
        out = asdict(self)
        out.pop("parsed")
        return out


@dataclass(frozen=True)
class Grade:
    question: str
    seed: int
    fields: tuple[FieldVerdict, ...]

    @property
    def score(self) -> float | None:
        """Mean credit over all fields. An unreadable field earns nothing but is not wrong: it
        names no misconception, does not lower mastery, and is flagged for review. A field left
        unanswered (the session stopped first) earns nothing and counts against the score."""
        return round(sum(f.credit for f in self.fields) / len(self.fields), 4) if self.fields else None

    @property
    def readable_score(self) -> float | None:
        """Mean credit over the fields that could be read (unanswered ones included, at 0):
        what mastery is measured on."""
        counted = [f for f in self.fields if f.verdict != UNREADABLE]
        return round(sum(f.credit for f in counted) / len(counted), 4) if counted else None

    @property
    def unreadable(self) -> list[FieldVerdict]:
        return [f for f in self.fields if f.verdict == UNREADABLE]

    def to_json(self) -> dict:
        return {"question": self.question, "seed": self.seed, "score": self.score,
                "readable_score": self.readable_score, "unreadable": len(self.unreadable),
                "fields": [f.to_json() for f in self.fields]}


def _sentences(parts: list[str]) -> str:
    """Sentences one after the other: a space between them in English, none after a Chinese 。"""
    out = parts[0] if parts else ""
    for part in parts[1:]:
        out = _("{sentence} {next}").format(sentence=out, next=part)
    return out


def expected_line(value: object, solution: str, unit: str = "") -> str:
    """"Expected <value>: <why>", the value written once (see explain.with_value); a numeric
    question's unit after the value ("Expected 236 ms: ...")."""
    return _("Expected {value_and_why}").format(value_and_why=with_value(show(value) + (f' {unit}' if unit else ''), solution))


def parse_answer(expected: Expected, text: str, variant: Variant):
    """Read `text` as the kind of value `expected` is; an Unreadable says what was expected."""
    what = expected.what
    if what in ("seq", "ack", "len", "win", "count", "sport", "dport"):
        return read.read_number(text)
    if what in ("mss", "wscale"):
        return read.read_number_or_none(text)
    if what == "options":
        return read.read_option_kinds(text)
    if what == "flags":
        return read.read_flags(text)
    if what == "state":
        return read.read_state(text)
    if what == "states":
        return read.read_states(text)
    if what in ("sent_at", "arrived_at", "timeout", "srtt", "rttvar", "rto"):
        return read.read_seconds(text)
    if what in ("cwnd", "ssthresh", "rwnd", "flight"):
        return read.read_size(text, expected.unit, expected.mss)
    q = variant.question
    if what == "single":
        letters = read.read_letters(text, len(q.options))
        if isinstance(letters, str) and len(letters) != 1:
            return read.Unreadable(text, _("exactly one option letter"))
        return letters
    if what == "multiple":
        return read.read_letters(text, len(q.options))
    if what == "truefalse":
        return read.read_bool(text)
    if what == "numeric":
        return read.read_quantity(text, expected.unit)
    if what == "order":
        shown = [q.items[i] for i in variant.order]
        return read.read_order(text, shown)
    raise ValueError(f"no reader for {what!r}")


def _matches(expected: Expected, given, variant: Variant) -> bool:
    value = expected.value
    if expected.what in ("sent_at", "arrived_at", "timeout", "srtt", "rttvar", "rto"):
        return abs(given - value) <= TIME_TOLERANCE
    if expected.what in ("cwnd", "ssthresh", "rwnd", "flight"):
        return abs(given - value) <= SEGMENT_TOLERANCE
    if expected.what == "numeric":
        return abs(given - value) <= expected.tolerance + 1e-9 * max(1.0, abs(value))
    return given == value


def _choice_feedback(variant: Variant, given: str, correct: bool) -> str:
    q = variant.question
    notes = []
    for i, option in enumerate(q.options):
        letter = LETTERS[i]
        chosen = letter in given
        if chosen or (option.correct and not correct):
            prefix = _("you chose") if chosen else _("the right option")
            notes.append(_("{letter} ({who}): {feedback}").format(letter=letter, who=prefix, feedback=option.feedback))
    return _sentences(notes)


def grade(variant: Variant, answers: Mapping[str, str], *, carry_forward: bool = True,
          interrupted: bool = False, solutions: Mapping[str, str] | None = None,
          full: Callable[[], Variant] | None = None) -> Grade:
    """Grade every field of the variant. `answers` maps field name -> what the student typed.

    interrupted: the student stopped before answering every field (Ctrl-C in practice). The
    fields not reached are UNANSWERED: no credit, not a mistake, and still counted in the score,
    so one right answer out of three scores 1/3, never 1.0. Otherwise a missing answer is wrong.

    solutions and full: for a variant rebuilt from a stored key (course/keys.py), which has no
    trace: its worked solutions, and a function that simulates the variant, called only when a
    wrong answer to a predict question needs the trace to name its misconception.
    """
    asks = {a.field: a for a in variant.question.asks}
    verdicts: list[FieldVerdict] = []
    wrong_numbers: list[tuple[str, int, int]] = []  # (field, given, expected) of wrong seq/ack answers
    if solutions is None:
        solutions = worked_solutions(variant)
    for name, expected in variant.expected.items():
        solution = solutions[name]
        unit = expected.unit if expected.what == "numeric" else ""  # "Expected 236 ms"
        text = answers.get(name)
        if text is None or not str(text).strip():
            if interrupted:
                verdicts.append(FieldVerdict(name, expected.label, UNANSWERED, "", expected.value, None,
                                             _sentences([_("Not answered (the session stopped)."), expected_line(expected.value, solution, unit)]),
                                             solution, 0.0))
            else:
                verdicts.append(FieldVerdict(name, expected.label, WRONG, "", expected.value, None,
                                             _sentences([_("No answer."), expected_line(expected.value, solution, unit)]), solution, 0.0))
            continue
        text = str(text)
        given = parse_answer(expected, text, variant)
        if isinstance(given, read.Unreadable):
            verdicts.append(FieldVerdict(
                name, expected.label, UNREADABLE, text, expected.value, None,
                _("{reason}. No credit, but not counted as a mistake.").format(
                    reason=f"{str(given)[0].upper()}{str(given)[1:]}"),
                solution, 0.0))
            continue
        if _matches(expected, given, variant):
            feedback = _("Right: {solution}").format(solution=solution)
            if expected.what in ("single", "multiple"):
                feedback = _sentences([_("Right."), _choice_feedback(variant, given, True)])
            verdicts.append(FieldVerdict(name, expected.label, CORRECT, text, expected.value, None, feedback,
                                         solution, 1.0, parsed=given))
            continue
        misconception = None
        if variant.question.kind == "predict":
            traced = variant if variant.trace is not None or full is None else full()
            ctx = Context(asks.get(name), traced.expected.get(name, expected), given, traced.trace, traced.params)
            misconception = diagnose(ctx)
        carried = None
        if carry_forward and expected.what in ("seq", "ack") and isinstance(given, int):
            carried = next((f for f, g, e in wrong_numbers
                            if (given - g) % MOD == (expected.value - e) % MOD), None)
            wrong_numbers.append((name, given, expected.value))
        credit = CARRIED_CREDIT if carried else 0.0
        parts = []
        if carried:
            parts.append(_("This follows correctly from your answer to {field}, which was wrong: partial credit.").format(
                field=carried))
        if misconception:
            parts.append(misconception.explanation)  # in the active language (Misconception.explanation)
        if expected.what in ("single", "multiple"):
            parts.append(_choice_feedback(variant, given, False))
        parts.append(expected_line(expected.value, solution, unit))
        if expected.what == "states" and isinstance(given, list):
            credit = states_credit(given, list(expected.value))
            parts[-1] = _("{sentence}.").format(sentence=parts[-1].rstrip(".。"))
            parts.append(_("You gave {given}: {diff}").format(given=show(given), diff=states_diff(given, list(expected.value))))
        verdicts.append(FieldVerdict(
            name, expected.label, WRONG, text, expected.value, misconception.id if misconception else None,
            _sentences([p for p in parts if p]), solution, credit, carried, given))
    return Grade(variant.question.id, variant.seed, tuple(verdicts))


# ----------------------------------------------------------------------- state lists


def _lcs_table(given: list[str], expected: list[str]) -> list[list[int]]:
    """table[i][j]: the longest common subsequence of given[i:] and expected[j:]."""
    table = [[0] * (len(expected) + 1) for _ in range(len(given) + 1)]
    for i in range(len(given) - 1, -1, -1):
        for j in range(len(expected) - 1, -1, -1):
            table[i][j] = (table[i + 1][j + 1] + 1 if given[i] == expected[j]
                           else max(table[i + 1][j], table[i][j + 1]))
    return table


def states_credit(given: list[str], expected: list[str]) -> float:
    """Partial credit for a list of states: the states given in the right order (the longest
    common subsequence of the two lists) divided by the length of the longer list.

    A teacher can say it in one sentence: "you had 6 of the 7 states in order", and both a
    missing state and an extra one cost a share. The exact list earns 1; a right suffix
    (the first CLOSED left out) earns (n-1)/n; nothing in common earns 0.
    """
    if not given or not expected:
        return 0.0
    common = _lcs_table(given, expected)[0][0]
    return round(common / max(len(given), len(expected)), 4)


def states_diff(given: list[str], expected: list[str]) -> str:
    """Which states are missing, extra or wrong, aligned on the longest common subsequence
    (a state given where another belongs, with the rest aligned, is "wrong")."""
    table = _lcs_table(given, expected)
    missing: list[str] = []
    extra: list[str] = []
    wrong: list[str] = []
    i = j = 0
    while i < len(given) or j < len(expected):
        if i < len(given) and j < len(expected):
            if given[i] == expected[j]:
                i, j = i + 1, j + 1
                continue
            if table[i + 1][j + 1] == table[i][j]:
                wrong.append(_("{given} instead of {expected}").format(given=state_name(given[i]),
                                                                       expected=state_name(expected[j])))
                i, j = i + 1, j + 1
                continue
        if j < len(expected) and (i == len(given) or table[i][j + 1] >= table[i + 1][j]):
            missing.append(state_name(expected[j]))
            j += 1
        else:
            extra.append(state_name(given[i]))
            i += 1
    comma = pgettext("list", ", ")
    notes = [_("{common} of the {total} states in the right order").format(common=table[0][0], total=len(expected))]
    if wrong:
        notes.append(_("wrong: {states}").format(states=comma.join(wrong)))
    if missing:
        notes.append(_("missing: {states}").format(states=comma.join(missing)))
    if extra:
        notes.append(_("not passed through here: {states}").format(states=comma.join(extra)))
    return _("{sentence}.").format(sentence=pgettext("list", "; ").join(notes))
