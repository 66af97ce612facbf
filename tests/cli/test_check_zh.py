"""`tcptutor --lang zh check` and `build` on malformed content: the problems an instructor or
author reads (path:line: message) are in Chinese, one for one with the English ones, and the
English is what it always was (issue 13, the author-facing messages).

What stays English, by design: the detail tomllib gives for malformed TOML ("Unclosed
array"), and what the scenario parser (tcptutor/tcp/scenario.py) says about a scenario."""

from __future__ import annotations

import pickle
import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from tcptutor import i18n, library
from tcptutor.problems import ContentError, Problem
from tcptutor.questions.model import question_from_toml

from clikit import tcptutor
from english_left import english_left

FILES = {
    'lessons/01-alpha.md': '''\
# Alpha

```lesson
id = "alpha"
topics = ["handshake"]
objectives = ["Know the handshake"]
colour = "blue"
```

## Common mistakes

None.

```question
id = "a-tf"
kind = "truefalse"
topics = ["handshake"]
prompt = "A SYN takes a sequence number."
explanation = "It does."
answer = true
```

```question
id = "a-missing"
kind = "truefalse"
topics = ["handshake"]
prompt = "A pure ACK takes a sequence number."
answer = false
```

```question
id = "a-essay"
kind = "essay"
topics = ["handshake"]
prompt = "Write."
explanation = "x"
```

```question
id = "a-pred"
kind = "predict"
topics = ["handshake"]
scenario = "no-such-scenario"
prompt = "Give the ack."
explanation = "x"

[[ask]]
field = "ack"
what = "ack"
segment = "server SYN+ACK"
```

```question
id = "a-num"
kind = "numeric"
topics = ["handshake", "nope"]
difficulty = 4
prompt = "How many?"
explanation = "x"
answer = "2 * 3"
tolerance = -1
```
''',
    'lessons/02-beta.md': '''\
# Beta

```lesson
id = "beta"
topics = ["handshake"]
objectives = ["Know it again"]
```

## Common mistakes

None.

```question
id = "a-tf"
kind = "truefalse"
topics = ["handshake"]
prompt = "A FIN takes a sequence number."
explanation = "It does."
answer = true
```

```question
id = "b-bad"
kind = "truefalse"
topics = ["handshake"
prompt = "x"
```

```scenario
nowhere
```
''',
    'lessons/03-gamma.md': '''\
No title here.

```lesson
id = "Gamma"
topics = []
```

```question
id = "g-single"
kind = "single"
topics = ["handshake"]
prompt = "Pick one."
explanation = "x"

[[options]]
text = "a"
correct = true

[[options]]
text = "b"
correct = true
feedback = "no"
```

```question
id = "g-pred"
kind = "predict"
topics = ["handshake"]
scenario = "handshake"
prompt = "Give it."
explanation = "x"

[[ask]]
field = "x"
what = "colour"
segment = "client SYN"

[[ask]]
field = "y"
what = "state"
endpoint = "client"
```
''',
    'lessons/04-delta.md': '''\
# Delta

```lesson
id = "delta"
topics = ["handshake"]
objectives = ["Know it"]
```

## Common mistakes

None.

```question
id = "d-tf"
kind = "truefalse"
topics = ["handshake"]
prompt = "A SYN takes a sequence number."
explanation = "It does."
answer = true
```
''',
    'translations/zh/04-delta.md': '''\
# 德尔塔

```translation
lesson = "delta"
objectives = "不是列表"
extra = 1
```

```question
id = "d-tf"
source = "abc"
prompt = "翻译"
colour = "blue"
```

```question
prompt = "没有 id"
```
''',
    'translations/zh/05-nothing.md': '''\
# 无

```translation
lesson = "nothing"
source = "abc"
objectives = ["x"]
```
''',
}
# The English output, as tcptutor has always worded it ({topics}, {scenarios}: the shipped ones).
ENGLISH = [
    'tcptutor: 25 problems in the content:',
    "broken/lessons/01-alpha.md:7: unknown field 'colour' in the lesson block; expected id, topics, objectives",
    'broken/lessons/01-alpha.md:24: question a-missing: explanation is missing or empty',
    "broken/lessons/01-alpha.md:33: question a-essay: unknown kind 'essay'; expected one of predict, single, multiple, truefalse, ordering, numeric",
    "broken/lessons/01-alpha.md:43: question a-pred: no scenario named 'no-such-scenario'",
    "broken/lessons/01-alpha.md:56: question a-num: unknown topic 'nope'; known topics: {topics}",
    'broken/lessons/01-alpha.md:57: question a-num: difficulty must be 1, 2 or 3; got 4',
    'broken/lessons/01-alpha.md:61: question a-num: tolerance must be a finite number >= 0; got -1',
    "broken/lessons/02-beta.md:14: duplicate question id 'a-tf' (also at broken/lessons/01-alpha.md:15)",
    'broken/lessons/02-beta.md:26: malformed TOML in the question block: Unclosed array',
    "broken/lessons/02-beta.md:30: no scenario named 'nowhere'; named scenarios: {scenarios}",
    "broken/lessons/03-gamma.md:1: no '## Common mistakes' section",
    'broken/lessons/03-gamma.md:1: no title: a lesson starts with a # Title line',
    "broken/lessons/03-gamma.md:4: lesson id must be lowercase letters, digits and dashes; got 'Gamma'",
    'broken/lessons/03-gamma.md:4: the lesson block needs objectives = ["...", ...] (learning objectives)',
    'broken/lessons/03-gamma.md:5: the lesson block needs topics = [...]',
    'broken/lessons/03-gamma.md:15: question g-single, option 1: needs feedback',
    "broken/lessons/03-gamma.md:35: question g-pred, ask 1: unknown what 'colour'; expected one of seq, ack, len, win, flags, state, states, sent_at, arrived_at, count, timeout, cwnd, ssthresh, rwnd, flight, srtt, rttvar, rto, sport, dport, mss, wscale, options",
    'broken/lessons/03-gamma.md:35: question g-pred, ask 2: what = "state" needs at = a segment selector or "end"',
    'broken/translations/zh/04-delta.md:4: the translation block needs lesson = "<the English lesson\'s id>" and source = "<hash>"',
    'broken/translations/zh/04-delta.md:4: the translation block needs objectives = ["...", ...]',
    "broken/translations/zh/04-delta.md:4: unknown field 'extra' in the translation block; expected lesson, source, objectives",
    'broken/translations/zh/04-delta.md:10: question d-tf: explanation = "..." is missing',
    "broken/translations/zh/04-delta.md:10: question d-tf: unknown field 'colour'; a translation has explanation, id, items, labels, options, prompt, source",
    'broken/translations/zh/04-delta.md:17: a translated question needs id = "..." (the English question\'s id)',
    "broken/translations/zh/05-nothing.md:4: translates lesson 'nothing', but no English lesson 05-nothing.md has that id",
]
TOPICS = ", ".join(sorted(__import__("tomllib").loads((library.CONTENT / "topics.toml").read_text(encoding="utf-8"))["topics"]))
# What the Chinese lines may keep in Latin letters besides code spans: the ids, keys and
# values of the broken content itself, file names, the format TOML (tomllib's own words are cut).
CONTENT_WORDS = {"colour", "essay", "nope", "Gamma", "nowhere", "no-such-scenario", "nothing", "extra", "a-tf", "a-missing",
                 "a-essay", "a-pred", "a-num", "g-single", "g-pred", "d-tf", "id", "broken", "lessons", "translations",
                 "zh", "md", "TOML", "01-alpha.md", "05-nothing.md", "alpha.md", "nothing.md"}
TOML_DETAIL = re.compile(r"(TOML 格式有误（位于 `question` 块）：)Unclosed array$")


@pytest.fixture(scope="module")
def broken(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("authorzh")
    for name, text in FILES.items():
        (root / "broken" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "broken" / name).write_text(text, encoding="utf-8")
    return root


def located(stderr: str) -> list[tuple[str, str, str]]:
    return re.findall(r"^(broken/[^:\n]+):(\d+): (.*)$", stderr, re.M)


def expected_english() -> list[str]:
    scenarios = ", ".join(library.scenario_names())
    return [line.replace("{topics}", TOPICS).replace("{scenarios}", scenarios) for line in ENGLISH]


@pytest.mark.parametrize("command", [["check", "--content", "broken"], ["build", "--replace", "--content", "broken"]])
def test_every_problem_is_said_in_chinese_at_the_same_place(broken, command):
    english = tcptutor(*command, cwd=broken)
    chinese = tcptutor("--lang", "zh", *command, cwd=broken)
    assert english.returncode == chinese.returncode == 1, (english.stderr, chinese.stderr)
    assert english.stdout == chinese.stdout == ""
    # the English, byte for byte as it was
    assert english.stderr.splitlines() == expected_english()
    # one Chinese problem for each English one, at the same path:line, in the same order
    en, zh = located(english.stderr), located(chinese.stderr)
    assert len(zh) == len(en) == 25
    assert [(p, n) for p, n, _ in zh] == [(p, n) for p, n, _ in en]
    assert chinese.stderr.splitlines()[0] == "tcptutor: 内容中有 25 个问题："
    for (_, line, message), (_, _, original) in zip(zh, en):
        assert message != original and re.search(r"[\u4e00-\u9fff]", message), (line, message)
        prose = TOML_DETAIL.sub(r"\1", message)  # tomllib's own words stay as Python says them
        assert english_left(prose, CONTENT_WORDS) == [], (line, message)


def test_the_kinds_of_problem_an_author_makes_read_as_chinese(broken):
    out = tcptutor("--lang", "zh", "check", "--content", "broken", cwd=broken).stderr
    for said in ("`lesson` 块中有未知字段 'colour'",  # unknown key
                 "题目 a-missing：`explanation` 缺失或为空",  # missing field
                 "题目 a-pred：没有名为 'no-such-scenario' 的场景",  # bad scenario reference
                 "题目 a-essay：未知的题型 'essay'",  # an invalid question kind
                 "题目 id 'a-tf' 重复",  # a duplicate id
                 "TOML 格式有误（位于 `question` 块）",  # bad TOML
                 "`translation` 块需要 `objectives = [\"...\", ...]`",  # a malformed translation file
                 "题目 g-pred 的第 2 个 `[[ask]]`：`what = \"state\"` 需要 `at`"):
        assert said in out, said


def _problems_of(data: dict) -> list[Problem]:
    return question_from_toml(data, path="l.md", line_of=lambda key=None: 7, lesson="l", topics={"t"})[1]


def test_a_problem_found_in_a_worker_process_is_said_in_chinese_by_the_parent(zh):
    """bank.content verifies questions in a process pool: the Problems come back pickled, and
    must still know their message to be said in Chinese (Said keeps its English as the str)."""
    data = {"id": "q", "kind": "predict", "topics": ["t"], "prompt": "p", "explanation": "e", "scenario": "s",
            "ask": [{"field": "a", "what": "cwnd"}, {"field": "b", "what": "zz"}]}
    here = _problems_of(data)
    with ProcessPoolExecutor(1) as pool:
        there = pool.submit(_problems_of, data).result()
    assert there == here and len(there) == 2
    assert [type(p.message) for p in there] == [i18n.Said, i18n.Said]
    assert [str(p) for p in there] == [str(p) for p in here]
    assert str(there[1]).startswith("l.md:7: 题目 q 的第 2 个 `[[ask]]`：未知的 `what` 'zz'")
    i18n.use("en")
    assert str(there[1]).startswith("l.md:7: question q, ask 2: unknown what 'zz'; expected one of seq, ack")


def test_said_term_and_listed_survive_pickling(zh):
    where = i18n.Said(i18n.N_("question {qid}, ask {i}"), qid="q", i=1)
    for said in (i18n.Said(i18n.N_("{where}: must be a table"), where=where), i18n.Term("endpoint", "client"),
                 i18n.Listed(", ", [i18n.Term("endpoint", "client"), i18n.Term("endpoint", "server")])):
        back = pickle.loads(pickle.dumps(said))
        assert type(back) is type(said) and back == said and back.local() == said.local() != str(said)


def test_content_error_is_english_in_its_args_and_chinese_when_said(zh):
    err = ContentError(_problems_of({"id": "q", "kind": "essay"}))
    assert err.args[0] == ("1 problem in the content:\nl.md:7: question q: unknown kind 'essay'; expected one of "
                           "predict, single, multiple, truefalse, ordering, numeric")
    assert str(err).startswith("内容中有 1 个问题：\nl.md:7: 题目 q：未知的题型 'essay'")
