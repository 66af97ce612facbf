"""`tcptutor --lang zh check`: the details after a problem's Chinese prefix are Chinese too
(issue 13): an expression that does not parse or names an unknown name (questions/expr.py), a
segment selector with an unknown word (questions/selectors.py), and check's `warning: ...`
lines (questions/lint.py). The English is what it always was, at the same path:line.

What stays English, by design: Python's own SyntaxError text inside "cannot parse" ("invalid
syntax"), and the ids, keys, selectors and values of the content quoted in the message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tcptutor import i18n
from tcptutor.questions.expr import ExprError, compile_expr
from tcptutor.questions.selectors import parse_selector

from clikit import tcptutor
from english_left import english_left

LESSON = '''\
# Alpha

```lesson
id = "alpha"
topics = ["handshake"]
objectives = ["Know the handshake"]
```

## Common mistakes

None.
'''
BROKEN = LESSON + '''
```question
id = "a-num"
kind = "numeric"
topics = ["handshake"]
prompt = "How many?"
explanation = "x"
answer = "2 * "
```

```question
id = "a-sel"
kind = "predict"
topics = ["handshake"]
scenario = "handshake"
prompt = "Give the ack."
explanation = "x"

[[ask]]
field = "ack"
what = "ack"
segment = "server SYN+FOO"
```

```question
id = "a-name"
kind = "numeric"
topics = ["handshake"]
prompt = "How many?"
explanation = "x"
answer = "rtt * 2"
```
'''
WARNED = LESSON + '''
```question
id = "a-isn"
kind = "predict"
topics = ["handshake"]
scenario = "handshake"
prompt = "The client's ISN is 1000 and the server's is {server_isn}. What does the server's SYN+ACK acknowledge?"
explanation = "The client's ISN plus one."

[[ask]]
field = "ack"
what = "ack"
segment = "server SYN+ACK"
```
'''
ENGLISH_BROKEN = [
    "tcptutor: 3 problems in the content:",
    "broken/lessons/01-alpha.md:19: question a-num: answer: cannot parse '2 * ': invalid syntax",
    "broken/lessons/01-alpha.md:33: question a-sel, ask 1: segment 'server SYN+FOO': unknown word 'SYN+FOO'; "
    "expected client/server, flags like SYN+ACK, DATA, ANY, retransmission, or a match number",
    "broken/lessons/01-alpha.md:42: question a-name: answer: 'rtt * 2': unknown name 'rtt'; known names: none",
]
CHINESE_BROKEN = [
    "tcptutor: 内容中有 3 个问题：",
    "broken/lessons/01-alpha.md:19: 题目 a-num：`answer`：无法解析 '2 * '：invalid syntax",
    "broken/lessons/01-alpha.md:33: 题目 a-sel 的第 1 个 `[[ask]]`：`segment` 'server SYN+FOO'：未知的词 'SYN+FOO'；"
    "应为 `client`/`server`、`SYN+ACK` 这样的标志、`DATA`、`ANY`、`retransmission` 或匹配序号",
    "broken/lessons/01-alpha.md:42: 题目 a-name：`answer`：'rtt * 2'：未知的名字 'rtt'；当前没有可用的名字",
]
ISN_WARNING = ("warned/lessons/01-alpha.md:14: warning: question a-isn: the prompt names 1000, the client's ISN in "
               "scenario 'handshake', but each variant replaces the ISNs with random ones: write {client_isn} "
               "instead, or set keep_isns = true")
ISN_WARNING_ZH = ("warned/lessons/01-alpha.md:14: 警告：题目 a-isn：`prompt` 中写了 1000，即场景 'handshake' 中客户端的 "
                  "ISN，但每个变体都会把 ISN 换成随机值：请改写为 `{client_isn}`，或设置 `keep_isns = true`")
HIDDEN = re.compile(r"^warned/lessons/01-alpha\.md:14: warning: question a-isn: the answers depend on client_isn "
                    r"\(client_isn = (\d+) and client_isn = (\d+) give different answers at seed (\d+)\) but the prompt "
                    r"reads the same for both: show it with \{client_isn\} or a \{SELECTOR\.FIELD\} placeholder$")
HIDDEN_ZH = re.compile(r"^warned/lessons/01-alpha\.md:14: 警告：题目 a-isn：答案取决于 `client_isn`（在种子 (\d+) 下，"
                       r"`client_isn = (\d+)` 与 `client_isn = (\d+)` 给出的答案不同），但两者的题面一字不差：请用 "
                       r"`\{client_isn\}` 或 `\{SELECTOR\.FIELD\}` 占位符把它写进题面$")
CONTENT_WORDS = {"a-num", "a-sel", "a-name", "a-isn", "rtt", "FOO", "server", "handshake", "broken", "warned",
                 "lessons", "01-alpha.md", "alpha.md", "md"}
PYTHON_DETAIL = re.compile(r"(无法解析 '2 \* '：)invalid syntax$")  # Python's own SyntaxError text


@pytest.fixture(scope="module")
def content(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("detailzh")
    for folder, text in (("broken", BROKEN), ("warned", WARNED)):
        (root / folder / "lessons").mkdir(parents=True)
        (root / folder / "lessons" / "01-alpha.md").write_text(text, encoding="utf-8")
    return root


def place(line: str) -> str:
    return line.split(": ", 1)[0]


def test_expression_and_selector_errors_are_chinese_at_the_same_place(content):
    english = tcptutor("check", "--content", "broken", cwd=content)
    chinese = tcptutor("--lang", "zh", "check", "--content", "broken", cwd=content)
    assert english.returncode == chinese.returncode == 1, (english.stderr, chinese.stderr)
    assert english.stderr.splitlines() == ENGLISH_BROKEN  # byte for byte as it was
    assert chinese.stderr.splitlines() == CHINESE_BROKEN
    assert [place(x) for x in CHINESE_BROKEN[1:]] == [place(x) for x in ENGLISH_BROKEN[1:]]
    for line in CHINESE_BROKEN[1:]:
        prose = PYTHON_DETAIL.sub(r"\1", line.split(": ", 1)[1])
        assert english_left(prose, CONTENT_WORDS) == [], line


def test_checks_warnings_are_chinese_at_the_same_place(content):
    english = tcptutor("check", "--content", "warned", cwd=content)
    chinese = tcptutor("--lang", "zh", "check", "--content", "warned", cwd=content)
    assert english.returncode == chinese.returncode == 0, (english.stderr, chinese.stderr)
    en = [x for x in english.stderr.splitlines() if x.startswith("warned/")]
    zh = [x for x in chinese.stderr.splitlines() if x.startswith("warned/")]
    assert len(en) == len(zh) == 2 and [place(x) for x in zh] == [place(x) for x in en]
    assert en[1] == ISN_WARNING and zh[1] == ISN_WARNING_ZH
    hidden, hidden_zh = HIDDEN.match(en[0]), HIDDEN_ZH.match(zh[0])
    assert hidden and hidden_zh, (en[0], zh[0])
    was, now, seed = hidden.groups()
    assert hidden_zh.groups() == (seed, was, now)
    for line in zh:
        assert english_left(line.split(": ", 1)[1], CONTENT_WORDS) == [], line


def test_the_messages_are_said_and_their_english_is_unchanged(zh):
    with pytest.raises(ExprError) as err:
        compile_expr("sin(1)", ["x"])
    assert isinstance(err.value.args[0], i18n.Said)
    assert str(err.value) == "'sin(1)': 'sin' is not a known function; known: min, max, abs, sqrt, floor, ceil, " \
                             "round, log, log2, exp"
    assert i18n.reason(err.value).local() == ("'sin(1)'：'sin' 不是已知的函数；已知的函数："
                                              "`min, max, abs, sqrt, floor, ceil, round, log, log2, exp`")
    with pytest.raises(ValueError) as err:
        parse_selector("#0")
    assert str(err.value) == "segment numbers start at #1"
    assert i18n.reason(err.value).local() == "报文段编号从 `#1` 开始"
    with pytest.raises(ExprError) as err:
        compile_expr("max()", [])
    assert str(err.value) == "'max()': max() takes 1 to 16 argument(s)"
    assert i18n.reason(err.value).local() == "'max()'：`max()` 需要 1 到 16 个参数"
    assert i18n.reason(KeyError("x")) == "'x'"  # an exception raised without a Said: its str
