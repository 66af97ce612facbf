"""Per-student option order and places (issue 16): in a course set, choice options are shown
in each student's own order (from their HMAC seed), handouts name questions q1..qN and never
by bank id, and grading accepts answers by place and in the student's own letters."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from tcptutor.course import placement, service
from tcptutor.questions.model import Option, Question
from tcptutor.questions.variants import Expected, Variant

SINGLE, MULTIPLE, PREDICT = "tw-reuseaddr", "tw-why", "hs-synack-numbers"
STUDENTS = [f"s{i:03d}" for i in range(40)]
SET = (f'title = "Choices"\n[[pick]]\nquestion = "{PREDICT}"\npoints = 2\n'
       f'[[pick]]\nquestion = "{SINGLE}"\npoints = 1\n[[pick]]\nquestion = "{MULTIPLE}"\npoints = 1\n')


# ---------------------------------------------------------------- pure


def test_places_read_and_write():
    assert [placement.place_of(i) for i in range(3)] == ["q1", "q2", "q3"]
    assert [placement.question_for_place(x) for x in ("1", "q1", "Q12", " q2 ")] == [0, 0, 11, 1]
    assert [placement.question_for_place(x) for x in ("q0", "0", "hs-synack-numbers", "q", "q1.seq", "")] == [None] * 6


def test_permutations_differ_between_seeds_and_are_stable():
    perms = [placement.option_permutation(seed, 4) for seed in range(200)]
    assert all(sorted(p) == [0, 1, 2, 3] for p in perms)
    assert len(set(perms)) == 24  # every order of four options occurs
    assert perms == [placement.option_permutation(seed, 4) for seed in range(200)]


def test_canonical_and_shown_letters_are_inverse():
    perm = (2, 0, 3, 1)  # shown A is canonical C, shown B is canonical A, ...
    assert placement.canonical_choice("A", perm) == "C"
    assert placement.canonical_choice("b, d", perm) == "AB"
    assert placement.canonical_choice("1 3", perm) == "CD"
    assert placement.shown_choice("C", perm) == "A"
    for letters in ("A", "B", "AC", "BCD", "ABCD"):
        assert placement.canonical_choice(placement.shown_choice(letters, perm), perm) == letters
    assert placement.canonical_choice("banana", perm) == "banana"  # left for the grader to explain


def _choice_variant(seed: int) -> Variant:
    options = tuple(Option(f"option {i}", i == 2, f"feedback {i}") for i in range(4))
    q = Question(id="x", kind="single", topics=("t",), difficulty=1, prompt="?", options=options, explanation="",
                 path="x.md", line=1)
    return Variant(q, seed, {}, "?", {"answer": Expected("answer", "single", "C", "the letter")})


def test_as_shown_moves_the_right_option_and_its_letter_together():
    for seed in range(50):
        shown = placement.as_shown(_choice_variant(seed))
        letter = shown.expected["answer"].value
        assert shown.question.options["ABCD".index(letter)].correct
        assert sorted(o.text for o in shown.question.options) == [f"option {i}" for i in range(4)]


# ---------------------------------------------------------------- a course


@pytest.fixture(scope="module")
def course(make_bank, cli, tmp_path_factory):
    url = make_bank("sqlite")
    root = tmp_path_factory.mktemp("placement") / "net101"
    assert cli("course", "init", root).returncode == 0
    with (root / "roster.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "email"])
        w.writerows([s, f"Student {s}", f"{s}@example.edu"] for s in STUDENTS)
    (root / "sets" / "choices.toml").write_text(SET, encoding="utf-8")
    run = cli("course", "assign", "choices", "--course", root, "--db", url)
    assert run.returncode == 0, run.stderr
    with (root / "keys" / "choices-key.csv").open(newline="", encoding="utf-8") as f:
        key = {(r["student"], r["question"], r["field"]): r for r in csv.DictReader(f)}
    return root, url, key


def bank_letter(cli, url: str, qid: str) -> str:
    run = cli("quiz", "key", qid, "--json", "--db", url)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)["fields"]["answer"]


def test_two_students_see_different_option_orders(course):
    root, _, _ = course
    orders = set()
    for sid in STUDENTS:
        md = (root / "handouts" / "choices" / f"{sid}.md").read_text(encoding="utf-8")
        section = md.split("## q2", 1)[1].split("## q3", 1)[0]
        orders.add(tuple(re.findall(r"^  [A-D]\. (.*)$", section, re.M)))
    assert len(orders) >= 10  # 40 students, 24 possible orders of four options


def test_quiz_key_no_longer_reveals_the_letter_a_student_sees(course, cli):
    root, url, key = course
    canonical = bank_letter(cli, url, SINGLE)
    same = [sid for sid in STUDENTS if key[sid, SINGLE, "answer"]["expected"] == canonical]
    assert len(same) < len(STUDENTS) / 2, same
    # and each student's key letter names the right option on their own sheet
    for sid in STUDENTS:
        md = (root / "handouts" / "choices" / f"{sid}.md").read_text(encoding="utf-8")
        section = md.split("## q2", 1)[1].split("## q3", 1)[0]
        letter = key[sid, SINGLE, "answer"]["expected"]
        text = re.search(rf"^  {letter}\. (.*)$", section, re.M).group(1)
        assert text.startswith("It lets the new listening socket bind the port")


def test_the_handout_shows_no_bank_id_and_the_key_maps_places(course):
    root, _, key = course
    for sid in STUDENTS[:5]:
        for suffix in (".md", ".html"):
            sheet = (root / "handouts" / "choices" / f"{sid}{suffix}").read_text(encoding="utf-8")
            for qid in (PREDICT, SINGLE, MULTIPLE):
                assert qid not in sheet, (sid, suffix, qid)
            assert "q1.seq" in sheet and "q2.answer" in sheet
    assert {key[s, q, f]["place"] for (s, q, f) in key if q == SINGLE} == {"q2"}
    assert {key[s, q, f]["place"] for (s, q, f) in key if q == PREDICT} == {"q1"}


def test_students_answering_their_own_letters_by_place_get_full_credit(course, cli, tmp_path):
    root, url, key = course
    wide = tmp_path / "wide.csv"
    with wide.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student", "q1.seq", "q1.ack", "q2.answer", "q3.answer"])
        for sid in STUDENTS[:20]:
            w.writerow([sid] + [key[sid, q, fl]["expected"] for q, fl in
                                ((PREDICT, "seq"), (PREDICT, "ack"), (SINGLE, "answer"), (MULTIPLE, "answer"))])
    long = tmp_path / "long.csv"
    with long.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student", "question", "field", "answer"])
        for sid in STUDENTS[20:]:
            w.writerow([sid, "1", "seq", key[sid, PREDICT, "seq"]["expected"]])
            w.writerow([sid, "q1", "ack", key[sid, PREDICT, "ack"]["expected"]])
            w.writerow([sid, "q2", "answer", key[sid, SINGLE, "answer"]["expected"].lower()])
            w.writerow([sid, MULTIPLE, "answer", ",".join(key[sid, MULTIPLE, "answer"]["expected"])])  # bank id works too
    for path in (wide, long):
        run = cli("course", "grade", "choices", path, "--course", root, "--db", url, "--json")
        assert run.returncode == 0, run.stderr
        assert json.loads(run.stdout)["problem_count"] == 0
    with (root / "grades" / "choices" / "gradebook.csv").open(newline="", encoding="utf-8") as f:
        book = {r["student"]: r for r in csv.DictReader(f)}
    assert {sid: book[sid]["percent"] for sid in STUDENTS} == {sid: "100.0" for sid in STUDENTS}
    # regrading re-reads the stored answers in the same lettering: nothing changes
    regrade = cli("course", "regrade", "choices", "--course", root, "--db", url)
    assert regrade.returncode == 0 and "0 attempts graded" in regrade.stderr, regrade.stderr


def test_the_bank_letter_scores_only_where_it_is_the_students_letter(course, cli, tmp_path):
    root, url, key = course
    canonical = bank_letter(cli, url, SINGLE)
    answers = tmp_path / "bank-letter.csv"
    answers.write_text("student,question,field,answer\n" + "".join(f"{s},q2,answer,{canonical}\n" for s in STUDENTS),
                       encoding="utf-8")
    copy = root.parent / "copy-of-course"
    import shutil

    shutil.copytree(root, copy)
    run = cli("course", "grade", "choices", answers, "--course", copy, "--db", url)
    assert run.returncode == 0, run.stderr
    with (copy / "grades" / "choices" / "gradebook.csv").open(newline="", encoding="utf-8") as f:
        book = {r["student"]: r for r in csv.DictReader(f)}
    for sid in STUDENTS:
        assert book[sid][SINGLE] == ("1" if key[sid, SINGLE, "answer"]["expected"] == canonical else "0"), sid


# ---------------------------------------------------------------- raw HTML in lesson text


def test_handouts_show_html_in_lesson_text_as_text(tmp_path):
    from types import SimpleNamespace

    from tcptutor.course.files import SetSpec

    options = (Option("<img src=x onerror=alert(1)>", True, "f"), Option("plain & simple", False, "f"))
    q = Question(id="x", kind="single", topics=("t",), difficulty=1, prompt="p", options=options, explanation="",
                 path="x.md", line=1)
    v = Variant(q, 1, {}, "What does <script>alert(1)</script> do?", {"answer": Expected("answer", "single", "A", "<b>letter</b>")})
    a = SimpleNamespace(points=1.0, position=0)
    member = SimpleNamespace(name="<i>Eve</i>", roster_id="s001")
    course = SimpleNamespace(name="Net <u>101</u>")
    md, page = service._handout(course, SetSpec("quiz", "<h1>Quiz</h1>", True), member, [(a, v)])
    for sheet in (md, page):
        for raw in ("<script>", "<img", "<i>Eve", "<u>101", "<b>letter", "<h1>Quiz"):
            assert raw not in sheet, (raw, sheet)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md and "&lt;img src=x onerror=alert(1)&gt;" in md
    assert "plain &amp; simple" in md
