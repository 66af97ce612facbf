"""Sequence-number arithmetic modulo 2**32 (RFC 9293 3.4), across the wrap."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tcptutor.tcp import seq

MOD = 2**32
TOP = MOD - 1

seqnos = st.integers(0, TOP)
# Values that sit near the places where modular arithmetic goes wrong.
edgy = st.one_of(
    seqnos,
    st.integers(0, 300),
    st.integers(TOP - 300, TOP),
    st.integers(2**31 - 300, 2**31 + 300),
)
# Distances strictly inside the half-space, where serial comparison is defined.
distances = st.integers(-(2**31) + 1, 2**31 - 1)


# --- add ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "n", "expected"),
    [
        (0, 0, 0),
        (1000, 1, 1001),
        (TOP, 1, 0),
        (TOP, 2, 1),
        (4294967100, 200, 4),
        (4294967101, 200, 5),  # wraparound.toml: the second segment starts at 5
        (5, -200, 4294967101),
        (0, -1, TOP),
        (123, MOD, 123),
        (123, -MOD, 123),
        (2**31, 2**31, 0),
    ],
)
def test_add_wraps_modulo_2_32(a, n, expected):
    assert seq.add(a, n) == expected


# --- diff ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (1001, 1000, 1),
        (1000, 1001, -1),
        (0, TOP, 1),  # 0 comes right after 2**32-1
        (TOP, 0, -1),
        (5, 4294967101, 200),
        (4294967101, 5, -200),
        (7, 7, 0),
        (2**31 - 1, 0, 2**31 - 1),  # the farthest "ahead"
        (2**31, 0, -(2**31)),  # exactly half-way counts as behind
        (0, 2**31, -(2**31)),
    ],
)
def test_diff_is_signed_distance(a, b, expected):
    assert seq.diff(a, b) == expected


# --- comparisons ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (1000, 1001),
        (TOP, 0),
        (TOP - 10, 10),
        (4294967101, 5),
        (2**31 + 5, 5 + 2**32 - 1),  # a just behind b, both past the half-way point
        (0, 2**31 - 1),
    ],
)
def test_lt_le_gt_ge_across_the_wrap(a, b):
    assert seq.lt(a, b) and seq.le(a, b)
    assert not seq.gt(a, b) and not seq.ge(a, b)
    assert seq.gt(b, a) and seq.ge(b, a)
    assert not seq.lt(b, a) and not seq.le(b, a)


@pytest.mark.parametrize("a", [0, 1, 1000, 2**31, TOP])
def test_equal_values_are_le_and_ge_but_not_lt_or_gt(a):
    assert seq.le(a, a) and seq.ge(a, a)
    assert not seq.lt(a, a) and not seq.gt(a, a)


def test_plain_integer_order_is_not_sequence_order():
    # 2**32-1 is the bigger integer but comes *before* 0 in sequence space.
    assert TOP > 0
    assert seq.lt(TOP, 0)
    assert seq.gt(3, 4294967000)


# --- in_window ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "start", "size", "inside"),
    [
        (1000, 1000, 1, True),
        (1000, 1000, 0, False),  # an empty window holds nothing
        (999, 1000, 10, False),
        (1009, 1000, 10, True),
        (1010, 1000, 10, False),  # the end is exclusive
        (TOP, TOP - 5, 10, True),
        (0, TOP - 5, 10, True),
        (3, TOP - 5, 10, True),
        (4, TOP - 5, 10, False),
        (TOP - 6, TOP - 5, 10, False),
        (5, 4294967101, 65535, True),
        (4294967100, 4294967101, 65535, False),
        (65534, 0, 65535, True),
        (65535, 0, 65535, False),
    ],
)
def test_in_window_across_the_wrap(x, start, size, inside):
    assert seq.in_window(x, start, size) is inside


# --- properties -------------------------------------------------------------------------------


@given(a=edgy, b=edgy)
def test_comparisons_are_antisymmetric_and_total(a, b):
    if a == b:
        assert not seq.lt(a, b) and not seq.gt(a, b)
        return
    if (a - b) % MOD == 2**31:
        # Exactly half the space apart: both count the other as ahead (diff is -2**31
        # either way), the one case serial-number arithmetic leaves undefined.
        assert seq.lt(a, b) and seq.lt(b, a)
        return
    assert seq.lt(a, b) != seq.lt(b, a)
    assert seq.lt(a, b) == seq.gt(b, a)
    assert seq.le(a, b) == (not seq.gt(a, b))
    assert seq.ge(a, b) == (not seq.lt(a, b))


@given(a=edgy, n=distances)
def test_add_and_diff_are_inverse(a, n):
    b = seq.add(a, n)
    assert 0 <= b <= TOP
    assert seq.diff(b, a) == n
    assert seq.add(b, -n) == a


@given(a=edgy, b=edgy)
def test_diff_then_add_returns_the_other_value(a, b):
    d = seq.diff(b, a)
    assert -(2**31) <= d < 2**31
    assert seq.add(a, d) == b
    assert seq.diff(a, b) == (-d if d != -(2**31) else d)


@given(a=edgy, n=st.integers(1, 2**31 - 1))
def test_adding_a_positive_amount_moves_forward(a, n):
    b = seq.add(a, n)
    assert seq.lt(a, b) and seq.gt(b, a)
    assert seq.in_window(b, a, n + 1) and not seq.in_window(b, a, n)


@given(x=edgy, start=edgy, size=st.integers(0, 2**31))
def test_in_window_matches_distance_from_start(x, start, size):
    offset = (x - start) % MOD
    assert seq.in_window(x, start, size) == (offset < size)
    if size:
        assert seq.in_window(start, start, size)
        assert seq.in_window(seq.add(start, size - 1), start, size)
    assert not seq.in_window(seq.add(start, size), start, size)


@given(a=edgy, d1=st.integers(1, 2**30), d2=st.integers(1, 2**30 - 1))
def test_order_is_transitive_within_half_the_space(a, d1, d2):
    b, c = seq.add(a, d1), seq.add(a, d1 + d2)
    assert seq.lt(a, b) and seq.lt(b, c)
    assert seq.lt(a, c)
    assert seq.diff(c, a) == seq.diff(c, b) + seq.diff(b, a)
