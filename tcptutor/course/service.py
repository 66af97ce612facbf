"""Course workflows over a course folder and the bank: assign, grade, regrade, stats.

A course folder holds course.toml, roster.csv, sets/*.toml and the course secret (created
on first use, never exported). What tcptutor writes goes to handouts/, keys/ and grades/.
"""

from __future__ import annotations

import csv
import html
import random
import re
import secrets
import shutil
import sqlite3
import tempfile
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from .. import i18n
from ..bank import models as m
from ..bank.queries import from_version, localized_with, translations
from ..grading.grader import Grade, grade as grade_variant, show
from ..grading.textsafe import ECHO_LIMIT, markdown_inline
from ..i18n import N_, _, ngettext
from ..library import simulator_version
from ..problems import ContentError, Problem
from ..questions.variants import Variant, make_variant
from . import again, bulk, placement, pool
from . import keys as answer_keys
from . import stats as statistics
from .csvread import ENCODING_NOTES, open_lines
from .csvsafe import safe_row
from .files import (COURSE_ID, ROSTER_ID, CourseDir, CourseError, SetSpec, atomic_file, checked_name, open_course,
                    read_roster, read_set, toml_string, write_private, write_public)
from .report import GradeReport
from .seeds import set_seed, variant_seed
from .submissions import read_submissions

SECRET_FILE = ".tcptutor-secret"
SECRET_BYTES = 32
SHUFFLE_KEY = "shuffle_options"  # in AssessmentSet.spec: options are shown in a per-student order
BATCH = 500  # students graded per transaction
PREFETCH = 100  # students whose rows are read and written together: memory stays flat
KEY_BATCH = 5000  # stored keys written per transaction by assign
REGRADE_BATCH = 1000  # attempts re-scored per transaction; an interrupted regrade is finished by running it again


def student_file(folder: Path, roster_id: str, suffix: str) -> Path:
    """`folder/STUDENT.suffix`, the student id checked first (the roster's rule allows @)."""
    return folder / f"{checked_name('student id', roster_id, ROSTER_ID)}{suffix}"


def init_course(root: Path, course_id: str | None = None, name: str | None = None) -> CourseDir:
    """Create a course folder with a sample roster and set, so a newcomer sees the format.
    course.toml is written with proper TOML escaping; on any failure, what this call
    created is removed again (a folder that existed before is kept)."""
    created: list[Path] = []
    top = None  # the outermost folder this call creates
    probe = root.absolute()
    while not probe.exists():
        top, probe = probe, probe.parent
    try:
        root.mkdir(parents=True, exist_ok=True)
        cid = course_id or re.sub(r"[^a-z0-9-]+", "-", root.resolve().name.lower()).strip("-") or "course"
        checked_name("course id", cid, COURSE_ID)
        config = root / "course.toml"
        if not config.exists():
            created.append(config)
            config.write_text(f"id = {toml_string(cid)}\nname = {toml_string(name or cid)}\n", encoding="utf-8")
        if not (root / "roster.csv").exists():
            created.append(root / "roster.csv")
            (root / "roster.csv").write_text("id,name,email\ns001,Ada Example,ada@example.edu\n", encoding="utf-8")
        if not (root / "sets").exists():
            created.append(root / "sets")
            (root / "sets").mkdir()
        sample = root / "sets" / "quiz1.toml"
        if not sample.exists():
            created.append(sample)
            sample.write_text(
                'title = "Quiz 1: the handshake and the teardown"\ncarry_forward = true\n\n'
                '[[pick]]\nquestion = "hs-synack-numbers"\npoints = 2\n\n'
                '[[pick]]\ntopic = "teardown"\nkind = "predict"\ncount = 2\npoints = 1\n',
                encoding="utf-8",
            )
        course = open_course(root)
        if not (root / SECRET_FILE).exists():
            created.append(root / SECRET_FILE)
        course_secret(course, create=True)
        return course
    except BaseException as err:
        if top is not None:
            shutil.rmtree(top, ignore_errors=True)
        else:
            for path in reversed(created):
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
        if isinstance(err, (OSError, UnicodeError)):
            raise CourseError(f"{root}: cannot create the course: {err}") from None
        raise


def course_secret(course: CourseDir, *, create: bool = False) -> bytes:
    """The HMAC key behind every student's numbers: 32 random bytes, stored as 64 hex digits
    in a 0600 file. Created (atomically: temp file, fsync, rename) only when `create` (by
    init and assign) and missing. An empty or corrupt file is refused, never replaced: every
    assigned seed depends on it, and an empty key would let anyone compute a classmate's
    seed from the ids on a handout. A file others can read is refused too."""
    path = course.root / SECRET_FILE
    if not path.exists():
        if not create:
            raise CourseError(f"{path}: missing: the course secret is created by `tcptutor course assign`; "
                              "if sets were assigned before, restore it from a backup (all seeds depend on it)")
        try:
            with atomic_file(path, durable=True, exclusive=True) as f:
                f.write(secrets.token_hex(SECRET_BYTES) + "\n")
        except FileExistsError:
            pass  # another run created it a moment ago: use theirs
    restore = ("restore it from a backup (all seeds depend on it); if nothing was assigned yet, delete it and "
               "run `tcptutor course assign` again to create a new one")
    try:
        raw = path.read_bytes()
        mode = path.stat().st_mode
    except OSError as err:
        raise CourseError(f"{path}: cannot read the course secret: {err.strerror or err}") from None
    if not raw.strip():
        raise CourseError(f"{path} is empty: {restore}")
    text = raw.strip()
    if len(text) != 2 * SECRET_BYTES or not re.fullmatch(rb"[0-9a-fA-F]+", text):
        raise CourseError(f"{path} is corrupt (expected {2 * SECRET_BYTES} hex digits): {restore}")
    if mode & 0o077:
        raise CourseError(f"{path} is readable or writable by others (mode {mode & 0o777:04o}): "
                          f"run `chmod 600 {path}` (and consider it leaked if others could read it)")
    return bytes.fromhex(text.decode("ascii"))


# ---------------------------------------------------------------- roster and sets


@dataclass
class RosterReport:
    members: int = 0
    problems: list[Problem] = field(default_factory=list)


def sync_roster(engine: Engine, course: CourseDir) -> RosterReport:
    """Upsert the course and its roster; rows with problems are reported, the rest kept."""
    try:
        with open_lines(course.roster) as (lines, _encoding):  # BOMs, UTF-16, GBK, Windows-1252
            members, problems = read_roster(lines, str(course.roster))
    except OSError as err:
        raise CourseError(f"{course.roster}: cannot read the roster: {err}") from None
    with Session(engine) as session, session.begin():
        row = session.get(m.Course, course.id)
        if row is None:
            session.add(m.Course(id=course.id, name=course.name))
        elif row.name != course.name:
            row.name = course.name
        session.flush()
        existing = {mem.roster_id: mem for mem in session.scalars(select(m.CourseMember).where(m.CourseMember.course_id == course.id))}
        names = {s.name: s.id for s in session.scalars(
            select(m.Student).where(m.Student.name.in_([_student_name(course, x.roster_id) for x in members])))}
        for member in members:
            row = existing.pop(member.roster_id, None)
            if row is None:
                sid = names.get(_student_name(course, member.roster_id))
                if sid is None:
                    student = m.Student(name=_student_name(course, member.roster_id))
                    session.add(student)
                    session.flush()
                    sid = student.id
                session.add(m.CourseMember(course_id=course.id, roster_id=member.roster_id, name=member.name,
                                           email=member.email, student_id=sid, active=True, lang=member.lang))
            else:
                for key, value in (("name", member.name), ("email", member.email), ("active", True),
                                   ("lang", member.lang)):
                    if getattr(row, key) != value:
                        setattr(row, key, value)
        for row in existing.values():  # left the roster: kept, with their history, but inactive
            if row.active:
                row.active = False
    return RosterReport(len(members), problems)


def _student_name(course: CourseDir, roster_id: str) -> str:
    return f"{course.id}/{roster_id}"


def load_set(course: CourseDir, name: str) -> SetSpec:
    path = course.set_file(name)
    if not path.is_file():
        sets = sorted(p.stem for p in (course.root / "sets").glob("*.toml"))
        raise CourseError(f"{path}: no such set; sets: {', '.join(sets) or '(none)'}")
    spec, problems = read_set(path.read_text(encoding="utf-8"), str(path), name)
    if problems:
        raise ContentError(problems)
    return spec


def resolve_questions(session: Session, spec: SetSpec, seed: int, path: str) -> list[tuple[str, float]]:
    """(question id, points) in set order. Topic picks are drawn once, the same for everyone."""
    from ..bank.queries import questions as list_questions

    rng = random.Random(seed)
    chosen: list[tuple[str, float]] = []
    taken: set[str] = set()
    problems = []
    for i, pick in enumerate(spec.picks, 1):
        if pick.question:
            q = session.get(m.Question, pick.question)
            if q is None or not q.active:
                problems.append(Problem(path, 1, f"pick {i}: no question {pick.question!r} in the bank"))
                continue
            ids = [pick.question]
        else:
            pool = [r.id for r in list_questions(session, topic=pick.topic)
                    if r.id not in taken and (pick.kind is None or r.kind == pick.kind)]
            if len(pool) < pick.count:
                problems.append(Problem(path, 1, f"pick {i}: topic {pick.topic!r} has {len(pool)} questions"
                                                 f"{' of kind ' + pick.kind if pick.kind else ''} left; {pick.count} asked"))
                continue
            ids = rng.sample(pool, pick.count)
        for qid in ids:
            if qid not in taken:
                taken.add(qid)
                chosen.append((qid, pick.points))
    if problems:
        raise ContentError(problems)
    return chosen


# ---------------------------------------------------------------- assign


@dataclass
class AssignReport:
    students: int = 0
    questions: int = 0
    new_assignments: int = 0
    handouts: Path | None = None
    key: Path | None = None
    roster_problems: list[Problem] = field(default_factory=list)


class VariantCache:
    """Questions by version (a set has few), loaded once per run, and the most recently
    simulated variants (bounded: every student has their own seeds, so keeping all of them
    would only grow memory). A variant whose key is stored (assignment_keys) is rebuilt from
    the key without simulating: see `keyed`."""

    SIZE = 256

    def __init__(self, session: Session):
        self.session = session
        self.versions: dict[tuple[int, str], object] = {}
        self.words: dict[str, dict[str, dict]] = {}  # lang -> question id -> its translation
        self.simulated: OrderedDict[tuple[int, int, str], Variant] = OrderedDict()

    def question(self, version_id: int, lang: str = "en"):
        """The version as a LoadedQuestion, its words in `lang` where a current translation exists."""
        if (version_id, "en") not in self.versions:
            self.versions[(version_id, "en")] = from_version(self.session.get(m.QuestionVersion, version_id))
        if (version_id, lang) not in self.versions:
            if lang not in self.words:
                self.words[lang] = translations(self.session, lang)
            self.versions[(version_id, lang)] = localized_with(self.versions[(version_id, "en")], self.words[lang])
        return self.versions[(version_id, lang)]

    def variant(self, version_id: int, seed: int, *, shuffled: bool = False, lang: str = "en") -> Variant:
        """The variant for a seed; with `shuffled`, as the student sees it (their option order)."""
        found = self.simulated.get((version_id, seed, lang))
        if found is None:
            loaded = self.question(version_id, lang)
            found = make_variant(loaded.question, seed, loaded.scenarios)
            self.simulated[(version_id, seed, lang)] = found
            if len(self.simulated) > self.SIZE:
                self.simulated.popitem(last=False)
        else:
            self.simulated.move_to_end((version_id, seed, lang))
        return placement.as_shown(found) if shuffled else found

    def keyed(self, version_id: int, seed: int, key: dict, *, shuffled: bool = False,
              lang: str = "en") -> tuple[Variant, dict]:
        """(variant, worked solutions) rebuilt from a stored key: no simulation."""
        variant, solutions = answer_keys.keyed_variant(self.question(version_id, lang).question, seed, key)
        return (placement.as_shown(variant) if shuffled else variant), solutions


def shuffles(set_row: m.AssessmentSet) -> bool:
    """Whether this set shows options in a per-student order. Sets first assigned before
    that existed keep the bank's order, so their handouts and grades stay valid."""
    return bool((set_row.spec or {}).get(SHUFFLE_KEY))


def _upsert_set(session: Session, course: CourseDir, spec: SetSpec) -> m.AssessmentSet:
    row = session.scalar(select(m.AssessmentSet).where(m.AssessmentSet.course_id == course.id, m.AssessmentSet.name == spec.name))
    if row is None:
        row = m.AssessmentSet(course_id=course.id, name=spec.name, title=spec.title,
                              carry_forward=spec.carry_forward, spec={**spec.to_json(), SHUFFLE_KEY: True})
        session.add(row)
        session.flush()
    else:
        stored = {**spec.to_json(), **({SHUFFLE_KEY: True} if shuffles(row) else {})}
        for key, value in (("title", spec.title), ("carry_forward", spec.carry_forward), ("spec", stored)):
            if getattr(row, key) != value:
                setattr(row, key, value)
    return row


class SetChangedAfterGrading(CourseError):
    """The set file changed since the set was graded, and applying it would change grades."""


@dataclass(frozen=True)
class GradeChange:
    roster_id: str
    before: float  # percent
    after: float


def _comparable(spec_json: dict | None) -> dict:
    return {k: v for k, v in (spec_json or {}).items() if k != SHUFFLE_KEY}


def _grade_changes(session: Session, set_row: m.AssessmentSet, new_questions: list[tuple[str, float]],
                   carry_forward: bool, active: set[int]) -> list[GradeChange]:
    """Each graded student's percent now and after the edit: new questions add to every active
    student's maximum; a changed carry_forward re-scores their stored answers."""
    cache = VariantCache(session)
    shuffled = shuffles(set_row)
    rows = session.execute(
        select(m.CourseMember.id, m.CourseMember.roster_id, m.Assignment, m.Attempt)
        .join(m.Assignment, m.Assignment.member_id == m.CourseMember.id)
        .outerjoin(m.Attempt, m.Attempt.assignment_id == m.Assignment.id)
        .where(m.Assignment.set_id == set_row.id).order_by(m.CourseMember.roster_id)).all()
    totals: dict[str, list] = {}
    for member_id, roster_id, a, attempt in rows:
        t = totals.setdefault(roster_id, [0.0, 0.0, 0.0, False, member_id])  # earned, earned after, max, graded, id
        t[2] += a.points
        if attempt is None:
            continue
        t[3] = True
        t[0] += (attempt.score or 0.0) * a.points
        score = attempt.score or 0.0
        if carry_forward != set_row.carry_forward:
            given = {f.field: f.given for f in attempt.fields}
            score = grade_variant(cache.variant(a.version_id, a.seed, shuffled=shuffled), given,
                                  carry_forward=carry_forward).score or 0.0
        t[1] += score * a.points
    added = sum(points for _, points in new_questions)
    changes = []
    for roster_id, (earned, earned_after, maximum, graded, member_id) in totals.items():
        if not graded or not maximum:
            continue
        after_max = maximum + (added if member_id in active else 0.0)
        before, after = round(100 * earned / maximum, 1), round(100 * earned_after / after_max, 1)
        if before != after:
            changes.append(GradeChange(roster_id, before, after))
    return changes


def _refusal(set_name: str, changes: list[GradeChange], new_questions, carry_changed: bool, shown: int = 10) -> str:
    why = []
    if new_questions:
        why.append(f"it adds {', '.join(q for q, _ in new_questions)}")
    if carry_changed:
        why.append("it changes carry_forward")
    listed = ", ".join(f"{c.roster_id} {c.before:g}% -> {c.after:g}%" for c in changes[:shown])
    more = f" and {len(changes) - shown} more" if len(changes) > shown else ""
    return (f"sets/{set_name}.toml changed after grading and {' and '.join(why)}: the grades of {len(changes)} "
            f"students would change ({listed}{more}); run `tcptutor course assign {set_name} --force` to apply it")


def assign(engine: Engine, course: CourseDir, set_name: str, *, force: bool = False,
           workers: int | None = None) -> AssignReport:
    """Give every student on the roster their own variant of each question of the set, and
    write their handouts and the answer key. Existing assignments never change. An edit of
    the set file after grading that would change grades is refused unless `force`
    (SetChangedAfterGrading names the students and their percent before and after).
    `workers`: processes simulating the variants (default: pool.workers_for)."""
    spec = load_set(course, set_name)
    secret = course_secret(course, create=True)
    roster = sync_roster(engine, course)
    report = AssignReport(roster_problems=roster.problems)
    with Session(engine) as session, session.begin():
        before = session.scalar(select(m.AssessmentSet).where(m.AssessmentSet.course_id == course.id,
                                                              m.AssessmentSet.name == spec.name))
        old_spec, old_carry = (_comparable(before.spec), before.carry_forward) if before is not None else (None, None)
        chosen = resolve_questions(session, spec, set_seed(secret, course.id, spec.name), str(course.set_file(set_name)))
        if before is not None and old_spec != _comparable(spec.to_json()) and not force:
            assigned = set(session.scalars(select(m.Assignment.question_id).where(m.Assignment.set_id == before.id)))
            new_questions = [(q, p) for q, p in chosen if q not in assigned]
            active = set(session.scalars(select(m.CourseMember.id).where(
                m.CourseMember.course_id == course.id, m.CourseMember.active)))
            changes = _grade_changes(session, before, new_questions, spec.carry_forward, active)
            if changes:
                raise SetChangedAfterGrading(_refusal(spec.name, changes, new_questions, old_carry != spec.carry_forward))
        set_row = _upsert_set(session, course, spec)
        report.questions = len(chosen)
        members = session.execute(select(m.CourseMember.id, m.CourseMember.roster_id).where(
            m.CourseMember.course_id == course.id, m.CourseMember.active).order_by(m.CourseMember.roster_id)).all()
        existing = session.execute(select(m.Assignment.member_id, m.Assignment.question_id, m.Assignment.position)
                                   .where(m.Assignment.set_id == set_row.id)).all()
        have = {(member_id, qid) for member_id, qid, _ in existing}
        next_place: dict[int, int] = {}
        for member_id, _qid, position in existing:
            next_place[member_id] = max(next_place.get(member_id, 0), position + 1)
        current = {q.id: q.current_version_id for q in session.scalars(select(m.Question).where(m.Question.id.in_([q for q, _ in chosen])))}
        batch: list[dict] = []
        for member_id, roster_id in members:
            for position, (qid, points) in enumerate(chosen):
                if (member_id, qid) in have:
                    continue
                if member_id in next_place:  # added by an edit: after the student's places, so none is taken twice
                    position, next_place[member_id] = next_place[member_id], next_place[member_id] + 1
                batch.append(dict(set_id=set_row.id, member_id=member_id, question_id=qid, version_id=current[qid],
                                  seed=variant_seed(secret, course.id, spec.name, roster_id, qid),
                                  points=points, position=position))
                if len(batch) >= 5000:  # plain inserts in batches: memory stays bounded
                    session.execute(insert(m.Assignment), batch)
                    report.new_assignments += len(batch)
                    batch.clear()
        if batch:
            session.execute(insert(m.Assignment), batch)
            report.new_assignments += len(batch)
        report.students = len(members)
    report.handouts, report.key = _write_handouts(engine, course, spec, workers)
    return report


def _assignments_by_member(session: Session, set_id: int):
    """(member, [(assignment, stored key or None)] in order) for every member, streamed member
    by member."""
    rows = session.execute(
        select(m.CourseMember, m.Assignment, m.AssignmentKey.version_id, m.AssignmentKey.seed, m.AssignmentKey.simulator)
        .join(m.Assignment, m.Assignment.member_id == m.CourseMember.id)
        .outerjoin(m.AssignmentKey, m.AssignmentKey.assignment_id == m.Assignment.id)
        .where(m.Assignment.set_id == set_id)
        .order_by(m.CourseMember.roster_id, m.Assignment.position)
        .execution_options(yield_per=1000)  # streamed: memory does not grow with the class
    )
    member, items = None, []
    for mem, a, *key in rows:
        if member is not None and mem.id != member.id:
            yield member, items
            items = []
        member = mem
        items.append((a, key if key[0] is not None else None))
    if member is not None:
        yield member, items


def _set_row(session: Session, course: CourseDir, name: str) -> m.AssessmentSet:
    """The set as an ORM row (again.set_row finds it, or says it has not been assigned)."""
    return session.get(m.AssessmentSet, again.set_row(session, course, name).id)


def _write_handouts(engine: Engine, course: CourseDir, spec: SetSpec, workers: int | None = None) -> tuple[Path, Path]:
    """Each student's handout (0644: for students) and the instructor's key (0600), which
    maps each place to its bank id and gives each student's own letters. The variants are
    computed a few students at a time, in worker processes for a large class (course/pool.py)."""
    folder = course.out("handouts", spec.name)
    keys = course.out("keys", private=True)
    key_md = keys / f"{spec.name}-key.md"
    key_csv = keys / f"{spec.name}-key.csv"
    simulator = simulator_version()
    instructor = i18n.language()  # for a student whose roster row names no language
    with Session(engine) as session, atomic_file(key_md) as kmd, atomic_file(key_csv, newline="") as kcsv, \
            Session(engine) as writes:
        set_row = _set_row(session, course, spec.name)
        shuffled = shuffles(set_row)
        cache = VariantCache(session)
        count = session.scalar(select(func.count(m.Assignment.id)).where(m.Assignment.set_id == set_row.id))
        computer = pool.Computer(pool.workers_for(count, workers))  # before the file writer's thread
        stored = bulk.Writer(writes)  # each student's key, for grading: written in batches
        files, handouts = _FileWriter(write_public), []  # handouts written beside the simulations
        key_writer = csv.writer(kcsv)
        key_writer.writerow(["student", "question", "field", "expected", "seed", "version", "place"])
        kmd.write(f"# Answer key: {_md(spec.title)}\n\nCourse {_md(course.name)} · set `{spec.name}`. For the instructor only.\n")

        def jobs():
            """(the students, the job computing their variants), pool.CHUNK students at a time."""
            for chunk in _batches(_assignments_by_member(session, set_row.id), pool.CHUNK):
                loaded, items = {}, []
                for member, assigned in chunk:
                    lang = member.lang or instructor
                    with i18n.speaking(lang):
                        for a, key in assigned:
                            if (a.version_id, lang) not in loaded:
                                loaded[(a.version_id, lang)] = cache.question(a.version_id, lang)
                            fresh = key is not None and tuple(key) == (a.version_id, a.seed, simulator)
                            items.append((a.version_id, a.seed, lang, not fresh))
                yield chunk, (loaded, items)

        try:
            for chunk, computed in computer.run(jobs()):
                results = iter(computed)
                for member, assigned in chunk:
                    variants = []
                    lang = member.lang or instructor
                    with i18n.speaking(lang):  # the student's words, labels and worked solutions
                        for a, _key in assigned:
                            canonical, new_key = next(results)
                            if new_key is not None:
                                stored.key(a.id, a.version_id, a.seed, simulator, new_key)
                            variants.append((a, placement.as_shown(canonical) if shuffled else canonical))
                        md, page = _handout(course, spec, member, variants)
                    if len(stored) >= KEY_BATCH:
                        stored.flush()
                        writes.commit()
                    handouts.append((student_file(folder, member.roster_id, ".md"), md))
                    handouts.append((student_file(folder, member.roster_id, ".html"), page))
                    if len(handouts) >= 200:
                        files.submit(handouts)
                        handouts = []
                    kmd.write(f"\n## {member.roster_id} · {_md(member.name)}\n\n")
                    for a, v in variants:
                        place = placement.place_of(a.position)
                        for name, e in v.expected.items():
                            key_writer.writerow(safe_row([member.roster_id, a.question_id, name, show(e.value), a.seed,
                                                          a.version_id, place]))
                            kmd.write(f"- {place} (`{a.question_id}`) `{name}` = **{_md(show(e.value))}**\n")
            files.submit(handouts)
        finally:
            files.close()
            computer.close()
        stored.flush()
        writes.commit()
    return folder, key_md


def _md(text: str) -> str:
    """Lesson or roster text for Markdown: HTML in it shows as text, never as markup."""
    return html.escape(str(text), quote=False)


def _points(points: float) -> str:
    return ngettext("{count:g} point", "{count:g} points", 1 if points == 1 else 2).format(count=points)


# The handout page's fonts: the system's, with CJK faces named so that Chinese renders on
# Windows, macOS and Linux alike (the browser uses the first it has).
HANDOUT_FONTS = ('system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC", "Source Han Sans SC", '
                 '"PingFang SC", "Microsoft YaHei", sans-serif')
HTML_LANG = {"en": "en", "zh": "zh-CN"}


def _handout(course: CourseDir, spec: SetSpec, member: m.CourseMember, variants) -> tuple[str, str]:
    """One student's sheet: their numbers, the fields to fill in, and never an answer. Questions
    are named by their place in the set (q1, q2, ...), never by bank id. In the language being
    spoken (i18n.speaking: the student's)."""
    total = sum(a.points for a, _ in variants)
    who = _("{course} · {name} ({id}) · {points}")
    how = _("Answer every field. Submit one CSV row per field: {columns}, with question = q1, q2, ...")
    lines = [f"# {_md(spec.title)}", "",
             who.format(course=_md(course.name), name=_md(member.name), id=member.roster_id, points=_points(total)), "",
             how.format(columns="`student,question,field,answer`"), ""]
    parts = [f"<h1>{html.escape(spec.title)}</h1>",
             "<p>" + who.format(course=html.escape(course.name), name=html.escape(member.name),
                                id=html.escape(member.roster_id), points=_points(total)) + "</p>",
             "<p>" + html.escape(how).format(columns="<code>student,question,field,answer</code>") + "</p>"]
    for a, v in variants:
        q = v.question
        place = placement.place_of(a.position)
        heading = _("{place} ({points})").format(place=place, points=_points(a.points))
        lines += [f"## {heading}", "", _md(v.prompt), ""]
        parts += [f"<h2>{html.escape(heading)}</h2>",
                  f"<p>{html.escape(v.prompt).replace(chr(10), '<br>')}</p>"]
        shown = list(q.options) if q.options else []
        if q.kind == "ordering":
            shown = [q.items[j] for j in v.order]
        if shown:
            opts = [getattr(o, "text", o) for o in shown]
            lines += [f"  {chr(65 + j)}. {_md(t)}" for j, t in enumerate(opts)] + [""]
            parts.append("<ol type='A'>" + "".join(f"<li>{html.escape(t)}</li>" for t in opts) + "</ol>")
        for name, e in v.expected.items():
            lines.append(f"- `{place}.{name}`: {_md(e.label)}: ____________________")
        parts.append("<ul>" + "".join(f"<li><code>{place}.{html.escape(n)}</code>: {html.escape(e.label)}: "
                                      "<span class='blank'></span></li>" for n, e in v.expected.items()) + "</ul>")
        lines.append("")
    page = (f"<!DOCTYPE html><html lang='{HTML_LANG.get(i18n.language(), i18n.language())}'><head><meta charset='utf-8'>"
            "<title>" + html.escape(spec.title) + "</title>"
            f"<style>body{{font-family:{HANDOUT_FONTS};max-width:48em;margin:2em auto;line-height:1.6}}"
            ".blank{display:inline-block;border-bottom:1px solid #000;width:14em}</style></head><body>"
            + "".join(parts) + "</body></html>\n")
    return "\n".join(lines), page


# ---------------------------------------------------------------- grading


def grade_submissions(engine: Engine, course: CourseDir, set_name: str, submissions: Path, *,
                      form: str = "auto", now: datetime | None = None, digest: str | None = None) -> GradeReport:
    """Grade a submissions CSV. Memory stays flat: rows are staged on disk and read back
    student by student; each batch of students is one short transaction.

    `digest`: the file's again.file_digest, from a caller that has already found it not graded
    before (the CLI asks through sqlite3 first); without it, this asks."""
    checked_name("set name", set_name)
    report = GradeReport()
    now = now or datetime.now()
    shown = str(submissions)
    if digest is None:
        try:
            digest = again.file_digest(submissions, shown, form)
        except OSError as err:
            raise CourseError(f"{shown}: cannot read: {err}") from None
        with Session(engine) as session:
            done = again.graded_before(session, course, set_name, digest)
        if done is not None:
            return done
    with tempfile.TemporaryDirectory(prefix="tcptutor-grade-") as tmp:
        stage = sqlite3.connect(Path(tmp) / "stage.sqlite")
        stage.execute("CREATE TABLE rows (student TEXT, question TEXT, field TEXT, answer TEXT, line INTEGER, "
                      "col TEXT)")
        try:
            with open_lines(submissions) as (lines, encoding):  # any spreadsheet encoding, see csvread
                report.encoding = ENCODING_NOTES.get(encoding)
                batch = []
                for item in read_submissions(lines, shown, form):
                    if isinstance(item, Problem):
                        report.add(item)
                        continue
                    report.rows += 1
                    batch.append((item.student, item.question, item.field, item.text, item.line, item.column))
                    if len(batch) >= 10_000:
                        stage.executemany("INSERT INTO rows VALUES (?, ?, ?, ?, ?, ?)", batch)
                        batch.clear()
                stage.executemany("INSERT INTO rows VALUES (?, ?, ?, ?, ?, ?)", batch)
        except OSError as err:
            raise CourseError(f"{shown}: cannot read: {err}") from None
        stage.commit()
        cursor = stage.execute("SELECT student, question, field, answer, line, col FROM rows "
                               "ORDER BY student, question, line")
        _grade_staged(engine, course, set_name, cursor, shown, report, now)
        stage.close()
    report.gradebook = write_gradebook(engine, course, set_name)
    _remember_run(engine, course, set_name, digest, report)
    return report


def _remember_run(engine: Engine, course: CourseDir, set_name: str, digest: str, report: GradeReport) -> None:
    """Record this run so that grading the same file again does no work (again.graded_before)."""
    with Session(engine) as session, session.begin():
        set_row = again.set_row(session, course, set_name)
        state = again.grades_state(session, course, set_row)
        run = session.get(m.GradingRun, set_row.id)
        if run is None:
            session.add(m.GradingRun(set_id=set_row.id, digest=digest, state=state, report=again.saved_report(report)))
        else:
            run.digest, run.state, run.report = digest, state, again.saved_report(report)


def _students(cursor):
    """(student, [rows]) groups from rows sorted by student."""
    student, rows = None, []
    for row in cursor:
        if student is not None and row[0] != student:
            yield student, rows
            rows = []
        student = row[0]
        rows.append(row)
    if student is not None:
        yield student, rows


def _batches(groups, size: int):
    """Lists of up to `size` items of an iterator."""
    batch = []
    for item in groups:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass(frozen=True)
class _Member:
    """What grading needs of a course member: plain values, valid after every commit."""

    id: int
    roster_id: str
    name: str
    student_id: int
    course_id: str
    lang: str | None  # the roster's: the language of the student's feedback


@dataclass(frozen=True)
class _MemberRef:
    """What _store needs of a course member (regrade: the roster id names examples of moved keys)."""

    student_id: int
    course_id: str
    roster_id: str = ""


@dataclass(frozen=True)
class _Assigned:
    """What grading needs of an assignment."""

    id: int
    question_id: str
    version_id: int
    seed: int
    points: float
    position: int
    member_id: int


def _assigned_columns():
    return (m.Assignment.id, m.Assignment.question_id, m.Assignment.version_id, m.Assignment.seed, m.Assignment.points,
            m.Assignment.position, m.Assignment.member_id)


class _Keys:
    """Each assignment's variant for grading: rebuilt from its stored key when the key was
    computed for the same version and seed by the same simulator; otherwise simulated, and
    the key stored for next time (an older bank's assignments get theirs on first grading)."""

    def __init__(self, cache: VariantCache, shuffled: bool, writer: bulk.Writer):
        self.cache, self.shuffled, self.writer = cache, shuffled, writer
        self.simulator = simulator_version()

    def fresh(self, stored: bulk.StoredKey | None, a) -> bool:
        return (stored is not None and stored.version_id == a.version_id and stored.seed == a.seed
                and stored.simulator == self.simulator and answer_keys.usable(stored.key))

    def grade(self, a, stored: bulk.StoredKey | None, given: dict, carry_forward: bool, lang: str = "en") -> Grade:
        """Graded with the words of `lang` (option feedback; the caller speaks it for the rest)."""
        def full() -> Variant:
            return self.cache.variant(a.version_id, a.seed, shuffled=self.shuffled, lang=lang)

        if self.fresh(stored, a):
            variant, solutions = self.cache.keyed(a.version_id, a.seed, stored.key, shuffled=self.shuffled, lang=lang)
            return grade_variant(variant, given, carry_forward=carry_forward, solutions=solutions, full=full)
        canonical = self.cache.variant(a.version_id, a.seed, lang=lang)
        self.writer.key(a.id, a.version_id, a.seed, self.simulator, answer_keys.key_of(canonical))
        return grade_variant(full(), given, carry_forward=carry_forward)


def _grade_staged(engine, course, set_name, cursor, path, report: GradeReport, now: datetime) -> None:
    """Grade BATCH students a transaction: the batch's members, assignments, stored attempts
    and keys are read in a few queries, its new attempts written in bulk. A batch's feedback
    files are written only after its commit, so a crash leaves no feedback for rolled-back grades."""
    feedback_dir = course.out("grades", set_name, "feedback", private=True)
    report.feedback = feedback_dir
    bad_columns: set[str] = set()  # a wide header cell's problem is reported once, on line 1

    def problem(line: int, column: str | None, message: str, student: str) -> None:
        if column is None:
            report.add(Problem(path, line, f"{message} for student {student}"))
        elif column not in bad_columns:
            bad_columns.add(column)
            report.add(Problem(path, 1, f"column {column!r}: {message} (reported once for the whole column)"))

    with Session(engine) as session:
        set_row = _set_row(session, course, set_name)
        set_id, set_title, carry_forward = set_row.id, set_row.title, set_row.carry_forward
        shuffled = shuffles(set_row)
        cache = VariantCache(session)
        writer = bulk.Writer(session)
        variants = _Keys(cache, shuffled, writer)
        files = _FileWriter()  # feedback, written once its batch is committed
        feedback: list[tuple[Path, str]] = []  # written once their batch is committed
        in_transaction = 0  # students graded since the last commit
        try:
            for batch in _batches(_students(cursor), min(BATCH, PREFETCH)):
                _grade_batch(session, course, set_id, set_name, set_title, carry_forward, cache, variants, writer,
                             batch, feedback, feedback_dir, path, report, problem, now)
                in_transaction += len(batch)
                if in_transaction >= BATCH:
                    session.commit()
                    files.submit(feedback)
                    feedback, in_transaction = [], 0
            session.commit()
            files.submit(feedback)
        finally:
            files.close()


def _grade_batch(session, course, set_id, set_name, set_title, carry_forward, cache, variants, writer, batch,
                 feedback, feedback_dir, path, report, problem, now) -> None:
    """Grade a few students: their members, assignments, stored attempts and keys are read
    in one query each, and their new attempts written in bulk (not yet committed)."""
    instructor = i18n.language()  # for a student whose roster row names no language
    members = {r[1]: _Member(*r) for r in session.execute(
        select(m.CourseMember.id, m.CourseMember.roster_id, m.CourseMember.name, m.CourseMember.student_id,
               m.CourseMember.course_id, m.CourseMember.lang)
        .where(m.CourseMember.course_id == course.id, m.CourseMember.roster_id.in_([sid for sid, _r in batch])))}
    mine = (select(m.Assignment.id).where(m.Assignment.set_id == set_id,
                                          m.Assignment.member_id.in_([x.id for x in members.values()])))
    by_member: dict[int, dict[str, _Assigned]] = {}
    for row in session.execute(select(*_assigned_columns()).where(m.Assignment.id.in_(mine))):
        a = _Assigned(*row)
        by_member.setdefault(a.member_id, {})[a.question_id] = a
    previous = bulk.attempts_of(session, mine)
    stored_keys = bulk.keys_of(session, mine)
    for roster_id, rows in batch:
        member = members.get(roster_id)
        if member is None:
            first = min(r[4] for r in rows)
            report.add(Problem(path, first, f"unknown student {roster_id!r}: not on the roster of {course.id}"))
            continue
        assignments = by_member.get(member.id, {})
        by_place = {a.position: a.question_id for a in assignments.values()}
        answers: dict[str, dict[str, str]] = {}
        first_line: dict[str, int] = {}
        for _student, qid, fname, text, line, column in rows:
            if qid not in assignments:  # a place (q1, 1) as the handout names it; bank ids still work
                qid = by_place.get(placement.question_for_place(qid), qid)
            if qid not in assignments:
                problem(line, column, f"question {qid!r} is not in set {set_name}", roster_id)
                continue
            fields = cache.question(assignments[qid].version_id).question.fields
            if fname not in fields:
                problem(line, column, f"question {qid} has no field {fname!r} (fields: {', '.join(fields)})", roster_id)
                continue
            if fname in answers.setdefault(qid, {}):
                report.add(Problem(path, line, f"{roster_id} answered {qid}.{fname} twice; the later answer counts"))
            answers[qid][fname] = text
            first_line.setdefault(qid, line)
        if not answers:
            continue
        report.students += 1
        grades = []
        with i18n.speaking(member.lang or instructor):  # the student's feedback in the student's language
            for qid, given in answers.items():
                a = assignments[qid]
                try:
                    result = variants.grade(a, stored_keys.get(a.id), given, carry_forward, i18n.language())
                except SQLAlchemyError:
                    raise
                except Exception as err:  # defence in depth: one answer never stops the class
                    report.add(Problem(path, first_line[qid], f"{roster_id}: {qid} could not be graded "
                                                              f"({type(err).__name__}: {err}); nothing stored for it"))
                    continue
                changed = _store(session, member, a, result, now, set_name, previous.get(a.id), writer)
                report.graded += changed
                report.unchanged += not changed
                grades.append((a, result))
            if grades:
                feedback.append((student_file(feedback_dir, roster_id, ".md"), _feedback_text(set_title, member, grades)))
    writer.flush()


class _FileWriter:
    """Writes files in a thread beside the work that produces them: creating a file is a
    system call that waits on the disk (about 1 ms each here), and grading or assigning need
    not wait with it. `submit` takes (path, text) pairs; `close` waits for every file and
    raises the first error."""

    def __init__(self, write=write_private, limit: int = 2):
        from concurrent.futures import ThreadPoolExecutor

        self.write = write
        self.limit = limit  # submitted batches not yet written: beyond it, submit waits (memory stays flat)
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tcptutor-files")
        self.pending = []

    def submit(self, files: list[tuple[Path, str]]) -> None:
        if files:
            self.pending.append(self.pool.submit(self._write_all, list(files)))
        while len(self.pending) > self.limit:
            self.pending.pop(0).result()
        self.pending = [f for f in self.pending if not f.done() or f.exception() is not None]

    def _write_all(self, files: list[tuple[Path, str]]) -> None:
        for path, text in files:
            self.write(path, text)

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        for future in self.pending:
            future.result()


def _store(session: Session, member, a, result: Grade, now: datetime, set_name: str,
           existing: bulk.StoredAttempt | None, writer: bulk.Writer) -> bool:
    """One attempt per assignment; the same answers graded the same way change nothing. The
    new attempt goes to `writer`, which writes the batch in bulk before its commit."""
    fields = [(f.field, f.given, show(f.expected), f.verdict, f.misconception, f.credit, f.carried_from) for f in result.fields]
    if existing is not None:
        if list(existing.fields) == fields and existing.score == result.score and existing.version_id == a.version_id:
            return False
    writer.attempt(
        existing.id if existing is not None else None,
        dict(student_id=member.student_id, question_id=a.question_id, version_id=a.version_id, seed=a.seed,
             score=result.score, complete=True, source=f"course:{member.course_id}/{set_name}", created_at=now,
             assignment_id=a.id),
        fields)
    return True


FEEDBACK_MARKS = {"correct": N_("right"), "wrong": N_("wrong"), "unanswered": N_("not answered"),
                  "unreadable": N_("could not be read (your instructor will review it)")}


def _feedback_text(title: str, member: m.CourseMember, grades: list[tuple[m.Assignment, Grade]]) -> str:
    """One student's Markdown feedback, in the language being spoken (the student's). What the
    student typed is shown on one line with Markdown and HTML escaped, so an answer cannot
    forge a heading or a score."""
    lines = ["# " + _("{title}: feedback for {name} ({id})").format(
        title=_markdown_text(title), name=_markdown_text(member.name), id=member.roster_id), ""]
    for a, g in sorted(grades, key=lambda x: x[0].position):
        earned = (g.score or 0.0) * a.points
        # named by its place, as on the handout: a bank id would let a classmate look it up
        lines += ["## " + _("{place}: {earned:g} / {points}").format(
            place=placement.place_of(a.position), earned=earned, points=_points(a.points)), ""]
        for f in g.fields:
            mark = _(FEEDBACK_MARKS[f.verdict])
            given = markdown_inline(f.given, limit=ECHO_LIMIT) if f.given else _("(no answer)")
            explanation = html.escape(" ".join(f.feedback.split()), quote=False)  # may quote the answer: one line
            lines.append("- " + _("{field} = {given}: {mark}. {explanation}").format(
                field=f"`{f.field}`", given=given, mark=mark, explanation=explanation))
        lines.append("")
    return "\n".join(lines)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~^])")


def _markdown_text(text: str) -> str:
    """Prose (a set title, a student's name) as inert inline Markdown: one line, Markdown
    punctuation and HTML escaped. A student's answer is shown verbatim instead, as a code span
    (textsafe.markdown_inline)."""
    return html.escape(_MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split())), quote=False)


def write_gradebook(engine: Engine, course: CourseDir, set_name: str) -> Path:
    """student, name, submitted, total, max, percent, to_review (unreadable answers), then
    points per question, for every assigned student: one streamed query, flat memory."""
    path = course.out("grades", set_name, private=True) / "gradebook.csv"
    unreadable = (select(m.AttemptField.attempt_id, func.count().label("n"))
                  .where(m.AttemptField.verdict == "unreadable").group_by(m.AttemptField.attempt_id).subquery())
    with Session(engine) as session, atomic_file(path, newline="") as f:
        set_id = _set_row(session, course, set_name).id
        rows = session.execute(
            select(m.CourseMember.roster_id, m.CourseMember.name, m.Assignment.question_id, m.Assignment.points,
                   m.Attempt.id, m.Attempt.score, unreadable.c.n)
            .join(m.Assignment, m.Assignment.member_id == m.CourseMember.id)
            .outerjoin(m.Attempt, m.Attempt.assignment_id == m.Assignment.id)
            .outerjoin(unreadable, unreadable.c.attempt_id == m.Attempt.id)
            .where(m.Assignment.set_id == set_id)
            .order_by(m.CourseMember.roster_id, m.Assignment.position)
            .execution_options(yield_per=2000))
        writer = csv.writer(f)
        header_written = False
        for roster_id, items in _grouped(rows):
            if not header_written:
                writer.writerow(["student", "name", "submitted", "total", "max", "percent", "to_review",
                                 *[r.question_id for r in items]])
                header_written = True
            earned = [(r.score or 0.0) * r.points for r in items]
            maximum = sum(r.points for r in items)
            writer.writerow(safe_row([
                roster_id, items[0].name, "yes" if any(r.id is not None for r in items) else "no",
                f"{round(sum(earned), 4):g}", f"{maximum:g}", f"{100 * sum(earned) / maximum:.1f}" if maximum else "",
                sum(r.n or 0 for r in items), *[f"{round(e, 4):g}" for e in earned]]))
    return path


def _grouped(rows):
    """(roster_id, [rows]) from rows sorted by roster_id (the first column)."""
    key, items = None, []
    for row in rows:
        if items and row[0] != key:
            yield key, items
            items = []
        key = row[0]
        items.append(row)
    if items:
        yield key, items


@dataclass
class KeyMove:
    """The answer key of a question moved for some students: why, and what it did to grades."""

    question_id: str
    why: str
    keys: int = 0  # student variants whose key moved
    grades: int = 0  # of those, attempts whose score changed
    examples: list[tuple[str, str, str, str]] = field(default_factory=list)  # (student, field, old, new)

    def to_json(self) -> dict:
        return {"question": self.question_id, "why": self.why, "keys_moved": self.keys, "grades_changed": self.grades,
                "examples": [dict(zip(("student", "field", "old", "new"), e)) for e in self.examples]}


def _why_moved(stored: bulk.StoredKey | None, attempt: bulk.StoredAttempt, a, simulator: str) -> str:
    """Why a recomputed key differs from the one an attempt was graded with."""
    if attempt.version_id != a.version_id:
        return f"the student moved to another version of the question (version id {attempt.version_id} -> {a.version_id})"
    if stored is not None and stored.simulator != simulator:
        return f"the simulator changed (simulator {stored.simulator} -> {simulator})"
    if stored is None:
        return (f"the simulator changed (the key was computed before keys were stored, so by an unrecorded "
                f"simulator; now {simulator})")
    return "the key was recomputed"


def regrade(engine: Engine, course: CourseDir, set_name: str, *, current_versions: bool = False,
            now: datetime | None = None) -> GradeReport:
    """Re-score every stored answer of the set. With current_versions, students move to the
    questions' current versions first (e.g. after the instructor fixed a question).

    A stored key computed by another simulator (library.simulator_version) or for another
    version is recomputed; every key that moved is reported per question in
    `report.key_moves`: why, old and new values, and how many grades changed.

    Commits every REGRADE_BATCH attempts: one long transaction would hold SQLite's write
    lock past a practice session's busy timeout. Re-running after a crash finishes the job
    (an unchanged attempt is left alone)."""
    report = GradeReport()
    now = now or datetime.now()
    with Session(engine) as session:
        set_row = _set_row(session, course, set_name)
        set_id, carry_forward = set_row.id, set_row.carry_forward
        if current_versions:  # one UPDATE per question of the set: a short transaction
            qids = session.scalars(select(m.Assignment.question_id).where(m.Assignment.set_id == set_id).distinct()).all()
            for qid in qids:
                current = session.get(m.Question, qid).current_version_id
                session.execute(update(m.Assignment)
                                .where(m.Assignment.set_id == set_id, m.Assignment.question_id == qid,
                                       m.Assignment.version_id != current)
                                .values(version_id=current))
            session.commit()
        cache = VariantCache(session)
        members = {mid: _MemberRef(sid, cid, rid) for mid, sid, cid, rid in session.execute(
            select(m.CourseMember.id, m.CourseMember.student_id, m.CourseMember.course_id, m.CourseMember.roster_id)
            .where(m.CourseMember.course_id == course.id))}  # plain values: they outlive each commit
        writer = bulk.Writer(session)
        variants = _Keys(cache, shuffles(set_row), writer)
        moves: dict[tuple[str, str], KeyMove] = {}
        last = None
        while True:  # REGRADE_BATCH graded assignments at a time, by id: memory stays flat
            page = (select(m.Assignment.id).join(m.Attempt, m.Attempt.assignment_id == m.Assignment.id)
                    .where(m.Assignment.set_id == set_id).order_by(m.Assignment.id).limit(REGRADE_BATCH))
            chunk = session.scalars(page if last is None else page.where(m.Assignment.id > last)).all()
            if not chunk:
                break
            last = chunk[-1]
            assigned = [_Assigned(*r) for r in session.execute(select(*_assigned_columns())
                                                               .where(m.Assignment.id.in_(chunk)).order_by(m.Assignment.id))]
            previous = bulk.attempts_of(session, chunk)
            stored_keys = bulk.keys_of(session, chunk)
            for a in assigned:
                attempt = previous[a.id]
                given = {f[0]: f[1] for f in attempt.fields}
                stored = stored_keys.get(a.id)
                result = variants.grade(a, stored, given, carry_forward)
                old = {f[0]: f[2] for f in attempt.fields}
                moved = [(f.field, old[f.field], show(f.expected)) for f in result.fields
                         if f.field in old and old[f.field] != show(f.expected)]
                if moved:
                    why = _why_moved(stored, attempt, a, variants.simulator)
                    move = moves.setdefault((a.question_id, why), KeyMove(a.question_id, why))
                    move.keys += 1
                    move.grades += attempt.score != result.score
                    if len(move.examples) < 3:
                        move.examples += [(members[a.member_id].roster_id, *x) for x in moved][:3 - len(move.examples)]
                changed = _store(session, members[a.member_id], a, result, now, set_name, attempt, writer)
                report.graded += changed
                report.unchanged += not changed
            writer.flush()
            session.commit()
        report.key_moves = sorted(moves.values(), key=lambda k: (k.question_id, k.why))
    report.gradebook = write_gradebook(engine, course, set_name)
    return report


# ---------------------------------------------------------------- statistics


def class_results(engine: Engine, course: CourseDir, set_name: str) -> statistics.ClassResults:
    with Session(engine) as session:
        set_row = _set_row(session, course, set_name)
        assignments = session.execute(
            select(m.Assignment.id, m.Assignment.question_id, m.Assignment.points, m.CourseMember.roster_id)
            .join(m.CourseMember, m.CourseMember.id == m.Assignment.member_id)
            .where(m.Assignment.set_id == set_row.id).order_by(m.Assignment.position)).all()
        attempts = dict(session.execute(
            select(m.Attempt.assignment_id, m.Attempt.score)
            .join(m.Assignment, m.Assignment.id == m.Attempt.assignment_id)
            .where(m.Assignment.set_id == set_row.id)).all())
        field_rows = session.execute(
            select(m.Assignment.question_id, m.AttemptField.field, m.AttemptField.verdict, m.AttemptField.misconception)
            .join(m.Attempt, m.Attempt.id == m.AttemptField.attempt_id)
            .join(m.Assignment, m.Assignment.id == m.Attempt.assignment_id)
            .where(m.Assignment.set_id == set_row.id))
        field_counts: dict[tuple[str, str], Counter] = {}
        misconceptions: Counter = Counter()
        for qid, fname, verdict, misconception in field_rows:
            field_counts.setdefault((qid, fname), Counter())[verdict] += 1
            if misconception:
                misconceptions[misconception] += 1
        questions: list[str] = []
        points: dict[str, float] = {}
        scores: dict[str, dict[str, float]] = {}
        for aid, qid, pts, roster_id in assignments:
            if qid not in points:
                questions.append(qid)
                points[qid] = pts
            scores.setdefault(roster_id, {})[qid] = attempts.get(aid) or 0.0
        topics = {qid: list(session.get(m.Question, qid).current.spec["topics"]) for qid in questions}
    return statistics.ClassResults(questions, points, topics, scores, field_counts, misconceptions)


def set_questions(engine: Engine, course: CourseDir, set_name: str) -> tuple[str, list[str]]:
    """An assigned set's title and its questions in set order (the same for every student)."""
    with Session(engine) as session:
        set_row = _set_row(session, course, set_name)
        rows = session.execute(select(m.Assignment.question_id, m.Assignment.position)
                               .where(m.Assignment.set_id == set_row.id).distinct()
                               .order_by(m.Assignment.position)).all()
        return set_row.title, list(dict.fromkeys(q for q, _ in rows))


def set_statistics(engine: Engine, course: CourseDir, set_name: str) -> dict:
    return statistics.summary(class_results(engine, course, set_name))
