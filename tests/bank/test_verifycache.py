"""The verification cache: a hit only for the same question content, seeds and verifier; a
miss re-verifies for real (an edit that breaks a question is still reported); a broken cache
file is ignored and rewritten; the shipped prebuilt cache matches the shipped lessons."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tcptutor.bank import verifycache
from tcptutor.bank.content import _seeds, compile_content, read_content
from tcptutor.bank.verifycache import (FORMAT, SHIPPED_CACHE, VerificationCache, question_key, read_keys,
                                       verifier_version)
from tcptutor.problems import ContentError

ROOT = Path(__file__).resolve().parents[2]

LESSON = textwrap.dedent('''\
    # Gamma

    ```lesson
    id = "gamma"
    topics = ["handshake"]
    objectives = ["Read the handshake"]
    ```

    Prose.

    ## Common mistakes

    None.

    ```question
    id = "gamma-synack"
    kind = "predict"
    topics = ["handshake"]
    scenario = "mine"
    prompt = "Client ISN {client_isn}. Give the ack of the SYN+ACK."
    explanation = "The SYN takes one sequence number."

    [[ask]]
    field = "ack"
    what = "ack"
    segment = "server SYN+ACK"
    ```
    ''')

GOOD = '''title = "mine"
steps = ["server listen", "client connect"]
'''


def course(tmp_path: Path, scenario: str) -> Path:
    (tmp_path / "lessons").mkdir(parents=True, exist_ok=True)
    (tmp_path / "scenarios").mkdir(exist_ok=True)
    (tmp_path / "lessons" / "gamma.md").write_text(LESSON)
    (tmp_path / "scenarios" / "mine.toml").write_text(scenario)
    return tmp_path


def test_a_cached_pass_is_skipped_and_an_edited_scenario_is_verified_again(tmp_path):
    cache_file = tmp_path / "cache.json"
    content = course(tmp_path / "c", GOOD)
    cache = VerificationCache(cache_file, shipped=None)
    compile_content(read_content(content), workers=1, cache=cache)
    stored = read_keys(cache_file)
    assert len(stored) == 1
    # the same content again: a hit, nothing new to store
    again = VerificationCache(cache_file, shipped=None)
    course_, _ = compile_content(read_content(content), workers=1, cache=again)
    assert question_key(course_.questions[0], read_content(content).scenarios, range(50)) in stored
    # the named scenario's text is part of the key: an edit that leaves no SYN+ACK is a miss,
    # verified for real, and reported (a stale hit would have let it through)
    (content / "scenarios" / "mine.toml").write_text(GOOD.replace('"server listen", ', ""))
    with pytest.raises(ContentError) as err:
        compile_content(read_content(content), workers=1, cache=VerificationCache(cache_file, shipped=None))
    assert "gamma-synack" in str(err.value)
    assert read_keys(cache_file) == stored  # a failing question is never cached


def test_the_key_covers_seeds_verifier_and_content():
    files = read_content()
    course_, _ = compile_content(files, cache=VerificationCache(None, shipped=SHIPPED_CACHE), workers=1)
    q = next(q for q in course_.questions if q.kind == "predict" and q.scenario in files.scenarios)
    key = question_key(q, files.scenarios, range(50))
    assert key == question_key(q, dict(files.scenarios), range(50))
    assert key != question_key(q, files.scenarios, range(49))
    assert key != question_key(q, files.scenarios, range(50), verifier="another simulator")
    edited = {**files.scenarios, q.scenario: files.scenarios[q.scenario] + "\n# edited\n"}
    assert key != question_key(q, edited, range(50))
    other = dict(files.scenarios)
    other["unrelated-scenario"] = "title = 'x'\n"
    assert key == question_key(q, other, range(50))  # only the scenario it uses counts


def test_editing_the_simulator_changes_the_verifier_version(tmp_path):
    copy = tmp_path / "tcptutor"
    shutil.copytree(ROOT / "tcptutor", copy, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    probe = "from tcptutor.bank.verifycache import verifier_version; print(verifier_version())"
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}

    def version() -> str:
        return subprocess.run([sys.executable, "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True,
                              check=True, timeout=120).stdout.strip()

    assert version() == verifier_version()
    with (copy / "tcp" / "connection.py").open("a") as f:
        f.write("\n# a change to the simulator\n")
    after_tcp = version()
    assert after_tcp != verifier_version()
    with (copy / "questions" / "expected.py").open("a") as f:
        f.write("\n# a change to how answers are read off a trace\n")
    assert version() not in (after_tcp, verifier_version())


@pytest.mark.parametrize("broken", ["", "{not json", json.dumps({"format": "other", "keys": []}),
                                    json.dumps({"format": FORMAT, "keys": "abc"}), "\udcff"])
def test_a_broken_cache_file_is_ignored_and_rewritten(tmp_path, broken):
    cache_file = tmp_path / "cache.json"
    cache_file.write_text(broken, errors="surrogateescape")
    content = course(tmp_path / "c", GOOD)
    compile_content(read_content(content), workers=1, cache=VerificationCache(cache_file, shipped=None))
    assert json.loads(cache_file.read_text())["format"] == FORMAT
    assert len(read_keys(cache_file)) == 1


def test_an_unwritable_cache_costs_only_time(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    cache = VerificationCache(blocker / "cache.json", shipped=None)  # its folder is a file
    compile_content(read_content(course(tmp_path / "c", GOOD)), workers=1, cache=cache)


def test_the_environment_names_or_disables_the_cache(monkeypatch, tmp_path):
    monkeypatch.setenv(verifycache.ENV, str(tmp_path / "mine.json"))
    assert verifycache.default_path() == tmp_path / "mine.json"
    monkeypatch.setenv(verifycache.ENV, "off")
    assert verifycache.default_path() is None
    off = VerificationCache.default()  # no cache at all: not even the shipped one
    files = read_content()
    q = next(q for q in compile_content(files, cache=VerificationCache(None), workers=1)[0].questions)
    assert question_key(q, files.scenarios, _seeds(q)) in VerificationCache(None)
    assert question_key(q, files.scenarios, _seeds(q)) not in off


def test_the_shipped_cache_holds_every_shipped_question():
    """The first-use build of the shipped lessons verifies nothing. After a change to the
    simulator, tcptutor/questions or a shipped lesson, refresh the file with
    `python -m tcptutor.bank.verifycache`."""
    files = read_content()
    course_, _ = compile_content(files, cache=VerificationCache(None, shipped=SHIPPED_CACHE), workers=1)
    shipped = read_keys(SHIPPED_CACHE)
    stale = [q.id for q in course_.questions if question_key(q, files.scenarios, _seeds(q)) not in shipped]
    assert not stale, (f"{len(stale)} shipped questions are not in {SHIPPED_CACHE.name} (e.g. {stale[:3]}): "
                       "run `python -m tcptutor.bank.verifycache`")


def test_a_bank_of_ones_own_keeps_its_cache_beside_it(monkeypatch, tmp_path):
    """TCPTUTOR_DB=sqlite:///DIR/bank.sqlite: the cache is DIR/verified.json, not the default
    bank's folder (the installed wheel's test: nothing written to the user's data folder)."""
    monkeypatch.delenv(verifycache.ENV, raising=False)
    monkeypatch.setenv("TCPTUTOR_DB", f"sqlite:///{tmp_path}/course/bank.sqlite")
    assert verifycache.default_path() == tmp_path / "course" / "verified.json"
    monkeypatch.setenv("TCPTUTOR_DB", "postgresql://localhost/tcptutor")
    assert verifycache.default_path() != tmp_path / "course" / "verified.json"
