"""Item statistics (tcptutor.course.stats), checked against hand computations: facility,
the corrected item-total correlation, the upper-lower 27% index, field error rates, topic
mastery and the histograms."""

from __future__ import annotations

import math
import statistics
import xml.etree.ElementTree as ET
from collections import Counter

import pytest

from tcptutor.course.stats import (
    ClassResults,
    bar_chart_svg,
    field_statistics,
    item_statistics,
    pearson,
    summary,
    topic_mastery,
    totals,
)

# Five students, three one-point questions X, Y, Z:
#        X  Y  Z   total
#   s1   1  1  1   3
#   s2   1  1  0   2
#   s3   1  0  0   1
#   s4   0  1  0   1
#   s5   0  0  0   0
FIVE = ClassResults(
    questions=["X", "Y", "Z"],
    points={"X": 1.0, "Y": 1.0, "Z": 1.0},
    topics={"X": ["handshake"], "Y": ["handshake", "teardown"], "Z": ["teardown"]},
    scores={"s1": {"X": 1, "Y": 1, "Z": 1}, "s2": {"X": 1, "Y": 1, "Z": 0}, "s3": {"X": 1, "Y": 0, "Z": 0},
            "s4": {"X": 0, "Y": 1, "Z": 0}, "s5": {"X": 0, "Y": 0, "Z": 0}},
)


def test_totals():
    assert totals(FIVE) == {"s1": 3, "s2": 2, "s3": 1, "s4": 1, "s5": 0}


def test_facility_is_the_mean_score():
    rows = {r["question"]: r for r in item_statistics(FIVE)}
    assert rows["X"]["facility"] == 0.6
    assert rows["Y"]["facility"] == 0.6
    assert rows["Z"]["facility"] == 0.2
    assert all(r["students"] == 5 and r["points"] == 1.0 for r in rows.values())


def test_corrected_item_total_correlation_by_hand():
    """X against the rest of the test (Y + Z), worked by hand:
    item = [1,1,1,0,0], mean .6, deviations [.4,.4,.4,-.6,-.6]
    rest = [2,1,0,1,0], mean .8, deviations [1.2,.2,-.8,.2,-.8]
    Sxy = .48 + .08 - .32 - .12 + .48 = .6;  Sxx = 3(.16) + 2(.36) = 1.2;  Syy = 1.44+.04+.64+.04+.64 = 2.8
    r = .6 / sqrt(1.2 * 2.8) = .6 / sqrt(3.36) = 0.327327..."""
    rows = {r["question"]: r for r in item_statistics(FIVE)}
    assert rows["X"]["discrimination"] == 0.3273
    assert math.isclose(0.6 / math.sqrt(3.36), 0.327327, rel_tol=1e-5)
    # Z against X + Y: item [1,0,0,0,0] (mean .2), rest [2,2,1,1,0] (mean 1.2)
    # Sxy = .8*.8 + (-.2)(.8) + (-.2)(-.2) + (-.2)(-.2) + (-.2)(-1.2) = .64-.16+.04+.04+.24 = .8
    # Sxx = .64 + 4(.04) = .8;  Syy = .64+.64+.04+.04+1.44 = 2.8;  r = .8/sqrt(2.24) = 0.534522...
    assert rows["Z"]["discrimination"] == 0.5345
    # it is the corrected correlation, not the item against the total that includes it
    uncorrected = statistics.correlation([1, 1, 1, 0, 0], [3, 2, 1, 1, 0])
    assert round(uncorrected, 4) != rows["X"]["discrimination"]


def test_correlation_matches_the_standard_library_on_fractional_scores():
    scores = {f"s{i}": {"A": (i * 37 % 11) / 10, "B": (i * 13 % 7) / 6, "C": float(i % 3 == 0)} for i in range(40)}
    points = {"A": 2.0, "B": 1.0, "C": 3.0}
    results = ClassResults(["A", "B", "C"], points, {}, scores)
    students = sorted(scores)
    for row in item_statistics(results):
        q = row["question"]
        item = [scores[s][q] for s in students]
        rest = [sum(points[o] * scores[s][o] for o in points if o != q) for s in students]
        assert row["discrimination"] == round(statistics.correlation(item, rest), 4)
        assert row["facility"] == round(statistics.mean(item), 4)


def test_correlation_undefined_cases():
    assert pearson([1, 0], [0, 1]) is None  # fewer than 3 students
    assert pearson([1, 1, 1], [0, 1, 2]) is None  # everyone got the item right: no variance
    assert pearson([0, 1, 2], [5, 5, 5]) is None
    assert pearson([0, 1, 2], [0, 2, 4]) == pytest.approx(1.0)
    assert pearson([0, 1, 2], [4, 2, 0]) == pytest.approx(-1.0)
    everyone_right = ClassResults(["A", "B"], {"A": 1.0, "B": 1.0}, {},
                                  {f"s{i}": {"A": 1.0, "B": i % 2} for i in range(6)})
    assert item_statistics(everyone_right)[0]["discrimination"] is None


def test_upper_lower_27_percent_by_hand():
    """Ten students: k = round(10 * .27) = 3. Totals rank them s0 (lowest) ... s9 (highest).
    Q1 is right for s5..s9 -> upper {s7,s8,s9} 3/3, lower {s0,s1,s2} 0/3: index 1.0.
    Q2 is right for s0, s4, s9 -> upper 1/3, lower 1/3: index 0.0.
    Q3 scores i/9 for student i -> upper mean (7+8+9)/27 = 0.8889, lower (0+1+2)/27 = 0.1111: 21/27 = 0.7778."""
    scores = {}
    for i in range(10):
        scores[f"s{i}"] = {"Q1": float(i >= 5), "Q2": float(i in (0, 4, 9)), "Q3": i / 9, "Q4": 0.0}
    # a heavy fourth question orders the students strictly by index whatever Q1..Q3 say
    points = {"Q1": 1.0, "Q2": 1.0, "Q3": 1.0, "Q4": 100.0}
    for i in range(10):
        scores[f"s{i}"]["Q4"] = i / 10
    rows = {r["question"]: r for r in item_statistics(ClassResults(["Q1", "Q2", "Q3", "Q4"], points, {}, scores))}
    assert rows["Q1"]["upper_lower"] == 1.0
    assert rows["Q2"]["upper_lower"] == 0.0
    assert rows["Q3"]["upper_lower"] == round((7 + 8 + 9) / 27 - (0 + 1 + 2) / 27, 4) == 0.7778
    assert rows["Q4"]["upper_lower"] == round((0.7 + 0.8 + 0.9) / 3 - (0 + 0.1 + 0.2) / 3, 4) == 0.7


@pytest.mark.parametrize("n, k", [(2, 1), (4, 1), (10, 3), (11, 3), (100, 27), (200, 54), (201, 54), (1000, 270)])
def test_upper_lower_group_size(n, k):
    """k = round(27% of n). Student i ranks i-th (a heavy question W orders them); the item is
    right only for the k-th best student, so the index is exactly 1/k when the groups have k
    students (1/(k+1) with one more, 0 with one fewer)."""
    scores = {f"s{i:04d}": {"Q": float(i == n - k), "W": i / n} for i in range(n)}
    rows = item_statistics(ClassResults(["Q", "W"], {"Q": 1.0, "W": 1000.0}, {}, scores))
    assert rows[0]["upper_lower"] == round(1 / k, 4)


def test_upper_lower_single_student():
    rows = item_statistics(ClassResults(["Q"], {"Q": 1.0}, {}, {"s1": {"Q": 1.0}}))
    assert rows[0]["upper_lower"] == 0.0  # one student is both the upper and the lower group


def test_no_students():
    results = ClassResults(["A"], {"A": 1.0}, {}, {})
    rows = item_statistics(results)
    assert rows == [{"question": "A", "points": 1.0, "students": 0, "facility": None, "discrimination": None,
                     "upper_lower": None}]
    out = summary(results)
    assert out["students"] == 0 and out["mean_percent"] is None and sum(out["score_histogram"].values()) == 0


def test_field_statistics_error_rate_ignores_unreadable():
    results = ClassResults(["q1", "q2"], {"q1": 1.0, "q2": 1.0}, {}, {},
                           field_counts={("q2", "f"): Counter(correct=1, wrong=1),
                                         ("q1", "b"): Counter(correct=3, wrong=1, unreadable=4),
                                         ("q1", "a"): Counter(unreadable=2)})
    assert field_statistics(results) == [
        {"question": "q1", "field": "a", "answers": 2, "correct": 0, "wrong": 0, "unreadable": 2, "error_rate": None},
        {"question": "q1", "field": "b", "answers": 8, "correct": 3, "wrong": 1, "unreadable": 4, "error_rate": 0.25},
        {"question": "q2", "field": "f", "answers": 2, "correct": 1, "wrong": 1, "unreadable": 0, "error_rate": 0.5},
    ]


def test_topic_mastery_distribution():
    """handshake = {X, Y}: per-student means 1, 1, .5, .5, 0 -> mean .6, median .5,
    bins 0-20: 1, 40-60: 2, 80-100: 2. teardown = {Y, Z}: 1, .5, 0, .5, 0 -> mean .4."""
    t = topic_mastery(FIVE)
    assert list(t) == ["handshake", "teardown"]
    assert t["handshake"] == {"questions": 2, "mean": 0.6, "median": 0.5,
                              "histogram": {"0-20%": 1, "20-40%": 0, "40-60%": 2, "60-80%": 0, "80-100%": 2}}
    assert t["teardown"] == {"questions": 2, "mean": 0.4, "median": 0.5,
                             "histogram": {"0-20%": 2, "20-40%": 0, "40-60%": 2, "60-80%": 0, "80-100%": 1}}


def test_summary_histogram_misconceptions_and_percentages():
    results = ClassResults(FIVE.questions, FIVE.points, FIVE.topics, FIVE.scores,
                           misconceptions=Counter({"syn-not-counted": 3, "fin-not-counted": 5, "seq-ack-swapped": 1}))
    out = summary(results)
    assert out["students"] == 5 and out["max_points"] == 3.0
    # percents 100, 66.67, 33.33, 33.33, 0
    assert out["mean_percent"] == round((100 + 200 / 3 + 2 * 100 / 3) / 5, 2) == 46.67
    assert out["median_percent"] == 33.33
    assert out["score_histogram"] == {"0-10%": 1, "10-20%": 0, "20-30%": 0, "30-40%": 2, "40-50%": 0, "50-60%": 0,
                                      "60-70%": 1, "70-80%": 0, "80-90%": 0, "90-100%": 1}
    assert out["misconceptions"] == [{"id": "fin-not-counted", "count": 5}, {"id": "syn-not-counted", "count": 3},
                                     {"id": "seq-ack-swapped", "count": 1}]
    assert [r["question"] for r in out["items"]] == ["X", "Y", "Z"]


def test_histogram_bin_edges():
    """Each bin holds [lo, hi); 100% goes in the last bin."""
    scores = {f"s{p}": {"A": p / 100} for p in (0, 9.99, 10, 49.5, 50, 99.9, 100)}
    out = summary(ClassResults(["A"], {"A": 1.0}, {}, scores))
    assert out["score_histogram"] == {"0-10%": 2, "10-20%": 1, "20-30%": 0, "30-40%": 0, "40-50%": 1, "50-60%": 1,
                                      "60-70%": 0, "70-80%": 0, "80-90%": 0, "90-100%": 2}


def test_unanswered_questions_count_as_zero():
    results = ClassResults(["A", "B"], {"A": 1.0, "B": 3.0}, {}, {"s1": {"A": 1.0}, "s2": {"B": 1.0}, "s3": {}})
    assert totals(results) == {"s1": 1.0, "s2": 3.0, "s3": 0.0}
    rows = {r["question"]: r for r in item_statistics(results)}
    assert rows["A"]["facility"] == round(1 / 3, 4) and rows["B"]["facility"] == round(1 / 3, 4)


@pytest.mark.parametrize("horizontal", [False, True])
def test_bar_chart_svg_is_well_formed_and_escapes_labels(horizontal):
    svg = bar_chart_svg("Scores <&> \"quoted\"", [("0-10%", 3), ("a<b & c", 0), ("x", 12.5)], horizontal=horizontal)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Scores <&> \"quoted\"" in texts and "a<b & c" in texts and "12.5" in texts
    assert len(list(root.iter("{http://www.w3.org/2000/svg}rect"))) == 3


def test_bar_chart_svg_empty():
    ET.fromstring(bar_chart_svg("Nothing", []))
