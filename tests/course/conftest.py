"""Fixtures for the course tests: banks built once and copied, a real PostgreSQL server.

- `sqlite_template`: the shipped content built once per session into a SQLite file; each
  test gets a byte copy (sqlite3's backup API), so no test pays the ~20 s build twice.
- `pg_server`: a real PostgreSQL server (the newest /usr/lib/postgresql/*/bin found) started
  in a temp dir on 127.0.0.1 with trust auth, run as the `postgres` user when we are root.
  Skipped only when the binaries are missing and we are not in CI; in CI (CI=true) a
  missing server fails. `pg_template` builds the bank once into a template database, and
  each test gets `CREATE DATABASE ... TEMPLATE` of it.
- `make_bank(kind)`: a fresh, built bank URL of either kind (session-scoped factory).
- `cli(*args)`: the real `tcptutor` console script.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

EXE = shutil.which("tcptutor")
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


# ---------------------------------------------------------------- the console script


@pytest.fixture(scope="session")
def cli():
    """Run `tcptutor ARGS...`; returns the CompletedProcess (text mode). No TCPTUTOR_DB leaks in."""
    assert EXE, "the tcptutor console script is not installed (pip install -e '.[test]')"
    env = {k: v for k, v in os.environ.items() if k != "TCPTUTOR_DB"}
    env["COLUMNS"] = "200"

    def run(*args, input: str | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run([EXE, *map(str, args)], capture_output=True, text=True, env=env, check=False,
                              input=input, timeout=timeout)

    return run


# ---------------------------------------------------------------- SQLite


def _build(url: str) -> None:
    from tcptutor.bank.db import open_engine
    from tcptutor.bank.queries import ensure_built

    engine = open_engine(url)
    try:
        ensure_built(engine)
    finally:
        engine.dispose()


def copy_sqlite(src: Path, dst: Path) -> None:
    """A consistent copy even if src is in WAL mode."""
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    a.close()
    b.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bank-template") / "template.sqlite"
    _build(f"sqlite:///{path}")
    return path


# ---------------------------------------------------------------- PostgreSQL


def _pg_bindir() -> Path | None:
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")

    def version(path: str) -> tuple:
        part = Path(path).parent.parent.name
        return tuple(int(x) for x in part.split(".") if x.isdigit())

    return Path(max(found, key=version)).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PgServer:
    port: int
    datadir: Path
    _names = itertools.count(1)

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self, template: str | None = None) -> str:
        name = f"tcptutor_test_{os.getpid()}_{next(self._names)}"
        self.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return name


@pytest.fixture(scope="session")
def pg_server():
    bindir = _pg_bindir()
    if bindir is None:
        message = ("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb): "
                   "install the Debian package postgresql (.ci/run does)")
        if IN_CI:
            pytest.fail(f"CI=true and {message}")
        pytest.skip(message)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        if IN_CI:
            pytest.fail("CI=true but psycopg is not installed (it is in the test extra: pip install -e '.[test]')")
        pytest.skip("psycopg is not installed (pip install -e '.[test]')")

    as_root = os.geteuid() == 0
    base = Path(tempfile.mkdtemp(prefix="tcptutor-pg-"))  # under /tmp, traversable by postgres
    datadir = base / "data"
    prefix: list[str] = []
    if as_root:
        pw = pwd.getpwnam("postgres")
        os.chown(base, pw.pw_uid, pw.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]

    def run(*cmd: str) -> subprocess.CompletedProcess:
        return subprocess.run([*prefix, *cmd], capture_output=True, text=True, timeout=180, check=False)

    init = run(str(bindir / "initdb"), "-D", str(datadir), "--auth=trust", "-U", "postgres",
               "--encoding=UTF8", "--locale=C", "--no-sync")
    if init.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"initdb failed ({init.returncode}):\n{init.stdout}\n{init.stderr}")
    server = None
    for _ in range(5):  # the free port can be taken between the probe and the start
        port = _free_port()
        opts = (f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off")
        start = run(str(bindir / "pg_ctl"), "-D", str(datadir), "-l", str(base / "server.log"),
                    "-o", opts, "-w", "-t", "60", "start")
        if start.returncode == 0:
            server = PgServer(port, datadir)
            break
        time.sleep(0.5)
    if server is None:
        log = (base / "server.log").read_text(errors="replace") if (base / "server.log").exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"pg_ctl start failed:\n{start.stdout}\n{start.stderr}\n{log}")
    try:
        yield server
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "fast", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_template(pg_server) -> str:
    """A database holding the built shipped bank, used as the template of each test's database."""
    name = pg_server.create_database()
    _build(pg_server.url(name))
    return name


# ---------------------------------------------------------------- a fresh bank of either kind


@pytest.fixture(scope="session")
def make_bank(request, tmp_path_factory):
    """make_bank("sqlite" | "postgresql") -> URL of a fresh copy of the built shipped bank."""
    count = itertools.count(1)
    folder = tmp_path_factory.mktemp("banks")

    def make(kind: str) -> str:
        if kind == "sqlite":
            path = folder / f"bank{next(count)}.sqlite"
            copy_sqlite(request.getfixturevalue("sqlite_template"), path)
            return f"sqlite:///{path}"
        if kind == "postgresql":
            server = request.getfixturevalue("pg_server")
            template = request.getfixturevalue("pg_template")
            return server.url(server.create_database(template=template))
        raise ValueError(kind)

    return make
