"""Where a question sits in a course set, and how its options are shown to one student.

Handouts name questions by their place in the set (1..N, written `q1`, `q2` ... in answer
columns) and never by bank id, and in a course set the options of a single- or
multiple-choice question are permuted per student from that student's HMAC seed. So a
student who finds the question in the shipped bank (`tcptutor quiz key ID`) still does not
know which of *their* letters is right, and a classmate's sheet has the right answer under
another letter. Ordering questions are already shown in a per-seed order (Variant.order).
Only the instructor's key maps places to bank ids and shows each student's letters.

Pure functions: no database, no files.
"""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Sequence

from ..grading.answers import read_letters
from ..questions.variants import LETTERS, Variant

SHUFFLED_KINDS = ("single", "multiple")  # truefalse stays; ordering has its own per-seed order
PLACE = re.compile(r"^[qQ]?([1-9][0-9]{0,3})$")


def place_of(position: int) -> str:
    """The label of a question at 0-based `position` in a set, as handouts and columns write it."""
    return f"q{position + 1}"


def question_for_place(label: str) -> int | None:
    """0-based position from a place label ('3', 'q3', 'Q3'); None if it is not one."""
    found = PLACE.match(label.strip())
    return int(found.group(1)) - 1 if found else None


def option_permutation(seed: int, count: int) -> tuple[int, ...]:
    """shown position j -> canonical option index. A string seed is hashed (SHA-512) by
    random.Random, so the permutation is the same on every run and platform."""
    order = list(range(count))
    random.Random(f"tcptutor-options/{seed}").shuffle(order)
    return tuple(order)


def permutation_for(variant: Variant) -> tuple[int, ...] | None:
    """The student's option order for this variant, or None when the kind is not shuffled."""
    q = variant.question
    if q.kind not in SHUFFLED_KINDS or len(q.options) < 2:
        return None
    return option_permutation(variant.seed, len(q.options))


def canonical_choice(answer: str, permutation: Sequence[int]) -> str:
    """A student's letters (as they saw the options) as the bank's canonical letters, sorted.
    An answer that cannot be read as letters is returned unchanged (the grader explains it)."""
    letters = read_letters(answer, len(permutation))
    if not isinstance(letters, str):
        return answer
    return "".join(sorted(LETTERS[permutation[LETTERS.index(ch)]] for ch in letters))


def shown_choice(canonical: str, permutation: Sequence[int]) -> str:
    """Canonical letters as the student sees them (the inverse of canonical_choice), sorted."""
    where = {index: shown for shown, index in enumerate(permutation)}
    return "".join(sorted(LETTERS[where[LETTERS.index(ch)]] for ch in canonical))


def as_shown(variant: Variant) -> Variant:
    """The variant as this student sees it: options in their order, the expected letters in
    their lettering. Grading this variant with the student's letters grades what they saw,
    and feedback names the options by the letters on their sheet."""
    permutation = permutation_for(variant)
    if permutation is None:
        return variant
    q = variant.question
    question = dataclasses.replace(q, options=tuple(q.options[i] for i in permutation))
    expected = {name: dataclasses.replace(e, value=shown_choice(e.value, permutation)) if e.what in SHUFFLED_KINDS else e
                for name, e in variant.expected.items()}
    return dataclasses.replace(variant, question=question, expected=expected)
