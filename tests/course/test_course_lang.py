"""Handouts and feedback in each student's language: the roster's `lang` column (issue 13).

One class, three languages of roster rows (zh, en, empty), on SQLite and a real PostgreSQL
server: the Chinese student's handout and feedback are in Chinese (the lesson's translated
words, Chinese chrome, lang="zh-CN" and CJK fonts), the others in English, and the same
answers get the same grades whatever the language."""

from __future__ import annotations

import csv
import re
import tomllib

import pytest

from tcptutor import library
from tcptutor.course import service

from english_left import english_left

SET = "quiz1"
SET_TOML = ('title = "Quiz 1"\ncarry_forward = true\n\n[[pick]]\nquestion = "hs-synack-numbers"\npoints = 2\n\n'
            '[[pick]]\nquestion = "hs-accept"\npoints = 1\n')
ROSTER = ("id,name,email,lang\n"
          "zoe,Zoe Zhang,zoe@example.edu,zh_CN\n"
          "eve,Eve Evans,eve@example.edu,en\n"
          "dan,Dan Doe,dan@example.edu,\n"
          "fay,Fay Fox,fay@example.edu,klingon\n")


def zh_prompt(qid: str) -> str:
    text = (library.CONTENT / "translations" / "zh" / "01-handshake.md").read_text(encoding="utf-8")
    block = re.search(rf'```question\nid = "{qid}"\n(.*?)```', text, re.S).group(1)
    return tomllib.loads(block)["prompt"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def course(request, make_bank, cli, tmp_path_factory):
    url = make_bank(request.param)
    root = tmp_path_factory.mktemp(f"lang-{request.param}") / "net"
    assert cli("course", "init", root, "--name", "Networks").returncode == 0
    (root / "roster.csv").write_text(ROSTER, encoding="utf-8")
    (root / "sets" / f"{SET}.toml").write_text(SET_TOML, encoding="utf-8")
    run = cli("course", "assign", SET, "--course", root, "--db", url)
    assert run.returncode == 0, run.stderr
    return root, url, run


def key_of(root) -> list[dict]:
    with (root / "keys" / f"{SET}-key.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_a_bad_language_is_reported_by_line_and_the_others_assigned(course):
    root, _, run = course
    assert "roster.csv:5" in run.stderr and "unknown language 'klingon'" in run.stderr
    assert {r["student"] for r in key_of(root)} == {"zoe", "eve", "dan"}


def test_each_handout_is_in_its_students_language(course):
    root, _, _ = course
    folder = root / "handouts" / SET
    zoe, eve, dan = ((folder / f"{s}.md").read_text(encoding="utf-8") for s in ("zoe", "eve", "dan"))
    head = zh_prompt("hs-synack-numbers").split("{", 1)[0]
    assert head and head in zoe and head not in eve
    assert "请填写每一个空" in zoe and "共 3 分" in zoe and "q1（2 分）" in zoe
    assert english_left(re.sub(r"`[^`]*`|\b(?:student|question|field|answer|q\d)\b", " ", zoe),
                        {"Zoe", "Zhang", "Networks", "Quiz", "zoe"}) == []
    for english in (eve, dan):  # dan's row names no language: the instructor's (English here)
        assert "Answer every field" in english and "q1 (2 points)" in english
    page = (folder / "zoe.html").read_text(encoding="utf-8")
    assert "<html lang='zh-CN'>" in page and "Noto Sans CJK SC" in page and "Microsoft YaHei" in page
    assert "<html lang='en'>" in (folder / "eve.html").read_text(encoding="utf-8")


def test_the_same_answers_grade_the_same_in_every_language(course, cli, tmp_path):
    root, url, _ = course
    rows = ["student,question,field,answer"]
    for r in key_of(root):
        answer = r["expected"]
        if r["field"] == "ack":
            answer = str(int(answer) - 1)  # the SYN not counted: a wrong answer with a misconception
        elif r["question"] == "hs-accept":
            answer = "Z"  # unreadable: no such option
        rows.append(f"{r['student']},{r['place']},{r['field']},{answer}")
    submissions = tmp_path / "answers.csv"
    submissions.write_text("\n".join(rows) + "\n", encoding="utf-8")
    run = cli("course", "grade", SET, submissions, "--course", root, "--db", url)
    assert run.returncode == 0, run.stderr
    with (root / "grades" / SET / "gradebook.csv").open(encoding="utf-8", newline="") as f:
        totals = {r["student"]: r["total"] for r in csv.DictReader(f)}
    assert totals["zoe"] == totals["eve"] == totals["dan"] == "1"  # seq right (1 of 2 points), the rest not
    feedback = root / "grades" / SET / "feedback"
    zoe = (feedback / "zoe.md").read_text(encoding="utf-8")
    eve = (feedback / "eve.md").read_text(encoding="utf-8")
    assert "的反馈" in zoe and "错误" in zoe and "正确" in zoe and "无法识别" in zoe
    assert "feedback for Eve Evans" in eve and "wrong" in eve and "Expected" in eve
    assert "Expected" not in zoe and "feedback for" not in zoe
