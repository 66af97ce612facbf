"""Numeric questions with [vary], [let], computed answers and [[part]]s (content v2)."""

from __future__ import annotations

import tomllib

import pytest

from tcptutor.grading.grader import CORRECT, UNREADABLE, WRONG, grade
from tcptutor.questions.model import Question, question_from_toml
from tcptutor.questions.variants import VariantError, make_variant

TOPICS = {"rtt", "retransmission"}

SRTT = '''
id = "srtt-two"
kind = "numeric"
topics = ["rtt"]
difficulty = 2
prompt = "EstimatedRTT is {e0} ms; samples {r1} ms then {r2} ms. alpha = 1/8."
explanation = "E1 = 0.875 x {e0} + 0.125 x {r1} = {e1} ms; E2 = 0.875 x {e1} + 0.125 x {r2} = {e2} ms."

[vary]
e0 = [80, 120]
r1 = { choice = [90, 110.5] }
r2 = [60, 140]

[let]
e1 = "0.875 * e0 + 0.125 * r1"
e2 = "0.875 * e1 + 0.125 * r2"

[[part]]
field = "e1"
label = "EstimatedRTT after the first sample"
answer = "e1"
unit = "ms"
tolerance = 0.01

[[part]]
field = "e2"
label = "EstimatedRTT after the second sample"
answer = "e2"
unit = "ms"
tolerance = "1%"
'''


def parse(text: str) -> tuple[Question | None, list]:
    data = tomllib.loads(text)
    lines = text.splitlines()

    def line_of(key):
        for i, line in enumerate(lines, 1):
            if key and (line.strip().startswith(f"{key} =") or line.strip() in (f"[{key}]", f"[[{key}]]")):
                return i
        return 2

    return question_from_toml(data, path="q.md", line_of=line_of, lesson="l", topics=TOPICS, source=text.lstrip("\n"))


def question(text: str) -> Question:
    q, problems = parse(text)
    assert not problems, problems
    return q


def test_lets_are_computed_in_order_from_the_variants_values():
    q = question(SRTT)
    assert q.fields == ("e1", "e2") and q.multipart and q.varies
    for seed in range(20):
        v = make_variant(q, seed, {})
        p = v.params
        assert 80 <= p["e0"] <= 120 and p["r1"] in (90, 110.5)
        assert p["e1"] == pytest.approx(0.875 * p["e0"] + 0.125 * p["r1"])
        assert v.expected["e2"].value == pytest.approx(0.875 * p["e1"] + 0.125 * p["r2"])
        assert v.expected["e2"].tolerance == pytest.approx(abs(v.expected["e2"].value) / 100)
        assert v.expected["e1"].tolerance == 0.01
        assert "{" not in v.prompt and "{" not in v.explanation


def test_seeds_give_different_numbers_and_the_same_seed_the_same():
    q = question(SRTT)
    values = {make_variant(q, s, {}).answer_key["e2"] for s in range(30)}
    assert len(values) > 10
    assert make_variant(q, 3, {}).answer_key == make_variant(q, 3, {}).answer_key


def test_prompt_numbers_are_formatted_sensibly():
    q = question(SRTT.replace("e0 = [80, 120]", "e0 = { choice = [100] }").replace("r1 = { choice = [90, 110.5] }", "r1 = { choice = [101] }"))
    v = make_variant(q, 0, {})
    assert "EstimatedRTT is 100 ms" in v.prompt and "100.125 ms" in v.explanation  # 87.5 + 12.625


def test_grading_multipart_with_units_and_tolerances():
    q = question(SRTT)
    v = make_variant(q, 5, {})
    e1, e2 = v.answer_key["e1"], v.answer_key["e2"]
    g = grade(v, {"e1": f"{e1} ms", "e2": f"{e2 / 1000 * 1.005} s"})
    assert [f.verdict for f in g.fields] == [CORRECT, CORRECT]
    g = grade(v, {"e1": f"{e1 + 1}", "e2": "12 bytes"})
    wrong, unreadable = g.fields
    assert wrong.verdict == WRONG and unreadable.verdict == UNREADABLE
    # the feedback shows the expected value and the worked computation with this variant's numbers
    assert "Expected" in wrong.feedback and f"E1 = 0.875 x {v.params['e0']}" in wrong.feedback
    assert g.score == 0


def test_a_single_answer_expression_is_one_part_called_answer():
    q = question('''
id = "rto-first"
kind = "numeric"
topics = ["rtt"]
prompt = "First sample {r} s. RTO?"
explanation = "max(1, {r} + 4 x {r}/2)"
answer = "max(1, r + 4 * r / 2)"
unit = "s"
[vary]
r = { choice = [0.1, 0.3, 0.5] }
''')
    assert q.fields == ("answer",) and not q.multipart
    for seed in range(10):
        v = make_variant(q, seed, {})
        assert v.answer_key["answer"] == pytest.approx(max(1, 3 * v.params["r"]))
        assert grade(v, {"answer": f"{v.answer_key['answer'] * 1000} ms"}).score == 1


def test_fixed_numeric_questions_keep_their_spec_and_hash():
    fixed = question('''
id = "tw"
kind = "numeric"
topics = ["rtt"]
prompt = "MSL is 2 min. TIME-WAIT in s?"
explanation = "2 MSL."
answer = 240
unit = "s"
''')
    spec = fixed.to_spec()
    assert "lets" not in spec and "parts" not in spec and not fixed.varies
    assert Question.from_spec(spec).content_hash == fixed.content_hash


def test_the_bank_round_trip_keeps_lets_and_parts():
    q = question(SRTT)
    back = Question.from_spec(q.to_spec())
    assert back.content_hash == q.content_hash and back.parts == q.parts and back.lets == q.lets
    assert make_variant(back, 4, {}).answer_key == make_variant(q, 4, {}).answer_key


@pytest.mark.parametrize("change, fragment, key", [
    (('e2 = "0.875 * e1 + 0.125 * r2"', 'e2 = "0.875 * e1 + 0.125 * r3"'), "unknown name 'r3'", "e2 ="),
    (('e1 = "0.875 * e0 + 0.125 * r1"', 'e1 = "0.875 * e2 + 0.125 * r1"'), "unknown name 'e2'", "e1 ="),
    (('answer = "e2"', 'answer = "__import__(\'os\')"'), "not a known function", 'answer = "__import__'),
    (('answer = "e2"', 'answer = "e2.real"'), "Attribute is not allowed", 'answer = "e2.real"'),
    (('tolerance = "1%"', 'tolerance = "1 percent"'), "or a percentage like", 'tolerance = "1 percent"'),
    (('field = "e2"', 'field = "e1"'), "field 'e1' is used twice", 'field = "e1"'),
    (('r2 = [60, 140]', 'sqrt = [60, 140]'), "vary.sqrt", "sqrt ="),
    (('unit = "ms"\ntolerance = "1%"', 'unit = "ms"\ntolerance = "1%"\ncolour = 1'), "unknown field 'colour'", "colour ="),
])
def test_content_errors_name_the_line_and_the_expression(change, fragment, key):
    old, new = change
    assert old in SRTT
    text = SRTT.replace(old, new)
    q, problems = parse(text)
    assert q is None
    hits = [p for p in problems if fragment in p.message]
    assert hits, problems
    line = [i for i, l in enumerate(text.lstrip("\n").splitlines(), 2) if l.startswith(key)][-1]  # the last: part 2's
    assert hits[0].line == line, (hits[0], line)


def test_answer_and_parts_together_is_an_error():
    _, problems = parse(SRTT.replace('[vary]', 'answer = 3\n[vary]'))
    assert any("belongs in each [[part]]" in p.message for p in problems)


def test_a_seed_that_divides_by_zero_is_a_variant_error():
    q = question(SRTT.replace('answer = "e1"', 'answer = "1 / (r1 - 90)"'))
    seeds_failing = []
    for seed in range(50):
        try:
            make_variant(q, seed, {})
        except VariantError as err:
            assert "division by zero" in str(err)
            seeds_failing.append(seed)
    assert seeds_failing  # r1 = 90 on some seeds


def test_a_placeholder_without_a_value_is_a_variant_error():
    q = question(SRTT.replace("samples {r1}", "samples {r9}"))
    with pytest.raises(VariantError, match=r"\{r9\} has no value"):
        make_variant(q, 0, {})
