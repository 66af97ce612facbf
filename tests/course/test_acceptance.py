"""The acceptance of issue 5, end to end through the real `tcptutor` console script, on SQLite
and on a real PostgreSQL server (tests/course/conftest.py starts one).

A course of 200 students takes a set of five predict questions from the shipped bank. After
`course assign`, students s000-s099 answer from the answer key (keys/SET-key.csv) and
s100-s199 plant classic mistakes computed from the key (ack = ISN for the SYN, TIME-WAIT on
the passive closer, ack = seq + 1 after data, ...). After `course grade`, every gradebook total,
every misconception count of `course stats --json`, every facility and field error rate, the
discrimination indices and the histograms must be exactly what was planted.

Then: a submissions file with broken rows grades the good ones and lists the bad ones by
line; the same grading run twice changes nothing; after a question is edited the students keep
the version they were assigned until `course regrade --current-versions`; the course secret is
created 0600 and never leaves its file; handouts never hold an answer; grading memory stays flat.
"""

from __future__ import annotations

import csv
import json
import random
import re
import shutil
import statistics
import tracemalloc
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import String, Text, inspect, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from tcptutor import library
from tcptutor.bank import models as m
from tcptutor.bank.db import open_engine
from tcptutor.course import service
from tcptutor.course.seeds import variant_seed
from tcptutor.grading.misconceptions import BY_ID

MOD = 2**32
BACKENDS = ["sqlite", "postgresql"]
SECRET_HEX = "5eed" * 16  # a fixed course secret: the planted variants are the same on every run
SET_NAME = "midterm"
STUDENTS = [f"s{i:03d}" for i in range(200)]
KEY_HALF, MISTAKE_HALF = STUDENTS[:100], STUDENTS[100:]

Q1, Q2, Q3, Q4, Q5 = ("hs-synack-numbers", "sn-ack-after-data", "td-closer-waits", "hs-server-state-after-synack",
                      "td-fin-acked")
POINTS = {Q1: 2.0, Q2: 1.0, Q3: 1.0, Q4: 1.0, Q5: 2.0}
QUESTIONS = list(POINTS)
FIELDS = {Q1: ["seq", "ack"], Q2: ["ack"], Q3: ["server_state", "client_state"], Q4: ["server_state", "client_state"],
          Q5: ["ack_of_fin", "server_fin_seq"]}
MAX_POINTS = sum(POINTS.values())  # 7

SET_TOML = "".join(
    ['title = "Midterm: numbers and states"\ncarry_forward = true\n']
    + [f'\n[[pick]]\nquestion = "{q}"\npoints = {p:g}\n' for q, p in POINTS.items()])

# Names that a spreadsheet would run as formulas: they must come out neutralised.
SPECIAL_NAMES = {"s007": '=HYPERLINK("http://evil.example","click")', "s008": "Hopper, Grace",
                 "s150": "@SUM(A1:A9)", "s151": "+1 Plus", "s152": "-1 Minus"}


def write_roster(path: Path, ids) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "email"])
        for sid in ids:
            w.writerow([sid, SPECIAL_NAMES.get(sid, f"Student {sid[1:]}"), f"{sid}@example.edu"])


# ---------------------------------------------------------------- what a student plants


@dataclass(frozen=True)
class Planted:
    answer: str
    credit: float
    verdict: str  # correct | wrong | unreadable
    misconception: str | None = None


def plant(j: int, expected: dict[tuple[str, str], str], params: dict[str, dict]) -> dict[tuple[str, str], Planted]:
    """Student number j (0..99) of the mistake half: which classic mistake goes in which field.
    Everything is computed from the key (and, for "ack = seq + 1", the client ISN the
    student's prompt shows). Unplanted fields are answered from the key."""
    out = {k: Planted(v, 1.0, "correct") for k, v in expected.items()}

    def num(q: str, f: str) -> int:
        return int(expected[q, f])

    def wrong(q: str, f: str, answer, misconception: str | None, credit: float = 0.0) -> None:
        out[q, f] = Planted(str(answer), credit, "wrong", misconception)

    # Q1 hs-synack-numbers (2 points): the SYN-ACK's seq and ack
    if j % 4 in (0, 1):
        wrong(Q1, "ack", (num(Q1, "ack") - 1) % MOD, "syn-not-counted")  # ack = client ISN
    elif j % 4 == 2:  # seq one too high, and the ack follows from that error: carried forward, half credit
        wrong(Q1, "seq", (num(Q1, "seq") + 1) % MOD, "syn-seq-is-isn-plus-one")  # the SYN-ACK's seq as ISN + 1
        wrong(Q1, "ack", (num(Q1, "ack") + 1) % MOD, None, credit=0.5)
    elif j == 3:  # right, written in hex: still right
        out[Q1, "ack"] = Planted(hex(num(Q1, "ack")), 1.0, "correct")
    if j == 99:  # cannot be read: no credit, but not a mistake either
        out[Q1, "seq"] = Planted("banana", 0.0, "unreadable")

    # Q2 sn-ack-after-data (1 point): the ack after one data segment
    client_isn = params[Q2]["client_isn"]
    if j % 5 in (0, 1):
        wrong(Q2, "ack", (client_isn + 2) % MOD, "ack-is-seq-plus-one")  # the segment's seq (ISN + 1) + 1
    elif j % 5 == 2:
        wrong(Q2, "ack", (client_isn + 1) % MOD, "ack-equals-received-seq")

    # Q3 td-closer-waits (1 point): server CLOSE-WAIT, client FIN-WAIT-2
    k = j % 10
    if k in (0, 1, 2, 6):
        wrong(Q3, "server_state", "TIME-WAIT", "time-wait-on-passive-closer")
    if k in (3, 4, 6):
        wrong(Q3, "client_state", "CLOSE-WAIT", "close-wait-fin-wait-2-swapped")
    if k == 5:
        wrong(Q3, "client_state", "FIN-WAIT-1", "fin-wait-1-vs-2")

    # Q4 hs-server-state-after-synack (1 point): server SYN-RECEIVED, client ESTABLISHED
    if j % 3 == 0:
        wrong(Q4, "server_state", "ESTABLISHED", "established-after-synack")
    if j % 6 == 4:
        wrong(Q4, "client_state", "SYN-SENT", None)  # wrong, but no catalogued misconception

    # Q5 td-fin-acked (2 points): the ack of the client's FIN, the seq of the server's FIN
    if j % 4 in (1, 3):
        wrong(Q5, "ack_of_fin", (num(Q5, "ack_of_fin") - 1) % MOD, "fin-not-counted")
    if j % 4 in (2, 3):
        wrong(Q5, "server_fin_seq", (num(Q5, "server_fin_seq") + 1) % MOD, "pure-ack-consumes")
    return out


def score_of(planted: dict[tuple[str, str], Planted], q: str) -> float:
    credits = [planted[q, f].credit for f in FIELDS[q]]
    return round(sum(credits) / len(credits), 4)


# ---------------------------------------------------------------- the course, assigned and graded once per backend


@dataclass
class Graded:
    kind: str
    url: str
    root: Path
    key: dict[tuple[str, str, str], str]  # (student, question, field) -> expected
    key_rows: list[dict]
    seeds: dict[tuple[str, str], int]
    versions: dict[tuple[str, str], int]
    prompts: dict[tuple[str, str], str]
    planted: dict[str, dict[tuple[str, str], Planted]]  # student -> field -> what they wrote
    assign_run: object
    grade_runs: list
    stats: dict
    stats_csv: Path
    plots: Path
    gradebook_bytes: bytes
    gradebook: dict[str, dict] = field(default_factory=dict)

    def expected_score(self, student: str, q: str) -> float:
        return score_of(self.planted[student], q)

    def expected_total(self, student: str) -> float:
        return sum(POINTS[q] * self.expected_score(student, q) for q in QUESTIONS)


def read_key(root: Path) -> list[dict]:
    with (root / "keys" / f"{SET_NAME}-key.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def read_gradebook(root: Path, set_name: str = SET_NAME) -> tuple[list[str], dict[str, dict]]:
    with (root / "grades" / set_name / "gradebook.csv").open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    return reader.fieldnames, {r["student"]: r for r in rows}


def variants_of(url: str, assignments: dict[tuple[str, str], tuple[int, int]]):
    """(student, question) -> Variant, rebuilt from the bank the way the grader does."""
    engine = open_engine(url)
    try:
        with Session(engine) as session:
            cache = service.VariantCache(session)
            return {k: cache.variant(version, seed) for k, (version, seed) in assignments.items()}
    finally:
        engine.dispose()


def grade_json(cli, root: Path, url: str, submissions: Path, *extra: str, set_name: str = SET_NAME):
    run = cli("course", "grade", set_name, submissions, "--course", root, "--db", url, "--json", *extra)
    report = json.loads(run.stdout) if run.stdout.strip() else None
    return run, report


@pytest.fixture(scope="module", params=BACKENDS)
def graded(request, make_bank, cli, tmp_path_factory) -> Graded:
    kind = request.param
    url = make_bank(kind)
    root = tmp_path_factory.mktemp(f"acceptance-{kind}") / "net101"
    run = cli("course", "init", root, "--name", "Networks 101")
    assert run.returncode == 0, run.stderr
    write_roster(root / "roster.csv", STUDENTS)
    (root / "sets" / f"{SET_NAME}.toml").write_text(SET_TOML, encoding="utf-8")
    secret = root / service.SECRET_FILE
    secret.write_text(SECRET_HEX + "\n")
    secret.chmod(0o600)

    assign_run = cli("course", "assign", SET_NAME, "--course", root, "--db", url)
    assert assign_run.returncode == 0, assign_run.stderr

    key_rows = read_key(root)
    key = {(r["student"], r["question"], r["field"]): r["expected"] for r in key_rows}
    seeds = {(r["student"], r["question"]): int(r["seed"]) for r in key_rows}
    versions = {(r["student"], r["question"]): int(r["version"]) for r in key_rows}
    variants = variants_of(url, {k: (versions[k], seeds[k]) for k in seeds})
    prompts = {k: v.prompt for k, v in variants.items()}

    planted: dict[str, dict] = {}
    for i, sid in enumerate(STUDENTS):
        expected = {(q, f): key[sid, q, f] for q in QUESTIONS for f in FIELDS[q]}
        if sid in KEY_HALF:
            planted[sid] = {k: Planted(v, 1.0, "correct") for k, v in expected.items()}
        else:
            planted[sid] = plant(i - 100, expected, {q: variants[sid, q].params for q in QUESTIONS})

    # the key half hands in the wide form, the mistake half the long form (shuffled)
    columns = [(q, f) for q in QUESTIONS for f in FIELDS[q]]
    wide = root / "submissions-wide.csv"
    with wide.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student"] + [f"{q}.{fl}" for q, fl in columns])
        for sid in KEY_HALF:
            w.writerow([sid] + [planted[sid][c].answer for c in columns])
    long_rows = [[sid, q, fl, planted[sid][q, fl].answer] for sid in MISTAKE_HALF for q, fl in columns]
    random.Random(5).shuffle(long_rows)
    long = root / "submissions-long.csv"
    with long.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student", "question", "field", "answer"])
        w.writerows(long_rows)

    grade_runs = [grade_json(cli, root, url, wide), grade_json(cli, root, url, long, "--form", "long")]
    gradebook_bytes = (root / "grades" / SET_NAME / "gradebook.csv").read_bytes()

    stats_csv, plots = root / "out" / "items.csv", root / "out" / "plots"
    stats_csv.parent.mkdir()
    stats_run = cli("course", "stats", SET_NAME, "--course", root, "--db", url, "--json", "--csv", stats_csv,
                    "--plots", plots)
    assert stats_run.returncode == 0, stats_run.stderr
    graded = Graded(kind, url, root, key, key_rows, seeds, versions, prompts, planted, assign_run, grade_runs,
                    json.loads(stats_run.stdout), stats_csv, plots, gradebook_bytes)
    graded.gradebook = read_gradebook(root)[1]
    return graded


# ---------------------------------------------------------------- assign


def test_assign_writes_a_handout_per_student_and_one_key(graded):
    assert "200 students × 5 questions (1000 new assignments)" in graded.assign_run.stderr
    folder = graded.root / "handouts" / SET_NAME
    assert sorted(p.name for p in folder.iterdir()) == sorted([f"{s}.md" for s in STUDENTS] + [f"{s}.html" for s in STUDENTS])
    assert len(graded.key_rows) == 200 * 9
    assert {(r["student"], r["question"], r["field"]) for r in graded.key_rows} == \
        {(s, q, f) for s in STUDENTS for q in QUESTIONS for f in FIELDS[q]}
    # the key's classic values are what the plan assumes
    for sid in STUDENTS:
        assert (graded.key[sid, Q3, "server_state"], graded.key[sid, Q3, "client_state"]) == ("CLOSE-WAIT", "FIN-WAIT-2")
        assert (graded.key[sid, Q4, "server_state"], graded.key[sid, Q4, "client_state"]) == ("SYN-RECEIVED", "ESTABLISHED")


def test_every_student_has_their_own_numbers_from_the_hmac_seed(graded):
    secret = bytes.fromhex(SECRET_HEX)
    for (sid, q), seed in graded.seeds.items():
        assert seed == variant_seed(secret, "net101", SET_NAME, sid, q)
    synack = [graded.key[s, Q1, "ack"] for s in STUDENTS]
    assert len(set(synack)) == 200  # nobody can copy a classmate's numbers


def test_handouts_hold_no_answer(graded):
    """Every key value that the prompt does not itself show is absent from the handout."""
    checked = 0
    for sid in STUDENTS:
        md = (graded.root / "handouts" / SET_NAME / f"{sid}.md").read_text(encoding="utf-8")
        page = (graded.root / "handouts" / SET_NAME / f"{sid}.html").read_text(encoding="utf-8")
        for q in QUESTIONS:
            prompt = graded.prompts[sid, q]
            assert prompt in md  # the student's own numbers are there
            for f in FIELDS[q]:
                value = graded.key[sid, q, f]
                pattern = re.compile(rf"(?<![\w-]){re.escape(value)}(?![\w-])")
                if pattern.search(prompt):
                    continue  # e.g. the SYN-ACK's seq is the server ISN the prompt gives
                checked += 1
                assert not pattern.search(md), (sid, q, f, value)
                assert not pattern.search(page), (sid, q, f, value)
    assert checked >= 200 * 8


# ---------------------------------------------------------------- grade


def test_grading_reports_no_problem(graded):
    (wide_run, wide), (long_run, long) = graded.grade_runs
    assert wide_run.returncode == 0 and long_run.returncode == 0, (wide_run.stderr, long_run.stderr)
    assert (wide["rows"], wide["students"], wide["graded"], wide["unchanged"], wide["problem_count"]) == (900, 100, 500, 0, 0)
    assert (long["rows"], long["students"], long["graded"], long["unchanged"], long["problem_count"]) == (900, 100, 500, 0, 0)


def test_gradebook_totals_are_exactly_what_was_planted(graded):
    header, book = read_gradebook(graded.root)
    assert header == ["student", "name", "submitted", "total", "max", "percent", "to_review", *QUESTIONS]
    assert sorted(book) == STUDENTS
    for sid in STUDENTS:
        row = book[sid]
        total = graded.expected_total(sid)
        assert float(row["total"]) == round(total, 4), sid
        assert row["max"] == "7"
        assert row["percent"] == f"{100 * total / MAX_POINTS:.1f}", sid
        assert row["submitted"] == "yes"
        for q in QUESTIONS:
            assert float(row[q]) == round(POINTS[q] * graded.expected_score(sid, q), 4), (sid, q)
        unreadable = sum(p.verdict == "unreadable" for p in graded.planted[sid].values())
        assert int(row["to_review"]) == unreadable
    assert book["s199"]["to_review"] == "1"
    # a spread of totals, not one value: the plan really varies
    assert len({book[s]["total"] for s in MISTAKE_HALF}) >= 8


def test_the_key_half_scores_100_percent(graded):
    for sid in KEY_HALF:
        row = graded.gradebook[sid]
        assert (row["total"], row["percent"], row["to_review"]) == ("7", "100.0", "0"), sid
        assert [row[q] for q in QUESTIONS] == ["2", "1", "1", "1", "2"]
    assert all(graded.gradebook[s]["percent"] != "100.0" for s in MISTAKE_HALF if any(
        p.verdict != "correct" for p in graded.planted[s].values()))


def test_misconception_counts_are_exactly_what_was_planted(graded):
    planted = Counter(p.misconception for s in STUDENTS for p in graded.planted[s].values() if p.misconception)
    assert planted == {  # the plan, counted by hand over j = 0..99
        "syn-not-counted": 50, "ack-is-seq-plus-one": 40, "ack-equals-received-seq": 20,
        "time-wait-on-passive-closer": 40, "close-wait-fin-wait-2-swapped": 30, "fin-wait-1-vs-2": 10,
        "established-after-synack": 34, "fin-not-counted": 50, "pure-ack-consumes": 50,
        "syn-seq-is-isn-plus-one": 25,
    }
    got = {r["id"]: r["count"] for r in graded.stats["misconceptions"]}
    assert got == dict(planted)
    counts = [r["count"] for r in graded.stats["misconceptions"]]
    assert counts == sorted(counts, reverse=True)
    assert all(mid in BY_ID for mid in got)


def test_statistics_are_exactly_what_was_planted(graded):
    stats = graded.stats
    assert stats["students"] == 200 and stats["max_points"] == MAX_POINTS
    scores = {s: {q: graded.expected_score(s, q) for q in QUESTIONS} for s in STUDENTS}
    totals = {s: sum(POINTS[q] * scores[s][q] for q in QUESTIONS) for s in STUDENTS}
    percents = [100 * totals[s] / MAX_POINTS for s in STUDENTS]
    assert stats["mean_percent"] == round(statistics.mean(percents), 2)
    assert stats["median_percent"] == round(statistics.median(percents), 2)

    items = {r["question"]: r for r in stats["items"]}
    assert list(items) == QUESTIONS
    ranked = sorted(STUDENTS, key=lambda s: (totals[s], s))
    k = round(200 * 0.27)
    lower, upper = ranked[:k], ranked[-k:]
    for q in QUESTIONS:
        item = [scores[s][q] for s in STUDENTS]
        rest = [totals[s] - POINTS[q] * scores[s][q] for s in STUDENTS]
        assert items[q]["facility"] == round(statistics.mean(item), 4), q
        assert items[q]["discrimination"] == round(statistics.correlation(item, rest), 4), q
        assert items[q]["upper_lower"] == round(statistics.mean(scores[s][q] for s in upper)
                                                - statistics.mean(scores[s][q] for s in lower), 4), q
        assert items[q]["points"] == POINTS[q] and items[q]["students"] == 200
    # the facility of a one-field question is the fraction that planted it right
    right_q2 = sum(graded.planted[s][Q2, "ack"].verdict == "correct" for s in STUDENTS)
    assert items[Q2]["facility"] == right_q2 / 200 == 0.7  # 100 + 40 of the mistake half
    assert items[Q1]["facility"] == round((100 * 1 + 50 * 0.5 + 25 * 0.25 + 24 * 1 + 1 * 0.5) / 200, 4)

    fields = {(r["question"], r["field"]): r for r in stats["fields"]}
    assert set(fields) == {(q, f) for q in QUESTIONS for f in FIELDS[q]}
    for (q, f), row in fields.items():
        verdicts = Counter(graded.planted[s][q, f].verdict for s in STUDENTS)
        assert (row["answers"], row["correct"], row["wrong"], row["unreadable"]) == \
            (200, verdicts["correct"], verdicts["wrong"], verdicts["unreadable"]), (q, f)
        readable = verdicts["correct"] + verdicts["wrong"]
        assert row["error_rate"] == round(verdicts["wrong"] / readable, 4)
    assert fields[Q1, "seq"]["unreadable"] == 1

    bins = [0] * 10
    for p in percents:
        bins[min(int(p // 10), 9)] += 1
    assert list(stats["score_histogram"].values()) == bins
    assert stats["score_histogram"]["90-100%"] >= 100

    topics = stats["topics"]
    for topic in ("handshake", "sequence-numbers", "teardown"):
        qs = [q for q in QUESTIONS if topic in _topics(q)]
        means = [statistics.mean(scores[s][q] for q in qs) for s in STUDENTS]
        assert topics[topic]["questions"] == len(qs)
        assert topics[topic]["mean"] == round(statistics.mean(means), 4)
        assert sum(topics[topic]["histogram"].values()) == 200


def _topics(q: str) -> list[str]:
    return {Q1: ["handshake", "sequence-numbers"], Q2: ["sequence-numbers"], Q3: ["teardown", "misconceptions"],
            Q4: ["handshake"], Q5: ["teardown", "sequence-numbers", "misconceptions"]}[q]


def test_stats_csv_and_plots(graded):
    with graded.stats_csv.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["question"] for r in rows] == QUESTIONS
    items = {r["question"]: r for r in graded.stats["items"]}
    assert all(float(r["facility"]) == items[r["question"]]["facility"] for r in rows)
    for name in ("scores.svg", "misconceptions.svg"):
        assert (graded.plots / name).read_text().startswith("<svg")
    assert BY_ID["syn-not-counted"].title in (graded.plots / "misconceptions.svg").read_text()


def test_feedback_explains_each_mistake(graded):
    folder = graded.root / "grades" / SET_NAME / "feedback"
    assert sorted(p.stem for p in folder.glob("*.md")) == STUDENTS
    for sid in STUDENTS:
        text = (folder / f"{sid}.md").read_text(encoding="utf-8")
        for (q, f), p in graded.planted[sid].items():
            if p.misconception:
                assert BY_ID[p.misconception].explanation in text, (sid, q, f)
        assert sum(line.startswith("## q") for line in text.splitlines()) == 5  # places, as on the handout
        assert not {q for q, _ in graded.planted[sid]} & set(text.replace("`", " ").split())  # no bank id
    assert "could not be read" in (folder / "s199.md").read_text()
    assert "partial credit" in (folder / "s102.md").read_text()  # j = 2: the carried-forward ack


def test_formula_cells_are_neutralised_in_every_csv(graded):
    book = graded.gradebook
    assert book["s007"]["name"] == "'" + SPECIAL_NAMES["s007"]
    assert book["s150"]["name"] == "'@SUM(A1:A9)"
    assert book["s151"]["name"] == "'+1 Plus"
    assert book["s152"]["name"] == "'-1 Minus"
    assert book["s008"]["name"] == "Hopper, Grace"
    for path in [graded.root / "grades" / SET_NAME / "gradebook.csv", graded.root / "keys" / f"{SET_NAME}-key.csv",
                 graded.stats_csv]:
        with path.open(newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row), (path, row)


def test_the_course_secret_never_leaves_its_file(graded, cli):
    secret = graded.root / service.SECRET_FILE
    assert secret.stat().st_mode & 0o777 == 0o600
    export = cli("export", "json", "--out", graded.root / "exports" / "questions.json", "--topic", "handshake",
                 "--db", graded.url)
    assert export.returncode == 0, export.stderr
    needles = [SECRET_HEX.encode(), SECRET_HEX.upper().encode(), bytes.fromhex(SECRET_HEX)]
    scanned = 0
    for path in graded.root.rglob("*"):
        if path.is_file() and path != secret:
            data = path.read_bytes()
            scanned += 1
            assert not any(n in data for n in needles), path
    assert scanned > 400
    assert SECRET_HEX not in json.dumps(graded.stats)
    # nor in the bank
    engine = open_engine(graded.url)
    try:
        with engine.connect() as conn:
            for table in inspect(engine).get_table_names():
                for column in inspect(engine).get_columns(table):
                    if isinstance(column["type"], (String, Text)):
                        hit = conn.execute(sql_text(f'SELECT count(*) FROM "{table}" WHERE "{column["name"]}" LIKE :p'),
                                           {"p": f"%{SECRET_HEX}%"}).scalar()
                        assert hit == 0, (table, column["name"])
    finally:
        engine.dispose()


def test_grading_the_same_files_again_changes_nothing(graded, cli):
    """(Runs last for each backend: it grades the module's course again.)"""
    before = _attempt_rows(graded.url)
    assert len(before[0]) == 1000 and len(before[1]) == 1800
    (wide_run, wide), (long_run, long) = [grade_json(cli, graded.root, graded.url, p, *extra) for p, extra in
                                          ((graded.root / "submissions-wide.csv", ()),
                                           (graded.root / "submissions-long.csv", ("--form", "long")))]
    assert wide_run.returncode == 0 and long_run.returncode == 0
    assert (wide["graded"], wide["unchanged"]) == (0, 500)
    assert (long["graded"], long["unchanged"]) == (0, 500)
    assert (graded.root / "grades" / SET_NAME / "gradebook.csv").read_bytes() == graded.gradebook_bytes
    assert _attempt_rows(graded.url) == before
    regrade = cli("course", "regrade", SET_NAME, "--course", graded.root, "--db", graded.url)
    assert regrade.returncode == 0, regrade.stderr
    assert "0 attempts graded, 1000 unchanged" in regrade.stderr
    assert _attempt_rows(graded.url) == before


def _attempt_rows(url: str):
    engine = open_engine(url)
    try:
        with Session(engine) as session:
            attempts = session.execute(select(m.Attempt.id, m.Attempt.assignment_id, m.Attempt.version_id,
                                              m.Attempt.score, m.Attempt.created_at).order_by(m.Attempt.id)).all()
            fields = session.execute(select(m.AttemptField.id, m.AttemptField.attempt_id, m.AttemptField.verdict,
                                            m.AttemptField.credit).order_by(m.AttemptField.id)).all()
        return [tuple(r) for r in attempts], [tuple(r) for r in fields]
    finally:
        engine.dispose()


# ---------------------------------------------------------------- small courses of their own


def small_course(cli, url: str, root: Path, ids, set_toml: str, set_name: str = "quiz") -> Path:
    assert cli("course", "init", root).returncode == 0
    write_roster(root / "roster.csv", ids)
    (root / "sets" / f"{set_name}.toml").write_text(set_toml, encoding="utf-8")
    run = cli("course", "assign", set_name, "--course", root, "--db", url)
    assert run.returncode == 0, run.stderr
    return root


SMALL_SET = f'title = "Quiz"\n[[pick]]\nquestion = "{Q1}"\npoints = 2\n[[pick]]\nquestion = "{Q3}"\npoints = 1\n'


@pytest.mark.parametrize("kind", BACKENDS)
def test_broken_rows_are_listed_by_line_and_the_good_ones_graded(kind, make_bank, cli, tmp_path):
    url = make_bank(kind)
    root = small_course(cli, url, tmp_path / "c", ["s1", "s2", "s3"], SMALL_SET)
    secret = root / service.SECRET_FILE
    assert secret.is_file() and secret.stat().st_mode & 0o777 == 0o600  # created on first use, owner only
    with (root / "keys" / "quiz-key.csv").open(newline="") as f:
        key = {(r["student"], r["question"], r["field"]): r["expected"] for r in csv.DictReader(f)}
    lines = [
        "student,question,field,answer",                                  # 1
        f"s1,{Q1},seq,{key['s1', Q1, 'seq']}",                            # 2 good
        f"s1,{Q1},ack,{key['s1', Q1, 'ack']}",                            # 3 good
        f"s1,{Q1},ack",                                                   # 4 wrong column count
        f",{Q1},seq,1",                                                   # 5 empty student
        f"zz9,{Q1},seq,1",                                                # 6 unknown student
        "s2,no-such-question,seq,1",                                      # 7 unknown question
        f"s2,{Q1},nofield,1",                                             # 8 unknown field
        f"s2,{Q1},seq,{key['s2', Q1, 'seq']}",                            # 9 good
        f"s2,{Q1},ack,{key['s2', Q1, 'ack']}",                            # 10 good, but answered again below
        f"s2,{Q1},ack,{(int(key['s2', Q1, 'ack']) - 1) % MOD}",           # 11 answered twice: this one counts
        f"s3,{Q3},server_state,{key['s3', Q3, 'server_state']}",          # 12 good
        f"s3,{Q3},client_state,{key['s3', Q3, 'client_state']}",          # 13 good
        f"s3,{Q1},seq,1,extra",                                           # 14 wrong column count
        "",                                                               # 15 blank: skipped
        f"s3,{Q1}, ,1",                                                   # 16 empty field
    ]
    sub = tmp_path / "broken.csv"
    sub.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run, report = grade_json(cli, root, url, sub, set_name="quiz")
    assert run.returncode == 1, run.stderr  # problems: exit 1, but the good rows are graded
    problems = {int(p.split(":")[1]): p.split(":", 2)[2].strip() for p in report["problems"]}
    assert all(p.startswith(f"{sub}:") for p in report["problems"])
    assert sorted(problems) == [4, 5, 6, 7, 8, 11, 14, 16]
    assert report["problem_count"] == 8
    assert "expected 4 columns" in problems[4] and "got 3" in problems[4]
    assert "must not be empty" in problems[5] and "must not be empty" in problems[16]
    assert "unknown student 'zz9'" in problems[6]
    assert "no-such-question" in problems[7]
    assert "no field 'nofield'" in problems[8]
    assert "answered" in problems[11] and "twice" in problems[11]
    assert "got 5" in problems[14]
    assert (report["rows"], report["students"], report["graded"]) == (10, 3, 3)
    _, book = read_gradebook(root, "quiz")
    assert (book["s1"]["total"], book["s1"][Q1], book["s1"][Q3]) == ("2", "2", "0")
    assert (book["s2"]["total"], book["s2"][Q1], book["s2"][Q3]) == ("1", "1", "0")  # the later (wrong) ack counted
    assert (book["s3"]["total"], book["s3"][Q1], book["s3"][Q3]) == ("1", "0", "1")
    # the plain-text report lists the same lines on stderr
    run = cli("course", "grade", "quiz", sub, "--course", root, "--db", url)
    assert run.returncode == 1
    listed = sorted(int(m_.group(1)) for m_ in re.finditer(rf"{re.escape(str(sub))}:(\d+):", run.stderr))
    assert listed == [4, 5, 6, 7, 8, 11, 14, 16]
    assert "0 attempts graded, 3 unchanged, 8 problems" in run.stderr



def test_an_unknown_student_is_reported_at_their_first_line(make_bank, cli, tmp_path):
    url = make_bank("sqlite")
    root = small_course(cli, url, tmp_path / "c", ["s1"], SMALL_SET)
    sub = tmp_path / "sub.csv"
    sub.write_text(f"student,question,field,answer\nzz9,{Q3},server_state,CLOSE-WAIT\nzz9,{Q1},seq,1\n", encoding="utf-8")
    run, report = grade_json(cli, root, url, sub, set_name="quiz")
    assert run.returncode == 1
    lines = sorted(int(p.split(":")[1]) for p in report["problems"])
    assert lines[0] == 2, report["problems"]


@pytest.mark.parametrize("kind", BACKENDS)
def test_after_an_edit_students_keep_their_version_until_regrade_current_versions(kind, make_bank, cli, tmp_path):
    url = make_bank(kind)
    root = small_course(cli, url, tmp_path / "c", [f"s{i}" for i in range(6)], SMALL_SET)
    key_before = read_key_named(root, "quiz")
    with (root / "keys" / "quiz-key.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    sub = tmp_path / "sub.csv"
    with sub.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student", "question", "field", "answer"])
        for r in rows:  # s0 gets the SYN-ACK's ack wrong, everyone else is right
            wrong = r["student"] == "s0" and r["question"] == Q1 and r["field"] == "ack"
            w.writerow([r["student"], r["question"], r["field"],
                        (int(r["expected"]) - 1) % MOD if wrong else r["expected"]])
    run, report = grade_json(cli, root, url, sub, set_name="quiz")
    assert run.returncode == 0 and report["graded"] == 12
    book_before = (root / "grades" / "quiz" / "gradebook.csv").read_bytes()
    old_version = {(r["student"], r["question"]): int(r["version"]) for r in rows}
    old_prompt = (root / "handouts" / "quiz" / "s1.md").read_text()

    # the instructor edits the question's prompt in a copy of the content and rebuilds the bank
    content = tmp_path / "content"
    shutil.copytree(library.CONTENT, content)
    lesson = content / "lessons" / "01-handshake.md"
    text = lesson.read_text(encoding="utf-8")
    old = "Give the seq and ack of the server's SYN+ACK."
    assert text.count(old) == 1
    lesson.write_text(text.replace(old, "Write down the seq and ack numbers of the server's SYN+ACK."), encoding="utf-8")
    build = cli("build", "--replace", "--content", content, "--db", url)
    assert build.returncode == 0, build.stderr
    assert "1 new versions of edited questions" in build.stderr
    engine = open_engine(url)
    try:
        with Session(engine) as session:
            new_version = session.get(m.Question, Q1).current_version_id
    finally:
        engine.dispose()
    assert new_version != old_version["s1", Q1]

    # assigned versions do not move: not on re-assign, not on grading, not on a plain regrade
    again = cli("course", "assign", "quiz", "--course", root, "--db", url)
    assert again.returncode == 0 and "(0 new assignments)" in again.stderr
    assert read_key_named(root, "quiz") == key_before
    assert (root / "handouts" / "quiz" / "s1.md").read_text() == old_prompt
    assert "Write down" not in old_prompt
    run, report = grade_json(cli, root, url, sub, set_name="quiz")
    assert (report["graded"], report["unchanged"]) == (0, 12)
    plain = cli("course", "regrade", "quiz", "--course", root, "--db", url)
    assert plain.returncode == 0 and "0 attempts graded, 12 unchanged" in plain.stderr
    assert _versions(url) == {k: (v, v) for k, v in old_version.items()}

    # a student who joins now gets the current version; the others keep theirs
    write_roster(root / "roster.csv", [f"s{i}" for i in range(7)])
    joined = cli("course", "assign", "quiz", "--course", root, "--db", url)
    assert "(2 new assignments)" in joined.stderr
    versions = _versions(url)
    assert versions["s6", Q1] == (new_version, None)
    assert "Write down" in (root / "handouts" / "quiz" / "s6.md").read_text()

    # on request, everyone moves to the current versions and is re-scored
    moved = cli("course", "regrade", "quiz", "--course", root, "--db", url, "--current-versions")
    assert moved.returncode == 0, moved.stderr
    assert "6 attempts graded, 6 unchanged" in moved.stderr  # the six Q1 attempts changed version
    versions = _versions(url)
    for i in range(6):
        assert versions[f"s{i}", Q1] == (new_version, new_version)
        assert versions[f"s{i}", Q3] == (old_version[f"s{i}", Q3],) * 2
    _, book = read_gradebook(root, "quiz")
    # a prompt edit changes no number: the scores are the same as before
    _, book0 = _parse_gradebook(book_before)
    assert {s: book[s]["total"] for s in book0} == {s: book0[s]["total"] for s in book0}
    assert book["s0"]["total"] == "2"  # 0.5 * 2 + 1


def read_key_named(root: Path, set_name: str) -> bytes:
    return (root / "keys" / f"{set_name}-key.csv").read_bytes()


def _parse_gradebook(data: bytes):
    reader = csv.DictReader(data.decode().splitlines())
    rows = list(reader)
    return reader.fieldnames, {r["student"]: r for r in rows}


def _versions(url: str) -> dict[tuple[str, str], tuple[int, int | None]]:
    """(roster id, question) -> (assignment's version, its attempt's version or None)."""
    engine = open_engine(url)
    try:
        with Session(engine) as session:
            rows = session.execute(
                select(m.CourseMember.roster_id, m.Assignment.question_id, m.Assignment.version_id, m.Attempt.version_id)
                .join(m.Assignment, m.Assignment.member_id == m.CourseMember.id)
                .outerjoin(m.Attempt, m.Attempt.assignment_id == m.Assignment.id)).all()
        return {(r[0], r[1]): (r[2], r[3]) for r in rows}
    finally:
        engine.dispose()


# ---------------------------------------------------------------- memory

MEMORY_QUESTIONS = ["sa-half-open-forgotten", "rt-lost-synack", "rs-reconnect-after-crash", "rs-challenge-ack", Q1, Q3]


def _grading_peak(url: str, root: Path, students: int) -> tuple[int, int]:
    """Assign `students` × 20 fields, then grade the key's answers in the long form under
    tracemalloc: (rows graded, peak bytes of the grading call)."""
    course = service.init_course(root)
    write_roster(course.roster, [f"s{i:05d}" for i in range(students)])
    course.set_file("mem").write_text(
        "".join(f'[[pick]]\nquestion = "{q}"\npoints = 1\n' for q in MEMORY_QUESTIONS), encoding="utf-8")
    engine = open_engine(url)
    try:
        service.assign(engine, course, "mem")
        sub = root / "sub.csv"
        with (root / "keys" / "mem-key.csv").open(newline="") as f, sub.open("w", newline="") as g:
            w = csv.writer(g)
            w.writerow(["student", "question", "field", "answer"])
            for r in csv.DictReader(f):
                w.writerow([r["student"], r["question"], r["field"], r["expected"]])
        tracemalloc.start()
        try:
            report = service.grade_submissions(engine, course, "mem", sub)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert report.problem_count == 0 and report.graded == students * len(MEMORY_QUESTIONS)
        return report.rows, peak
    finally:
        engine.dispose()



def test_grading_memory_stays_flat(make_bank, tmp_path):
    """20,000 rows need no more than 3x the memory of 2,000 (a memory ratio, not a timing)."""
    url = make_bank("sqlite")
    small_rows, small = _grading_peak(url, tmp_path / "small", 100)
    large_rows, large = _grading_peak(url, tmp_path / "large", 1000)
    assert (small_rows, large_rows) == (2_000, 20_000)
    assert large < 3 * small, f"peak {small / 1e6:.1f} MB for 2,000 rows, {large / 1e6:.1f} MB for 20,000"
