"""The practice session engine: what to ask next, its variant, grading, recording, the summary.

cli/practice.py is the terminal around this: it prompts, reads and prints. Everything a
session decides is here, so a session can be driven without a terminal (and tested so).
No printing and no clock: the caller passes `now`, and randomness is a seeded Random.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from ..bank import reads
from ..i18n import _
from ..course.placement import as_shown
from ..grading.answers import Unreadable
from ..grading.grader import Grade, grade, parse_answer
from ..questions.variants import Variant, make_variant
from .scheduler import Candidate, choose_next

if TYPE_CHECKING:
    from sqlalchemy import Engine

VARIANT_SEEDS = 1_000_000  # a variant's seed is drawn from range(VARIANT_SEEDS): short enough to type


@dataclass(frozen=True)
class Posed:
    """One question as the session asks it: its place, the bank's version, the variant."""

    number: int
    loaded: reads.LoadedQuestion
    variant: Variant

    @property
    def seed(self) -> int:
        """The variant's seed: what the attempt stores and the ladder's caption names."""
        return self.variant.seed

    @property
    def asked_segments(self) -> set[int]:
        """The trace's segments the question asks about (the ladder marks them >> <<)."""
        return {e.segment.n for e in self.variant.expected.values() if e.segment}


@dataclass(frozen=True)
class Answered:
    """A graded answer set, and whether and where it was stored."""

    grade: Grade
    recorded: bool  # False only when the student stopped before answering any field
    attempt_id: int | None = None

    @property
    def kept_pending(self) -> bool:
        """The bank stayed busy: the attempt waits in attempts.pending_path, not lost."""
        return self.recorded and self.attempt_id is None


@dataclass
class PracticeSession:
    """One student's session over a pool of questions, with its running summary.

    It reads with bank.reads on `bank` (a SQLAlchemy engine, or bank.lite's sqlite3
    connection) and writes through the engine `writes()` returns, asked for at the first
    answer: up to then a session on an up-to-date SQLite bank has not imported SQLAlchemy."""

    bank: object
    writes: Callable[[], Engine]
    student: str
    student_id: int | None  # None until the first answer of a student the bank has not met
    pool: list[Candidate]
    rng: random.Random
    asked: list[str] = field(default_factory=list)  # question ids answered in full, in order
    scores: list[float] = field(default_factory=list)  # one per graded attempt, stopped ones included
    seen: dict[str, int] = field(default_factory=dict)  # misconception id -> times, in first-seen order
    questions_posed: int = 0
    lang: str = "en"  # the words of each question (lessons/translation.py); grading is the same in all

    @classmethod
    def start(cls, bank, student: str, rng: random.Random, *, lesson: str | None = None,
              topic: str | None = None, kind: str | None = None, lang: str = "en",
              writes: Callable[[], Engine] | None = None) -> PracticeSession:
        """A session over the questions that match; reads.NotFound when none does. `bank` is
        an engine (then it also takes the writes) or a connection with `writes` beside it."""
        pool = reads.candidates(bank, lesson=lesson, topic=topic, kind=kind)
        if not pool:
            raise reads.NotFound(_("no questions match; see `tcptutor quiz list` and `tcptutor lessons`"))
        return cls(bank, writes or (lambda: bank), student, reads.student_id(bank, student), pool, rng, lang=lang)

    def next_question(self, now: datetime) -> Posed:
        """The question the scheduler ranks first now, as a fresh variant of it.

        The order of the draws from rng (the scheduler's, then the variant seed) is what
        makes `practice --seed N` repeat the same session."""
        history = reads.history(self.bank, self.student_id)
        chosen = choose_next(self.pool, history, now, self.asked, self.rng)
        loaded = reads.localized(self.bank, reads.load_question(self.bank, chosen.question_id), self.lang)
        variant_seed = self.rng.randrange(VARIANT_SEEDS)
        self.questions_posed += 1
        # options in this variant's own order (the right one is not always A), graded as shown
        shown = as_shown(make_variant(loaded.question, variant_seed, loaded.scenarios))
        return Posed(self.questions_posed, loaded, shown)

    @staticmethod
    def unreadable(posed: Posed, name: str, text: str) -> Unreadable | None:
        """Why `text` cannot be read as field `name` (asked again, never graded), else None."""
        expected = posed.variant.expected[name]
        parsed = parse_answer(expected, text, posed.variant) if text.strip() else Unreadable(text, "an answer")
        return parsed if isinstance(parsed, Unreadable) else None

    def answer(self, posed: Posed, given: dict[str, str], now: datetime, *, complete: bool = True) -> Answered:
        """Grade and record an answer set and add it to the summary.

        Stopped part-way (complete=False), the fields not reached are unanswered: no credit,
        stored as such, so the attempt scores what was answered over all the fields, the
        same in the summary and in `progress`. Stopped before any answer, nothing is stored.
        """
        result = grade(posed.variant, given, interrupted=not complete)
        if not complete and not given:
            return Answered(result, recorded=False)
        from ..bank import attempts

        engine = self.writes()
        if self.student_id is None:
            self.student_id = attempts.student_id(engine, self.student)
        attempt_id = attempts.record(
            engine, student=self.student_id, question_id=posed.loaded.question.id,
            version_id=posed.loaded.version_id, seed=posed.seed, grade=result, now=now, complete=complete)
        if complete:
            self.asked.append(posed.loaded.question.id)
        if result.score is not None:
            self.scores.append(result.score)
        for verdict in result.fields:
            if verdict.misconception:
                self.seen[verdict.misconception] = self.seen.get(verdict.misconception, 0) + 1
        return Answered(result, recorded=True, attempt_id=attempt_id)

    @property
    def running_score(self) -> float:
        """The mean score so far (0.0 before any)."""
        return sum(self.scores) / len(self.scores) if self.scores else 0.0

    def misconceptions_seen(self) -> list[tuple[str, int]]:
        """(misconception id, times) most frequent first; ties in the order first seen."""
        return sorted(self.seen.items(), key=lambda kv: -kv[1])
