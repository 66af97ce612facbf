"""Translated lessons: parsing, checking against the English, and applying them (pure).

A translation is a Markdown file beside the English lessons, `translations/<lang>/NN-name.md`
(the English file's name), written as content/README.md "Translations" describes. Every text
records the hash of the English text it translates (`source`), so a translation cannot go
stale unnoticed: when the English changes, the hash no longer matches, `check --lang` reports
it, and the reader falls back to the English until a translator has looked (as gettext does
with a fuzzy entry). Only the words are translated: answers, scenarios and grading come from
the English question, so grading is the same in every language.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from markdown_it import MarkdownIt

from ..i18n import N_, Said
from ..problems import Problem
from ..questions.model import Question
from .parser import load_block, parse_names

TRANSLATION_KEYS = {"lesson", "source", "objectives"}
QUESTION_KEYS = {"id", "source", "prompt", "explanation", "options", "items", "labels"}
OPTION_KEYS = {"text", "feedback"}
# The headings a translated lesson must have, per language: the glossary (term / RFC name /
# Linux name) and the common mistakes, as every English lesson has.
REQUIRED_HEADINGS = {"zh": ("术语表", "常见错误")}
GLOSSARY_HEADING = {"zh": "术语表"}
GLOSSARY_TABLE = {"zh": ("| 中文 | RFC 9293 | Linux | 说明 |", "| --- | --- | --- | --- |")}
PLACEHOLDER_RE = re.compile(r"\{([^{}\n]+)\}")
CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
LATIN_WORD_RE = re.compile(r"[A-Za-z]{2,}")


def source_hash(texts: object) -> str:
    """The hash recorded beside a translation: of the English texts, as canonical JSON."""
    payload = json.dumps(texts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def question_texts(question: Question) -> dict:
    """What a translation of `question` translates: its words, never its answers."""
    texts: dict = {"prompt": question.prompt, "explanation": question.explanation}
    if question.options:
        texts["options"] = [[o.text, o.feedback] for o in question.options]
    if question.items:
        texts["items"] = list(question.items)
    labels = own_labels(question)
    if labels:
        texts["labels"] = labels
    return texts


def own_labels(question: Question) -> dict[str, str]:
    """The labels the author wrote (asks and numeric parts); generated ones come from the catalog."""
    labels = {a.field: a.label for a in question.asks if a.label}
    labels.update({p.field: p.label for p in question.parts if p.label})
    return labels


def question_source(question: Question) -> str:
    return source_hash(question_texts(question))


def _cut_fences(markdown: str, kinds: Iterable[str], *, keep_lines: bool = False) -> str:
    """The markdown without its fenced blocks of these kinds (by markdown-it's line maps);
    `keep_lines`: each cut line left empty, so that line numbers stay the file's."""
    kinds = set(kinds)
    lines = markdown.splitlines()
    drop: set[int] = set()
    for tok in MarkdownIt("commonmark").parse(markdown):
        if tok.type == "fence" and tok.map and (tok.info.strip().split() or [""])[0] in kinds:
            drop.update(range(*tok.map))
    if keep_lines:
        return "\n".join("" if i in drop else line for i, line in enumerate(lines))
    return "\n".join(line for i, line in enumerate(lines) if i not in drop)


def lesson_prose(lesson) -> str:
    """A lesson's text apart from its questions (each translated and hashed on its own)."""
    return _cut_fences(lesson.markdown, ("question", "lesson"))


def lesson_source(lesson) -> str:
    return source_hash({"title": lesson.title, "objectives": list(lesson.objectives), "prose": lesson_prose(lesson)})


@dataclass(frozen=True)
class QuestionTranslation:
    id: str
    source: str
    line: int
    prompt: str = ""
    explanation: str = ""
    options: tuple[tuple[str, str], ...] = ()  # (text, feedback), in the English order
    items: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()  # (field, label)

    def payload(self) -> dict:
        """What the bank stores and `localize` reads."""
        out: dict = {"prompt": self.prompt, "explanation": self.explanation}
        if self.options:
            out["options"] = [list(o) for o in self.options]
        if self.items:
            out["items"] = list(self.items)
        if self.labels:
            out["labels"] = dict(self.labels)
        return out


@dataclass(frozen=True)
class LessonTranslation:
    lang: str
    lesson: str  # the English lesson's id
    source: str
    path: str
    title: str
    objectives: tuple[str, ...]
    markdown: str  # the whole translated file: `read` renders it like an English lesson
    scenarios: tuple[str, ...] = ()  # the scenario blocks' texts, in order (must be the English ones)
    headings: tuple[str, ...] = ()
    questions: tuple[QuestionTranslation, ...] = ()
    line: int = 1  # the translation block's line

    def payload(self) -> dict:
        return {"title": self.title, "objectives": list(self.objectives), "markdown": self.markdown}


def _strings(value, count: int | None = None) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value) and (count is None or len(value) == count)


def _question(data: dict, line: int, path: str) -> tuple[QuestionTranslation | None, list[Problem]]:
    problems = []
    qid = data.get("id")
    if not isinstance(qid, str):
        return None, [Problem(path, line, Said(N_("a translated question needs id = \"...\" (the English question's id)")))]
    for key in sorted(set(data) - QUESTION_KEYS):
        problems.append(Problem(path, line, Said(N_("question {qid}: unknown field {key!r}; a translation has {allowed}"),
                                                 qid=qid, key=key, allowed=", ".join(sorted(QUESTION_KEYS)))))
    for key in ("source", "prompt", "explanation"):
        if not isinstance(data.get(key), str):
            problems.append(Problem(path, line, Said(N_("question {qid}: {key} = \"...\" is missing"), qid=qid, key=key)))
    options = data.get("options", [])
    if not isinstance(options, list) or not all(isinstance(o, dict) and isinstance(o.get("text"), str)
                                                and isinstance(o.get("feedback", ""), str)
                                                and not set(o) - OPTION_KEYS for o in options):
        problems.append(Problem(path, line, Said(N_("question {qid}: each [[options]] has text = \"...\" and feedback = \"...\""),
                                                 qid=qid)))
        options = []
    items = data.get("items", [])
    if not _strings(items):
        problems.append(Problem(path, line, Said(N_("question {qid}: items = [\"...\", ...]"), qid=qid)))
        items = []
    labels = data.get("labels", {})
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        problems.append(Problem(path, line, Said(N_("question {qid}: [labels] maps an answer field to its label"), qid=qid)))
        labels = {}
    if problems:
        return None, problems
    return QuestionTranslation(
        id=qid, source=data["source"], line=line, prompt=data["prompt"], explanation=data["explanation"],
        options=tuple((o["text"], o.get("feedback", "")) for o in options), items=tuple(items),
        labels=tuple(sorted(labels.items())),
    ), []


def parse_translation(text: str, path: str, lang: str) -> tuple[LessonTranslation | None, list[Problem]]:
    """A translation file -> LessonTranslation, or the problems (path:line), all of them."""
    problems: list[Problem] = []
    tokens = MarkdownIt("commonmark").parse(text)
    title, meta, meta_line = None, None, 1
    scenarios, headings, questions = [], [], []
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open":
            heading = tokens[i + 1].content.strip()
            if tok.tag == "h1":
                if title is not None:
                    problems.append(Problem(path, tok.map[0] + 1, Said(N_("a second title (# {heading}); a lesson has one # title"),
                                                                       heading=heading)))
                title = heading
            elif tok.tag == "h2":
                headings.append(heading)
            continue
        if tok.type != "fence" or not tok.map:
            continue
        kind = (tok.info.strip().split() or [""])[0]
        first = tok.map[0] + 2
        if kind == "scenario":
            scenarios.append(tok.content.strip())
        elif kind in ("translation", "question"):
            data, problem = load_block(tok.content, first - 1, path, Said(N_(" in the {kind} block"), kind=kind))
            if problem:
                problems.append(problem)
            elif kind == "translation":
                if meta is not None:
                    problems.append(Problem(path, first - 1, Said(N_("a second translation block; a translation has one"))))
                meta, meta_line = data, first
            else:
                q, q_problems = _question(data, first, path)
                problems += q_problems
                if q:
                    questions.append(q)
        elif kind == "lesson":
            problems.append(Problem(path, first - 1, Said(N_("a translation has a ```translation block, not a ```lesson block"))))
    if title is None:
        problems.append(Problem(path, 1, Said(N_("no title: a translation starts with a # Title line"))))
    if meta is None:
        problems.append(Problem(path, 1, Said(N_("no ```translation block (with lesson, source, objectives)"))))
        return None, problems
    for key in sorted(set(meta) - TRANSLATION_KEYS):
        problems.append(Problem(path, meta_line, Said(N_(
            "unknown field {key!r} in the translation block; expected lesson, source, objectives"), key=key)))
    if not isinstance(meta.get("lesson"), str) or not isinstance(meta.get("source"), str):
        problems.append(Problem(path, meta_line, Said(N_(
            "the translation block needs lesson = \"<the English lesson's id>\" and source = \"<hash>\""))))
    if not _strings(meta.get("objectives")):
        problems.append(Problem(path, meta_line, Said(N_("the translation block needs objectives = [\"...\", ...]"))))
    seen: dict[str, int] = {}
    for q in questions:
        if q.id in seen:
            problems.append(Problem(path, q.line, Said(N_("question {qid} is translated twice (also at line {line})"),
                                                       qid=q.id, line=seen[q.id])))
        seen.setdefault(q.id, q.line)
    if problems:
        return None, problems
    return LessonTranslation(
        lang=lang, lesson=meta["lesson"], source=meta["source"], path=path, title=title or "",
        objectives=tuple(meta["objectives"]), markdown=text, scenarios=tuple(scenarios),
        headings=tuple(headings), questions=tuple(questions), line=meta_line,
    ), []


# ---------------------------------------------------------------- against the English


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER_RE.findall(text))


def _untranslated(english: str, translated: str) -> bool:
    """A text with English words in it and no CJK character has not been translated (zh)."""
    return bool(LATIN_WORD_RE.search(english)) and not CJK_RE.search(translated)


def _texts_of(q: QuestionTranslation) -> list[tuple[str, str]]:
    out = [("prompt", q.prompt), ("explanation", q.explanation)]
    for n, (text, feedback) in enumerate(q.options, 1):
        out += [(_option_text(n), text), (_option_feedback(n), feedback)]
    out += [(_item(n), item) for n, item in enumerate(q.items, 1)]
    out += [(_label(k), v) for k, v in q.labels]
    return out


# The names of a question's texts ("option 2 text"): Said, so that a problem about one says
# it in Chinese; as dict keys they are their English.
def _option_text(n: int) -> Said:
    return Said(N_("option {n} text"), n=n)


def _option_feedback(n: int) -> Said:
    return Said(N_("option {n} feedback"), n=n)


def _item(n: int) -> Said:
    return Said(N_("item {n}"), n=n)


def _label(k: str) -> Said:
    return Said(N_("label {k}"), k=k)


def _english_of(question: Question) -> list[tuple[str, str]]:
    out = [("prompt", question.prompt), ("explanation", question.explanation)]
    for n, o in enumerate(question.options, 1):
        out += [(_option_text(n), o.text), (_option_feedback(n), o.feedback)]
    out += [(_item(n), item) for n, item in enumerate(question.items, 1)]
    out += [(_label(k), v) for k, v in sorted(own_labels(question).items())]
    return out


def check_question_translation(question: Question, tr: QuestionTranslation, path: str) -> list[Problem]:
    """Stale, incomplete or mismatched: everything that would show the student the wrong words."""
    at = lambda message: Problem(path, tr.line, Said(N_("question {qid}: {message}"), qid=question.id,  # noqa: E731
                                                     message=message))
    now = question_source(question)
    if tr.source != now:
        return [at(Said(N_("stale: its English changed since this translation (source {source}, the English is now {now}); "
                           "update the translation, then its source"), source=tr.source, now=now))]
    problems = []
    if len(tr.options) != len(question.options):
        problems.append(at(Said(N_("{n} [[options]], the English has {english}"), n=len(tr.options),
                                english=len(question.options))))
    if len(tr.items) != len(question.items):
        problems.append(at(Said(N_("{n} items, the English has {english}"), n=len(tr.items), english=len(question.items))))
    want_labels = set(own_labels(question))
    if {k for k, _ in tr.labels} != want_labels:
        nothing = Said(N_("nothing"))
        problems.append(at(Said(N_("[labels] for {here}; the English labels {english}"),
                                here=", ".join(sorted(k for k, _ in tr.labels)) or nothing,
                                english=", ".join(sorted(want_labels)) or nothing)))
    if problems:
        return problems
    english = dict(_english_of(question))
    known = set().union(*(_placeholders(t) for t in english.values()))
    for where, text in _texts_of(tr):
        if _placeholders(text) - known:
            problems.append(at(Said(N_("{where}: placeholder {{{name}}} is not in the English"), where=where,
                                    name=sorted(_placeholders(text) - known)[0])))
        if english.get(where) and not text.strip():
            problems.append(at(Said(N_("{where} is empty"), where=where)))
        elif _untranslated(english.get(where, ""), text):
            problems.append(at(Said(N_("{where} is not translated (no Chinese in it)"), where=where)))
    if _placeholders(question.prompt) != _placeholders(tr.prompt):
        missing = sorted(_placeholders(question.prompt) - _placeholders(tr.prompt))
        if missing:
            problems.append(at(Said(N_("the prompt leaves out {{{name}}}, which the English prompt shows"), name=missing[0])))
    return problems


def check_translation(lesson, tr: LessonTranslation) -> list[Problem]:
    """A whole lesson's translation against its English lesson (missing questions included)."""
    problems = check_lesson_text(lesson, tr)
    by_id = {q.id: q for q in lesson.questions}
    for q in tr.questions:
        if q.id not in by_id:
            problems.append(Problem(tr.path, q.line, Said(N_("question {qid} is not in lesson {lesson}"), qid=q.id,
                                                          lesson=lesson.id)))
        else:
            problems += check_question_translation(by_id[q.id], q, tr.path)
    done = {q.id for q in tr.questions}
    for q in lesson.questions:
        if q.id not in done:
            problems.append(Problem(q.path, q.line, Said(N_("question {qid} has no {lang} translation (add it to {path})"),
                                                         qid=q.id, lang=tr.lang, path=tr.path)))
    return problems


def _english_paragraphs(markdown: str) -> list[int]:
    """Lines of paragraphs, headings and list items of four or more English words with no
    CJK character: text a translator has not reached (code, tables and diagrams aside)."""
    lines = []
    for tok in MarkdownIt("commonmark").parse(markdown):
        if tok.type == "inline" and tok.map and len(LATIN_WORD_RE.findall(re.sub(r"`[^`]*`", "", tok.content))) >= 4 \
                and not CJK_RE.search(tok.content):
            lines.append(tok.map[0] + 1)
    return lines


def check_lesson_text(lesson, tr: LessonTranslation) -> list[Problem]:
    """The lesson's own text (title, objectives, prose), not its questions."""
    problems = []
    now = lesson_source(lesson)
    if tr.source != now:
        problems.append(Problem(tr.path, tr.line, Said(N_(
            "stale: lesson {lesson}'s English text changed since this translation (source {source}, the English is now "
            "{now}); update the prose, then its source"), lesson=lesson.id, source=tr.source, now=now)))
    for heading in REQUIRED_HEADINGS.get(tr.lang, ()):
        if heading not in tr.headings:
            problems.append(Problem(tr.path, 1, Said(N_("no '## {heading}' section"), heading=heading)))
    if _untranslated(lesson.title, tr.title):
        problems.append(Problem(tr.path, 1, Said(N_("the title is not translated"))))
    for n, (english, text) in enumerate(zip(lesson.objectives, tr.objectives), 1):
        if _untranslated(english, text):
            problems.append(Problem(tr.path, tr.line, Said(N_("objective {n} is not translated"), n=n)))
    if len(tr.objectives) != len(lesson.objectives):
        problems.append(Problem(tr.path, tr.line, Said(N_("{n} objectives, the English has {english}"), n=len(tr.objectives),
                                                       english=len(lesson.objectives))))
    english_scenarios = [_scenario_text(s) for s in lesson.scenarios]
    if list(tr.scenarios) != english_scenarios:
        problems.append(Problem(tr.path, tr.line, Said(N_(
            "the scenario blocks differ from the English lesson's ({here} here, {there} there): copy them as they are, "
            "in the same order"), here=len(tr.scenarios), there=len(english_scenarios))))
    if tr.lang == "zh":
        problems += [Problem(tr.path, line, Said(N_("this text is not translated (English words and no Chinese)")))
                     for line in _english_paragraphs(_cut_fences(tr.markdown, ("question", "translation"), keep_lines=True))]
    return problems


def _scenario_text(block) -> str:
    if block.name:
        return f"{block.name} relative" if block.relative else block.name
    return (block.inline or "").strip()


def translation_name(lesson_path: str) -> str:
    """The translation file's name: the English lesson's."""
    return lesson_path.replace("\\", "/").rsplit("/", 1)[-1]


# ---------------------------------------------------------------- using them


def localize(question: Question, payload: Mapping | None) -> Question:
    """The question with its words in the translation's language (None: as it is)."""
    if not payload:
        return question
    options = question.options
    if payload.get("options") and len(payload["options"]) == len(options):
        options = tuple(dataclasses.replace(o, text=t, feedback=f) for o, (t, f) in zip(options, payload["options"]))
    items = question.items
    if payload.get("items") and len(payload["items"]) == len(items):
        items = tuple(payload["items"])
    labels = payload.get("labels", {})
    asks = tuple(dataclasses.replace(a, label=labels[a.field]) if a.label and a.field in labels else a
                 for a in question.asks)
    parts = tuple(dataclasses.replace(p, label=labels[p.field]) if p.label and p.field in labels else p
                  for p in question.parts)
    return dataclasses.replace(question, prompt=payload.get("prompt") or question.prompt,
                               explanation=payload.get("explanation") or question.explanation,
                               options=options, items=items, asks=asks, parts=parts)


@dataclass
class Catalog:
    """The current translations of one language: what the bank stores for it."""

    lang: str
    lessons: dict[str, dict] = field(default_factory=dict)  # lesson id -> LessonTranslation.payload()
    questions: dict[str, dict] = field(default_factory=dict)  # question id -> QuestionTranslation.payload()
    topics: dict[str, str] = field(default_factory=dict)  # topic id -> title (translations/<lang>/topics.toml)
    titles: dict[str, str] = field(default_factory=dict)  # a scenario's English title -> title (titles.toml)

    def rows(self) -> list[tuple[str, str, dict]]:
        """(kind, ref, payload): the bank's translation rows. A scenario title is keyed by the
        hash of its English, which may be longer than a ref."""
        return ([("lesson", ref, p) for ref, p in self.lessons.items()]
                + [("question", ref, p) for ref, p in self.questions.items()]
                + [("topic", ref, {"title": t}) for ref, t in self.topics.items()]
                + [("title", source_hash(en), {"en": en, "title": t}) for en, t in self.titles.items()])


def current_catalog(lessons: Iterable, translations: Iterable[LessonTranslation], lang: str) -> Catalog:
    """The texts that still match their English (stale ones are left out: the English shows)."""
    catalog = Catalog(lang)
    by_id = {lesson.id: lesson for lesson in lessons}
    for tr in translations:
        lesson = by_id.get(tr.lesson)
        if lesson is None:
            continue
        if not check_lesson_text(lesson, tr):
            catalog.lessons[lesson.id] = tr.payload()
        questions = {q.id: q for q in lesson.questions}
        for q in tr.questions:
            if q.id in questions and not check_question_translation(questions[q.id], q, tr.path):
                catalog.questions[q.id] = q.payload()
    return catalog


# ---------------------------------------------------------------- a translator's start


def _toml_string(text: str) -> str:
    if "\n" in text:
        return '"""\n' + text.replace("\\", "\\\\").replace('"""', '\\"""') + '"""'
    return json.dumps(text, ensure_ascii=False)


def _question_block(qid: str, source: str, prompt: str, explanation: str, options, items, labels) -> list[str]:
    out = ["```question", f"id = {json.dumps(qid)}", f"source = {json.dumps(source)}",
           f"prompt = {_toml_string(prompt)}", f"explanation = {_toml_string(explanation)}"]
    if items:
        out += ["items = ["] + [f"  {_toml_string(i)}," for i in items] + ["]"]
    for text, feedback in options:
        out += ["", "[[options]]", f"text = {_toml_string(text)}", f"feedback = {_toml_string(feedback)}"]
    if labels:
        out += ["", "[labels]"] + [f"{k} = {_toml_string(v)}" for k, v in sorted(labels.items())]
    return out + ["```"]


def skeleton(lesson, lang: str, existing: LessonTranslation | None = None) -> str:
    """A translation file to start from: the English texts in place with their hashes, each
    to be replaced by the translation. `check --lang` refuses it until every text is
    translated. With `existing`, what it translated that is still current is kept as it is,
    so only the new and stale texts show in English."""
    if existing is not None and existing.source == lesson_source(lesson):
        out = _cut_fences(existing.markdown, ("question",)).rstrip().splitlines()
    else:
        out = [f"# {lesson.title}", "", "```translation", f"lesson = {json.dumps(lesson.id)}",
               f"source = {json.dumps(lesson_source(lesson))}", "objectives = ["]
        out += [f"  {_toml_string(o)}," for o in lesson.objectives]
        out += ["]", "```", ""]
        prose = lesson_prose(lesson).splitlines()
        prose = prose[1:] if prose and prose[0].startswith("# ") else prose
        glossary = [f"## {GLOSSARY_HEADING.get(lang, 'Glossary')}", "", *GLOSSARY_TABLE.get(lang, ()), ""]
        at = next((i for i, line in enumerate(prose) if line.strip().lower() == "## common mistakes"), len(prose))
        out += prose[:at] + glossary + prose[at:]
    kept = {q.id: q for q in (existing.questions if existing else ())}
    for q in lesson.questions:
        old = kept.get(q.id)
        out.append("")
        if old is not None and not check_question_translation(q, old, existing.path):
            out += _question_block(q.id, old.source, old.prompt, old.explanation, old.options, old.items, dict(old.labels))
        else:
            out += _question_block(q.id, question_source(q), q.prompt, q.explanation,
                                   [(o.text, o.feedback) for o in q.options], q.items, own_labels(q))
    return "\n".join(out) + "\n"


def parse_titles(text: str, path: str) -> tuple[dict[str, str], list[Problem]]:
    """translations/<lang>/titles.toml: [titles] "<a scenario's English title>" = "<its title>"."""
    return parse_names(text, path, "titles", '"English title" = "title"')
