"""The verification cache: which questions already passed `check` with this simulator.

Verifying a predict question runs it for 50 seeds; the shipped lessons are over 7,000
simulations. A question whose full content (its version spec, named scenario text included),
seed count and verifier (the simulator's source, and the code that reads answers off a
trace) are all unchanged verifies the same way again, so `build` and `check` skip it.

Only passes are cached: a failing question is verified again and its problem reported at
its path:line as before. The key is a digest of everything verification reads, so a hit is
exactly as safe as re-verifying.

Two files, both JSON lists of keys: the user's cache beside the default bank
(db/verified.json in a clone, the user's data folder for an installed package;
TCPTUTOR_VERIFY_CACHE names another file, or is `off` for no cache at all: everything is
verified), written after every verification; and
a read-only prebuilt one shipped in the package (`shipped_verified.json`, refreshed by
`python -m tcptutor.bank.verifycache`), so the first-use build of the shipped lessons
verifies nothing. A missing, unreadable or corrupt file counts as empty, never as an error.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

from .. import library
from ..questions.model import Question
from ..questions.variants import is_inline

FORMAT = "tcptutor.verified/1"
PACKAGE = Path(__file__).resolve().parent.parent
SHIPPED_CACHE = Path(__file__).resolve().parent / "shipped_verified.json"
ENV = "TCPTUTOR_VERIFY_CACHE"
MAX_KEYS = 100_000  # about 3.5 MB; beyond it the oldest keys go (they only cost a re-verification)


@cache
def verifier_version() -> str:
    """A digest of the simulator (tcptutor/tcp) and of the code that turns a trace into a
    variant and its answers (tcptutor/questions, the lesson parser's verify_question): a change
    to either invalidates every cached pass."""
    return library.code_digest("tcp", "questions", "lessons/parser.py")


def question_key(question: Question, scenarios: Mapping[str, str], seeds: Iterable[int],
                 verifier: str | None = None) -> str:
    """Everything verification reads: the question's spec, the text of the named scenario it
    uses, its lesson, the seeds, and the verifier's version."""
    spec = question.to_spec()
    named = question.scenario if question.scenario and not is_inline(question.scenario) else None
    payload = {"spec": spec, "scenario_text": scenarios.get(named) if named else None,
               "named": named, "lesson": question.lesson, "seeds": list(seeds),
               "verifier": verifier or verifier_version()}
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def default_path() -> Path | None:
    """The user's cache file: $TCPTUTOR_VERIFY_CACHE (`off` or empty: none), else beside the
    SQLite bank $TCPTUTOR_DB names, else beside the default bank (see bank.db.default_url, whose folders it mirrors without importing SQLAlchemy)."""
    chosen = os.environ.get(ENV)
    if chosen is not None:
        return None if chosen.strip() in ("", "off") else Path(chosen)
    bank = os.environ.get("TCPTUTOR_DB", "")
    if bank.startswith("sqlite:///") and bank != "sqlite:///:memory:":
        # a bank of one's own: its cache beside it, not in the default bank's folder
        return Path(bank.removeprefix("sqlite:///").split("?", 1)[0]).parent / "verified.json"
    checkout = PACKAGE.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "db").is_dir():
        return checkout / "db" / "verified.json"
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "tcptutor" / "verified.json"


def read_keys(path: Path | None) -> dict[str, None]:
    """The keys in a cache file, oldest first; {} for a missing or broken file."""
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("keys"), list):
        return {}
    return dict.fromkeys(k for k in data["keys"] if isinstance(k, str))


def write_keys(path: Path, keys: Iterable[str]) -> None:
    """Write the file through a temporary file and a rename: a reader sees the old file or
    the new one, never half of one. Raises OSError (callers of save() ignore it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"format": FORMAT, "keys": list(keys)}, out, indent=0)
            out.write("\n")
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class VerificationCache:
    """Keys of verified questions: the user's file plus the shipped one (read-only)."""

    def __init__(self, path: Path | None, *, shipped: Path | None = SHIPPED_CACHE):
        self.path = path
        self._shipped = read_keys(shipped)
        self._keys = read_keys(path)
        self._new: dict[str, None] = {}

    @classmethod
    def default(cls) -> "VerificationCache":
        """The user's cache and the shipped one; neither with TCPTUTOR_VERIFY_CACHE=off."""
        path = default_path()
        if path is None:
            return cls(None, shipped=None)
        return cls(path)

    def __contains__(self, key: str) -> bool:
        return key in self._keys or key in self._shipped or key in self._new

    def add(self, key: str) -> None:
        if key not in self:
            self._new[key] = None

    def save(self) -> None:
        """Add the new keys to the user's file (merged with what another process wrote
        meanwhile). Best effort: a cache that cannot be written only costs time."""
        if self.path is None or not self._new:
            return
        merged = {**read_keys(self.path), **self._keys, **self._new}
        keys = list(merged)[-MAX_KEYS:]
        try:
            write_keys(self.path, keys)
        except OSError:
            return
        self._keys = dict.fromkeys(keys)
        self._new = {}


def refresh_shipped() -> int:
    """Verify the shipped lessons with no cache and write their keys to SHIPPED_CACHE."""
    from .content import compile_content, read_content

    cache_ = VerificationCache(None, shipped=None)
    course, _ = compile_content(read_content(), cache=cache_)
    write_keys(SHIPPED_CACHE, sorted(cache_._new))
    return len(cache_._new)


if __name__ == "__main__":  # python -m tcptutor.bank.verifycache: after the simulator or a lesson changed
    print(f"{SHIPPED_CACHE}: {refresh_shipped()} verified questions")
