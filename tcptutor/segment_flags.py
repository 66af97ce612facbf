"""How flags are written in answers: SYN+ACK, in the contract's order, PSH left out.

PSH is not graded: whether a stack sets it is an implementation choice (RFC 9293 3.9.1).
"""

ORDER = ("SYN", "ACK", "FIN", "RST", "URG")


def canonical_flags(flags) -> str:
    present = {f.upper() for f in flags}
    return "+".join(f for f in ORDER if f in present)
