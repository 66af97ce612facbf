"""`course assign` with its variants computed in worker processes (course/pool.py) writes
exactly what computing them in the parent writes: every handout, both key files and every
stored key, for predict (named and inline scenarios) and choice questions, in
English and in Chinese."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from tcptutor.bank import models as m
from tcptutor.bank.db import open_engine
from tcptutor.course import pool, service

QUESTIONS = ("hs-synack-numbers", "td-closer-waits", "hs-why-three", "rs-challenge-ack", "cc-table-tahoe")
SET = "".join(f'[[pick]]\nquestion = "{q}"\npoints = 1\n' for q in QUESTIONS)


def assigned(root: Path, url: str, workers: int, secret: Path | None) -> tuple[dict[str, bytes], list]:
    c = service.init_course(root)
    if secret is not None:
        shutil.copy(secret, root / service.SECRET_FILE)
    c.roster.write_text("id,name,email,lang\n" + "".join(
        f"s{i:02d},Student {i},s{i}@example.edu,{'zh' if i % 3 == 0 else ''}\n" for i in range(60)), encoding="utf-8")
    c.set_file("quiz").write_text(SET, encoding="utf-8")
    engine = open_engine(url)
    try:
        service.assign(engine, c, "quiz", workers=workers)
        with Session(engine) as session:
            keys = session.execute(select(m.AssignmentKey.assignment_id, m.AssignmentKey.version_id, m.AssignmentKey.seed,
                                          m.AssignmentKey.simulator, m.AssignmentKey.key)
                                   .order_by(m.AssignmentKey.assignment_id)).all()
    finally:
        engine.dispose()
    files = {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
             if p.is_file() and p.parent.name in ("quiz", "keys")}
    return files, [tuple(k) for k in keys]


def test_workers_write_what_the_parent_alone_writes(make_bank, tmp_path, monkeypatch):
    monkeypatch.setattr(pool, "CHUNK", 7)  # several jobs in flight, the last one short
    alone, alone_keys = assigned(tmp_path / "a" / "c", make_bank("sqlite"), 1, None)  # the same course name
    shared, shared_keys = assigned(tmp_path / "b" / "c", make_bank("sqlite"), 2, tmp_path / "a" / "c" / service.SECRET_FILE)
    assert len(alone) == 2 * 60 + 2 and len(alone_keys) == 60 * len(QUESTIONS)
    assert shared.keys() == alone.keys()
    for name in alone:
        assert shared[name] == alone[name], name
    assert shared_keys == alone_keys


def test_a_small_class_stays_in_the_parent():
    assert pool.workers_for(pool.MIN_VARIANTS - 1, None) == 1
    assert pool.workers_for(10, 3) == 3
