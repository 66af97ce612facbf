"""GIFT: the Moodle XML export's content in Moodle's plain-text format.

GIFT has one answer block per question, so a predict variant becomes one question per field
(numerical for numbers, short answer for flags and states), each with the same misconception
feedback as the Cloze sub-question in the Moodle XML export. Choice questions become
multiple choice with per-option feedback, true/false questions {T}/{F}, numeric questions
numerical with their tolerance, and ordering questions matching (item -> position), since
GIFT has no ordering syntax that Moodle's importer reads without the ordering plugin.

Every question carries `// [id:...]`: the id is "<question> v<k>" in Moodle's idnumber form
plus the field ("hs-synack-numbers-v1-seq"), so the answers can be matched across formats.
All text is HTML ([html]); GIFT's special characters ~ = # { } : and \\ are escaped with a
backslash and line breaks written as \\n, which is how Moodle's GIFT reader unescapes them.
"""

from __future__ import annotations

import html
from pathlib import Path

from ..i18n import _
from ..questions.variants import Variant
from . import ExportSet, _cache, register
from ._fields import (
    Part,
    category_path,
    choice_fraction,
    has_fields,
    ladder_html,
    lang_html,
    lesson_title,
    number_text,
    output_file,
    parts,
    text_html,
    truefalse_verdict,
    variant_ident,
    variant_name,
)

SPECIAL = "~=#{}:"


def gift_escape(text: str) -> str:
    """Escape GIFT's special characters (and backslash and line breaks) in [html] text.

    GIFT has no escape for "->", which makes any question with it a matching question (in
    Moodle's reader and in gift-pegjs); in HTML text "->" is written "-&gt;" instead.
    """
    out = text.replace("\\", "\\\\")
    for ch in SPECIAL:
        out = out.replace(ch, "\\" + ch)
    out = out.replace("->", "-&gt;")
    return out.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def _fb(text: str) -> str:
    return "#" + gift_escape(text) if text else ""


def _general(text: str) -> str:
    return " ####" + gift_escape(text) if text else ""


def _head(ident: str, title: str, topics) -> str:
    tags = "".join(f" [tag:{t}]" for t in topics)
    return f"// [id:{ident}]{tags}\n::{gift_escape(title)}::[html]"


def _part_question(variant: Variant, index: int, part: Part, general: str, lang: str) -> str:
    q = variant.question
    ident = f"{variant_ident(q.id, index)}-{part.field}"
    title = f"{variant_name(q.id, index)} {part.field}"
    asked = _("{field} ({label}):").format(field=f"<b>{html.escape(part.field, quote=False)}</b>",
                                           label=html.escape(part.label, quote=False))
    stem = lang_html(text_html(variant.prompt) + f"<p>{asked}</p>", lang)
    if part.style == "number":
        answers = [f"={number_text(part.value)}:{number_text(part.tolerance)}{_fb(part.solution)}"]
        answers += [f"=%0%{number_text(w.value)}:0{_fb(w.feedback)}" for w in part.wrong]
        block = "{#" + " ".join(answers) + _general(general) + "}"
    else:
        answers = [f"={gift_escape(a)}{_fb(part.solution)}" for a in part.accepted]
        answers += [f"=%0%{gift_escape(str(w.value))}{_fb(w.feedback)}"
                    for w in part.wrong if w.misconception]
        block = "{" + " ".join(answers) + _general(general) + "}"
    return _head(ident, title, q.topics) + gift_escape(stem) + block


def _question(variant: Variant, index: int, lang: str = "en") -> list[str]:
    q = variant.question
    general = lang_html(text_html(variant.explanation), lang) + ladder_html(variant)
    if has_fields(q):
        return [_part_question(variant, index, p, general, lang) for p in parts(variant)]
    ident, title = variant_ident(q.id, index), variant_name(q.id, index)
    stem = text_html(variant.prompt)
    if q.kind == "single":
        answers = [("=" if o.correct else "~") + gift_escape(text_html(o.text)) + _fb(text_html(o.feedback))
                   for o in q.options]
    elif q.kind == "multiple":
        right = choice_fraction(sum(o.correct for o in q.options))
        answers = [f"~%{right if o.correct else '-' + right}%" + gift_escape(text_html(o.text)) + _fb(text_html(o.feedback))
                   for o in q.options]
    elif q.kind == "truefalse":
        answer = bool(q.answer)
        wrong = lang_html(f"<p>{html.escape(truefalse_verdict(False, answer), quote=False)}</p>"
                          + text_html(variant.explanation), lang)
        right = lang_html(f"<p>{html.escape(truefalse_verdict(True, answer), quote=False)}</p>"
                          + text_html(variant.explanation), lang)
        answers = [("T" if answer else "F") + _fb(wrong) + _fb(right)]
    elif q.kind == "numeric":
        if q.unit:
            stem += "<p>" + _("Answer in {unit}.").format(unit=html.escape(q.unit, quote=False)) + "</p>"
        e = _cache.facts(variant)["answer"]
        answers = ["#=" + f"{number_text(e.value)}:{number_text(e.tolerance)}" + _fb(text_html(variant.explanation))]
    elif q.kind == "ordering":
        stem += "<p>" + _("Match each item to its position in the right order (1 = first).") + "</p>"
        position = {text: i + 1 for i, text in enumerate(q.items)}
        shown = [q.items[i] for i in variant.order] if variant.order else list(q.items)
        answers = [f"={gift_escape(html.escape(text, quote=False))} -> {position[text]}" for text in shown]
    else:
        raise ValueError(f"question {q.id}: kind {q.kind!r} has no GIFT form")
    separator = "" if q.kind in ("numeric", "truefalse") else " "
    block = "{" + separator.join(answers) + _general(general) + "}"
    return [_head(ident, title, q.topics) + gift_escape(lang_html(stem, lang)) + block]


def gift_text(selection: ExportSet) -> str:
    chunks = ["// tcptutor: " + _('{title}. Import into Moodle as GIFT ("Get category from file").').format(
        title=selection.title)]
    current = None
    for item in selection.items:
        lesson = lesson_title(selection, item)
        path = category_path(lesson, item.question.id) if len(item.variants) > 1 else category_path(lesson)
        if path != current:
            chunks.append(f"$CATEGORY: {path}")
            current = path
        for index, variant in enumerate(item.variants):
            chunks.extend(_question(variant, index, selection.lang))
    return "\n\n".join(chunks) + "\n"


@register("gift")
def write_gift(selection: ExportSet, out: Path) -> list[Path]:
    path = output_file(out, "tcptutor.gift.txt")
    path.write_text(gift_text(selection), encoding="utf-8")
    return [path]
