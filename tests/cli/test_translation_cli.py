"""`check --lang zh`, `translate`, and the Chinese words in `read`, `lessons` and `quiz`, end
to end through the CLI on a tiny content folder with its Chinese translation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lessonkit import WHICH_SYN_ACK, WHICH_SYN_ACK_ZH, handshake_lesson, translation_of, write_content, write_translation

LESSON = handshake_lesson(WHICH_SYN_ACK)
ZH = {"hs-which": WHICH_SYN_ACK_ZH}


def tcptutor(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("TCPTUTOR_DB", "TCPTUTOR_LANG")}
    env.update(LC_ALL="C.UTF-8", PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "tcptutor", *args], capture_output=True, text=True,
                          encoding="utf-8", env=env, cwd=cwd, timeout=300)


@pytest.fixture
def content(tmp_path) -> Path:
    root = write_content(tmp_path / "content", LESSON)
    write_translation(root, translation_of(LESSON, ZH))
    return root


@pytest.fixture
def bank(tmp_path, content) -> str:
    url = f"sqlite:///{tmp_path}/bank.sqlite"
    out = tcptutor("build", "--content", str(content), "--replace", "--db", url)
    assert out.returncode == 0, out.stderr
    return url


def test_check_lang_zh_passes_a_complete_translation(content):
    out = tcptutor("check", "--content", str(content), "--lang", "zh")
    assert out.returncode == 0, out.stderr
    assert "zh: 1 of 1 lessons and 1 of 1 questions translated and current; ok" in out.stderr


def test_check_lang_zh_fails_on_a_stale_translation_and_says_where(content):
    lesson = content / "lessons" / "01-hs.md"
    lesson.write_text(LESSON.replace("Which segment carries", "Which one segment carries"), encoding="utf-8")
    out = tcptutor("check", "--content", str(content), "--lang", "zh")
    assert out.returncode == 1
    (line,) = [x for x in out.stderr.splitlines() if "stale" in x]
    path, number, message = line.split(":", 2)
    assert path.endswith("translations/zh/01-hs.md") and int(number) > 1
    assert "question hs-which: stale: its English changed since this translation" in message
    assert "zh: 1 of 1 lessons and 0 of 1 questions translated and current; 1 problem" in out.stderr
    # a plain check still passes: the English is fine, and it names what the translation lacks
    plain = tcptutor("check", "--content", str(content))
    assert plain.returncode == 0 and "1 problem (check --lang zh lists them)" in plain.stderr


def test_check_lang_of_an_unknown_language_is_one_line_and_exit_2(content):
    out = tcptutor("check", "--content", str(content), "--lang", "fr")
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "no translations into 'fr'" in out.stderr


def test_translate_prints_a_file_that_check_then_asks_to_finish(tmp_path):
    root = write_content(tmp_path / "c", LESSON)
    out = tcptutor("translate", "hs", "--lang", "zh", "--content", str(root))
    assert out.returncode == 0, out.stderr
    write_translation(root, out.stdout)
    checked = tcptutor("check", "--content", str(root), "--lang", "zh")
    assert checked.returncode == 1
    assert "question hs-which: prompt is not translated (no Chinese in it)" in checked.stderr
    assert "stale" not in checked.stderr  # every hash it wrote is the English's
    missing = tcptutor("translate", "nope", "--content", str(root))
    assert missing.returncode == 2 and "no lesson 'nope'" in missing.stderr


def test_read_lessons_and_quiz_speak_the_translation(bank):
    read = tcptutor("--lang", "zh", "read", "hs", "--plain", "--db", bank)
    assert read.returncode == 0, read.stderr
    assert read.stdout.startswith("# 握手中的序号") and "## 常见错误" in read.stdout
    assert "同步已发送" in read.stdout  # the diagram is drawn, in Chinese
    assert "```translation" not in read.stdout and "source =" not in read.stdout
    assert "本课共有 1 道练习题" in read.stdout
    english = tcptutor("read", "hs", "--plain", "--db", bank)
    assert english.stdout.startswith("# Handshake numbers") and "This lesson has 1 question" in english.stdout

    listed = json.loads(tcptutor("--lang", "zh", "lessons", "--json", "--db", bank).stdout)
    assert [(x["id"], x["title"]) for x in listed] == [("hs", "握手中的序号")]
    text = tcptutor("--lang", "zh", "lessons", "--db", bank).stdout
    assert "主题：三次握手 · 共 1 题" in text

    shown = tcptutor("--lang", "zh", "quiz", "show", "hs-which", "--db", bank)
    assert shown.returncode == 0, shown.stderr
    assert "哪个报文段同时带有 SYN 和 ACK？" in shown.stdout and "单选题 · 三次握手" in shown.stdout
    assert {"  A. 服务器的 SYN+ACK", "  B. 客户端最后的 ACK"} <= set(shown.stdout.splitlines())
    graded = json.loads(tcptutor("--lang", "zh", "quiz", "grade", "hs-which", "answer=B", "--seed", "0", "--json",
                                 "--db", bank).stdout)
    english = json.loads(tcptutor("quiz", "grade", "hs-which", "answer=B", "--seed", "0", "--json", "--db", bank).stdout)
    assert graded["score"] == english["score"] == 0.0
    assert "它不带 SYN。" in graded["fields"][0]["feedback"] and "It carries no SYN." in english["fields"][0]["feedback"]


def test_a_stale_translation_is_not_shown_after_a_rebuild(bank, content):
    lesson = content / "lessons" / "01-hs.md"
    lesson.write_text(LESSON.replace("Which segment carries", "Which one segment carries"), encoding="utf-8")
    out = tcptutor("build", "--content", str(content), "--replace", "--db", bank)
    assert out.returncode == 0, out.stderr
    shown = tcptutor("--lang", "zh", "quiz", "show", "hs-which", "--db", bank)
    assert "Which one segment carries both SYN and ACK?" in shown.stdout  # the English, not a stale translation
    assert "哪个报文段" not in shown.stdout
    read = tcptutor("--lang", "zh", "read", "hs", "--plain", "--db", bank)
    assert read.stdout.startswith("# 握手中的序号")  # the prose did not change: still current


def test_a_malformed_translation_fails_the_build_and_keeps_the_bank(bank, content):
    path = content / "translations" / "zh" / "01-hs.md"
    path.write_text(path.read_text(encoding="utf-8").replace('prompt = "', 'prompt = "\n', 1), encoding="utf-8")
    out = tcptutor("build", "--content", str(content), "--replace", "--db", bank)
    assert out.returncode != 0 and "translations/zh/01-hs.md:" in out.stderr and "malformed TOML" in out.stderr
    shown = tcptutor("--lang", "zh", "quiz", "show", "hs-which", "--db", bank)
    assert "哪个报文段同时带有 SYN 和 ACK？" in shown.stdout  # the previous bank, intact
