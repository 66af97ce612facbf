"""What the layout tests measure in a drawn diagram, shared by the ladder and simulate tests."""

from __future__ import annotations

from tcptutor.render.width import display_width


def bars(line: str) -> list[int]:
    """Display columns of the lifelines (│ or ┊) in a diagram row."""
    cols, col = [], 0
    for ch in line:
        if ch in "│┊":
            cols.append(col)
        col += display_width(ch)
    return cols
