"""Per-student variant seeds (tcptutor.course.seeds): HMAC-SHA256(secret, course, set,
student, question). Deterministic for the instructor, different for every student, question,
set and course, and impossible to reproduce without the secret."""

from __future__ import annotations

import hashlib
import hmac
import itertools

from tcptutor.course.seeds import set_seed, variant_seed

SECRET = bytes.fromhex("00112233445566778899aabbccddeeff" * 2)
OTHER_SECRET = bytes.fromhex("ffeeddccbbaa99887766554433221100" * 2)


def reference(secret: bytes, *parts: str) -> int:
    """The documented construction, written out independently: HMAC-SHA256 over the parts
    joined by the unit separator, first four bytes big-endian, top bit cleared."""
    digest = hmac.new(secret, "\x1f".join(parts).encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def test_is_hmac_sha256_of_course_set_student_question():
    assert variant_seed(SECRET, "net101", "quiz1", "s001", "hs-synack-numbers") == \
        reference(SECRET, "net101", "quiz1", "s001", "hs-synack-numbers")
    assert set_seed(SECRET, "net101", "quiz1") == reference(SECRET, "net101", "quiz1", "", "")


def test_deterministic():
    a = [variant_seed(SECRET, "c", "s", f"st{i}", "q") for i in range(50)]
    b = [variant_seed(bytes(SECRET), "c", "s", f"st{i}", "q") for i in range(50)]
    assert a == b


def test_fits_a_signed_32_bit_column():
    seeds = [variant_seed(SECRET, "c", "s", f"st{i}", f"q{j}") for i in range(200) for j in range(5)]
    assert all(0 <= s <= 2**31 - 1 for s in seeds)
    assert max(seeds) > 2**30  # the range is really used, not a small slice of it


def test_differs_per_student_question_set_and_course():
    base = ("net101", "quiz1", "s001", "hs-synack-numbers")
    seed = variant_seed(SECRET, *base)
    for i, other in ((0, "net102"), (1, "quiz2"), (2, "s002"), (3, "hs-syn-seq")):
        changed = list(base)
        changed[i] = other
        assert variant_seed(SECRET, *changed) != seed, f"changing part {i} must change the seed"


def test_no_collisions_across_a_class():
    students = [f"s{i:04d}" for i in range(1000)]
    questions = ["hs-synack-numbers", "sn-ack-after-data", "td-closer-waits"]
    seeds = {variant_seed(SECRET, "net101", "quiz1", s, q) for s, q in itertools.product(students, questions)}
    # 3000 draws from 2^31: a birthday collision has probability ~0.2%; with this fixed secret there is none
    assert len(seeds) == 3000


def test_parts_cannot_be_shifted_into_each_other():
    """The separator keeps ("s1", "0q") and ("s10", "q") apart."""
    assert variant_seed(SECRET, "c", "set", "s1", "0q") != variant_seed(SECRET, "c", "set", "s10", "q")
    assert variant_seed(SECRET, "c", "se", "ts1", "q") != variant_seed(SECRET, "c", "set", "s1", "q")


def test_depends_on_the_secret():
    parts = ("net101", "quiz1", "s001", "hs-synack-numbers")
    assert variant_seed(SECRET, *parts) != variant_seed(OTHER_SECRET, *parts)
    assert set_seed(SECRET, "net101", "quiz1") != set_seed(OTHER_SECRET, "net101", "quiz1")
    # without the secret, a student's own seed says nothing about a classmate's: it is not a
    # plain hash of the names
    plain = int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:4], "big") & 0x7FFFFFFF
    assert variant_seed(SECRET, *parts) != plain


def test_set_seed_differs_per_set_and_course():
    assert len({set_seed(SECRET, c, s) for c in ("net101", "net102") for s in ("quiz1", "quiz2", "exam")}) == 6
