"""CSV cells that a spreadsheet would run as a formula are neutralised in every CSV we write.

OWASP's advice: a cell starting with = + - @ (or tab / carriage return) gets a leading '.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def safe_row(values) -> list[str]:
    return [safe_cell(v) for v in values]
