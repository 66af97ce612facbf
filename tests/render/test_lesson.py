"""`tcptutor read`: every shipped lesson fits the terminal it is printed on, ladders included."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.markdown import Markdown

from tcptutor.library import CONTENT, SCENARIOS
from tcptutor.render.lesson import diagram_width, lesson_for_terminal

LESSONS = sorted((CONTENT / "lessons").rglob("*.md"))
SCENARIO_TEXTS = {p.stem: p.read_text(encoding="utf-8") for p in SCENARIOS.glob("*.toml")}


def rendered(path: Path, width: int) -> list[str]:
    """The lesson as `tcptutor read` prints it on a terminal `width` columns wide."""
    text = lesson_for_terminal(path.read_text(encoding="utf-8"), SCENARIO_TEXTS, width=diagram_width(width))
    out = io.StringIO()
    Console(file=out, width=width, color_system=None, legacy_windows=False).print(Markdown(text))
    return out.getvalue().splitlines()


@pytest.mark.parametrize("width", [80, 60])
@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_line_fits_the_terminal(path, width):
    lines = rendered(path, width)
    too_wide = [line for line in lines if cell_len(line) > width]
    assert too_wide == []


@pytest.mark.parametrize("width", [80, 60])
def test_no_ladder_row_is_wrapped(width):
    """A ladder row that rich had to wrap would leave a line without its lifelines."""
    rows = []
    for path in LESSONS:
        source = path.read_text(encoding="utf-8")
        written = set(source.splitlines())  # hand-written code blocks are the author's
        text = lesson_for_terminal(source, SCENARIO_TEXTS, width=diagram_width(width))
        in_code = False
        for line in text.splitlines():
            if line.startswith("```"):
                in_code = not in_code
            elif in_code and line not in written:
                rows.append(line)
    assert len(rows) > 100
    assert max(cell_len(r) for r in rows) <= diagram_width(width)


def test_read_piped_uses_columns_and_never_wraps_a_ladder(tmp_path):
    import os
    import subprocess
    import sys

    env = dict(os.environ, COLUMNS="60")
    done = subprocess.run([sys.executable, "-m", "tcptutor", "read", "handshake", "--db",
                           f"sqlite:///{tmp_path / 'bank.sqlite'}"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert max(cell_len(line) for line in lines) <= 60
    rows = [line for line in lines if "│" in line]
    assert len(rows) > 20
    assert all(line.rstrip().endswith("│") or line.count("│") == 2 for line in rows)
