"""Content problems: collected, not raised one by one, so an author sees all of them at once."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import TcptutorError


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ContentError(TcptutorError):
    """The content has problems: nothing was written. Exit code 1 (the issue's choice)."""

    exit_code = 1

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        count = len(self.problems)
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the content:\n{lines}")
