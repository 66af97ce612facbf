"""Reading a content folder and verifying it with the simulator: no database.

`tcptutor check` needs only this, so it never imports SQLAlchemy; bank.build writes what
compile_content returns. The parser and the simulator are imported by the functions that
use them: every bank command reads the content to tell whether the bank is current, and
that needs neither.
"""

from __future__ import annotations

import hashlib
import json
import re
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__, i18n, library
from ..i18n import N_, Said
from ..problems import ContentError, Problem

if TYPE_CHECKING:
    from ..lessons.parser import Course
    from ..questions.model import Question
    from .verifycache import VerificationCache


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
    # translations/<lang>/*.md (lessons/translation.py): lang -> shown path -> text
    translations: dict[str, dict[str, str]] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """Changes whenever any input or the simulator's version changes; depends on the
        content only (file names inside the content root and their bytes), never on the cwd."""
        h = hashlib.sha256(f"tcptutor {__version__}\n".encode())
        lessons = sorted((f"lesson:{self.names.get(k, Path(k).name)}", v) for k, v in self.lessons.items())
        topics = [("topics", text) for text, _ in self.base_topics] + [("topics", self.topics_text)]
        translated = sorted((f"translation:{lang}:{Path(k).name}", v)
                            for lang, texts in self.translations.items() for k, v in texts.items())
        for name, text in [*topics, *lessons, *sorted((f"scenario:{k}", v) for k, v in self.scenarios.items()),
                           *translated]:
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
        problems.append(Problem(_shown(path), 1, Said(N_("cannot read: {err}"), err=str(err))))
        return None
    if "\0" in text:  # PostgreSQL text cannot hold NUL, and no lesson needs one: refuse it on every database
        line = text.count("\n", 0, text.index("\0")) + 1
        problems.append(Problem(_shown(path), line, Said(N_("a NUL byte (U+0000) in the file; remove it"))))
        return None
    return text


def read_content(root: str | Path | None = None) -> ContentFiles:
    """Read a content folder. Shipped scenarios and topics are available to any folder;
    the folder's own files of the same name take precedence."""
    base = Path(root) if root else library.CONTENT
    files = ContentFiles(root=_shown(base))
    if not base.is_dir():
        files.problems.append(Problem(_shown(base), 1, Said(N_("no such content folder"))))
        return files
    lesson_dir = base / "lessons"
    if not lesson_dir.is_dir():
        files.problems.append(Problem(_shown(base), 1, Said(N_("no lessons/ folder with *.md lessons in it"))))
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
    _read_translations(base, files)
    topics_path = base / "topics.toml"
    if not topics_path.is_file():
        topics_path = library.CONTENT / "topics.toml"
    files.topics_path = _shown(topics_path)
    files.topics_text = _read(topics_path, files.problems) or ""
    return files


# translations/<lang>/: topics.toml ([topics] id = "title") and titles.toml ([titles] "the
# English title of a scenario" = "its title"), the words of the content that are no lesson
TITLE_FILES = ("topics.toml", "titles.toml")


def _read_translations(base: Path, files: ContentFiles) -> None:
    """translations/<lang>/*.md for every language tcptutor speaks besides English."""
    for lang in library.TRANSLATED_LANGUAGES:
        folder = base / "translations" / lang
        for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
            text = _read(path, files.problems)
            if text is not None:
                files.translations.setdefault(lang, {})[_shown(path)] = text
        for name in TITLE_FILES:  # the shipped titles first (they name the shipped topics and scenarios)
            for path in dict.fromkeys([library.CONTENT / "translations" / lang / name, folder / name]):
                text = _read(path, files.problems) if path.is_file() else None
                if text is not None:
                    files.translations.setdefault(lang, {})[_shown(path)] = text


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
        translations={lang: {**shipped.translations.get(lang, {}), **own.translations.get(lang, {})}
                      for lang in {*shipped.translations, *own.translations}},
    )


def _seeds(question: Question) -> range:
    return range(50) if question.varies else range(1)


def _verify_one(args: tuple[Question, dict[str, str]]) -> list[Problem]:
    """The question's errors, then its warnings (questions.lint)."""
    from ..lessons.parser import check_question

    question, scenarios = args
    return check_question(question, scenarios, _seeds(question))


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
        Problem(q.path, q.line, Said(N_("question id {qid!r} is also a shipped question ({path}:{line}); rename yours, "
                                        "or build your folder alone with --replace"),
                                     qid=q.id, path=shipped_questions[q.id].path, line=shipped_questions[q.id].line))
        for q in clashes
    ]


def compile_content(files: ContentFiles, *, workers: int | None = None,
                    cache: VerificationCache | None = None) -> tuple[Course, dict[str, str]]:
    """Parse and verify; raise ContentError listing every problem. Returns the course and topics.

    Questions in `cache` (default: the user's and the shipped verification caches) passed
    with the same content and simulator before and are not verified again; the ones that
    pass now are added to it."""
    from ..lessons.parser import parse_course, parse_topics
    from ..questions.lint import is_warning
    from .verifycache import VerificationCache, question_key

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
            problems.append(Problem(q.path, q.line, Said(N_("question {qid}: a number that is not finite (nan or inf)"), qid=q.id)))
    problems += files.problems + course.problems
    if not files.lessons and not files.problems:
        problems.append(Problem(files.root, 1, Said(N_("no lessons found (expected lessons/*.md)"))))
    cache = cache if cache is not None else VerificationCache.default()
    keys = [question_key(q, files.scenarios, _seeds(q)) for q in course.questions]
    todo = [(q, key) for q, key in zip(course.questions, keys) if key not in cache]
    jobs = [(q, files.scenarios) for q, _ in todo]
    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    if workers > 1 and len(jobs) > 20:
        from ..workers import worker_pool  # here: the fingerprint check of every command needs no pool

        with worker_pool(workers) as pool:
            results = list(pool.map(_verify_one, jobs, chunksize=4))
    else:
        results = [_verify_one(job) for job in jobs]
    for (_, key), found in zip(todo, results):
        problems += [p for p in found if not is_warning(p)]
        course.warnings += [p for p in found if is_warning(p)]
        if not found:  # only a question with nothing to say is kept: its warnings would be lost
            cache.add(key)
    course.warnings.sort()
    cache.save()  # the passes are kept even when other questions failed
    problems += _translations(files, course)
    if problems:
        raise ContentError(problems)
    return course, topics


_TITLE = re.compile(r'^title\s*=\s*"((?:[^"\\]|\\.)*)"', re.M)


def scenario_titles(files: ContentFiles, course: Course) -> dict[str, tuple[str, int]]:
    """Every scenario title a student can see (named scenarios, and the inline ones of lessons
    and questions) -> where it is written (path, line), for `check --lang`. Read with a pattern,
    not a TOML parser: a question's inline scenario holds ${placeholders} until it is varied."""
    sources = [(text, f"scenarios/{name}.toml", 1) for name, text in sorted(files.scenarios.items())]
    for lesson in course.lessons:
        sources += [(b.inline, lesson.path, b.line) for b in lesson.scenarios if b.inline]
        sources += [(q.scenario, q.path, q.line) for q in lesson.questions if q.scenario and "\n" in q.scenario]
    found: dict[str, tuple[str, int]] = {}
    for text, where, line in sources:
        if m := _TITLE.search(text):
            found.setdefault(tomllib.loads(f't = "{m.group(1)}"')["t"], (where, line))  # TOML's escapes undone
    return found


def _translations(files: ContentFiles, course: Course) -> list[Problem]:
    """Parse every translation into course.translations and each language's current texts into
    course.catalogs; what `check --lang` reports goes to course.translation_problems. Returned:
    the malformed ones (errors for any build)."""
    from ..lessons.parser import parse_topics
    from ..lessons.translation import (Catalog, check_translation, current_catalog, parse_titles, parse_translation,
                                       translation_name)

    problems: list[Problem] = []
    by_name = {translation_name(lesson.path): lesson for lesson in course.lessons}
    shown_titles = scenario_titles(files, course)
    for lang in library.TRANSLATED_LANGUAGES:
        found = course.translation_problems.setdefault(lang, [])
        catalog, translated = Catalog(lang), []
        for path, text in files.translations.get(lang, {}).items():
            if path.endswith(("topics.toml", "titles.toml")):  # the topics' titles; the scenarios', by their English
                topics = path.endswith("topics.toml")
                names, name_problems = (parse_topics if topics else parse_titles)(text, path)
                problems += name_problems
                (catalog.topics if topics else catalog.titles).update(names)
                continue
            tr, tr_problems = parse_translation(text, path, lang)
            problems += tr_problems
            if tr is None:
                continue
            lesson = by_name.get(translation_name(path))
            if lesson is None or lesson.id != tr.lesson:
                problems.append(Problem(path, tr.line, Said(N_("translates lesson {lesson!r}, but no English lesson "
                                                               "{name} has that id"), lesson=tr.lesson,
                                                            name=translation_name(path))))
                continue
            translated.append(tr)
            found += check_translation(lesson, tr)
        course.translations += translated
        current = current_catalog(course.lessons, translated, lang)
        catalog.lessons, catalog.questions = current.lessons, current.questions
        if files.translations.get(lang):
            course.catalogs[lang] = catalog
        found += [Problem(files.topics_path, 1, Said(N_("topic {topic!r} has no {lang} title (translations/{lang}/topics.toml)"),
                                                     topic=t, lang=lang))
                  for t in sorted({t for lesson in course.lessons for t in lesson.topics} - set(catalog.topics))]
        found += [Problem(where, line, Said(N_("scenario title {title!r} has no {lang} title (translations/{lang}/titles.toml)"),
                                            title=title, lang=lang))
                  for title, (where, line) in sorted(shown_titles.items()) if title not in catalog.titles]
        done = {tr.lesson for tr in translated}
        found += [Problem(lesson.path, 1, Said(N_("lesson {lesson} has no {lang} translation (translations/{lang}/{name}; "
                                                  "`tcptutor translate {lesson} --lang {lang}` writes one to start from)"),
                                               lesson=lesson.id, lang=lang, name=translation_name(lesson.path)))
                  for lesson in course.lessons if lesson.id not in done]
        found.sort()
    return problems


@dataclass
class BuildReport:
    lessons: int = 0
    questions: int = 0
    new_questions: int = 0
    new_versions: int = 0
    retired: int = 0
    unchanged: bool = False
    warnings: list[Problem] = field(default_factory=list)  # check's `path:line: warning: ...`
    # per language: stale, missing or mismatched translations (`check --lang` reports them)
    translation_problems: dict[str, list[Problem]] = field(default_factory=dict)
    translated: dict[str, tuple[int, int]] = field(default_factory=dict)  # lang -> (lessons, questions) current

    def summary(self) -> str:
        if self.unchanged:
            return i18n._("bank up to date: {lessons} lessons, {questions} questions (nothing written)").format(
                lessons=self.lessons, questions=self.questions)
        return i18n._("built {lessons} lessons, {questions} questions: {new} new, {versions} new versions of edited "
                      "questions, {retired} retired").format(lessons=self.lessons, questions=self.questions,
                                                             new=self.new_questions, versions=self.new_versions,
                                                             retired=self.retired)


def check(content: str | Path | None = None) -> BuildReport:
    """Verify without writing: what an instructor's CI runs."""
    course, _ = compile_content(read_content(content))
    translated = {lang: (len(c.lessons), len(c.questions)) for lang, c in course.catalogs.items()}
    return BuildReport(translated=translated, lessons=len(course.lessons), questions=len(course.questions), unchanged=True,
                       warnings=course.warnings, translation_problems=course.translation_problems)


