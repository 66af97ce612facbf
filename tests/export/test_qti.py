"""`tcptutor export qti`: the whole shipped bank as a Canvas QTI 1.2 zip, validated against the
IMS QTI 1.2.1 DTD with lxml (tests/export/data/ims_qtiasiv1p2p1.dtd, see the README there),
with every number equal to the grader's key for the same seeds.

The DTD ships with the repository, so a missing DTD is a failure, never a skip; a missing
lxml skips locally but fails in CI (CI=true).
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from readers import unavailable
from sqlalchemy.orm import Session

from tcptutor.bank import queries
from tcptutor.export import load_formats
from tcptutor.export._fields import has_fields, variant_ident
from tcptutor.grading.grader import show
from tcptutor.questions.variants import make_variant

ROOT = Path(__file__).resolve().parents[2]
DTD = Path(__file__).resolve().parent / "data" / "ims_qtiasiv1p2p1.dtd"
VARIANTS = 2
SEED = 21


@pytest.fixture(scope="module")
def etree():
    try:
        from lxml import etree
    except ImportError:
        unavailable("lxml is not installed (pip install -e '.[test]')")
    return etree


@pytest.fixture(scope="module")
def dtd(etree):
    assert DTD.is_file(), f"the QTI DTD is missing from the repository: {DTD}"
    return etree.DTD(str(DTD))


@pytest.fixture(scope="module")
def package(selection, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("qti") / "bank.zip"
    assert load_formats()["qti"](selection, path) == [path]
    return path


def assessment_bytes(etree, path: Path) -> bytes:
    """The assessment the manifest names, read from the zip."""
    with zipfile.ZipFile(path) as zf:
        manifest = etree.fromstring(zf.read("imsmanifest.xml"))
        ns = {"cp": "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"}
        resources = manifest.findall(".//cp:resource[@type='imsqti_xmlv1p2']", ns)
        assert len(resources) == 1
        href = resources[0].find("cp:file", ns).get("href")
        assert href in zf.namelist()
        return zf.read(href)


def for_dtd(etree, data: bytes):
    """The document with its namespace and xsi: attributes stripped, as the DTD knows it."""
    doc = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    for el in doc.iter():
        if isinstance(el.tag, str) and el.tag.startswith("{"):
            el.tag = el.tag.split("}", 1)[1]
        for name in [a for a in el.attrib if a.startswith("{")]:
            del el.attrib[name]
    etree.cleanup_namespaces(doc)
    return doc


@pytest.fixture(scope="module")
def doc(etree, package):
    return for_dtd(etree, assessment_bytes(etree, package))


def test_the_assessment_validates_against_the_qti_dtd(dtd, doc):
    assert doc.tag == "questestinterop"
    valid = dtd.validate(doc)
    assert valid, "\n".join(str(e) for e in list(dtd.error_log)[:20])


def test_the_dtd_catches_a_broken_item(dtd, doc, etree):
    broken = etree.fromstring(etree.tostring(doc))
    item = broken.find(".//item")
    item.insert(0, item.find("presentation"))  # presentation before itemmetadata: out of order
    assert not dtd.validate(broken)


def test_items_cover_the_bank_with_canvas_types(doc, selection):
    items = doc.findall(".//item")
    idents = [i.get("ident") for i in items]
    assert len(idents) == len(set(idents))
    expected = set()
    for item in selection.items:
        for k, v in enumerate(item.variants):
            base = variant_ident(item.question.id, k)
            expected |= {f"{base}-{f}" for f in v.expected} if has_fields(item.question) else {base}
    assert set(idents) == expected
    types = {i.findtext(".//qtimetadatafield[fieldlabel='question_type']/fieldentry") for i in items}
    assert types == {"multiple_choice_question", "multiple_answers_question", "true_false_question",
                     "numerical_question", "short_answer_question", "matching_question"}
    # --variants 2: each question field is a Canvas question group drawing one of its variants
    groups = doc.findall(".//section/section")
    assert groups and all(g.findtext("selection_ordering/selection/selection_number") == "1" for g in groups)
    assert all(len(g.findall("item")) == VARIANTS for g in groups)


def test_numbers_match_the_key(doc, selection, bank):
    items = {i.get("ident"): i for i in doc.findall(".//item")}
    with Session(bank[1]) as session:
        loaded = {item.question.id: queries.load_question(session, item.question.id) for item in selection.items}
    checked = 0
    for item in selection.items:
        q, lq = item.question, loaded[item.question.id]
        for k in range(VARIANTS):
            variant = make_variant(lq.question, SEED + k, lq.scenarios)
            key = variant.answer_key
            if has_fields(q):
                for name, value in key.items():
                    el = items[f"{variant_ident(q.id, k)}-{name}"]
                    qtype = el.findtext(".//qtimetadatafield[fieldlabel='question_type']/fieldentry")
                    scoring = [c for c in el.findall(".//respcondition") if c.findtext("setvar")]
                    (cond,) = scoring
                    if variant.expected[name].what == "numeric":  # a part of a multi-part numeric question
                        assert qtype == "numerical_question"
                        tol = variant.expected[name].tolerance
                        assert float(cond.findtext("conditionvar/or/varequal")) == pytest.approx(value)
                        low = float(cond.findtext("conditionvar/or/and/vargte"))
                        high = float(cond.findtext("conditionvar/or/and/varlte"))
                        assert (low, high) == pytest.approx((value - tol, value + tol))
                    elif variant.expected[name].what in ("srtt", "rttvar", "rto"):  # within half a millisecond
                        assert qtype == "numerical_question"
                        assert float(cond.findtext("conditionvar/or/varequal")) == pytest.approx(value)
                        low = float(cond.findtext("conditionvar/or/and/vargte"))
                        high = float(cond.findtext("conditionvar/or/and/varlte"))
                        assert (low, high) == pytest.approx((value - 0.0005, value + 0.0005))
                    elif qtype == "numerical_question":
                        exact = cond.findtext("conditionvar/or/varequal")
                        assert float(exact) == pytest.approx(value, abs=1e-9)
                        assert isinstance(value, float) or int(exact) == value
                        assert cond.findtext("conditionvar/or/and/vargte") == exact == cond.findtext("conditionvar/or/and/varlte")
                    elif qtype == "multiple_choice_question":
                        right = cond.findtext("conditionvar/varequal")
                        label = el.find(f".//response_label[@ident='{right}']")
                        assert label.findtext("material/mattext") == show(value)
                        feedback = {c.findtext("conditionvar/varequal") for c in el.findall(".//respcondition")
                                    if c.find("displayfeedback") is not None and c.findtext("conditionvar/varequal")}
                        assert len(feedback) == len(el.findall(".//response_label"))  # feedback on every option
                    else:
                        assert qtype == "short_answer_question"
                        assert cond.findtext("conditionvar/varequal") == show(value)
                    checked += 1
                continue
            el = items[variant_ident(q.id, k)]
            value = key["answer"]
            labels = [lab.get("ident") for lab in el.findall(".//response_label")]
            scoring = [c for c in el.findall(".//respcondition") if c.findtext("setvar")]
            if q.kind in ("single", "truefalse"):
                (cond,) = scoring
                index = labels.index(cond.findtext("conditionvar/varequal"))
                if q.kind == "single":
                    assert chr(65 + index) == value
                else:
                    assert (index == 0) is value  # True is listed first
            elif q.kind == "multiple":
                (cond,) = scoring
                right = [v.text for v in cond.findall("conditionvar/and/varequal")]
                assert "".join(chr(65 + labels.index(r)) for r in right) == value
                assert len(cond.findall("conditionvar/and/not")) == len(labels) - len(value)
            elif q.kind == "numeric":
                (cond,) = scoring
                assert float(cond.findtext("conditionvar/or/varequal")) == pytest.approx(value)
                low = float(cond.findtext("conditionvar/or/and/vargte"))
                high = float(cond.findtext("conditionvar/or/and/varlte"))
                tol = variant.expected["answer"].tolerance
                assert (low, high) == pytest.approx((value - tol, value + tol))
            elif q.kind == "ordering":
                lefts = el.findall("presentation/response_lid")
                position = {}
                for lid in lefts:
                    cond = next(c for c in scoring if c.find("conditionvar/varequal").get("respident") == lid.get("ident"))
                    right = cond.findtext("conditionvar/varequal")
                    position[lid.findtext("material/mattext")] = int(
                        lid.find(f".//response_label[@ident='{right}']").findtext("material/mattext"))
                assert sorted(position, key=position.get) == value
            checked += 1
    assert checked == sum(len(v.expected) for i in selection.items for v in i.variants)


def test_manifest_is_well_formed(etree, package):
    with zipfile.ZipFile(package) as zf:
        names = zf.namelist()
        manifest = etree.fromstring(zf.read("imsmanifest.xml"))
    assert names[0] == "imsmanifest.xml"
    assert manifest.tag == "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}manifest"


def test_cli_export_qti(bank, tmp_path, etree, dtd):
    url, _ = bank
    out = tmp_path / "hs.zip"
    done = subprocess.run([sys.executable, "-m", "tcptutor", "export", "qti", "--out", str(out), "--db", url,
                           "--lesson", "handshake"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    doc = for_dtd(etree, assessment_bytes(etree, out))
    assert dtd.validate(doc), dtd.error_log
    assert doc.find(".//item[@ident='hs-synack-numbers-v1-seq']") is not None


QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"


def canvas_answer_id(identifier: str) -> int | None:
    """The id Canvas's QTI importer gives an answer or a match: the number in its identifier
    (`response_` dropped); None where a letter makes Canvas draw a random one instead."""
    ident = identifier.removeprefix("response_")
    if not ident.isdigit() or int(ident) == 0:
        return None
    return int(ident)


def test_matching_ids_are_what_canvas_reads(etree, package):
    doc = etree.fromstring(assessment_bytes(etree, package))
    matching = [i for i in doc.iter(f"{QTI}item")
                if "matching_question" in [f.text for f in i.iter(f"{QTI}fieldentry")]]
    assert matching
    for item in matching:
        lefts = [lid.get("ident") for lid in item.iter(f"{QTI}response_lid")]
        left_ids = [canvas_answer_id(ident) for ident in lefts]
        assert None not in left_ids and len(set(left_ids)) == len(lefts), item.get("ident")
        for lid in item.iter(f"{QTI}response_lid"):
            rights = [lab.get("ident") for lab in lid.iter(f"{QTI}response_label")]
            match_ids = [int(re.search(r"\d+", r).group()) for r in rights]  # the first run of digits
            assert len(set(match_ids)) == len(rights), item.get("ident")
            # and the match an answer is keyed to is the one whose text is its position
            texts = {lab.get("ident"): lab.findtext(f"{QTI}material/{QTI}mattext")
                     for lab in lid.iter(f"{QTI}response_label")}
            assert all(texts[r] == r for r in rights)


def test_plain_feedback_has_no_character_references(etree, package):
    doc = etree.fromstring(assessment_bytes(etree, package))
    plain = html_ = 0
    for fb in doc.iter(f"{QTI}itemfeedback"):
        for m in fb.iter(f"{QTI}mattext"):
            text = m.text or ""
            if m.get("texttype") == "text/plain":
                plain += 1
                assert not re.search(r"&(#\d+|#x[0-9a-f]+|[a-z]+);", text, re.I), text
                assert "<p>" not in text and "<li>" not in text
            else:
                html_ += 1
                etree.fromstring(f"<div>{text}</div>", etree.HTMLParser())
    assert plain > 100 and html_ > 100
    # a feedback with angle brackets reaches Canvas as those characters
    texts = [m.text for fb in doc.iter(f"{QTI}itemfeedback") for m in fb.iter(f"{QTI}mattext")
             if m.get("texttype") == "text/plain"]
    assert any("state -> CLOSED" in t for t in texts) and any("SND.UNA < SEG.ACK" in t for t in texts)
