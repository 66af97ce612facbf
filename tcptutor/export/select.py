"""Choosing what to export from the bank: questions by lesson/topic, N variants each."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ..bank import models as m
from ..bank import queries
from ..questions.variants import make_variant
from . import ExportItem, ExportSet, _cache


def collect(engine: Engine, *, lesson: str | None = None, topic: str | None = None,
            question_ids: list[str] | None = None, variants: int = 1, seed: int = 0,
            title: str = "tcptutor questions", lang: str = "en") -> ExportSet:
    """Variant k of every question uses seed `seed + k`: the same seed gives the same numbers
    in every format.

    `lang`: the questions' and lessons' words from their current translations into it (the
    answers are the English question's); a question without one stays English and is listed
    in `untranslated`. The words the exporters generate come from the active i18n catalog,
    so call this, and the writer, with `i18n.use(lang)` in effect."""
    with Session(engine) as session:
        rows = queries.questions(session, lesson=lesson, topic=topic)
        if question_ids is not None:  # in the order given (an assessment set's order)
            by_id = {r.id: r for r in rows}
            rows = [by_id[q] for q in question_ids if q in by_id]
        loaded = [queries.load_question(session, r.id) for r in rows]
        lessons = {l.id: l.title for l in session.scalars(select(m.Lesson).where(m.Lesson.active).order_by(m.Lesson.position))}
        lessons.update({lid: t for lid, t in queries.lesson_titles(session, lang).items() if lid in lessons})
        topics = queries.topic_titles(session, lang)  # the English title where none is translated
        words = queries.translations(session, lang, "question", [lq.question.id for lq in loaded])
    items = tuple(_item(lq, words.get(lq.question.id), variants, seed) for lq in loaded)
    untranslated = tuple(lq.question.id for lq in loaded if lang != "en" and lq.question.id not in words)
    return ExportSet(title, items, lessons, topics, lang, untranslated)


def _item(lq: queries.LoadedQuestion, payload: dict | None, variants: int, seed: int) -> ExportItem:
    """One question's variants, drawn from its translated words (if any): the same numbers
    and answers as the English, since a translation changes words only."""
    question = lq.question
    if payload:  # imported only here: the translation module brings the lesson parser and markdown-it
        from ..lessons.translation import localize

        question = localize(question, payload)
    drawn = tuple(_cache.variant(question, seed + k, lq.scenarios,
                                 lambda s=seed + k: make_variant(question, s, lq.scenarios)) for k in range(variants))
    return ExportItem(question, lq.question.lesson, lq.version, drawn, lq.question if payload else None)
