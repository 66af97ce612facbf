"""Sequence-number arithmetic modulo 2**32 (RFC 9293 section 3.4).

"It is essential to remember that the actual sequence number space is finite ... all
arithmetic dealing with sequence numbers must be performed modulo 2**32."
Comparisons use serial-number arithmetic: a < b when b lies in the half of the space
that follows a.
"""

MOD = 2**32
HALF = 2**31


def add(a: int, n: int) -> int:
    """a + n in sequence space."""
    return (a + n) % MOD


def diff(a: int, b: int) -> int:
    """Signed distance from b to a: how far a is ahead of b (negative when behind)."""
    d = (a - b) % MOD
    return d - MOD if d >= HALF else d


def lt(a: int, b: int) -> bool:
    return diff(a, b) < 0


def le(a: int, b: int) -> bool:
    return diff(a, b) <= 0


def gt(a: int, b: int) -> bool:
    return diff(a, b) > 0


def ge(a: int, b: int) -> bool:
    return diff(a, b) >= 0


def in_window(x: int, start: int, size: int) -> bool:
    """start <= x < start + size, modulo 2**32."""
    return 0 <= (x - start) % MOD < size
