"""What a grading run reports: the rows read, the attempts graded, the problems found.

Its own module so that `course grade` can answer a file graded before (course/again.py)
without importing the grading machinery.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..problems import Problem


@dataclass
class GradeReport:
    rows: int = 0
    students: int = 0
    graded: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    gradebook: Path | None = None
    feedback: Path | None = None
    encoding: str | None = None  # set when the submissions were not plain UTF-8
    keep: int = 1000
    key_moves: list = field(default_factory=list)  # regrade: KeyMove per question whose key moved

    def add(self, problem: Problem) -> None:
        """Count every problem; keep the `keep` with the lowest lines (memory stays flat)."""
        self.problem_count += 1
        self.problems.append(problem)
        if len(self.problems) >= 2 * self.keep:
            self.problems = sorted(self.problems, key=_by_line)[:self.keep]

    def sorted_problems(self) -> list[Problem]:
        """The kept problems in line order, as an instructor reads the file."""
        return sorted(self.problems, key=_by_line)[:self.keep]


def _by_line(problem: Problem) -> tuple:
    return problem.path, problem.line, problem.message
