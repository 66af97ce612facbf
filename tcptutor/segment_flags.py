"""How flags are written: in answers (SYN+ACK, the contract's order, PSH left out) and for a
person reading a trace (Wireshark's [SYN, ACK]).

PSH is not graded: whether a stack sets it is an implementation choice (RFC 9293 3.9.1).
"""

# The header's bit order (RFC 9293 3.1, RFC 3168 for ECE/CWR), lowest bit first: the order in
# which Wireshark and tcpdump list flags, so "[FIN, ACK]", "[PSH, ACK]", "[RST, ACK]".
WIRESHARK_ORDER = ("FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR")

# An answer's flags: Wireshark's order without PSH, so SYN+ACK, FIN+ACK, RST+ACK.
ORDER = tuple(f for f in WIRESHARK_ORDER if f != "PSH")


def canonical_flags(flags) -> str:
    """The one spelling of a set of flags in answers and keys: "FIN+ACK"."""
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
