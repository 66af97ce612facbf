"""A small content folder for the tests that build a bank of their own.

`handshake_lesson(questions)` is a whole lesson: the header every such test used (the
handshake scenario, a common mistake) followed by the test's own question blocks.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

HANDSHAKE_HEADER = textwrap.dedent('''\
    # Handshake numbers

    ```lesson
    id = "hs"
    topics = ["handshake"]
    objectives = ["Compute the handshake's numbers"]
    ```

    Prose.

    ```scenario
    handshake
    ```

    ## Common mistakes

    Forgetting that the SYN takes a sequence number.

    ## Questions

''')


def handshake_lesson(questions: str) -> str:
    """The handshake lesson with these question blocks (indented as in the caller; dedented here)."""
    return HANDSHAKE_HEADER + textwrap.dedent(questions)


def write_content(root: Path, lesson: str) -> Path:
    """`root/lessons/01-hs.md` holding `lesson`: a content folder `build` can read."""
    (root / "lessons").mkdir(parents=True)
    (root / "lessons" / "01-hs.md").write_text(lesson, encoding="utf-8")
    return root
