"""Student text made safe to show (tcptutor.grading.textsafe): `printable` for terminals (no
control sequence, bidi override or line break gets through; everything typed stays visible)
and `markdown_inline` for feedback files (one inline code span that a real CommonMark parser,
markdown-it-py, reads back as exactly the text shown, with no heading, list or HTML)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from tcptutor.grading.textsafe import markdown_inline, printable, without_surrogates

ATTACKS = [
    "\x1b[2J\x1b[H",  # clear the screen, cursor home
    "\x1b[31mred\x1b[0m",  # CSI colour
    "\x1b]0;owned\x07",  # OSC: set the window title
    "\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x9b31m",  # one-character C1 CSI
    "\x9d0;title\x9c",  # C1 OSC ... ST
    "1001\r2 / 2 points",  # carriage return overwrites the line
    "1001\n## 2 / 2 points",  # a forged heading
    "abc\u202edcba",  # right-to-left override
    "x\u2066y\u2069",  # bidi isolates
    "a\u2028b\u2029c",  # line and paragraph separators
    "nul\x00byte\x7f",
    "lone \udc80 surrogate",
    "\x08\x08\x08backspaced",
]


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") or ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
               for ch in text)


@pytest.mark.parametrize("attack", ATTACKS)
def test_printable_lets_no_control_character_through(attack):
    shown = printable(attack)
    assert not _has_control(shown)
    assert "\n" not in shown and "\x1b" not in shown
    shown.encode("utf-8")  # a lone surrogate would raise here, as it would in the terminal


def test_printable_shows_what_was_typed_as_escapes():
    assert printable("\x1b[31mred") == "\\x1b[31mred"
    assert printable("a\nb\tc\rd") == "a\\nb\\tc\\rd"
    assert printable("abc\u202edcba") == "abc\\u202edcba"
    assert printable("\x9b") == "\\x9b"


@pytest.mark.parametrize("text", ["1001", "SYN+ACK", "同步已发送", "１００１", "CLOSED → SYN-SENT", "S.", "é", "👍"])
def test_printable_keeps_ordinary_text_unchanged(text):
    assert printable(text) == text


def test_printable_limit_says_how_much_was_left_out():
    assert printable("x" * 10, limit=4) == "xxxx… (6 more characters)"
    assert printable("x" * 4, limit=4) == "xxxx"


@given(st.text())
@settings(max_examples=300, deadline=None)
def test_printable_of_any_text_is_one_safe_line(text):
    shown = printable(text)
    assert not _has_control(shown)
    shown.encode("utf-8")


# ----------------------------------------------------------------------- Markdown

MD = MarkdownIt("commonmark")


def _read_back(line: str):
    """The block tokens and inline children markdown-it-py makes of one feedback line."""
    tokens = MD.parse(line)
    inline = [t for t in tokens if t.type == "inline"]
    return tokens, [child for t in inline for child in t.children]


@pytest.mark.parametrize("text", [*ATTACKS, "`", "``", "a`b", "```fence```", "` x `", " lead", "trail ", "   ",
                                  "<script>alert(1)</script>", "**bold** _em_ [link](http://x)", "# heading",
                                  "- item", "1. item", "> quote", "\\`", "back\\slash", "|pipe|", ""])
def test_markdown_inline_is_one_code_span_that_reads_back_as_the_printable_text(text):
    line = f"- `seq` = {markdown_inline(text)}: wrong. Expected 1001."
    tokens, children = _read_back(line)
    assert [t.type for t in tokens if t.type.endswith("_open")] == ["bullet_list_open", "list_item_open", "paragraph_open"]
    assert not any(t.type.startswith(("heading", "html", "fence", "code_block")) for t in tokens)
    codes = [c for c in children if c.type == "code_inline"]
    assert [c.content for c in codes] == ["seq", printable(text) or " "]
    assert not any(c.type in ("html_inline", "softbreak", "hardbreak", "link_open", "em_open", "strong_open")
                   for c in children)


def test_a_multi_line_answer_cannot_forge_a_heading():
    html = MD.render("## 1 / 2 points\n\n- `seq` = " + markdown_inline("1001\n## 2 / 2 points") + "\n")
    assert html.count("<h2>") == 1
    assert "<code>1001\\n## 2 / 2 points</code>" in html


def test_markdown_inline_in_a_table_escapes_the_pipe():
    table = "| field | answer |\n| --- | --- |\n| seq | " + markdown_inline("a|b", in_table=True) + " |\n"
    html = MarkdownIt("commonmark").enable("table").render(table)
    assert "<code>a|b</code>" in html
    assert html.count("<td>") == 2


@given(st.text())
@settings(max_examples=300, deadline=None)
def test_markdown_inline_of_any_text_reads_back_verbatim(text):
    _, children = _read_back("answer: " + markdown_inline(text))
    codes = [c.content for c in children if c.type == "code_inline"]
    assert codes == [printable(text) or " "]


def test_without_surrogates_replaces_each_lone_surrogate():
    assert without_surrogates("ack=\udcff\udcfe1001") == "ack=\ufffd\ufffd1001"
    assert without_surrogates("\ud800x\udfff") == "\ufffdx\ufffd"
    assert without_surrogates("同步已发送 👍 1001") == "同步已发送 👍 1001"
    without_surrogates("\udc80" * 10).encode("utf-8")
