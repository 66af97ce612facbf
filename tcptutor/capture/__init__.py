"""Explaining a real capture: what each TCP segment of a student's pcap means.

Pure parts (no I/O: they take decoded packets): `packet` (link, IP and TCP headers to a
Packet), `connections` (grouping by 4-tuple, relative numbers), `observer` (the RFC 9293
state machine run as an observer, inferring each side's state), `events` (naming
retransmissions, duplicate ACKs, window updates, probes, keep-alives, resets, teardown),
`lab` (the answers a course's capture lab asks for) and `explain` (all of it for one
capture, and its JSON). The file is read by `pcapfile`, the only module that imports dpkt.
"""
