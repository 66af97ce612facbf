"""Fuzzing every answer reader and grade() (issue 16: one cell must not stop the class).

Hypothesis feeds each reader in tcptutor.grading.answers, and grade() on real questions of
every kind, answers of every shape: arbitrary Unicode (surrogate-free, as a decoded CSV cell
or terminal line is), answer-like token soups, and the adversarial shapes that used to crash
or hang (309+ digit times, 4,301+ digit choices, 131,072+ character cells, 20,001-character
inputs of the shape each former quadratic regex backtracked on, NULs, terminal escapes, bidi
marks, full-width and NFKC-expanding forms). The properties: a reader never raises, returns
its value type or an Unreadable that carries a message; grade() never raises, every verdict
is correct, wrong or unreadable, and scores lie in [0, 1].

Each example has a Hypothesis deadline (the issue asks for one): a linear reader answers in
microseconds, so the deadlines below are hundreds of times what an example needs, even on a
loaded machine; a quadratic reader on these inputs took seconds to minutes.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tcptutor import library
from tcptutor.grading import answers
from tcptutor.grading.answers import MAX_ANSWER_CHARS, STATES, Unreadable
from tcptutor.grading.grader import CORRECT, UNREADABLE, WRONG, grade
from tcptutor.questions.model import question_from_toml
from tcptutor.questions.variants import make_variant

READER_DEADLINE = timedelta(milliseconds=250)
GRADE_DEADLINE = timedelta(milliseconds=1000)
FUZZ = settings(max_examples=150, deadline=READER_DEADLINE, suppress_health_check=[HealthCheck.too_slow])
FUZZ_GRADE = settings(max_examples=60, deadline=GRADE_DEADLINE, suppress_health_check=[HealthCheck.too_slow])

N = 20_001  # the length that took 30.6 s under the old regular expressions
ADVERSARIAL = {
    # the shapes the old regexes backtracked on, at the length of the issue and just under the limit
    "seconds-digits-then-junk": "1" * (N - 1) + "!",
    "seconds-digits-then-dot": "1" * (N - 1) + ".",
    "seconds-digits-under-limit": "1" * (MAX_ANSWER_CHARS - 1) + "!",
    "list-spaces-between": "A" + " " * (N - 2) + "B",
    "list-spaces-under-limit": "A" + " " * (MAX_ANSWER_CHARS - 2) + "B",
    "list-tabs-then-junk": "A" + "\t" * (N - 2) + "x",
    "list-only-spaces": " " * N,
    "list-spaces-before-arrow": "CLOSED" + " " * (MAX_ANSWER_CHARS - 20) + "-> LISTEN",
    "thousands-almost": "1,000" * 199 + "x",
    "state-dashes": "_-" * (N // 2),
    "flags-letters": "S" * N,
    "flags-pluses": "+" * N,
    # numbers past the float and int-string limits
    "309-digits": "9" * 309,
    "309-digits-ms": "9" * 309 + "ms",
    "400-digits-hours": "9" * 400 + " h",
    "4301-digits": "1" * 4_301,
    "1000-digits": "7" * MAX_ANSWER_CHARS,
    "1000-hex": "0x" + "f" * (MAX_ANSWER_CHARS - 2),
    "exponent": "1e99999",
    "inf": "inf",
    "nan": "nan",
    "negative-zero": "-0",
    # a CSV cell at and past the csv module's field limit
    "131072-chars": "x" * 131_072,
    "131073-digits": "1" * 131_073,
    # control characters, escapes, bidi, odd Unicode
    "nuls": "\x00" * 50 + "1001",
    "nul-inside": "10\x0001",
    "csi": "\x1b[31m1001\x1b[0m",
    "osc-title": "\x1b]0;pwned\x07SYN",
    "c1-csi": "\x9b2J",
    "forged-heading": "1001\n## 2 / 2 points",
    "crlf": "SYN\r\nACK",
    "rtl-override": "\u202e1001",
    "rtl-isolates": "\u2067ESTAB\u2069",
    "zero-width": "10\u200b01",
    "bom": "\ufeff1001",
    "combining": "A" + "\u0301" * 5_000,
    "full-width-digits": "１" * 500,
    "full-width-state": "ＳＹＮ＿ＳＥＮＤ",
    "nfkc-expanding": "\ufdfa" * 100,
    "nfkc-expanding-digits": "⑳" * 500,
    "ideographic-spaces": "\u3000" * 500 + "LISTEN",
    "astral": "𝟏𝟎𝟎𝟏",
    "emoji": "👍" * 300,
    "syn-send": "SYN_SEND",
    "list-of-misses": "SYN_SEND, " * 90,
    "many-separators": "->" * 499,
    "many-states": "CLOSED," * 140,
}

# Pieces of real answers, glued at random: reaches the branches plain random text rarely does.
TOKENS = [
    "0", "1", "9", "1001", "4294967295", "0x", "3e9", "ff", "-", "+", ".", ",", "_", " ", "  ", "\t", "\n",
    "=", ":", "seq", "ack", "len", "ms", "s", "min", "h", "秒", "毫秒", "分钟", "e", "E",
    *STATES, "SYN_RCVD", "ESTAB", "SYN_SEND", "time wait", "同步收到", "已建立连接", "状态", "TCP_",
    "SYN", "ACK", "FIN", "RST", "PSH", "S.", "F.", "[", "]", "(", ")", "{", "}", "+", "/", "|", "&",
    "->", "=>", "→", "⟶", ">", "，", "；", "、", ";",
    "A", "B", "C", "D", "a", "c", "2", "3", "true", "false", "对", "错", "√", "×",
    "１", "０", "ｘ", "Ａ", "ＳＹＮ", "\u3000", "\x00", "\x1b[", "\x1b]", "\x07", "\u202e", "\ufdfa", "⑳",
]
token_soup = st.lists(st.sampled_from(TOKENS), max_size=40).map("".join)
repeated = st.builds(lambda piece, n: piece * n, st.sampled_from(TOKENS), st.integers(0, 1_200))
answers_st = st.one_of(st.text(), st.text(max_size=1_200), token_soup, repeated, st.sampled_from(list(ADVERSARIAL.values())))

SHOWN = ["SYN-SENT", "CLOSED", "ESTABLISHED"]
READERS = {
    "number": (answers.read_number, int),
    "seconds": (answers.read_seconds, float),
    "state": (answers.read_state, str),
    "states": (answers.read_states, list),
    "flags": (answers.read_flags, str),
    "bool": (answers.read_bool, bool),
    "letters-1": (lambda text: answers.read_letters(text, 1), str),
    "letters-4": (lambda text: answers.read_letters(text, 4), str),
    "order": (lambda text: answers.read_order(text, SHOWN), list),
    "order-by-name": (lambda text: answers.read_order(text, ["MSS index (3 bits)", "hash, ports (24 bits)", "t"]), list),
    "float": (answers.read_float, float),
    "number-or-none": (answers.read_number_or_none, (int, str)),
    "options": (answers.read_option_kinds, str),
    "quantity-s": (lambda text: answers.read_quantity(text, "s"), float),
    "quantity-rate": (lambda text: answers.read_quantity(text, "Mbit/s"), float),
    "quantity-free": (lambda text: answers.read_quantity(text, "packets"), float),
}


def check_reading(name: str, text: str) -> None:
    """The property every reader has on every text."""
    reader, kind = READERS[name]
    got = reader(text)
    if isinstance(got, Unreadable):
        assert got.given == text
        assert got.expected.strip(), "an Unreadable must say what a readable answer looks like"
        assert len(str(got)) < 1_000, "the message quotes the answer's start, not all of it"
        if len(text) > MAX_ANSWER_CHARS:
            assert f"at most {MAX_ANSWER_CHARS:,} characters" in got.expected
        return
    assert isinstance(got, kind), (name, text, got)
    assert len(text) <= MAX_ANSWER_CHARS
    if kind is float:
        assert got == got and abs(got) != float("inf"), "a time or number must be finite"
    if name == "state":
        assert got in STATES
    if name == "states":
        assert got and all(s in STATES for s in got)
    if name == "seconds":
        assert 0 <= got <= answers.MAX_SECONDS


@pytest.mark.parametrize("name", READERS)
@pytest.mark.parametrize("text", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_every_reader_survives_every_adversarial_answer(name, text):
    check_reading(name, text)


def _fuzz_reader(name):
    @FUZZ
    @given(answers_st)
    @example(ADVERSARIAL["seconds-digits-then-junk"])
    @example(ADVERSARIAL["list-spaces-between"])
    @example(ADVERSARIAL["131073-digits"])
    def fuzz(text):
        check_reading(name, text)

    fuzz.__name__ = f"test_fuzz_{name.replace('-', '_')}"
    return fuzz


for _name in READERS:
    _test = _fuzz_reader(_name)
    globals()[_test.__name__] = _test
del _name, _test


@FUZZ
@given(st.text(max_size=MAX_ANSWER_CHARS))
def test_a_state_name_with_anything_around_it_is_read_or_unreadable(junk):
    for text in (f"{junk}ESTABLISHED", f"ESTABLISHED{junk}", f"SYN_SEND{junk}"):
        check_reading("state", text)
        check_reading("states", text)


# ----------------------------------------------------------------------- grade() on real questions

SCENARIOS = {p.stem: p.read_text(encoding="utf-8") for p in library.SCENARIOS.glob("*.toml")}
TOPICS = {"handshake", "teardown", "header-flags", "syn-attacks", "time-wait", "sequence-numbers", "resets",
          "simultaneous", "retransmission", "misconceptions"}


def _question(kind: str = "predict", scenario: str = "", asks: tuple = (), **extra):
    data = {"id": f"fuzz-{kind}", "kind": kind, "topics": ["handshake"], "difficulty": 1, "prompt": "Fuzz.",
            "explanation": "Because TCP.", **extra}
    if kind == "predict":
        data |= {"scenario": scenario, "ask": list(asks)}
    q, problems = question_from_toml(data, path="fuzz.md", line_of=lambda key: 1, lesson="fuzz", topics=TOPICS)
    assert not problems, problems
    return q


def _seg(what, segment, field):
    return {"field": field, "what": what, "segment": segment}


def _timeout(timer, field, nth=1):
    return {"field": field, "what": "timeout", "endpoint": "client", "timer": timer, "nth": nth}


OPTIONS = [{"text": "one", "correct": True, "feedback": "Yes."}, {"text": "two", "correct": False, "feedback": "No."},
           {"text": "three", "correct": True, "feedback": "Also."}]
QUESTIONS = {
    "handshake": _question(scenario="handshake", asks=(
        _seg("seq", "server SYN+ACK", "seq"), _seg("ack", "server SYN+ACK", "ack"), _seg("flags", "server SYN+ACK", "flags"),
        {"field": "st", "what": "state", "endpoint": "server", "at": "server SYN+ACK"},
        {"field": "path", "what": "states", "endpoint": "client"}, _seg("arrived_at", "server SYN+ACK", "at"))),
    "time-wait": _question(scenario="active-close", asks=(_timeout("time-wait", "tw"),)),
    "linux-time-wait": _question(scenario="linux-time-wait", asks=(_timeout("time-wait", "tw"),)),
    "syn-timeout": _question(scenario="syn-timeout", asks=(_timeout("syn", "rto", nth=3),)),
    "lost-data": _question(scenario="lost-data", asks=(_seg("count", "client DATA retransmission", "n"),)),
    "single": _question("single", options=[dict(o, correct=i == 0) for i, o in enumerate(OPTIONS)]),
    "multiple": _question("multiple", options=OPTIONS),
    "truefalse": _question("truefalse", answer=False),
    "numeric": _question("numeric", answer=240, tolerance=1, unit="s"),
    "numeric-vary": _question("numeric", vary={"r": {"choice": [0.5, 1.25]}, "n": [1, 9]},
                              let={"e": "0.875 * r + 0.125 * n"},
                              part=[{"field": "est", "answer": "e", "unit": "ms", "tolerance": "1%"},
                                    {"field": "rate", "answer": "n / r", "unit": "Mbit/s"}]),
    "ordering": _question("ordering", items=["CLOSED", "SYN-SENT", "ESTABLISHED"]),
}
VARIANTS = {name: make_variant(q, 7, SCENARIOS) for name, q in QUESTIONS.items()}


def check_grade(name: str, given: dict[str, str]) -> None:
    variant = VARIANTS[name]
    result = grade(variant, given)
    assert [f.field for f in result.fields] == list(variant.expected)
    for f in result.fields:
        assert f.verdict in (CORRECT, WRONG, UNREADABLE)
        assert 0.0 <= f.credit <= 1.0
        assert f.feedback.strip()
        if f.verdict == UNREADABLE:
            assert f.credit == 0.0 and f.misconception is None
            assert "not counted as a mistake" in f.feedback
    for score in (result.score, result.readable_score):
        assert score is None or 0.0 <= score <= 1.0
    result.to_json()


def _fuzz_grade(name):
    fields = list(VARIANTS[name].expected)

    @FUZZ_GRADE
    @given(st.fixed_dictionaries({f: answers_st for f in fields}))
    def fuzz(given):
        check_grade(name, given)

    fuzz.__name__ = f"test_fuzz_grade_{name.replace('-', '_')}"
    return fuzz


for _name in QUESTIONS:
    _test = _fuzz_grade(_name)
    globals()[_test.__name__] = _test
del _name, _test


@pytest.mark.parametrize("name", QUESTIONS)
@pytest.mark.parametrize("text", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_grade_survives_every_adversarial_answer_in_every_field(name, text):
    check_grade(name, dict.fromkeys(VARIANTS[name].expected, text))


@pytest.mark.parametrize("name", ["time-wait", "linux-time-wait", "syn-timeout"])
@pytest.mark.parametrize("text", ["9" * 309, "9" * 400 + "ms", "1e999", "inf"])
def test_a_time_of_hundreds_of_digits_is_unreadable_not_a_crash(name, text):
    """Issue 16: float('9' * 309) is inf, and round(inf) stopped grading the whole class."""
    (field,) = VARIANTS[name].expected
    (verdict,) = grade(VARIANTS[name], {field: text}).fields
    assert verdict.verdict == UNREADABLE


def test_a_choice_of_4301_digits_is_unreadable_not_a_crash():
    for name in ("single", "multiple"):
        (verdict,) = grade(VARIANTS[name], {"answer": "1" * 4_301}).fields
        assert verdict.verdict == UNREADABLE
