"""`tcptutor export json`: the whole shipped bank, validated against the published JSON
Schema (format tcptutor.questions/1), with keys equal to the grader's for the same seeds."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy.orm import Session

from tcptutor.bank import queries
from tcptutor.export import load_formats
from tcptutor.export.json_export import FORMAT, SCHEMA_PATH, load_schema
from tcptutor.export.select import collect
from tcptutor.grading.explain import explain
from tcptutor.questions.variants import make_variant

ROOT = Path(__file__).resolve().parents[2]
VARIANTS = 2
SEED = 3


@pytest.fixture(scope="module")
def exported(bank, tmp_path_factory) -> dict:
    _, engine = bank
    selection = collect(engine, variants=VARIANTS, seed=SEED)
    path = tmp_path_factory.mktemp("json") / "bank.json"
    written = load_formats()["json"](selection, path)
    assert written == [path]
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator():
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def errors(validator, doc) -> list[str]:
    return [f"{e.json_path}: {e.message[:300]}" for e in validator.iter_errors(doc)]


def test_schema_is_published_as_package_data():
    assert SCHEMA_PATH.is_file()
    assert load_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "export/schemas/*" in pyproject["tool"]["setuptools"]["package-data"]["tcptutor"]
    assert (ROOT / "docs" / "export-json.md").is_file()


def test_the_whole_bank_validates(exported, validator, bank):
    assert exported["format"] == FORMAT
    assert errors(validator, exported) == []
    _, engine = bank
    with Session(engine) as session:
        ids = [r.id for r in queries.questions(session)]
    assert [q["id"] for q in exported["questions"]] == ids
    assert all(len(q["variants"]) == VARIANTS for q in exported["questions"])


def test_keys_equal_the_graders_for_the_same_seeds(exported, bank):
    _, engine = bank
    with Session(engine) as session:
        loaded = {q["id"]: queries.load_question(session, q["id"]) for q in exported["questions"]}
    for q in exported["questions"]:
        lq = loaded[q["id"]]
        assert q["version"] == lq.version
        for k, v in enumerate(q["variants"]):
            assert v["seed"] == SEED + k
            variant = make_variant(lq.question, v["seed"], lq.scenarios)
            key = {name: entry["value"] for name, entry in v["key"].items()}
            assert key == json.loads(json.dumps(variant.answer_key)), f"{q['id']} seed {v['seed']}"
            assert v["prompt"] == variant.prompt
            assert v["params"] == json.loads(json.dumps(variant.params))
            assert v["trace"] == (variant.trace.to_json() if variant.trace is not None else None)
            assert [f["name"] for f in v["fields"]] == list(variant.expected)
            if q["kind"] == "predict":
                for name, e in variant.expected.items():
                    assert v["key"][name]["solution"] == explain(e, variant.trace)
                    assert v["key"][name]["segment"] == (e.segment.field("n") if e.segment else None)
            if q["kind"] == "ordering":
                assert v["order"] == list(variant.order)


def test_lessons_and_topics_cover_the_questions(exported):
    lessons = {l["id"]: l for l in exported["lessons"]}
    topics = {t["id"] for t in exported["topics"]}
    for q in exported["questions"]:
        assert q["id"] in lessons[q["lesson"]]["questions"]
        assert set(q["topics"]) <= topics
    assert sum(len(l["questions"]) for l in exported["lessons"]) == len(exported["questions"])


def test_every_kind_is_exported(exported):
    kinds = {q["kind"] for q in exported["questions"]}
    assert {"predict", "single", "multiple", "truefalse", "numeric", "ordering"} <= kinds
    predict = next(q for q in exported["questions"] if q["kind"] == "predict")
    assert predict["asks"] and predict["variants"][0]["trace"]["format"] == "tcptutor.trace/1"
    choice = next(q for q in exported["questions"] if q["kind"] == "single")
    assert sum(o["correct"] for o in choice["options"]) == 1


def test_the_schema_rejects_broken_exports(exported, validator):
    def broken(change) -> list[str]:
        doc = copy.deepcopy(exported)
        doc["questions"] = doc["questions"][:3] + [q for q in doc["questions"] if q["kind"] != "predict"][:3]
        change(doc)
        return errors(validator, doc)

    assert broken(lambda d: None) == []
    assert broken(lambda d: d.update(format="tcptutor.questions/2"))
    assert broken(lambda d: d["questions"][0]["variants"][0]["key"]["seq"].pop("value"))
    assert broken(lambda d: d["questions"][0]["variants"][0].update(trace=None))  # predict needs its trace
    assert broken(lambda d: d["questions"][0]["variants"][0]["trace"]["segments"][0].update(seq=2**32))
    assert broken(lambda d: d["questions"][0].update(kind="essay"))
    assert broken(lambda d: d["questions"][-1].update(difficulty=4))
    assert broken(lambda d: d["questions"][0]["variants"][0]["key"]["seq"].update(value={"x": 1}))
    assert broken(lambda d: d["questions"][0]["variants"][0]["key"]["seq"].update(value=2**32))
    assert broken(lambda d: d["questions"][0]["variants"][0]["key"]["seq"].update(value=-1))
    assert broken(lambda d: d["questions"][0]["variants"][0]["trace"]["segments"][0].update(ack=-1))

    def single(doc) -> dict:
        return next(q for q in doc["questions"] if q["kind"] == "single")

    def second_correct(doc) -> None:
        next(o for o in single(doc)["options"] if not o["correct"]).update(correct=True)

    def none_correct(doc) -> None:
        for o in single(doc)["options"]:
            o["correct"] = False

    assert broken(second_correct)
    assert broken(none_correct)
    assert broken(lambda d: [o.update(correct=False) for q in d["questions"] if q["kind"] == "multiple"
                             for o in q["options"]])


def test_every_asked_field_has_a_key(exported):
    """Checked here, not in the schema: JSON Schema cannot require the properties of one
    object (key) to be the names listed in another (fields, asks)."""
    for q in exported["questions"]:
        for v in q["variants"]:
            names = [f["name"] for f in v["fields"]]
            assert list(v["key"]) == names, q["id"]
            if q["kind"] == "predict":
                assert names == [a["field"] for a in q["asks"]], q["id"]
                for a in q["asks"]:
                    if a["what"] in ("seq", "ack"):
                        value = v["key"][a["field"]]["value"]
                        assert isinstance(value, int) and 0 <= value < 2**32, q["id"]


def test_cli_export_json(bank, tmp_path, validator):
    url, _ = bank
    out = tmp_path / "sub" / "handshake.json"
    env = dict(os.environ, TCPTUTOR_DB=url)
    done = subprocess.run([sys.executable, "-m", "tcptutor", "export", "json", "--out", str(out), "--lesson", "handshake",
                           "--variants", "1", "--seed", "7"], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(out)]
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert errors(validator, doc) == []
    assert {q["lesson"] for q in doc["questions"]} == {"handshake"}
    assert [l["id"] for l in doc["lessons"]] == ["handshake"]
    assert all(v["seed"] == 7 for q in doc["questions"] for v in q["variants"])


@pytest.mark.parametrize("value", [
    {}, [], {"a": []}, [[[]]], (1, (2,)), 1e100, -0.0, 3, "s", [{"a": 1}, {"b": [{}]}],
    {"a": {}, "b": [1, 2.5, True, False, None, 'x"\\é\n汉\u2028\x00']}, {"é": {"z": 1.0000000001, "n": -2**70}},
    {1: 2}, {None: 1}, {"x": float("nan")}, {"k": [float("inf")]},  # left to json.dumps
])
def test_dumps_writes_what_json_dumps_writes(value):
    """The export's own encoder: the text of json.dumps(indent=1, ensure_ascii=False)."""
    from tcptutor.export.json_export import dumps

    assert dumps(value) == json.dumps(value, indent=1, ensure_ascii=False)


def test_dumps_refuses_what_json_refuses():
    from tcptutor.export.json_export import dumps

    with pytest.raises(TypeError):
        dumps({"a": object()})
