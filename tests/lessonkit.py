"""A small content folder for the tests that build a bank of their own.

`handshake_lesson(questions)` is a whole lesson: the header every such test used (the
handshake scenario, a common mistake) followed by the test's own question blocks.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

HANDSHAKE_HEADER = textwrap.dedent('''\
    # Handshake numbers

    ```lesson
    id = "hs"
    topics = ["handshake"]
    objectives = ["Compute the handshake's numbers"]
    ```

    Prose.

    ```scenario
    handshake
    ```

    ## Common mistakes

    Forgetting that the SYN takes a sequence number.

    ## Questions

''')


# A single-choice question several tests share, written indented like the callers' own
# question blocks (handshake_lesson dedents them together), and its Chinese words.
WHICH_SYN_ACK = '''\
    ```question
    id = "hs-which"
    kind = "single"
    topics = ["handshake"]
    prompt = "Which segment carries both SYN and ACK?"
    explanation = "The server's answer to the SYN."

    [[options]]
    text = "The server's SYN+ACK"
    correct = true
    feedback = "Yes: it acknowledges the SYN and carries the server's own."

    [[options]]
    text = "The client's final ACK"
    correct = false
    feedback = "It carries no SYN."
    ```
'''
WHICH_SYN_ACK_ZH = {"prompt": "哪个报文段同时带有 SYN 和 ACK？", "explanation": "服务器对 SYN 的回答。",
                    "options": [("服务器的 SYN+ACK", "对：它确认了客户端的 SYN，也带上了服务器自己的 SYN。"),
                                ("客户端最后的 ACK", "它不带 SYN。")]}


def handshake_lesson(questions: str) -> str:
    """The handshake lesson with these question blocks (indented as in the caller; dedented here)."""
    return HANDSHAKE_HEADER + textwrap.dedent(questions)


def write_content(root: Path, lesson: str) -> Path:
    """`root/lessons/01-hs.md` holding `lesson`: a content folder `build` can read."""
    (root / "lessons").mkdir(parents=True)
    (root / "lessons" / "01-hs.md").write_text(lesson, encoding="utf-8")
    return root


def translation_of(lesson_text: str, questions: dict[str, dict], *, title: str = "握手中的序号",
                   objectives: tuple[str, ...] = ("根据双方的初始序号算出握手报文段的序号",),
                   prose: str = "正文。") -> str:
    """A Chinese translation file of `lesson_text` (lessons/translation.py's format), current:
    every `source` is the hash of the English it translates. `questions`: question id -> the
    texts (prompt, explanation, and options as [(text, feedback)], items, labels {field: label})."""
    import json

    from tcptutor.lessons.parser import parse_lesson
    from tcptutor.lessons.translation import lesson_source, question_source

    import tomllib

    from tcptutor import library

    topics = tomllib.loads((library.CONTENT / "topics.toml").read_text(encoding="utf-8"))["topics"]
    lesson, problems = parse_lesson(lesson_text, "lesson.md", topics=topics, scenario_names=set(library.scenario_names()))
    assert lesson is not None and not problems, problems
    scenarios = "\n".join(f"```scenario\n{b.name}\n```\n" for b in lesson.scenarios)
    out = [f"# {title}", "", "```translation", f'lesson = "{lesson.id}"', f'source = "{lesson_source(lesson)}"',
           f"objectives = {json.dumps(list(objectives), ensure_ascii=False)}", "```", "", prose, "", scenarios,
           "## 术语表", "", "| 中文 | RFC 9293 | Linux | 说明 |", "| --- | --- | --- | --- |",
           "| 同步位 | SYN | SYN | 请求建立连接 |", "", "## 常见错误", "", "忘记 SYN 要占用一个序号。", "", "## 练习题", ""]
    for q in lesson.questions:
        texts = questions.get(q.id)
        if texts is None:
            continue
        out += ["```question", f'id = "{q.id}"', f'source = "{question_source(q)}"',
                f"prompt = {json.dumps(texts['prompt'], ensure_ascii=False)}",
                f"explanation = {json.dumps(texts['explanation'], ensure_ascii=False)}"]
        if texts.get("items"):
            out.append(f"items = {json.dumps(texts['items'], ensure_ascii=False)}")
        for text, feedback in texts.get("options", ()):
            out += ["[[options]]", f"text = {json.dumps(text, ensure_ascii=False)}",
                    f"feedback = {json.dumps(feedback, ensure_ascii=False)}"]
        if texts.get("labels"):
            out.append("[labels]")
            out += [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in texts["labels"].items()]
        out += ["```", ""]
    return "\n".join(out)


def write_translation(root: Path, text: str, lang: str = "zh", name: str = "01-hs.md") -> Path:
    folder = root / "translations" / lang
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name
