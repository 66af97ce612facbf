"""Mastery and spacing: what a student missed comes back sooner, what they know later.

Pure: history and time are passed in, randomness is a seeded random.Random.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

DECAY = 0.8  # weight of each older attempt relative to the next newer one
PRIOR = 1.0  # pulls mastery toward 0 while there are few attempts; its pull fades as they add up
GAP_AFTER_MISS = 2  # a missed question returns once this many others were asked
FIRST_INTERVAL = timedelta(days=1)  # a question answered right returns after a day, then 2, 4, ...
MAX_DOUBLINGS = 20  # 2^20 days (~2,900 years): the interval stops growing (timedelta ends at 10^9 days)


@dataclass(frozen=True)
class AttemptRecord:
    question_id: str
    topics: tuple[str, ...]
    at: datetime
    score: float | None
    misconceptions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Candidate:
    question_id: str
    topics: tuple[str, ...]


@dataclass(frozen=True)
class Mastery:
    value: float  # 0..1
    attempts: int


def topic_mastery(history: list[AttemptRecord], topics) -> dict[str, Mastery]:
    """A recency-weighted mean of scores, shrunk toward 0 while evidence is thin."""
    result = {}
    ordered = sorted(history, key=lambda a: a.at)  # once, not once per topic
    for topic in topics:
        scores = [a.score for a in ordered if topic in a.topics and a.score is not None]
        weights = [DECAY ** (len(scores) - 1 - i) for i in range(len(scores))]
        value = sum(w * s for w, s in zip(weights, scores)) / (sum(weights) + PRIOR / len(scores)) if scores else 0.0
        result[topic] = Mastery(round(value, 4), len(scores))
    return result


def misconception_counts(history: list[AttemptRecord]) -> Counter:
    return Counter(m for a in history for m in a.misconceptions)


def _streak(attempts: list[AttemptRecord]) -> int:
    streak = 0
    for a in reversed(attempts):
        if a.score != 1.0:
            break
        streak += 1
    return streak


def priority(candidate: Candidate, history: list[AttemptRecord], mastery: dict[str, Mastery],
             now: datetime, session: list[str], mine: list[AttemptRecord] | None = None) -> float:
    """Higher means ask sooner. None of this session's last few questions come back at once.
    `mine`: the candidate's own attempts, when the caller has grouped the history already."""
    if candidate.question_id in session[-GAP_AFTER_MISS:]:
        return -1.0
    weakness = 1.0 - min((mastery[t].value for t in candidate.topics if t in mastery), default=0.0)
    if mine is None:
        mine = [a for a in history if a.question_id == candidate.question_id]
    if not mine:
        return 2.0 + weakness
    last = max(mine, key=lambda a: a.at)
    if last.score is None or last.score < 1.0:
        # Missed: back soon (right after the gap). Missed again in the same session, it yields
        # to questions not seen yet, so that it cannot keep them away for ever.
        retries = max(0, session.count(candidate.question_id) - 1)
        return 3.0 + weakness + 0.5 * bool(last.misconceptions) - 1.5 * retries
    interval = FIRST_INTERVAL * 2 ** min(_streak(sorted(mine, key=lambda a: a.at)) - 1, MAX_DOUBLINGS)
    if now - last.at >= interval:
        return 1.0 + weakness
    return 0.2 * weakness


def choose_next(candidates: list[Candidate], history: list[AttemptRecord], now: datetime,
                session: list[str], rng: random.Random) -> Candidate | None:
    if not candidates:
        return None
    topics = {t for c in candidates for t in c.topics}
    mastery = topic_mastery(history, topics)
    by_question: dict[str, list[AttemptRecord]] = {}
    for a in history:  # grouped once: a long history is read once, not once per candidate
        by_question.setdefault(a.question_id, []).append(a)
    scored = [(priority(c, history, mastery, now, session, by_question.get(c.question_id, [])), rng.random(), c)
              for c in candidates]
    return max(scored, key=lambda x: (x[0], x[1]))[2]


def suggestions(mastery: dict[str, Mastery], limit: int = 3) -> list[str]:
    """The weakest topics first: what to practise next."""
    return [t for t, _ in sorted(mastery.items(), key=lambda kv: (kv[1].value, kv[0]))[:limit]]
