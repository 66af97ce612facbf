"""Small pieces of English shared by everything that writes for people (CLI, handouts, feedback)."""

from __future__ import annotations


def plural(count: float, word: str, many: str | None = None) -> str:
    """The count and its noun in the right number: "1 attempt", "2 attempts", "0.5 points".

    Counts are shown as `:g` shows them, so 1.0 points of credit read "1 point".
    """
    return f"{count:g} {word if count == 1 else many or word + 's'}"
