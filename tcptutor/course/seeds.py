"""Per-student variant seeds: HMAC-SHA256(secret, course, set, student, question).

The instructor (who holds the secret) can always reproduce a student's numbers; a
student, who does not, cannot work out a classmate's seed from their own.
"""

from __future__ import annotations

import hashlib
import hmac


MIN_SECRET_BYTES = 16


def variant_seed(secret: bytes, course: str, set_name: str, student: str, question: str) -> int:
    if len(secret) < MIN_SECRET_BYTES:  # an empty key makes every seed computable from the ids
        raise ValueError(f"the course secret must be at least {MIN_SECRET_BYTES} bytes; got {len(secret)}")
    message = "\x1f".join((course, set_name, student, question)).encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def set_seed(secret: bytes, course: str, set_name: str) -> int:
    """Seed of the draw that picks a set's questions from its topics (the same for everyone)."""
    return variant_seed(secret, course, set_name, "", "")
