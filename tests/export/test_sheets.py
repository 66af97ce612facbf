"""`tcptutor export markdown|html`: printable sheets that never hold an answer, keys that
hold every answer with its worked solution, well-formed self-contained HTML with SVG
ladder diagrams (render/svg.py)."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tcptutor import library
from tcptutor.export import ExportItem, ExportSet, load_formats
from tcptutor.export.sheets import md_text, sheet_paths
from tcptutor.grading.explain import explain
from tcptutor.grading.grader import show
from tcptutor.questions.model import Option, Question
from tcptutor.questions.variants import make_variant
from tcptutor.render.svg import HIGHLIGHT, render_ladder_svg
from tcptutor.tcp.simulator import simulate

XHTML = "{http://www.w3.org/1999/xhtml}"
SVG = "{http://www.w3.org/2000/svg}"
VARIANTS = 2


@pytest.fixture(scope="module")
def files(selection, tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("sheets")
    formats = load_formats()
    md = formats["markdown"](selection, folder / "quiz.md")
    ht = formats["html"](selection, folder / "quiz.html")
    assert [p.name for p in md] == ["quiz.md", "quiz.key.md"]
    assert [p.name for p in ht] == ["quiz.html", "quiz.key.html"]
    return {p.name: p.read_text(encoding="utf-8") for p in md + ht}


def variants(selection: ExportSet):
    for item in selection.items:
        yield from item.variants


def text_of(document: str) -> str:
    """All the text of an XHTML document, as a reader sees it (tags dropped, entities decoded)."""
    return " ".join(ET.fromstring(document).itertext())


def shown_text(selection: ExportSet) -> str:
    """Everything the sheet is meant to show: prompts, labels, options and items."""
    parts = []
    for v in variants(selection):
        q = v.question
        parts += [v.prompt, *(e.label for e in v.expected.values()), *(o.text for o in q.options), *q.items]
    return "\n".join(parts)


def hidden_numbers(selection: ExportSet) -> set[str]:
    """Expected seq/ack values of predict fields that the sheet has no reason to show: not in
    any prompt (prompts give ISNs), and 1000 or more (small numbers are question numbers)."""
    shown = numbers_in(shown_text(selection))
    out = set()
    for v in variants(selection):
        for e in v.expected.values():
            if v.question.kind == "predict" and e.what in ("seq", "ack") and e.value >= 1000:
                if str(e.value) not in shown:
                    out.add(str(e.value))
    return out


def numbers_in(text: str) -> set[str]:
    """Every whole number written in the text (digits not part of a longer number)."""
    return set(re.findall(r"(?<![\d.])\d+(?![\d])", text))


# ---------------------------------------------------------------------------
# Sheets never hold answers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["quiz.md", "quiz.html"])
def test_sheet_has_no_answers(files, selection, name):
    sheet = files[name]
    readable = text_of(sheet) if name.endswith(".html") else sheet
    hidden = hidden_numbers(selection)
    shown = shown_text(selection)
    assert len(hidden) > 200, "the bank should ask for plenty of seq/ack values"
    leaked = sorted(hidden & numbers_in(readable))
    assert leaked == [], f"{name} shows expected answers: {leaked[:10]}"
    for v in variants(selection):
        q = v.question
        if q.kind == "predict":
            for e in v.expected.values():
                assert explain(e, v.trace) not in readable, f"{q.id}: worked solution on the sheet"
        if v.explanation and len(v.explanation) > 40:
            assert v.explanation not in readable, f"{q.id}: explanation on the sheet"
        for o in q.options:
            if len(o.feedback) > 30 and o.feedback not in shown:
                assert o.feedback not in readable, f"{q.id}: option feedback on the sheet"
    assert "✓" not in readable  # the key's mark of a right option


def test_the_same_numbers_are_in_the_key(files, selection):
    """The check above is not vacuous: every hidden number is in the keys."""
    hidden = hidden_numbers(selection)
    for name in ("quiz.key.md", "quiz.key.html"):
        readable = text_of(files[name]) if name.endswith(".html") else files[name]
        missing = sorted(hidden - numbers_in(readable))
        assert missing == [], f"{name} lacks {missing[:10]}"


# ---------------------------------------------------------------------------
# Keys hold every answer and its worked solution
# ---------------------------------------------------------------------------


def test_markdown_key_has_every_answer_and_solution(files, selection):
    key = files["quiz.key.md"]
    pos = 0
    for k in range(VARIANTS):
        for item in selection.items:
            v = item.variants[k]
            for name, e in v.expected.items():
                line = f"- **{name}** ({md_text(e.label)}): **{md_text(show(e.value))}**"
                found = key.find(line, pos)
                assert found >= 0, f"{v.question.id} seed {v.seed}: {line!r} not in order in the key"
                pos = found
                if v.question.kind == "predict":
                    assert f"  - {md_text(explain(e, v.trace))}" in key
            if v.explanation:
                assert md_text(v.explanation) in key


def test_html_key_has_every_answer_and_solution(files, selection):
    root = ET.fromstring(files["quiz.key.html"])
    cells = [td for td in root.iter(f"{XHTML}td")]
    answers = ["".join(td.itertext()) for td in cells if td.get("class") == "answer"]
    solved = ["".join(td.itertext()) for td in cells if td.get("class") == "solution"]
    expected, solutions = [], []
    for k in range(VARIANTS):
        for item in selection.items:
            v = item.variants[k]
            for e in v.expected.values():
                expected.append(show(e.value))
                solutions.append(explain(e, v.trace) if v.question.kind == "predict" else "")
    assert answers == expected
    assert solved == solutions


def test_key_lists_choice_feedback_and_marks_the_right_options(files, selection):
    readable = text_of(files["quiz.key.html"])
    for v in variants(selection):
        for o in v.question.options:
            assert o.feedback in readable or html.escape(o.feedback) in files["quiz.key.html"]
            assert o.feedback in files["quiz.key.md"]


# ---------------------------------------------------------------------------
# HTML: well-formed, self-contained, printable, SVG diagrams in the key
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["quiz.html", "quiz.key.html"])
def test_html_is_well_formed_and_self_contained(files, name):
    doc = files[name]
    assert doc.startswith("<!DOCTYPE html>")
    root = ET.fromstring(doc)  # strict XML: every tag closed, every entity known
    assert root.tag == f"{XHTML}html"
    head = root.find(f"{XHTML}head")
    assert head.find(f"{XHTML}style") is not None and "@page" in head.find(f"{XHTML}style").text
    assert head.find(f"{XHTML}title").text
    for tag in ("script", "link", "img", "iframe", "object"):
        assert root.find(f".//{XHTML}{tag}") is None, f"{name} has a <{tag}>"
    urls = set(re.findall(r"(?:https?:)?//[\w.-]+[^\s\"'<>)]*", doc))
    assert urls <= {"http://www.w3.org/1999/xhtml", "http://www.w3.org/2000/svg"}, urls
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids))
    # Other parsers, where installed, agree.
    try:
        import html5lib
    except ImportError:
        html5lib = None
    if html5lib is not None:
        parser = html5lib.HTMLParser(strict=True)
        parser.parse(doc)
    try:
        from lxml import etree
    except ImportError:
        etree = None
    if etree is not None:
        etree.fromstring(doc.encode("utf-8"), etree.XMLParser(resolve_entities=False))


def test_html_key_has_an_svg_diagram_per_simulated_variant(files, selection):
    root = ET.fromstring(files["quiz.key.html"])
    svgs = list(root.iter(f"{SVG}svg"))
    in_key_order = [item.variants[k] for k in range(VARIANTS) for item in selection.items]
    traced = [v for v in in_key_order if v.trace is not None]
    assert len(svgs) == len(traced) > 100
    # Each predict variant's diagram highlights the segments it asks about.
    for svg, v in zip(svgs, traced):
        asked = {e.segment.field("n") for e in v.expected.values() if e.segment}
        if v.question.kind == "predict" and asked:
            marked = {t.text.split()[0] for t in svg.iter(f"{SVG}text")
                      if t.get("fill") == HIGHLIGHT and t.get("font-weight") == "bold" and (t.text or "").startswith("#")}
            assert marked == {f"#{n}" for n in asked}, v.question.id


def test_sheet_shows_no_diagram_of_a_predict_question(files):
    root = ET.fromstring(files["quiz.html"])
    assert list(root.iter(f"{SVG}svg")) == []  # the shipped bank's scenario questions are all predict
    assert "```text" not in files["quiz.md"]


def test_versions_each_have_every_question(files, selection):
    for name in ("quiz.md", "quiz.key.md"):
        assert "## Version 1 (seed 0)" in files[name] and "## Version 2 (seed 1)" in files[name]
    root = ET.fromstring(files["quiz.html"])
    sections = [s for s in root.iter(f"{XHTML}section") if s.get("class") == "version"]
    assert len(sections) == VARIANTS
    for s in sections:
        questions = [d for d in s.iter(f"{XHTML}div") if d.get("class") == "question"]
        assert len(questions) == len(selection.items)


# ---------------------------------------------------------------------------
# A choice question with a scenario: its diagram is its material, so the sheet shows it
# ---------------------------------------------------------------------------


def choice_with_scenario() -> ExportSet:
    q = Question(
        id="x-read-the-trace", kind="single", topics=("handshake",), difficulty=1,
        prompt="Look at the diagram. Which segment completes the handshake for the server?",
        explanation="The server is ESTABLISHED once the client's ACK of its SYN arrives.",
        path="test", line=1, lesson="handshake", scenario="handshake",
        options=(Option("#1", False, "The SYN only opens the client's direction."),
                 Option("#2", False, "The SYN+ACK is the server's own segment."),
                 Option("#3", True, "Right: the ACK of the server's SYN.")),
    )
    scenarios = {"handshake": (library.SCENARIOS / "handshake.toml").read_text()}
    v = make_variant(q, 0, scenarios)
    return ExportSet("scenario choice", (ExportItem(q, "handshake", 1, (v,)),), {"handshake": "The handshake"}, {})


def test_choice_question_with_a_scenario_shows_its_diagram(tmp_path):
    selection = choice_with_scenario()
    formats = load_formats()
    sheet, key = formats["html"](selection, tmp_path / "c.html")
    root = ET.fromstring(sheet.read_text())
    assert len(list(root.iter(f"{SVG}svg"))) == 1
    readable = text_of(sheet.read_text())
    assert "Right: the ACK" not in readable and "ESTABLISHED once" not in readable
    assert "Right: the ACK" in text_of(key.read_text())
    md_sheet, md_key = formats["markdown"](selection, tmp_path / "c.md")
    assert "```text" in md_sheet.read_text() and "#3 [ACK]" in md_sheet.read_text()
    assert "Right: the ACK" not in md_sheet.read_text()


# ---------------------------------------------------------------------------
# The SVG ladder itself
# ---------------------------------------------------------------------------


def test_svg_ladder_draws_every_segment_and_the_losses():
    typed = simulate(library.load_scenario("lost-data"))
    trace = typed.to_json()
    svg = ET.fromstring(render_ladder_svg(typed))
    assert svg.tag == f"{SVG}svg" and svg.get("viewBox")
    texts = ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")]
    for s in trace["segments"]:
        assert any(t.startswith(f"#{s['n']} [") for t in texts), f"no label for #{s['n']}"
    lost = [s for s in trace["segments"] if s["fate"] == "dropped"]
    assert texts.count("lost") == len(lost) == 1
    assert "SYN-SENT → ESTABLISHED" in texts and "CLOSED → LISTEN" in texts
    assert "(retransmission)" in texts and "(1st dup ACK of #2)" in texts
    assert texts.count("ESTABLISHED") == 2  # the final states
    heads = list(svg.iter(f"{SVG}polygon"))
    assert len(heads) == len(trace["segments"]) - len(lost)
    # Slanted: each arrow ends lower than it starts.
    for line in svg.iter(f"{SVG}line"):
        if line.get("stroke-dasharray") is None and line.get("x1") != line.get("x2"):
            if float(line.get("stroke-width")) in (1.4, 2.2):
                assert float(line.get("y2")) > float(line.get("y1"))


def test_svg_ladder_relative_numbers_and_highlight():
    trace = simulate(library.load_scenario("handshake"))
    svg = ET.fromstring(render_ladder_svg(trace, relative=True, highlight=(2,)))
    texts = {"".join(t.itertext()): t for t in svg.iter(f"{SVG}text")}
    label = next(k for k in texts if k.startswith("#2 "))
    assert "seq=0 ack=1" in label
    assert texts[label].get("fill") == HIGHLIGHT
    others = [t for k, t in texts.items() if k.startswith(("#1 ", "#3 "))]
    assert others and all(t.get("fill") != HIGHLIGHT for t in others)


def test_svg_ladder_summarises_a_flood():
    trace = simulate(library.load_scenario("syn-flood-cookies"))
    svg = render_ladder_svg(trace)
    ET.fromstring(svg)
    assert "16 spoofed SYNs from spoof-1..spoof-16" in svg
    assert "#34 [SYN, ACK]" in svg and "(SYN cookie)" in svg


# ---------------------------------------------------------------------------
# The CLI
# ---------------------------------------------------------------------------


def cli(url: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, TCPTUTOR_DB=url)
    return subprocess.run([sys.executable, "-m", "tcptutor", *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.parametrize("fmt,suffix", [("markdown", "md"), ("html", "html")])
def test_cli_writes_exactly_the_sheet_and_its_key(bank, tmp_path, fmt, suffix):
    url, _ = bank
    out = tmp_path / f"quiz.{suffix}"
    done = cli(url, "export", fmt, "--out", str(out), "--lesson", "handshake", "--variants", "2")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"quiz.{suffix}", f"quiz.key.{suffix}"])
    assert done.stdout.split() == [str(out), str(tmp_path / f"quiz.key.{suffix}")]
    sheet = out.read_text(encoding="utf-8")
    assert "Version 2 (seed 1)" in sheet


def test_sheet_paths():
    assert sheet_paths(Path("a/quiz.md"), ".md") == (Path("a/quiz.md"), Path("a/quiz.key.md"))
    assert sheet_paths(Path("a/quiz"), ".html") == (Path("a/quiz.html"), Path("a/quiz.key.html"))


# ---------------------------------------------------------------------------
# Lesson text with HTML in it: Markdown files show it, never carry it as HTML
# ---------------------------------------------------------------------------

NASTY = "Reply <SEQ=SEG.ACK><CTL=RST> & <b>bold</b> <script>alert(1)</script>, see `<code>`"


def nasty_choice() -> ExportSet:
    q = Question(
        id="x-nasty", kind="single", topics=("handshake",), difficulty=1,
        prompt=f"Which one? {NASTY}", explanation=f"Because {NASTY}",
        path="test", line=1, lesson="handshake",
        options=(Option(f"A {NASTY}", True, f"Right: {NASTY}"), Option("B", False, "No.")),
    )
    v = make_variant(q, 0, {})
    return ExportSet(f"Set {NASTY}", (ExportItem(q, "handshake", 1, (v,)),), {"handshake": f"Lesson {NASTY}"}, {})


def test_markdown_sheet_and_key_show_html_as_text(tmp_path):
    from markdown_it import MarkdownIt

    sheet, key = load_formats()["markdown"](nasty_choice(), tmp_path / "n.md")
    renderer = MarkdownIt("commonmark")  # raw HTML on, as GitHub and most viewers render it
    for path in (sheet, key):
        text = path.read_text()
        tokens = renderer.parse(text)
        kinds = {t.type for t in tokens} | {c.type for t in tokens for c in (t.children or [])}
        assert not kinds & {"html_inline", "html_block"}, path.name
        rendered = renderer.render(text)
        assert "<script>" not in rendered and "<b>" not in rendered
        assert "&lt;SEQ=SEG.ACK&gt;&lt;CTL=RST&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in rendered
        assert "<code>&lt;code&gt;</code>" in rendered  # a code span stays a code span
