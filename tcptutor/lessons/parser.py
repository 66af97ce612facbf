"""Markdown lessons -> Lesson values (pure: the caller passes file texts in).

markdown-it-py's token maps give each fenced block's lines, so every problem is reported
as path:line, and all of them at once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field

from markdown_it import MarkdownIt

from ..i18n import N_, Said
from ..problems import Problem
from ..questions.model import ID_RE, Question, question_from_toml
from ..questions.lint import question_warnings
from ..questions.variants import VariantError, is_inline, make_variant
from ..tcp.limits import too_deep_message, toml_too_deep
from ..tcp.scenario import parse_scenario
from ..errors import ScenarioError

VERIFY_SEEDS = range(50)
LESSON_KEYS = {"id", "topics", "objectives"}
_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")


@dataclass(frozen=True)
class ScenarioBlock:
    line: int
    name: str | None  # a named scenario
    inline: str | None  # or a whole scenario in TOML
    relative: bool = False


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    topics: tuple[str, ...]
    objectives: tuple[str, ...]
    path: str
    markdown: str
    scenarios: tuple[ScenarioBlock, ...] = ()
    questions: tuple[Question, ...] = ()
    order: str = ""

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.markdown.encode()).hexdigest()[:16]

    @property
    def predict_count(self) -> int:
        return sum(q.kind == "predict" for q in self.questions)


@dataclass
class Course:
    lessons: list[Lesson] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # what `check` reports without failing
    # lessons/translation.py: the parsed translations, and per language what `check --lang`
    # reports (stale, missing, mismatched texts); a malformed translation is a problem above
    translations: list = field(default_factory=list)
    translation_problems: dict[str, list[Problem]] = field(default_factory=dict)
    catalogs: dict = field(default_factory=dict)  # lang -> lessons.translation.Catalog: its current texts

    @property
    def questions(self) -> list[Question]:
        return [q for lesson in self.lessons for q in lesson.questions]


def load_block(content: str, offset: int, path: str, where: str = "") -> tuple[dict | None, Problem | None]:
    """tomllib on one block (or file): a problem instead of a traceback, whatever the text.

    Nesting is checked first: tomllib recurses once per level, and `a = [[[[...]]]]` would
    end in a RecursionError. `offset` is the file line before the block's first line;
    `where` is worded like " in the question block" (a Said: the CLI says it in Chinese too).
    """
    deep_at = toml_too_deep(content)
    if deep_at is not None:
        return None, Problem(path, offset + deep_at, too_deep_message(where))
    try:
        return tomllib.loads(content), None
    except RecursionError:  # the pre-check is the guard; this only backs it up
        return None, Problem(path, offset + 1, too_deep_message(where))
    except tomllib.TOMLDecodeError as err:
        return None, Problem(path, _toml_line(err, offset), Said(N_("malformed TOML{where}: {detail}"), where=where,
                                                                 detail=_toml_message(err)))


def parse_topics(text: str, path: str) -> tuple[dict[str, str], list[Problem]]:
    return parse_names(text, path, "topics", 'id = "title"')


def parse_names(text: str, path: str, table: str, shape: str) -> tuple[dict[str, str], list[Problem]]:
    """A file holding one [table] of names (topics.toml, a translation's titles.toml)."""
    data, problem = load_block(text, 0, path)
    if problem:
        return {}, [problem]
    names = data.get(table)
    if not isinstance(names, dict) or not all(isinstance(v, str) for v in names.values()):
        return {}, [Problem(path, 1, Said(N_("expected a [{table}] table of {shape}"), table=table, shape=shape))]
    return dict(names), []


def _toml_line(err: tomllib.TOMLDecodeError, offset: int) -> int:
    m = _TOML_LINE.search(str(err))
    return offset + (int(m.group(1)) if m else 1)


def _toml_message(err: tomllib.TOMLDecodeError) -> str:
    return _TOML_LINE.sub("", str(err)).strip()


def _key_line_finder(content: str, first_line: int):
    """line_of(key): the file line where `key =` (or [[key]] / [key]) first appears in a block."""
    lines = content.splitlines()

    def line_of(key: str | None) -> int:
        if key:
            pattern = re.compile(rf"^\s*(\[\[?\s*{re.escape(key)}\s*\]\]?|{re.escape(key)}\s*=|\"{re.escape(key)}\"\s*=)")
            for i, text in enumerate(lines):
                if pattern.match(text):
                    return first_line + i
        return first_line

    return line_of


def parse_lesson(text: str, path: str, *, topics: Mapping[str, str], scenario_names: set[str]) -> tuple[Lesson | None, list[Problem]]:
    problems: list[Problem] = []
    tokens = MarkdownIt("commonmark").parse(text)
    title = None
    meta: dict | None = None
    meta_lines = _key_line_finder("", 1)
    has_mistakes = False
    blocks: list[ScenarioBlock] = []
    raw_questions: list[tuple[dict, int, object, str]] = []
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open":
            heading = tokens[i + 1].content.strip()
            line = tok.map[0] + 1
            if tok.tag == "h1":
                if title is not None:
                    problems.append(Problem(path, line, Said(N_("a second title (# {heading}); a lesson has one # title"),
                                                             heading=heading)))
                title = heading
            elif tok.tag == "h2" and heading.lower() == "common mistakes":
                has_mistakes = True
            continue
        if tok.type != "fence":
            continue
        info = tok.info.strip().split()
        kind = info[0] if info else ""
        first = tok.map[0] + 2  # file line of the block's first content line
        if kind not in ("lesson", "question", "scenario"):
            continue
        if kind == "scenario":
            block, problem = _scenario_block(tok.content, first - 1, path, scenario_names)
            if problem:
                problems.append(problem)
            else:
                blocks.append(block)
            continue
        data, problem = load_block(tok.content, first - 1, path, Said(N_(" in the {kind} block"), kind=kind))
        if problem:
            problems.append(problem)
            continue
        line_of = _key_line_finder(tok.content, first)
        if kind == "lesson":
            if meta is not None:
                problems.append(Problem(path, first - 1, Said(N_("a second lesson block; a lesson has one"))))
            meta, meta_lines = data, line_of
            for key in sorted(set(data) - LESSON_KEYS):
                problems.append(Problem(path, line_of(key), Said(N_(
                    "unknown field {key!r} in the lesson block; expected id, topics, objectives"), key=key)))
        else:
            raw_questions.append((data, first, line_of, tok.content))

    if title is None:
        problems.append(Problem(path, 1, Said(N_("no title: a lesson starts with a # Title line"))))
    if meta is None:
        problems.append(Problem(path, 1, Said(N_("no ```lesson block (with id, topics, objectives)"))))
        return None, problems
    lesson_id = meta.get("id")
    if not isinstance(lesson_id, str) or not ID_RE.match(lesson_id):
        problems.append(Problem(path, meta_lines("id"), Said(N_(
            "lesson id must be lowercase letters, digits and dashes; got {lesson_id!r}"), lesson_id=lesson_id)))
        lesson_id = "?"
    lesson_topics = meta.get("topics")
    if not isinstance(lesson_topics, list) or not lesson_topics:
        problems.append(Problem(path, meta_lines("topics"), Said(N_("the lesson block needs topics = [...]"))))
        lesson_topics = []
    for t in lesson_topics:
        if t not in topics:
            problems.append(Problem(path, meta_lines("topics"), Said(N_("unknown topic {topic!r}; known topics: {known}"),
                                                                     topic=t, known=", ".join(sorted(topics)))))
    objectives = meta.get("objectives")
    if not isinstance(objectives, list) or not objectives or not all(isinstance(o, str) for o in objectives):
        problems.append(Problem(path, meta_lines("objectives"), Said(N_(
            "the lesson block needs objectives = [\"...\", ...] (learning objectives)"))))
        objectives = []
    if not has_mistakes:
        problems.append(Problem(path, 1, Said(N_("no '## Common mistakes' section"))))

    questions = []
    for data, first, line_of, source in raw_questions:
        q, q_problems = question_from_toml(data, path=path, line_of=line_of, lesson=lesson_id, topics=set(topics), source=source)
        problems += q_problems
        if q is not None:
            if q.scenario and not is_inline(q.scenario) and q.scenario not in scenario_names:
                problems.append(Problem(path, line_of("scenario"), Said(N_("question {qid}: no scenario named {name!r}"),
                                                                        qid=q.id, name=q.scenario)))
                continue
            questions.append(q)
    lesson = Lesson(
        id=lesson_id, title=title or "", topics=tuple(lesson_topics), objectives=tuple(objectives),
        path=path, markdown=text, scenarios=tuple(blocks), questions=tuple(questions),
    )
    return lesson, problems


def _scenario_block(content: str, fence_line: int, path: str, names: set[str]) -> tuple[ScenarioBlock | None, Problem | None]:
    stripped = content.strip()
    if "steps" in stripped and "\n" in stripped:
        try:
            parse_scenario(content, path)
        except ScenarioError as err:
            line = fence_line + (err.line or 1)
            return None, Problem(path, line, Said(N_("scenario block: {detail}"), detail=err.message))
        return ScenarioBlock(fence_line, None, content), None
    words = stripped.split()
    if not words or len(words) > 2 or (len(words) == 2 and words[1] != "relative"):
        return None, Problem(path, fence_line, Said(N_(
            "a scenario block holds a scenario name (optionally followed by 'relative') or a scenario in TOML")))
    if words[0] not in names:
        return None, Problem(path, fence_line + 1, Said(N_("no scenario named {name!r}; named scenarios: {names}"),
                                                        name=words[0], names=", ".join(sorted(names))))
    return ScenarioBlock(fence_line, words[0], None, len(words) == 2), None


def parse_course(lesson_files: Mapping[str, str], scenarios: Mapping[str, str], topics: Mapping[str, str]) -> Course:
    """Parse every lesson; check what spans files (duplicate ids). Does not simulate."""
    course = Course()
    names = set(scenarios)
    for path in sorted(lesson_files):
        lesson, problems = parse_lesson(lesson_files[path], path, topics=topics, scenario_names=names)
        course.problems += problems
        if lesson is not None:
            course.lessons.append(dataclasses.replace(lesson, order=path.rsplit("/", 1)[-1]))
    seen_lessons: dict[str, str] = {}
    for lesson in course.lessons:
        if lesson.id in seen_lessons:
            course.problems.append(Problem(lesson.path, 1, Said(N_("lesson id {lesson_id!r} is also used by {other}"),
                                                                lesson_id=lesson.id, other=seen_lessons[lesson.id])))
        seen_lessons.setdefault(lesson.id, lesson.path)
    seen: dict[str, Question] = {}
    for q in course.questions:
        if q.id in seen:
            other = seen[q.id]
            course.problems.append(Problem(q.path, q.line, Said(N_("duplicate question id {qid!r} (also at {path}:{line})"),
                                                                qid=q.id, path=other.path, line=other.line)))
        else:
            seen[q.id] = q
    return course


def verify_question(question: Question, scenarios: Mapping[str, str], seeds=VERIFY_SEEDS) -> list[Problem]:
    """Build the question's variant for every seed; the first failing seed is reported."""
    return check_question(question, scenarios, seeds, warnings=False)


def check_question(question: Question, scenarios: Mapping[str, str], seeds=VERIFY_SEEDS, *,
                   warnings: bool = True) -> list[Problem]:
    """verify_question, then (when every seed works) the question's warnings (questions/lint.py):
    Problems whose message starts with "warning: "."""
    variants = []
    for seed in seeds:
        try:
            variants.append(make_variant(question, seed, scenarios))
        except (VariantError, ScenarioError) as err:
            return [Problem(question.path, question.line, Said(N_("question {qid} (seed {seed}): {err}"), qid=question.id,
                                                               seed=seed, err=str(err)))]
    return question_warnings(question, variants, scenarios) if warnings else []
