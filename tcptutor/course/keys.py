"""Stored answer keys: what grading needs of a variant, kept as JSON so grading a class does
not simulate every student's variant again.

A key holds, per field, what is asked (`what`), the expected value, its label, the size unit
and MSS of a TCB size, and the worked solution; the order an ordering question is shown in;
and the variant's parameters (its ISNs and [vary] values). `keyed_variant` turns it back into a Variant without a trace: enough to read and score
any answer and to explain the right one. Only a wrong answer to a predict question needs the
trace (its misconception is read off it): the grader asks for the simulated variant then.

Pure: no database, no files.
"""

from __future__ import annotations

from ..grading.explain import worked_solutions
from ..questions.expected import Expected
from ..questions.model import Question
from ..questions.variants import Variant

FORMAT = 2  # bump when the layout below changes: an older key is then recomputed


def key_of(variant: Variant) -> dict:
    """The key of a variant in the bank's canonical option order (not as a student sees it)."""
    solutions = worked_solutions(variant)
    return {"format": FORMAT, "order": list(variant.order), "params": variant.params,
            "fields": [[name, e.what, e.value, e.label, e.unit, e.mss, solutions[name]]
                       for name, e in variant.expected.items()]}


def usable(key: dict | None) -> bool:
    return isinstance(key, dict) and key.get("format") == FORMAT


def keyed_variant(question: Question, seed: int, key: dict) -> tuple[Variant, dict[str, str]]:
    """The variant a key describes (no trace, no prompt) and its worked solutions by field."""
    expected = {name: Expected(name, what, value, label, unit=unit, mss=mss)
                for name, what, value, label, unit, mss, _ in key["fields"]}
    solutions = {f[0]: f[6] for f in key["fields"]}
    return Variant(question, seed, dict(key["params"]), "", expected, None, tuple(key["order"])), solutions
