"""Whether a bank still matches the lessons it was built from: the keys a build records in
bank_meta and the rule for rebuilding. The standard library alone, so that bank.lite can
ask it without SQLAlchemy (bank.build does the rebuilding)."""

from __future__ import annotations

from pathlib import Path

from .. import i18n
from .content import read_content

FINGERPRINT_KEY = "content_fingerprint"
# "shipped"; "shipped+FOLDER" (an instructor's folder beside the shipped lessons); or FOLDER
# alone (built with --replace). FOLDER is an absolute path, so the bank means the same from any cwd.
SOURCE_KEY = "content_source"
SHIPPED = "shipped"
BESIDE = "shipped+"
SHIPPED_FINGERPRINT_KEY = "shipped_fingerprint"  # of the shipped part of a shipped+FOLDER bank
INSTRUCTOR_QUESTIONS_KEY = "instructor_questions"  # JSON ids from FOLDER: an automatic rebuild never retires them


def rebuild_reason_of(stored: dict[str, str]) -> str | None:
    """Why a bank whose bank_meta holds `stored` should be built from the shipped lessons now, or None.

    On first use it is empty; after a `git pull` or an upgrade the shipped lessons may have
    changed, and the bank rebuilds itself instead of going stale. A bank holding an
    instructor's folder beside the shipped lessons rebuilds both (keeping the folder's
    questions) when the shipped part changed, if the folder is still there. A bank built
    from a folder alone (or by an older tcptutor, which recorded no source) is left alone.
    """
    if FINGERPRINT_KEY not in stored:
        return i18n._("building the question bank from the shipped lessons (first use)")
    source = stored.get(SOURCE_KEY)
    if source == SHIPPED:
        if stored[FINGERPRINT_KEY] != read_content().fingerprint():
            return i18n._("the shipped lessons changed; rebuilding the question bank")
    elif source is not None and source.startswith(BESIDE):
        folder = source[len(BESIDE):]
        if stored.get(SHIPPED_FINGERPRINT_KEY) != read_content().fingerprint() and Path(folder).is_dir():
            return i18n._("the shipped lessons changed; rebuilding the question bank with the lessons of {folder}").format(
                folder=folder)
    return None
