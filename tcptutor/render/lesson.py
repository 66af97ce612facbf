"""A lesson as terminal Markdown: scenario blocks become ladder diagrams, question blocks a
pointer to practice. Diagrams are simulated at read time, never hand-drawn."""

from __future__ import annotations

from collections.abc import Mapping

from markdown_it import MarkdownIt

from ..i18n import ngettext

from ..tcp.scenario import parse_scenario
from ..tcp.simulator import simulate
from .ladder import render_ladder

# rich's Markdown draws a fenced code block with one column of padding on each side
# (rich.markdown.CodeBlock: Syntax(..., padding=1)), so a diagram has two columns less.
CODE_BLOCK_PADDING = 2


def diagram_width(console_width: int) -> int:
    """The widest ladder that a Markdown code block shows unwrapped on this console."""
    return max(console_width - CODE_BLOCK_PADDING, 20)


def lesson_for_terminal(markdown: str, scenarios: Mapping[str, str], *, width: int = 80) -> str:
    tokens = MarkdownIt("commonmark").parse(markdown)
    lines = markdown.splitlines()
    out: list[str] = []
    cursor = 0
    questions = 0
    for tok in tokens:
        if tok.type != "fence" or not tok.map:
            continue
        kind = (tok.info.strip().split() or [""])[0]
        if kind not in ("lesson", "translation", "scenario", "question"):
            continue
        start, end = tok.map
        out.extend(lines[cursor:start])
        cursor = end
        if kind == "scenario":
            out += ["```text", _diagram(tok.content, scenarios, width), "```"]
        elif kind == "question":
            questions += 1
    out.extend(lines[cursor:])
    text = "\n".join(out).rstrip()
    if questions:
        line = ngettext("This lesson has {count} question: practise it with `{command}`.",
                        "This lesson has {count} questions: practise them with `{command}`.", questions)
        text += "\n\n*" + line.format(count=questions, command="tcptutor practice") + "*"
    return text + "\n"


def _diagram(content: str, scenarios: Mapping[str, str], width: int) -> str:
    words = content.split()
    if "steps" in content and "\n" in content.strip():
        scenario, relative = parse_scenario(content, "<lesson>"), False
    else:
        scenario, relative = parse_scenario(scenarios[words[0]], f"{words[0]}.toml"), "relative" in words[1:]
    return render_ladder(simulate(scenario), relative=relative, width=width).rstrip()
