"""The grader speaks Chinese under zh and grades exactly as it does in English.

For every shipped question and a few seeds, the same answers (right, off by one, another
state or flag, a misconception's wrong rule, unreadable, none, a stopped session) are graded
under "en" and "zh": the verdicts, credit, misconceptions and partial credit are the same, and
what the grader writes itself under zh (worked solutions, misconception explanations, verdicts,
generated labels) has no English left. The question's own texts (prompt, explanation, options,
items, author labels, units) come from the content translations, not from the grader, so they
are taken out before looking."""

from __future__ import annotations

import re

import pytest

from answerkit import typed
from english_left import english_left
from tcptutor import i18n
from tcptutor.bank.build import read_content
from tcptutor.grading.answers import STATES
from tcptutor.grading.grader import grade
from tcptutor.lessons.parser import parse_course, parse_topics
from tcptutor.questions.variants import LETTERS, make_variant

SEEDS = (0, 5)
CJK = re.compile(r"[\u4e00-\u9fff]")


def _shipped():
    files = read_content()
    topics, _ = parse_topics(files.topics_text, files.topics_path)
    return parse_course(files.lessons, files.scenarios, topics).questions, files.scenarios


QUESTIONS, SCENARIOS = _shipped()


def off(expected, variant, step: int) -> str:
    """A wrong answer of the kind a student gives: a number `step` away, another state or
    flag set, another option, the other truth value, a shortened state list."""
    value, what = expected.value, expected.what
    if isinstance(value, bool):
        return "false" if value else "true"
    if isinstance(value, (int, float)) and what not in ("single", "multiple"):
        return str(value + step)
    if what == "state":
        return STATES[(STATES.index(value) + step) % len(STATES)]
    if what == "states":
        return " -> ".join(value[1:] if step > 0 else [*value, "TIME-WAIT"])
    if what == "flags":
        return "SYN" if value != "SYN" else "ACK"
    if what in ("single", "multiple"):
        return next(letter for letter in LETTERS[:len(variant.question.options)] if letter not in value)
    if what == "order":
        return " ".join(reversed(typed(expected, variant).split()))
    if what in ("mss", "wscale"):
        return "1460" if value == "none" else "none"
    if what == "options":
        return "MSS,WS" if value != "MSS,WS" else "none"
    return "x" + str(value)


ATTEMPTS = {
    "right": lambda e, v: typed(e, v),
    "plus one": lambda e, v: off(e, v, 1),
    "minus one": lambda e, v: off(e, v, -1),
    "unreadable": lambda e, v: "LISTN" if e.what in ("state", "states") else "??",
    "blank": lambda e, v: "",
}


def author_texts(variant) -> list[str]:
    """The texts a question's author wrote (translated by content translations, not here),
    longest first so that no shorter one cuts a longer one apart."""
    q = variant.question
    texts = [q.prompt, q.explanation, variant.explanation, *q.items]
    texts += [t for o in q.options for t in (o.text, o.feedback)]
    texts += [a.label for a in q.asks if a.label]
    texts += [p.label for p in getattr(q, "parts", ()) or ()]
    if q.kind != "predict":
        texts += [e.label for e in variant.expected.values()]
    return sorted({t for t in texts if t}, key=len, reverse=True)


def grades(variant, attempts):
    out = {name: grade(variant, {f: make(e, variant) for f, e in variant.expected.items()})
           for name, make in attempts.items()}
    out["stopped"] = grade(variant, {}, interrupted=True)
    return out


def outcome(g):
    return (g.score, g.readable_score, [(f.field, f.verdict, f.credit, f.misconception, f.carried_from,
                                         repr(f.parsed)) for f in g.fields])


@pytest.mark.parametrize("qid", [q.id for q in QUESTIONS])
def test_zh_feedback_grades_the_same_and_has_no_english_of_its_own(qid, zh):
    question = next(q for q in QUESTIONS if q.id == qid)
    for seed in SEEDS:
        i18n.use("en")
        v_en = make_variant(question, seed, SCENARIOS)
        english = grades(v_en, ATTEMPTS)
        i18n.use("zh")
        v_zh = make_variant(question, seed, SCENARIOS)
        chinese = grades(v_zh, ATTEMPTS)
        i18n.use("en")
        assert {k: outcome(g) for k, g in chinese.items()} == {k: outcome(g) for k, g in english.items()}
        also = set(v_zh.expected) | {w for e in v_zh.expected.values() for w in re.findall(r"[A-Za-z]+", e.unit)}
        also |= {w for e in v_zh.expected.values() for w in re.findall(r"[A-Za-z][\w+-]*", str(e.value))}
        also |= {w for make in ATTEMPTS.values() for e in v_zh.expected.values()
                 for w in re.findall(r"[A-Za-z]+", make(e, v_zh))}
        also |= {s.src for s in v_zh.trace.segments} if v_zh.trace is not None else set()
        authored = author_texts(v_zh)
        for name, g in chinese.items():
            for f in g.fields:
                text = " ".join((f.feedback, f.solution, f.label))
                for t in authored:
                    text = text.replace(t, " ")
                assert english_left(text, also) == [], (seed, name, f.field, f.feedback, f.label)
                if question.kind == "predict":
                    assert CJK.search(f.feedback), (seed, name, f.feedback)
                    assert f.label in authored or CJK.search(f.label), (seed, name, f.label)


def test_english_feedback_is_the_english_of_before():
    """A few sentences exactly as English has always read them (the msgids are the English)."""
    question = next(q for q in QUESTIONS if q.id == "hs-synack-numbers")
    v = make_variant(question, 0, SCENARIOS)
    ack = v.expected["ack"]
    g = grade(v, {"seq": str(v.expected["seq"].value), "ack": str(ack.value - 1)})
    f = g.fields[1]
    assert f.label == "ack of server SYN+ACK"
    assert f.misconception == "syn-not-counted"
    assert f.feedback.startswith("A SYN occupies one sequence number, so whatever follows it")
    assert f"Expected {ack.value} = {ack.value - 1} + 1: ack is the next sequence number the server expects; " \
           f"#1 ([SYN] from the client) started at {ack.value - 1} and its SYN takes one sequence number" in f.feedback


def test_zh_names_segments_states_and_misconceptions_in_chinese(zh):
    i18n.use("zh")
    question = next(q for q in QUESTIONS if q.id == "hs-synack-numbers")
    v = make_variant(question, 0, SCENARIOS)
    ack = v.expected["ack"]
    f = grade(v, {"seq": str(v.expected["seq"].value), "ack": str(ack.value - 1)}).fields[1]
    assert f.label == "服务器的 SYN+ACK 的确认号 ack"
    assert f.feedback.startswith("SYN 要占用一个序号")
    assert f"#1（客户端发出的 [SYN]）从序号 {ack.value - 1} 开始，它的 SYN 占用一个序号" in f.feedback
    states = next(q for q in QUESTIONS if any(a.what == "states" for a in q.asks))
    v = make_variant(states, 0, SCENARIOS)
    field, expected = next((n, e) for n, e in v.expected.items() if e.what == "states")
    f = next(f for f in grade(v, {field: " -> ".join(expected.value[1:])}).fields if f.field == field)
    assert "关闭（CLOSED）" in f.feedback and "顺序正确" in f.feedback and "缺少：" in f.feedback
