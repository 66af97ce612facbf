"""The export cache (export/_cache.py): a second export reads its ladders and parts from the
file beside the bank and writes the same bytes as an export with no cache at all."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tcptutor.export import _cache, _fields

VARIANTS = 3
FORMATS = ("markdown", "html", "moodle-xml", "gift", "json")


def export(bank_file: Path, out: Path, fmt: str, *args: str, cache: str | None = None) -> list[Path]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    env.pop(_cache.ENV, None)
    if cache is not None:
        env[_cache.ENV] = cache
    run = subprocess.run([sys.executable, "-m", "tcptutor", "export", fmt, "--lesson", "handshake", "--variants", "3",
                          "--out", str(out / f"x.{fmt}"), "--db", f"sqlite:///{bank_file}", *args],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    return sorted(p for p in out.iterdir())


def entries(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM derived").fetchone()[0]


@pytest.fixture(scope="module")
def bank_copy(bank, tmp_path_factory):
    """The session's bank, copied into a folder of its own (the cache goes beside it)."""
    folder = tmp_path_factory.mktemp("cached")
    source = Path(bank[0].removeprefix("sqlite:///"))
    shutil.copy(source, folder / "bank.sqlite")
    return folder / "bank.sqlite"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_cached_export_is_the_export_without_a_cache(bank_copy, tmp_path, lang):
    cache = bank_copy.parent / _cache.NAME
    for fmt in FORMATS:
        outputs = {}
        for run in ("off", "cold", "warm"):
            out = tmp_path / fmt / run
            out.mkdir(parents=True)
            outputs[run] = [p.read_bytes() for p in export(bank_copy, out, fmt, "--lang", lang,
                                                            cache="off" if run == "off" else None)]
            if run == "cold":
                stored = entries(cache)
        assert outputs["cold"] == outputs["off"] and outputs["warm"] == outputs["off"], fmt
        assert entries(cache) == stored, f"{fmt}: the second export found every entry"
    assert stored > 0


def test_a_broken_cache_file_is_no_error(bank_copy, tmp_path):
    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(b"not a database" * 100)
    for name, cache in (("off", "off"), ("broken", str(broken))):
        (tmp_path / name).mkdir()
        export(bank_copy, tmp_path / name, "markdown", cache=cache)
    assert [p.read_bytes() for p in sorted((tmp_path / "off").iterdir())] == \
        [p.read_bytes() for p in sorted((tmp_path / "broken").iterdir())]


def test_parts_read_back_as_they_were(selection):
    """Every variant's parts go through JSON and come back equal, with the same types (a
    tuple stays a tuple, 1.0 stays a float): none is left out of the cache for it."""
    for item in selection.items:
        for variant in item.variants:
            if _fields.has_fields(variant.question):
                parts = tuple(_fields._parts(variant))
                text = _fields._parts_text(parts)
                assert text is not None, variant.question.id
                assert repr(_fields._parts_from_text(text)) == repr(parts)


def test_the_key_holds_the_language_the_question_and_the_seed(selection, tmp_path):
    """Another seed, another question's words or another language: another entry."""
    from tcptutor import i18n

    variant = next(v for item in selection.items for v in item.variants if v.trace is not None)
    calls = []

    def render():
        calls.append(1)
        return "drawn"

    with _cache.opened(tmp_path / _cache.NAME):
        _cache.note(variant, variant.question, {})
        assert _cache.derived(variant, "ladder", (), render) == "drawn"
        assert _cache.derived(variant, "ladder", (), render) == "drawn" and len(calls) == 1
        assert _cache.derived(variant, "ladder", (1,), render) == "drawn" and len(calls) == 2
    with _cache.opened(tmp_path / _cache.NAME):
        _cache.note(variant, variant.question, {})
        _cache.derived(variant, "ladder", (), render)
        assert len(calls) == 2  # read from the file
        _cache.note(variant, variant.question, {variant.question.scenario: "another text"})
        _cache.derived(variant, "ladder", (), render)
        assert len(calls) == 3
    with i18n.speaking("zh"):
        with _cache.opened(tmp_path / _cache.NAME):
            _cache.note(variant, variant.question, {})
            _cache.derived(variant, "ladder", (), render)
            assert len(calls) == 4



def test_the_oldest_entries_go_beyond_the_limit(tmp_path):
    db = sqlite3.connect(tmp_path / "c.sqlite")
    db.execute("CREATE TABLE derived (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.executemany("INSERT INTO derived VALUES (?, ?)", [(f"k{i}", "x" * 10) for i in range(10)])
    _cache._prune(db, 100)
    assert db.execute("SELECT count(*) FROM derived").fetchone()[0] == 10
    _cache._prune(db, 45)
    assert [k for (k,) in db.execute("SELECT key FROM derived ORDER BY rowid")] == ["k6", "k7", "k8", "k9"]
