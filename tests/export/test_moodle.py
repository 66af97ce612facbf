"""`tcptutor export moodle-xml`: the whole shipped bank as a Moodle XML quiz file.

Checks: well-formed (lxml); read by third-party code (tests/export/node/parse_moodle.js: the
npm package moodlexml-to-json for the question types it reads, and a port of Moodle's own
Cloze reader for the multianswer questions it skips; there is no npm package named
moodle-xml-parser); every number equal to the grader's key; and every answer equal to the
GIFT export of the same set, question variant by question variant, field by field.

Without node/npm these tests skip outside CI and fail in CI (CI=true).
"""

from __future__ import annotations

import html
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from readers import unavailable, run_node

from tcptutor.export import load_formats
from tcptutor.export._fields import Part, Wrong, has_fields, misconception_answers, seeded_ident
from tcptutor.export.moodle import cloze_subquestion
from tcptutor.grading.grader import show
from tcptutor.grading.misconceptions import CATALOG, Context, diagnose

ROOT = Path(__file__).resolve().parents[2]
VARIANTS = 2
SEED = 7
NUMBER_WHATS = ("seq", "ack", "len", "win", "count", "sent_at", "arrived_at", "timeout", "sport", "dport")


def need_lxml():
    try:
        from lxml import etree
    except ImportError:
        unavailable("lxml is not installed (pip install -e '.[test]')")
    return etree


@pytest.fixture(scope="module")
def moodle_file(selection, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("moodle") / "bank.xml"
    assert load_formats()["moodle-xml"](selection, path) == [path]
    return path


@pytest.fixture(scope="module")
def moodle(moodle_file) -> list[dict]:
    return run_node("parse_moodle.js", moodle_file)["questions"]


@pytest.fixture(scope="module")
def gift(selection, tmp_path_factory) -> dict[str, dict]:
    path = tmp_path_factory.mktemp("gift") / "bank.gift.txt"
    load_formats()["gift"](selection, path)
    return {q["id"]: q for q in run_node("parse_gift.js", path)["questions"] if q["type"] != "Category"}


def questions(moodle) -> dict[str, dict]:
    return {q["idnumber"]: q for q in moodle if q["type"] != "category"}


def correct(alternatives) -> list[dict]:
    return [a for a in alternatives if a["fraction"] == 1]


def test_well_formed_with_categories_per_lesson(moodle_file, selection):
    etree = need_lxml()
    doc = etree.parse(str(moodle_file), etree.XMLParser(resolve_entities=False, no_network=True))
    root = doc.getroot()
    assert root.tag == "quiz"
    categories = [q.findtext("category/text") for q in root.findall("question[@type='category']")]
    for lesson in selection.lessons.values():
        prefix = f"$course$/tcptutor/{lesson.replace('/', '//')}"
        assert any(c == prefix or c.startswith(prefix + "/") for c in categories), lesson
    names = [q.findtext("name/text") for q in root.findall("question") if q.get("type") != "category"]
    assert len(names) == len(set(names)) == sum(len(i.variants) for i in selection.items)
    assert "hs-synack-numbers v1 (seed 7)" in names and "hs-synack-numbers v2 (seed 8)" in names
    types = {q.get("type") for q in root.findall("question")}
    assert types == {"category", "multianswer", "multichoice", "truefalse", "numerical", "ordering"}


def test_every_question_is_read_back(moodle, selection):
    read = questions(moodle)
    assert set(read) == {seeded_ident(v, k) for i in selection.items for k, v in enumerate(i.variants)}
    readers = {q["reader"] for q in moodle}
    assert {"moodlexml-to-json", "moodle-cloze-port"} <= readers
    for item in selection.items:
        for k, variant in enumerate(item.variants):
            q = read[seeded_ident(variant, k)]
            if has_fields(item.question):
                assert len(q["subquestions"]) == len(variant.expected)
                assert all(f"{{#{n}}}" in q["text"] for n in range(1, len(variant.expected) + 1))
                assert "{" not in q["text"].replace("{#", "")  # no brace left that Moodle would misread


def test_numbers_match_the_key(moodle, selection, keys):
    read = questions(moodle)
    for item in selection.items:
        q = item.question
        for k, variant in enumerate(item.variants):
            m = read[seeded_ident(variant, k)]
            key = keys[q.id][k]
            if has_fields(q):
                for sub, (name, value) in zip(m["subquestions"], key.items()):
                    right = correct(sub["alternatives"])[0]  # a short answer lists its canonical spelling first
                    assert sub["type"] == "shortanswer" or len(correct(sub["alternatives"])) == 1
                    if variant.expected[name].what == "numeric":  # a part of a multi-part numeric question
                        assert sub["type"] == "numerical"
                        assert float(right["answer"]) == pytest.approx(value, abs=1e-9)
                        assert float(right["tolerance"]) == pytest.approx(variant.expected[name].tolerance)
                    elif variant.expected[name].what in ("srtt", "rttvar", "rto"):  # within half a millisecond
                        assert sub["type"] == "numerical"
                        assert float(right["answer"]) == pytest.approx(value, abs=1e-9)
                        assert float(right["tolerance"]) == pytest.approx(0.0005)
                    elif variant.expected[name].what in NUMBER_WHATS:
                        assert sub["type"] == "numerical"
                        assert float(right["answer"]) == pytest.approx(value, abs=1e-9)
                        assert isinstance(value, float) or int(right["answer"]) == value
                        assert float(right["tolerance"]) == 0
                    else:
                        assert right["answer"] == show(value), f"{q.id} {name}"
            elif q.kind == "numeric":
                assert m["correctAnswer"] == [pytest.approx(value) for value in [key["answer"]]]
            elif q.kind == "truefalse":
                assert m["correctAnswer"] is key["answer"]
            elif q.kind in ("single", "multiple"):
                assert [chr(65 + i) for i in m["correctAnswer"]] == list(key["answer"])
            elif q.kind == "ordering":
                assert m["items"] == key["answer"]


def test_answers_equal_the_gift_export(moodle, gift, selection):
    read = questions(moodle)
    compared = 0
    for ident, m in read.items():
        base = ident.rsplit("-s", 1)[0]  # GIFT has no idnumber: its titles carry no seed
        if m["type"] == "multianswer":
            variant = next(v for i in selection.items for k, v in enumerate(i.variants)
                           if seeded_ident(v, k) == ident)
            for sub, name in zip(m["subquestions"], variant.expected):
                g = gift[f"{base}-{name}"]
                gift_right = [c for c in g["choices"] if c["isCorrect"] and c["weight"] in (None, 100)]
                if sub["type"] == "numerical":
                    (right,) = correct(sub["alternatives"])
                    assert [float(right["answer"])] == [c["text"]["number"] for c in gift_right]
                    assert float(right["tolerance"]) == gift_right[0]["text"]["range"]
                    wrong = {(float(a["answer"]), a["feedback"]) for a in sub["alternatives"] if a["fraction"] == 0}
                    gift_wrong = {(c["text"]["number"], c["feedback"]["text"]) for c in g["choices"] if c["weight"] == 0}
                    assert wrong == gift_wrong, ident
                elif sub["type"] == "multichoice":  # flags or a state: the GIFT short answer's canonical spelling
                    (right,) = correct(sub["alternatives"])
                    assert right["answer"] == gift_right[0]["text"]["text"]
                else:
                    assert [a["answer"] for a in correct(sub["alternatives"])] == [c["text"]["text"] for c in gift_right]
                compared += 1
            continue
        g = gift[base]
        if m["type"] == "multichoice":
            right = {m["answers"][i]["text"] for i in m["correctAnswer"]}
            assert right == {c["text"]["text"] for c in g["choices"] if (c["weight"] or 0) > 0 or
                             (c["isCorrect"] and c["weight"] is None)}
            assert [a["text"] for a in m["answers"]] == [c["text"]["text"] for c in g["choices"]]
        elif m["type"] == "truefalse":
            assert g["isTrue"] is m["correctAnswer"]
        elif m["type"] == "numerical":
            assert m["correctAnswer"] == [g["choices"][0]["text"]["number"]]
        elif m["type"] == "ordering":
            pairs = sorted(g["matchPairs"], key=lambda p: int(p["subanswer"]))
            assert m["items"] == [p["subquestion"]["text"] for p in pairs]
        compared += 1
    assert compared == len(gift)


def test_wrong_values_name_the_misconception_the_grader_would(moodle, selection):
    read = questions(moodle)
    explanations = {m.id: m.explanation for m in CATALOG}
    checked = 0
    for item in selection.items:
        if item.question.kind != "predict":
            continue
        for k, variant in enumerate(item.variants):
            m = read[seeded_ident(variant, k)]
            for sub, (name, e) in zip(m["subquestions"], variant.expected.items()):
                if sub["type"] != "numerical":
                    continue
                ask = next(a for a in item.question.asks if a.field == name)
                for alt in (a for a in sub["alternatives"] if a["fraction"] == 0):
                    given = float(alt["answer"]) if isinstance(e.value, float) else int(alt["answer"])
                    found = diagnose(Context(ask, e, given, variant.trace, variant.params))
                    assert found is not None, f"{m['name']} {name}={given}"
                    assert explanations[found.id] in alt["feedback"]
                    checked += 1
    assert checked > 100
    # The ack of the SYN+ACK: ISN (SYN not counted) and ISN - ISN (relative) both get feedback.
    variant = next(i for i in selection.items if i.question.id == "hs-synack-numbers").variants[0]
    wrong = {w.misconception for w in misconception_answers(variant, "ack")}
    assert {"syn-not-counted", "relative-numbers"} <= wrong


def moodle_reader_texts(path: Path) -> list[str]:
    """Every <text> as Moodle's core_xml_parser (lib/xmlize.php) reads it.

    It passes the file to the XML parser in 4,096-byte pieces and its characterdata()
    drops every piece of character data that trims to nothing. Escaped text reaches it
    split at every character reference (and at line ends, with expat) and at every piece
    boundary; a CDATA section reaches it as one piece per parse chunk (libxml2's
    cdataBlock), which is what the merging below emulates.
    """
    import xml.parsers.expat

    parser = xml.parsers.expat.ParserCreate("UTF-8")
    parser.buffer_text = False
    texts: list[str] = []
    state = {"in_text": False, "in_cdata": False, "pending": ""}

    def keep(piece: str) -> None:
        if state["in_text"] and piece.strip() != "":
            texts[-1] += piece

    def start(name, attrs):
        if name == "text":
            state["in_text"] = True
            texts.append("")

    def end(name):
        if name == "text":
            state["in_text"] = False

    def chars(data):
        if state["in_cdata"]:
            state["pending"] += data
        else:
            keep(data)

    def cdata_start():
        state["in_cdata"], state["pending"] = True, ""

    def cdata_end():
        keep(state["pending"])
        state["in_cdata"], state["pending"] = False, ""

    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = chars
    parser.StartCdataSectionHandler, parser.EndCdataSectionHandler = cdata_start, cdata_end
    data = path.read_bytes().strip()
    for i in range(0, len(data), 4096):
        parser.Parse(data[i:i + 4096], False)
        if state["in_cdata"]:  # the chunk ends inside a CDATA section: its piece so far
            keep(state["pending"])
            state["pending"] = ""
    parser.Parse(b"", True)
    return texts


def test_moodle_reader_gets_every_text_intact(moodle_file):
    etree = need_lxml()
    root = etree.parse(str(moodle_file)).getroot()
    written = [el.text or "" for el in root.iter("text")]
    read = moodle_reader_texts(moodle_file)
    assert len(read) == len(written)
    damaged = [w[:60] for w, r in zip(written, read) if w.strip() != r.strip()]
    assert damaged == []
    assert "<![CDATA[" in moodle_file.read_text(encoding="utf-8")


def test_two_seeds_have_disjoint_idnumbers(bank, tmp_path):
    from tcptutor.export.select import collect

    idents = []
    for seed in (7, 100):
        path = tmp_path / f"seed{seed}.xml"
        load_formats()["moodle-xml"](collect(bank[1], variants=2, seed=seed), path)
        root = ET.parse(path).getroot()
        idents.append({q.findtext("idnumber") for q in root.findall("question") if q.get("type") != "category"})
        names = {q.findtext("name/text") for q in root.findall("question") if q.get("type") != "category"}
        assert f"hs-synack-numbers v1 (seed {seed})" in names
    assert idents[0] and idents[1] and not idents[0] & idents[1]


def test_cdata_splits_its_end_marker():
    from lxml import etree

    from tcptutor.export.moodle import cdata

    text = "<p>a ]]> b ]]]]> c</p>"
    assert etree.fromstring(f"<t>{cdata(text)}</t>").text == text


def test_cloze_special_characters_round_trip(tmp_path):
    nasty = 'a } b # c ~ d / e " f \\ g & h < i > j {1:NUMERICAL:=1} %0% ='
    parts = [
        Part("n", "n", "number", 1001, "1001", nasty, wrong=(Wrong(1000, nasty, "syn-not-counted"),)),
        Part("c", "c", "choice", "SYN+ACK", "SYN+ACK", nasty, choices=("SYN", "SYN+ACK"), wrong=(Wrong("SYN", nasty),)),
        Part("t", "t", "text", ["A"], "A", nasty, accepted=(nasty, "x&"), wrong=(Wrong(nasty + "!", nasty, "x"),)),
    ]
    quiz = ET.Element("quiz")
    q = ET.SubElement(quiz, "question", type="multianswer")
    ET.SubElement(ET.SubElement(q, "name"), "text").text = "nasty"
    ET.SubElement(ET.SubElement(q, "questiontext", format="html"), "text").text = \
        "<p>" + " ".join(cloze_subquestion(p) for p in parts) + "</p>"
    ET.SubElement(q, "idnumber").text = "nasty"
    path = tmp_path / "nasty.xml"
    path.write_bytes(ET.tostring(quiz, encoding="utf-8", xml_declaration=True))
    (m,) = run_node("parse_moodle.js", path)["questions"]
    number, choice, text = m["subquestions"]
    assert m["text"] == "<p>{#1} {#2} {#3}</p>"
    shown = html.escape(nasty, quote=False)  # feedback is HTML: Moodle shows exactly `nasty`
    assert [(a["fraction"], a["answer"], a["feedback"]) for a in number["alternatives"]] == \
        [(1, "1001", shown), (0, "1000", shown)]
    assert [(a["fraction"], a["answer"], a["feedback"]) for a in choice["alternatives"]] == \
        [(0, "SYN", shown), (1, "SYN+ACK", shown)]
    # short answers are compared with what the student types: plain text, exactly
    assert [(a["fraction"], a["answer"], a["feedback"]) for a in text["alternatives"]] == \
        [(1, nasty, shown), (1, "x&", shown), (0, nasty + "!", shown)]


def test_cli_export_moodle_with_variants(bank, tmp_path):
    url, _ = bank
    out = tmp_path / "quiz.xml"
    done = subprocess.run([sys.executable, "-m", "tcptutor", "export", "moodle-xml", "--out", str(out), "--db", url,
                           "--lesson", "handshake", "--variants", "3"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    read = run_node("parse_moodle.js", out)["questions"]
    names = [q["name"] for q in read if q["type"] != "category"]
    assert {"hs-synack-numbers v1 (seed 0)", "hs-synack-numbers v2 (seed 1)", "hs-synack-numbers v3 (seed 2)"} <= set(names)
    categories = {q["category"] for q in read if q["type"] == "category"}
    assert "$course$/tcptutor/The three-way handshake/hs-synack-numbers" in categories  # one per question: draw at random


def test_cloze_escape_writes_a_reference_for_each_special_character():
    """cloze_escape is one str.translate: each of } { # ~ / " \\ & < > as &#N;, the rest as is."""
    from tcptutor.export.moodle import _CLOZE_SPECIAL, cloze_escape

    text = 'a}b{c#d~e/f"g\\h&i<j>k 同步 ]]> &#35;'
    assert cloze_escape(text) == "".join(f"&#{ord(ch)};" if ch in _CLOZE_SPECIAL else ch for ch in text)
    assert cloze_escape("{#}") == "&#123;&#35;&#125;"
