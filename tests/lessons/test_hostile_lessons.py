"""Lessons written to break things: each is a path:line problem, never a traceback, and what
`check` accepts is safe to build, grade and export (no NaN in the JSON, a letter per option)."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import textwrap

import pytest

from tcptutor import library
from tcptutor.grading.grader import grade
from tcptutor.lessons.parser import parse_lesson, parse_topics, verify_question
from tcptutor.questions.variants import make_variant
from tcptutor.tcp import limits

HEAD = textwrap.dedent('''\
    # Hostile

    ```lesson
    id = "hostile"
    topics = ["handshake"]
    objectives = ["Survive"]
    ```

    ## Common mistakes

    None.

''')

TOO_DEEP = f"levels of [ ] and {{ }} (tcptutor is a teaching simulator)"


@pytest.fixture(scope="module")
def topics() -> dict[str, str]:
    parsed, problems = parse_topics((library.CONTENT / "topics.toml").read_text(encoding="utf-8"), "topics.toml")
    assert not problems
    return parsed


def question(body: str, kind: str = "numeric") -> str:
    return (f'```question\nid = "q"\nkind = "{kind}"\ntopics = ["handshake"]\n'
            f'prompt = "p"\nexplanation = "e"\n{body}```\n')


def problems_of(text: str, topics) -> list[tuple[int, str]]:
    _, problems = parse_lesson(text, "l.md", topics=topics, scenario_names=set(library.scenario_names()))
    return [(p.line, p.message) for p in problems]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def options(count: int, correct: int = 0) -> str:
    return "".join(f'\n[[options]]\ntext = "option {i}"\ncorrect = {str(i == correct).lower()}\nfeedback = "f"\n'
                   for i in range(count))


# ------------------------------------------------------------------ more options than letters


@pytest.mark.parametrize("kind", ["single", "multiple"])
def test_more_options_than_letters_is_a_problem_at_the_options(topics, kind):
    text = HEAD + question(options(30, correct=29), kind)
    assert problems_of(text, topics) == [
        (line_of(text, "[[options]]"), "question q: 30 options; at most 26, one letter each (A to Z)")
    ]


def test_twenty_six_options_are_fine_up_to_the_letter_z(topics):
    text = HEAD + question(options(26, correct=25), "single")
    lesson, problems = parse_lesson(text, "l.md", topics=topics, scenario_names=set())
    assert problems == []
    (q,) = lesson.questions
    variant = make_variant(q, 0, {})
    assert variant.expected["answer"].value == "Z"
    assert grade(variant, {"answer": "z"}).score == 1


def test_more_ordering_items_than_letters_is_a_problem(topics):
    items = ", ".join(f'"step {i}"' for i in range(27))
    text = HEAD + question(f"items = [{items}]\n", "ordering")
    assert problems_of(text, topics) == [
        (line_of(text, "items ="), "question q: 27 items; at most 26, one letter each (A to Z)")
    ]


# ------------------------------------------------------------------ nan, inf and friends


@pytest.mark.parametrize(
    ("body", "needle", "message"),
    [
        ("answer = nan\n", "answer", "question q: answer must be a finite number; got nan"),
        ("answer = inf\n", "answer", "question q: answer must be a finite number; got inf"),
        ("answer = -inf\n", "answer", "question q: answer must be a finite number; got -inf"),
        ("answer = 3\ntolerance = inf\n", "tolerance", "question q: tolerance must be a finite number >= 0; got inf"),
        ("answer = 3\ntolerance = nan\n", "tolerance", "question q: tolerance must be a finite number >= 0; got nan"),
        ("answer = 3\ntolerance = -0.5\n", "tolerance", "question q: tolerance must be a finite number >= 0; got -0.5"),
        ('answer = 3\ntolerance = "1"\n', "tolerance", 'question q: tolerance must be a finite number >= 0 or a percentage like "1%"; got \'1\''),
    ],
)
def test_numbers_that_are_not_finite_are_problems_at_their_line(topics, body, needle, message):
    text = HEAD + question(body)
    assert problems_of(text, topics) == [(line_of(text, f"{needle} ="), message)]


def test_a_finite_numeric_question_exports_as_plain_json(topics):
    text = HEAD + question("answer = 1.5\ntolerance = 0.25\n")
    lesson, problems = parse_lesson(text, "l.md", topics=topics, scenario_names=set())
    assert problems == []
    spec = lesson.questions[0].to_spec()
    json.dumps(spec, allow_nan=False)  # what `check` accepts never becomes NaN in an export
    assert math.isfinite(spec["answer"]) and math.isfinite(spec["tolerance"])


def test_a_vary_choice_of_nan_is_a_problem(topics):
    body = ('scenario = "handshake"\n[vary]\nlat = { choice = [1.0, nan] }\n'
            '[[ask]]\nfield = "seq"\nwhat = "seq"\nsegment = "client SYN"\n')
    text = HEAD + question(body, "predict")
    assert problems_of(text, topics) == [
        (line_of(text, "lat ="), "question q: vary.lat: choice values must be finite numbers (no nan or inf)")
    ]


def test_difficulty_true_is_not_difficulty_1(topics):
    text = HEAD + question("answer = 3\ndifficulty = true\n")
    assert problems_of(text, topics) == [
        (line_of(text, "difficulty ="), "question q: difficulty must be 1, 2 or 3; got True")
    ]


# ------------------------------------------------------------------ deep nesting


def test_a_deeply_nested_question_block_is_a_problem_at_its_line(topics):
    text = HEAD + question("answer = 3\nx = " + "[" * 5000 + "]" * 5000 + "\n")
    assert problems_of(text, topics) == [
        (line_of(text, "x = [["), f"too deeply nested in the question block: at most {limits.MAX_TOML_DEPTH} {TOO_DEEP}")
    ]


def test_a_deeply_nested_lesson_block_is_a_problem_at_its_line(topics):
    text = HEAD.replace('objectives = ["Survive"]', 'objectives = ["Survive"]\nx = ' + "{a = " * 3000 + "1" + "}" * 3000)
    problems = problems_of(text, topics)
    assert (line_of(text, "x = {a"), f"too deeply nested in the lesson block: at most {limits.MAX_TOML_DEPTH} {TOO_DEEP}") in problems


def test_a_deeply_nested_scenario_block_is_a_problem_at_its_line(topics):
    text = HEAD + '```scenario\ntitle = "t"\nsteps = ["server listen"]\nx = ' + "[" * 5000 + "]" * 5000 + "\n```\n"
    assert problems_of(text, topics) == [
        (line_of(text, "x = [["), f"scenario block: too deeply nested: at most {limits.MAX_TOML_DEPTH} {TOO_DEEP}")
    ]


def test_an_inline_scenario_beyond_the_simulator_limits_is_a_problem_of_the_question(topics):
    body = ("scenario = '''\nsteps = [\"server listen\", \"flood 10000000\"]\n'''\n"
            '[[ask]]\nfield = "n"\nwhat = "count"\nsegment = "server SYN+ACK"\n')
    text = HEAD + question(body, "predict")
    lesson, problems = parse_lesson(text, "l.md", topics=topics, scenario_names=set())
    assert problems == []
    (problem,) = verify_question(lesson.questions[0], {}, seeds=range(1))
    assert problem.line == line_of(text, 'id = "q"')
    assert 'step "flood 10000000": at most 100000 spoofed SYNs in a scenario' in problem.message


# ------------------------------------------------------------------ end to end


def test_check_reports_every_hostile_question_and_exits_1_without_a_traceback(tmp_path):
    hostile = (HEAD + question(options(27), "single").replace('id = "q"', 'id = "many"')
               + question("answer = nan\n").replace('id = "q"', 'id = "not-a-number"')
               + question("answer = 3\nx = " + "[" * 5000 + "]" * 5000 + "\n").replace('id = "q"', 'id = "deep"'))
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "01-hostile.md").write_text(hostile, encoding="utf-8")
    exe = shutil.which("tcptutor")
    cmd = [exe] if exe else [sys.executable, "-m", "tcptutor"]
    out = subprocess.run([*cmd, "check", "--content", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr
    assert "question many: 27 options; at most 26" in out.stderr
    assert "question not-a-number: answer must be a finite number; got nan" in out.stderr
    assert "too deeply nested in the question block" in out.stderr
