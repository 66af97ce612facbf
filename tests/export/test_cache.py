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


def export(bank_file: Path, out: Path, fmt: str, *args: str, cache: str | None = None,
           name: str | None = None) -> list[Path]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    env.pop(_cache.ENV, None)
    if cache is not None:
        env[_cache.ENV] = cache
    run = subprocess.run([sys.executable, "-m", "tcptutor", "export", fmt, "--lesson", "handshake", "--variants", "3",
                          "--out", str(out / (name or f"x.{fmt}")), "--db", f"sqlite:///{bank_file}", *args],
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


def test_every_scenario_variant_reads_back_as_it_was_made(selection):
    """What a CachedVariant holds (parameters, prompt, explanation, order, each field's facts)
    goes through JSON and comes back the same for every variant of the shipped bank: a warm
    export never falls back to simulating because a value would not read back."""
    scenario_variants = [v for item in selection.items for v in item.variants if v.question.scenario]
    assert len(scenario_variants) > 500
    for variant in scenario_variants:
        text = _cache._variant_text(variant)
        assert text is not None, variant.question.id
        back = _cache.CachedVariant(variant.question, variant.seed, text, make=lambda v=variant: v)
        assert repr(_cache._shown(back)) == repr(_cache._shown(variant))
        assert _cache.traced(back) and back.trace is variant.trace and back.expected is variant.expected


WRITTEN_WITHOUT_TRACES = ("markdown", "html", "moodle-xml", "gift", "qti", "anki")  # json and pcap write the trace


def test_a_warm_export_of_the_question_formats_simulates_nothing(bank, tmp_path, monkeypatch):
    """Second export from a filled cache: no variant is simulated for any format that does not
    write the trace itself, and each writes what it wrote with no cache (the pages of the
    zipped formats compared by content: a zip records the time it was written)."""
    import zipfile

    from tcptutor.export import load_format
    from tcptutor.export.select import collect
    from tcptutor.questions import variants

    simulated = []
    simulate = variants.simulate
    monkeypatch.setattr(variants, "simulate", lambda scenario: simulated.append(1) or simulate(scenario))

    def written(fmt: str, run: str) -> dict[str, bytes]:
        out = tmp_path / fmt / run
        out.mkdir(parents=True)
        selection = collect(bank[1], lesson="handshake", variants=VARIANTS)
        files = load_format(fmt)(selection, out / f"x.{fmt}")
        contents = {}
        for path in map(Path, files):
            if zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as z:
                    contents.update({f"{path.name}/{n}": z.read(n) for n in z.namelist()})
            else:
                contents[path.name] = path.read_bytes()
        return contents

    for fmt in WRITTEN_WITHOUT_TRACES:
        plain = written(fmt, "off")
        with _cache.opened(tmp_path / _cache.NAME):
            cold = written(fmt, "cold")
        simulated.clear()
        with _cache.opened(tmp_path / _cache.NAME):
            warm = written(fmt, "warm")
        assert simulated == [], fmt
        if fmt != "anki":  # the .apkg's collection records when it was made; its notes: below
            assert cold == plain and warm == plain, fmt
    simulated.clear()
    with _cache.opened(tmp_path / _cache.NAME):
        written("json", "warm")
    assert len(simulated) > 0  # json writes each trace: a CachedVariant simulates when asked for it


def test_the_formats_that_write_traces_export_without_the_cache(bank, tmp_path):
    """json and pcap use no entry (they write each trace), so they neither read nor fill one."""
    from tcptutor.export import TRACE_FORMATS

    folder = tmp_path / "bank"
    folder.mkdir()
    shutil.copy(Path(bank[0].removeprefix("sqlite:///")), folder / "bank.sqlite")
    for fmt in TRACE_FORMATS:
        (tmp_path / fmt).mkdir()
        assert export(folder / "bank.sqlite", tmp_path / fmt, fmt, name="captures" if fmt == "pcap" else None)
    assert not (folder / _cache.NAME).exists()


def test_a_warm_anki_deck_holds_the_same_notes(bank, tmp_path):
    from tcptutor.export import load_format
    from tcptutor.export.select import collect

    import zipfile

    def notes(run: str, cache: bool) -> list[tuple]:
        out = tmp_path / run
        out.mkdir()
        with _cache.opened(tmp_path / _cache.NAME if cache else None):
            (deck,) = load_format("anki")(collect(bank[1], lesson="handshake", variants=VARIANTS), out / "x.apkg")
        with zipfile.ZipFile(deck) as z:
            z.extract("collection.anki2", out)
        with sqlite3.connect(out / "collection.anki2") as db:
            return db.execute("SELECT guid, mid, tags, flds FROM notes ORDER BY guid").fetchall()

    plain = notes("off", cache=False)
    notes("cold", cache=True)
    assert notes("warm", cache=True) == plain and len(plain) > 0


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
