"""The format-neutral view of a question variant that every LMS writer shares.

`parts(variant)` gives one Part per asked field: the expected answer, the spellings a
reader should accept, and the wrong values that a classic misconception produces (found by
running the grader's own detectors over candidate answers), so that a question's numbers and
feedback are the same in Moodle, GIFT, QTI and Anki.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
import weakref
from dataclasses import dataclass
from pathlib import Path

from ..grading.answers import STATES
from ..i18n import N_, _
from ..grading.grader import TIME_TOLERANCE
from ..grading.explain import STATE_MEANING, explain, with_value, worked_solutions
from ..grading.misconceptions import Context, basis, diagnose
from ..questions.expected import Expected
from ..questions.variants import Variant
from ..render.ladder import render_ladder
from ..tcp import analysis
from ..tcp.trace import Trace
from . import ExportItem, ExportSet, _cache

MOD = 2**32
NUMBER_WHATS = ("seq", "ack", "len", "win", "count", "sent_at", "arrived_at", "timeout", "sport", "dport")
# The RFC 6298 estimator's values, in seconds to the microsecond: exported as numbers within the
# grader's tolerance (half a millisecond), since a student computes 71.90625 ms as 0.0719 s.
TIME_WHATS = ("srtt", "rttvar", "rto")
FLAG_CHOICES = ("SYN", "SYN+ACK", "ACK", "FIN+ACK", "FIN", "RST", "RST+ACK")
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


def seeded_name(variant: Variant, index: int) -> str:
    """'hs-synack-numbers v1 (seed 7)': the seed the variant was drawn from, so that two
    exports with different seeds can be imported side by side and told apart."""
    return f"{variant_name(variant.question.id, index)} (seed {variant.seed})"


def seeded_ident(variant: Variant, index: int) -> str:
    """'hs-synack-numbers-v1-s7': unique across exports with different seeds (Moodle refuses
    a second question with the same idnumber in one category)."""
    return f"{variant_ident(variant.question.id, index)}-s{variant.seed}"


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


_seg_len = analysis.seg_len


def _number_candidates(e: Expected, trace: Trace | None, params: dict, ctx: Context) -> list:
    """Wrong numbers a student plausibly writes: the classic slips around the right value."""
    v = e.value
    if e.what in ("seq", "ack") and isinstance(v, int):
        seg = e.segment
        out = [v - 1, v + 1, v - 2, v + 2, 1]
        if seg is not None:
            out += [seg.ack, seg.seq, seg.seq + 1]
        prev = basis(ctx)
        if prev is not None:
            out += [prev.seq, prev.seq + 1, v - prev.length]
            if prev.seq + _seg_len(prev) >= MOD:
                out.append(prev.seq + _seg_len(prev))  # the sum without wrapping
        trace_params = trace.params if trace is not None else {}
        isns = [trace_params.get(side, {}).get("isn") for side in ("client", "server")]
        isns += [params.get("client_isn"), params.get("server_isn")]
        out += [(v - isn) % MOD for isn in isns if isinstance(isn, int)]
        return [c for c in out if isinstance(c, int) and 0 <= c and (c < MOD or c % MOD == v)]
    if e.what == "count" and isinstance(v, int):
        return list(range(0, max(2 * v, v + 16) + 1))
    if e.what == "timeout" and isinstance(v, (int, float)):
        out = [v / 2, v * 2, 60.0, 120.0, 240.0, 1.0]
        ask = ctx.ask
        if trace is not None and ask is not None:
            out += [ev.timer["timeout"] for ev in analysis.timer_expiries(trace, ask.endpoint, ask.timer)]
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


def has_fields(question) -> bool:
    """A predict question, or a numeric one with [[part]]s: asked field by field (Moodle
    Cloze, one GIFT or QTI item per field), where the other kinds are one whole question."""
    return question.kind == "predict" or question.multipart


def numeric_label(e: Expected) -> str:
    """A numeric part's label with its unit, once."""
    return f"{e.label} ({e.unit})" if e.unit and e.unit not in e.label else e.label


_PARTS: dict[int, tuple[Part, ...]] = {}  # id(variant) -> its parts, while the variant lives


def parts(variant: Variant) -> list[Part]:
    """The fields of a predict (or multi-part numeric) variant, each with its answer, worked
    solution and the wrong answers that deserve a specific feedback.

    Computed once per variant: the question file and the answer key both need them, and
    finding the misconceptions' wrong answers runs every detector on many candidates. The
    entry is dropped when the variant is."""
    key = id(variant)
    if key not in _PARTS:
        _PARTS[key] = _cache.derived(variant, "parts", (), lambda: tuple(_parts(_cache.full(variant))),
                                     _parts_text, _parts_from_text)
        weakref.finalize(variant, _PARTS.pop, key, None)
    return list(_PARTS[key])


def _parts_text(parts: tuple[Part, ...]) -> str | None:
    """Parts as JSON for the export cache; None if they would not read back the same (a
    value JSON cannot hold as it is, a tuple or a bool, say)."""
    text = json.dumps([dataclasses.astuple(p)[:8] + ([dataclasses.astuple(w) for w in p.wrong], p.tolerance)
                       for p in parts], ensure_ascii=False)
    return text if repr(_parts_from_text(text)) == repr(parts) else None


def _parts_from_text(text: str) -> tuple[Part, ...]:
    return tuple(Part(field, label, style, value, shown, solution, tuple(choices), tuple(accepted),
                      tuple(Wrong(*w) for w in wrong), tolerance)
                 for field, label, style, value, shown, solution, choices, accepted, wrong, tolerance
                 in json.loads(text))


def answers(variant: Variant) -> list[tuple[str, str, str]]:
    """(field, shown answer, worked solution) of each part, as parts() gives them, for a
    writer that shows no wrong answers (Anki): finding those is most of parts()' work."""
    found = _PARTS.get(id(variant))
    if found is not None:
        return [(p.field, p.shown, p.solution) for p in found]
    return _cache.derived(variant, "answers", (), lambda: [(p.field, p.shown, p.solution) for p in
                                                          _parts(_cache.full(variant), misconceptions=False)],
                          lambda rows: json.dumps(rows, ensure_ascii=False),
                          lambda text: [tuple(row) for row in json.loads(text)])


def solutions(variant: Variant) -> dict[str, str]:
    """worked_solutions(variant), through the export cache (they are read off the trace)."""
    return _cache.derived(variant, "solutions", (), lambda: worked_solutions(_cache.full(variant)),
                          lambda found: json.dumps(found, ensure_ascii=False), json.loads)


def _parts(variant: Variant, misconceptions: bool = True) -> list[Part]:
    """misconceptions=False: no wrong answer searched for (every `wrong` incomplete): only
    for answers(), never kept in _PARTS."""
    out = []
    for name, e in variant.expected.items():
        if e.what == "numeric":  # worked solution: the explanation with this variant's numbers
            out.append(Part(name, numeric_label(e), "number", e.value, number_text(e.value), variant.explanation,
                            tolerance=e.tolerance))
            continue
        if e.what in TIME_WHATS:
            out.append(Part(name, e.label, "number", e.value, number_text(e.value), explain(e, variant.trace),
                            tolerance=TIME_TOLERANCE))
            continue
        solution = explain(e, variant.trace)
        wrong = misconception_answers(variant, name) if misconceptions else []
        if e.what in NUMBER_WHATS:
            out.append(Part(name, e.label, "number", e.value, number_text(e.value), solution, wrong=tuple(wrong)))
        elif e.what == "state":
            choices = tuple(STATES) if e.value in STATES else (*STATES, str(e.value))
            by_value = {w.value: w for w in wrong}
            feedback = tuple(by_value.get(c) or Wrong(c, _state_feedback(c)) for c in choices if c != e.value)
            out.append(Part(name, e.label, "choice", e.value, str(e.value), solution, choices=choices,
                            accepted=_state_spellings(str(e.value)), wrong=feedback))
        elif e.what == "flags":
            choices = FLAG_CHOICES if e.value in FLAG_CHOICES else (*FLAG_CHOICES, str(e.value))
            by_value = {w.value: w for w in wrong}
            feedback = tuple(by_value.get(c) or Wrong(c, _("{flags} is not the set of flags this segment "
                                                           "carries.").format(flags=c))
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


def _state_feedback(state: str) -> str:
    meaning = STATE_MEANING.get(state)
    return _("{state}: {meaning}.").format(state=state, meaning=_(meaning) if meaning else _("not the state here"))


_TRUEFALSE_VERDICTS = {  # (the answer given is right, the statement is true) -> the verdict
    (True, True): N_("Right: the statement is true."), (True, False): N_("Right: the statement is false."),
    (False, True): N_("Not so: the statement is true."), (False, False): N_("Not so: the statement is false."),
}


def truefalse_verdict(right: bool, statement: bool) -> str:
    """The feedback's first sentence for a true/false answer (Moodle XML and GIFT alike)."""
    return _(_TRUEFALSE_VERDICTS[(right, statement)])


def choice_fraction(count: int) -> str:
    """Moodle's grade for each of `count` right options (must be one of its fixed grades)."""
    return _SPLIT_FRACTIONS.get(count, f"{100 / count:.5f}")


# ---------------------------------------------------------------- language

# The BCP 47 tag an export's HTML carries: browsers and LMSs pick Simplified Chinese glyphs
# (not Japanese ones) for the unified Han characters only when told.
HTML_LANG = {"en": "en", "zh": "zh-CN"}
# Fonts with Simplified Chinese glyphs on Linux, macOS and Windows, for formats that carry style.
CJK_FONTS = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'


def html_lang(lang: str) -> str:
    return HTML_LANG.get(lang, lang)


def lang_html(html_text: str, lang: str) -> str:
    """HTML in a <div lang> for a translated export; English (and empty) text as it is, so an
    English export is byte for byte what it was before translations existed."""
    if lang == "en" or not html_text:
        return html_text
    return f'<div lang="{html_lang(lang)}">{html_text}</div>'


# ---------------------------------------------------------------- text helpers

_CODE = re.compile(r"`([^`\n]+)`")
XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def text_html(text: str) -> str:
    """Plain question text (hard-wrapped, `code` in backticks) as HTML paragraphs."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    out = []
    for p in paragraphs:
        escaped = html.escape(" ".join(p.split()), quote=False)
        out.append("<p>" + _CODE.sub(r"<code>\1</code>", escaped) + "</p>")
    return "".join(out)


def ladder_html(variant: Variant) -> str:
    if not _cache.traced(variant):
        return ""
    marked = {f.segment for f in _cache.facts(variant).values() if f.segment is not None}
    text = ladder_text(variant, marked)
    return '<pre style="font-family: monospace; line-height: 1.2">' + html.escape(text, quote=False) + "</pre>"


def ladder_text(variant: Variant, highlight=()) -> str:
    """render_ladder of the variant's trace in 80 columns (through the export cache)."""
    return _cache.derived(variant, "ladder", (80, sorted(highlight)),
                          lambda: render_ladder(_cache.full(variant).trace, width=80, highlight=highlight, seed=variant.seed))


def ladder_svg(variant: Variant, highlight=()) -> str:
    """render_ladder_svg of the variant's trace (through the export cache)."""
    from ..render.svg import render_ladder_svg

    return _cache.derived(variant, "svg", (sorted(highlight),),
                          lambda: render_ladder_svg(_cache.full(variant).trace, highlight=highlight, seed=variant.seed))


def lesson_title(selection: ExportSet, item: ExportItem) -> str:
    return selection.lessons.get(item.lesson) or item.lesson or _("Unfiled")


def category_path(*names: str) -> str:
    """$course$/tcptutor/<names...>, for Moodle XML and GIFT alike.

    A '/' inside a name is doubled, as Moodle expects. Moodle keeps a category name as
    text that it later prints as HTML, so a lesson title's `<`, `>` and `&` are written as
    character references (shown as typed, never obeyed as a tag), and line breaks become
    spaces (a GIFT $CATEGORY line ends at the line break). GIFT's backslash escapes are
    not used here: Moodle's GIFT reader takes the category line before it undoes them, so
    `\\:` would name the category with a placeholder."""
    clean = (" ".join(html.escape(n, quote=False).split()).replace("/", "//") for n in names)
    return "/".join([ROOT_CATEGORY, *clean])


def solution_html(variant: Variant) -> str:
    """Worked answers per field, the explanation and the ladder: Moodle's general feedback."""
    q = variant.question
    out = []
    if has_fields(q):
        items = "".join(f"<li><b>{html.escape(p.field, quote=False)}</b> = {html.escape(with_value(p.shown, p.solution), quote=False)}</li>"
                        for p in parts(variant))
        out.append(f"<ul>{items}</ul>")
    out.append(text_html(variant.explanation))
    out.append(ladder_html(variant))
    return "".join(out)


# ---------------------------------------------------------------- Cloze


def output_file(out: Path, default_name: str) -> Path:
    """`--out` names the file; an existing folder gets default_name inside it."""
    out = Path(out)
    if out.is_dir():
        return out / default_name
    out.parent.mkdir(parents=True, exist_ok=True)
    return out
