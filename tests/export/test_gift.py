"""`tcptutor export gift`: the whole shipped bank, read back by the npm package gift-pegjs (a
real GIFT parser), with every number equal to the grader's key for the same seeds.

gift-pegjs runs under node (tests/export/node/parse_gift.js). Outside CI, a machine without
node or npm skips these tests; in CI (CI=true) they fail instead.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from readers import run_node

from tcptutor.export import load_formats
from tcptutor.export.gift import gift_escape
from tcptutor.export._fields import has_fields, misconception_answers, text_html, variant_ident
from tcptutor.grading.grader import show
from tcptutor.grading.misconceptions import BY_ID
from tcptutor.questions.variants import LETTERS

ROOT = Path(__file__).resolve().parents[2]
VARIANTS = 2
SEED = 11


@pytest.fixture(scope="module")
def gift_file(selection, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("gift") / "bank.gift.txt"
    assert load_formats()["gift"](selection, path) == [path]
    return path


@pytest.fixture(scope="module")
def parsed(gift_file) -> dict:
    data = run_node("parse_gift.js", gift_file)
    assert data["parser"] == "gift-pegjs"
    return data


def by_id(parsed) -> dict[str, dict]:
    return {q["id"]: q for q in parsed["questions"] if q["type"] != "Category"}


def right(choice) -> bool:
    return choice["isCorrect"] and choice["weight"] in (None, 100)


def test_gift_pegjs_reads_every_question_of_the_bank(parsed, selection):
    questions = by_id(parsed)
    expected = set()
    for item in selection.items:
        for k, v in enumerate(item.variants):
            base = variant_ident(item.question.id, k)
            expected |= {f"{base}-{f}" for f in v.expected} if has_fields(item.question) else {base}
    assert len(questions) == len([q for q in parsed["questions"] if q["type"] != "Category"])  # ids are unique
    assert set(questions) == expected
    categories = [q["title"] for q in parsed["questions"] if q["type"] == "Category"]
    for lesson in selection.lessons.values():
        assert any(c.startswith(f"$course$/tcptutor/{lesson.replace('/', '//')}") for c in categories), lesson
    kinds = {q["type"] for q in questions.values()}
    assert {"Numerical", "Short", "MC", "TF", "Matching"} <= kinds


def test_parsed_numbers_match_the_key(parsed, selection, keys):
    questions = by_id(parsed)
    checked = 0
    for item in selection.items:
        q = item.question
        for k, variant in enumerate(item.variants):
            key = keys[q.id][k]
            base = variant_ident(q.id, k)
            if has_fields(q):
                for name, value in key.items():
                    g = questions[f"{base}-{name}"]
                    correct = [c for c in g["choices"] if right(c)]
                    what = variant.expected[name].what
                    if what == "numeric":  # a part of a multi-part numeric question
                        assert g["type"] == "Numerical", g["id"]
                        assert len(correct) == 1, g["id"]
                        assert correct[0]["text"]["number"] == pytest.approx(value, abs=1e-9), g["id"]
                        assert correct[0]["text"]["range"] == pytest.approx(variant.expected[name].tolerance), g["id"]
                    elif what in ("srtt", "rttvar", "rto"):  # seconds, within the grader's half millisecond
                        assert g["type"] == "Numerical", g["id"]
                        assert len(correct) == 1 and correct[0]["text"]["range"] == pytest.approx(0.0005)
                        assert correct[0]["text"]["number"] == pytest.approx(value, abs=1e-9), g["id"]
                    elif what in ("seq", "ack", "len", "win", "count", "sent_at", "arrived_at", "timeout", "sport", "dport"):
                        assert g["type"] == "Numerical", g["id"]
                        assert len(correct) == 1 and correct[0]["text"]["range"] == 0
                        assert correct[0]["text"]["number"] == pytest.approx(value, abs=1e-9), g["id"]
                        assert isinstance(value, float) or correct[0]["text"]["number"] == value
                    else:
                        assert g["type"] == "Short", g["id"]
                        assert correct[0]["text"]["text"] == show(value), g["id"]
                    checked += 1
                continue
            g = questions[base]
            value = key["answer"]
            if q.kind == "single":
                texts = [c["text"]["text"] for c in g["choices"] if c["isCorrect"]]
                assert texts == [text_html(q.options[LETTERS.index(value)].text)]
            elif q.kind == "multiple":
                texts = {c["text"]["text"] for c in g["choices"] if c["weight"] > 0}
                assert texts == {text_html(q.options[LETTERS.index(letter)].text) for letter in value}
                assert sum(c["weight"] for c in g["choices"] if c["weight"] > 0) == pytest.approx(100, abs=0.01)
            elif q.kind == "truefalse":
                assert g["type"] == "TF" and g["isTrue"] is value
            elif q.kind == "numeric":
                (choice,) = g["choices"]
                assert choice["text"]["number"] == pytest.approx(value, abs=1e-9)
                assert choice["text"]["range"] == pytest.approx(variant.expected["answer"].tolerance)
            elif q.kind == "ordering":
                order = sorted(g["matchPairs"], key=lambda p: int(p["subanswer"]))
                assert [p["subquestion"]["text"] for p in order] == value
            checked += 1
    assert checked == sum(len(key) for per_q in keys.values() for key in per_q)


def test_wrong_numbers_carry_the_misconception_that_produces_them(parsed, selection):
    questions = by_id(parsed)
    explanations = {m.explanation for m in BY_ID.values()}
    seen = 0
    for item in selection.items:
        if item.question.kind != "predict":
            continue
        for k, variant in enumerate(item.variants):
            for name in variant.expected:
                g = questions[f"{variant_ident(item.question.id, k)}-{name}"]
                if g["type"] != "Numerical":
                    continue
                wrong = {float(w.value): w for w in misconception_answers(variant, name)}
                parsed_wrong = [c for c in g["choices"] if c["weight"] == 0]
                assert len(parsed_wrong) == len(wrong), g["id"]
                for c in parsed_wrong:
                    w = wrong[float(c["text"]["number"])]
                    assert c["feedback"]["text"] == w.feedback
                    assert any(e in c["feedback"]["text"] for e in explanations)
                    seen += 1
    assert seen > 100
    # The classic one: the ack of a SYN+ACK given as the client's ISN (the SYN not counted).
    g = questions[f"{variant_ident('hs-synack-numbers', 0)}-ack"]
    correct = next(c["text"]["number"] for c in g["choices"] if right(c))
    syn = next(c for c in g["choices"] if c["weight"] == 0 and c["text"]["number"] == correct - 1)
    assert BY_ID["syn-not-counted"].explanation in syn["feedback"]["text"]


def test_prompts_survive_escaping(parsed, selection):
    questions = by_id(parsed)
    for item in selection.items:
        for k, variant in enumerate(item.variants):
            base = variant_ident(item.question.id, k)
            ids = [f"{base}-{f}" for f in variant.expected] if has_fields(item.question) else [base]
            for i in ids:
                assert questions[i]["stem"]["format"] == "html"
                assert questions[i]["stem"]["text"].startswith(text_html(variant.prompt)), i


def test_every_special_character_is_escaped(tmp_path):
    nasty = "a ~ b = c # d { e } f : g \\ h \\n i // j -> k\nsecond line ####"
    text = f"::t {gift_escape(nasty)}::[html]{gift_escape(nasty)}{{={gift_escape(nasty)}#{gift_escape(nasty)} ~x}}\n"
    path = tmp_path / "nasty.gift.txt"
    path.write_text(text, encoding="utf-8")
    (q,) = run_node("parse_gift.js", path)["questions"]
    html_text = nasty.replace("->", "-&gt;")  # GIFT has no escape for its matching arrow
    assert q["type"] == "MC"
    assert q["title"] == "t " + html_text
    assert q["stem"]["text"] == html_text
    assert q["choices"][0]["text"]["text"] == html_text
    assert q["choices"][0]["feedback"]["text"] == html_text


def test_cli_export_gift(bank, tmp_path):
    url, _ = bank
    out = tmp_path / "hs.gift.txt"
    done = subprocess.run([sys.executable, "-m", "tcptutor", "export", "gift", "--out", str(out), "--db", url,
                           "--lesson", "handshake", "--variants", "3", "--seed", "4"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out)
    questions = [q for q in run_node("parse_gift.js", out)["questions"] if q["type"] != "Category"]
    assert {q["id"].rsplit("-", 1)[0] for q in questions if q["id"].startswith("hs-synack-numbers-")} == \
        {"hs-synack-numbers-v1", "hs-synack-numbers-v2", "hs-synack-numbers-v3"}


def test_category_paths_show_html_as_text(selection, tmp_path):
    """A lesson title with HTML and GIFT's special characters: the category read back is
    the title with <, > and & as character references (Moodle prints category names as
    HTML), and the GIFT and Moodle XML exports name the same category."""
    import dataclasses

    title = "Close <b>fast</b> & {slow}: a ~ b = c # d \\ e\nsecond line"
    lessons = dict.fromkeys(selection.lessons, title)
    nasty = dataclasses.replace(selection, items=selection.items[:2], lessons=lessons)
    gift = tmp_path / "n.gift.txt"
    load_formats()["gift"](nasty, gift)
    moodle = tmp_path / "n.xml"
    load_formats()["moodle-xml"](nasty, moodle)
    expected = "$course$/tcptutor/Close &lt;b&gt;fast&lt;//b&gt; &amp; {slow}: a ~ b = c # d \\ e second line"
    gift_categories = {q["title"] for q in run_node("parse_gift.js", gift)["questions"] if q["type"] == "Category"}
    moodle_categories = {q["category"] for q in run_node("parse_moodle.js", moodle)["questions"]
                         if q["type"] == "category"}
    assert gift_categories and all(c == expected or c.startswith(expected + "/") for c in gift_categories)
    assert gift_categories == moodle_categories
    assert all("<" not in c for c in gift_categories)
