"""Every question of the shipped bank grades its own answer key as fully right.

The key's values are typed back the way a student would type them (numbers in decimal,
flags like FIN+ACK, state names, state lists joined with ' -> ', true/false, option letters,
orderings as the letters shown), for several seeds. A key the grader cannot read back, or
reads back as wrong, is a bug in the reader, the grader or the question."""

from __future__ import annotations

import pytest

from tcptutor.bank.build import compile_content, read_content
from tcptutor.grading.grader import CORRECT, grade
from tcptutor.lessons.parser import parse_course, parse_topics
from tcptutor.questions.variants import make_variant

from answerkit import typed

SEEDS = (0, 1, 7)


def _shipped_ids() -> list[str]:
    """The ids, by a quick parse (no simulation) at collection time."""
    files = read_content()
    topics, _ = parse_topics(files.topics_text, files.topics_path)
    return [q.id for q in parse_course(files.lessons, files.scenarios, topics).questions]


QUESTION_IDS = _shipped_ids()


@pytest.fixture(scope="module")
def shipped():
    """The shipped content, parsed and verified once for the whole module."""
    files = read_content()
    course, _ = compile_content(files)
    return {q.id: q for q in course.questions}, files.scenarios


def test_the_shipped_bank_has_questions_of_every_kind(shipped):
    questions, _ = shipped
    assert len(questions) == len(QUESTION_IDS) > 0
    assert {q.kind for q in questions.values()} >= {"predict", "single"}


@pytest.mark.parametrize("qid", QUESTION_IDS)
def test_the_key_graded_as_answers_scores_1(shipped, qid):
    questions, scenarios = shipped
    if qid not in questions:
        pytest.fail(f"{qid} was parsed at collection but is not in the compiled bank (content edited meanwhile?)")
    question = questions[qid]
    for seed in SEEDS:
        variant = make_variant(question, seed, scenarios)
        answers = {name: typed(e, variant) for name, e in variant.expected.items()}
        result = grade(variant, answers)
        bad = [(f.field, f.given, f.expected, f.verdict, f.feedback) for f in result.fields if f.verdict != CORRECT]
        assert result.score == 1.0 and not bad, f"seed {seed}: {bad}"
