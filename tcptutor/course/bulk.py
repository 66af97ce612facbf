"""Grading's reads and writes in bulk (SQLAlchemy Core): the stored attempts and answer keys
of a batch of assignments in one query each, and the batch's new attempts, their fields and
keys in a few executemany statements, instead of one ORM unit of work per attempt.

The caller owns the transaction: `Writer.flush` runs inside it, and the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ..bank import models as m

CHUNK = 500  # ids per IN (...): under every database's limit on bound parameters


@dataclass(frozen=True)
class StoredAttempt:
    """What `service._store` compares a new grade with."""

    id: int
    score: float | None
    version_id: int
    fields: tuple[tuple, ...]  # (field, given, expected, verdict, misconception, credit, carried_from)


@dataclass(frozen=True)
class StoredKey:
    version_id: int
    seed: int
    simulator: str
    key: dict


def attempts_of(session: Session, assignment_ids) -> dict[int, StoredAttempt]:
    """assignment id -> its stored attempt and fields; `assignment_ids` is a list or a select."""
    out: dict[int, StoredAttempt] = {}
    for ids in _chunks(assignment_ids):
        rows = session.execute(
            select(m.Attempt.assignment_id, m.Attempt.id, m.Attempt.score, m.Attempt.version_id,
                   m.AttemptField.field, m.AttemptField.given, m.AttemptField.expected, m.AttemptField.verdict,
                   m.AttemptField.misconception, m.AttemptField.credit, m.AttemptField.carried_from)
            .outerjoin(m.AttemptField, m.AttemptField.attempt_id == m.Attempt.id)
            .where(m.Attempt.assignment_id.in_(ids))
            .order_by(m.Attempt.id, m.AttemptField.id))
        current, fields = None, []
        for aid, attempt_id, score, version_id, *f in rows:
            if current is None or current[1] != attempt_id:
                if current is not None:
                    out[current[0]] = StoredAttempt(current[1], current[2], current[3], tuple(fields))
                current, fields = (aid, attempt_id, score, version_id), []
            if f[0] is not None:
                fields.append(tuple(f))
        if current is not None:
            out[current[0]] = StoredAttempt(current[1], current[2], current[3], tuple(fields))
    return out


def keys_of(session: Session, assignment_ids) -> dict[int, StoredKey]:
    out = {}
    for ids in _chunks(assignment_ids):
        for aid, version_id, seed, simulator, key in session.execute(
                select(m.AssignmentKey.assignment_id, m.AssignmentKey.version_id, m.AssignmentKey.seed,
                       m.AssignmentKey.simulator, m.AssignmentKey.key).where(m.AssignmentKey.assignment_id.in_(ids))):
            out[aid] = StoredKey(version_id, seed, simulator, key)
    return out


FIELD_COLUMNS = ("attempt_id", "field", "given", "expected", "verdict", "misconception", "credit", "carried_from")
_MARKERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}  # sqlite3 and psycopg


def _insert_fields(session: Session, rows: list[tuple]) -> None:
    """The batch's attempt fields (FIELD_COLUMNS order) through the driver's own executemany.
    They are most of a grading run's rows, one per answer, and SQLAlchemy's per-row parameter
    processing cost as much as the insert itself. What that processing does for these columns
    (text, floats, ints: no dates, no JSON) is done here: models.nul_safe, as SafeString and
    SafeText do (it leaves the numbers and None as they are)."""
    connection = session.connection()
    rows = [tuple(map(m.nul_safe, r)) for r in rows]
    marker = _MARKERS.get(connection.dialect.paramstyle)
    if marker is None:  # a driver with another style: the Core insert, same rows
        session.execute(insert(m.AttemptField.__table__), [dict(zip(FIELD_COLUMNS, r)) for r in rows])
        return
    connection.exec_driver_sql(
        f"INSERT INTO {m.AttemptField.__tablename__} ({', '.join(FIELD_COLUMNS)}) "
        f"VALUES ({', '.join([marker] * len(FIELD_COLUMNS))})", rows)


def _chunks(ids):
    if not isinstance(ids, (list, tuple, set, frozenset)):
        yield ids  # a select: one query, any size
        return
    ids = list(ids)
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


class Writer:
    """Attempts to replace and keys to store, written together by `flush`."""

    def __init__(self, session: Session):
        self.session = session
        self.replaced: list[int] = []  # attempt ids deleted before the new ones go in
        self.attempts: list[dict] = []
        self.fields: list[list[tuple]] = []  # the fields of self.attempts[i], in FIELD_COLUMNS order
        self.keys: dict[int, dict] = {}  # assignment id -> row

    def attempt(self, replaces: int | None, row: dict, fields: list[tuple]) -> None:
        """`fields`: (field, given, expected, verdict, misconception, credit, carried_from) each."""
        if replaces is not None:
            self.replaced.append(replaces)
        self.attempts.append(row)
        self.fields.append(fields)

    def key(self, assignment_id: int, version_id: int, seed: int, simulator: str, key: dict) -> None:
        self.keys[assignment_id] = dict(assignment_id=assignment_id, version_id=version_id, seed=seed,
                                        simulator=simulator, key=key)

    def __len__(self) -> int:
        return len(self.attempts) + len(self.keys)

    def flush(self) -> None:
        s = self.session
        for ids in _chunks(self.replaced):
            s.execute(delete(m.AttemptField).where(m.AttemptField.attempt_id.in_(ids)))
            s.execute(delete(m.Attempt).where(m.Attempt.id.in_(ids)))
        if self.attempts:  # Core inserts on the tables: no ORM bookkeeping per row
            s.execute(insert(m.Attempt.__table__), self.attempts)
            # The new ids, by assignment (unique among attempts): one query per CHUNK, where an
            # INSERT ... RETURNING in parameter order runs row by row on SQLite.
            ids: dict[int, int] = {}
            for chunk in _chunks([a["assignment_id"] for a in self.attempts]):
                ids.update(s.execute(select(m.Attempt.assignment_id, m.Attempt.id)
                                     .where(m.Attempt.assignment_id.in_(chunk))).all())
            rows = [(ids[a["assignment_id"]], *f) for a, fields in zip(self.attempts, self.fields) for f in fields]
            if rows:
                _insert_fields(s, rows)
        if self.keys:
            for ids in _chunks(list(self.keys)):
                s.execute(delete(m.AssignmentKey).where(m.AssignmentKey.assignment_id.in_(ids)))
            s.execute(insert(m.AssignmentKey.__table__), list(self.keys.values()))
        self.replaced, self.attempts, self.fields, self.keys = [], [], [], {}
