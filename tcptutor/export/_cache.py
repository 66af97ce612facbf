"""A per-bank store of what an export derives from a variant at length: the variant itself as
the writers show it (prompt, explanation, parameters, its fields), its ladder diagrams (text
and SVG) and its parts (answers, worked solutions, the misconceptions' wrong answers).

Simulating the variants, rendering ladders and searching misconceptions are most of an
export's work, and a variant comes out the same way every time. A scenario question's variant
found in the store is a CachedVariant: the writers read what it holds, and anything else (its
trace, its Expected values) comes from the variant simulated on first use, so a warm export of
the question formats simulates nothing, and none can show other values than make_variant's.

An entry's key is a digest of everything its text depends on: tcptutor's whole source (every
.py file) and message catalogs, the language and its scenario titles, the question as exported
(every field: its words, spec and scenario), the named scenario's text, the seed, and what was
rendered with which arguments. So an entry cannot be stale: any change makes another key (invalidated by construction, like the
verification cache), and a miss only costs the rendering.

The file is `export-cache.sqlite` beside a SQLite bank, else beside the verification cache
(bank.verifycache.default_path); TCPTUTOR_EXPORT_CACHE names another file, or is `off` for
none. A missing, corrupt or unwritable file counts as empty, never as an error; beyond
MAX_CHARS the oldest entries go.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
import weakref
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import astuple, dataclass
from functools import cached_property
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
ENV = "TCPTUTOR_EXPORT_CACHE"
NAME = "export-cache.sqlite"
# About 64 MB of text: a whole English export of the shipped bank in every format (5 variants)
# is about a third of it. Beyond it the oldest entries go (they only cost a rendering), so old
# versions' entries do not pile up.
MAX_CHARS = 64 * 2**20

_store: "Store | None" = None  # the store of the export running in this process, if any
_bases: dict[int, str] = {}  # id(variant) -> digest of its question, scenario and seed, while it lives


def path_for(url: str) -> Path | None:
    """Where the cache of the bank at `url` goes (None: no cache)."""
    chosen = os.environ.get(ENV)
    if chosen is not None:
        return None if chosen.strip() in ("", "off") else Path(chosen)
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        return Path(url.removeprefix("sqlite:///").split("?", 1)[0]).parent / NAME
    from ..bank.verifycache import default_path

    beside = default_path()
    return beside.parent / NAME if beside is not None else None


def _version() -> str:
    """tcptutor's source and catalogs, the language and its scenario titles: what every
    rendering reads besides the variant."""
    from .. import i18n, library

    source, catalogs = library.code_digest(""), library.code_digest("locale", pattern="*")
    h = hashlib.sha256(f"{source}\0{catalogs}\0{sys.version}\0".encode())  # Python's: its unicodedata
    h.update(json.dumps([i18n.language(), sorted(i18n._titles.items())], ensure_ascii=False).encode())
    return h.hexdigest()


class Store:
    """Entries read on demand, new ones written together by save()."""

    def __init__(self, path: Path):
        self.path = path
        self._version: str | None = None
        self._new: dict[str, str] = {}
        try:
            self._db = sqlite3.connect(path)
            self._db.execute("CREATE TABLE IF NOT EXISTS derived (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        except sqlite3.Error:
            self._db = None

    @property
    def version(self) -> str:
        """_version(), taken at the first entry looked up (the language and titles then in effect)."""
        if self._version is None:
            self._version = _version()
        return self._version

    def get(self, key: str) -> str | None:
        if key in self._new:
            return self._new[key]
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT value FROM derived WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            return None
        return row[0] if row else None

    def put(self, key: str, value: str) -> None:
        self._new[key] = value

    def save(self) -> None:
        """Best effort: a cache that cannot be written only costs time."""
        if self._db is None or not self._new:
            return
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO derived VALUES (?, ?)", self._new.items())
                _prune(self._db, MAX_CHARS)
        except sqlite3.Error:
            return
        self._new = {}

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


def _prune(db: sqlite3.Connection, limit: int) -> None:
    """Delete the oldest entries (the first written) until the values hold at most `limit` characters."""
    excess = db.execute("SELECT coalesce(sum(length(value)), 0) FROM derived").fetchone()[0] - limit
    if excess <= 0:
        return
    for rowid, size in db.execute("SELECT rowid, length(value) FROM derived ORDER BY rowid").fetchall():
        excess -= size
        if excess <= 0:
            db.execute("DELETE FROM derived WHERE rowid <= ?", (rowid,))
            return


@contextmanager
def opened(path: Path | None):
    """The store at `path` in effect for the exports run inside (none: everything rendered)."""
    global _store
    if path is None:
        yield None
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        yield None
        return
    store = Store(path)
    _store = store
    try:
        yield store
        store.save()
    finally:
        _store = None
        store.close()


def _base(question, scenarios: Mapping[str, str], seed: int) -> str:
    """The digest of what a variant is drawn from: the question as exported, its named
    scenario's text and the seed."""
    text = scenarios.get(question.scenario) if question.scenario else None
    return hashlib.sha256(repr((question, text, seed, question.lesson)).encode()).hexdigest()


def _remember(variant, base: str) -> None:
    key = id(variant)
    _bases[key] = base
    weakref.finalize(variant, _bases.pop, key, None)


def note(variant, question, scenarios: Mapping[str, str]) -> None:
    """Remember what `variant` was drawn from (while a store is open), for derived()."""
    if _store is not None:
        _remember(variant, _base(question, scenarios, variant.seed))


@dataclass(frozen=True)
class Fact:
    """What a writer shows of one field: Expected's own values, and the number of the segment
    it asks about (Expected.segment is the trace's record itself)."""

    field: str
    what: str
    value: object
    label: str
    unit: str
    mss: int | None
    tolerance: float
    segment: int | None


def facts(variant) -> dict[str, Fact]:
    """The variant's fields by name, read without its trace when it is a CachedVariant."""
    if isinstance(variant, CachedVariant):
        return variant.facts
    return {name: Fact(e.field, e.what, e.value, e.label, e.unit, e.mss, e.tolerance,
                       e.segment.n if e.segment else None) for name, e in variant.expected.items()}


def traced(variant) -> bool:
    """Whether the variant has a trace (a scenario question's always has), without simulating."""
    return True if isinstance(variant, CachedVariant) else variant.trace is not None


def full(variant):
    """The variant as make_variant gives it: what a derived value is computed from."""
    return variant.full if isinstance(variant, CachedVariant) else variant


class CachedVariant:
    """A scenario question's variant as an earlier export stored it: the question, seed,
    parameters, prompt, explanation, order and facts(). `expected`, `trace` and `answer_key`
    are those of the variant simulated on first use (`full`)."""

    def __init__(self, question, seed: int, text: str, make: Callable[[], object]):
        doc = json.loads(text)
        self.question, self.seed = question, seed
        self.params, self.prompt, self.explanation = doc["params"], doc["prompt"], doc["explanation"]
        self.order = tuple(doc["order"])
        self.facts = {f[0]: Fact(*f) for f in doc["facts"]}
        self._make = make

    @cached_property
    def full(self):
        return self._make()

    @property
    def expected(self):
        return self.full.expected

    @property
    def trace(self):
        return self.full.trace

    @property
    def answer_key(self):
        return self.full.answer_key


def _shown(variant) -> tuple:
    return variant.params, variant.prompt, variant.explanation, tuple(variant.order), facts(variant)


def _variant_text(variant) -> str | None:
    """What a CachedVariant is read from; None when it would not read back the same."""
    try:
        text = json.dumps({"params": variant.params, "prompt": variant.prompt, "explanation": variant.explanation,
                           "order": list(variant.order), "facts": [astuple(f) for f in facts(variant).values()]},
                          ensure_ascii=False)
    except (TypeError, ValueError):
        return None
    back = CachedVariant(variant.question, variant.seed, text, make=lambda: None)
    return text if repr(_shown(back)) == repr(_shown(variant)) else None


def variant(question, seed: int, scenarios: Mapping[str, str], make: Callable[[], object]):
    """make() (make_variant of the question and seed), or, for a scenario question that an
    earlier export stored, a CachedVariant of it; remembered for derived() either way."""
    if _store is None:
        return make()
    base = _base(question, scenarios, seed)
    key = _key(base, "variant", ())
    found = _store.get(key) if question.scenario else None
    drawn = CachedVariant(question, seed, found, make) if found is not None else make()
    _remember(drawn, base)
    if found is None and question.scenario:
        text = _variant_text(drawn)
        if text is not None:
            _store.put(key, text)
    return drawn


def _key(base: str, product: str, args: tuple) -> str:
    return hashlib.sha256(repr((_store.version, base, product, args)).encode()).hexdigest()


def derived(variant, product: str, args: tuple, compute: Callable[[], T],
            encode: Callable[[T], str | None] = lambda text: text, decode: Callable[[str], T] = lambda text: text) -> T:
    """compute(), or what it gave before for this variant, product and arguments.

    encode: the value as stored text, or None when it would not read back the same (then
    it is not stored); decode: the inverse."""
    base = _bases.get(id(variant))
    if _store is None or base is None:
        return compute()
    key = _key(base, product, args)
    found = _store.get(key)
    if found is not None:
        return decode(found)
    value = compute()
    text = encode(value)
    if text is not None:
        _store.put(key, text)
    return value
