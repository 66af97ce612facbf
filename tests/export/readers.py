"""The third-party readers the export tests run: skipped locally when missing, failing in CI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

NODE_DIR = Path(__file__).resolve().parent / "node"
NODE_PACKAGES = ("gift-pegjs", "moodlexml-to-json")


def unavailable(reason: str):
    """Skip on a developer's machine; fail in CI, where .ci/run installs every reader."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI must run this test: .ci/run installs it)")
    pytest.skip(reason)


def node_readers() -> Path:
    """tests/export/node with its npm packages installed (npm ci on first use)."""
    if shutil.which("node") is None:
        unavailable("node is not installed")
    if not all((NODE_DIR / "node_modules" / p).is_dir() for p in NODE_PACKAGES):
        npm = shutil.which("npm")
        if npm is None:
            unavailable("npm is not installed, so tests/export/node's readers cannot be installed")
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, capture_output=True, text=True)
        if done.returncode != 0:
            unavailable(f"npm ci in tests/export/node failed: {done.stderr[-500:]}")
    return NODE_DIR


def run_node(script: str, path: Path) -> dict:
    node_readers()
    done = subprocess.run(["node", str(NODE_DIR / script), str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
