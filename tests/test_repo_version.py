"""`tcptutor --version`: the installed version, one line on stdout, exit 0."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

from typer.testing import CliRunner

import tcptutor
from tcptutor.cli import app

ROOT = Path(__file__).resolve().parent.parent


def test_version_prints_the_package_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"tcptutor {tcptutor.__version__}\n"
    assert re.fullmatch(r"\d+\.\d+\.\d+", tcptutor.__version__)


def test_version_has_one_source():
    """pyproject.toml takes the version from tcptutor.__version__, so the two cannot drift."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" in project["project"]["dynamic"] and "version" not in project["project"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "tcptutor.__version__"}


def test_console_script_version():
    script = shutil.which("tcptutor")
    assert script, "the tcptutor console script is not installed (pip install -e '.[test]')"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([script, "--version"], capture_output=True, text=True, env=env, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"tcptutor {tcptutor.__version__}\n", "")


def test_simulator_version_follows_the_simulator_source(tmp_path, monkeypatch):
    """The digest covers every file of tcptutor/tcp and nothing else: a copied tree gives the
    same digest, an edited simulator file a different one, an edited lesson none."""
    import shutil as sh

    from tcptutor import library

    here = library.simulator_version()
    assert re.fullmatch(r"[0-9a-f]{16}", here)
    copy = tmp_path / "tcptutor"
    sh.copytree(ROOT / "tcptutor" / "tcp", copy / "tcp", ignore=sh.ignore_patterns("__pycache__"))
    (copy / "library.py").write_text("", encoding="utf-8")
    monkeypatch.setattr(library, "__file__", str(copy / "library.py"))
    library.simulator_version.cache_clear()
    try:
        assert library.simulator_version() == here
        (copy / "tcp" / "seq.py").write_text((copy / "tcp" / "seq.py").read_text() + "\n# edited\n")
        library.simulator_version.cache_clear()
        assert library.simulator_version() != here
    finally:
        library.simulator_version.cache_clear()
