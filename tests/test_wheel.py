"""The wheel works on its own: built from a clean copy of the source tree, installed into a
fresh virtual environment, run from an unrelated folder.

Slow (a wheel build and a venv: some tens of seconds), but it runs in CI with everything
else. It carries no marker: pyproject registers none for it, and an unknown marker would
only warn. Nothing is written into the source tree: the wheel is built from a copy, so
neither build/ nor *.egg-info appear in the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IGNORED = shutil.ignore_patterns(
    ".git", "build", "dist", "*.egg-info", ".hypothesis", ".pytest_cache", ".benchmarks", "__pycache__",
    "*.sqlite", "*.sqlite-*", "tests", "bench", ".venv", "venv",
)


def sh(*cmd, cwd: Path, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    out = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)
    assert out.returncode == 0, f"{' '.join(map(str, cmd))} exited {out.returncode}\n{out.stdout}\n{out.stderr}"
    return out


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    # symlinks=True keeps tcptutor/content -> ../content (and the migrations link) as links
    # inside the copy, exactly as in a checkout
    shutil.copytree(ROOT, src, symlinks=True, ignore=IGNORED)
    dist = tmp / "dist"
    sh(sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-w", dist, cwd=src)
    (wheel,) = dist.glob("tcptutor-*.whl")

    venv = tmp / "venv"
    sh(sys.executable, "-m", "venv", "--system-site-packages", venv, cwd=tmp)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    # --ignore-installed: the checkout's own (editable) tcptutor is visible through the
    # system site-packages and must not count as "already satisfied"
    sh(python, "-m", "pip", "install", "--no-deps", "--ignore-installed", "--no-index", wheel, cwd=tmp)

    run_dir = tmp / "elsewhere"
    run_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("TCPTUTOR_DB", "PYTHONPATH", "VIRTUAL_ENV")}
    env.update(
        TCPTUTOR_DB=f"sqlite:///{tmp / 'bank.sqlite'}",
        XDG_DATA_HOME=str(tmp / "xdg"),
        PATH=f"{bindir}{os.pathsep}{env.get('PATH', '')}",
    )
    return {"wheel": wheel, "python": python, "exe": bindir / "tcptutor", "cwd": run_dir, "env": env, "tmp": tmp}


def test_the_wheel_ships_content_and_migrations(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    assert "tcptutor/content/topics.toml" in names
    assert "tcptutor/content/scenarios/handshake.toml" in names
    assert any(n.startswith("tcptutor/content/lessons/") and n.endswith(".md") for n in names)
    assert "tcptutor/bank/migrations/env.py" in names
    assert any(n.startswith("tcptutor/bank/migrations/versions/0001") for n in names)
    assert "tcptutor/locale/zh/LC_MESSAGES/tcptutor.mo" in names  # gettext reads the compiled catalog


def test_the_installed_tcptutor_speaks_chinese(installed):
    out = sh(installed["exe"], "--lang", "zh", "simulate", "handshake", cwd=installed["cwd"], env=installed["env"])
    assert "同步已发送 SYN-SENT" in out.stdout and "客户端" in out.stdout


def test_the_installed_package_is_the_wheel_not_the_checkout(installed):
    out = sh(installed["python"], "-c", "import tcptutor, tcptutor.library as l; print(tcptutor.__file__); print(l.CONTENT)",
             cwd=installed["cwd"], env=installed["env"])
    module, content = out.stdout.splitlines()
    venv = str(installed["python"].parent.parent)
    assert module.startswith(venv), module
    assert content.startswith(venv), content
    assert not Path(content).is_symlink()  # a real copy of the content in the wheel


def test_installed_tcptutor_lessons_json(installed):
    out = sh(installed["exe"], "lessons", "--json", cwd=installed["cwd"], env=installed["env"])
    assert "building the question bank from the shipped lessons (first use)" in out.stderr
    lessons = json.loads(out.stdout)
    assert lessons, out.stderr
    assert all(set(row) == {"id", "title", "topics", "questions", "predict"} for row in lessons)
    assert "handshake" in {row["id"] for row in lessons}
    assert sum(row["questions"] for row in lessons) > 0
    assert (installed["tmp"] / "bank.sqlite").is_file()  # where TCPTUTOR_DB says
    assert not (installed["tmp"] / "xdg").exists()  # and not the default location
    assert list(installed["cwd"].iterdir()) == []  # nothing written into the working folder


def test_installed_tcptutor_simulate_handshake_json(installed):
    out = sh(installed["exe"], "simulate", "handshake", "--json", cwd=installed["cwd"], env=installed["env"])
    trace = json.loads(out.stdout)
    assert trace["format"] == "tcptutor.trace/1"
    flags = [sorted(s["flags"]) for s in trace["segments"]]
    assert flags == [["SYN"], ["ACK", "SYN"], ["ACK"]]
    assert trace["final"] == {"client": "ESTABLISHED", "server": "ESTABLISHED"}
