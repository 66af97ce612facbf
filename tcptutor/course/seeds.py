"""Per-student variant seeds: HMAC-SHA256(secret, course, set, student, question).

The instructor (who holds the secret) can always reproduce a student's numbers; a
student, who does not, cannot work out a classmate's seed from their own.
"""

from __future__ import annotations

import hashlib
import hmac


def variant_seed(secret: bytes, course: str, set_name: str, student: str, question: str) -> int:
    message = "\x1f".join((course, set_name, student, question)).encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def set_seed(secret: bytes, course: str, set_name: str) -> int:
    """Seed of the draw that picks a set's questions from its topics (the same for everyone)."""
    return variant_seed(secret, course, set_name, "", "")
