"""How a student types an expected answer, for the tests that grade the shipped questions."""

from __future__ import annotations

from tcptutor.questions.variants import LETTERS

STUDENT_FLAG_ORDER = ("SYN", "FIN", "RST", "URG", "ACK")  # how students usually write them: FIN+ACK, RST+ACK


def typed(expected, variant) -> str:
    """The expected value as a student would type it (the letters of an ordering as shown)."""
    value = expected.value
    what = expected.what
    if what == "flags":
        flags = str(value).split("+") if value else []
        return "+".join(f for f in STUDENT_FLAG_ORDER if f in flags) or "none"
    if what == "order":
        shown = [variant.question.items[i] for i in variant.order]
        return " ".join(LETTERS[shown.index(item)] for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " -> ".join(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value) or "none"
