"""Item statistics for an assessment set (pure: the scores come in as plain data).

facility        mean score of a question (0..1): how easy it was for this class
discrimination  corrected item-total correlation: does doing well on this question go with
                doing well on the rest of the test? and the classic upper-lower index over the
                top and bottom 27% of students by total
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from statistics import mean, median

UPPER_LOWER = 0.27


@dataclass
class ClassResults:
    """Everything the statistics need, gathered from the bank by the caller."""

    questions: list[str]  # in set order
    points: dict[str, float]  # question -> points
    topics: dict[str, list[str]]  # question -> topics
    scores: dict[str, dict[str, float]]  # student -> question -> fraction 0..1 (assigned, unanswered = 0)
    field_counts: dict[tuple[str, str], Counter] = field(default_factory=dict)  # (question, field) -> verdict counts
    misconceptions: Counter = field(default_factory=Counter)


def pearson(xs: list[float], ys: list[float]) -> float | None:
    if len(xs) < 3:
        return None
    mx, my = mean(xs), mean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def totals(results: ClassResults) -> dict[str, float]:
    """Each student's points."""
    return {s: sum(results.points[q] * row.get(q, 0.0) for q in results.questions) for s, row in results.scores.items()}


def item_statistics(results: ClassResults) -> list[dict]:
    students = sorted(results.scores)
    total = totals(results)
    ranked = sorted(students, key=lambda s: (total[s], s))
    k = max(1, round(len(students) * UPPER_LOWER)) if students else 0
    lower, upper = ranked[:k], ranked[-k:]
    rows = []
    for q in results.questions:
        item = [results.scores[s].get(q, 0.0) for s in students]
        rest = [total[s] - results.points[q] * results.scores[s].get(q, 0.0) for s in students]
        rows.append({
            "question": q,
            "points": results.points[q],
            "students": len(students),
            "facility": round(mean(item), 4) if item else None,
            "discrimination": _round(pearson(item, rest)),
            "upper_lower": round(mean(results.scores[s].get(q, 0.0) for s in upper)
                                 - mean(results.scores[s].get(q, 0.0) for s in lower), 4) if k else None,
        })
    return rows


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def field_statistics(results: ClassResults) -> list[dict]:
    rows = []
    for (q, f), counts in sorted(results.field_counts.items(), key=lambda kv: (results.questions.index(kv[0][0]) if kv[0][0] in results.questions else 0, kv[0][1])):
        readable = counts["correct"] + counts["wrong"]
        rows.append({
            "question": q, "field": f, "answers": sum(counts.values()),
            "correct": counts["correct"], "wrong": counts["wrong"], "unreadable": counts["unreadable"],
            "error_rate": round(counts["wrong"] / readable, 4) if readable else None,
        })
    return rows


def topic_mastery(results: ClassResults) -> dict[str, dict]:
    """Per topic, the distribution over students of their mean score on that topic's questions."""
    by_topic: dict[str, list[str]] = {}
    for q in results.questions:
        for t in results.topics.get(q, []):
            by_topic.setdefault(t, []).append(q)
    out = {}
    for topic, qs in sorted(by_topic.items()):
        values = [mean(row.get(q, 0.0) for q in qs) for row in results.scores.values()]
        if not values:
            continue
        bins = [0] * 5
        for v in values:
            bins[min(int(v * 5), 4)] += 1
        out[topic] = {"questions": len(qs), "mean": round(mean(values), 4), "median": round(median(values), 4),
                      "histogram": {f"{i * 20}-{i * 20 + 20}%": n for i, n in enumerate(bins)}}
    return out


def summary(results: ClassResults) -> dict:
    total = totals(results)
    maximum = sum(results.points[q] for q in results.questions)
    percents = [100 * t / maximum for t in total.values()] if maximum else []
    return {
        "students": len(results.scores),
        "max_points": maximum,
        "mean_percent": round(mean(percents), 2) if percents else None,
        "median_percent": round(median(percents), 2) if percents else None,
        "items": item_statistics(results),
        "fields": field_statistics(results),
        "misconceptions": [{"id": m, "count": n} for m, n in results.misconceptions.most_common()],
        "topics": topic_mastery(results),
        "score_histogram": _histogram(percents),
    }


def _histogram(percents: list[float]) -> dict[str, int]:
    bins = [0] * 10
    for p in percents:
        bins[min(int(p // 10), 9)] += 1
    return {f"{i * 10}-{i * 10 + 10}%": n for i, n in enumerate(bins)}


def bar_chart_svg(title: str, bars: list[tuple[str, float]], *, horizontal: bool = False) -> str:
    """A small, dependency-free SVG bar chart.

    Sized to its text (render.svg.text_width estimates): the label column is as wide as
    the longest label, and the chart as wide as its title, so no text is clipped."""
    from xml.sax.saxutils import escape

    from ..render.svg import text_width

    value_w = max([text_width(f"{v:g}", 12) for _, v in bars] + [0]) + 12
    longest = max([text_width(label, 12 if horizontal else 10) for label, _ in bars] + [0])
    bar_h, label_w = 22, (max(longest + 16, 60) if horizontal else 0)
    width = max(640, text_width(title, 15) + 20)
    if horizontal:
        width = max(width, label_w + 200 + value_w)
    else:  # each label centred under its bar: a slot at least as wide as the label
        width = max(width, 60 + len(bars) * (longest + 8))
    width = round(width)
    top = 40
    if horizontal:
        height = top + bar_h * len(bars) + 20
        peak = max([v for _, v in bars] + [1])
        parts = []
        for i, (label, value) in enumerate(bars):
            y = top + i * bar_h
            w = (width - label_w - value_w) * value / peak
            parts.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
                         f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{bar_h - 6}" fill="#4e79a7"/>'
                         f'<text x="{label_w + w + 6:.1f}" y="{y + 15}">{value:g}</text>')
    else:
        height = 300
        peak = max([v for _, v in bars] + [1])
        n = max(len(bars), 1)
        slot = (width - 60) / n
        parts = []
        for i, (label, value) in enumerate(bars):
            h = (height - top - 60) * value / peak
            x = 40 + i * slot
            y = height - 40 - h
            parts.append(f'<rect x="{x + 4:.1f}" y="{y:.1f}" width="{slot - 8:.1f}" height="{h:.1f}" fill="#4e79a7"/>'
                         f'<text x="{x + slot / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle">{value:g}</text>'
                         f'<text x="{x + slot / 2:.1f}" y="{height - 24}" text-anchor="middle" font-size="10">{escape(label)}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'font-family="sans-serif" font-size="12"><text x="10" y="22" font-size="15">{escape(title)}</text>'
            + "".join(parts) + "</svg>\n")
