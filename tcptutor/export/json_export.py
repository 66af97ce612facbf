"""`json`: lessons, topics, questions and their keyed variants in one versioned JSON file.

The format is "tcptutor.questions/1", documented in docs/export-json.md; its JSON Schema
(draft 2020-12) ships as tcptutor/export/schemas/questions-1.schema.json (SCHEMA_PATH).
The file holds the answer keys: it is instructor material, never a student hand-out.
"""

from __future__ import annotations

import itertools
import json
from json.encoder import encode_basestring
from pathlib import Path

from .. import __version__
from ..grading.explain import worked_solutions
from ..grading.grader import show
from ..questions.model import TCB_SIZE_WHATS, vary_spec
from ..questions.variants import LETTERS, Variant
from . import ExportItem, ExportSet, register

FORMAT = "tcptutor.questions/1"
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "questions-1.schema.json"
DEFAULT_NAME = "tcptutor-questions.json"


def load_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _jsonable(value):
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def shown_items(variant: Variant) -> list[dict]:
    """Ordering questions: the items as shown to the student (shuffled), with their letters."""
    q = variant.question
    return [{"letter": LETTERS[i], "text": q.items[j]} for i, j in enumerate(variant.order)]


def variant_json(variant: Variant) -> dict:
    q = variant.question
    solved = worked_solutions(variant)
    out: dict = {
        "seed": variant.seed,
        "params": _jsonable(variant.params),
        "prompt": variant.prompt,
        "explanation": variant.explanation,
        "fields": [{"name": name, "label": e.label, "what": e.what} for name, e in variant.expected.items()],
    }
    if q.kind == "ordering":
        out["order"] = list(variant.order)
        out["items"] = shown_items(variant)
    out["key"] = {
        name: {
            "value": _jsonable(e.value),
            "shown": show(e.value),
            "solution": solved[name],
            "segment": e.segment.n if e.segment else None,
            **({"tolerance": e.tolerance, "unit": e.unit} if e.what == "numeric" else {}),
        }
        for name, e in variant.expected.items()
    }
    out["trace"] = variant.trace.to_json() if variant.trace is not None else None
    return out


def question_json(item: ExportItem) -> dict:
    q = item.question
    out: dict = {
        "id": q.id,
        "kind": q.kind,
        "topics": list(q.topics),
        "difficulty": q.difficulty,
        "lesson": item.lesson,
        "version": item.version,
        "content_hash": item.source.content_hash,  # the English question's, translated or not
        "prompt": q.prompt,
        "explanation": q.explanation,
        "scenario": q.scenario,
        "profile": q.profile,
        "vary": {k: _jsonable(vary_spec(v)) for k, v in q.vary},
    }
    if q.kind == "predict":
        out["asks"] = [
            {"field": a.field, "what": a.what, "label": a.shown_label,
             **{k: getattr(a, k) for k in ("segment", "endpoint", "at", "timer") if getattr(a, k) is not None},
             **({"nth": a.nth} if a.what == "timeout" else {}),
             **({"unit": a.size_unit} if a.what in TCB_SIZE_WHATS else {}),
             **({"round": a.round} if a.round is not None else {})}
            for a in q.asks
        ]
    if q.kind in ("single", "multiple"):
        out["options"] = [{"letter": LETTERS[i], "text": o.text, "correct": o.correct, "feedback": o.feedback}
                          for i, o in enumerate(q.options)]
    if q.kind == "ordering":
        out["items"] = list(q.items)
    if q.kind in ("truefalse", "numeric"):
        out["answer"] = q.answer
    if q.kind == "numeric":
        out["tolerance"] = q.tolerance
        out["unit"] = q.unit
        if q.parts:
            out["parts"] = [dict(p.__dict__) for p in q.parts]
            del out["answer"], out["tolerance"], out["unit"]
    if q.lets:
        out["let"] = dict(q.lets)
    out["variants"] = [variant_json(v) for v in item.variants]
    return out


def export_json(selection: ExportSet) -> dict:
    """The whole export as a JSON-able dict (format tcptutor.questions/1)."""
    used_lessons = {item.lesson for item in selection.items}
    used_topics = {t for item in selection.items for t in item.question.topics}
    lesson_ids = [l for l in selection.lessons if l in used_lessons]
    lesson_ids += sorted(used_lessons - set(lesson_ids))
    out = {
        "format": FORMAT,
        "title": selection.title,
        "generator": {"name": "tcptutor", "version": __version__},
        "lessons": [
            {"id": l, "title": selection.lessons.get(l, l),
             "questions": [i.question.id for i in selection.items if i.lesson == l]}
            for l in lesson_ids
        ],
        "topics": [{"id": t, "title": selection.topics.get(t, t)} for t in sorted(used_topics)],
        "questions": [question_json(item) for item in selection.items],
    }
    if selection.lang != "en":  # an English file stays as it was before translations existed
        out["lang"] = selection.lang
        out["untranslated"] = list(selection.untranslated)
    return out


@register("json")
def write_json(selection: ExportSet, out: Path) -> list[Path]:
    out = Path(out)
    if out.is_dir():
        out = out / DEFAULT_NAME
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(dumps(export_json(selection)) + "\n", encoding="utf-8")
    return [out]


_INF = float("inf")
_ITEM = object()  # the "key" of a list's item
_NO_KEYS = itertools.repeat(_ITEM)


class _Unusual(Exception):
    """A value `dumps` leaves to json.dumps."""


def dumps(value) -> str:
    """json.dumps(value, indent=1, ensure_ascii=False), the same text. With an indent json
    falls back from its C encoder to nested Python generators, which took most of the JSON
    export's time (every variant's trace); this appends to one list. Anything but dicts with
    string keys, lists, tuples, strings, numbers, booleans and None goes to json.dumps."""
    out: list[str] = []
    try:
        _encode(value, out, "\n")
    except _Unusual:
        return json.dumps(value, indent=1, ensure_ascii=False)
    return "".join(out)


def _encode(value, out: list[str], newline: str) -> None:
    """`value` as json's encoder writes it (its order of checks), `newline` the current indent."""
    if isinstance(value, str):
        out.append(encode_basestring(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        if value != value or value in (_INF, -_INF):
            raise _Unusual
        out.append(float.__repr__(value))
    elif isinstance(value, (list, tuple, dict)):
        if not value:
            out.append("{}" if isinstance(value, dict) else "[]")
            return
        inner = newline + " "
        pairs = value.items() if isinstance(value, dict) else zip(_NO_KEYS, value)
        out.append("{" if isinstance(value, dict) else "[")
        separator = inner
        for key, item in pairs:
            if key is not _ITEM:
                if not isinstance(key, str):
                    raise _Unusual
                separator += encode_basestring(key) + ": "
            kind = type(item)  # the usual leaves written here, not by a call each
            if kind is str:
                out.append(separator + encode_basestring(item))
            elif kind is int:
                out.append(separator + int.__repr__(item))
            else:
                out.append(separator)
                _encode(item, out, inner)
            separator = "," + inner
        out.append(newline + ("}" if isinstance(value, dict) else "]"))
    else:
        raise _Unusual
