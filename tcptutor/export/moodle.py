"""Moodle XML: a category per lesson, Cloze for simulator-backed questions, native types for the rest.

Every predict variant becomes one Cloze (multianswer) question with a sub-question per field:
NUMERICAL for numbers, MULTICHOICE for flags and a single state, SHORTANSWER for a list of
states. Wrong values a classic misconception produces get that misconception's explanation
as their feedback: the wrong values are found by running the grader's own misconception
detectors (tcptutor.grading.misconceptions) over candidate answers, so Moodle says exactly
what `tcptutor quiz grade` would say.

This module also holds the format-neutral view of a variant (`parts`, `variant_name`, ...)
that the GIFT, QTI and Anki writers share, so a question's numbers and feedback are the same
in every format.

Cloze escaping follows Moodle's own reader (qtype_multianswer_extract_question): it splits a
sub-question on unescaped ~ # }, then html-decodes each answer and feedback once and turns
only `\\}` and `\\#` back into `}` and `#` (a backslash before ~, / or " would be shown
literally). So inside a sub-question the characters } # ~ / " \\ (and & < >) are written as
numeric character references, which cannot end an answer or a feedback early and which that
one decode turns back into the text; feedback is HTML-escaped first, since Moodle stores it
as HTML.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from ..grading.answers import STATES
from ..grading.explain import STATE_MEANING, explain
from ..grading.misconceptions import Context, basis, diagnose
from ..questions.expected import Expected
from ..questions.variants import Variant
from ..render.ladder import render_ladder
from . import ExportItem, ExportSet, register

MOD = 2**32
NUMBER_WHATS = ("seq", "ack", "len", "win", "count", "sent_at", "arrived_at", "timeout")
FLAG_CHOICES = ("SYN", "SYN+ACK", "ACK", "ACK+FIN", "FIN", "RST", "ACK+RST")
ROOT_CATEGORY = "$course$/tcptutor"
# Moodle accepts only these grades (question_bank::fraction_options_full), written as it exports them.
_SPLIT_FRACTIONS = {1: "100", 2: "50", 3: "33.33333", 4: "25", 5: "20", 6: "16.66667", 7: "14.28571",
                    8: "12.5", 9: "11.11111", 10: "10"}


# ---------------------------------------------------------------- the format-neutral view


@dataclass(frozen=True)
class Wrong:
    """A wrong answer worth a specific feedback (a misconception, or what a choice means)."""

    value: object
    feedback: str
    misconception: str | None = None


@dataclass(frozen=True)
class Part:
    """One answer field of a variant, the way an LMS asks for it.

    style: "number" (value is int or float), "choice" (pick one of `choices`), or "text"
    (type one of `accepted`; the first is the canonical spelling).
    """

    field: str
    label: str
    style: str
    value: object
    shown: str
    solution: str
    choices: tuple[str, ...] = ()
    accepted: tuple[str, ...] = ()
    wrong: tuple[Wrong, ...] = ()
    tolerance: float = 0.0


def variant_name(question_id: str, index: int) -> str:
    """'hs-synack-numbers v1': variant k (0-based, seed S+k) of the set is numbered k+1."""
    return f"{question_id} v{index + 1}"


def variant_ident(question_id: str, index: int) -> str:
    return f"{question_id}-v{index + 1}"


def number_text(value) -> str:
    """A number as LMS parsers read it: no exponent, no trailing .0."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, int):
        return str(value)
    value = float(value)
    if value.is_integer():
        return str(int(value))
    text = repr(value)
    if "e" in text or "E" in text:
        text = f"{value:.12f}".rstrip("0").rstrip(".")
    return text


def states_text(states) -> str:
    return " → ".join(states)


def misconception_feedback(m) -> str:
    return f"{m.title}: {m.explanation}"


def _ask(variant: Variant, name: str):
    return next((a for a in variant.question.asks if a.field == name), None)


def _seg_len(seg: dict) -> int:
    return seg["len"] + ("SYN" in seg["flags"]) + ("FIN" in seg["flags"])


def _number_candidates(e: Expected, trace: dict | None, params: dict, ctx: Context) -> list:
    """Wrong numbers a student plausibly writes: the classic slips around the right value."""
    v = e.value
    if e.what in ("seq", "ack") and isinstance(v, int):
        seg = e.segment or {}
        out = [v - 1, v + 1, v - 2, v + 2, 1]
        if seg:
            out += [seg.get("ack"), seg.get("seq"), (seg.get("seq") or 0) + 1]
        prev = basis(ctx)
        if prev is not None:
            out += [prev["seq"], prev["seq"] + 1, v - prev["len"]]
            if prev["seq"] + _seg_len(prev) >= MOD:
                out.append(prev["seq"] + _seg_len(prev))  # the sum without wrapping
        isns = [(trace or {}).get("params", {}).get(side, {}).get("isn") for side in ("client", "server")]
        isns += [params.get("client_isn"), params.get("server_isn")]
        out += [(v - isn) % MOD for isn in isns if isinstance(isn, int)]
        return [c for c in out if isinstance(c, int) and 0 <= c and (c < MOD or c % MOD == v)]
    if e.what == "count" and isinstance(v, int):
        return list(range(0, max(2 * v, v + 16) + 1))
    if e.what == "timeout" and isinstance(v, (int, float)):
        out = [v / 2, v * 2, 60.0, 120.0, 240.0, 1.0]
        ask = ctx.ask
        if trace is not None and ask is not None:
            out += [ev["timer"]["timeout"] for ev in trace["events"]
                    if ev["endpoint"] == ask.endpoint and ev.get("timer", {}).get("kind") == ask.timer]
        return [float(c) for c in out]
    return []


def _states_candidates(states: list[str]) -> list[list[str]]:
    out = []
    if "SYN-SENT" in states and "SYN-RECEIVED" not in states:
        i = states.index("SYN-SENT") + 1
        out.append(states[:i] + ["SYN-RECEIVED"] + states[i:])
    if "SYN-RECEIVED" in states and "SYN-SENT" not in states:
        i = states.index("SYN-RECEIVED")
        out.append(states[:i] + ["SYN-SENT"] + states[i:])
    return out


def misconception_answers(variant: Variant, name: str) -> list[Wrong]:
    """Wrong answers to field `name` that a catalogued misconception produces, one per
    misconception, each with that misconception's explanation (found by the grader's own
    detectors, tried on candidate answers)."""
    e = variant.expected[name]
    ask = _ask(variant, name)
    probe = Context(ask, e, None, variant.trace, variant.params)
    if e.what in NUMBER_WHATS:
        candidates = _number_candidates(e, variant.trace, variant.params, probe)
    elif e.what == "state":
        candidates = [s for s in STATES if s != e.value]
    elif e.what == "flags":
        candidates = [f for f in FLAG_CHOICES if f != e.value]
    elif e.what == "states":
        candidates = _states_candidates(list(e.value))
    else:
        candidates = []
    found: list[Wrong] = []
    seen_ids: set[str] = set()
    seen_values: list = []
    for given in candidates:
        if given == e.value or given in seen_values:
            continue
        m = diagnose(Context(ask, e, given, variant.trace, variant.params))
        if m is not None and m.id not in seen_ids:
            seen_ids.add(m.id)
            seen_values.append(given)
            found.append(Wrong(given, misconception_feedback(m), m.id))
    return found


def _flag_spellings(value: str) -> tuple[str, ...]:
    """SYN+ACK first, then the other orders and SYN,ACK: the spellings graders accept."""
    from itertools import permutations

    flags = value.split("+")
    out = [value]
    for perm in permutations(flags):
        for sep in ("+", ","):
            text = sep.join(perm)
            if text not in out:
                out.append(text)
    return tuple(out)


def _state_spellings(value: str) -> tuple[str, ...]:
    out = [value]
    for text in (value.replace("-", "_"), value.replace("-", " ")):
        if text not in out:
            out.append(text)
    return tuple(out)


def _states_spellings(states: list[str]) -> tuple[str, ...]:
    out = []
    for sep in (" → ", ", ", ","):
        text = sep.join(states)
        if text not in out:
            out.append(text)
    return tuple(out)


def parts(variant: Variant) -> list[Part]:
    """The fields of a predict variant, each with its answer, worked solution and the wrong
    answers that deserve a specific feedback."""
    out = []
    for name, e in variant.expected.items():
        solution = explain(e, variant.trace)
        wrong = misconception_answers(variant, name)
        if e.what in NUMBER_WHATS:
            out.append(Part(name, e.label, "number", e.value, number_text(e.value), solution, wrong=tuple(wrong)))
        elif e.what == "state":
            choices = tuple(STATES) if e.value in STATES else (*STATES, str(e.value))
            by_value = {w.value: w for w in wrong}
            feedback = tuple(by_value.get(c) or Wrong(c, f"{c}: {STATE_MEANING.get(c, 'not the state here')}.")
                             for c in choices if c != e.value)
            out.append(Part(name, e.label, "choice", e.value, str(e.value), solution, choices=choices,
                            accepted=_state_spellings(str(e.value)), wrong=feedback))
        elif e.what == "flags":
            choices = FLAG_CHOICES if e.value in FLAG_CHOICES else (*FLAG_CHOICES, str(e.value))
            by_value = {w.value: w for w in wrong}
            feedback = tuple(by_value.get(c) or Wrong(c, f"{c} is not the set of flags this segment carries.")
                             for c in choices if c != e.value)
            out.append(Part(name, e.label, "choice", e.value, str(e.value), solution, choices=choices,
                            accepted=_flag_spellings(str(e.value)), wrong=feedback))
        elif e.what == "states":
            shown = states_text(e.value)
            wrong_text = tuple(Wrong(states_text(w.value), w.feedback, w.misconception) for w in wrong)
            out.append(Part(name, e.label, "text", list(e.value), shown, solution,
                            accepted=_states_spellings(list(e.value)), wrong=wrong_text))
        else:  # not asked by the shipped bank; offered as free text
            out.append(Part(name, e.label, "text", e.value, str(e.value), solution, accepted=(str(e.value),)))
    return out


def choice_fraction(count: int) -> str:
    """Moodle's grade for each of `count` right options (must be one of its fixed grades)."""
    return _SPLIT_FRACTIONS.get(count, f"{100 / count:.5f}")


# ---------------------------------------------------------------- text helpers

_CODE = re.compile(r"`([^`\n]+)`")
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def text_html(text: str) -> str:
    """Plain question text (hard-wrapped, `code` in backticks) as HTML paragraphs."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    out = []
    for p in paragraphs:
        escaped = html.escape(" ".join(p.split()), quote=False)
        out.append("<p>" + _CODE.sub(r"<code>\1</code>", escaped) + "</p>")
    return "".join(out)


def ladder_html(variant: Variant) -> str:
    if variant.trace is None:
        return ""
    marked = {e.segment["n"] for e in variant.expected.values() if e.segment}
    text = render_ladder(variant.trace, width=80, highlight=marked)
    return '<pre style="font-family: monospace; line-height: 1.2">' + html.escape(text, quote=False) + "</pre>"


def lesson_title(selection: ExportSet, item: ExportItem) -> str:
    return selection.lessons.get(item.lesson) or item.lesson or "Unfiled"


def category_path(*names: str) -> str:
    """$course$/tcptutor/<names...>; a '/' inside a name is doubled, as Moodle expects."""
    return "/".join([ROOT_CATEGORY, *(n.replace("/", "//") for n in names)])


def solution_html(variant: Variant) -> str:
    """Worked answers per field, the explanation and the ladder: Moodle's general feedback."""
    q = variant.question
    out = []
    if q.kind == "predict":
        items = "".join(f"<li><b>{html.escape(p.field, quote=False)}</b> = {html.escape(p.shown, quote=False)}: {html.escape(p.solution, quote=False)}</li>"
                        for p in parts(variant))
        out.append(f"<ul>{items}</ul>")
    out.append(text_html(variant.explanation))
    out.append(ladder_html(variant))
    return "".join(out)


# ---------------------------------------------------------------- Cloze

_CLOZE_SPECIAL = '}{#~/"\\&<>'


def cloze_escape(text: str) -> str:
    """Text inside a Cloze sub-question (an answer or a feedback): } { # ~ / " \\ and the HTML
    specials & < > as numeric character references. Moodle decodes them after it has split
    the sub-question, so none can end an answer or a feedback early; and a reference never
    ends in "&" or "\\", which Moodle's answer pattern refuses before a '#'."""
    return "".join(f"&#{ord(ch)};" if ch in _CLOZE_SPECIAL else ch for ch in text)


def cloze_html(text: str) -> str:
    """Plain text for a Cloze feedback or MULTICHOICE option, which Moodle stores as HTML:
    HTML-escaped, then Cloze-escaped (Moodle's single html_entity_decode undoes the second)."""
    return cloze_escape(html.escape(text, quote=False))


def _braces_safe(html_text: str) -> str:
    """Question text around the sub-questions: no brace may look like a sub-question."""
    return html_text.replace("{", "&#123;").replace("}", "&#125;")


def cloze_subquestion(part: Part) -> str:
    if part.style == "number":
        alts = [f"={number_text(part.value)}:{number_text(part.tolerance)}#{cloze_html(part.solution)}"]
        alts += [f"%0%{number_text(w.value)}:0#{cloze_html(w.feedback)}" for w in part.wrong]
        return "{1:NUMERICAL:" + "~".join(alts) + "}"
    if part.style == "choice":
        feedback = {w.value: w.feedback for w in part.wrong}
        alts = []
        for choice in part.choices:
            if choice == part.value:
                alts.append(f"={cloze_html(choice)}#{cloze_html(part.solution)}")
            else:
                alts.append(f"{cloze_html(choice)}#{cloze_html(feedback.get(choice, ''))}")
        return "{1:MULTICHOICE:" + "~".join(alts) + "}"
    # SHORTANSWER: answers are compared with what the student types, as plain text.
    alts = [f"={cloze_escape(a)}#{cloze_html(part.solution)}" for a in part.accepted]
    alts += [f"%0%{cloze_escape(str(w.value))}#{cloze_html(w.feedback)}" for w in part.wrong]
    return "{1:SHORTANSWER:" + "~".join(alts) + "}"


def cloze_text(variant: Variant) -> str:
    lines = [_braces_safe(text_html(variant.prompt))]
    for part in parts(variant):
        how = " (states in order, e.g. CLOSED → LISTEN)" if part.style == "text" else ""
        lines.append(f"<p><b>{_braces_safe(html.escape(part.field, quote=False))}</b> ({_braces_safe(html.escape(part.label, quote=False))}{how}): "
                     f"{cloze_subquestion(part)}</p>")
    return "".join(lines)


# ---------------------------------------------------------------- XML


def _clean(text: str) -> str:
    return _XML_BAD.sub("", text)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = _clean(text)
    return el


def _text_el(parent: ET.Element, tag: str, text: str, fmt: str | None = "html") -> ET.Element:
    el = _sub(parent, tag, **({"format": fmt} if fmt else {}))
    _sub(el, "text", text)
    return el


def _common(q_el: ET.Element, name: str, ident: str, question_html: str, general: str) -> None:
    _text_el(q_el, "name", name, None)
    _text_el(q_el, "questiontext", question_html)
    _text_el(q_el, "generalfeedback", general)
    _sub(q_el, "defaultgrade", "1")
    _sub(q_el, "penalty", "0.3333333")
    _sub(q_el, "hidden", "0")
    _sub(q_el, "idnumber", ident)


def _tags(q_el: ET.Element, topics) -> None:
    if topics:
        tags = _sub(q_el, "tags")
        for t in topics:
            _text_el(tags, "tag", t, None)


def _answer(parent: ET.Element, fraction: str, text: str, feedback: str, fmt: str = "html") -> ET.Element:
    a = _sub(parent, "answer", fraction=fraction, format=fmt)
    _sub(a, "text", text)
    _text_el(a, "feedback", feedback)
    return a


def _combined_feedback(q_el: ET.Element) -> None:
    _text_el(q_el, "correctfeedback", "Your answer is correct.")
    _text_el(q_el, "partiallycorrectfeedback", "Your answer is partially correct.")
    _text_el(q_el, "incorrectfeedback", "Your answer is incorrect.")
    _sub(q_el, "shownumcorrect")


def question_element(variant: Variant, index: int) -> ET.Element:
    q = variant.question
    name, ident = variant_name(q.id, index), variant_ident(q.id, index)
    general = solution_html(variant)
    kind = q.kind
    if kind == "predict":
        q_el = ET.Element("question", type="multianswer")
        _text_el(q_el, "name", name, None)
        _text_el(q_el, "questiontext", cloze_text(variant))
        _text_el(q_el, "generalfeedback", general)
        _sub(q_el, "penalty", "0.3333333")
        _sub(q_el, "hidden", "0")
        _sub(q_el, "idnumber", ident)
    elif kind in ("single", "multiple"):
        q_el = ET.Element("question", type="multichoice")
        _common(q_el, name, ident, text_html(variant.prompt), general)
        _sub(q_el, "single", "true" if kind == "single" else "false")
        _sub(q_el, "shuffleanswers", "false")
        _sub(q_el, "answernumbering", "ABCD")
        _sub(q_el, "showstandardinstruction", "0")
        _combined_feedback(q_el)
        right = sum(o.correct for o in q.options)
        for o in q.options:
            if kind == "single":
                fraction = "100" if o.correct else "0"
            else:
                fraction = choice_fraction(right) if o.correct else "-" + choice_fraction(right)
            _answer(q_el, fraction, text_html(o.text), text_html(o.feedback))
    elif kind == "truefalse":
        q_el = ET.Element("question", type="truefalse")
        _common(q_el, name, ident, text_html(variant.prompt), general)
        answer = bool(q.answer)
        for value in (True, False):
            verdict = "Right" if value == answer else "Not so"
            _answer(q_el, "100" if value == answer else "0", "true" if value else "false",
                    f"<p>{verdict}: the statement is {'true' if answer else 'false'}.</p>{text_html(variant.explanation)}",
                    "moodle_auto_format")
    elif kind == "numeric":
        q_el = ET.Element("question", type="numerical")
        unit = f"<p>Answer in {html.escape(q.unit)}.</p>" if q.unit else ""
        _common(q_el, name, ident, text_html(variant.prompt) + unit, general)
        a = _answer(q_el, "100", number_text(q.answer), text_html(variant.explanation), "moodle_auto_format")
        _sub(a, "tolerance", number_text(q.tolerance))
        _sub(q_el, "unitgradingtype", "0")
        _sub(q_el, "unitpenalty", "0.1000000")
        _sub(q_el, "showunits", "3")
        _sub(q_el, "unitsleft", "0")
    elif kind == "ordering":
        q_el = ET.Element("question", type="ordering")
        _common(q_el, name, ident, text_html(variant.prompt), general)
        _sub(q_el, "layouttype", "VERTICAL")
        _sub(q_el, "selecttype", "ALL")
        _sub(q_el, "selectcount", str(len(q.items)))
        _sub(q_el, "gradingtype", "ABSOLUTE_POSITION")
        _sub(q_el, "showgrading", "SHOW")
        _sub(q_el, "numberingstyle", "none")
        _combined_feedback(q_el)
        for position, text in enumerate(q.items, 1):  # fraction = position in the right order
            _answer(q_el, f"{position}.0000000", html.escape(text, quote=False), "")
    else:
        raise ValueError(f"question {q.id}: kind {kind!r} has no Moodle form")
    _tags(q_el, q.topics)
    return q_el


def _category(quiz: ET.Element, path: str) -> None:
    c = ET.SubElement(quiz, "question", type="category")
    _text_el(c, "category", path, None)


def moodle_document(selection: ExportSet) -> ET.Element:
    quiz = ET.Element("quiz")
    current = None
    for item in selection.items:
        lesson = lesson_title(selection, item)
        path = category_path(lesson, item.question.id) if len(item.variants) > 1 else category_path(lesson)
        if path != current:
            _category(quiz, path)
            current = path
        for index, variant in enumerate(item.variants):
            quiz.append(question_element(variant, index))
    return quiz


def output_file(out: Path, default_name: str) -> Path:
    """`--out` names the file; an existing folder gets default_name inside it."""
    out = Path(out)
    if out.is_dir():
        return out / default_name
    out.parent.mkdir(parents=True, exist_ok=True)
    return out


@register("moodle-xml")
def write_moodle(selection: ExportSet, out: Path) -> list[Path]:
    """One Moodle XML quiz file (import it in the question bank with "Get category from file")."""
    path = output_file(out, "tcptutor-moodle.xml")
    root = moodle_document(selection)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n", encoding="utf-8")
    return [path]
