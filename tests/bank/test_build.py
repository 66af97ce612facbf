"""`build` into a real SQLite bank (SQLAlchemy + the real Alembic migrations): first build,
unchanged rebuilds that write nothing, versioning of edited questions, retirement of removed
ones, failed builds that leave the bank byte for byte as it was, and `check`."""

from __future__ import annotations

import hashlib
import sqlite3
import textwrap
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import select
from sqlalchemy.orm import Session

from tcptutor import library
from tcptutor.bank import models as m
from tcptutor.bank import queries
from tcptutor.bank.build import FINGERPRINT_KEY, RetireRefused, build, check
from tcptutor.bank.db import MIGRATIONS, open_engine
from tcptutor.problems import ContentError

ALPHA = textwrap.dedent('''\
    # Alpha: the handshake

    ```lesson
    id = "alpha"
    topics = ["handshake"]
    objectives = ["Compute the handshake's numbers"]
    ```

    Prose.

    ```scenario
    handshake
    ```

    ## Common mistakes

    None.

    ## Questions

    ```question
    id = "a-synack"
    kind = "predict"
    topics = ["handshake", "sequence-numbers"]
    difficulty = 1
    scenario = "handshake"
    prompt = "Client ISN {client_isn}, server ISN {server_isn}. Give the seq and ack of the SYN+ACK."
    explanation = "Its own ISN, and the client's ISN + 1."

    [[ask]]
    field = "seq"
    what = "seq"
    segment = "server SYN+ACK"

    [[ask]]
    field = "ack"
    what = "ack"
    segment = "server SYN+ACK"
    ```

    ```question
    id = "a-tf"
    kind = "truefalse"
    topics = ["handshake"]
    prompt = "The server is ESTABLISHED when it sends its SYN+ACK."
    explanation = "It waits for the ACK of its SYN."
    answer = false
    ```

    ```question
    id = "a-single"
    kind = "single"
    topics = ["handshake", "header-flags"]
    prompt = "Which segment carries both SYN and ACK?"
    explanation = "The server's answer to the SYN."

    [[options]]
    text = "The server's SYN+ACK"
    correct = true
    feedback = "Yes."

    [[options]]
    text = "The client's final ACK"
    correct = false
    feedback = "It carries no SYN."
    ```
''')

BETA = textwrap.dedent('''\
    # Beta: TIME-WAIT

    ```lesson
    id = "beta"
    topics = ["time-wait"]
    objectives = ["Say how long TIME-WAIT lasts"]
    ```

    ## Common mistakes

    None.

    ```question
    id = "b-tw"
    kind = "predict"
    topics = ["time-wait"]
    difficulty = 2
    scenario = "active-close"
    prompt = "How long does the client stay in TIME-WAIT?"
    explanation = "2 MSL."

    [[ask]]
    field = "tw"
    what = "timeout"
    endpoint = "client"
    timer = "time-wait"
    ```

    ```question
    id = "b-num"
    kind = "numeric"
    topics = ["time-wait"]
    prompt = "How many seconds is 2 MSL under RFC 9293?"
    explanation = "MSL is 2 minutes."
    answer = 240
    unit = "s"
    ```
''')

BROKEN_QUESTION = textwrap.dedent('''
    ```question
    id = "a-broken"
    kind = "predict"
    topics = ["handshake"]
    scenario = "handshake"
    prompt = "Give the seq of the server's FIN."
    explanation = "There is none."

    [[ask]]
    field = "seq"
    what = "seq"
    segment = "server FIN"
    ```
''')

TABLES = ("topics", "lessons", "questions", "question_versions", "question_topics", "bank_meta", "alembic_version")  # build's tables


@pytest.fixture
def content(tmp_path) -> Path:
    root = tmp_path / "content"
    (root / "lessons").mkdir(parents=True)
    (root / "lessons" / "01-alpha.md").write_text(ALPHA, encoding="utf-8")
    (root / "lessons" / "02-beta.md").write_text(BETA, encoding="utf-8")
    return root


@pytest.fixture
def bank(tmp_path) -> Path:
    return tmp_path / "bank.sqlite"


def url(path: Path) -> str:
    return f"sqlite:///{path}"


def build_once(bank: Path, content: Path, **kwargs):
    engine = open_engine(url(bank))
    try:
        return build(engine, content, **kwargs)
    finally:
        engine.dispose()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def dump(bank: Path) -> dict[str, list[tuple]]:
    """Every row of every table, and the schema, read with the plain sqlite3 module."""
    con = sqlite3.connect(bank)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        data = {t: sorted(con.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
        data["sqlite_master"] = sorted(con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall(), key=repr)
        return data
    finally:
        con.close()


def counts(bank: Path) -> dict[str, int]:
    con = sqlite3.connect(bank)
    try:
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in TABLES}
    finally:
        con.close()


def files_digest(bank: Path) -> dict[str, str]:
    """The bytes of the bank and of any WAL / shared-memory file next to it."""
    out = {}
    for path in sorted(bank.parent.glob(bank.name + "*")):
        out[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


class DataVersion:
    """PRAGMA data_version on a connection of its own: it changes iff another connection
    committed a change to the database file."""

    def __init__(self, bank: Path):
        self.con = sqlite3.connect(bank)

    def __call__(self) -> int:
        return self.con.execute("PRAGMA data_version").fetchone()[0]

    def close(self) -> None:
        self.con.close()


def versions_of(session: Session, qid: str) -> list[m.QuestionVersion]:
    return list(session.scalars(select(m.QuestionVersion).where(m.QuestionVersion.question_id == qid).order_by(m.QuestionVersion.version)))


# ----------------------------------------------------------------------- tests


def test_first_build_writes_lessons_questions_and_versions(bank, content):
    report = build_once(bank, content)
    assert (report.lessons, report.questions, report.new_questions, report.new_versions, report.retired) == (2, 5, 5, 0, 0)
    assert not report.unchanged
    assert "5 new" in report.summary()

    engine = open_engine(url(bank))
    with Session(engine) as session:
        lessons = queries.lessons(session)
        assert [(r.id, r.title, r.topics, r.questions, r.predict) for r in lessons] == [
            ("alpha", "Alpha: the handshake", ["handshake"], 3, 1),
            ("beta", "Beta: TIME-WAIT", ["time-wait"], 2, 1),
        ]
        rows = queries.questions(session)
        assert [(r.id, r.lesson, r.kind, r.version) for r in rows] == [
            ("a-synack", "alpha", "predict", 1), ("a-tf", "alpha", "truefalse", 1), ("a-single", "alpha", "single", 1),
            ("b-tw", "beta", "predict", 1), ("b-num", "beta", "numeric", 1),
        ]
        assert [r.id for r in queries.questions(session, topic="header-flags")] == ["a-single"]
        assert [r.id for r in queries.questions(session, lesson="beta")] == ["b-tw", "b-num"]
        alpha = queries.lesson(session, "alpha")
        assert set(alpha.scenarios) == {"handshake"}  # the text of every named scenario it draws
        assert alpha.scenarios["handshake"] == (library.SCENARIOS / "handshake.toml").read_text(encoding="utf-8")
        loaded = queries.load_question(session, "b-tw")
        assert loaded.version == 1 and loaded.question.scenario == "active-close"
        # the named scenario's text travels with the version
        assert loaded.scenarios == {"active-close": (library.SCENARIOS / "active-close.toml").read_text(encoding="utf-8")}
        assert session.get(m.Meta, FINGERPRINT_KEY) is not None
    engine.dispose()
    c = counts(bank)
    assert c["questions"] == c["question_versions"] == 5
    assert c["question_topics"] == 7
    assert c["alembic_version"] == 1


def test_rebuilding_unchanged_content_writes_nothing(bank, content):
    build_once(bank, content)
    before_files, before_rows, before_dump = files_digest(bank), counts(bank), dump(bank)
    data_version = DataVersion(bank)
    try:
        start = data_version()
        engine = open_engine(url(bank))
        report = build(engine, content)
        assert report.unchanged
        assert (report.lessons, report.questions) == (2, 5)
        assert report.summary() == "bank up to date: 2 lessons, 5 questions (nothing written)"
        assert data_version() == start

        forced = build(engine, content, force=True)
        assert (forced.new_questions, forced.new_versions, forced.retired) == (0, 0, 0)
        assert data_version() == start  # nothing to change: nothing committed, even when forced
        engine.dispose()
    finally:
        data_version.close()
    assert counts(bank) == before_rows
    assert dump(bank) == before_dump
    assert files_digest(bank) == before_files


def test_the_data_version_probe_sees_a_real_write(bank, content):
    """So that an unchanged data_version above really means "nothing committed"."""
    build_once(bank, content)
    data_version = DataVersion(bank)
    try:
        start = data_version()
        edit(content / "lessons" / "02-beta.md", "None.", "Still none.")
        assert not build_once(bank, content).unchanged
        assert data_version() != start
    finally:
        data_version.close()


def test_editing_a_prompt_creates_version_2_and_keeps_version_1(bank, content):
    build_once(bank, content)
    engine = open_engine(url(bank))
    with Session(engine) as session:
        (v1,) = versions_of(session, "a-synack")
        v1_id, v1_spec, v1_hash = v1.id, dict(v1.spec), v1.content_hash
    engine.dispose()

    edit(content / "lessons" / "01-alpha.md", "Give the seq and ack of the SYN+ACK.", "Give the SYN+ACK's seq and ack.")
    report = build_once(bank, content)
    assert (report.new_questions, report.new_versions, report.retired, report.unchanged) == (0, 1, 0, False)

    engine = open_engine(url(bank))
    with Session(engine) as session:
        old, new = versions_of(session, "a-synack")
        assert (old.id, old.version, old.content_hash) == (v1_id, 1, v1_hash)
        assert old.spec == v1_spec  # the old version is untouched
        assert new.version == 2 and new.content_hash != v1_hash
        assert new.spec["prompt"].endswith("Give the SYN+ACK's seq and ack.")
        assert {k: v for k, v in new.spec.items() if k != "prompt"} == {k: v for k, v in v1_spec.items() if k != "prompt"}
        row = session.get(m.Question, "a-synack")
        assert row.current_version_id == new.id and row.active
        assert [t.topic_id for t in old.topics] == [t.topic_id for t in new.topics]
        assert queries.load_question(session, "a-synack").version == 2
        assert {r.id: r.version for r in queries.questions(session)} == {"a-synack": 2, "a-tf": 1, "a-single": 1, "b-tw": 1, "b-num": 1}
        for qid in ("a-tf", "a-single", "b-tw", "b-num"):
            assert len(versions_of(session, qid)) == 1
    engine.dispose()


def test_editing_only_prose_updates_the_lesson_without_new_versions(bank, content):
    build_once(bank, content)
    edit(content / "lessons" / "01-alpha.md", "Prose.", "Better prose.")
    report = build_once(bank, content)
    assert (report.new_questions, report.new_versions, report.retired, report.unchanged) == (0, 0, 0, False)
    engine = open_engine(url(bank))
    with Session(engine) as session:
        assert "Better prose." in queries.lesson(session, "alpha").markdown
    engine.dispose()
    assert counts(bank)["question_versions"] == 5


def test_removing_a_question_retires_it_and_keeps_its_versions(bank, content):
    build_once(bank, content)
    edit(content / "lessons" / "02-beta.md", "answer = 240", "answer = 240.0")  # a second version of b-num
    build_once(bank, content)
    beta = content / "lessons" / "02-beta.md"
    text = beta.read_text(encoding="utf-8")
    start = text.index('```question\nid = "b-num"')
    end = text.index("```\n", start + 3) + 4
    beta.write_text(text[:start] + text[end:], encoding="utf-8")

    with pytest.raises(RetireRefused, match=r"would retire 1 question that the content no longer has \(b-num\); nothing was written"):
        build_once(bank, content)
    report = build_once(bank, content, retire=True)
    assert (report.questions, report.new_questions, report.new_versions, report.retired) == (4, 0, 0, 1)

    engine = open_engine(url(bank))
    with Session(engine) as session:
        row = session.get(m.Question, "b-num")
        assert row is not None and row.active is False
        versions = versions_of(session, "b-num")
        assert [v.version for v in versions] == [1, 2]
        assert row.current_version_id == versions[-1].id
        assert "b-num" not in {r.id for r in queries.questions(session)}
        assert [(r.id, r.questions) for r in queries.lessons(session)] == [("alpha", 3), ("beta", 1)]
    engine.dispose()

    # putting it back re-activates it; its content is the same as version 2: no new version
    beta.write_text(text, encoding="utf-8")
    report = build_once(bank, content)
    assert (report.new_questions, report.new_versions, report.retired) == (0, 0, 0)
    engine = open_engine(url(bank))
    with Session(engine) as session:
        assert session.get(m.Question, "b-num").active is True
        assert [v.version for v in versions_of(session, "b-num")] == [1, 2]
    engine.dispose()


def test_removing_a_lesson_retires_the_lesson_and_its_questions(bank, content):
    build_once(bank, content)
    (content / "lessons" / "02-beta.md").unlink()
    before = dump(bank)
    with pytest.raises(RetireRefused, match=r"would retire 2 questions .*\(b-num, b-tw\); nothing was written"):
        build_once(bank, content)
    assert dump(bank) == before
    report = build_once(bank, content, retire=True)
    assert (report.lessons, report.questions, report.retired) == (1, 3, 2)
    engine = open_engine(url(bank))
    with Session(engine) as session:
        assert [r.id for r in queries.lessons(session)] == ["alpha"]
        assert session.get(m.Lesson, "beta").active is False
        with pytest.raises(queries.NotFound):
            queries.lesson(session, "beta")
    engine.dispose()
    assert counts(bank)["question_versions"] == 5


def test_a_failed_build_leaves_the_bank_byte_for_byte_identical(bank, content):
    build_once(bank, content)
    before_dump, before_files = dump(bank), files_digest(bank)

    # a good edit (would be a new version) next to a broken question, and a new lesson
    alpha = content / "lessons" / "01-alpha.md"
    edit(alpha, "Give the seq and ack of the SYN+ACK.", "Edited, so a partial write would show.")
    alpha.write_text(alpha.read_text(encoding="utf-8") + BROKEN_QUESTION, encoding="utf-8")
    (content / "lessons" / "03-gamma.md").write_text(BETA.replace('id = "beta"', 'id = "gamma"').replace('"b-', '"g-'), encoding="utf-8")

    data_version = DataVersion(bank)
    try:
        start = data_version()
        engine = open_engine(url(bank))
        with pytest.raises(ContentError) as err:
            build(engine, content)
        with pytest.raises(ContentError):
            build(engine, content, force=True)
        engine.dispose()
        assert data_version() == start
    finally:
        data_version.close()
    assert len(err.value.problems) == 1
    assert "no segment matches 'server FIN'" in err.value.problems[0].message
    assert dump(bank) == before_dump
    assert files_digest(bank) == before_files


def test_a_fresh_engine_on_an_existing_bank_keeps_its_data(bank, content):
    build_once(bank, content)
    edit(content / "lessons" / "01-alpha.md", "Give the seq and ack of the SYN+ACK.", "Second wording.")
    build_once(bank, content)
    before = dump(bank)
    for _ in range(3):  # migrations run on every open: at head they change nothing
        open_engine(url(bank)).dispose()
    assert dump(bank) == before
    con = sqlite3.connect(bank)
    try:
        assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [(head_revision(),)]
    finally:
        con.close()
    assert build_once(bank, content).unchanged


def head_revision() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


CONTENT_TABLES = {"topics", "lessons", "questions", "question_versions", "question_topics", "bank_meta"}


def _table_of(diff) -> str | None:
    if isinstance(diff, list):  # column modifications come as a list of tuples
        return diff[0][2]
    item = diff[1]
    if hasattr(item, "table") and item.table is not None:  # an index or a constraint
        return item.table.name
    if hasattr(item, "name") and hasattr(item, "columns"):  # a table
        return item.name
    return diff[2] if len(diff) > 2 and isinstance(diff[2], str) else None


def test_the_migrations_create_the_content_schema_the_models_describe(bank):
    """Models and migrations agree on the bank's content tables (the ones `build` writes)."""
    engine = open_engine(url(bank))
    with engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), m.Base.metadata)
    engine.dispose()
    assert [d for d in diffs if _table_of(d) in CONTENT_TABLES or _table_of(d) is None] == []


def test_check_writes_nothing(bank, content):
    build_once(bank, content)
    before_dump, before_files = dump(bank), files_digest(bank)
    edit(content / "lessons" / "01-alpha.md", "Give the seq and ack of the SYN+ACK.", "Checked, not built.")
    report = check(content)
    assert (report.lessons, report.questions, report.unchanged) == (2, 5, True)
    (content / "lessons" / "01-alpha.md").write_text(ALPHA + BROKEN_QUESTION, encoding="utf-8")
    with pytest.raises(ContentError):
        check(content)
    assert dump(bank) == before_dump
    assert files_digest(bank) == before_files
    # and the bank still has the built wording
    engine = open_engine(url(bank))
    with Session(engine) as session:
        assert queries.load_question(session, "a-synack").question.prompt.endswith("Give the seq and ack of the SYN+ACK.")
    engine.dispose()


HIDDEN_ISN = textwrap.dedent('''\

    ```question
    id = "a-hidden"
    kind = "predict"
    topics = ["handshake"]
    scenario = "handshake"
    prompt = "Give the seq of the SYN+ACK."
    explanation = "The server's ISN."

    [[ask]]
    field = "seq"
    what = "seq"
    segment = "server SYN+ACK"
    ```
''')


def test_check_reports_warnings_without_failing_and_strict_fails(content):
    from typer.testing import CliRunner

    from tcptutor.cli import app

    assert check(content).warnings == []
    lesson = content / "lessons" / "01-alpha.md"
    lesson.write_text(ALPHA + HIDDEN_ISN, encoding="utf-8")
    line = (ALPHA + HIDDEN_ISN).splitlines().index('id = "a-hidden"') + 1
    (w,) = check(content).warnings
    assert (w.line, w.message.split(" (")[0]) == (line, "warning: question a-hidden: the answers depend on server_isn")
    runner = CliRunner()
    plain = runner.invoke(app, ["check", "--content", str(content)])
    assert plain.exit_code == 0, plain.output
    assert f"01-alpha.md:{line}: warning: question a-hidden: the answers depend on server_isn" in plain.output
    assert "ok: 2 lessons, 6 questions verified, 1 warning" in plain.output
    strict = runner.invoke(app, ["check", "--strict", "--content", str(content)])
    assert strict.exit_code == 1
