"""Moodle XML: a category per lesson, Cloze for simulator-backed questions, native types for the rest.

Every predict variant becomes one Cloze (multianswer) question with a sub-question per field:
NUMERICAL for numbers, MULTICHOICE for flags and a single state, SHORTANSWER for a list of
states. Wrong values a classic misconception produces get that misconception's explanation
as their feedback (see _fields.py), so Moodle says exactly what `tcptutor quiz grade` would say.

HTML text goes in CDATA sections, as Moodle's own exporter writes it (qformat_xml::writetext).
Moodle's reader (core_xml_parser in lib/xmlize.php) feeds the file to the XML parser in
4,096-byte pieces and drops every piece of character data that is only white space; escaped
text arrives split at each character reference and at piece boundaries, so a run of spaces
in a ladder diagram between two references or at a boundary silently vanished. A CDATA
section arrives as one piece per parse chunk and keeps every space.

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
from pathlib import Path

from ..i18n import _
from ..questions.variants import Variant
from . import ExportSet, _cache, register
from ._fields import (
    XML_BAD,
    Part, category_path, choice_fraction, has_fields, truefalse_verdict, lang_html, lesson_title, number_text, output_file, parts,
    seeded_ident, seeded_name, solution_html, text_html,
)


_CLOZE_SPECIAL = '}{#~/"\\&<>'


def cloze_escape(text: str) -> str:
    """Text inside a Cloze sub-question (an answer or a feedback): } { # ~ / " \\ and the HTML
    specials & < > as numeric character references. Moodle decodes them after it has split
    the sub-question, so none can end an answer or a feedback early; and a reference never
    ends in "&" or "\\", which Moodle's answer pattern refuses before a '#'."""
    return text.translate(_CLOZE_REFERENCES)


_CLOZE_REFERENCES = {ord(ch): f"&#{ord(ch)};" for ch in _CLOZE_SPECIAL}  # str.translate: one pass in C


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
        label = html.escape(part.label, quote=False)
        if part.style == "text":
            label = _("{label} (states in order, e.g. CLOSED → LISTEN)").format(label=label)
        field = f"<b>{_braces_safe(html.escape(part.field, quote=False))}</b>"
        lines.append("<p>" + _("{field} ({label}):").format(field=field, label=_braces_safe(label))
                     + f" {cloze_subquestion(part)}</p>")
    return "".join(lines)


# ---------------------------------------------------------------- XML


def _clean(text: str) -> str:
    return XML_BAD.sub("", text)


MARKER = re.compile("\ue000([0-9]+)\ue001")


def cdata(text: str) -> str:
    """A CDATA section holding `text`; a "]]>" inside is split across two sections."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _serialise(root: ET.Element) -> str:
    """ElementTree's XML, except that the <text> of every HTML field is a CDATA section.

    ElementTree cannot write CDATA, so those texts are stood in for by numbered
    private-use markers while it serialises, then put back as CDATA in one pass over the
    document (a str.replace per marker was quadratic: 12 s for 1,000 variants)."""
    texts: list[str] = []
    for el in root.iter():
        text_el = el.find("text") if el.get("format") in ("html", "moodle_auto_format") else None
        if text_el is not None and text_el.text:
            texts.append(text_el.text)
            text_el.text = f"\ue000{len(texts) - 1}\ue001"
    xml = ET.tostring(root, encoding="unicode")
    return MARKER.sub(lambda match: cdata(texts[int(match.group(1))]), xml)


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
    _text_el(q_el, "correctfeedback", _("Your answer is correct."))
    _text_el(q_el, "partiallycorrectfeedback", _("Your answer is partially correct."))
    _text_el(q_el, "incorrectfeedback", _("Your answer is incorrect."))
    _sub(q_el, "shownumcorrect")


def _mark_language(q_el: ET.Element, lang: str) -> None:
    """The question text and every feedback of a question in a <div lang> (see
    _fields.lang_html); not the answers, which Moodle reads as values (true/false, numbers)
    or shows in a line of their own (options, ordering items)."""
    if lang == "en":
        return
    for el in q_el.iter():
        if el.get("format") not in ("html", "moodle_auto_format") or el.tag == "answer":
            continue
        text_el = el.find("text")
        if text_el is not None and text_el.text:
            text_el.text = lang_html(text_el.text, lang)


def question_element(variant: Variant, index: int, lang: str = "en") -> ET.Element:
    q = variant.question
    name, ident = seeded_name(variant, index), seeded_ident(variant, index)
    general = solution_html(variant)
    kind = q.kind
    if has_fields(q):
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
            verdict = truefalse_verdict(value == answer, answer)
            _answer(q_el, "100" if value == answer else "0", "true" if value else "false",
                    f"<p>{html.escape(verdict, quote=False)}</p>{text_html(variant.explanation)}",
                    "moodle_auto_format")
    elif kind == "numeric":
        q_el = ET.Element("question", type="numerical")
        unit = "<p>" + _("Answer in {unit}.").format(unit=html.escape(q.unit)) + "</p>" if q.unit else ""
        _common(q_el, name, ident, text_html(variant.prompt) + unit, general)
        e = _cache.facts(variant)["answer"]
        a = _answer(q_el, "100", number_text(e.value), text_html(variant.explanation), "moodle_auto_format")
        _sub(a, "tolerance", number_text(e.tolerance))
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
    _mark_language(q_el, lang)
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
            quiz.append(question_element(variant, index, selection.lang))
    return quiz




@register("moodle-xml")
def write_moodle(selection: ExportSet, out: Path) -> list[Path]:
    """One Moodle XML quiz file (import it in the question bank with "Get category from file")."""
    path = output_file(out, "tcptutor-moodle.xml")
    path.write_text(moodle_xml(selection), encoding="utf-8")
    return [path]


def moodle_xml(selection: ExportSet) -> str:
    """The whole Moodle XML file as text, HTML in CDATA sections."""
    root = moodle_document(selection)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + _serialise(root) + "\n"
