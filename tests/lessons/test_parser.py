"""The lesson parser: a good lesson parses into values with file lines; a broken lesson
reports every problem at once, each at the path:line of the line to fix."""

from __future__ import annotations

import os
import re
import textwrap

import pytest

from tcptutor import library
from tcptutor.bank.build import compile_content, read_content
from tcptutor.lessons.parser import parse_lesson, parse_topics
from tcptutor.problems import ContentError

GOOD = textwrap.dedent('''\
    # A tiny handshake lesson

    ```lesson
    id = "tiny-handshake"
    topics = ["handshake", "sequence-numbers"]
    objectives = [
      "Name the three segments",
      "Compute the SYN+ACK's ack",
    ]
    ```

    Some prose with `code` and a diagram:

    ```scenario
    handshake
    ```

    The same, with Wireshark-style numbers:

    ```scenario
    handshake relative
    ```

    ```scenario
    title = "inline"
    steps = ["server listen", "client connect"]
    ```

    ```python
    print("an ordinary code block is left alone")
    ```

    ## Common mistakes

    **"ack is seq + 1"**: only because a SYN uses one number.

    ## Questions

    ```question
    id = "tiny-synack"
    kind = "predict"
    topics = ["handshake"]
    difficulty = 1
    scenario = "handshake"
    prompt = "Client ISN {client_isn}. Give the ack of the server's SYN+ACK."
    explanation = "The client's ISN + 1."

    [[ask]]
    field = "ack"
    what = "ack"
    segment = "server SYN+ACK"
    ```

    ```question
    id = "tiny-tf"
    kind = "truefalse"
    topics = ["handshake"]
    difficulty = 2
    prompt = "The server is ESTABLISHED when it sends its SYN+ACK."
    explanation = "It waits for the ACK of its SYN."
    answer = false
    ```
''')


@pytest.fixture(scope="module")
def topics() -> dict[str, str]:
    parsed, problems = parse_topics((library.CONTENT / "topics.toml").read_text(encoding="utf-8"), "topics.toml")
    assert not problems
    return parsed


@pytest.fixture(scope="module")
def scenario_names() -> set[str]:
    return set(library.scenario_names())


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the nth line containing `needle`."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(hits) >= occurrence, f"{needle!r} occurs {len(hits)} times"
    return hits[occurrence - 1]


def test_a_good_lesson_parses(topics, scenario_names):
    lesson, problems = parse_lesson(GOOD, "lessons/tiny.md", topics=topics, scenario_names=scenario_names)
    assert problems == []
    assert lesson.id == "tiny-handshake"
    assert lesson.title == "A tiny handshake lesson"
    assert lesson.topics == ("handshake", "sequence-numbers")
    assert lesson.objectives == ("Name the three segments", "Compute the SYN+ACK's ack")
    assert lesson.path == "lessons/tiny.md"
    assert lesson.markdown == GOOD

    named, relative, inline = lesson.scenarios
    assert (named.name, named.inline, named.relative) == ("handshake", None, False)
    assert (relative.name, relative.relative) == ("handshake", True)
    assert inline.name is None and 'steps = ["server listen", "client connect"]' in inline.inline
    # each block's line is its opening fence
    assert named.line == line_of(GOOD, "```scenario", 1)
    assert relative.line == line_of(GOOD, "```scenario", 2)
    assert inline.line == line_of(GOOD, "```scenario", 3)

    predict, tf = lesson.questions
    assert (predict.id, predict.kind, predict.lesson, predict.path) == ("tiny-synack", "predict", "tiny-handshake", "lessons/tiny.md")
    assert predict.line == line_of(GOOD, 'id = "tiny-synack"')
    assert predict.scenario == "handshake"
    assert predict.topics == ("handshake",)
    assert [(a.field, a.what, a.segment) for a in predict.asks] == [("ack", "ack", "server SYN+ACK")]
    assert predict.prompt == "Client ISN {client_isn}. Give the ack of the server's SYN+ACK."
    assert (tf.id, tf.kind, tf.answer, tf.difficulty) == ("tiny-tf", "truefalse", False, 2)
    assert tf.line == line_of(GOOD, 'id = "tiny-tf"')
    assert lesson.predict_count == 1


def test_a_good_lesson_compiles_from_a_content_folder(tmp_path):
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "01-tiny.md").write_text(GOOD, encoding="utf-8")
    course, topics = compile_content(read_content(tmp_path), workers=1)
    assert [lesson.id for lesson in course.lessons] == ["tiny-handshake"]
    assert course.lessons[0].order == "01-tiny.md"
    assert [q.id for q in course.questions] == ["tiny-synack", "tiny-tf"]
    assert "handshake" in topics  # the shipped topics serve a folder without its own


# ------------------------------------------------------------ a broken lesson

BROKEN = textwrap.dedent('''\
    # A broken lesson

    ```lesson
    id = "broken"
    topics = ["handshake"]
    objectives = ["Find every problem at once"]
    ```

    No common-mistakes section in this lesson.

    ```question
    id = "dup-q"
    kind = "truefalse"
    topics = ["handshake"]
    prompt = "A SYN consumes one sequence number."
    explanation = "It does."
    answer = true
    ```

    ```question
    id = "bad-toml"
    kind = "truefalse"
    prompt = "this line is fine"
    explanation = this line is not TOML
    answer = true
    ```

    ```question
    id = "dup-q"
    kind = "truefalse"
    topics = ["handshake"]
    prompt = "A FIN consumes one sequence number."
    explanation = "It does."
    answer = true
    ```

    ```question
    id = "bad-kind"
    kind = "essay"
    topics = ["handshake"]
    prompt = "Write about TCP."
    explanation = "No."
    ```

    ```question
    id = "bad-field"
    kind = "truefalse"
    topics = ["handshake"]
    prompt = "RST has no acknowledgment."
    explanation = "It may carry one."
    answer = false
    colour = "red"
    ```

    ```question
    id = "bad-placeholder"
    kind = "truefalse"
    topics = ["handshake"]
    prompt = "The latency is {latency_ms} ms."
    explanation = "There is no latency_ms parameter."
    answer = true
    ```

    ```question
    id = "bad-scenario"
    kind = "predict"
    topics = ["handshake"]
    scenario = "no-such-scenario"
    prompt = "Give the seq of the SYN."
    explanation = "The ISN."

    [[ask]]
    field = "seq"
    what = "seq"
    segment = "client SYN"
    ```

    ```question
    id = "bad-ask"
    kind = "predict"
    topics = ["handshake"]
    scenario = "handshake"
    prompt = "Give the seq of the server's FIN."
    explanation = "There is no FIN in a handshake."

    [[ask]]
    field = "seq"
    what = "seq"
    segment = "server FIN"
    ```

    ```question
    id = "bad-topic"
    kind = "truefalse"
    topics = ["handshake", "quantum-tcp"]
    prompt = "TCP is quantum."
    explanation = "No."
    answer = false
    ```
''')


def test_a_broken_lesson_reports_every_problem_at_its_line(tmp_path, monkeypatch):
    (tmp_path / "course" / "lessons").mkdir(parents=True)
    lesson_file = tmp_path / "course" / "lessons" / "07-broken.md"
    lesson_file.write_text(BROKEN, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    path = os.path.relpath(lesson_file)
    assert path == os.path.join("course", "lessons", "07-broken.md")

    with pytest.raises(ContentError) as err:
        compile_content(read_content("course"))

    first_dup = line_of(BROKEN, 'id = "dup-q"', 1)
    expected = [
        # malformed TOML: the line tomllib stops at
        (line_of(BROKEN, "explanation = this line is not TOML"), "malformed TOML in the question block"),
        # the second use of an id, pointing back at the first
        (line_of(BROKEN, 'id = "dup-q"', 2), f"duplicate question id 'dup-q' (also at {path}:{first_dup})"),
        (line_of(BROKEN, 'kind = "essay"'), "question bad-kind: unknown kind 'essay'"),
        (line_of(BROKEN, 'colour = "red"'), "question bad-field: unknown field 'colour' for kind truefalse"),
        # problems found by building the variant are reported at the question's id line
        # (make_variant's contract: "reported against the question's line")
        (line_of(BROKEN, 'id = "bad-placeholder"'), "question bad-placeholder (seed 0): placeholder {latency_ms} has no value"),
        (line_of(BROKEN, 'scenario = "no-such-scenario"'), "question bad-scenario: no scenario named 'no-such-scenario'"),
        (line_of(BROKEN, 'id = "bad-ask"'), "question bad-ask (seed 0): no segment matches 'server FIN' in the simulated trace"),
        (line_of(BROKEN, 'topics = ["handshake", "quantum-tcp"]'), "question bad-topic: unknown topic 'quantum-tcp'"),
        (1, "no '## Common mistakes' section"),
    ]
    problems = err.value.problems
    found = [(p.path, p.line, p.message) for p in problems]
    for line, fragment in expected:
        assert any(p == path and ln == line and fragment in msg for p, ln, msg in found), (
            f"expected {path}:{line}: ...{fragment}...; got:\n" + "\n".join(map(str, problems))
        )
    assert len(problems) == len(expected), "\n".join(map(str, problems))
    # every one of them in the error's text too, as path:LINE: message, sorted by line
    text = str(err.value)
    assert text.startswith(f"{len(expected)} problems in the content:")
    for line, fragment in expected:
        assert re.search(rf"^{re.escape(path)}:{line}: .*{re.escape(fragment)}", text, re.M), (line, fragment)
    assert [p.line for p in problems] == sorted(p.line for p in problems)


def test_the_unknown_topic_message_lists_the_known_ones(tmp_path, monkeypatch):
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "x.md").write_text(BROKEN, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ContentError) as err:
        compile_content(read_content("."), workers=1)
    topic = next(p for p in err.value.problems if "quantum-tcp" in p.message)
    assert "known topics:" in topic.message and "handshake" in topic.message and "time-wait" in topic.message


@pytest.mark.parametrize(
    ("change", "needle", "fragment"),
    [
        (("# A tiny handshake lesson\n", ""), None, "no title"),
        (('id = "tiny-handshake"', 'id = "Tiny Handshake"'), 'id = "Tiny Handshake"', "lesson id must be lowercase"),
        (('topics = ["handshake", "sequence-numbers"]', 'topics = ["handshake", "nope"]'), 'topics = ["handshake", "nope"]', "unknown topic 'nope'"),
        (("```scenario\nhandshake\n```", "```scenario\nno-such\n```"), "no-such", "no scenario named 'no-such'"),
        (('segment = "server SYN+ACK"', 'segment = "server SYNACK"'), 'segment = "server SYNACK"', "unknown word 'SYNACK'"),
        (('what = "ack"', 'what = "acknowledgment"'), 'what = "acknowledgment"', "unknown what 'acknowledgment'"),
        (("answer = false", "answer = 0"), "answer = 0", "needs answer = true or false"),
        (("difficulty = 2", "difficulty = 5"), "difficulty = 5", "difficulty must be 1, 2 or 3"),
    ],
)
def test_single_problems_and_their_lines(topics, scenario_names, change, needle, fragment):
    old, new = change
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    _, problems = parse_lesson(text, "l.md", topics=topics, scenario_names=scenario_names)
    assert len(problems) == 1, problems
    (problem,) = problems
    assert fragment in problem.message
    assert problem.line == (line_of(text, needle) if needle else 1)


# ------------------------------------------------------------ numeric questions with computed answers

NUMERIC = GOOD + textwrap.dedent('''
    ```question
    id = "tiny-rtt"
    kind = "numeric"
    topics = ["handshake"]
    prompt = "SRTT {s} ms, sample {r} ms. New SRTT?"
    explanation = "7/8 x {s} + 1/8 x {r} = {s1} ms."

    [vary]
    s = [100, 200]
    r = { choice = [50, 150.5] }

    [let]
    s1 = "0.875 * s + 0.125 * r"

    [[part]]
    field = "srtt"
    label = "SRTT"
    answer = "s1"
    unit = "ms"
    tolerance = "1%"
    ```
''')


def test_a_numeric_question_with_vary_let_and_parts_compiles(tmp_path):
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "01-tiny.md").write_text(NUMERIC, encoding="utf-8")
    course, _ = compile_content(read_content(tmp_path), workers=1)
    q = next(q for q in course.questions if q.id == "tiny-rtt")
    assert q.fields == ("srtt",) and q.lets == (("s1", "0.875 * s + 0.125 * r"),) and q.varies
    assert q.line == line_of(NUMERIC, 'id = "tiny-rtt"')


@pytest.mark.parametrize(("change", "needle", "fragment"), [
    # parse-time problems are reported at the line of the key that holds them
    (('s1 = "0.875 * s + 0.125 * r"', 's1 = "0.875 * s + 0.125 * rr"'), 's1 = "0.875', "let.s1: '0.875 * s + 0.125 * rr': unknown name 'rr'"),
    (('answer = "s1"', 'answer = "open(s1)"'), 'answer = "open', "answer: 'open(s1)': 'open' is not a known function"),
    (('answer = "s1"', 'answer = "s1[0]"'), 'answer = "s1[0]"', "Subscript is not allowed"),
    # seed-time problems (found by trying the 50 seeds) at the question's id line
    (('answer = "s1"', 'answer = "s1 / (r - 50)"'), 'id = "tiny-rtt"', "(seed "),
    (("sample {r} ms", "sample {rtt} ms"), 'id = "tiny-rtt"', "placeholder {rtt} has no value"),
])
def test_numeric_problems_are_reported_at_their_line(tmp_path, change, needle, fragment):
    old, new = change
    assert old in NUMERIC
    text = NUMERIC.replace(old, new, 1)
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "01-tiny.md").write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as err:
        compile_content(read_content(tmp_path), workers=1)
    (problem,) = err.value.problems
    assert fragment in problem.message, problem
    assert problem.line == line_of(text, needle)
    if "seed" in fragment:
        assert "division by zero" in problem.message
