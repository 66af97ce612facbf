"""`tcptutor practice`, `progress` and `quiz show/key/grade`, end to end through the real
console script, on a tmp bank built from a tiny content folder of our own.

A practice session is driven over pipes like a student at a terminal: the test reads the
question id and seed the session prints, computes the answers with make_variant from the
bank, and types them (right, wrong, in hex, in full-width digits, gibberish then right)."""

from __future__ import annotations

import codecs
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tcptutor import i18n
from tcptutor.bank import queries
from tcptutor.bank.build import build
from tcptutor.bank.db import open_engine
from tcptutor.grading.misconceptions import BY_ID
from tcptutor.questions.variants import make_variant

from lessonkit import WHICH_SYN_ACK, WHICH_SYN_ACK_ZH, handshake_lesson, translation_of, write_content, write_translation

EXE = shutil.which("tcptutor")
MOD = 2**32
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
CHINESE = {"SYN-SENT": "同步已发送", "SYN-RECEIVED": "同步收到", "ESTABLISHED": "已建立连接", "LISTEN": "监听"}

LESSON = handshake_lesson('''\
    ```question
    id = "hs-synack"
    kind = "predict"
    topics = ["handshake", "sequence-numbers"]
    difficulty = 1
    scenario = "handshake"
    prompt = "Client ISN {client_isn}, server ISN {server_isn}. Give the ack and the flags of the server's reply."
    explanation = "The SYN-ACK acknowledges the client's SYN: client ISN + 1."

    [[ask]]
    field = "ack"
    what = "ack"
    segment = "server SYN+ACK"

    [[ask]]
    field = "flags"
    what = "flags"
    segment = "server SYN+ACK"
    ```

    ```question
    id = "hs-ack-seq"
    kind = "predict"
    topics = ["handshake", "sequence-numbers"]
    difficulty = 1
    scenario = "handshake"
    prompt = "Client ISN {client_isn}, server ISN {server_isn}. Give the seq of the client's final ACK and the server's state once it arrives."
    explanation = "The client's SYN took one sequence number, so its ACK carries client ISN + 1."

    [[ask]]
    field = "seq"
    what = "seq"
    segment = "client ACK"

    [[ask]]
    field = "state"
    what = "state"
    endpoint = "server"
    at = "client ACK"
    ```

    ```question
    id = "hs-ack-ack"
    kind = "predict"
    topics = ["handshake"]
    difficulty = 1
    scenario = "handshake"
    prompt = "Client ISN {client_isn}, server ISN {server_isn}. Give the ack of the client's final ACK and the client's state once the SYN-ACK arrives."
    explanation = "The server's SYN took one sequence number: server ISN + 1."

    [[ask]]
    field = "ack"
    what = "ack"
    segment = "client ACK"

    [[ask]]
    field = "state"
    what = "state"
    endpoint = "client"
    at = "server SYN+ACK"
    ```

''' + WHICH_SYN_ACK)

PREDICT_IDS = ("hs-synack", "hs-ack-seq", "hs-ack-ack")
# The lesson in Chinese (content/translations/zh/): a Chinese session reads these words.
ZH = {
    "hs-synack": {"prompt": "客户端初始序号 {client_isn}，服务器初始序号 {server_isn}。服务器回复的确认号和标志位各是什么？",
                  "explanation": "SYN+ACK 确认客户端的 SYN：客户端初始序号加 1。"},
    "hs-ack-seq": {"prompt": "客户端初始序号 {client_isn}，服务器初始序号 {server_isn}。客户端最后那个 ACK 的序号是多少？"
                             "它到达后服务器处于什么状态？",
                   "explanation": "客户端的 SYN 占用了一个序号，所以它的 ACK 带的序号是客户端初始序号加 1。"},
    "hs-ack-ack": {"prompt": "客户端初始序号 {client_isn}，服务器初始序号 {server_isn}。客户端最后那个 ACK 的确认号是多少？"
                             "SYN+ACK 到达后客户端处于什么状态？",
                   "explanation": "服务器的 SYN 占用了一个序号：服务器初始序号加 1。"},
    "hs-which": WHICH_SYN_ACK_ZH,
}


# ----------------------------------------------------------------------- plumbing


def command(*args: str) -> list[str]:
    return [EXE, *args] if EXE else [sys.executable, "-m", "tcptutor", *args]


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    for key in ("TCPTUTOR_DB", "TCPTUTOR_STUDENT", "TCPTUTOR_LANG"):
        env.pop(key, None)
    env.update(PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8", LC_ALL="C.UTF-8", LANG="C.UTF-8")
    return env


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(command(*args), capture_output=True, text=True, encoding="utf-8", env=child_env(), timeout=120)


# The child starts with SIGINT at its default disposition, as a command typed at a terminal
# does. A test run started in the background by a shell without job control (`cmd &` in a
# script, as CI may be) has SIGINT ignored, every child inherits that, and Python then installs
# no KeyboardInterrupt handler: Ctrl-C would be lost. The launcher resets it and execs the command.
AS_AT_A_TERMINAL = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                    "os.execv(sys.argv[1], sys.argv[1:])")


class Terminal:
    """A child process whose stdout is watched for patterns, and whose stdin is typed into."""

    def __init__(self, *args: str):
        argv = command(*args)
        self.proc = subprocess.Popen([sys.executable, "-c", AS_AT_A_TERMINAL, *argv], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env())
        self.out = ""
        self.pos = 0
        self.eof = False
        self.err = b""
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    def _read(self) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")()
        fd = self.proc.stdout.fileno()
        while True:
            chunk = os.read(fd, 65536)
            with self.cond:
                if not chunk:
                    self.eof = True
                    self.cond.notify_all()
                    return
                self.out += decoder.decode(chunk)
                self.cond.notify_all()

    def _drain_stderr(self) -> None:
        self.err = self.proc.stderr.read()

    def expect(self, pattern: str, timeout: float = 60) -> re.Match:
        """Wait for `pattern` after everything matched so far; consume up to its end."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                m = regex.search(self.out, self.pos)
                if m:
                    self.pos = m.end()
                    return m
                left = deadline - time.monotonic()
                if self.eof or left <= 0:
                    why = "end of output" if self.eof else "timeout"
                    raise AssertionError(f"{why} waiting for {pattern!r}; unread output:\n{self.out[self.pos:]}\n"
                                         f"stderr:\n{self.err.decode(errors='replace')}")
                self.cond.wait(left)

    def type(self, line: str) -> None:
        self.proc.stdin.write((line + "\n").encode("utf-8"))
        self.proc.stdin.flush()

    def close_stdin(self) -> None:
        self.proc.stdin.close()

    def wait_until_reading_stdin(self, timeout: float = 30) -> None:
        """Block until the child sits in read(0, ...). A SIGINT that lands after input() wrote its
        prompt but before it entered read() only sets CPython's flag, and read() then blocks on:
        a race of the interpreter, not of tcptutor, that a loaded machine makes likely."""
        read_syscall = {"x86_64": "0", "aarch64": "63"}.get(os.uname().machine)
        path = Path(f"/proc/{self.proc.pid}/syscall")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                words = path.read_text().split()
            except OSError:
                break  # no /proc (or no permission): fall back to a pause
            if read_syscall and words[:2] == [read_syscall, "0x0"]:
                return
            if not read_syscall:
                break
            time.sleep(0.02)
        time.sleep(1.0)

    def wait(self, timeout: float = 60) -> int:
        rc = self.proc.wait(timeout=timeout)
        with self.cond:
            self.cond.wait_for(lambda: self.eof, timeout=10)
        return rc

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def content(tmp_path) -> Path:
    root = write_content(tmp_path / "content", LESSON)
    write_translation(root, translation_of(LESSON, ZH))
    return root


@pytest.fixture
def bank(tmp_path, content) -> str:
    url = f"sqlite:///{tmp_path}/b.sqlite"
    engine = open_engine(url)
    try:
        build(engine, content)
    finally:
        engine.dispose()
    return url


@pytest.fixture
def terminals():
    opened: list[Terminal] = []
    yield opened
    for t in opened:
        t.kill()


def bank_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


def load_variant(url: str, qid: str, seed: int, lang: str = "en"):
    """The bank's question and its variant, with the words of `lang`."""
    engine = open_engine(url)
    try:
        with Session(engine) as session:
            loaded = queries.localized(session, queries.load_question(session, qid), lang)
        return loaded, make_variant(loaded.question, seed, loaded.scenarios)
    finally:
        engine.dispose()


def right(e) -> str:
    return str(e.value)


def numeric_field(variant) -> str:
    (name,) = [n for n, e in variant.expected.items() if e.what in ("seq", "ack")]
    return name


def answers_for(mode: str, variant) -> list[tuple[str, list[str], str, str]]:
    """For each field: (name, what to type, the answer finally kept, its verdict)."""
    num = numeric_field(variant)
    out = []
    for name, e in variant.expected.items():
        kept = right(e)
        verdict = "correct"
        typed = []
        if name == num:
            if mode == "wrong":
                kept, verdict = str((e.value - 1) % MOD), "wrong"  # the SYN not counted
            elif mode == "hex":
                kept = hex(e.value)
            elif mode == "fullwidth":
                kept = str(e.value).translate(FULL_WIDTH)
            elif mode == "gibberish":
                typed.append("banana")
        elif mode == "fullwidth":
            kept = CHINESE.get(e.value, "ＳＹＮ＋ＡＣＫ" if e.value == "SYN+ACK" else kept)
        typed.append(kept)
        out.append((name, typed, kept, verdict))
    return out


def attempts_of(url: str, student: str) -> list[dict]:
    con = sqlite3.connect(bank_path(url))
    con.row_factory = sqlite3.Row
    try:
        rows = [dict(r) for r in con.execute(
            "SELECT a.* FROM attempts a JOIN students s ON s.id = a.student_id WHERE s.name = ? ORDER BY a.id", (student,))]
        for row in rows:
            row["fields"] = [dict(f) for f in con.execute(
                "SELECT field, given, expected, verdict, misconception, credit, carried_from FROM attempt_fields "
                "WHERE attempt_id = ? ORDER BY id", (row["id"],))]
        return rows
    finally:
        con.close()


# What a practice session prints around the questions, per language (the questions' own
# words come from the lesson's translation, ZH above; generated labels, worked solutions and
# misconceptions are the grader's, in the session's language).
CHROME = {
    "en": {"header": "── Question {number}/{count} ", "id_line": r"(?m)^(\S+) \(seed (\d+)\) · predict · ",
           "unreadable": "? could not read {text!r}: expected a whole number such as 1001",
           "again": "Not counted; try again.", "right": "Right: ", "expected": "Expected {value} = {basis} + 1",
           "why": "Why: ", "score": r"score (\S+) · running"},
    "zh": {"header": "── 第 {number}/{count} 题 ", "id_line": r"(?m)^(\S+)（种子 (\d+)）· 预测题 · ",
           "unreadable": "? 无法识别 {text!r}：这里应填一个整数，如 1001",
           "again": "这次不算，请重新输入。", "right": "正确：", "expected": "正确答案：{value} = {basis} + 1",
           "why": "解析：", "score": r"得分 (\S+) · 累计"},
}


def answer_question(term: Terminal, url: str, number: int, count: int, mode: str, lang: str = "en") -> dict:
    """Read one question off the terminal, type the answers for `mode`, check the feedback
    (in the session's language, `lang`)."""
    say = CHROME[lang]
    term.expect(re.escape(say["header"].format(number=number, count=count)))
    m = term.expect(say["id_line"])
    qid, seed = m.group(1), int(m.group(2))
    i18n.use(lang)  # the labels and the misconceptions' words as the session's language has them
    try:
        return _answer_question(term, url, qid, seed, mode, lang)
    finally:
        i18n.use("en")


def _answer_question(term: Terminal, url: str, qid: str, seed: int, mode: str, lang: str) -> dict:
    say = CHROME[lang]
    loaded, variant = load_variant(url, qid, seed, lang)
    term.expect(re.escape(variant.prompt))
    if lang == "zh":
        assert variant.prompt.startswith("客户端初始序号")  # the lesson's Chinese words
    plan = answers_for(mode, variant)
    for name, typed, _, _ in plan:
        label = variant.expected[name].label
        for i, text in enumerate(typed):
            # English shows the field's name and label; Chinese the label alone (names are identifiers)
            term.expect(re.escape(f"  {name} ({label})? " if lang == "en" else f"  {label}? "))
            term.type(text)
            if i < len(typed) - 1:  # the unreadable one: explained and asked again
                term.expect(re.escape(say["unreadable"].format(text=text)))
                term.expect(re.escape(say["again"]))
    for name, _, kept, verdict in plan:
        mark = "✓" if verdict == "correct" else "✗"
        shown = name if lang == "en" else variant.expected[name].label
        term.expect(re.escape(f"  {mark} {shown} = {kept}") + r"\n")
        feedback = term.expect(r"      (.*)\n").group(1)
        e = variant.expected[name]
        if verdict == "correct":
            assert feedback.startswith(say["right"]), feedback
        else:
            assert BY_ID["syn-not-counted"].explanation in feedback
            assert say["expected"].format(value=e.value, basis=e.value - 1) in feedback
            if lang == "en":
                assert f"{e.value}: {e.value}" not in feedback  # the value is written once
    if lang == "zh":
        ladder = term.expect(r"(?s)\n( 时间 .*?)\n\n").group(1)
        assert "客户端" in ladder and "同步已发送 SYN-SENT" in ladder
    term.expect(re.escape(f"{say['why']}{variant.explanation}"))
    score = float(term.expect(say["score"]).group(1))
    if lang == "en":
        assert score == (0.5 if mode == "wrong" else 1.0)
    return {"qid": qid, "seed": seed, "score": score, "version_id": loaded.version_id, "plan": plan,
            "variant": variant}


# ----------------------------------------------------------------------- practice


def test_a_practice_session_grades_every_kind_of_answer_and_stores_it(bank, terminals):
    modes = ["right", "wrong", "hex", "fullwidth", "gibberish"]
    term = Terminal("practice", "--count", "5", "--kind", "predict", "--seed", "11", "--student", "ann", "--db", bank)
    terminals.append(term)
    term.expect(r"Practice for ann: 5 questions\.")
    asked = [answer_question(term, bank, n, 5, mode) for n, mode in enumerate(modes, 1)]
    term.expect(re.escape("── Summary"))
    term.expect(re.escape("5 question(s), average score 90%."))
    term.expect(re.escape(f"misconception: {BY_ID['syn-not-counted'].title} (×1)"))
    term.close_stdin()
    assert term.wait() == 0, term.err.decode()
    assert {a["qid"] for a in asked} <= set(PREDICT_IDS)

    rows = attempts_of(bank, "ann")
    assert len(rows) == 5
    for row, a in zip(rows, asked):
        assert (row["question_id"], row["seed"], row["version_id"]) == (a["qid"], a["seed"], a["version_id"])
        assert row["complete"] == 1 and row["source"] == "practice"
        assert [(f["field"], f["given"], f["verdict"]) for f in row["fields"]] == [
            (name, kept, verdict) for name, _, kept, verdict in a["plan"]]
        assert [f["expected"] for f in row["fields"]] == [str(e.value) for e in a["variant"].expected.values()]
    wrong = rows[1]
    assert wrong["score"] == 0.5
    assert [f["misconception"] for f in wrong["fields"]] == ["syn-not-counted", None]
    assert [r["score"] for r in rows] == [1.0, 0.5, 1.0, 1.0, 1.0]

    out = run("progress", "--json", "--student", "ann", "--db", bank)
    assert out.returncode == 0, out.stderr
    progress = json.loads(out.stdout)
    assert progress["student"] == "ann"
    assert progress["attempts"] == 5
    assert progress["recent_accuracy"] == pytest.approx(0.9)
    assert {"id": "syn-not-counted", "title": BY_ID["syn-not-counted"].title, "count": 1} in progress["misconceptions"]
    assert progress["topics"]["handshake"]["attempts"] == 5
    assert progress["topics"]["handshake"]["mastery"] > 0
    assert progress["topics"]["teardown"] == {"title": progress["topics"]["teardown"]["title"], "mastery": 0.0, "attempts": 0}
    assert len(progress["next"]) == 3 and "handshake" not in progress["next"]

    text = run("progress", "--student", "ann", "--db", bank)
    assert text.returncode == 0 and "Progress of ann: 5 attempts" in text.stdout
    assert BY_ID["syn-not-counted"].title in text.stdout


def test_the_same_seed_gives_the_same_session(bank, terminals):
    seen = []
    for student in ("sam", "sue"):
        term = Terminal("practice", "--count", "2", "--kind", "predict", "--seed", "5", "--student", student, "--db", bank)
        terminals.append(term)
        seen.append([(a["qid"], a["seed"]) for a in (answer_question(term, bank, n, 2, "right") for n in (1, 2))])
        term.close_stdin()
        assert term.wait() == 0
    assert seen[0] == seen[1]


def test_a_chinese_session_speaks_chinese_and_grades_as_the_english_one(bank, terminals):
    modes = ["right", "wrong", "gibberish"]
    seen = {}
    for lang, student in (("en", "eve"), ("zh", "zoe")):
        term = Terminal("--lang", lang, "practice", "--count", "3", "--kind", "predict", "--seed", "11",
                        "--student", student, "--db", bank)
        terminals.append(term)
        if lang == "zh":
            term.expect(re.escape("zoe 的练习：共 3 题。按 Ctrl-C 可随时停止"))
        asked = [answer_question(term, bank, n, 3, mode, lang) for n, mode in enumerate(modes, 1)]
        if lang == "zh":
            term.expect(re.escape("── 小结"))
            term.expect(re.escape("共 3 题，平均得分 83%。"))
            i18n.use("zh")
            title = BY_ID['syn-not-counted'].title
            i18n.use("en")
            term.expect(re.escape(f"误区：{title}（×1）"))
            term.expect(re.escape("用 `tcptutor progress` 查看"))
        term.close_stdin()
        assert term.wait() == 0, term.err.decode()
        seen[lang] = ([(a["qid"], a["seed"]) for a in asked],
                      [(r["question_id"], r["seed"], r["score"], [(f["field"], f["given"], f["verdict"], f["credit"],
                                                                   f["misconception"]) for f in r["fields"]])
                       for r in attempts_of(bank, student)])
    assert seen["zh"] == seen["en"]  # the language changes the words, never the grading
    assert [score for _, _, score, _ in seen["zh"][1]] == [1.0, 0.5, 1.0]
    text = run("--lang", "zh", "progress", "--student", "zoe", "--db", bank)
    assert text.returncode == 0 and "zoe 的进度：作答 3 次" in text.stdout, text.stderr


def _interrupted_session(bank, terminals, student: str, stop) -> None:
    term = Terminal("practice", "--count", "3", "--kind", "predict", "--seed", "3", "--student", student, "--db", bank)
    terminals.append(term)
    first = answer_question(term, bank, 1, 3, "right")
    term.expect(re.escape("── Question 2/3 "))
    m = term.expect(r"(?m)^(\S+) \(seed (\d+)\) · predict")
    _, variant = load_variant(bank, m.group(1), int(m.group(2)))
    (name1, e1), (name2, e2) = variant.expected.items()
    term.expect(re.escape(f"  {name1} ({e1.label})? "))
    term.type(str(e1.value))
    term.expect(re.escape(f"  {name2} ({e2.label})? "))
    stop(term)
    term.expect(re.escape("Stopped. Every answer so far is saved (1 in the unfinished question)."))
    # 1.0 for the first question, 1 of 2 fields for the unfinished one: the session averages 75%
    term.expect(re.escape("2 question(s), average score 75%."))
    assert term.wait() == 130

    rows = attempts_of(bank, student)
    assert len(rows) == 2
    done, unfinished = rows
    assert (done["question_id"], done["seed"], done["complete"], done["score"]) == (first["qid"], first["seed"], 1, 1.0)
    assert len(done["fields"]) == 2
    assert (unfinished["question_id"], unfinished["seed"]) == (m.group(1), int(m.group(2)))
    assert unfinished["complete"] == 0
    assert [(f["field"], f["given"], f["verdict"], f["credit"]) for f in unfinished["fields"]] == [
        (name1, str(e1.value), "correct", 1.0), (name2, "", "unanswered", 0.0)]
    assert unfinished["score"] == 0.5  # what was answered, over all the question's fields

    progress = json.loads(run("progress", "--json", "--student", student, "--db", bank).stdout)
    assert progress["attempts"] == 2
    assert progress["recent_accuracy"] == pytest.approx(0.75)  # the same as the session summary


def test_closing_stdin_mid_question_exits_130_and_keeps_the_answers(bank, terminals):
    _interrupted_session(bank, terminals, "bob", lambda term: term.close_stdin())


def test_ctrl_c_mid_question_exits_130_and_keeps_the_answers(bank, terminals):
    def ctrl_c(term: Terminal) -> None:
        term.wait_until_reading_stdin()
        term.proc.send_signal(signal.SIGINT)

    _interrupted_session(bank, terminals, "cid", ctrl_c)


def test_closing_stdin_before_any_answer_stores_nothing(bank, terminals):
    term = Terminal("practice", "--count", "2", "--kind", "predict", "--seed", "1", "--student", "dee", "--db", bank)
    terminals.append(term)
    term.expect(r"\? $")
    term.close_stdin()
    term.expect(re.escape("Stopped."))
    assert term.wait() == 130
    assert attempts_of(bank, "dee") == []


def test_practice_with_nothing_to_ask_fails_cleanly(bank):
    out = run("practice", "--kind", "ordering", "--student", "ann", "--db", bank)
    assert out.returncode == 2
    assert "no questions match" in out.stderr and "Traceback" not in out.stderr


# ----------------------------------------------------------------------- quiz show / key / grade


def typed(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " -> ".join(value)
    return str(value)


def test_quiz_show_json(bank):
    out = run("quiz", "show", "hs-synack", "--seed", "5", "--json", "--db", bank)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    _, variant = load_variant(bank, "hs-synack", 5)
    assert data == {
        "question": "hs-synack", "seed": 5, "kind": "predict", "topics": ["handshake", "sequence-numbers"],
        "prompt": variant.prompt,
        "fields": [{"name": "ack", "label": "ack of server SYN+ACK"}, {"name": "flags", "label": "flags of server SYN+ACK"}],
    }
    assert str(variant.params["client_isn"]) in data["prompt"]
    data = json.loads(run("quiz", "show", "hs-which", "--json", "--db", bank).stdout)
    assert data["options"] == [{"letter": "A", "text": "The server's SYN+ACK"}, {"letter": "B", "text": "The client's final ACK"}]


def test_quiz_key_json(bank):
    out = run("quiz", "key", "hs-synack", "--seed", "5", "--json", "--db", bank)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    _, variant = load_variant(bank, "hs-synack", 5)
    assert set(data) == {"question", "seed", "fields", "solutions", "explanation"}
    assert (data["question"], data["seed"]) == ("hs-synack", 5)
    assert data["fields"] == {"ack": (variant.params["client_isn"] + 1) % MOD, "flags": "SYN+ACK"}
    assert " + 1" in data["solutions"]["ack"] and "SYN" in data["solutions"]["ack"]
    assert data["explanation"].startswith("The SYN-ACK acknowledges")


def test_quiz_grade_json_shape_and_verdicts(bank):
    _, variant = load_variant(bank, "hs-synack", 5)
    ack = variant.answer_key["ack"]
    out = run("quiz", "grade", "hs-synack", f"ack={(ack - 1) % MOD}", "flags=SYN", "--seed", "5", "--json", "--db", bank)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {"question", "seed", "score", "fields"} <= set(data)
    assert (data["question"], data["seed"], data["score"]) == ("hs-synack", 5, 0.0)
    assert 0.0 <= data["score"] <= 1.0
    for f in data["fields"]:
        assert {"field", "verdict", "given", "expected", "misconception", "feedback"} <= set(f)
    ack_f, flags_f = data["fields"]
    assert (ack_f["field"], ack_f["verdict"], ack_f["given"], ack_f["expected"], ack_f["misconception"]) == (
        "ack", "wrong", str((ack - 1) % MOD), ack, "syn-not-counted")
    assert (flags_f["verdict"], flags_f["given"], flags_f["expected"], flags_f["misconception"]) == (
        "wrong", "SYN", "SYN+ACK", "synack-one-flag")
    assert BY_ID["synack-one-flag"].explanation in flags_f["feedback"]

    out = run("quiz", "grade", "hs-synack", "ack=banana", "flags=S.", "--seed", "5", "--json", "--db", bank)
    data = json.loads(out.stdout)
    assert [f["verdict"] for f in data["fields"]] == ["unreadable", "correct"]
    assert data["score"] == 0.5  # no credit for what could not be read ...
    assert (data["readable_score"], data["unreadable"]) == (1.0, 1)  # ... but it is not a mistake
    assert data["fields"][0]["misconception"] is None
    assert "a whole number such as 1001" in data["fields"][0]["feedback"]

    out = run("quiz", "grade", "hs-which", "answer=B", "--seed", "0", "--json", "--db", bank)
    (f,) = json.loads(out.stdout)["fields"]
    assert f["verdict"] == "wrong" and "B (you chose): It carries no SYN." in f["feedback"]
    assert "A (the right option)" in f["feedback"]


def test_quiz_grade_rejects_unknown_fields(bank):
    out = run("quiz", "grade", "hs-synack", "seq=1", "--seed", "5", "--db", bank)
    assert out.returncode == 2
    assert "no field 'seq'" in out.stderr and "ack, flags" in out.stderr


def test_every_key_graded_through_quiz_grade_scores_1(bank):
    from concurrent.futures import ThreadPoolExecutor

    listed = json.loads(run("quiz", "list", "--json", "--db", bank).stdout)
    assert [q["id"] for q in listed] == [*PREDICT_IDS, "hs-which"]

    def key_then_grade(job):
        qid, seed = job
        key = json.loads(run("quiz", "key", qid, "--seed", str(seed), "--json", "--db", bank).stdout)
        pairs = [f"{name}={typed(value)}" for name, value in key["fields"].items()]
        out = run("quiz", "grade", qid, *pairs, "--seed", str(seed), "--json", "--db", bank)
        assert out.returncode == 0, out.stderr
        return job, json.loads(out.stdout)

    jobs = [(q["id"], seed) for q, seed in zip(listed, (0, 7, 123456, 5))]
    with ThreadPoolExecutor(2) as pool:
        for (qid, seed), result in pool.map(key_then_grade, jobs):
            assert (result["question"], result["seed"]) == (qid, seed)
            assert result["score"] == 1.0, result
            assert all(f["verdict"] == "correct" for f in result["fields"])


def test_quiz_grade_with_student_records_an_attempt(bank):
    _, variant = load_variant(bank, "hs-ack-seq", 9)
    out = run("quiz", "grade", "hs-ack-seq", f"seq={variant.answer_key['seq']}", "state=ESTAB", "--seed", "9",
              "--student", "eve", "--db", bank)
    assert out.returncode == 0, out.stderr
    assert "score: 1.0" in out.stdout
    (row,) = attempts_of(bank, "eve")
    assert (row["question_id"], row["seed"], row["source"], row["score"], row["complete"]) == ("hs-ack-seq", 9, "quiz", 1.0, 1)
    assert [(f["field"], f["given"], f["expected"]) for f in row["fields"]] == [
        ("seq", str(variant.answer_key["seq"]), str(variant.answer_key["seq"])), ("state", "ESTAB", "ESTABLISHED")]


def test_unreadable_answers_do_not_lower_mastery(bank):
    _, variant = load_variant(bank, "hs-synack", 3)
    out = run("quiz", "grade", "hs-synack", "ack=banana", "flags=SYN+ACK", "--seed", "3", "--student", "gus", "--db", bank)
    assert out.returncode == 0, out.stderr
    (row,) = attempts_of(bank, "gus")
    assert [f["verdict"] for f in row["fields"]] == ["unreadable", "correct"]
    assert row["fields"][0]["misconception"] is None
    progress = json.loads(run("progress", "--json", "--student", "gus", "--db", bank).stdout)
    assert progress["recent_accuracy"] == 1.0  # measured on what could be read
    assert progress["topics"]["handshake"]["mastery"] == 0.5  # one fully right attempt, shrunk: 1 / (1 + PRIOR)
    assert progress["misconceptions"] == []


def test_a_bank_built_from_its_own_folder_before_content_source_existed_is_kept(bank):
    """open_bank rebuilds a bank from the shipped lessons when they changed; a bank built
    from an instructor's folder, even by a tcptutor that did not record content_source yet,
    must be left alone."""
    con = sqlite3.connect(bank_path(bank))
    try:
        keys = [r[0] for r in con.execute("SELECT key FROM bank_meta")]
        assert "content_source" in keys
        con.execute("DELETE FROM bank_meta WHERE key = 'content_source'")  # as a bank built by an earlier tcptutor
        con.commit()
    finally:
        con.close()
    out = run("quiz", "list", "--json", "--db", bank)
    assert out.returncode == 0, out.stderr
    assert [q["id"] for q in json.loads(out.stdout)] == [*PREDICT_IDS, "hs-which"]


# ----------------------------------------------------------------------- ladder captions (issue 9)


def caption_of(text: str) -> str:
    """The ladder's facts (profile, latency, ..., the ISNs), which wrap to the width, on one line."""
    (facts,) = re.findall(r"profile \S+, .*?, ISN client \d+, server \d+", " ".join(text.split()))
    return facts


def test_quiz_key_ladder_caption_names_the_seed_used(bank):
    out = run("quiz", "key", "hs-synack", "--seed", "7", "--db", bank)
    assert out.returncode == 0, out.stderr
    _, variant = load_variant(bank, "hs-synack", 7)
    caption = caption_of(out.stdout)
    assert ", seed 7, " in caption, caption
    assert f"ISN client {variant.params['client_isn']}, server {variant.params['server_isn']}" in caption


def test_practice_ladder_caption_names_the_variant_seed(bank, terminals):
    term = Terminal("practice", "--count", "1", "--kind", "predict", "--seed", "11", "--student", "lee", "--db", bank)
    terminals.append(term)
    asked = answer_question(term, bank, 1, 1, "right")
    term.close_stdin()
    assert term.wait() == 0, term.err.decode()
    caption = caption_of(term.out)
    assert f", seed {asked['seed']}, " in caption, caption
    assert asked["seed"] != 0  # so the caption cannot be right by naming the default


# ----------------------------------------------------------------------- issue 13's acceptance


CHINESE_STATES = {"CLOSED": "关闭", "LISTEN": "监听", "SYN-SENT": "同步已发送", "SYN-RECEIVED": "同步收到",
                  "ESTABLISHED": "已建立连接", "FIN-WAIT-1": "终止等待1", "FIN-WAIT-2": "终止等待2",
                  "CLOSE-WAIT": "关闭等待", "CLOSING": "正在关闭", "LAST-ACK": "最后确认", "TIME-WAIT": "时间等待"}


def in_chinese(value) -> str:
    """An answer as a Chinese student types it: states by their textbook names."""
    if isinstance(value, list):
        return " → ".join(CHINESE_STATES.get(v, v) for v in value)
    return CHINESE_STATES.get(value, typed(value)) if isinstance(value, str) else typed(value)


def test_a_chinese_practice_session_on_the_shipped_lessons_is_all_chinese(tmp_path, terminals):
    """`tcptutor --lang zh practice`: the question, answers in Chinese state names, Chinese
    feedback and worked solutions, a Chinese ladder; nothing in English but names."""
    from english_left import english_left

    url = f"sqlite:///{tmp_path}/shipped.sqlite"
    engine = open_engine(url)
    try:
        queries.ensure_built(engine)
    finally:
        engine.dispose()
    term = Terminal("--lang", "zh", "practice", "--lesson", "teardown", "--kind", "predict", "--count", "3",
                    "--seed", "7", "--student", "li", "--db", url)
    terminals.append(term)
    term.expect(re.escape("li 的练习：共 3 题"))
    for number in (1, 2, 3):
        start = term.expect(re.escape(f"── 第 {number}/3 题 ")).end()
        m = term.expect(r"(?m)^(\S+)（种子 (\d+)）· 预测题 · ")
        i18n.use("zh")
        try:
            _, variant = load_variant(url, m.group(1), int(m.group(2)), "zh")
        finally:
            i18n.use("en")
        term.expect(re.escape(variant.prompt))
        assert re.search(r"[\u4e00-\u9fff]", variant.prompt)
        for i, (name, e) in enumerate(variant.expected.items()):
            term.expect(re.escape(f"  {e.label}? "))
            wrong = i == 0 and isinstance(e.value, int) and not isinstance(e.value, bool)
            term.type(str(e.value + 1) if wrong else in_chinese(e.value))
        term.expect(re.escape("解析："))
        term.expect(r"得分 \S+ · 累计 \S+\n")
        with term.cond:
            shown = term.out[start:term.pos]
        assert "✓" in shown and "正确：" in shown
        assert " 时间 " in shown and ("客户端" in shown or "服务器" in shown)  # the ladder, in Chinese
        left = english_left(shown, {"li", m.group(1)})  # the question id: what `quiz show` takes
        assert left == [], (left, shown)
    term.expect(re.escape("── 小结"))
    term.close_stdin()
    assert term.wait() == 0, term.err.decode()
