"""The language choice and the catalogs: the committed .mo is the .po compiled, every marked
message is in the catalog and translated, and the state names are the grader's."""

from __future__ import annotations

import gettext
import io
import subprocess
import sys
from pathlib import Path

import pytest

from tcptutor import i18n
from tcptutor.grading import answers
from tcptutor.render import ladder
from tcptutor.tcp.trace import Note

babel_messages = pytest.importorskip("babel.messages")
from babel.messages import extract, mofile, pofile  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PO = i18n.LOCALE_DIR / "zh" / "LC_MESSAGES" / "tcptutor.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {**extract.DEFAULT_KEYWORDS, "N_": None, "NP_": ((1, "c"), 2)}


@pytest.mark.parametrize("option, environ, lang", [
    ("zh", {"TCPTUTOR_LANG": "en", "LANG": "en_US.UTF-8"}, "zh"),  # --lang first
    (None, {"TCPTUTOR_LANG": "zh", "LANG": "en_US.UTF-8"}, "zh"),  # then TCPTUTOR_LANG
    (None, {"TCPTUTOR_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
    (None, {"LANG": "zh_CN.UTF-8"}, "zh"),
    (None, {"LANG": "zh_TW.Big5"}, "zh"),
    (None, {"LC_ALL": "C.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),  # LC_ALL overrides LANG
    (None, {"LC_ALL": "", "LC_MESSAGES": "zh_HK", "LANG": "C"}, "zh"),  # an empty variable is unset
    (None, {"LANG": "de_DE.UTF-8"}, "en"),  # a locale tcptutor has no catalog for: English
    (None, {}, "en"),
    ("zh-Hans", {}, "zh"),
    ("EN", {}, "en"),
])
def test_the_language_is_chosen_in_order(option, environ, lang):
    assert i18n.choose(option, environ) == lang


@pytest.mark.parametrize("option, environ, where", [("fr", {}, "--lang"), (None, {"TCPTUTOR_LANG": "klingon"}, "TCPTUTOR_LANG")])
def test_a_language_asked_for_by_name_must_exist(option, environ, where):
    with pytest.raises(i18n.UnknownLanguage, match=where):
        i18n.choose(option, environ)


def test_english_is_the_msgids_and_zh_is_the_catalog(zh):
    assert i18n._("Summary") == "小结"
    assert i18n.pgettext("TCP state", "SYN-SENT") == "同步已发送"
    assert i18n.ngettext("Practice for {name}: {count} question. Ctrl-C stops and keeps your answers.",
                         "Practice for {name}: {count} questions. Ctrl-C stops and keeps your answers.", 3
                         ).startswith("{name} 的练习")
    i18n.use("en")
    assert i18n._("Summary") == "Summary"
    assert i18n.pgettext("TCP state", "SYN-SENT") == "SYN-SENT"


def _po():
    with PO.open("rb") as f:
        return pofile.read_po(f)


def test_the_committed_mo_is_the_po_compiled():
    """Edit the .po, then `pybabel compile -d tcptutor/locale -D tcptutor` (README, Languages)."""
    compiled = io.BytesIO()
    mofile.write_mo(compiled, _po())
    committed = gettext.GNUTranslations(io.BytesIO(MO.read_bytes()))
    fresh = gettext.GNUTranslations(io.BytesIO(compiled.getvalue()))
    assert committed._catalog == fresh._catalog, "tcptutor.mo is stale: run pybabel compile"


def test_every_marked_message_is_translated():
    """What `pybabel extract -F babel.cfg -k N_ -k NP_:1c,2` finds in the code is in the zh
    catalog, translated, not fuzzy; and the catalog keeps nothing the code no longer says."""
    found = set()
    for path in sorted((ROOT / "tcptutor").rglob("*.py")):
        with path.open("rb") as f:
            for _line, message, _comments, context in extract.extract("python", f, keywords=KEYWORDS):
                found.add((context, message if isinstance(message, str) else message[0]))
    catalog = {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m for m in _po() if m.id}
    assert sorted(found - set(catalog), key=str) == []
    assert sorted(set(catalog) - found, key=str) == []
    untranslated = [k for k, m in catalog.items() if "fuzzy" in m.flags or not all(
        (m.string,) if isinstance(m.string, str) else m.string)]
    assert untranslated == []


def test_every_note_and_state_has_a_chinese_name(zh):
    assert [n for n in Note if ladder.note(n) == n.value and n is not Note.SYN_COOKIE] == []
    assert {s: i18n.pgettext("TCP state", s) for s in answers.STATES} == answers._CHINESE_NAME  # what the grader reads


def test_placeholders_survive_translation():
    """A msgstr uses only the msgid's {fields}: a typo there would be a KeyError at run time."""
    import string
    for m in _po():
        if not m.id:
            continue
        ids = (m.id,) if isinstance(m.id, str) else m.id
        strs = (m.string,) if isinstance(m.string, str) else m.string
        wanted = {f for text in ids for _, f, _, _ in string.Formatter().parse(text) if f}
        for text in strs:
            assert {f for _, f, _, _ in string.Formatter().parse(text) if f} <= wanted | {"k"}, m.id


def test_an_unknown_lang_is_one_line_and_exit_2():
    run = subprocess.run([sys.executable, "-m", "tcptutor", "--lang", "fr", "lessons"], capture_output=True,
                         text=True, timeout=120, cwd=ROOT)
    assert run.returncode == 2
    assert run.stderr == "tcptutor: unknown language 'fr' in --lang: choose one of en, zh\n"


@pytest.mark.parametrize("variable, value", [("TCPTUTOR_LANG", "zh"), ("LANG", "zh_CN.UTF-8")])
def test_the_environment_chooses_the_language_without_lang(variable, value):
    import os
    env = {k: v for k, v in os.environ.items() if k not in ("TCPTUTOR_LANG", "LC_ALL", "LC_MESSAGES", "LANG")}
    env[variable] = value
    run = subprocess.run([sys.executable, "-m", "tcptutor", "simulate", "handshake"], capture_output=True,
                         text=True, encoding="utf-8", timeout=120, cwd=ROOT, env=env)
    assert run.returncode == 0, run.stderr
    assert "同步已发送 SYN-SENT" in run.stdout


def test_the_trace_json_is_the_same_in_every_language(zh):
    """Notes and causes keep their English text in the JSON (the contract): only people's views change."""
    from tcptutor.library import load_scenario
    from tcptutor.tcp.simulator import simulate

    trace = simulate(load_scenario("fast-retransmit"))
    in_zh = trace.to_json()
    i18n.use("en")
    assert in_zh == trace.to_json()
    assert any(s.get("note") == "fast retransmit" for s in in_zh["segments"])
