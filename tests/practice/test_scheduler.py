"""The practice scheduler (pure): mastery per topic, spacing of missed and known questions,
unseen questions before known ones, and suggestions of the weakest topics."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from tcptutor.practice.scheduler import (
    DECAY,
    FIRST_INTERVAL,
    GAP_AFTER_MISS,
    PRIOR,
    AttemptRecord,
    Candidate,
    Mastery,
    choose_next,
    misconception_counts,
    priority,
    suggestions,
    topic_mastery,
)

T0 = datetime(2024, 3, 1, 9, 0, 0)
TOPIC = ("handshake",)


def rec(qid: str, score: float | None, at: datetime, topics=TOPIC, misconceptions=()) -> AttemptRecord:
    return AttemptRecord(qid, tuple(topics), at, score, tuple(misconceptions))


def series(scores, topics=TOPIC, start=T0, step=timedelta(minutes=1)) -> list[AttemptRecord]:
    return [rec(f"q{i}", s, start + i * step, topics) for i, s in enumerate(scores)]


def mastery_of(history, topic="handshake") -> float:
    return topic_mastery(history, [topic])[topic].value


# ----------------------------------------------------------------------- mastery


def test_no_evidence_is_zero_mastery():
    assert topic_mastery([], ["handshake", "teardown"]) == {"handshake": Mastery(0.0, 0), "teardown": Mastery(0.0, 0)}


def test_more_right_answers_give_higher_mastery():
    values = [mastery_of(series([0.0] * (5 - n) + [1.0] * n)) for n in range(6)]
    assert values == sorted(values) and len(set(values)) == 6
    assert mastery_of(series([1.0, 1.0, 1.0])) > mastery_of(series([1.0, 0.0, 1.0])) > mastery_of(series([0.0, 0.0, 1.0]))


def test_all_wrong_is_zero_and_mastery_stays_in_0_1():
    assert mastery_of(series([0.0] * 4)) == 0.0
    for scores in ([1.0] * 50, [0.5] * 7, [0.0, 1.0, 0.25]):
        assert 0.0 <= mastery_of(series(scores)) <= 1.0


def test_recent_answers_weigh_more():
    improving = series([0.0, 0.0, 1.0, 1.0])
    declining = series([1.0, 1.0, 0.0, 0.0])
    assert mastery_of(improving) > mastery_of(declining)
    # the exact recency weights: the newest counts 1, the one before DECAY, then DECAY^2 ...
    scores = [0.0, 1.0, 0.5]
    weights = [DECAY**2, DECAY, 1.0]
    want = sum(w * s for w, s in zip(weights, scores)) / (sum(weights) + PRIOR / len(scores))
    assert mastery_of(series(scores)) == pytest.approx(want, abs=1e-4)


def test_recency_is_by_time_not_by_list_order():
    history = series([0.0, 1.0])
    assert mastery_of(history) == mastery_of(list(reversed(history)))


def test_little_evidence_is_shrunk_toward_zero():
    one_right = mastery_of(series([1.0]))
    assert one_right == pytest.approx(1 / (1 + PRIOR))
    assert one_right < mastery_of(series([1.0, 1.0])) < mastery_of(series([1.0] * 5))
    assert mastery_of(series([1.0])) < 1.0


def test_plenty_of_right_answers_approach_full_mastery():
    assert mastery_of(series([1.0] * 40)) > 0.9


def test_only_the_topic_counts_and_unreadable_attempts_are_ignored():
    history = series([1.0, 1.0], topics=("handshake",)) + series([0.0], topics=("teardown",), start=T0 + timedelta(hours=1))
    history.append(rec("qx", None, T0 + timedelta(hours=2)))  # everything unreadable: no score
    m = topic_mastery(history, ["handshake", "teardown", "time-wait"])
    assert m["handshake"].attempts == 2 and m["handshake"].value > 0
    assert m["teardown"] == Mastery(0.0, 1)
    assert m["time-wait"] == Mastery(0.0, 0)


def test_an_attempt_on_two_topics_counts_for_both():
    m = topic_mastery([rec("q", 1.0, T0, topics=("handshake", "header-flags"))], ["handshake", "header-flags"])
    assert m["handshake"] == m["header-flags"] == Mastery(0.5, 1)


def test_misconception_counts():
    history = [rec("a", 0.0, T0, misconceptions=("syn-not-counted",)),
               rec("b", 0.5, T0, misconceptions=("syn-not-counted", "fin-not-counted")),
               rec("c", 1.0, T0)]
    assert misconception_counts(history).most_common() == [("syn-not-counted", 2), ("fin-not-counted", 1)]


# ----------------------------------------------------------------------- spacing


def run_session(candidates, history, now, first: str, first_score: float, picks: int, seed=0, answer=lambda qid: 1.0):
    """A session that starts with `first` answered with `first_score`; each later pick is answered by `answer`."""
    rng = random.Random(seed)
    history = list(history) + [rec(first, first_score, now)]
    session = [first]
    for i in range(1, picks + 1):
        at = now + timedelta(seconds=30 * i)
        chosen = choose_next(candidates, history, at, session, rng)
        session.append(chosen.question_id)
        history.append(rec(chosen.question_id, answer(chosen.question_id), at))
    return session


@pytest.mark.parametrize("seed", range(5))
def test_a_missed_question_returns_after_the_gap_and_before_known_ones(seed):
    """q0 is missed; q1..q4 were answered right an hour ago (known, not due)."""
    candidates = [Candidate(f"q{i}", TOPIC) for i in range(5)]
    known = [rec(f"q{i}", 1.0, T0 - timedelta(hours=1)) for i in range(1, 5)]
    session = run_session(candidates, known, T0, "q0", 0.0, picks=GAP_AFTER_MISS + 1, seed=seed)
    assert session[1:GAP_AFTER_MISS + 1] != [] and "q0" not in session[1:GAP_AFTER_MISS + 1]
    assert session[GAP_AFTER_MISS + 1] == "q0"  # right after GAP_AFTER_MISS other questions


def test_a_missed_question_comes_back_even_before_unseen_ones():
    candidates = [Candidate("missed", TOPIC)] + [Candidate(f"new{i}", TOPIC) for i in range(6)]
    session = run_session(candidates, [], T0, "missed", 0.25, picks=GAP_AFTER_MISS + 1)
    assert session.index("missed", 1) == GAP_AFTER_MISS + 1


@pytest.mark.parametrize("seed", range(3))
def test_a_question_is_never_asked_again_within_the_gap(seed):
    """Everything is missed, so everything wants to come back at once: the gap still holds."""
    candidates = [Candidate(f"q{i}", TOPIC) for i in range(GAP_AFTER_MISS + 2)]
    session = run_session(candidates, [], T0, "q0", 0.0, picks=12, seed=seed, answer=lambda qid: 0.0)
    for i, qid in enumerate(session):
        assert qid not in session[max(0, i - GAP_AFTER_MISS):i], session


def test_a_known_question_returns_only_after_its_interval():
    c = Candidate("q", TOPIC)
    mastery = topic_mastery([], TOPIC)

    def due(history, now) -> bool:
        return priority(c, history, mastery, now, []) >= 1.0

    once = [rec("q", 1.0, T0)]
    assert FIRST_INTERVAL == timedelta(days=1)
    assert not due(once, T0 + timedelta(hours=23, minutes=59))
    assert due(once, T0 + timedelta(days=1))

    twice = [rec("q", 1.0, T0), rec("q", 1.0, T0 + timedelta(days=1))]
    assert not due(twice, T0 + timedelta(days=2, hours=23))  # 2 days after the last one, not 1
    assert due(twice, T0 + timedelta(days=3))

    thrice = twice + [rec("q", 1.0, T0 + timedelta(days=3))]
    assert not due(thrice, T0 + timedelta(days=6, hours=23))  # then 4 days
    assert due(thrice, T0 + timedelta(days=7))

    # a miss resets the streak: after miss + right, the interval is 1 day again
    reset = thrice + [rec("q", 0.0, T0 + timedelta(days=7)), rec("q", 1.0, T0 + timedelta(days=7, minutes=5))]
    assert not due(reset, T0 + timedelta(days=7, hours=23))
    assert due(reset, T0 + timedelta(days=8, minutes=5))


def test_choose_next_takes_the_due_question_over_the_one_not_yet_due():
    candidates = [Candidate("recent", TOPIC), Candidate("old", TOPIC)]
    history = [rec("old", 1.0, T0 - timedelta(days=2)), rec("recent", 1.0, T0 - timedelta(hours=2))]
    for seed in range(10):
        assert choose_next(candidates, history, T0, [], random.Random(seed)).question_id == "old"


def test_unseen_questions_are_preferred_over_known_not_due():
    candidates = [Candidate("known", TOPIC), Candidate("unseen", TOPIC)]
    history = [rec("known", 1.0, T0 - timedelta(hours=1))]
    for seed in range(10):
        assert choose_next(candidates, history, T0, [], random.Random(seed)).question_id == "unseen"
    # and over known questions that are due
    history = [rec("known", 1.0, T0 - timedelta(days=3))]
    for seed in range(10):
        assert choose_next(candidates, history, T0, [], random.Random(seed)).question_id == "unseen"


def test_missed_before_unseen_before_due_before_not_due():
    mastery = topic_mastery([], TOPIC)
    history = [rec("missed", 0.0, T0 - timedelta(hours=1)),
               rec("due", 1.0, T0 - timedelta(days=2)),
               rec("notdue", 1.0, T0 - timedelta(hours=1))]
    p = {qid: priority(Candidate(qid, TOPIC), history, mastery, T0, []) for qid in ("missed", "unseen", "due", "notdue")}
    assert p["missed"] > p["unseen"] > p["due"] > p["notdue"] >= 0


def test_a_weaker_topic_goes_first_among_equals():
    history = series([1.0] * 5, topics=("handshake",)) + series([0.0] * 5, topics=("teardown",))
    candidates = [Candidate("h-new", ("handshake",)), Candidate("t-new", ("teardown",))]
    for seed in range(10):
        assert choose_next(candidates, history, T0 + timedelta(hours=1), [], random.Random(seed)).question_id == "t-new"


def test_choose_next_with_no_candidates():
    assert choose_next([], [], T0, [], random.Random(0)) is None


def test_choose_next_is_repeatable_with_a_seed():
    candidates = [Candidate(f"q{i}", TOPIC) for i in range(8)]
    picks = [choose_next(candidates, [], T0, [], random.Random(42)).question_id for _ in range(3)]
    assert len(set(picks)) == 1
    assert len({choose_next(candidates, [], T0, [], random.Random(s)).question_id for s in range(30)}) > 1


# ----------------------------------------------------------------------- suggestions


def test_suggestions_pick_the_weakest_topics():
    mastery = {"handshake": Mastery(0.8, 5), "teardown": Mastery(0.1, 3), "time-wait": Mastery(0.0, 0),
               "header-flags": Mastery(0.5, 2), "resets": Mastery(0.3, 1)}
    assert suggestions(mastery) == ["time-wait", "teardown", "resets"]
    assert suggestions(mastery, limit=1) == ["time-wait"]
    assert suggestions(mastery, limit=10)[-1] == "handshake"


def test_suggestions_break_ties_by_name():
    assert suggestions({"b": Mastery(0.2, 1), "a": Mastery(0.2, 1), "c": Mastery(0.9, 1)}, limit=2) == ["a", "b"]


def test_suggestions_from_history():
    history = series([1.0, 1.0, 1.0], topics=("handshake",)) + series([0.0, 1.0], topics=("teardown",))
    mastery = topic_mastery(history, ["handshake", "teardown", "time-wait"])
    assert suggestions(mastery, limit=2) == ["time-wait", "teardown"]


def test_a_question_missed_twice_in_a_session_yields_to_unseen_ones():
    candidates = [Candidate("missed", TOPIC)] + [Candidate(f"new{i}", TOPIC) for i in range(8)]
    session = run_session(candidates, [], T0, "missed", 0.0, picks=2 * (GAP_AFTER_MISS + 1) + 1,
                          answer=lambda qid: 0.0 if qid == "missed" else 1.0)
    assert session.count("missed") == 2  # once at the start, once right after the gap, then the new ones


def test_a_long_streak_of_right_answers_does_not_overflow_the_interval():
    """Forty right answers in a row: the interval stops doubling (timedelta ends at 10^9
    days) and the question is simply not due yet."""
    history = [rec("q", 1.0, T0 + timedelta(minutes=i)) for i in range(40)]
    mastery = topic_mastery(history, TOPIC)
    assert priority(Candidate("q", TOPIC), history, mastery, T0 + timedelta(days=400), []) < 1.0
