"""`markdown` and `html`: printable question sheets, each with its answer key beside it.

`--out quiz.md` writes the sheet quiz.md and the key quiz.key.md (`html`: quiz.html and
quiz.key.html). The sheet has the prompts, the options or items to choose from, and a
blank per answer field; it never holds an answer, a worked solution or an explanation.
The key has every answer with its worked solution and the question's explanation, and for
each simulator-backed variant its ladder diagram with the asked segments highlighted
(text in Markdown, SVG in HTML).

A diagram appears on the sheet only for a question whose scenario is its material rather
than its answer: a non-predict question (choice, true/false, ...) that has a scenario.
A predict question's diagram would show the very numbers it asks for, so it is in the
key only.

With `--variants N` the sheet has N versions (one per seed, each starting on a new page
in HTML) with the same questions in the same order, and the key mirrors it.

The HTML files are self-contained (inline CSS and SVG, no scripts, no external resources),
printable (A4/Letter page rules, questions kept whole across page breaks) and well-formed
XML (XHTML syntax), so any XML or HTML parser reads them.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

from .. import __version__
from ..grading.grader import show
from ..i18n import N_, NP_, _, ngettext, pgettext
from ..questions.variants import LETTERS, Variant
from . import ExportItem, ExportSet, _cache, register
from ._fields import CJK_FONTS, html_lang, ladder_svg, ladder_text, solutions
from .json_export import shown_items

ANSWER_HINTS = {
    "seq": N_("a number"), "ack": N_("a number"), "len": N_("bytes"), "win": N_("bytes"), "count": N_("a number"),
    "flags": N_("flags joined by +"), "state": N_("a state name"), "states": N_("state names in order, separated by →"),
    "sent_at": N_("seconds"), "arrived_at": N_("seconds"), "timeout": N_("seconds"),
}
KINDS = {"predict": NP_("question kind", "predict"), "single": NP_("question kind", "single"),
         "multiple": NP_("question kind", "multiple"), "truefalse": NP_("question kind", "truefalse"),
         "ordering": NP_("question kind", "ordering"), "numeric": NP_("question kind", "numeric")}


def kind_name(kind: str) -> str:
    """The question kind as a sheet shows it (the id itself in English)."""
    return pgettext("question kind", KINDS[kind]) if kind in KINDS else kind


@dataclass(frozen=True)
class Entry:
    number: int
    item: ExportItem
    variant: Variant


@dataclass(frozen=True)
class Version:
    index: int  # 0-based variant index k (seed = base seed + k)
    seed_note: str
    lessons: list[tuple[str, list[Entry]]]  # (lesson id, its questions), in export order


def versions(selection: ExportSet) -> list[Version]:
    count = max((len(item.variants) for item in selection.items), default=0)
    out = []
    for k in range(count):
        groups: list[tuple[str, list[Entry]]] = []
        number = 0
        seeds = set()
        for item in selection.items:
            if k >= len(item.variants):
                continue
            number += 1
            seeds.add(item.variants[k].seed)
            if not groups or groups[-1][0] != item.lesson:
                groups.append((item.lesson, []))
            groups[-1][1].append(Entry(number, item, item.variants[k]))
        note = (_("seed {seed}").format(seed=seeds.pop()) if len(seeds) == 1
                else _("seeds {seeds}").format(seeds=", ".join(map(str, sorted(seeds)))))
        out.append(Version(k, note, groups))
    return out


def sheet_paths(out: Path, suffix: str) -> tuple[Path, Path]:
    """(sheet, key): quiz.md -> quiz.md and quiz.key.md; a folder gets questions.md."""
    out = Path(out)
    if out.is_dir():
        out = out / f"questions{suffix}"
    elif not out.suffix:
        out = out.with_name(out.name + suffix)
    return out, out.with_name(f"{out.stem}.key{out.suffix}")


def sheet_diagram(variant: Variant) -> bool:
    """Whether the sheet may show the variant's diagram: only when it is not the answer."""
    return _cache.traced(variant) and variant.question.kind != "predict"


def asked_segments(variant: Variant) -> set[int]:
    return {f.segment for f in _cache.facts(variant).values() if f.segment is not None}


def _field_hint(variant: Variant, e: _cache.Fact) -> str:
    if variant.question.kind == "predict":
        return _(ANSWER_HINTS[e.what]) if e.what in ANSWER_HINTS else ""
    if e.what == "numeric" and e.unit and e.unit not in e.label:
        return _("{label}, in {unit}").format(label=e.label, unit=e.unit) if variant.question.multipart else e.label
    return e.label


def _heading(version: Version) -> str:
    return _("Version {number} ({seeds})").format(number=version.index + 1, seeds=version.seed_note)


# ---------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------


_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1", re.S)


def md_text(text: str) -> str:
    """Lesson text for a Markdown file: its Markdown kept, its HTML shown as text.

    A `<` or `&` outside a code span gets a backslash (CommonMark's escape for ASCII
    punctuation), so `<SEQ=SEG.ACK>` or `<b>` is printed, not taken as an HTML tag that a
    renderer would hide or obey; code spans are literal already and stay as written."""
    out, last = [], 0
    for m in _CODE_SPAN.finditer(text):
        out.append(re.sub(r"([<&])", r"\\\1", text[last:m.start()]))
        out.append(m.group())
        last = m.end()
    out.append(re.sub(r"([<&])", r"\\\1", text[last:]))
    return "".join(out)


def _md_choices(entry: Entry) -> list[str]:
    q, v = entry.item.question, entry.variant
    if q.kind in ("single", "multiple"):
        return [f"- **{LETTERS[i]}.** {md_text(o.text)}" for i, o in enumerate(q.options)]
    if q.kind == "ordering":
        return [f"- **{it['letter']}.** {md_text(it['text'])}" for it in shown_items(v)]
    return []


def _md_question(entry: Entry) -> list[str]:
    q, v = entry.item.question, entry.variant
    info = _("{kind}, difficulty {difficulty}, seed {seed}").format(kind=kind_name(q.kind), difficulty=q.difficulty,
                                                                     seed=v.seed)
    lines = [f"### {entry.number}. {q.id}", "", f"*{info}*", "", md_text(v.prompt), ""]
    choices = _md_choices(entry)
    if choices:
        lines += choices + [""]
    if sheet_diagram(v):
        lines += ["```text", ladder_text(v), "```", ""]
    for name, e in _cache.facts(v).items():
        hint = _field_hint(v, e)
        label = e.label if q.kind == "predict" or q.multipart else _("Answer")
        lines.append(f"- {md_text(label)}{f' ({hint})' if hint else ''}: `{name}` = ____________________")
    return lines + ["", "---", ""]


def _md_document(selection: ExportSet, header: list[str], render_entry) -> str:
    """The header, then every version's lessons and their questions, as `render_entry` draws them."""
    vs = versions(selection)
    lines = list(header)
    for version in vs:
        if len(vs) > 1:
            lines += [f"## {_heading(version)}", ""]
        for lesson, entries in version.lessons:
            lines += ["## " + _("Lesson: {title}").format(title=md_text(selection.lessons.get(lesson, lesson))), ""]
            for entry in entries:
                lines += render_entry(entry)
    return "\n".join(lines).rstrip() + "\n"


def markdown_sheet(selection: ExportSet) -> str:
    total = sum(len(entries) for v in versions(selection) for _, entries in v.lessons)
    header = [f"# {md_text(selection.title)}", "",
              ngettext("Question sheet: {count} question. Answer each field in the blank after it. "
                       "Written by tcptutor {version}; the answer key is a separate file.",
                       "Question sheet: {count} questions. Answer each field in the blank after it. "
                       "Written by tcptutor {version}; the answer key is a separate file.", total
                       ).format(count=total, version=__version__), "",
              _("Name:") + " ______________________________", ""]
    return _md_document(selection, header, _md_question)


def _md_key_question(entry: Entry) -> list[str]:
    q, v = entry.item.question, entry.variant
    solved = solutions(v)
    info = _("{kind}, lesson {lesson}, question version {version}, seed {seed}").format(
        kind=kind_name(q.kind), lesson=entry.item.lesson, version=entry.item.version, seed=v.seed)
    lines = [f"### {entry.number}. {q.id}", "", f"*{info}*", ""]
    lines += ["> " + line if line else ">" for line in md_text(v.prompt).splitlines()] + [""]
    lines += _md_choices(entry) + ([""] if _md_choices(entry) else [])
    for name, e in _cache.facts(v).items():
        lines.append(f"- **{name}** ({md_text(e.label)}): **{md_text(show(e.value))}**")
        if q.kind == "predict":
            lines.append(f"  - {md_text(solved[name])}")
    lines.append("")
    if q.kind in ("single", "multiple"):
        for i, o in enumerate(q.options):
            mark = _("correct") if o.correct else _("wrong")
            lines.append("- " + _("{letter} ({mark}): {feedback}").format(letter=LETTERS[i], mark=mark,
                                                                        feedback=md_text(o.feedback)))
        lines.append("")
    if v.explanation:
        lines += ["**" + _("Why:") + "** " + md_text(v.explanation), ""]
    if _cache.traced(v):
        marked = asked_segments(v) if q.kind == "predict" else set()
        lines += ["```text", ladder_text(v, marked), "```", ""]
    return lines + ["---", ""]


def markdown_key(selection: ExportSet, sheet_name: str) -> str:
    header = ["# " + _("{title}: answer key").format(title=md_text(selection.title)), "",
              _("The answers to {sheet}, with worked solutions. For instructors: keep it apart from the sheet. "
                "Segments a question asks about are marked >> << in its diagram.").format(sheet=sheet_name), ""]
    return _md_document(selection, header, _md_key_question)


@register("markdown")
def write_markdown(selection: ExportSet, out: Path) -> list[Path]:
    sheet, key = sheet_paths(out, ".md")
    sheet.parent.mkdir(parents=True, exist_ok=True)
    sheet.write_text(markdown_sheet(selection), encoding="utf-8")
    key.write_text(markdown_key(selection, sheet.name), encoding="utf-8")
    return [sheet, key]


# ---------------------------------------------------------------------------
# HTML (XHTML syntax: well-formed XML)
# ---------------------------------------------------------------------------

_md = MarkdownIt("commonmark", {"xhtmlOut": True, "html": False})

CSS = """
@page { size: auto; margin: 16mm 14mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Serif", Georgia, "Times New Roman", serif; font-size: 11pt; line-height: 1.4;
       color: #111; max-width: 190mm; margin: 0 auto; padding: 8mm 0; }
h1 { font-size: 18pt; margin: 0 0 4pt; }
h2 { font-size: 14pt; border-bottom: 1px solid #999; padding-bottom: 2pt; margin-top: 18pt; }
h3.lesson { font-size: 12pt; margin: 14pt 0 6pt; color: #333; }
.meta { color: #555; font-size: 9.5pt; }
.name { margin: 10pt 0 14pt; }
.blank { display: inline-block; min-width: 70mm; border-bottom: 1px solid #000; }
.question { break-inside: avoid; page-break-inside: avoid; border-top: 1px solid #ddd; padding: 8pt 0 10pt; }
.qhead { font-weight: bold; margin: 0 0 4pt; }
.qhead .qinfo { font-weight: normal; color: #666; font-size: 9pt; margin-left: 6pt; }
.prompt p { margin: 0 0 6pt; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.92em; }
ol.choices { margin: 4pt 0 8pt; padding-left: 0; list-style: none; }
ol.choices li { margin: 2pt 0; }
ol.choices .letter { display: inline-block; min-width: 1.6em; font-weight: bold; }
table.fields { border-collapse: collapse; width: 100%; margin-top: 4pt; }
table.fields th, table.fields td { border: 1px solid #999; padding: 4pt 6pt; text-align: left; vertical-align: top; }
table.fields th { width: 42%; font-weight: normal; }
table.fields td.write { height: 2.2em; }
table.keytable { border-collapse: collapse; width: 100%; margin-top: 4pt; table-layout: fixed; }
table.keytable th, table.keytable td { border: 1px solid #999; padding: 4pt 6pt; text-align: left; vertical-align: top;
                                       overflow-wrap: anywhere; }
table.keytable th:nth-child(1) { width: 30%; }
table.keytable th:nth-child(2) { width: 20%; }
table.keytable th:nth-child(3) { width: 50%; }
.hint { color: #666; font-size: 9pt; }
.answer { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-weight: bold; }
.solution { font-size: 10pt; }
.correct { color: #1b5e20; font-weight: bold; }
.wrong { color: #8e1b1b; }
.why { margin: 6pt 0; }
.why p { margin: 2pt 0; }
figure.diagram { margin: 8pt 0; break-inside: avoid; page-break-inside: avoid; }
figure.diagram svg { max-width: 100%; height: auto; }
figcaption { color: #666; font-size: 9pt; }
section.version + section.version { break-before: page; page-break-before: always; }
@media print { body { max-width: none; padding: 0; } a { color: inherit; text-decoration: none; } }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


# A translated sheet's text: fonts with its glyphs (after CSS, so it overrides body's font).
LANG_CSS = {"zh": f"body {{ font-family: {CJK_FONTS}; }}\n"}


def _page(title: str, body: list[str], lang: str = "en") -> str:
    tag = html_lang(lang)
    return "\n".join([
        "<!DOCTYPE html>",
        f'<html xmlns="http://www.w3.org/1999/xhtml" lang="{tag}" xml:lang="{tag}">',
        "<head>",
        '<meta charset="utf-8"/>',
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>',
        f'<meta name="generator" content="tcptutor {_e(__version__)}"/>',
        f"<title>{_e(title)}</title>",
        f"<style>{CSS}{LANG_CSS.get(lang, '')}</style>",
        "</head>",
        "<body>",
        *body,
        "</body>",
        "</html>",
    ]) + "\n"


def _html_choices(entry: Entry, key: bool) -> list[str]:
    q, v = entry.item.question, entry.variant
    out = []
    if q.kind in ("single", "multiple"):
        out.append('<ol class="choices">')
        for i, o in enumerate(q.options):
            extra = ""
            if key:
                cls, word = ("correct", "✓ " + _("correct")) if o.correct else ("wrong", "✗")
                extra = f' <span class="{cls}">{word}</span> <span class="solution">{_e(o.feedback)}</span>'
            out.append(f'<li><span class="letter">{LETTERS[i]}.</span> {_e(o.text)}{extra}</li>')
        out.append("</ol>")
    elif q.kind == "ordering":
        out.append('<ol class="choices">')
        for it in shown_items(v):
            out.append(f'<li><span class="letter">{it["letter"]}.</span> {_e(it["text"])}</li>')
        out.append("</ol>")
    return out


def _figure(svg: str, caption: str) -> list[str]:
    return ['<figure class="diagram">', svg, f"<figcaption>{_e(caption)}</figcaption>", "</figure>"]


def _html_question(entry: Entry, *, key: bool) -> list[str]:
    q, v = entry.item.question, entry.variant
    info = _("{id} · {kind} · difficulty {difficulty} · seed {seed}").format(
        id=q.id, kind=kind_name(q.kind), difficulty=q.difficulty, seed=v.seed)
    if key:
        info += " · " + _("lesson {lesson} · question version {version}").format(lesson=entry.item.lesson,
                                                                                version=entry.item.version)
    out = ['<div class="question">',
           f'<p class="qhead">{entry.number}.<span class="qinfo">{_e(info)}</span></p>',
           f'<div class="prompt">{_md.render(v.prompt)}</div>']
    out += _html_choices(entry, key)
    if not key and sheet_diagram(v):
        out += _figure(ladder_svg(v), _("The scenario of this question."))
    out.append(f'<table class="{"keytable" if key else "fields"}">')
    if key:
        solved = solutions(v)
        head = (_("field"), _("answer"), _("worked solution"))
        out.append("<tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr>")
        for name, e in _cache.facts(v).items():
            solution = _e(solved[name]) if q.kind == "predict" else ""
            out.append(f'<tr><td>{_e(e.label)} <span class="hint">({_e(name)})</span></td>'
                       f'<td class="answer">{_e(show(e.value))}</td><td class="solution">{solution}</td></tr>')
    else:
        for name, e in _cache.facts(v).items():
            label = e.label if q.kind == "predict" or q.multipart else _("Answer")
            hint = _field_hint(v, e)
            hint_html = f' <span class="hint">({_e(hint)})</span>' if hint else ""
            out.append(f'<tr><th>{_e(label)}{hint_html}</th><td class="write"></td></tr>')
    out.append("</table>")
    if key:
        if v.explanation:
            why = _e(_("Why:"))
            out.append(f'<div class="why"><strong>{why}</strong> {_md.render(v.explanation)}</div>')
        if _cache.traced(v):
            marked = asked_segments(v) if q.kind == "predict" else set()
            caption = (_("Highlighted: the segments this question asks about.") if marked
                       else _("The scenario of this question."))
            out += _figure(ladder_svg(v, marked), caption)
    out.append("</div>")
    return out


def _html_doc(selection: ExportSet, *, key: bool, sheet_name: str = "") -> str:
    vs = versions(selection)
    many = len(vs) > 1
    total = sum(len(entries) for v in vs for _, entries in v.lessons)
    title = _("{title}: answer key").format(title=selection.title) if key else selection.title
    body = [f"<header><h1>{_e(title)}</h1>"]
    if key:
        body.append('<p class="meta">' + _("The answers to {sheet}, with worked solutions and diagrams. For instructors: "
                                           "keep it apart from the question sheet. tcptutor {version}.").format(
            sheet=_e(sheet_name), version=_e(__version__)) + "</p>")
    else:
        body.append('<p class="meta">' + ngettext(
            "Question sheet: {count} question. Write each answer in the box beside its field. tcptutor {version}.",
            "Question sheet: {count} questions. Write each answer in the box beside its field. tcptutor {version}.",
            total).format(count=total, version=_e(__version__)) + "</p>")
        body.append('<p class="name">' + _e(_("Name:")) + ' <span class="blank"> </span></p>')
    body.append("</header>")
    for version in vs:
        body.append('<section class="version">')
        if many:
            body.append(f"<h2>{_e(_heading(version))}</h2>")
        for lesson, entries in version.lessons:
            body.append('<h3 class="lesson">' + _e(_("Lesson: {title}").format(title=selection.lessons.get(lesson, lesson)))
                        + "</h3>")
            for entry in entries:
                body += _html_question(entry, key=key)
        body.append("</section>")
    return _page(title, body, selection.lang)


def html_sheet(selection: ExportSet) -> str:
    return _html_doc(selection, key=False)


def html_key(selection: ExportSet, sheet_name: str) -> str:
    return _html_doc(selection, key=True, sheet_name=sheet_name)


@register("html")
def write_html(selection: ExportSet, out: Path) -> list[Path]:
    sheet, key = sheet_paths(out, ".html")
    sheet.parent.mkdir(parents=True, exist_ok=True)
    sheet.write_text(html_sheet(selection), encoding="utf-8")
    key.write_text(html_key(selection, sheet.name), encoding="utf-8")
    return [sheet, key]
