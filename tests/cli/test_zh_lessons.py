"""Every shipped lesson reads in Chinese (`tcptutor --lang zh read NAME`, issue 13's acceptance),
with no English left but the names a Chinese course keeps: RFC and Linux names, in
parentheses beside the Chinese term or in a glossary row, code, diagrams' own fields, what
tools print (Wireshark's labels, socket errors) and the people and programs named."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib

import pytest

from tcptutor import library

from english_left import english_left

# What programs print, quoted as the student will see it on screen.
TOOL_TEXT = ("TCP Previous segment not captured", "Previous segment not captured", "TCP Retransmission",
             "TCP Fast Retransmission", "TCP Spurious Retransmission", "TCP Dup ACK", "TCP ZeroWindowProbeAck",
             "TCP ZeroWindowProbe", "TCP ZeroWindow", "TCP Window Update", "TCP Window Full", "TCP Keep-Alive ACK",
             "TCP Keep-Alive", "Expert Information", "Connection refused", "Connection reset by peer",
             "connection reset", "Connection timed out", "No route to host")
# Names: people, programs, a paper's symbols, the misspelt state name the clinic refutes.
NAMES = {"Wmax", "Mathis", "Chiu", "Jain", "HyStart", "John", "Minshall", "nmap", "RTTS", "RTTD", "RW", "GiB",
         "Recv-Q", "Send-Q", "SYN-RECV", "SYN_SEND", "Web", "linux", "rfc9293", "Info", "Dup", "Analyze"}


TITLES = tomllib.loads((library.CONTENT / "translations" / "zh" / "titles.toml").read_text(encoding="utf-8"))["titles"]


def chinese_prose(text: str) -> str:
    """The text a translator wrote: without code and diagrams, glossary rows, English beside a
    Chinese term (in parentheses, italics, quotes) and what tools print."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"^\|.*\|$", " ", text, flags=re.M)
    for quoted in TOOL_TEXT:
        text = text.replace(quoted, " ")
    text = re.sub(r"（[^（）]*）|\([^()]*\)", " ", text)
    text = re.sub(r"\b[a-zA-Z]+[+/]\d+\b", " ", text)  # textbook notation: ack = x+1, W/2
    text = re.sub(r"[“\"][^“”\"\u3400-\u9fff]*[”\"]", " ", text)
    return re.sub(r"\*{1,2}[^*\u3400-\u9fff]*\*{1,2}", " ", text)


def tcptutor(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("TCPTUTOR_DB", "TCPTUTOR_LANG")}
    env.update(PYTHONIOENCODING="utf-8", COLUMNS="100")
    return subprocess.run([sys.executable, "-m", "tcptutor", *args], capture_output=True, text=True,
                          encoding="utf-8", env=env, timeout=600)


@pytest.fixture(scope="module")
def bank(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('zh') / 'bank.sqlite'}"
    out = tcptutor("lessons", "--json", "--db", url)  # builds the shipped lessons on first use
    assert out.returncode == 0, out.stderr
    return url


def lesson_ids(url: str) -> list[str]:
    return [x["id"] for x in json.loads(tcptutor("lessons", "--json", "--db", url).stdout)]


def test_the_chinese_edition_passes_check_lang_zh():
    out = tcptutor("check", "--lang", "zh")
    assert out.returncode == 0, out.stderr
    assert "zh: 16 of 16 lessons and 372 of 372 questions translated and current; ok" in out.stderr


def test_every_lesson_reads_in_chinese_with_no_english_left(bank):
    ids = lesson_ids(bank)
    assert len(ids) == 16
    for lesson in ids:
        out = tcptutor("--lang", "zh", "read", lesson, "--plain", "--db", bank)
        assert out.returncode == 0, out.stderr
        text = out.stdout
        assert re.match(r"# [^\n]*[\u4e00-\u9fff]", text), f"{lesson}: no Chinese title"
        assert "## 术语表" in text and "## 常见错误" in text, lesson
        assert "```translation" not in text and "This lesson has" not in text, lesson
        assert english_left(chinese_prose(text), NAMES) == [], lesson
        english = tcptutor("read", lesson, "--plain", "--db", bank).stdout
        # the same diagrams, drawn by the simulator, in Chinese: one per English diagram
        assert text.count("```text") == english.count("```text"), lesson
        # each diagram's title line, in Chinese (the English ones are the scenario titles)
        drawn = [t.split("  ", 1)[0].strip() for t in re.findall(r"```text\n([^\n]*)", english)]
        for title in (t for t in drawn if t in TITLES):
            assert TITLES[title] in text and title not in text, f"{lesson}: {title}"


def test_lessons_and_topics_are_listed_in_chinese(bank):
    out = tcptutor("--lang", "zh", "lessons", "--db", bank)
    assert out.returncode == 0 and "三次握手" in out.stdout and "主题：" in out.stdout
    assert "topics:" not in out.stdout
