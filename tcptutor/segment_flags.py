"""How flags are written: in answers (SYN+ACK, the contract's order, PSH left out) and for a
person reading a trace (Wireshark's [SYN, ACK]).

PSH is not graded: whether a stack sets it is an implementation choice (RFC 9293 3.9.1).
"""

ORDER = ("SYN", "ACK", "FIN", "RST", "URG")

# The header's bit order (RFC 9293 3.1, RFC 3168 for ECE/CWR), lowest bit first: the order in
# which Wireshark and tcpdump list flags, so "[FIN, ACK]", "[PSH, ACK]", "[RST, ACK]".
WIRESHARK_ORDER = ("FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR")


def canonical_flags(flags) -> str:
    present = {f.upper() for f in flags}
    return "+".join(f for f in ORDER if f in present)


def _names(flags) -> list[str]:
    if isinstance(flags, str):
        flags = flags.replace(",", "+").replace(" ", "+").split("+")
    return [f.strip().upper() for f in flags if f.strip()]


def wireshark_order(flags) -> list[str]:
    """The flags (names, or an answer such as "ACK+FIN") in header bit order, as Wireshark
    lists them; a name it does not know goes last."""
    present = set(_names(flags))
    known = [f for f in WIRESHARK_ORDER if f in present]
    return known + sorted(present - set(WIRESHARK_ORDER))


def wireshark_flags(flags) -> str:
    """The flags as Wireshark's Info column writes them: "[FIN, ACK]", "[SYN, ACK]"."""
    return "[" + ", ".join(wireshark_order(flags)) + "]"
