"""Content problems: collected, not raised one by one, so an author sees all of them at once.

A problem's message is a `Said` sentence (tcptutor/i18n.py) where tcptutor wrote it: the
string is the English (what code and tests compare, and what a worker process pickles);
`str(problem)` says it in the active language, so `tcptutor --lang zh check` prints Chinese.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import TcptutorError
from .i18n import Said, local


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str  # a Said sentence, or plain text (from outside tcptutor's catalog: shown as it is)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {local(self.message)}"


class ContentError(TcptutorError):
    """The content has problems: nothing was written. Exit code 1 (the issue's choice).

    The exception's text (its args) is the English; `str()` says it in the active language."""

    exit_code = 1

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        lines = "\n".join(f"{p.path}:{p.line}: {p.message}" for p in self.problems)
        super().__init__(f"{self._header()}\n{lines}")

    def _header(self) -> Said:
        return Said.ngettext("{n} problem in the content:", "{n} problems in the content:", len(self.problems))

    def __str__(self) -> str:
        lines = "\n".join(str(p) for p in self.problems)
        return f"{self._header().local()}\n{lines}"
