"""What English is left in a Chinese text: every word that is not a name on the allowlist.

The Chinese edition keeps RFC and Linux names beside the Chinese terms (同步已发送 /
SYN-SENT / SYN_SENT), flag and field names, RFC numbers, commands and kernel functions: those
are the allowlist. Anything else written in Latin letters is English a translator missed.
Names only: an English word of ordinary prose ("the", "segment", "expected") never goes here.
"""

from __future__ import annotations

import re

ALLOWED = {
    # flags, fields, options and header names (RFC 9293 3.1, RFC 7323, RFC 2018)
    "SYN", "ACK", "FIN", "RST", "PSH", "URG", "ECE", "CWR", "NS", "seq", "ack", "len", "win", "Seq", "Ack",
    "Len", "Win", "MSS", "SACK", "SACK_PERM", "WS", "wscale", "TS", "TSval", "TSecr", "NOP", "EOL", "ISN",
    "ISS", "IRS", "SND", "RCV", "UNA", "NXT", "WND", "UP", "WL", "SEG", "LEN", "SEQ", "CTL", "MSL", "RTT",
    "SND.NXT", "SND.UNA", "SND.WND", "RCV.NXT", "RCV.WND", "SEG.SEQ", "SEG.ACK", "SEG.LEN", "TCB", "SA", "max",
    "RTO", "SRTT", "RTTVAR", "SMSS", "RMSS", "IW", "FlightSize", "cwnd", "ssthresh", "rwnd", "flight", "srtt",
    "rttvar", "rto", "mss", "sport", "dport", "options", "none", "ECN", "CE", "ECT", "DSACK", "TFO", "PAWS",
    "MTU", "PMTU", "PMTUD", "TTL", "DF", "GSO", "TSO", "GRO", "LRO", "RTTM", "SampleRTT", "EstimatedRTT",
    "DevRTT", "TimeoutInterval", "alpha", "beta", "EWMA", "RFC", "RFCs", "BCP", "STD", "IETF", "errata",
    # states as RFC 9293 and Linux spell them
    "CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT",
    "CLOSING", "LAST-ACK", "TIME-WAIT", "SYN_SENT", "SYN_RECV", "SYN_RCVD", "FIN_WAIT1", "FIN_WAIT2",
    "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "ESTAB", "SENT", "RECEIVED", "WAIT", "LAST", "CLOSE", "TIME",
    # protocols, stacks, tools, algorithms and the people they are named after
    "TCP", "UDP", "IP", "IPv4", "IPv6", "ICMP", "ICMPv6", "HTTP", "HTTPS", "TLS", "QUIC", "DNS", "SSH",
    "Linux", "Windows", "BSD", "FreeBSD", "macOS", "Wireshark", "tshark", "tcpdump", "editcap", "ss",
    "netstat", "ip", "sysctl", "iptables", "nftables", "netem", "tc", "ping", "curl", "nc", "telnet",
    "Reno", "NewReno", "Tahoe", "CUBIC", "Cubic", "BBR", "Vegas", "Nagle", "Karn", "Jacobson", "Karels",
    "Clark", "Cerf", "Kahn", "Postel", "Bellovin", "Bernstein", "Van", "F-RTO", "PRR", "RACK", "TLP",
    "AIMD", "SYN-ACK", "SYN+ACK", "FIN+ACK", "RST+ACK", "ACKs", "SYNs", "FINs", "RSTs", "dupack", "dupacks",
    "cookie", "cookies", "SYN_COOKIE", "tcptutor", "Moodle", "Canvas", "Anki", "GIFT", "QTI", "JSON", "CSV",
    "pcap", "pcapng", "TUN", "veth", "netns", "DDoS", "DoS", "LAN", "WAN", "NAT", "OS", "API", "CPU", "ID",
    # socket calls and options
    "socket", "connect", "listen", "accept", "close", "shutdown", "send", "recv", "write", "read", "bind",
    "SO_LINGER", "SO_REUSEADDR", "SO_KEEPALIVE", "SO_RCVBUF", "SO_SNDBUF", "TCP_NODELAY", "TCP_CORK",
    "TCP_QUICKACK", "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT", "TCP_INFO", "TCP_USER_TIMEOUT",
    "SHUT_WR", "SHUT_RD", "SHUT_RDWR", "EOF", "ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE",
    "SIGPIPE", "EHOSTUNREACH", "EADDRINUSE", "backlog", "somaxconn",
    # RFC 9293 3.10's user calls and requirement labels; Linux constants; tcptutor's keep-alive settings
    "OPEN", "SEND", "RECEIVE", "ABORT", "STATUS", "USER", "TIMEOUT", "MAY-2", "TCP_TIMEWAIT_LEN", "TCP_RTO_MIN",
    "TCP_RTO_MAX", "TCP_ATO_MIN", "keepalive_idle", "keepalive_interval", "keepalive_count",
    # units
    "ms", "s", "us", "µs", "ns", "min", "h", "kB", "KB", "MB", "GB", "KiB", "MiB", "bit", "bits", "Gbit",
    "Mbit", "kbit", "bps", "Mbps", "Gbps", "B", "MB/s", "Hz",
    # answers a student types, and the letters of options
    "true", "false", "A", "B", "C", "D", "E", "F", "x", "y", "n", "N", "t", "k", "i", "RFC9293",
}
# Names made of parts: kernel functions and sysctls, RFC sections, hex, placeholders.
ALLOWED_PATTERNS = [
    re.compile(r"`[^`]*`"),  # code: commands, functions, sysctls, values
    re.compile(r"\{[^{}\n]*\}"),  # a placeholder the variant fills
    re.compile(r"\b(?:tcp|inet|sk|net|ip|__tcp|sock)_[a-z0-9_]+(?:\(\))?"),  # kernel functions and fields
    re.compile(r"\bnet\.ipv[46]\.[a-z0-9_.]+"),  # sysctls
    re.compile(r"\b0x[0-9a-fA-F]+\b"),
    re.compile(r"\b[a-z_]+\(\)"),  # a function call such as connect()
    re.compile(r"https?://\S+"),
    re.compile(r"\b(?:client|server) (?:SYN|ACK|FIN|RST|DATA|SYN\+ACK|FIN\+ACK)(?: \d+)?\b"),  # selectors
]
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_+\-/.]*[A-Za-z0-9]|[A-Za-z]")


def english_left(text: str, also: set[str] = frozenset()) -> list[str]:
    """The words of `text` that are neither allowed names nor inside code or a placeholder."""
    for pattern in ALLOWED_PATTERNS:
        text = pattern.sub(" ", text)
    left = []
    for word in WORD.findall(text):
        word = word.rstrip(".-/")
        if word in ALLOWED or word in also or word.upper() in ALLOWED or re.fullmatch(r"[A-Z]?\d*[a-z]?", word):
            continue
        if any(part in ALLOWED or part in also for part in re.split(r"[/+]", word)) and all(
                part in ALLOWED or part in also or not part for part in re.split(r"[/+]", word)):
            continue
        left.append(word)
    return left
