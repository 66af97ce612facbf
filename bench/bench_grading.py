"""How fast `tcptutor course grade` is, against `sqlite3 .import` of the same CSV, and how its
memory grows with the class.

    python bench/bench_grading.py                      # 1,000 x 50 and 10,000 x 20, practice
    python bench/bench_grading.py --full               # also 100,000 x 20 (2,000,000 answers)
    python bench/bench_grading.py --quick              # 200 x 50 and 5,000 x 20
    python bench/bench_grading.py --sizes 1000x50,10000x20,20000x20
    python bench/bench_grading.py --profile-only       # just the cProfile of the smallest size

For each size STUDENTSxFIELDS, on a fresh copy of a bank built from the shipped lessons:
  1. `tcptutor course assign` (a child process: wall, CPU and peak RSS), which also writes
     the handouts and the key; reported on its own line, it is not part of the grading figure;
  2. a long-form submissions CSV made from the key (one answer in 5 of the seq/ack numbers
     is off by one, so the misconception detectors run too);
  3. BASELINE: the `sqlite3` command-line shell importing that same CSV into a table of a
     new database (`sqlite3 DB ".import --csv FILE t"`), best of 3;
  4. `tcptutor course grade` (a child process: wall, CPU and peak RSS via os.wait4), checked:
     exit 0, every attempt graded;
  5. the same `course grade` of the same file again, checked: every attempt unchanged; printed
     as a ratio to the first run.
It prints grade time / import time (wall and CPU), and the peak RSS of the largest run as a
ratio to the smallest; assign's cost per 1,000 students at each size (linear: the same).
Then practice: the next question for a student with 1,000 past attempts, against a plain
sqlite3 query of those attempts and their fields (Python's sqlite3 module, fetchall). When several sizes share a field count, a least-squares line through
them extrapolates to 100,000 students (for when the full run is too long to wait for).
Finally the smallest size is graded once more in-process under cProfile (top functions).
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import json
import os
import pstats
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout

DEFAULT = [(1_000, 50), (10_000, 20)]
FULL = [(1_000, 50), (10_000, 20), (100_000, 20)]
QUICK = [(200, 50), (5_000, 20)]
SECRET = "be7c" * 16  # fixed: the same variants on every run
MOD = 2**32


@dataclass
class Child:
    wall: float
    cpu: float
    maxrss_mb: float
    code: int
    stdout: str
    stderr: str


def run_child(cmd: list[str], workdir: Path) -> Child:
    """Run cmd to completion; its wall time, CPU time and peak RSS (os.wait4 on that child)."""
    out, err = workdir / "child.out", workdir / "child.err"
    with out.open("wb") as fo, err.open("wb") as fe:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=fo, stderr=fe)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4, not by Popen
    return Child(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode,
                 out.read_text(errors="replace"), err.read_text(errors="replace"))


def tcptutor() -> list[str]:
    exe = shutil.which("tcptutor")
    return [exe] if exe else [sys.executable, "-m", "tcptutor"]


def copy_bank(src: Path, dst: Path) -> None:
    a, b = sqlite3.connect(src), sqlite3.connect(dst)
    a.backup(b)
    a.close()
    b.close()


def pick_questions(bank: Path, fields: int) -> list[tuple[str, int]]:
    """Predict questions whose fields add up to exactly `fields`: most fields first, then by id."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from tcptutor.bank import models as m
    from tcptutor.bank.db import open_engine

    engine = open_engine(f"sqlite:///{bank}")
    with Session(engine) as session:
        pool = sorted(((len(q.current.spec["asks"]), q.id) for q in session.scalars(select(m.Question).where(m.Question.active))
                       if q.current.kind == "predict" and q.current.spec["asks"]), key=lambda x: (-x[0], x[1]))
    engine.dispose()
    chosen, left = [], fields
    for n, qid in pool:
        if n <= left:
            chosen.append((qid, n))
            left -= n
        if left == 0:
            return chosen
    raise SystemExit(f"the bank's predict questions have fewer than {fields} fields in all")


def make_course(folder: Path, students: int, questions: list[tuple[str, int]]) -> None:
    (folder / "sets").mkdir(parents=True)
    (folder / "course.toml").write_text('id = "bench"\nname = "Grading bench"\n')
    with (folder / "roster.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "email"])
        for i in range(students):
            w.writerow([f"s{i:06d}", f"Student {i}", f"s{i:06d}@example.edu"])
    (folder / "sets" / "bench.toml").write_text(
        'title = "Bench"\n' + "".join(f'\n[[pick]]\nquestion = "{q}"\npoints = 1\n' for q, _ in questions))
    secret = folder / ".tcptutor-secret"
    secret.write_text(SECRET + "\n")
    secret.chmod(0o600)


def write_submissions(key: Path, out: Path) -> int:
    """The key's answers in the long form; every 5th seq/ack-like number is off by one."""
    rows = 0
    with key.open(newline="") as f, out.open("w", newline="") as g:
        reader, w = csv.DictReader(f), csv.writer(g)
        w.writerow(["student", "question", "field", "answer"])
        for r in reader:
            answer = r["expected"]
            if answer.isdigit() and len(answer) > 4 and rows % 5 == 0:
                answer = str((int(answer) + 1) % MOD)
            w.writerow([r["student"], r["question"], r["field"], answer])
            rows += 1
    return rows


def sqlite_import(csv_path: Path, workdir: Path, repeats: int) -> Child:
    best = None
    for i in range(repeats):
        db = workdir / f"import{i}.sqlite"
        db.unlink(missing_ok=True)
        child = run_child(["sqlite3", str(db), ".import --csv " + str(csv_path) + " t"], workdir)
        if child.code != 0:
            raise SystemExit(f"sqlite3 .import failed: {child.stderr}")
        check = sqlite3.connect(db)
        count = check.execute("SELECT count(*) FROM t").fetchone()[0]
        check.close()
        db.unlink()
        child.stdout = str(count)
        if best is None or child.wall < best.wall:
            best = child
    return best


@dataclass
class Result:
    students: int
    fields: int
    answers: int
    assign: Child
    grade: Child
    baseline: Child
    again: Child


def run_size(template: Path, work: Path, students: int, fields: int) -> Result:
    folder = work / f"{students}x{fields}"
    folder.mkdir()
    bank = folder / "bank.sqlite"
    copy_bank(template, bank)
    questions = pick_questions(bank, fields)
    course = folder / "course"
    make_course(course, students, questions)
    url = f"sqlite:///{bank}"
    assign = run_child([*tcptutor(), "course", "assign", "bench", "--course", str(course), "--db", url], folder)
    if assign.code != 0:
        raise SystemExit(f"course assign failed ({assign.code}): {assign.stderr[-2000:]}")
    print(f"  assign {students:,} students x {len(questions)} questions: {assign.wall:.1f} s wall, "
          f"{assign.cpu:.1f} s CPU, peak RSS {assign.maxrss_mb:.0f} MB", flush=True)
    sub = folder / "submissions.csv"
    answers = write_submissions(course / "keys" / "bench-key.csv", sub)
    assert answers == students * fields, (answers, students, fields)
    baseline = sqlite_import(sub, folder, repeats=3)
    assert int(baseline.stdout) == answers
    grade = run_child([*tcptutor(), "course", "grade", "bench", str(sub), "--course", str(course), "--db", url, "--json"],
                      folder)
    if grade.code != 0:
        raise SystemExit(f"course grade failed ({grade.code}): {grade.stderr[-2000:]}")
    report = json.loads(grade.stdout)
    assert report["rows"] == answers and report["graded"] == students * len(questions), report
    again = run_child([*tcptutor(), "course", "grade", "bench", str(sub), "--course", str(course), "--db", url, "--json"],
                      folder)
    if again.code != 0:
        raise SystemExit(f"course grade (again) failed ({again.code}): {again.stderr[-2000:]}")
    second = json.loads(again.stdout)
    assert second["rows"] == answers and second["graded"] == 0 and second["unchanged"] == report["graded"], second
    shutil.rmtree(course / "handouts", ignore_errors=True)  # thousands of files: keep the temp folder small
    shutil.rmtree(course / "grades" / "bench" / "feedback", ignore_errors=True)
    return Result(students, fields, answers, assign, grade, baseline, again)


def show(r: Result) -> None:
    g, b = r.grade, r.baseline
    print(f"{r.students:,} x {r.fields} = {r.answers:,} answers: grade {g.wall:.1f} s wall ({g.cpu:.1f} s CPU), "
          f"sqlite3 .import {b.wall:.3f} s wall ({b.cpu:.3f} s CPU); ratio {g.wall / b.wall:,.0f}x wall, "
          f"{g.cpu / max(b.cpu, 1e-3):,.0f}x CPU; {r.answers / g.wall:,.0f} answers/s; "
          f"peak RSS {g.maxrss_mb:.0f} MB (sqlite3 {b.maxrss_mb:.0f} MB)", flush=True)
    print(f"  the same file again: {r.again.wall:.2f} s wall ({r.again.cpu:.2f} s CPU) = {r.again.wall / g.wall:.3f}x "
          f"the first run's wall, {r.again.cpu / max(g.cpu, 1e-3):.3f}x its CPU (start-up included); "
          f"assign {r.assign.wall:.1f} s = {1000 * r.assign.wall / r.students:.2f} s per 1,000 students, "
          f"peak RSS {r.assign.maxrss_mb:.0f} MB", flush=True)


def extrapolate(results: list[Result], target: int = 100_000) -> None:
    by_fields: dict[int, list[Result]] = {}
    for r in results:
        by_fields.setdefault(r.fields, []).append(r)
    for fields, rs in sorted(by_fields.items()):
        if len(rs) < 2 or any(r.students == target for r in rs):
            continue
        xs = [r.students for r in rs]
        for name, ys, unit in (("assign wall", [r.assign.wall for r in rs], "s"),
                               ("grade wall", [r.grade.wall for r in rs], "s"),
                               ("grade CPU", [r.grade.cpu for r in rs], "s"),
                               ("grade peak RSS", [r.grade.maxrss_mb for r in rs], "MB")):
            n = len(xs)
            mx, my = sum(xs) / n, sum(ys) / n
            sxx = sum((x - mx) ** 2 for x in xs)
            slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0
            value = my + slope * (target - mx)
            print(f"  extrapolated to {target:,} x {fields} (line through {', '.join(f'{x:,}' for x in xs)} students): "
                  f"{name} ~ {value:,.0f} {unit} ({slope * 1000:.2f} {unit} per 1,000 students)")


def profile(template: Path, work: Path, students: int, fields: int, top: int) -> None:
    """Grade the smallest size in-process under cProfile (assign is done first, unprofiled)."""
    from tcptutor.bank.db import open_engine
    from tcptutor.course import service

    folder = work / f"profile-{students}x{fields}"
    folder.mkdir()
    bank = folder / "bank.sqlite"
    copy_bank(template, bank)
    course_dir = folder / "course"
    make_course(course_dir, students, pick_questions(bank, fields))
    engine = open_engine(f"sqlite:///{bank}")
    course = service.open_course(course_dir)
    service.assign(engine, course, "bench")
    sub = folder / "submissions.csv"
    write_submissions(course_dir / "keys" / "bench-key.csv", sub)
    profiler = cProfile.Profile()
    start = time.perf_counter()
    report = profiler.runcall(service.grade_submissions, engine, course, "bench", sub)
    print(f"\ncProfile of grade_submissions, {students:,} x {fields} ({report.rows:,} answers), "
          f"{time.perf_counter() - start:.1f} s under the profiler")
    for key in ("tottime", "cumulative"):
        buf = io.StringIO()
        pstats.Stats(profiler, stream=buf).strip_dirs().sort_stats(key).print_stats(top)
        text = buf.getvalue()
        print(f"--- top {top} by {key} ---")
        print(text[text.find("   ncalls"):].rstrip())
    engine.dispose()


def practice(template: Path, work: Path, past: int, repeats: int = 7) -> None:
    """The next practice question for a student with `past` attempts (history, scheduler and
    the new variant), best of `repeats`, against the bare query of those attempts and their
    fields with Python's sqlite3 module."""
    import random
    from datetime import datetime, timedelta

    from tcptutor.bank import attempts
    from tcptutor.bank.db import open_engine
    from tcptutor.practice.session import PracticeSession

    folder = work / "practice"
    folder.mkdir()
    bank = folder / "bank.sqlite"
    copy_bank(template, bank)
    engine = open_engine(f"sqlite:///{bank}")
    session = PracticeSession.start(engine, "bench", random.Random(1))
    start = datetime(2026, 1, 1)
    for i in range(past):  # one question after another, each answered "1" (mostly wrong)
        posed = session.next_question(start + timedelta(minutes=i))
        session.answer(posed, {name: "1" for name in posed.variant.expected}, start + timedelta(minutes=i))
    now = start + timedelta(days=30)

    def best(run) -> float:
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            run()
            times.append(time.perf_counter() - t)
        return min(times)

    nxt = best(lambda: session.next_question(now))
    hist = best(lambda: attempts.history(engine, session.student_id))
    con = sqlite3.connect(bank)
    query = ("SELECT a.id, a.question_id, a.created_at, f.credit, f.verdict, f.misconception FROM attempts a "
             "LEFT JOIN attempt_fields f ON f.attempt_id = a.id WHERE a.student_id = ? ORDER BY a.created_at, a.id")
    base = best(lambda: con.execute(query, (session.student_id,)).fetchall())
    con.close()
    engine.dispose()
    print(f"\npractice, next question after {past:,} past attempts: {1000 * nxt:.1f} ms (history alone "
          f"{1000 * hist:.1f} ms); plain sqlite3 query of them {1000 * base:.2f} ms; ratio {nxt / base:.0f}x "
          f"(history {hist / base:.0f}x)", flush=True)


def parse_sizes(text: str) -> list[tuple[int, int]]:
    out = []
    for part in text.split(","):
        s, f = part.lower().split("x")
        out.append((int(s.replace("_", "")), int(f)))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="200 x 50 and 5,000 x 20")
    ap.add_argument("--full", action="store_true", help="1,000 x 50, 10,000 x 20 and 100,000 x 20 (2,000,000 answers)")
    ap.add_argument("--attempts", type=int, default=1000, help="past attempts before the practice question (0: skip)")
    ap.add_argument("--sizes", type=parse_sizes, help="comma-separated STUDENTSxFIELDS, e.g. 1000x50,10000x20")
    ap.add_argument("--profile-top", type=int, default=25, help="rows of the cProfile tables (0: no profile)")
    ap.add_argument("--profile-only", action="store_true", help="only the cProfile of the smallest size")
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = ap.parse_args(argv)
    sizes = args.sizes or (QUICK if args.quick else FULL if args.full else DEFAULT)
    if not shutil.which("sqlite3"):
        print("the sqlite3 command-line shell is needed for the baseline: apt-get install sqlite3", file=sys.stderr)
        return 2

    work = args.keep or Path(tempfile.mkdtemp(prefix="tcptutor-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        version = subprocess.run(["sqlite3", "--version"], capture_output=True, text=True, check=False).stdout.split()[0]
        print(f"Python {sys.version.split()[0]}, sqlite3 shell {version}, {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.1f}; work folder {work}")
        template = work / "template.sqlite"
        built = run_child([*tcptutor(), "build", "--db", f"sqlite:///{template}"], work)
        if built.code != 0:
            raise SystemExit(f"build failed: {built.stderr}")
        print(f"bank built from the shipped lessons in {built.wall:.1f} s (not counted)", flush=True)
        smallest = min(sizes, key=lambda s: s[0] * s[1])
        results = []
        if not args.profile_only:
            for students, fields in sizes:
                print(f"\n{students:,} students x {fields} fields:", flush=True)
                results.append(run_size(template, work, students, fields))
                show(results[-1])
            print("\nsummary:")
            for r in results:
                show(r)
            lo = min(results, key=lambda r: r.answers)
            hi = max(results, key=lambda r: r.answers)
            if hi is not lo:
                print(f"peak RSS of grading, {hi.answers:,} answers vs {lo.answers:,}: {hi.grade.maxrss_mb:.0f} MB / "
                      f"{lo.grade.maxrss_mb:.0f} MB = {hi.grade.maxrss_mb / lo.grade.maxrss_mb:.2f}x "
                      f"({hi.answers / lo.answers:.0f}x the answers, {hi.students / lo.students:.0f}x the students)")
            extrapolate(results)
            if args.attempts:
                practice(template, work, args.attempts)
        if args.profile_top:
            profile(template, work, *smallest, args.profile_top)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
