"""Recording attempts and reading a student's history. Each attempt is one short
transaction, so concurrent sessions (and a build) interleave without losing anything.

An answer is never lost: a write that still finds the bank locked (or the disk full) after
a few tries is appended to a pending file next to the bank and stored on the next start.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from .. import i18n
from ..errors import TcptutorError
from ..grading.grader import Grade, show
from ..practice.scheduler import AttemptRecord, Candidate
from . import models as m, reads
from .db import BANK_FILE_MODE, BankError, describe, sqlite_path

RETRY_PAUSES_S = (0.5, 1.0, 2.0)  # between tries; each try already waits the busy timeout


class SeedOutOfRange(TcptutorError):
    exit_code = 2


def pending_path(engine: Engine) -> Path | None:
    """Where answers wait when the bank cannot take them: BANK.pending.jsonl (SQLite only;
    other databases wait for locks instead of failing)."""
    path = sqlite_path(engine)
    return path.with_name(path.name + ".pending.jsonl") if path is not None else None


def _retryable(err: OperationalError) -> bool:
    text = str(err.orig).lower()
    return "locked" in text or "busy" in text or "disk is full" in text


def student_id(engine: Engine, name: str) -> int:
    """The student's id, adding the student on first sight."""
    found = reads.student_id(engine, name)
    if found is not None:
        return found
    try:
        with Session(engine) as session, session.begin():
            row = m.Student(name=name)
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:  # another process created it first
        with Session(engine) as session:
            return session.scalar(select(m.Student.id).where(m.Student.name == name))


def record(engine: Engine, *, student: int, question_id: str, version_id: int, seed: int, grade: Grade,
           now: datetime, source: str = "practice", complete: bool = True) -> int | None:
    """Store one attempt; its id, or None when the bank stayed busy and the attempt was kept
    in pending_path(engine) instead (stored by replay_pending on the next start)."""
    if seed not in m.SEED_RANGE:
        raise SeedOutOfRange(i18n._("seed {seed} is out of range: the bank stores seeds from -2^63 to 2^63-1").format(
            seed=seed))
    row = dict(student_id=student, question_id=question_id, version_id=version_id, seed=seed, score=grade.score,
               complete=complete, source=source, created_at=now.isoformat(),
               fields=[dict(field=f.field, given=f.given, expected=show(f.expected), verdict=f.verdict,
                            misconception=f.misconception, credit=f.credit, carried_from=f.carried_from)
                       for f in grade.fields])
    for pause in (*RETRY_PAUSES_S, None):
        try:
            return _insert(engine, row)
        except OperationalError as err:
            if not _retryable(err):
                raise BankError(i18n._("cannot store the answer in {bank}: {error}").format(
                    bank=describe(engine), error=err.orig)) from None
            if pause is None or pending_path(engine) is None:
                break
            time.sleep(pause)
    return _keep(engine, row)


def _insert(engine: Engine, row: dict) -> int:
    with Session(engine) as session, session.begin():
        attempt = m.Attempt(**{k: v for k, v in row.items() if k not in ("fields", "created_at")},
                            created_at=datetime.fromisoformat(row["created_at"]),
                            fields=[m.AttemptField(**f) for f in row["fields"]])
        session.add(attempt)
        session.flush()
        return attempt.id


def _keep(engine: Engine, row: dict) -> None:
    _append(engine, [json.dumps(row, ensure_ascii=False)])


def _append(engine: Engine, lines: list[str]) -> None:
    path = pending_path(engine)
    if path is None:
        raise BankError(i18n._("the bank at {bank} stayed busy; the answer could not be stored").format(
            bank=describe(engine)))
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, BANK_FILE_MODE)
        with os.fdopen(fd, "a", encoding="utf-8") as out:
            out.write("".join(line + "\n" for line in lines))
    except OSError as err:
        raise BankError(i18n._("the bank stayed busy and the answer could not be kept in {path}: {error}").format(
            path=path, error=err.strerror)) from None


def replay_pending(engine: Engine) -> int:
    """Store the answers kept while the bank was busy; how many were stored. The file is
    renamed first, so two processes never store the same answer twice; what still cannot
    be stored goes back into the pending file."""
    path = pending_path(engine)
    if path is None or not path.is_file():
        return 0
    claimed = path.with_name(f"{path.name}.{os.getpid()}")
    try:
        os.rename(path, claimed)
    except FileNotFoundError:  # another process claimed it
        return 0
    stored = 0
    lines = [line for line in claimed.read_text(encoding="utf-8").splitlines() if line.strip()]
    for i, line in enumerate(lines):
        try:
            _insert(engine, json.loads(line))
            stored += 1
        except (OperationalError, IntegrityError, ValueError, TypeError):  # busy again, or a damaged line: keep it
            _append(engine, lines[i:])
            break
    claimed.unlink()
    return stored


def history(engine: Engine, student: int) -> list[AttemptRecord]:
    """The student's attempts, oldest first (bank.reads.history, on a connection of `engine`)."""
    return reads.history(engine, student)


def candidates(engine: Engine, *, lesson: str | None, topic: str | None, kind: str | None) -> list[Candidate]:
    return reads.candidates(engine, lesson=lesson, topic=topic, kind=kind)


def recent(engine: Engine, student: int, limit: int = 20) -> list[m.Attempt]:
    with Session(engine) as session:
        return list(session.scalars(
            select(m.Attempt).where(m.Attempt.student_id == student)
            .order_by(m.Attempt.created_at.desc(), m.Attempt.id.desc()).limit(limit)
        ))
