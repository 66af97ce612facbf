"""`tcptutor build` / `check`: read the content, verify it with the simulator, write the bank.

Everything is verified before anything is written, and the write is one transaction, so
a failed build leaves the previous bank exactly as it was. Unchanged content writes
nothing; an edited question gets a new version and keeps the old one.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from .. import __version__, library
from ..lessons.parser import Course, parse_course, parse_topics, verify_question
from ..problems import ContentError, Problem
from ..questions.model import Question
from ..questions.variants import is_inline
from . import models as m

FINGERPRINT_KEY = "content_fingerprint"
SOURCE_KEY = "content_source"  # "shipped", or the folder an instructor built from
SHIPPED = "shipped"


@dataclass
class ContentFiles:
    """The texts of a content folder (lessons/, scenarios/, topics.toml), as read from disk."""

    root: str
    lessons: dict[str, str] = field(default_factory=dict)
    scenarios: dict[str, str] = field(default_factory=dict)
    topics_text: str = ""
    topics_path: str = ""
    problems: list[Problem] = field(default_factory=list)

    def fingerprint(self) -> str:
        """Changes whenever any input or the simulator's version changes."""
        h = hashlib.sha256(f"tcptutor {__version__}\n".encode())
        for name, text in [("topics", self.topics_text), *sorted(self.lessons.items()),
                           *sorted((f"scenario:{k}", v) for k, v in self.scenarios.items())]:
            h.update(f"\0{name}\0{text}".encode())
        return h.hexdigest()


def _shown(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def _read(path: Path, problems: list[Problem]) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        problems.append(Problem(_shown(path), 1, f"cannot read: {err}"))
        return None


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


def _verify_one(args: tuple[Question, dict[str, str]]) -> list[Problem]:
    question, scenarios = args
    seeds = range(50) if question.kind == "predict" else range(1)
    return verify_question(question, scenarios, seeds)


def compile_content(files: ContentFiles, *, workers: int | None = None) -> tuple[Course, dict[str, str]]:
    """Parse and verify; raise ContentError listing every problem. Returns the course and topics."""
    topics, problems = parse_topics(files.topics_text, files.topics_path)
    course = parse_course(files.lessons, files.scenarios, topics)
    problems += files.problems + course.problems
    if not files.lessons and not files.problems:
        problems.append(Problem(files.root, 1, "no lessons found (expected lessons/*.md)"))
    jobs = [(q, files.scenarios) for q in course.questions]
    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    if workers > 1 and len(jobs) > 20:
        with ProcessPoolExecutor(workers) as pool:
            results = list(pool.map(_verify_one, jobs, chunksize=4))
    else:
        results = [_verify_one(job) for job in jobs]
    for found in results:
        problems += found
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

    def summary(self) -> str:
        if self.unchanged:
            return f"bank up to date: {self.lessons} lessons, {self.questions} questions (nothing written)"
        return (f"built {self.lessons} lessons, {self.questions} questions: {self.new_questions} new, "
                f"{self.new_versions} new versions of edited questions, {self.retired} retired")


def check(content: str | Path | None = None) -> BuildReport:
    """Verify without writing: what an instructor's CI runs."""
    course, _ = compile_content(read_content(content))
    return BuildReport(lessons=len(course.lessons), questions=len(course.questions), unchanged=True)


def build(engine: Engine, content: str | Path | None = None, *, force: bool = False) -> BuildReport:
    files = read_content(content)
    fingerprint = files.fingerprint()
    with Session(engine) as session:
        stored = session.get(m.Meta, FINGERPRINT_KEY)
        if stored is not None and stored.value == fingerprint and not force:
            lessons = session.scalar(select(func.count()).select_from(m.Lesson).where(m.Lesson.active))
            count = session.scalar(select(func.count()).select_from(m.Question).where(m.Question.active))
            return BuildReport(lessons=lessons or 0, questions=count or 0, unchanged=True)
    course, topics = compile_content(files)
    with Session(engine) as session, session.begin():
        report = _write(session, course, topics, files.scenarios)
        for key, value in ((FINGERPRINT_KEY, fingerprint), (SOURCE_KEY, str(content) if content else SHIPPED)):
            meta = session.get(m.Meta, key)
            if meta is None:
                session.add(m.Meta(key=key, value=value))
            elif meta.value != value:
                meta.value = value
    return report


def rebuild_reason(engine: Engine) -> str | None:
    """Why the default bank should be built from the shipped lessons now, or None.

    On first use it is empty; after a `git pull` or an upgrade the shipped lessons may have
    changed, and the bank rebuilds itself instead of going stale. A bank built from an
    instructor's folder (or by an older tcptutor, which recorded no source) is left alone.
    """
    with Session(engine) as session:
        source = session.get(m.Meta, SOURCE_KEY)
        stored = session.get(m.Meta, FINGERPRINT_KEY)
    if stored is None:
        return "building the question bank from the shipped lessons (first use)"
    if source is None or source.value != SHIPPED:
        return None
    if stored.value != read_content().fingerprint():
        return "the shipped lessons changed; rebuilding the question bank"
    return None


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


def _write(session: Session, course: Course, topics: dict[str, str], scenarios: dict[str, str]) -> BuildReport:
    report = BuildReport(lessons=len(course.lessons), questions=len(course.questions))
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
    live_questions = set()
    for position, q in enumerate(course.questions):
        live_questions.add(q.id)
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
    for row in session.scalars(select(m.Question).where(m.Question.active)):
        if row.id not in live_questions:
            row.active = False
            report.retired += 1
    for row in session.scalars(select(m.Lesson).where(m.Lesson.active)):
        if row.id not in live_lessons:
            row.active = False
    return report
