"""A small lesson with one question of every kind and its Chinese translation, for the
Chinese export tests: `write_zh_content(root, skeleton)` fills in what `tcptutor translate`
printed, text by text, so the translation's source hashes are the real ones."""

from __future__ import annotations

import json

from lessonkit import handshake_lesson, write_content

QUESTIONS = '''
    ```question
    id = "zh-predict"
    kind = "predict"
    topics = ["handshake"]
    difficulty = 1
    scenario = "handshake"
    prompt = "Client ISN {client_isn}, server ISN {server_isn}. Give the numbers and flags of the SYN+ACK and the states."
    explanation = "Its own ISN, and the client's ISN + 1."

    [[ask]]
    field = "seq"
    what = "seq"
    segment = "server SYN+ACK"
    label = "seq of the SYN+ACK"

    [[ask]]
    field = "ack"
    what = "ack"
    segment = "server SYN+ACK"

    [[ask]]
    field = "flags"
    what = "flags"
    segment = "server SYN+ACK"

    [[ask]]
    field = "state"
    what = "state"
    endpoint = "server"
    at = "server SYN+ACK"
    label = "server's state just after sending the SYN+ACK"

    [[ask]]
    field = "states"
    what = "states"
    endpoint = "client"
    ```

    ```question
    id = "zh-single"
    kind = "single"
    topics = ["handshake"]
    prompt = "Which segment carries both SYN and ACK?"
    explanation = "The server's answer to the SYN."

    [[options]]
    text = "The server's SYN+ACK"
    correct = true
    feedback = "Yes: it answers the SYN."

    [[options]]
    text = "The client's final ACK"
    correct = false
    feedback = "It carries no SYN."
    ```

    ```question
    id = "zh-multiple"
    kind = "multiple"
    topics = ["handshake"]
    prompt = "Which segments of the handshake take a sequence number?"
    explanation = "A SYN counts as one byte; a bare ACK takes none."

    [[options]]
    text = "The client's SYN"
    correct = true
    feedback = "A SYN counts as one byte."

    [[options]]
    text = "The server's SYN+ACK"
    correct = true
    feedback = "It carries a SYN."

    [[options]]
    text = "The client's final ACK"
    correct = false
    feedback = "A bare ACK takes no sequence number."
    ```

    ```question
    id = "zh-truefalse"
    kind = "truefalse"
    topics = ["handshake"]
    prompt = "The server is ESTABLISHED when it sends its SYN+ACK."
    explanation = "It waits for the ACK of its SYN."
    answer = false
    ```

    ```question
    id = "zh-ordering"
    kind = "ordering"
    topics = ["handshake"]
    prompt = "Put the client's states in the order it goes through them."
    explanation = "It sends its SYN, then gets the SYN+ACK."
    items = ["CLOSED", "SYN-SENT", "ESTABLISHED"]
    ```

    ```question
    id = "zh-numeric"
    kind = "numeric"
    topics = ["handshake"]
    prompt = "How many seconds is 2 MSL under RFC 9293?"
    explanation = "MSL is 2 minutes."
    answer = 240
    unit = "s"
    ```

    ```question
    id = "zh-stale"
    kind = "truefalse"
    topics = ["handshake"]
    prompt = "A bare ACK takes a sequence number."
    explanation = "Only SYN, FIN and data bytes do."
    answer = false
    ```
'''

# English text -> its Chinese, for every text `tcptutor translate` prints (the lesson's own
# and its questions'); full-width punctuation, as a Chinese textbook writes it.
CHINESE = {
    "Handshake numbers": "三次握手中的序号",
    "Compute the handshake's numbers": "算出三次握手中各报文段的序号和确认号",
    "Prose.": "正文。",
    "## Common mistakes": "## 常见错误",
    "Forgetting that the SYN takes a sequence number.": "忘记同步位 SYN 要消耗一个序号。",
    "## Questions": "## 题目",
    # zh-predict
    "Client ISN {client_isn}, server ISN {server_isn}. Give the numbers and flags of the SYN+ACK and the states.":
        "客户端的初始序号（ISN）为 {client_isn}，服务器的为 {server_isn}。写出第二个报文段（SYN=1，ACK=1）的序号、确认号和标志位，以及各端的状态。",
    "Its own ISN, and the client's ISN + 1.": "序号是服务器自己的初始序号；确认号是客户端的初始序号加 1：SYN 要消耗一个序号。",
    "seq of the SYN+ACK": "SYN+ACK 报文段的序号",
    "server's state just after sending the SYN+ACK": "服务器刚发出 SYN+ACK 后的状态",
    # zh-single
    "Which segment carries both SYN and ACK?": "哪一个报文段同时置位了 SYN 和 ACK？",
    "The server's answer to the SYN.": "服务器对 SYN 的应答（第二次握手）。",
    "The server's SYN+ACK": "服务器的 SYN+ACK 报文段",
    "Yes: it answers the SYN.": "对：它是对 SYN 的应答。",
    "The client's final ACK": "客户端最后的 ACK 报文段",
    "It carries no SYN.": "它不带同步位 SYN。",
    # zh-multiple
    "Which segments of the handshake take a sequence number?": "三次握手中，哪些报文段要消耗一个序号？",
    "A SYN counts as one byte; a bare ACK takes none.": "SYN 算作一个字节；不带数据的 ACK 不消耗序号。",
    "The client's SYN": "客户端的 SYN 报文段",
    "A SYN counts as one byte.": "SYN 算作一个字节。",
    "It carries a SYN.": "它带有同步位 SYN。",
    "A bare ACK takes no sequence number.": "不带数据的 ACK 不消耗序号。",
    # zh-truefalse
    "The server is ESTABLISHED when it sends its SYN+ACK.": "服务器发出 SYN+ACK 时就进入了已建立连接（ESTABLISHED）状态。",
    "It waits for the ACK of its SYN.": "它还要等待对自己 SYN 的确认（ACK）。",
    # zh-ordering
    "Put the client's states in the order it goes through them.": "按客户端经历的先后顺序排列它的状态。",
    "It sends its SYN, then gets the SYN+ACK.": "它先发出 SYN，然后收到 SYN+ACK。",
    "CLOSED": "关闭（CLOSED）",
    "SYN-SENT": "同步已发送（SYN-SENT）",
    "ESTABLISHED": "已建立连接（ESTABLISHED）",
    # zh-numeric
    "How many seconds is 2 MSL under RFC 9293?": "按 RFC 9293，2MSL 是多少秒？",
    "MSL is 2 minutes.": "MSL 为 2 分钟，所以 2MSL 是 240 秒。",
    # zh-stale: translated, then its source hash spoilt below (an English edit after translation)
    "A bare ACK takes a sequence number.": "不带数据的 ACK 也要消耗一个序号。",
    "Only SYN, FIN and data bytes do.": "只有 SYN、FIN 和数据字节才消耗序号。",
}
STALE = "zh-stale"


def lesson_markdown() -> str:
    return handshake_lesson(QUESTIONS)


def write_lesson(root):
    return write_content(root, lesson_markdown())


def fill_translation(skeleton: str) -> str:
    """The skeleton with every English text replaced by its Chinese (TOML strings and prose
    lines), and the glossary filled in; zh-stale's source spoilt, as if its English changed."""
    out = []
    question = None
    for line in skeleton.splitlines():
        key, sep, value = line.partition(" = ")
        if line.startswith("id = "):
            question = json.loads(value)
        if sep and value.startswith('"') and key.strip() in ("prompt", "explanation", "text", "feedback", "seq", "state"):
            english = json.loads(value)
            line = f"{key} = {json.dumps(CHINESE[english], ensure_ascii=False)}"
        elif line.startswith('  "') and line.endswith('",'):  # an objective or an item
            line = "  " + json.dumps(CHINESE[json.loads(line.strip()[:-1])], ensure_ascii=False) + ","
        elif line.startswith("source = ") and question == STALE:
            line = 'source = "000000000000"'
        elif line.startswith("# "):
            line = "# " + CHINESE[line[2:]]
        elif line in CHINESE:
            line = CHINESE[line]
        elif line.startswith("| --- |"):
            line += "\n| 序号 | sequence number | seq | 每个 SYN 消耗一个 |"
        out.append(line)
    return "\n".join(out) + "\n"
