"""Running the CLI as a new user would, for the tests of what it prints per language."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def tcptutor(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`python -m tcptutor ARGS` in `cwd`: no language from the environment (only --lang
    chooses), a bank of its own in `cwd`, no verification cache."""
    env = {k: v for k, v in os.environ.items() if k not in ("TCPTUTOR_LANG", "LC_ALL", "LC_MESSAGES", "LANG")}
    env.update(PYTHONIOENCODING="utf-8", TCPTUTOR_DB=f"sqlite:///{cwd / 'bank.sqlite'}", TCPTUTOR_VERIFY_CACHE="off")
    return subprocess.run([sys.executable, "-m", "tcptutor", *args], capture_output=True, text=True, encoding="utf-8",
                          cwd=cwd, env=env, timeout=600)
