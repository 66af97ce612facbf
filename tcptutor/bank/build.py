"""`tcptutor build`: the content, read and verified by bank.content, written to the bank.

Everything is verified before anything is written, and the write is one transaction, so
a failed build leaves the previous bank exactly as it was. Unchanged content writes
nothing; an edited question gets a new version and keeps the old one.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from .. import i18n
from ..errors import TcptutorError
from . import models as m
from .content import (  # noqa: F401  (re-exported: build and check are one API)
    BuildReport, ContentFiles, beside_shipped, check, compile_content, read_content,
)
from .db import BankError, bank_lock, describe

if TYPE_CHECKING:  # the parser and the simulator load only when a build runs
    from ..lessons.parser import Course
    from ..questions.model import Question

from .freshness import (  # noqa: F401  (the keys: part of build's API)
    BESIDE, FINGERPRINT_KEY, INSTRUCTOR_QUESTIONS_KEY, SHIPPED, SHIPPED_FINGERPRINT_KEY, SOURCE_KEY, rebuild_reason_of,
)
RETIRE_SHOWN = 5


class RetireRefused(TcptutorError):
    """A build would retire questions and was not told it may."""


def build(engine: Engine, content: str | Path | None = None, *, force: bool = False,
          beside: bool = False, retire: bool = False) -> BuildReport:
    """Build `content` (default: the shipped lessons) into the bank; with `beside`, the
    shipped lessons and the `content` folder together. A build that would retire questions
    (in the bank, not in the content) raises RetireRefused unless `retire` is given."""
    with bank_lock(engine):
        return _build_locked(engine, content, force=force, beside=beside and content is not None, retire=retire)


def _source_of(content: str | Path | None, beside: bool) -> str:
    if content is None:
        return SHIPPED
    folder = str(Path(content).resolve())
    return BESIDE + folder if beside else folder


def _build_locked(engine: Engine, content: str | Path | None, *, force: bool, beside: bool, retire: bool,
                  keep: frozenset[str] = frozenset()) -> BuildReport:
    files = beside_shipped(content) if beside else read_content(content)
    fingerprint = files.fingerprint()
    source = _source_of(content, beside)
    with Session(engine) as session:
        stored = session.get(m.Meta, FINGERPRINT_KEY)
        stored_source = session.get(m.Meta, SOURCE_KEY)
        same_source = stored_source is not None and stored_source.value == source
        if stored is not None and stored.value == fingerprint and same_source and not force:
            lessons = session.scalar(select(func.count()).select_from(m.Lesson).where(m.Lesson.active))
            count = session.scalar(select(func.count()).select_from(m.Question).where(m.Question.active))
            return BuildReport(lessons=lessons or 0, questions=count or 0, unchanged=True)
    course, topics = compile_content(files)
    meta = {FINGERPRINT_KEY: fingerprint, SOURCE_KEY: source}
    if beside:
        shipped = read_content()
        own = set(files.lessons) - set(shipped.lessons)
        meta[SHIPPED_FINGERPRINT_KEY] = shipped.fingerprint()
        # the folder's questions, and those an automatic rebuild kept: still the instructor's
        meta[INSTRUCTOR_QUESTIONS_KEY] = json.dumps(sorted({q.id for q in course.questions if q.path in own} | keep))
    try:
        with Session(engine) as session, session.begin():
            report = _write(session, course, topics, files.scenarios, retire=retire, keep=keep)
            _write_translations(session, course)
            for key in (SHIPPED_FINGERPRINT_KEY, INSTRUCTOR_QUESTIONS_KEY):
                if key not in meta and (row := session.get(m.Meta, key)) is not None:
                    session.delete(row)
            for key, value in meta.items():
                row = session.get(m.Meta, key)
                if row is None:
                    session.add(m.Meta(key=key, value=value))
                elif row.value != value:
                    row.value = value
    except OperationalError as err:  # e.g. the disk is full: the transaction rolled back
        raise BankError(i18n._("cannot write the bank at {bank}: {error}; the previous bank is unchanged").format(
            bank=describe(engine), error=err.orig)) from None
    return report


def _stored(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        return {row.key: row.value for row in session.scalars(select(m.Meta))}


def rebuild_reason(engine: Engine) -> str | None:
    """Why the bank should be built from the shipped lessons now, or None (freshness.rebuild_reason_of)."""
    return rebuild_reason_of(_stored(engine))


def ensure_current(engine: Engine, announce=None) -> BuildReport | None:
    """Build the bank when rebuild_reason says so; None when it is up to date.

    Many processes may open a new bank at once: they take the bank's lock in turn, and all
    but the first find it built. An automatic rebuild may retire shipped questions the
    shipped lessons dropped, never an instructor's (those stay until an explicit build)."""
    if rebuild_reason(engine) is None:
        return None
    with bank_lock(engine):
        reason = rebuild_reason(engine)
        if reason is None:
            return None
        if announce is not None:
            announce(reason)
        source = _stored(engine).get(SOURCE_KEY, SHIPPED)
        if source.startswith(BESIDE):
            keep = frozenset(json.loads(_stored(engine).get(INSTRUCTOR_QUESTIONS_KEY, "[]")))
            return _build_locked(engine, source[len(BESIDE):], force=False, beside=True, retire=True, keep=keep)
        return _build_locked(engine, None, force=False, beside=False, retire=True)


def version_spec(question: Question, scenarios: dict[str, str]) -> dict:
    """What a version stores: the question, and the text of the named scenario it uses, so a
    variant is reproducible from the bank alone even after the content moves on."""
    from ..questions.variants import is_inline

    spec = question.to_spec()
    named = question.scenario if question.scenario and not is_inline(question.scenario) else None
    spec["scenario_text"] = scenarios.get(named) if named else None
    spec["lesson"] = question.lesson
    return spec


def spec_hash(spec: dict) -> str:
    payload = json.dumps(spec, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _refuse_retiring(ids: list[str]) -> RetireRefused:
    shown = ", ".join(ids[:RETIRE_SHOWN])
    if len(ids) > RETIRE_SHOWN:
        shown = i18n._("{ids} and {n} more").format(ids=shown, n=len(ids) - RETIRE_SHOWN)
    return RetireRefused(i18n.ngettext(
        "this build would retire {n} question that the content no longer has ({shown}); nothing was written. Run it "
        "again with --retire to retire them, or use --content FOLDER without --replace to add your lessons beside the "
        "shipped ones",
        "this build would retire {n} questions that the content no longer has ({shown}); nothing was written. Run it "
        "again with --retire to retire them, or use --content FOLDER without --replace to add your lessons beside the "
        "shipped ones", len(ids)).format(n=len(ids), shown=shown))


def _changed(old: dict, new: dict) -> dict:
    """The columns of `new` whose value differs from the stored row `old`."""
    return {k: v for k, v in new.items() if old.get(k) != v}


def _update_each(session: Session, table, key: str, changes: list[tuple[str, dict]]) -> None:
    """One UPDATE per changed row, only of its changed columns (unchanged content writes nothing)."""
    for row_id, values in changes:
        session.execute(update(table).where(table.c[key] == row_id).values(**values))


def _write(session: Session, course: Course, topics: dict[str, str], scenarios: dict[str, str], *,
           retire: bool = False, keep: frozenset[str] = frozenset()) -> BuildReport:
    """Bring the bank's topics, lessons, questions and versions to `course`.

    SQLAlchemy Core, not the ORM's unit of work: the stored rows are read in four queries,
    new rows go in as one multi-row INSERT per table, and only changed rows are updated
    (a first build of the shipped lessons was 1,200 statements, 0.6 s)."""
    topic_t, lesson_t, question_t = m.Topic.__table__, m.Lesson.__table__, m.Question.__table__
    version_t, qtopic_t = m.QuestionVersion.__table__, m.QuestionTopic.__table__
    report = BuildReport(lessons=len(course.lessons), questions=len(course.questions))
    live_questions = {q.id for q in course.questions}
    stored_questions = {r.id: r._asdict() for r in session.execute(
        select(question_t.c.id, question_t.c.lesson_id, question_t.c.position, question_t.c.active,
               question_t.c.current_version_id))}
    retiring = sorted({i for i, r in stored_questions.items() if r["active"]} - live_questions - keep)
    if retiring and not retire:
        raise _refuse_retiring(retiring)

    stored_topics = dict(session.execute(select(topic_t.c.id, topic_t.c.title)).all())
    new_topics = [{"id": t, "title": title} for t, title in topics.items() if t not in stored_topics]
    if new_topics:
        session.execute(insert(topic_t), new_topics)
    _update_each(session, topic_t, "id", [(t, {"title": title}) for t, title in topics.items()
                                          if t in stored_topics and stored_topics[t] != title])

    lesson_columns = ("title", "topics", "objectives", "position", "source_name", "markdown", "scenarios",
                      "content_hash", "active")
    stored_lessons = {r.id: r._asdict() for r in session.execute(
        select(lesson_t.c.id, *(lesson_t.c[c] for c in lesson_columns)))}
    new_lessons, lesson_changes, live_lessons = [], [], set()
    for position, lesson in enumerate(course.lessons):
        live_lessons.add(lesson.id)
        values = dict(title=lesson.title, topics=list(lesson.topics), objectives=list(lesson.objectives),
                      position=position, source_name=lesson.order, markdown=lesson.markdown,
                      scenarios={b.name: scenarios[b.name] for b in lesson.scenarios if b.name},
                      content_hash=lesson.content_hash, active=True)
        if lesson.id not in stored_lessons:
            new_lessons.append({"id": lesson.id, **values})
        elif changed := _changed(stored_lessons[lesson.id], values):
            lesson_changes.append((lesson.id, changed))
    if new_lessons:
        session.execute(insert(lesson_t), new_lessons)
    _update_each(session, lesson_t, "id", lesson_changes)

    versions: dict[str, dict[str, int]] = {}  # question id -> content hash -> version id
    for r in session.execute(select(version_t.c.question_id, version_t.c.content_hash, version_t.c.id)):
        versions.setdefault(r.question_id, {})[r.content_hash] = r.id
    new_questions, question_changes, new_versions, wanted = [], [], [], {}
    for position, q in enumerate(course.questions):
        spec = version_spec(q, scenarios)
        digest = spec_hash(spec)
        wanted[q.id] = digest
        values = dict(lesson_id=q.lesson, position=position, active=True)
        if q.id not in stored_questions:
            new_questions.append({"id": q.id, **values})
            report.new_questions += 1
        elif changed := _changed(stored_questions[q.id], values):
            question_changes.append((q.id, changed))
        known = versions.get(q.id, {})
        if digest not in known:
            if known:
                report.new_versions += 1
            new_versions.append((q, dict(question_id=q.id, version=len(known) + 1, content_hash=digest, kind=q.kind,
                                         difficulty=q.difficulty, spec=spec)))
    if new_questions:
        session.execute(insert(question_t), new_questions)
    _update_each(session, question_t, "id", question_changes)
    if new_versions:
        session.execute(insert(version_t), [row for _, row in new_versions])
        added = {(r.question_id, r.content_hash): r.id for r in session.execute(
            select(version_t.c.question_id, version_t.c.content_hash, version_t.c.id)
            .where(version_t.c.question_id.in_([q.id for q, _ in new_versions])))}
        for q, row in new_versions:
            versions.setdefault(q.id, {})[row["content_hash"]] = added[(q.id, row["content_hash"])]
        session.execute(insert(qtopic_t), [{"version_id": versions[q.id][row["content_hash"]], "topic_id": t}
                                           for q, row in new_versions for t in q.topics])
    _update_each(session, question_t, "id", [
        (qid, {"current_version_id": versions[qid][digest]}) for qid, digest in wanted.items()
        if stored_questions.get(qid, {}).get("current_version_id") != versions[qid][digest]])

    kept_lessons = set()
    for qid, r in stored_questions.items():
        if not r["active"] or qid in live_questions:
            continue
        if qid in keep:
            kept_lessons.add(r["lesson_id"])
        else:
            report.retired += 1
    _update_each(session, question_t, "id", [(qid, {"active": False}) for qid in retiring if qid not in keep])
    _update_each(session, lesson_t, "id", [(lid, {"active": False}) for lid, r in stored_lessons.items()
                                           if r["active"] and lid not in live_lessons and lid not in kept_lessons])
    return report


def _write_translations(session: Session, course: Course) -> None:
    """Each language's current translations: only rows that changed are written (unchanged
    content writes nothing), rows no longer current are deleted."""
    from sqlalchemy import delete

    table = m.Translation.__table__
    wanted = {(lang, kind, ref): payload for lang, catalog in sorted(course.catalogs.items())
              for kind, ref, payload in catalog.rows()}
    stored = {(r.lang, r.kind, r.ref): r.payload for r in session.execute(select(table))}
    gone = [key for key in stored if key not in wanted]
    changed = [key for key, payload in wanted.items() if key in stored and stored[key] != payload]
    for lang, kind, ref in gone + changed:
        session.execute(delete(table).where(table.c.lang == lang, table.c.kind == kind, table.c.ref == ref))
    rows = [{"lang": k[0], "kind": k[1], "ref": k[2], "payload": wanted[k]} for k in wanted if k not in stored or k in changed]
    if rows:
        session.execute(insert(table), rows)
