"""The repository stands alone: nothing in it reaches outside it.

A person who clones the project has only the repository, so no test, doc, script or link may
depend on a folder beside it. These tests read the files that are there (a clean clone, or
the copy CI tests from), not git, so they work without a .git folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Folders that are built or installed, never part of the project's own text.
SKIPPED_DIRS = {".git", "node_modules", "__pycache__", ".pytest_cache", ".hypothesis", "build", "dist",
                ".venv", "venv", ".benchmarks"}
SKIPPED_SUFFIXES = (".sqlite", ".sqlite-wal", ".sqlite-shm", ".pyc")
# Spelled in pieces so that this file does not match itself.
SHARED = "sha" + "red"
OUTSIDE_REFERENCES = (f"../{SHARED}", f"/work/{SHARED}", f"{SHARED}/contracts", f"{SHARED}/validators")


def project_files() -> list[Path]:
    """Every file of the project; symlinked folders (tcptutor/content, the migrations) are not
    followed, so each file is read once, where it really lives."""
    files = []
    for folder, dirs, names in os.walk(ROOT):  # does not follow symlinks to folders
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.endswith(".egg-info"))
        for name in sorted(names):
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink() and not name.endswith(SKIPPED_SUFFIXES):
                files.append(path)
    return files


def test_the_walk_sees_the_project():
    names = {path.relative_to(ROOT).as_posix() for path in project_files()}
    for expected in ("README.md", "docs/scenarios.md", ".ci/run", "pyproject.toml",
                     "tests/export/data/ims_qtiasiv1p2p1.dtd", "content/lessons/01-handshake.md"):
        assert expected in names


def test_nothing_refers_outside_the_repository():
    found = []
    for path in project_files():
        text = path.read_bytes().decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            for reference in OUTSIDE_REFERENCES:
                if reference in line:
                    found.append(f"{path.relative_to(ROOT)}:{number}: {reference}")
    assert not found, "references to a folder outside the repository:\n" + "\n".join(found)


MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_every_relative_markdown_link_stays_inside_and_exists():
    broken = []
    for path in project_files():
        if path.suffix != ".md":
            continue
        for target in MARKDOWN_LINK.findall(path.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue  # a web address or an anchor in the same page
            resolved = (path.parent / target.split("#")[0]).resolve()
            if ROOT.resolve() not in resolved.parents or not resolved.exists():
                broken.append(f"{path.relative_to(ROOT)}: ({target})")
    assert not broken, "relative links that leave the repository or point at nothing:\n" + "\n".join(broken)


def test_readme_links_the_scenario_reference():
    assert "](docs/scenarios.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
