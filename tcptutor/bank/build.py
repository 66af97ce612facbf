"""`tcptutor build` / `check`: read the content, verify it with the simulator, write the bank.

Everything is verified before anything is written, and the write is one transaction, so
a failed build leaves the previous bank exactly as it was. Unchanged content writes
nothing; an edited question gets a new version and keeps the old one.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from .. import __version__, library
from ..errors import TcptutorError
from ..lessons.parser import Course, check_question, parse_course, parse_topics
from ..questions.lint import is_warning
from ..problems import ContentError, Problem
from ..questions.model import Question
from ..questions.variants import is_inline
from . import models as m
from .db import BankError, bank_lock, describe

FINGERPRINT_KEY = "content_fingerprint"
# "shipped"; "shipped+FOLDER" (an instructor's folder beside the shipped lessons); or FOLDER
# alone (built with --replace). FOLDER is an absolute path, so the bank means the same from any cwd.
SOURCE_KEY = "content_source"
SHIPPED = "shipped"
BESIDE = "shipped+"
SHIPPED_FINGERPRINT_KEY = "shipped_fingerprint"  # of the shipped part of a shipped+FOLDER bank
INSTRUCTOR_QUESTIONS_KEY = "instructor_questions"  # JSON ids from FOLDER: an automatic rebuild never retires them
RETIRE_SHOWN = 5


class RetireRefused(TcptutorError):
    """A build would retire questions and was not told it may."""


@dataclass
class ContentFiles:
    """The texts of a content folder (lessons/, scenarios/, topics.toml), as read from disk."""

    root: str
    lessons: dict[str, str] = field(default_factory=dict)
    scenarios: dict[str, str] = field(default_factory=dict)
    topics_text: str = ""
    topics_path: str = ""
    problems: list[Problem] = field(default_factory=list)
    # lesson key (a path as shown to the user, relative to the cwd) -> its name inside the
    # content root: what the fingerprint hashes, so it does not change with the cwd
    names: dict[str, str] = field(default_factory=dict)
    # topics files merged before topics_text (the shipped ones, for a folder beside them)
    base_topics: list[tuple[str, str]] = field(default_factory=list)

    def fingerprint(self) -> str:
        """Changes whenever any input or the simulator's version changes; depends on the
        content only (file names inside the content root and their bytes), never on the cwd."""
        h = hashlib.sha256(f"tcptutor {__version__}\n".encode())
        lessons = sorted((f"lesson:{self.names.get(k, Path(k).name)}", v) for k, v in self.lessons.items())
        topics = [("topics", text) for text, _ in self.base_topics] + [("topics", self.topics_text)]
        for name, text in [*topics, *lessons, *sorted((f"scenario:{k}", v) for k, v in self.scenarios.items())]:
            h.update(f"\0{name}\0{text}".encode())
        return h.hexdigest()


def _shown(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def _read(path: Path, problems: list[Problem]) -> str | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        problems.append(Problem(_shown(path), 1, f"cannot read: {err}"))
        return None
    if "\0" in text:  # PostgreSQL text cannot hold NUL, and no lesson needs one: refuse it on every database
        line = text.count("\n", 0, text.index("\0")) + 1
        problems.append(Problem(_shown(path), line, "a NUL byte (U+0000) in the file; remove it"))
        return None
    return text


def read_content(root: str | Path | None = None) -> ContentFiles:
    """Read a content folder. Shipped scenarios and topics are available to any folder;
    the folder's own files of the same name take precedence."""
    base = Path(root) if root else library.CONTENT
    files = ContentFiles(root=_shown(base))
    if not base.is_dir():
        files.problems.append(Problem(_shown(base), 1, "no such content folder"))
        return files
    lesson_dir = base / "lessons"
    if not lesson_dir.is_dir():
        files.problems.append(Problem(_shown(base), 1, "no lessons/ folder with *.md lessons in it"))
    for path in sorted(lesson_dir.glob("*.md")) if lesson_dir.is_dir() else []:
        text = _read(path, files.problems)
        if text is not None:
            files.lessons[_shown(path)] = text
            files.names[_shown(path)] = f"lessons/{path.name}"
    for folder in dict.fromkeys([library.SCENARIOS, base / "scenarios"]):
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
            text = _read(path, files.problems)
            if text is not None:
                files.scenarios[path.stem] = text
    topics_path = base / "topics.toml"
    if not topics_path.is_file():
        topics_path = library.CONTENT / "topics.toml"
    files.topics_path = _shown(topics_path)
    files.topics_text = _read(topics_path, files.problems) or ""
    return files


def beside_shipped(root: str | Path) -> ContentFiles:
    """The shipped lessons and an instructor's folder, read as one content: the folder's
    lessons come after the shipped ones, its topics add to (or retitle) the shipped topics,
    and a question id used by both is a problem at the folder's question (path:line)."""
    shipped, own = read_content(), read_content(root)
    if Path(root).resolve() == library.CONTENT.resolve():
        return shipped
    return ContentFiles(
        root=own.root, lessons={**shipped.lessons, **own.lessons}, scenarios=own.scenarios,
        topics_text=own.topics_text, topics_path=own.topics_path, problems=shipped.problems + own.problems,
        names={**{k: f"shipped/{v}" for k, v in shipped.names.items()}, **own.names},
        base_topics=[] if own.topics_path == shipped.topics_path else [(shipped.topics_text, shipped.topics_path)],
    )


def _die_with_parent(parent: int) -> None:
    """Pool worker initializer: a worker must not outlive the build (even after kill -9 of
    it). Linux: prctl(PR_SET_DEATHSIG, SIGKILL); elsewhere, and against the race of the
    parent dying before prctl ran, a daemon thread that watches os.getppid()."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_DEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            threading.Event().wait(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="die-with-parent").start()


def _verify_one(args: tuple[Question, dict[str, str]]) -> list[Problem]:
    question, scenarios = args
    seeds = range(50) if question.varies else range(1)
    return check_question(question, scenarios, seeds)


def _shipped_clashes(files: ContentFiles, course: Course) -> list[Problem]:
    """The course's problems, with a question id that a folder beside the shipped lessons
    shares with a shipped question reported at the folder's question (the one to rename)."""
    shipped = {k for k, v in files.names.items() if v.startswith("shipped/")}
    if not shipped or shipped == set(files.lessons):
        return course.problems
    shipped_questions = {q.id: q for q in course.questions if q.path in shipped}
    clashes = [q for q in course.questions if q.path not in shipped and q.id in shipped_questions]
    ids = {q.id for q in clashes}
    kept = [p for p in course.problems if not any(p.message.startswith(f"duplicate question id {i!r}") for i in ids)]
    return kept + [
        Problem(q.path, q.line, f"question id {q.id!r} is also a shipped question "
                                f"({shipped_questions[q.id].path}:{shipped_questions[q.id].line}); rename yours, "
                                "or build your folder alone with --replace")
        for q in clashes
    ]


def compile_content(files: ContentFiles, *, workers: int | None = None) -> tuple[Course, dict[str, str]]:
    """Parse and verify; raise ContentError listing every problem. Returns the course and topics."""
    topics: dict[str, str] = {}
    problems: list[Problem] = []
    for text, path in [*files.base_topics, (files.topics_text, files.topics_path)]:
        found, found_problems = parse_topics(text, path)
        topics.update(found)
        problems += found_problems
    course = parse_course(files.lessons, files.scenarios, topics)
    # lessons in the order they were read (the shipped ones first), not by the shown path,
    # which depends on the cwd
    order = {path: i for i, path in enumerate(files.lessons)}
    course.lessons.sort(key=lambda lesson: order.get(lesson.path, len(order)))
    course.problems = _shipped_clashes(files, course)
    for q in course.questions:
        try:
            json.dumps(q.to_spec(), allow_nan=False)
        except ValueError:
            problems.append(Problem(q.path, q.line, f"question {q.id}: a number that is not finite (nan or inf)"))
    problems += files.problems + course.problems
    if not files.lessons and not files.problems:
        problems.append(Problem(files.root, 1, "no lessons found (expected lessons/*.md)"))
    jobs = [(q, files.scenarios) for q in course.questions]
    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    if workers > 1 and len(jobs) > 20:
        with ProcessPoolExecutor(workers, initializer=_die_with_parent, initargs=(os.getpid(),)) as pool:
            results = list(pool.map(_verify_one, jobs, chunksize=4))
    else:
        results = [_verify_one(job) for job in jobs]
    for found in results:
        problems += [p for p in found if not is_warning(p)]
        course.warnings += [p for p in found if is_warning(p)]
    course.warnings.sort()
    if problems:
        raise ContentError(problems)
    return course, topics


@dataclass
class BuildReport:
    lessons: int = 0
    questions: int = 0
    new_questions: int = 0
    new_versions: int = 0
    retired: int = 0
    unchanged: bool = False
    warnings: list[Problem] = field(default_factory=list)  # check's `path:line: warning: ...`

    def summary(self) -> str:
        if self.unchanged:
            return f"bank up to date: {self.lessons} lessons, {self.questions} questions (nothing written)"
        return (f"built {self.lessons} lessons, {self.questions} questions: {self.new_questions} new, "
                f"{self.new_versions} new versions of edited questions, {self.retired} retired")


def check(content: str | Path | None = None) -> BuildReport:
    """Verify without writing: what an instructor's CI runs."""
    course, _ = compile_content(read_content(content))
    return BuildReport(lessons=len(course.lessons), questions=len(course.questions), unchanged=True,
                       warnings=course.warnings)


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
        raise BankError(f"cannot write the bank at {describe(engine)}: {err.orig}; "
                        "the previous bank is unchanged") from None
    return report


def _stored(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        return {row.key: row.value for row in session.scalars(select(m.Meta))}


def rebuild_reason(engine: Engine) -> str | None:
    """Why the default bank should be built from the shipped lessons now, or None.

    On first use it is empty; after a `git pull` or an upgrade the shipped lessons may have
    changed, and the bank rebuilds itself instead of going stale. A bank holding an
    instructor's folder beside the shipped lessons rebuilds both (keeping the folder's
    questions) when the shipped part changed, if the folder is still there. A bank built
    from a folder alone (or by an older tcptutor, which recorded no source) is left alone.
    """
    stored = _stored(engine)
    if FINGERPRINT_KEY not in stored:
        return "building the question bank from the shipped lessons (first use)"
    source = stored.get(SOURCE_KEY)
    if source == SHIPPED:
        if stored[FINGERPRINT_KEY] != read_content().fingerprint():
            return "the shipped lessons changed; rebuilding the question bank"
    elif source is not None and source.startswith(BESIDE):
        folder = source[len(BESIDE):]
        if stored.get(SHIPPED_FINGERPRINT_KEY) != read_content().fingerprint() and Path(folder).is_dir():
            return f"the shipped lessons changed; rebuilding the question bank with the lessons of {folder}"
    return None


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
    spec = question.to_spec()
    named = question.scenario if question.scenario and not is_inline(question.scenario) else None
    spec["scenario_text"] = scenarios.get(named) if named else None
    spec["lesson"] = question.lesson
    return spec


def spec_hash(spec: dict) -> str:
    payload = json.dumps(spec, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _set(row, **values) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    return changed


def _refuse_retiring(ids: list[str]) -> RetireRefused:
    shown = ", ".join(ids[:RETIRE_SHOWN]) + (f" and {len(ids) - RETIRE_SHOWN} more" if len(ids) > RETIRE_SHOWN else "")
    return RetireRefused(
        f"this build would retire {len(ids)} question{'s' if len(ids) != 1 else ''} that the content no longer has "
        f"({shown}); nothing was written. Run it again with --retire to retire them, or use --content FOLDER "
        "without --replace to add your lessons beside the shipped ones")


def _write(session: Session, course: Course, topics: dict[str, str], scenarios: dict[str, str], *,
           retire: bool = False, keep: frozenset[str] = frozenset()) -> BuildReport:
    report = BuildReport(lessons=len(course.lessons), questions=len(course.questions))
    live_questions = {q.id for q in course.questions}
    retiring = sorted(set(session.scalars(select(m.Question.id).where(m.Question.active))) - live_questions - keep)
    if retiring and not retire:
        raise _refuse_retiring(retiring)
    for topic_id, title in topics.items():
        row = session.get(m.Topic, topic_id)
        if row is None:
            session.add(m.Topic(id=topic_id, title=title))
        else:
            _set(row, title=title)
    session.flush()
    live_lessons = set()
    for position, lesson in enumerate(course.lessons):
        live_lessons.add(lesson.id)
        values = dict(title=lesson.title, topics=list(lesson.topics), objectives=list(lesson.objectives),
                      position=position, source_name=lesson.order, markdown=lesson.markdown,
                      scenarios={b.name: scenarios[b.name] for b in lesson.scenarios if b.name},
                      content_hash=lesson.content_hash, active=True)
        row = session.get(m.Lesson, lesson.id)
        if row is None:
            session.add(m.Lesson(id=lesson.id, **values))
        else:
            _set(row, **values)
    session.flush()
    for position, q in enumerate(course.questions):
        spec = version_spec(q, scenarios)
        digest = spec_hash(spec)
        row = session.get(m.Question, q.id)
        if row is None:
            row = m.Question(id=q.id, lesson_id=q.lesson, position=position, active=True)
            session.add(row)
            session.flush()
            report.new_questions += 1
        else:
            _set(row, lesson_id=q.lesson, position=position, active=True)
        version = next((v for v in row.versions if v.content_hash == digest), None)
        if version is None:
            if row.versions:
                report.new_versions += 1
            version = m.QuestionVersion(
                question_id=q.id, version=len(row.versions) + 1, content_hash=digest, kind=q.kind,
                difficulty=q.difficulty, spec=spec,
                topics=[m.QuestionTopic(topic_id=t) for t in q.topics],
            )
            session.add(version)
            session.flush()
            row.versions.append(version)
        if row.current_version_id != version.id:
            row.current_version_id = version.id
    kept_lessons = set()
    for row in session.scalars(select(m.Question).where(m.Question.active)):
        if row.id in keep and row.id not in live_questions:
            kept_lessons.add(row.lesson_id)
        elif row.id not in live_questions:
            row.active = False
            report.retired += 1
    for row in session.scalars(select(m.Lesson).where(m.Lesson.active)):
        if row.id not in live_lessons and row.id not in kept_lessons:
            row.active = False
    return report
