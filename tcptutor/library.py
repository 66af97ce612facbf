"""Where the shipped content lives, and how a scenario named on the command line is found.

`tcptutor/content` is a link to the repository's `content/` (in a wheel, a copy), so the
same path works from a clone and from an installed package.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputError

if TYPE_CHECKING:  # the parser is imported by load_scenario: the content's paths alone need nothing
    from .tcp.params import Scenario

from .i18n import LANGUAGES, _

CONTENT = Path(__file__).resolve().parent / "content"
TRANSLATED_LANGUAGES = tuple(lang for lang in LANGUAGES if lang != "en")  # content/translations/<lang>/
SCENARIOS = CONTENT / "scenarios"


def scenario_names() -> list[str]:
    return sorted(p.stem for p in SCENARIOS.glob("*.toml"))


def read_scenario(name_or_path: str) -> tuple[str, str]:
    """(text, path) of a scenario given as a file path or as a shipped scenario's name."""
    path = Path(name_or_path)
    if not path.is_file():
        named = SCENARIOS / f"{name_or_path}.toml"
        if not named.is_file():
            names = ", ".join(scenario_names())
            raise InputError(name_or_path, None, _("no such file or named scenario; named scenarios: {names}").format(
                names=names))
        path = named
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(str(path), None, _("cannot read: {error}").format(error=err)) from None


def load_scenario(name_or_path: str) -> Scenario:
    from .tcp.scenario import parse_scenario

    text, path = read_scenario(name_or_path)
    return parse_scenario(text, path)


@cache
def simulator_version() -> str:
    """A digest of the simulator's own source (tcptutor/tcp, every .py file, by relative path).

    It changes whenever the code that computes answer keys changes, with no number for a person
    to forget to bump: a stored key records it, so a cache can tell a stale entry and a regrade
    can say that the simulator, not the question, moved. 16 hex digits are plenty to tell
    versions apart."""
    return code_digest("tcp")


def code_digest(*parts: str, pattern: str = "*.py") -> str:
    """A digest of part of tcptutor's own files: each of `parts` a folder (its files matching
    `pattern`, at any depth) or a file, relative to the package, hashed with its relative path.
    The one way the simulator's, the verifier's, the grader's and the export cache's versions
    are computed."""
    package = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for part in parts:
        target = package / part
        for path in sorted(p for p in target.rglob(pattern) if p.is_file()) if target.is_dir() else [target]:
            h.update(f"\0{path.relative_to(package).as_posix()}\0".encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def shipped_titles(lang: str) -> dict[str, str]:
    """The shipped scenarios' titles in `lang` (content/translations/<lang>/titles.toml), for
    commands that draw a scenario without opening the bank (`simulate`). A broken file gives
    none (`check` reports it): the diagram is drawn with the English title."""
    path = CONTENT / "translations" / lang / "titles.toml"
    if lang == "en" or not path.is_file():
        return {}
    from .lessons.parser import parse_names

    try:
        titles, _problems = parse_names(path.read_text(encoding="utf-8"), str(path), "titles", "")
    except (OSError, UnicodeDecodeError):
        return {}
    return titles
