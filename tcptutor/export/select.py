"""Choosing what to export from the bank: questions by lesson/topic, N variants each."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ..bank import models as m
from ..bank import queries
from ..questions.variants import make_variant
from . import ExportItem, ExportSet


def collect(engine: Engine, *, lesson: str | None = None, topic: str | None = None,
            question_ids: list[str] | None = None, variants: int = 1, seed: int = 0,
            title: str = "tcptutor questions") -> ExportSet:
    """Variant k of every question uses seed `seed + k`: the same seed gives the same numbers
    in every format."""
    with Session(engine) as session:
        rows = queries.questions(session, lesson=lesson, topic=topic)
        if question_ids is not None:  # in the order given (an assessment set's order)
            by_id = {r.id: r for r in rows}
            rows = [by_id[q] for q in question_ids if q in by_id]
        loaded = [queries.load_question(session, r.id) for r in rows]
        lessons = {l.id: l.title for l in session.scalars(select(m.Lesson).where(m.Lesson.active).order_by(m.Lesson.position))}
        topics = {t.id: t.title for t in session.scalars(select(m.Topic))}
    items = tuple(
        ExportItem(lq.question, lq.question.lesson, lq.version,
                   tuple(make_variant(lq.question, seed + k, lq.scenarios) for k in range(variants)))
        for lq in loaded
    )
    return ExportSet(title, items, lessons, topics)
