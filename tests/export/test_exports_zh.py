"""`tcptutor export FORMAT --lang zh`: every format with its words in Chinese, read back by the
same real readers as the English tests (Moodle's Cloze reader port and moodlexml-to-json,
Moodle's core_xml_parser emulation, gift-pegjs, the IMS QTI 1.2.1 DTD, the official anki
package, the JSON Schema, an XML parser for the HTML sheets).

The bank is built from a small content folder (tests/export/zh_content.py): a lesson with a
question of every kind, and its translation made with `tcptutor translate` and filled in;
one question's translation is stale, so it must come out in English and be counted on stderr.
Every Chinese export is compared with the English export of the same seeds: the right answers
must be the same, only the words differ.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from readers import run_node, unavailable
from zh_content import CHINESE, STALE, fill_translation, write_lesson

ROOT = Path(__file__).resolve().parents[2]
SEED = 5
VARIANTS = 2
TITLE = "三次握手中的序号"  # the lesson's translated title
PROMPT = "写出第二个报文段（SYN=1，ACK=1）的序号、确认号和标志位，以及各端的状态。"
UNTRANSLATED_LINE = "tcptutor: 7 道题中有 1 道没有当前有效的中文译文，按英文导出。"
QUESTIONS = ("zh-predict", "zh-single", "zh-multiple", "zh-truefalse", "zh-ordering", "zh-numeric", STALE)
CJK_FONT_STACK = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'


def tcptutor(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tcptutor", *args], capture_output=True, text=True, cwd=ROOT)


@pytest.fixture(scope="module")
def zh_bank(tmp_path_factory) -> str:
    """The bank URL: the small lesson and its translation, built alone (--replace)."""
    root = tmp_path_factory.mktemp("zh-content")
    content = write_lesson(root / "content")
    skeleton = tcptutor("translate", "hs", "--lang", "zh", "--content", str(content))
    assert skeleton.returncode == 0, skeleton.stderr
    (content / "translations" / "zh").mkdir(parents=True)
    (content / "translations" / "zh" / "01-hs.md").write_text(fill_translation(skeleton.stdout), encoding="utf-8")
    checked = tcptutor("check", "--lang", "zh", "--content", str(content))
    # the only problem: the stale question, which the bank must leave out (so its English shows)
    assert re.findall(r"question (\S+): stale", checked.stdout + checked.stderr) == [STALE], checked.stdout
    url = f"sqlite:///{root / 'bank.sqlite'}"
    built = tcptutor("build", "--content", str(content), "--replace", "--db", url)
    assert built.returncode == 0, built.stderr
    return url


class Exported:
    """Runs `tcptutor export` once per (format, language) and keeps what it wrote and said."""

    def __init__(self, url: str, folder: Path):
        self.url, self.folder, self.done = url, folder, {}

    def __call__(self, fmt: str, lang: str, name: str, *extra: str) -> tuple[Path, str]:
        key = (fmt, lang, name, extra)
        if key not in self.done:
            out = self.folder / lang / name
            run = tcptutor("export", fmt, "--out", str(out), "--db", self.url, "--variants", str(VARIANTS),
                           "--seed", str(SEED), "--lang", lang, *extra)
            assert run.returncode == 0, run.stderr
            self.done[key] = (out, run.stderr)
        return self.done[key]


@pytest.fixture(scope="module")
def export(zh_bank, tmp_path_factory) -> Exported:
    return Exported(zh_bank, tmp_path_factory.mktemp("zh-exports"))


def html_text(text: str) -> str:
    """A plain text as the exporters write it in HTML (text_html): one paragraph."""
    from tcptutor.export._fields import text_html

    return text_html(text)


# ---------------------------------------------------------------- the command


def test_both_lang_options_give_the_same_chinese_and_count_the_untranslated(export, zh_bank, tmp_path):
    path, stderr = export("moodle-xml", "zh", "quiz.xml")
    assert stderr.strip().splitlines() == [UNTRANSLATED_LINE]
    global_lang = tmp_path / "global.xml"
    run = subprocess.run([sys.executable, "-m", "tcptutor", "--lang", "zh", "export", "moodle-xml", "--out",
                          str(global_lang), "--db", zh_bank, "--variants", str(VARIANTS), "--seed", str(SEED)],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert run.stderr.strip().splitlines() == [UNTRANSLATED_LINE]
    assert global_lang.read_bytes() == path.read_bytes()
    # the export's own --lang wins over the global one, and English says nothing about translations
    english, stderr = export("moodle-xml", "en", "quiz.xml")
    run = subprocess.run([sys.executable, "-m", "tcptutor", "--lang", "zh", "export", "moodle-xml", "--out",
                          str(tmp_path / "en.xml"), "--db", zh_bank, "--variants", str(VARIANTS), "--seed", str(SEED),
                          "--lang", "en"], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0 and run.stderr == "" and stderr == ""
    assert (tmp_path / "en.xml").read_bytes() == english.read_bytes()


def test_an_unknown_language_is_refused_in_the_chosen_language(zh_bank, tmp_path):
    run = tcptutor("--lang", "zh", "export", "gift", "--out", str(tmp_path / "q.gift"), "--db", zh_bank, "--lang", "fr")
    assert run.returncode == 2
    assert run.stderr.strip() == "tcptutor: --lang: 未知的语言 'fr'；可选的语言有 en, zh"
    assert not (tmp_path / "q.gift").exists()
    run = tcptutor("--lang", "zh", "export", "nonsense", "--out", str(tmp_path / "q"), "--db", zh_bank)
    assert run.returncode == 2 and "未知的导出格式" in run.stderr


def test_pcap_has_no_words_so_chinese_changes_nothing(export):
    zh_folder, zh_err = export("pcap", "zh", "pcaps")
    en_folder, _ = export("pcap", "en", "pcaps")
    zh_files = {p.name: p.read_bytes() for p in zh_folder.iterdir()}
    assert zh_files and zh_files == {p.name: p.read_bytes() for p in en_folder.iterdir()}
    assert zh_err == ""  # no count of untranslated questions: there is nothing to translate


# ---------------------------------------------------------------- Moodle XML


@pytest.fixture(scope="module")
def moodle(export):
    zh, _ = export("moodle-xml", "zh", "quiz.xml")
    en, _ = export("moodle-xml", "en", "quiz.xml")
    read = lambda path: {q.get("idnumber") or q["category"]: q for q in run_node("parse_moodle.js", path)["questions"]}  # noqa: E731
    return zh, read(zh), read(en)


def right_answers(q: dict):
    """What a Moodle question counts right, as the readers give it (words aside)."""
    if q["type"] == "multianswer":
        return [[(a["answer"], a.get("tolerance")) for a in s["alternatives"] if a["fraction"] == 1] for s in q["subquestions"]]
    if q["type"] == "ordering":
        return len(q["items"])
    return q["correctAnswer"]


def test_moodle_reads_the_chinese_back_with_the_english_answers(moodle):
    path, zh, en = moodle
    assert f"$course$/tcptutor/{TITLE}/zh-predict" in {q["category"] for q in zh.values() if q["type"] == "category"}
    questions = {ident: q for ident, q in zh.items() if q["type"] != "category"}
    assert set(questions) == {ident for ident, q in en.items() if q["type"] != "category"}
    assert len(questions) == len(QUESTIONS) * VARIANTS
    for ident, q in questions.items():
        assert right_answers(q) == right_answers(en[ident]), ident
        if q["type"] == "multianswer":  # Cloze: the Chinese text keeps every sub-question
            assert len(q["subquestions"]) == 5 and q["text"].count("{#") == 5
            assert "{" not in q["text"].replace("{#", "")
            assert q["text"].startswith('<div lang="zh-CN"><p>客户端的初始序号（ISN）为 ')
            assert PROMPT in q["text"]
            assert "<p><b>seq</b>（SYN+ACK 报文段的序号）： {#1}</p>" in q["text"]
            assert "<p><b>state</b>（服务器刚发出 SYN+ACK 后的状态）： {#4}</p>" in q["text"]
            flags = q["subquestions"][2]["alternatives"]  # a generated feedback, from the catalog
            assert {a["answer"]: a["feedback"] for a in flags}["FIN"] == "这个报文段携带的标志位不是 FIN。"
    single = zh[next(i for i in questions if i.startswith("zh-single-v1"))]
    assert [a["text"] for a in single["answers"]] == [html_text(CHINESE["The server's SYN+ACK"]),
                                                      html_text(CHINESE["The client's final ACK"])]
    assert single["correctfeedback"] == '<div lang="zh-CN">你的答案正确。</div>'
    from lxml import etree  # moodlexml-to-json leaves out an answer's feedback: read it as Moodle's XML reader does

    by_ident = {q.findtext("idnumber"): q for q in etree.parse(str(path)).getroot().iter("question")}
    assert [a.findtext("feedback/text") for a in by_ident[single["idnumber"]].findall("answer")] == \
        [f'<div lang="zh-CN">{html_text(CHINESE[t])}</div>' for t in ("Yes: it answers the SYN.", "It carries no SYN.")]
    assert single["questiontext"] == f'<div lang="zh-CN">{html_text(CHINESE["Which segment carries both SYN and ACK?"])}</div>'
    multiple = zh[next(i for i in questions if i.startswith("zh-multiple-v1"))]
    assert html_text(CHINESE["The client's SYN"]) in [a["text"] for a in multiple["answers"]]
    ordering = zh[next(i for i in questions if i.startswith("zh-ordering-v1"))]
    assert ordering["items"] == [CHINESE[s] for s in ("CLOSED", "SYN-SENT", "ESTABLISHED")]
    stale = zh[next(i for i in questions if i.startswith(f"{STALE}-v1"))]
    assert "A bare ACK takes a sequence number." in stale["questiontext"]  # stale: the English shows


def test_moodle_xml_chinese_survives_moodles_own_reader(moodle):
    from lxml import etree
    from test_moodle import moodle_reader_texts

    path, _, _ = moodle
    raw = path.read_bytes()
    assert TITLE.encode("utf-8") in raw and PROMPT.encode("utf-8") in raw  # UTF-8, not character references
    assert "&#" not in re.sub(r"\{1:[^}]*\}", "", path.read_text(encoding="utf-8"))  # only Cloze answers are escaped
    written = [el.text or "" for el in etree.parse(str(path)).getroot().iter("text")]
    read = moodle_reader_texts(path)
    assert len(read) == len(written)
    assert [w.strip() for w in written] == [r.strip() for r in read]
    truefalse = etree.parse(str(path)).getroot().xpath("//question[@type='truefalse']")[0]
    assert [a.findtext("text") for a in truefalse.findall("answer")] == ["true", "false"]  # values, not words
    assert "答对了：这个说法是错误的。" in "".join(truefalse.xpath(".//feedback/text/text()"))
    assert truefalse.findtext("questiontext/text").startswith('<div lang="zh-CN">')


# ---------------------------------------------------------------- GIFT


@pytest.fixture(scope="module")
def gift(export):
    def read(lang):
        path, _ = export("gift", lang, "quiz.gift")
        return {q.get("title") or q["type"]: q for q in run_node("parse_gift.js", path)["questions"]
                if q["type"] != "Category"}, [q["title"] for q in run_node("parse_gift.js", path)["questions"]
                                              if q["type"] == "Category"]
    return read("zh"), read("en")


def gift_right(q: dict):
    """What a GIFT question counts right (and which values it grades), words aside."""
    if q["type"] == "TF":
        return q["isTrue"]
    if q["type"] == "Matching":
        return sorted(p["subanswer"] for p in q["matchPairs"])
    if q["type"] == "MC":  # the options' words are translated: their positions and weights are what count
        return [(i, c["isCorrect"], c["weight"]) for i, c in enumerate(q["choices"])]
    return [(c["text"], c["isCorrect"], c["weight"]) for c in q["choices"]]  # numbers, flags, states: values


def test_gift_pegjs_reads_the_chinese_with_the_english_answers(gift):
    (zh, categories), (en, _) = gift
    assert set(zh) == set(en) and len(zh) == (5 + len(QUESTIONS) - 1) * VARIANTS
    assert f"$course$/tcptutor/{TITLE}/zh-single" in categories
    for title, q in zh.items():
        assert gift_right(q) == gift_right(en[title]), title
        if not title.startswith(STALE):
            assert q["stem"]["text"].startswith('<div lang="zh-CN">'), title
    seq = zh["zh-predict v1 seq"]
    assert PROMPT in seq["stem"]["text"] and "<b>seq</b>（SYN+ACK 报文段的序号）：" in seq["stem"]["text"]
    single = zh["zh-single v1"]
    assert [c["text"]["text"] for c in single["choices"]] == [html_text(CHINESE["The server's SYN+ACK"]),
                                                              html_text(CHINESE["The client's final ACK"])]
    assert [c["feedback"]["text"] for c in single["choices"]] == [html_text(CHINESE["Yes: it answers the SYN."]),
                                                                  html_text(CHINESE["It carries no SYN."])]
    ordering = zh["zh-ordering v1"]
    assert sorted(p["subquestion"]["text"] for p in ordering["matchPairs"]) == \
        sorted(CHINESE[s] for s in ("CLOSED", "SYN-SENT", "ESTABLISHED"))
    assert "把每一项与它在正确顺序中的位置配对（1 表示第一个）。" in ordering["stem"]["text"]
    numeric = zh["zh-numeric v1"]
    assert "答案的单位为 s。" in numeric["stem"]["text"] and CHINESE["MSL is 2 minutes."] in numeric["globalFeedback"]["text"]
    assert "A bare ACK takes a sequence number." in zh[f"{STALE} v1"]["stem"]["text"]


# ---------------------------------------------------------------- QTI


@pytest.fixture(scope="module")
def qti(export):
    try:
        from lxml import etree
    except ImportError:
        unavailable("lxml is not installed (pip install -e '.[test]')")
    from test_qti import assessment_bytes

    def read(lang):
        path, _ = export("qti", lang, "quiz.zip")
        return etree.fromstring(assessment_bytes(etree, path))
    return etree, read("zh"), read("en")


def local(tag) -> str:
    return tag.split("}", 1)[1] if isinstance(tag, str) and "}" in tag else tag


def test_qti_validates_with_xml_lang_on_every_text(qti):
    from test_qti import DTD

    etree, zh, _ = qti
    doc = etree.fromstring(etree.tostring(zh))
    xml_lang = "{http://www.w3.org/XML/1998/namespace}lang"
    for el in doc.iter():  # as test_qti's for_dtd, but keeping xml:lang, which the DTD declares on mattext
        el.tag = local(el.tag)
        for name in [a for a in el.attrib if a.startswith("{") and a != xml_lang]:
            del el.attrib[name]
    etree.cleanup_namespaces(doc)
    dtd = etree.DTD(str(DTD))
    assert dtd.validate(doc), "\n".join(str(e) for e in list(dtd.error_log)[:20])
    texts = doc.findall(".//mattext")
    assert texts and all(t.get(xml_lang) == "zh-CN" for t in texts)
    assert all(t.text.startswith('<div lang="zh-CN">') for t in texts if t.get("texttype") == "text/html" and t.text)


def test_qti_chinese_items_score_as_the_english_ones(qti):
    etree, zh, en = qti

    def scoring(root):
        out = {}
        for item in root.iter("{*}item"):
            conds = [c for c in item.iter("{*}respcondition") if c.find("{*}setvar") is not None]
            out[item.get("ident")] = [etree.tostring(c) for c in conds]
        return out

    assert scoring(zh) == scoring(en) and len(scoring(zh)) == (5 + len(QUESTIONS) - 1) * VARIANTS
    items = {i.get("ident"): i for i in zh.iter("{*}item")}
    texts = lambda ident: ["".join(t.itertext()) for t in items[ident].iter("{*}mattext")]  # noqa: E731
    assert any(PROMPT in t and "<b>seq</b>：SYN+ACK 报文段的序号" in t for t in texts("zh-predict-v1-seq"))
    option = html_text(CHINESE["The server's SYN+ACK"])
    assert f'<div lang="zh-CN">{option}</div>' in texts("zh-single-v1")
    assert CHINESE["It carries no SYN."] in texts("zh-single-v1")  # option feedback: plain text, as Canvas keeps it
    assert '<div lang="zh-CN">正确</div>' in texts("zh-truefalse-v1")
    assert {CHINESE[s] for s in ("CLOSED", "SYN-SENT", "ESTABLISHED")} <= set(texts("zh-ordering-v1"))


# ---------------------------------------------------------------- Anki


@pytest.fixture(scope="module")
def anki_notes(export, tmp_path_factory):
    try:
        import genanki  # noqa: F401
        from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
    except ImportError as err:
        unavailable(f"the anki and genanki packages are needed: {err}")
    from test_anki import Imported

    imported = Imported((Collection, ImportAnkiPackageRequest, ImportAnkiPackageOptions), tmp_path_factory.mktemp("anki"))
    en = imported.load(export("anki", "en", "deck.apkg")[0])
    zh = imported.load(export("anki", "zh", "deck.apkg")[0])
    yield imported, en, zh
    imported.col.close()


def test_anki_chinese_notes_sit_beside_the_english_ones(anki_notes):
    from tcptutor.export.anki import MODEL_ID, note_guid

    imported, en, zh = anki_notes
    count = len(QUESTIONS) * VARIANTS
    assert len(en.log.new) == len(zh.log.new) == count and imported.col.note_count() == 2 * count
    css = imported.col.models.get(MODEL_ID)["css"]
    assert f".card [lang|=zh] {{ font-family: {CJK_FONT_STACK}; }}" in css
    notes = imported.notes()
    assert imported.col.decks.id_for_name("tcptutor::tcptutor 题目")
    for qid in QUESTIONS:
        for k in range(VARIANTS):
            zh_note, en_note = notes[note_guid(qid, SEED + k, "zh")], notes[note_guid(qid, SEED + k)]
            assert zh_note["Id"] == en_note["Id"] == f"{qid} v{k + 1} (seed {SEED + k})"
            assert zh_note["Question"].startswith('<div lang="zh-CN">') and zh_note["Answer"].startswith('<div lang="zh-CN">')
            assert zh_note["Lesson"] == f'<span lang="zh-CN">{TITLE}</span>'
            en_key = re.findall(r"<b>(?:Answer: (.*?)|(\w+ = [^<]*))</b>", en_note["Answer"])
            zh_key = re.findall(r"<b>(?:答案：(.*?)|(\w+ = [^<]*))</b>", zh_note["Answer"])
            assert zh_key == en_key and zh_key, qid
    single = notes[note_guid("zh-single", SEED, "zh")]
    assert "<p>选出一个选项：</p>" in single["Question"] and CHINESE["The server's SYN+ACK"] in single["Question"]
    assert f"<i>{CHINESE['It carries no SYN.']}</i>" in single["Answer"]
    assert PROMPT in notes[note_guid("zh-predict", SEED, "zh")]["Question"]


# ---------------------------------------------------------------- JSON


def test_json_is_valid_and_keyed_as_the_english(export):
    import jsonschema

    from tcptutor.export.json_export import load_schema

    zh = json.loads(export("json", "zh", "q.json")[0].read_text(encoding="utf-8"))
    en = json.loads(export("json", "en", "q.json")[0].read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(load_schema())
    assert [e.message for e in validator.iter_errors(zh)] == []
    assert zh["lang"] == "zh" and zh["untranslated"] == [STALE] and "lang" not in en
    assert zh["lessons"][0]["title"] == TITLE
    def keys(q):
        """Each variant's key without its words: an ordering's answer as positions in its items."""
        out = []
        for var in q["variants"]:
            key = {f: {k: x for k, x in v.items() if k not in ("solution", "shown")} for f, v in var["key"].items()}
            if q["kind"] == "ordering":
                key["answer"]["value"] = [q["items"].index(t) for t in key["answer"]["value"]]
                key["order"] = var["order"]
            out.append(key)
        return out

    for qz, qe in zip(zh["questions"], en["questions"], strict=True):
        assert qz["id"] == qe["id"] and qz["content_hash"] == qe["content_hash"]
        assert keys(qz) == keys(qe) and len(keys(qz)) == VARIANTS
        assert [v["trace"] for v in qz["variants"]] == [v["trace"] for v in qe["variants"]]
    by_id = {q["id"]: q for q in zh["questions"]}
    assert by_id["zh-single"]["options"][0] == {"letter": "A", "text": CHINESE["The server's SYN+ACK"], "correct": True,
                                                 "feedback": CHINESE["Yes: it answers the SYN."]}
    assert by_id["zh-ordering"]["items"] == [CHINESE[s] for s in ("CLOSED", "SYN-SENT", "ESTABLISHED")]
    assert PROMPT in by_id["zh-predict"]["variants"][0]["prompt"]
    assert by_id[STALE]["prompt"] == "A bare ACK takes a sequence number."


# ---------------------------------------------------------------- sheets


def test_html_sheets_are_chinese_xhtml_with_cjk_fonts(export):
    import xml.etree.ElementTree as ET

    sheet, _ = export("html", "zh", "quiz.html")
    en_sheet, _ = export("html", "en", "quiz.html")
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    for path in (sheet, sheet.with_name("quiz.key.html")):
        root = ET.fromstring(path.read_text(encoding="utf-8"))
        assert root.get("lang") == "zh-CN" and root.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-CN"
        assert f"body {{ font-family: {CJK_FONT_STACK}; }}" in root.find("h:head/h:style", ns).text
        assert f"课程：{TITLE}" in [h.text for h in root.iter("{http://www.w3.org/1999/xhtml}h3")]
    text = sheet.read_text(encoding="utf-8")
    assert PROMPT in text and CHINESE["The client's final ACK"] in text and "姓名：" in text
    def key(path, words=()):
        """The key's answers; an ordering's answer is its items, so its words are put back in English."""
        out = []
        for cell in ET.parse(path).getroot().iter("{http://www.w3.org/1999/xhtml}td"):
            if cell.get("class") == "answer":
                text = re.sub(r"[^\s（）→]+（([A-Z0-9-]+)）", r"\1", cell.text)  # 同步收到（SYN-RECEIVED）: the RFC name
                for english in words:
                    text = text.replace(CHINESE[english], english)
                out.append(text)
        return out

    states = ("CLOSED", "SYN-SENT", "ESTABLISHED")
    zh_key = key(sheet.with_name("quiz.key.html"), states)
    assert zh_key == key(en_sheet.with_name("quiz.key.html")) and len(zh_key) == (5 + len(QUESTIONS) - 1) * VARIANTS


def test_markdown_sheets_are_chinese(export):
    sheet, _ = export("markdown", "zh", "quiz.md")
    text, key = sheet.read_text(encoding="utf-8"), sheet.with_name("quiz.key.md").read_text(encoding="utf-8")
    assert f"## 课程：{TITLE}" in text and PROMPT in text and "*预测题，难度 1，种子 5*" in text
    assert "试题卷：共 14 道题。" in text
    assert f"**原因：** {CHINESE['It waits for the ACK of its SYN.']}" in key
    assert f"- A（正确）：{CHINESE['Yes: it answers the SYN.']}" in key
