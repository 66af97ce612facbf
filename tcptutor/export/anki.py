"""Anki: an .apkg deck (genanki) with one note per question variant.

Front: the prompt and what to answer (the fields of a predict question, the options of a
choice question, the items of an ordering question). Back: the worked answer per field
(which rule gives each number), the explanation, and the ladder diagram of the variant's
trace in a monospace <pre>.

Ids are stable so that importing a new export updates the notes already in a collection
instead of adding copies: every note's GUID is genanki.guid_for(question id, seed), and the
note type's and the deck's ids are derived from fixed names, not drawn at random.
"""

from __future__ import annotations

import hashlib
import html
from pathlib import Path

from ..grading.grader import show
from ..i18n import _
from ..questions.variants import LETTERS, Variant
from . import ExportSet, _cache, register
from ._fields import CJK_FONTS, answers, has_fields, html_lang, ladder_html, lang_html, number_text, output_file, text_html

MODEL_NAME = "tcptutor question v1"
FIELDS = ("Id", "Question", "Answer", "Ladder", "Lesson", "Seed")
CSS = """\
.card { font-family: sans-serif; font-size: 18px; text-align: left; color: black; background-color: white; }
.fields li, .answers li { margin: 0.2em 0; }
pre.ladder, .card pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; line-height: 1.2; overflow-x: auto; }
.tag { color: #666; font-size: 14px; }
.card [lang|=zh] { font-family: %s; }
""" % CJK_FONTS
FRONT = '<div class="tag">{{Lesson}} · {{Id}}</div>{{Question}}'
BACK = "{{FrontSide}}<hr id=answer>{{Answer}}{{Ladder}}"


def stable_id(name: str) -> int:
    """An Anki id (a positive 63-bit range is allowed; stay in Anki's usual 1<<30..1<<31)."""
    digest = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")
    return (1 << 30) + digest % (1 << 30)


MODEL_ID = stable_id("tcptutor anki model: " + MODEL_NAME)


def deck_id(title: str) -> int:
    return stable_id("tcptutor anki deck: " + title)


def note_guid(question_id: str, seed: int, lang: str = "en") -> str:
    """English notes keep the GUIDs they always had; a translated note gets its own, so a
    Chinese deck imported beside the English one adds its notes instead of overwriting them."""
    import genanki

    return genanki.guid_for(question_id, seed) if lang == "en" else genanki.guid_for(question_id, seed, lang)


def _model():
    import genanki

    return genanki.Model(
        MODEL_ID, MODEL_NAME,
        fields=[{"name": f} for f in FIELDS],
        templates=[{"name": "Question", "qfmt": FRONT, "afmt": BACK}],
        css=CSS,
    )


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def front_html(variant: Variant) -> str:
    q = variant.question
    out = [text_html(variant.prompt)]
    if has_fields(q):
        out.append('<ul class="fields">' + "".join(
            f"<li><b>{_esc(name)}</b>: {_esc(e.label)}</li>" for name, e in _cache.facts(variant).items()) + "</ul>")
    elif q.kind in ("single", "multiple"):
        how = _("Choose one option:") if q.kind == "single" else _("Choose every right option:")
        out.append(f"<p>{how}</p><ol type=A>" + "".join(f"<li>{_esc(o.text)}</li>" for o in q.options) + "</ol>")
    elif q.kind == "truefalse":
        out.append("<p>" + _("True or false?") + "</p>")
    elif q.kind == "numeric":
        number = _("A number in {unit}.").format(unit=_esc(q.unit)) if q.unit else _("A number.")
        out.append(f"<p>{number}</p>")
    elif q.kind == "ordering":
        shown = [q.items[i] for i in variant.order] if variant.order else list(q.items)
        out.append("<p>" + _("Put in the right order:") + "</p><ol type=A>"
                   + "".join(f"<li>{_esc(t)}</li>" for t in shown) + "</ol>")
    return "".join(out)


def _answer(value: str) -> str:
    return _("Answer: {value}").format(value=value)


def back_html(variant: Variant) -> str:
    q = variant.question
    out = []
    if has_fields(q):
        out.append('<ul class="answers">' + "".join(
            f"<li><b>{_esc(field)} = {_esc(shown)}</b><br>{_esc(solution)}</li>"
            for field, shown, solution in answers(variant)) + "</ul>")
    elif q.kind in ("single", "multiple"):
        rows = []
        for i, o in enumerate(q.options):
            mark = "✓" if o.correct else "✗"
            rows.append(f"<li>{mark} <b>{LETTERS[i]}</b>. {_esc(o.text)}<br><i>{_esc(o.feedback)}</i></li>")
        key = _cache.facts(variant)["answer"].value
        out.append(f"<p><b>{_answer(_esc(str(key)))}</b></p><ul class=\"answers\">{''.join(rows)}</ul>")
    elif q.kind == "truefalse":
        out.append(f"<p><b>{_answer(show(bool(q.answer)))}</b></p>")
    elif q.kind == "numeric":
        e = _cache.facts(variant)["answer"]
        tol = f" (± {number_text(e.tolerance)})" if e.tolerance else ""
        unit = f" {_esc(q.unit)}" if q.unit else ""
        out.append(f"<p><b>{_answer(number_text(e.value) + unit + tol)}</b></p>")
    elif q.kind == "ordering":
        shown = [q.items[i] for i in variant.order] if variant.order else list(q.items)
        letters = "".join(LETTERS[shown.index(t)] for t in q.items)
        out.append(f"<p><b>{_answer(letters)}</b></p><ol>" + "".join(f"<li>{_esc(t)}</li>" for t in q.items) + "</ol>")
    out.append(text_html(variant.explanation))
    return "".join(out)


def note_fields(variant: Variant, index: int, lesson: str, lang: str = "en") -> list[str]:
    """The note's fields; a translated note's words in a <div lang>, which the card CSS's
    :lang(zh) rule gives Chinese fonts."""
    q = variant.question
    return [f"{q.id} v{index + 1} (seed {variant.seed})", lang_html(front_html(variant), lang),
            lang_html(back_html(variant), lang), ladder_html(variant).replace("<pre ", '<pre class="ladder" ', 1),
            _esc(lesson) if lang == "en" else f'<span lang="{html_lang(lang)}">{_esc(lesson)}</span>', str(variant.seed)]


def build_deck(selection: ExportSet):
    import genanki

    model = _model()
    deck = genanki.Deck(deck_id(selection.title), f"tcptutor::{selection.title}")
    for item in selection.items:
        lesson = selection.lessons.get(item.lesson) or item.lesson
        tags = [t.replace(" ", "_") for t in (*item.question.topics, f"lesson::{item.lesson}")]
        for index, variant in enumerate(item.variants):
            deck.add_note(genanki.Note(model=model, fields=note_fields(variant, index, lesson, selection.lang),
                                       guid=note_guid(item.question.id, variant.seed, selection.lang), tags=tags))
    return deck


@register("anki")
def write_anki(selection: ExportSet, out: Path) -> list[Path]:
    import genanki

    path = output_file(out, "tcptutor.apkg")
    genanki.Package(build_deck(selection)).write_to_file(str(path))
    return [path]
