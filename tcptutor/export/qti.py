"""Canvas QTI 1.2: a zip with imsmanifest.xml and one assessment, in the item forms Canvas imports.

Item types (Canvas's question_type metadata): multiple_choice_question (single choice, and a
predict field asking for flags or a state, with feedback on every option),
multiple_answers_question, true_false_question, numerical_question (a predict number field,
exact answer; a numeric question, answer +- its tolerance), short_answer_question (a list of
states) and matching_question (ordering: each item to its position). A predict variant gives
one item per field. Wrong numbers that match a misconception are listed, with the
misconception's explanation, in the item's incorrect-answer feedback: QTI could attach
feedback to a specific wrong number, but Canvas turns every number a numerical item
mentions into an accepted answer, so the exact answer is the only one written.

With --variants N > 1, the N variants of each question field go in a section that draws one
item (selection_number 1): a Canvas question group, so each student gets one variant.

The files validate against the IMS QTI 1.2.1 DTD (tests/export/test_qti.py).
"""

from __future__ import annotations

import hashlib
import html
import zipfile
import xml.etree.ElementTree as ET
from pathlib import Path

from ..grading.explain import with_value
from ..i18n import _
from ..questions.variants import Variant
from . import ExportSet, _cache, register
from ._fields import (
    Part,
    has_fields,
    html_lang,
    ladder_html,
    lang_html,
    number_text,
    output_file,
    parts,
    text_html,
    variant_ident,
    variant_name,
)

QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
QTI_SCHEMA = f"{QTI_NS} http://www.imsglobal.org/xsd/ims_qtiasiv1p2p1.xsd"


def _ident(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


def _mattext(parent: ET.Element, text_html_: str, texttype: str = "text/html") -> ET.Element:
    material = _sub(parent, "material")
    _sub(material, "mattext", text_html_, texttype=texttype)
    return material


class _Item:
    """Builds one <item>: presentation, resprocessing, itemfeedback, in the DTD's order."""

    def __init__(self, ident: str, title: str, question_type: str, answer_ids: list[str]):
        self.ident = ident
        self.el = ET.Element("item", ident=ident, title=title)
        meta = _sub(_sub(self.el, "itemmetadata"), "qtimetadata")
        for label, entry in (("question_type", question_type), ("points_possible", "1.0"),
                             ("original_answer_ids", ",".join(answer_ids)),
                             ("assessment_question_identifierref", f"{ident}-ref")):
            field = _sub(meta, "qtimetadatafield")
            _sub(field, "fieldlabel", label)
            _sub(field, "fieldentry", entry)
        self.presentation = _sub(self.el, "presentation")
        self.feedback: list[tuple[str, str]] = []
        self.conditions: list[ET.Element] = []

    def prompt(self, question_html: str) -> None:
        _mattext(self.presentation, question_html)

    def condition(self, *, cont: bool, setvar: tuple[str, str] | None = None,
                  feedback: str | None = None) -> ET.Element:
        cond = ET.Element("respcondition", {"continue": "Yes" if cont else "No"})
        var = _sub(cond, "conditionvar")
        if setvar:
            _sub(cond, "setvar", setvar[1], action=setvar[0], varname="SCORE")
        if feedback:
            _sub(cond, "displayfeedback", feedbacktype="Response", linkrefid=feedback)
        self.conditions.append(cond)
        return var

    def add_feedback(self, ident: str, text: str, texttype: str = "text/html") -> str:
        """Feedback as HTML (the general feedback: explanation and ladder) or as plain text.

        Short feedback is written as text/plain, unescaped, the way Canvas's own exporter
        writes an answer's `comments`: Canvas keeps the text of short feedback and shows a
        character reference from escaped HTML (`&gt;`) literally."""
        self.feedback.append((ident, text, texttype))
        return ident

    def finish(self) -> ET.Element:
        proc = _sub(self.el, "resprocessing")
        _sub(_sub(proc, "outcomes"), "decvar", maxvalue="100", minvalue="0", varname="SCORE", vartype="Decimal")
        for cond in self.conditions:
            proc.append(cond)
        for ident, text, texttype in self.feedback:
            flow = _sub(_sub(self.el, "itemfeedback", ident=ident), "flow_mat")
            _mattext(flow, text, texttype)
        return self.el


def _general_feedback(item: _Item, general: str) -> None:
    if general:
        fb = item.add_feedback("general_fb", general)
        _sub(item.condition(cont=True, feedback=fb), "other")


def _choice_item(ident: str, title: str, question_html: str, options: list[tuple[str, bool, str]],
                 multiple: bool, general: str, qtype: str | None = None) -> ET.Element:
    """options: (html text, correct, plain-text feedback)."""
    ids = [f"{ident}-c{i + 1}" for i in range(len(options))]
    item = _Item(ident, title, qtype or ("multiple_answers_question" if multiple else "multiple_choice_question"), ids)
    item.prompt(question_html)
    lid = _sub(item.presentation, "response_lid", ident="response1", rcardinality="Multiple" if multiple else "Single")
    choices = _sub(lid, "render_choice")
    for cid, (text, _, _) in zip(ids, options):
        _mattext(_sub(choices, "response_label", ident=cid), text)
    _general_feedback(item, general)
    for cid, (_, _, feedback) in zip(ids, options):
        if feedback:
            fb = item.add_feedback(f"{cid}_fb", feedback, "text/plain")
            _sub(item.condition(cont=True, feedback=fb), "varequal", cid, respident="response1")
    if multiple:
        var = item.condition(cont=False, setvar=("Set", "100"))
        both = _sub(var, "and")
        for cid, (_, correct, _) in zip(ids, options):
            if correct:
                _sub(both, "varequal", cid, respident="response1")
            else:
                _sub(_sub(both, "not"), "varequal", cid, respident="response1")
    else:
        right = next(cid for cid, (_, correct, _) in zip(ids, options) if correct)
        _sub(item.condition(cont=False, setvar=("Set", "100")), "varequal", right, respident="response1")
    return item.finish()


def _numerical_item(ident: str, title: str, question_html: str, value, tolerance: float, correct_fb: str,
                    incorrect_fb: str, general: str) -> ET.Element:
    item = _Item(ident, title, "numerical_question", [f"{ident}-answer"])
    item.prompt(question_html)
    fib = _sub(_sub(item.presentation, "response_str", ident="response1", rcardinality="Single"),
               "render_fib", fibtype="Decimal")
    _sub(fib, "response_label", ident="answer1")
    _general_feedback(item, general)
    correct = item.add_feedback("correct_fb", correct_fb, "text/plain") if correct_fb else None
    var = item.condition(cont=False, setvar=("Set", "100"), feedback=correct)
    either = _sub(var, "or")
    _sub(either, "varequal", number_text(value), respident="response1")
    low, high = value - tolerance, value + tolerance
    between = _sub(either, "and")
    _sub(between, "vargte", number_text(low), respident="response1")
    _sub(between, "varlte", number_text(high), respident="response1")
    if incorrect_fb:
        fb = item.add_feedback("general_incorrect_fb", incorrect_fb, "text/plain")
        _sub(item.condition(cont=True, feedback=fb), "other")
    return item.finish()


def _short_answer_item(ident: str, title: str, question_html: str, accepted: tuple[str, ...], correct_fb: str,
                       incorrect_fb: str, general: str) -> ET.Element:
    item = _Item(ident, title, "short_answer_question", [f"{ident}-a{i + 1}" for i in range(len(accepted))])
    item.prompt(question_html)
    fib = _sub(_sub(item.presentation, "response_str", ident="response1", rcardinality="Single"), "render_fib")
    _sub(fib, "response_label", ident="answer1", rshuffle="No")
    _general_feedback(item, general)
    correct = item.add_feedback("correct_fb", correct_fb, "text/plain") if correct_fb else None
    var = item.condition(cont=False, setvar=("Set", "100"), feedback=correct)
    for text in accepted:
        _sub(var, "varequal", text, respident="response1")
    if incorrect_fb:
        fb = item.add_feedback("general_incorrect_fb", incorrect_fb, "text/plain")
        _sub(item.condition(cont=True, feedback=fb), "other")
    return item.finish()


def _matching_item(ident: str, title: str, question_html: str, pairs: list[tuple[str, str]], general: str) -> ET.Element:
    """pairs: (left text, right text); every left is shown with every right as a choice.

    Identifiers are plain numbers, as Canvas's own exporter writes them: Canvas takes an
    answer's and a match's id from the number in its identifier (an identifier with a
    letter in it gets a random answer id, and `...-v1-r2` reads as match 1 for every
    match, so every left item was keyed to the same right one)."""
    rights = sorted({r for _, r in pairs})
    right_ids = {r: str(i + 1) for i, r in enumerate(rights)}
    left_ids = [str(i + 1) for i in range(len(pairs))]
    item = _Item(ident, title, "matching_question", left_ids)
    item.prompt(question_html)
    for lid_ident, (left, _) in zip(left_ids, pairs):
        lid = _sub(item.presentation, "response_lid", ident=f"response_{lid_ident}")
        _mattext(lid, left, "text/plain")
        choices = _sub(lid, "render_choice")
        for r in rights:
            _mattext(_sub(choices, "response_label", ident=right_ids[r]), r, "text/plain")
    _general_feedback(item, general)
    share = f"{100 / len(pairs):.2f}"
    for lid_ident, (_, right) in zip(left_ids, pairs):
        var = item.condition(cont=False, setvar=("Add", share))
        _sub(var, "varequal", right_ids[right], respident=f"response_{lid_ident}")
    return item.finish()


def _wrong_list(part: Part) -> str:
    """Plain text: the misconceptions' wrong values and what each means."""
    rows = [f"- {str(w.value) if part.style != 'number' else number_text(w.value)}: {w.feedback}"
            for w in part.wrong if w.misconception]
    return _("Common wrong answers:") + "\n" + "\n".join(rows) if rows else ""


def _part_item(variant: Variant, index: int, part: Part, general: str) -> ET.Element:
    q = variant.question
    ident = _ident(f"{variant_ident(q.id, index)}-{part.field}")
    title = f"{variant_name(q.id, index)} {part.field}"
    asked = _("{field}: {label}").format(field=f"<b>{html.escape(part.field, quote=False)}</b>",
                                         label=html.escape(part.label, quote=False))
    question_html = text_html(variant.prompt) + f"<p>{asked}</p>"
    solution = with_value(part.shown, part.solution)
    if part.style == "number":
        return _numerical_item(ident, title, question_html, part.value, part.tolerance, solution,
                               _wrong_list(part), general)
    if part.style == "choice":
        feedback = {w.value: w.feedback for w in part.wrong}
        options = [(html.escape(c, quote=False), c == part.value,
                    solution if c == part.value else feedback.get(c, ""))
                   for c in part.choices]
        return _choice_item(ident, title, question_html, options, False, general)
    question_html += "<p>" + _("Write the states in order, separated by commas or arrows (→).") + "</p>"
    return _short_answer_item(ident, title, question_html, part.accepted, solution, _wrong_list(part), general)


def items_for(variant: Variant, index: int) -> list[tuple[str, ET.Element]]:
    """(group key, item) for each item of a variant; the key names the variants' question group."""
    q = variant.question
    general = text_html(variant.explanation) + ladder_html(variant)
    if has_fields(q):
        return [(f"{q.id} {p.field}", _part_item(variant, index, p, general)) for p in parts(variant)]
    ident, title = _ident(variant_ident(q.id, index)), variant_name(q.id, index)
    prompt = text_html(variant.prompt)
    if q.kind in ("single", "multiple"):
        options = [(text_html(o.text), o.correct, " ".join(o.feedback.split())) for o in q.options]
        item = _choice_item(ident, title, prompt, options, q.kind == "multiple", general)
    elif q.kind == "truefalse":
        answer = bool(q.answer)
        options = [(_("True"), answer, ""), (_("False"), not answer, "")]
        item = _choice_item(ident, title, prompt, options, False, general, "true_false_question")
    elif q.kind == "numeric":
        if q.unit:
            prompt += "<p>" + _("Answer in {unit}.").format(unit=html.escape(q.unit, quote=False)) + "</p>"
        e = _cache.facts(variant)["answer"]
        item = _numerical_item(ident, title, prompt, e.value, e.tolerance, "", "", general)
    elif q.kind == "ordering":
        prompt += "<p>" + _("Match each item to its position in the right order (1 = first).") + "</p>"
        position = {text: i + 1 for i, text in enumerate(q.items)}
        shown = [q.items[i] for i in variant.order] if variant.order else list(q.items)
        item = _matching_item(ident, title, prompt, [(t, str(position[t])) for t in shown], general)
    else:
        raise ValueError(f"question {q.id}: kind {q.kind!r} has no QTI form")
    return [(q.id, item)]


def assessment_id(selection: ExportSet) -> str:
    return "tcptutor-" + hashlib.sha256(selection.title.encode()).hexdigest()[:12]


def assessment_document(selection: ExportSet) -> ET.Element:
    root = ET.Element("questestinterop", {"xmlns": QTI_NS, "xmlns:xsi": XSI_NS, "xsi:schemaLocation": QTI_SCHEMA})
    ident = assessment_id(selection)
    assessment = _sub(root, "assessment", ident=ident, title=selection.title)
    meta = _sub(_sub(assessment, "qtimetadata"), "qtimetadatafield")
    _sub(meta, "fieldlabel", "cc_maxattempts")
    _sub(meta, "fieldentry", "1")
    top = _sub(assessment, "section", ident="root_section")
    for item in selection.items:
        groups: dict[str, list[ET.Element]] = {}
        for index, variant in enumerate(item.variants):
            for key, el in items_for(variant, index):
                groups.setdefault(key, []).append(el)
        for key, els in groups.items():
            if len(els) == 1:
                top.append(els[0])
                continue
            group = _sub(top, "section", ident=_ident(f"group-{key}"), title=key)
            selection_el = _sub(_sub(group, "selection_ordering"), "selection")
            _sub(selection_el, "selection_number", "1")
            group.extend(els)
    _mark_language(root, selection.lang)
    return root


def _mark_language(root: ET.Element, lang: str) -> None:
    """A translated export: xml:lang on every <mattext> (the QTI 1.2 DTD's attribute for it),
    and HTML texts also in a <div lang> (Canvas keeps the HTML, not the attribute)."""
    if lang == "en":
        return
    for el in root.iter("mattext"):
        el.set(XML_LANG, html_lang(lang))
        if el.get("texttype") == "text/html" and el.text:
            el.text = lang_html(el.text, lang)


def manifest_document(selection: ExportSet, assessment_path: str) -> ET.Element:
    ident = assessment_id(selection)
    root = ET.Element("manifest", {
        "identifier": f"{ident}-manifest",
        "xmlns": "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1",
        "xmlns:imsmd": "http://www.imsglobal.org/xsd/imsmd_v1p2",
        "xmlns:xsi": XSI_NS,
        "xsi:schemaLocation": "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1 http://www.imsglobal.org/xsd/imscp_v1p1.xsd "
                              "http://www.imsglobal.org/xsd/imsmd_v1p2 http://www.imsglobal.org/xsd/imsmd_v1p2p2.xsd",
    })
    metadata = _sub(root, "metadata")
    _sub(metadata, "schema", "IMS Content")
    _sub(metadata, "schemaversion", "1.1.3")
    title = _sub(_sub(_sub(metadata, "imsmd:lom"), "imsmd:general"), "imsmd:title")
    _sub(title, "imsmd:string", selection.title)
    _sub(root, "organizations")
    resources = _sub(root, "resources")
    resource = _sub(resources, "resource", identifier=ident, type="imsqti_xmlv1p2")
    _sub(resource, "file", href=assessment_path)
    return root


def _xml_bytes(root: ET.Element) -> bytes:
    ET.indent(root, space="  ")
    # as text, then encoded once: the same bytes, without ElementTree's per-write encoder (3x slower)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n").encode("utf-8")


@register("qti")
def write_qti(selection: ExportSet, out: Path) -> list[Path]:
    """A zip Canvas imports under Settings > Import course content > QTI .zip file."""
    path = output_file(out, "tcptutor-qti.zip")
    ident = assessment_id(selection)
    assessment_path = f"{ident}/{ident}.xml"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("imsmanifest.xml", _xml_bytes(manifest_document(selection, assessment_path)))
        zf.writestr(assessment_path, _xml_bytes(assessment_document(selection)))
    return [path]
