"""Translated lessons (lessons/translation.py): parsed, checked against the English, applied.

A translation records the hash of the English it translates; these tests change the English
under it and expect `check` to say so, and the reader to fall back to the English."""

from __future__ import annotations

import tomllib

import pytest

from tcptutor import library
from tcptutor.lessons.parser import parse_lesson
from tcptutor.lessons.translation import (
    check_translation, current_catalog, localize, parse_translation, question_source, skeleton,
)

from lessonkit import WHICH_SYN_ACK, WHICH_SYN_ACK_ZH, handshake_lesson, translation_of

TOPICS = tomllib.loads((library.CONTENT / "topics.toml").read_text(encoding="utf-8"))["topics"]
LESSON = handshake_lesson('''\
    ```question
    id = "hs-synack"
    kind = "predict"
    topics = ["handshake"]
    difficulty = 1
    scenario = "handshake"
    prompt = "Client ISN {client_isn}, server ISN {server_isn}. Give the ack of the server's reply."
    explanation = "The SYN-ACK acknowledges the client's SYN: client ISN + 1."

    [[ask]]
    field = "ack"
    what = "ack"
    segment = "server SYN+ACK"
    label = "ack of the reply"
    ```

''' + WHICH_SYN_ACK)
ZH = {
    "hs-synack": {"prompt": "客户端的初始序号为 {client_isn}，服务器的为 {server_isn}。服务器回复的确认号 ack 是多少？",
                  "explanation": "SYN+ACK 确认的是客户端的 SYN：客户端初始序号加 1。",
                  "labels": {"ack": "回复报文段的确认号"}},
    "hs-which": WHICH_SYN_ACK_ZH,
}


def english(text: str = LESSON):
    lesson, problems = parse_lesson(text, "lessons/01-hs.md", topics=TOPICS, scenario_names=set(library.scenario_names()))
    assert lesson is not None and not problems, problems
    return lesson


def parsed(text: str):
    tr, problems = parse_translation(text, "translations/zh/01-hs.md", "zh")
    assert tr is not None and not problems, problems
    return tr


def test_a_complete_translation_has_no_problems_and_is_current():
    lesson, tr = english(), parsed(translation_of(LESSON, ZH))
    assert check_translation(lesson, tr) == []
    catalog = current_catalog([lesson], [tr], "zh")
    assert set(catalog.questions) == {"hs-synack", "hs-which"} and set(catalog.lessons) == {"hs"}
    assert catalog.lessons["hs"]["title"] == "握手中的序号"


def test_localize_changes_the_words_never_the_answers():
    lesson, tr = english(), parsed(translation_of(LESSON, ZH))
    catalog = current_catalog([lesson], [tr], "zh")
    single = next(q for q in lesson.questions if q.id == "hs-which")
    zh = localize(single, catalog.questions["hs-which"])
    assert zh.prompt == ZH["hs-which"]["prompt"]
    assert [(o.text, o.feedback, o.correct) for o in zh.options] == [
        ("服务器的 SYN+ACK", ZH["hs-which"]["options"][0][1], True), ("客户端最后的 ACK", "它不带 SYN。", False)]
    predict = next(q for q in lesson.questions if q.id == "hs-synack")
    zh = localize(predict, catalog.questions["hs-synack"])
    assert zh.asks[0].label == "回复报文段的确认号"
    assert (zh.asks[0].what, zh.asks[0].segment, zh.scenario) == (predict.asks[0].what, predict.asks[0].segment,
                                                                  predict.scenario)
    assert localize(predict, None) is predict


def test_an_edited_english_question_makes_its_translation_stale():
    edited = LESSON.replace("Which segment carries both SYN and ACK?", "Which segment has SYN and ACK set?")
    lesson, tr = english(edited), parsed(translation_of(LESSON, ZH))
    problems = check_translation(lesson, tr)
    assert len(problems) == 1
    assert "question hs-which: stale: its English changed since this translation" in problems[0].message
    assert f"the English is now {question_source(next(q for q in lesson.questions if q.id == 'hs-which'))}" \
        in problems[0].message
    catalog = current_catalog([lesson], [tr], "zh")
    assert "hs-which" not in catalog.questions and "hs-synack" in catalog.questions  # the student reads English


def test_an_edited_english_prose_makes_the_lesson_stale_but_not_its_questions():
    lesson = english(LESSON.replace("Prose.", "Prose, edited."))
    tr = parsed(translation_of(LESSON, ZH))
    problems = check_translation(lesson, tr)
    assert [p.line for p in problems] == [tr.line] and "stale: lesson hs's English text changed" in problems[0].message
    catalog = current_catalog([lesson], [tr], "zh")
    assert catalog.lessons == {} and set(catalog.questions) == {"hs-synack", "hs-which"}


def test_a_missing_question_is_reported_at_the_english_question():
    lesson, tr = english(), parsed(translation_of(LESSON, {"hs-synack": ZH["hs-synack"]}))
    (problem,) = check_translation(lesson, tr)
    english_q = next(q for q in lesson.questions if q.id == "hs-which")
    assert (problem.path, problem.line) == (english_q.path, english_q.line)
    assert "question hs-which has no zh translation" in problem.message


@pytest.mark.parametrize("change, expected", [
    (lambda t: {**t, "hs-synack": {**t["hs-synack"], "prompt": "服务器回复的 ack 是多少？"}},
     "the prompt leaves out {client_isn}"),
    (lambda t: {**t, "hs-synack": {**t["hs-synack"], "prompt": t["hs-synack"]["prompt"] + "{size}"}},
     "placeholder {size} is not in the English"),
    (lambda t: {**t, "hs-which": {**t["hs-which"], "options": t["hs-which"]["options"][:1]}},
     "1 [[options]], the English has 2"),
    (lambda t: {**t, "hs-which": {**t["hs-which"], "prompt": "Which segment carries both SYN and ACK?"}},
     "prompt is not translated (no Chinese in it)"),
    (lambda t: {**t, "hs-synack": {**t["hs-synack"], "labels": {}}},
     "[labels] for nothing; the English labels ack"),
])
def test_a_translation_that_would_mislead_is_reported(change, expected):
    lesson, tr = english(), parsed(translation_of(LESSON, change(ZH)))
    messages = [p.message for p in check_translation(lesson, tr)]
    assert any(expected in m for m in messages), messages


def test_untranslated_prose_and_changed_diagrams_are_reported():
    text = translation_of(LESSON, ZH, prose="This paragraph was left in English by mistake.")
    lesson, tr = english(), parsed(text)
    line = text.splitlines().index("This paragraph was left in English by mistake.") + 1
    problems = check_translation(lesson, tr)
    assert [(p.line, p.message) for p in problems] == [(line, "this text is not translated (English words and no Chinese)")]
    tr = parsed(translation_of(LESSON, ZH).replace("```scenario\nhandshake\n```", "```scenario\nlost-syn\n```"))
    assert any("the scenario blocks differ" in p.message for p in check_translation(lesson, tr))


@pytest.mark.parametrize("text, expected", [
    ("# 标题\n\n正文\n", "no ```translation block"),
    ("# 标题\n\n```translation\nlesson = \"hs\"\nsource = 1\nobjectives = []\n```\n", "needs lesson ="),
    ("# 标题\n\n```translation\nlesson = \"hs\"\nsource = \"x\"\nobjectives = [\"a\"]\n```\n\n```question\nid = 3\n```\n",
     "needs id ="),
    ("# 标题\n\n```translation\nlesson = \"hs\"\nsource = \"x\"\nobjectives = [\"a\"]\n```\n\n```question\nid = \"q\"\nprompt = \"a\n```\n",
     "malformed TOML in the question block"),
    ("# 标题\n\n```translation\nlesson = \"hs\"\nsource = \"x\"\nobjectives = [\"a\"]\n```\n\n```question\nid = "
     + "[" * 10000 + "\n```\n", "too deeply nested in the question block"),
])
def test_a_malformed_translation_names_its_file_and_line(text, expected):
    tr, problems = parse_translation(text, "translations/zh/01-hs.md", "zh")
    assert tr is None and any(expected in p.message for p in problems), problems
    assert all(p.path == "translations/zh/01-hs.md" and p.line >= 1 for p in problems)


def test_the_skeleton_parses_keeps_every_hash_and_asks_for_every_text():
    lesson = english()
    tr = parsed(skeleton(lesson, "zh"))
    messages = [p.message for p in check_translation(lesson, tr)]
    assert not any("stale" in m for m in messages)  # every source is the English's
    assert any("hs-synack: prompt is not translated" in m for m in messages)
    assert any("the title is not translated" in m for m in messages)
    # with a finished translation, the skeleton keeps every current text as it is
    done = parsed(translation_of(LESSON, ZH))
    again = parsed(skeleton(lesson, "zh", done))
    assert check_translation(lesson, again) == []
    assert again.questions == tuple(q.__class__(**{**q.__dict__, "line": a.line}) for q, a in zip(done.questions, again.questions))
