"""The ladder diagram: hand-built traces (the contract's "Trace JSON", read with
Trace.from_json), real assertions."""

from __future__ import annotations

import re
import unicodedata

from tcptutor.render import ladder
from tcptutor.tcp import analysis
from tcptutor.tcp.trace import Trace

LAT = 0.01
WRAP = 2**32


def seg(n, src, dst, flags, seq, ack, sent, length=0, *, dropped=False, retx=False,
        win=65535, **extra):
    """One trace segment; ack is forced to 0 without ACK, as on the wire."""
    return {"n": n, "src": src, "dst": dst, "flags": flags, "seq": seq % WRAP,
            "ack": ack % WRAP if "ACK" in flags else 0, "len": length, "win": win,
            "sent_at": sent, "fate": "dropped" if dropped else "delivered",
            "arrived_at": None if dropped else round(sent + LAT, 6),
            "retransmission": retx, **extra}


def ev(at, endpoint, cause, before, after, sent=(), **extra):
    return {"at": at, "endpoint": endpoint, "cause": cause, "state_before": before,
            "state_after": after, "sent": list(sent), **extra}


def render_ladder(doc: dict, **kw) -> str:
    return ladder.render_ladder(Trace.from_json(doc), **kw)


def trace_relative_numbers(doc: dict) -> dict:
    return analysis.relative_numbers(Trace.from_json(doc))


def duplicate_acks(segments: list[dict]) -> dict:
    return analysis.duplicate_acks(Trace.from_json({"segments": segments}))


def trace(title, segments, events, final, client_isn=1000, server_isn=5000, **net):
    return {"format": "tcptutor.trace/1", "title": title,
            "params": {"client": {"isn": client_isn}, "server": {"isn": server_isn},
                       "net": {"profile": "rfc9293", "latency": LAT, "rto": 1.0,
                               "msl": 120.0, **net}},
            "segments": segments, "events": events, "final": final}


def handshake(c=1000, s=5000):
    """client isn c, server isn s, latency 10 ms: segments #1..#3, ends at 0.030."""
    segments = [
        seg(1, "client", "server", ["SYN"], c, 0, 0.0, options={"mss": 1460}),
        seg(2, "server", "client", ["SYN", "ACK"], s, c + 1, 0.01, options={"mss": 1460}),
        seg(3, "client", "server", ["ACK"], c + 1, s + 1, 0.02),
    ]
    events = [
        ev(0.0, "server", "call listen", "CLOSED", "LISTEN"),
        ev(0.0, "client", "call connect", "CLOSED", "SYN-SENT", [1]),
        ev(0.01, "server", "recv #1", "LISTEN", "SYN-RECEIVED", [2]),
        ev(0.02, "client", "recv #2", "SYN-SENT", "ESTABLISHED", [3]),
        ev(0.03, "server", "recv #3", "SYN-RECEIVED", "ESTABLISHED"),
    ]
    return segments, events


def handshake_trace():
    segments, events = handshake()
    return trace("Three-way handshake", segments, events,
                 {"client": "ESTABLISHED", "server": "ESTABLISHED"})


def lossy_trace():
    """Three data segments, the first lost; two dup ACKs; RTO; close; TIME-WAIT."""
    segments, events = handshake()
    segments += [
        seg(4, "client", "server", ["ACK", "PSH"], 1001, 5001, 0.03, 100, dropped=True),
        seg(5, "client", "server", ["ACK", "PSH"], 1101, 5001, 0.03, 100),
        seg(6, "client", "server", ["ACK", "PSH"], 1201, 5001, 0.03, 100),
        seg(7, "server", "client", ["ACK"], 5001, 1001, 0.04),
        seg(8, "server", "client", ["ACK"], 5001, 1001, 0.04),
        seg(9, "client", "server", ["ACK", "PSH"], 1001, 5001, 1.03, 100, retx=True),
        seg(10, "server", "client", ["ACK"], 5001, 1301, 1.04),
        seg(11, "client", "server", ["ACK", "FIN"], 1301, 5001, 2.05),
        seg(12, "server", "client", ["ACK"], 5001, 1302, 2.06),
        seg(13, "server", "client", ["ACK", "FIN"], 5001, 1302, 2.07),
        seg(14, "client", "server", ["ACK"], 1302, 5002, 2.08),
    ]
    events += [
        ev(0.03, "client", "call send 100 100 100", "ESTABLISHED", "ESTABLISHED", [4, 5, 6]),
        ev(0.04, "server", "recv #5", "ESTABLISHED", "ESTABLISHED", [7]),
        ev(0.04, "server", "recv #6", "ESTABLISHED", "ESTABLISHED", [8]),
        ev(0.05, "client", "recv #7", "ESTABLISHED", "ESTABLISHED"),
        ev(0.05, "client", "recv #8", "ESTABLISHED", "ESTABLISHED"),
        ev(1.03, "client", "timeout retransmission", "ESTABLISHED", "ESTABLISHED", [9],
           timer={"kind": "retransmission", "timeout": 1.0}),
        ev(1.04, "server", "recv #9", "ESTABLISHED", "ESTABLISHED", [10]),
        ev(1.05, "client", "recv #10", "ESTABLISHED", "ESTABLISHED"),
        ev(2.05, "client", "call close", "ESTABLISHED", "FIN-WAIT-1", [11]),
        ev(2.06, "server", "recv #11", "ESTABLISHED", "CLOSE-WAIT", [12]),
        ev(2.07, "server", "call close", "CLOSE-WAIT", "LAST-ACK", [13]),
        ev(2.07, "client", "recv #12", "FIN-WAIT-1", "FIN-WAIT-2"),
        ev(2.08, "client", "recv #13", "FIN-WAIT-2", "TIME-WAIT", [14]),
        ev(2.09, "server", "recv #14", "LAST-ACK", "CLOSED"),
        ev(242.08, "client", "timeout time-wait", "TIME-WAIT", "CLOSED",
           timer={"kind": "time-wait", "timeout": 240.0}),
    ]
    return trace("Two segments, a loss, then a close", segments, events,
                 {"client": "CLOSED", "server": "CLOSED"})


def reset_trace():
    """The client connects to a port nobody listens on: RST, 'connection refused'."""
    segments = [
        seg(1, "client", "server", ["SYN"], 1000, 0, 0.0),
        seg(2, "server", "client", ["ACK", "RST"], 0, 1001, 0.01),
    ]
    events = [
        ev(0.0, "client", "call connect", "CLOSED", "SYN-SENT", [1]),
        ev(0.01, "server", "recv #1", "CLOSED", "CLOSED", [2]),
        ev(0.02, "client", "recv #2", "SYN-SENT", "CLOSED", error="connection refused"),
    ]
    return trace("Nobody listening", segments, events, {"client": "CLOSED", "server": "CLOSED"})


def flood_trace(n_spoofed=300, backlog=128):
    """A SYN flood fills the half-open queue; the client's SYN then goes unanswered."""
    segments, events = [], [ev(0.0, "server", "call listen", "CLOSED", "LISTEN")]
    num = 0

    def add(s):
        nonlocal num
        num += 1
        segments.append(seg(num, **s))
        return num

    for i in range(1, n_spoofed + 1):
        add(dict(src=f"spoof-{i}", dst="server", flags=["SYN"], seq=7 * i, ack=0, sent=0.0))
    for i in range(1, n_spoofed + 1):
        if i <= backlog:
            n = add(dict(src="server", dst=f"spoof-{i}", flags=["SYN", "ACK"], seq=900 + i,
                         ack=7 * i + 1, sent=0.01))
            events.append(ev(0.01, "listener", f"recv #{i}", "LISTEN", "SYN-RECEIVED", [n],
                             peer=f"spoof-{i}"))
        else:
            events.append(ev(0.01, "listener", f"recv #{i}", "LISTEN", "LISTEN",
                             peer=f"spoof-{i}", error="half-open queue full, SYN dropped"))
    n = add(dict(src="client", dst="server", flags=["SYN"], seq=1000, ack=0, sent=0.02))
    events.append(ev(0.02, "client", "call connect", "CLOSED", "SYN-SENT", [n]))
    events.append(ev(0.03, "listener", f"recv #{n}", "LISTEN", "LISTEN", peer="client",
                     error="half-open queue full, SYN dropped"))
    for i in range(1, backlog + 1):
        n = add(dict(src="server", dst=f"spoof-{i}", flags=["SYN", "ACK"], seq=900 + i,
                     ack=7 * i + 1, sent=1.01, retx=True))
        events.append(ev(1.01, "listener", "timeout synack", "SYN-RECEIVED", "SYN-RECEIVED",
                         [n], peer=f"spoof-{i}", timer={"kind": "synack", "timeout": 1.0}))
    n = add(dict(src="client", dst="server", flags=["SYN"], seq=1000, ack=0, sent=1.02,
                 retx=True))
    events.append(ev(1.02, "client", "timeout syn", "SYN-SENT", "SYN-SENT", [n],
                     timer={"kind": "syn", "timeout": 1.0}))
    for i in range(1, backlog + 1):
        n = add(dict(src="server", dst=f"spoof-{i}", flags=["SYN", "ACK"], seq=900 + i,
                     ack=7 * i + 1, sent=3.01, retx=True))
        events.append(ev(3.01, "listener", "timeout synack", "SYN-RECEIVED", "SYN-RECEIVED",
                         [n], peer=f"spoof-{i}", timer={"kind": "synack", "timeout": 2.0}))
    return trace("SYN flood", segments, events, {"client": "SYN-SENT", "server": "LISTEN"})


def wrap_trace():
    """Client ISN 4294967290: its byte numbers cross 2**32 during the transfer."""
    c, s = 4294967290, 3000000000
    segments, events = handshake(c, s)
    segments += [
        seg(4, "client", "server", ["ACK", "PSH"], c + 1, s + 1, 0.03, 100),
        seg(5, "server", "client", ["ACK"], s + 1, c + 101, 0.04),
        seg(6, "client", "server", ["ACK", "PSH"], c + 101, s + 1, 0.05, 50),
        seg(7, "server", "client", ["ACK"], s + 1, c + 151, 0.06),
    ]
    events += [
        ev(0.03, "client", "call send 100", "ESTABLISHED", "ESTABLISHED", [4]),
        ev(0.04, "server", "recv #4", "ESTABLISHED", "ESTABLISHED", [5]),
        ev(0.05, "client", "call send 50", "ESTABLISHED", "ESTABLISHED", [6]),
        ev(0.06, "server", "recv #6", "ESTABLISHED", "ESTABLISHED", [7]),
    ]
    return trace("Sequence numbers wrap", segments, events,
                 {"client": "ESTABLISHED", "server": "ESTABLISHED"}, client_isn=c, server_isn=s)


# ---------------------------------------------------------------------------


def arrow_line(text: str, n: int) -> str:
    """The line carrying segment #n's arrow (its label may sit on the line above)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if re.search(rf"#{n}\b", line):
            if "►" in line or "◄" in line or "✕" in line:
                return line
            return line + "\n" + lines[i + 1]
    raise AssertionError(f"segment #{n} not drawn")


def label(text: str, n: int) -> str:
    return next(line for line in text.splitlines() if re.search(rf"#{n}\b", line))


SINGLE_WIDTH = set("│┊─►◄✕✗⋮→×")  # each one column wide in wcwidth terms


def assert_fits(text: str, width: int = 80):
    """No line wider than `width`; non-ASCII only from a known single-width set."""
    for line in text.splitlines():
        assert len(line) <= width, line
        for ch in line:
            assert ch.isascii() or ch in SINGLE_WIDTH, (ch, line)
            assert unicodedata.east_asian_width(ch) not in "WF", (ch, line)


def flat(text: str) -> str:
    """The text with lifelines removed and wrapped lines joined (for phrase checks)."""
    return " ".join(text.replace("│", " ").replace("┊", " ").split())


def column_of(text: str, word: str, width: int = 80) -> set[str]:
    """'left'/'right' for every line where `word` appears as a state change."""
    sides = set()
    for line in text.splitlines():
        for m in re.finditer(rf"(?<![\w-]){re.escape(word)}(?![\w-])", line):
            sides.add("left" if m.start() < width // 2 else "right")
    return sides


ALL = [handshake_trace, lossy_trace, reset_trace, flood_trace, wrap_trace]


def test_every_line_fits_80_columns_and_is_single_width():
    for make in ALL:
        for relative in (False, True):
            assert_fits(render_ladder(make(), relative=relative))


def test_narrower_widths_are_respected():
    for make in ALL:
        for width in (60, 72, 100):
            assert_fits(render_ladder(make(), width=width), width)


def test_header_has_title_profile_and_latency():
    head = render_ladder(handshake_trace()).splitlines()[:3]
    assert head[0] == "Three-way handshake"
    assert "profile rfc9293" in head[1] and "latency 10 ms" in head[1]


def test_handshake_labels_and_directions():
    out = render_ladder(handshake_trace())
    assert "#1 [SYN] seq=1000 mss=1460" in out
    assert "ack=" not in label(out, 1)  # ACK not set: no ack
    assert "#2 [SYN, ACK] seq=5000 ack=1001" in out
    assert "#3 [ACK] seq=1001 ack=5001" in out
    assert "len=" not in out
    one, two = arrow_line(out, 1), arrow_line(out, 2)
    assert one.endswith("►│ 0.010") and one.lstrip().startswith("0.000")
    assert "◄" in two and two.lstrip().startswith("0.020") and two.endswith("0.010")
    assert out.index("#1 ") < out.index("#2 ") < out.index("#3 ")


def test_states_in_their_columns():
    out = render_ladder(handshake_trace())
    assert column_of(out, "SYN-SENT") == {"left"}
    assert column_of(out, "SYN-RECEIVED") == {"right"}
    assert column_of(out, "LISTEN") == {"right"}
    assert column_of(out, "ESTABLISHED") == {"left", "right"}
    lines = out.splitlines()
    start = next(line for line in lines if line.lstrip().startswith("start"))
    assert start.count("CLOSED") == 2
    final = lines[-1]
    assert final.lstrip().startswith("final")
    assert final.index("ESTABLISHED") < 40 < final.rindex("ESTABLISHED")


def test_lossy_transfer_marks_loss_retransmission_and_dup_acks():
    t = lossy_trace()
    out = render_ladder(t)
    lost = arrow_line(out, 4)
    assert "✕ lost" in lost and "►" not in lost
    assert lost.rstrip().endswith("│")  # no arrival time for a lost segment
    assert "seq=1001 ack=5001 len=100" in label(out, 4)
    assert "(retransmission)" in label(out, 9) and "seq=1001" in label(out, 9)
    assert "(retransmission)" not in label(out, 5)
    assert "dup ACK" in label(out, 7) and "dup ACK" in label(out, 8)
    assert "dup ACK" not in label(out, 10) and "dup ACK" not in label(out, 3)
    assert duplicate_acks(t["segments"]) == {7: (2, 1), 8: (2, 2)}
    assert "timer: RTO 1 s expired" in out
    assert column_of(out, "timer:") == {"left"}
    assert column_of(out, "TIME-WAIT") >= {"left"}
    assert column_of(out, "LAST-ACK") == {"right"}
    assert "timer: TIME-WAIT 4 min expired" in out
    assert re.search(r"⋮ 4 min later", out)
    assert "242.080" in out
    assert out.count("later") == 1  # gaps of 0.98 s and exactly 1 s are not "long"


def test_chronological_order_and_long_waits():
    out = render_ladder(lossy_trace())
    assert out.index("#8 ") < out.index("timer: RTO") < out.index("#9 ")
    assert out.index("#14 ") < out.index("4 min later") < out.index("TIME-WAIT 4 min expired")


def test_errors_are_shown_in_the_endpoint_column():
    out = render_ladder(reset_trace())
    assert "✗ connection refused" in out
    assert column_of(out, "connection") == {"left"}
    assert "#2 [RST, ACK] seq=0 ack=1001" in out


def test_lost_segment_from_the_server_stops_short_of_the_client():
    t = lossy_trace()
    t["segments"][6].update(fate="dropped", arrived_at=None)  # #7, server -> client
    line = arrow_line(render_ladder(t), 7)
    assert "lost ✕" in line and "◄" not in line
    assert line.startswith(" " * 8 + "│ ") and line.endswith("│ 0.040")


def test_relative_rst_without_syn_counts_from_its_own_seq():
    out = render_ladder(reset_trace(), relative=True)
    assert "#2 [RST, ACK] seq=0 ack=1" in out


def test_relative_handshake_numbers():
    out = render_ladder(handshake_trace(), relative=True)
    assert "#1 [SYN] seq=0 " in out
    assert "#2 [SYN, ACK] seq=0 ack=1" in out
    assert "#3 [ACK] seq=1 ack=1" in out
    assert trace_relative_numbers(handshake_trace()) == {1: (0, 0), 2: (0, 1), 3: (1, 1)}


def test_relative_numbers_across_the_wrap():
    t = wrap_trace()
    assert t["segments"][3]["seq"] == 4294967291 and t["segments"][5]["seq"] == 95
    rel = trace_relative_numbers(t)
    assert rel == {1: (0, 0), 2: (0, 1), 3: (1, 1), 4: (1, 1), 5: (1, 101), 6: (101, 1),
                   7: (1, 151)}
    out = render_ladder(t, relative=True)
    assert "#6 [PSH, ACK] seq=101 ack=1 len=50" in out
    assert "#7 [ACK] seq=1 ack=151" in out
    absolute = render_ladder(t)
    assert "#4 [PSH, ACK] seq=4294967291 ack=3000000001 len=100" in absolute
    assert "#6 [PSH, ACK] seq=95 " in absolute


def test_flood_collapses_but_keeps_client_segments():
    t = flood_trace()
    out = render_ladder(t)
    lines = out.splitlines()
    assert len(t["segments"]) == 300 + 128 * 3 + 2
    assert len(lines) < 40
    assert "spoof-17 " not in out
    assert "⋮ 300 spoofed SYNs from spoof-1..spoof-300 → server" in out
    assert "⋮ server → 128 SYN-ACKs to spoofed sources" in out
    assert "SYN-ACKs to spoofed sources (retransmissions: 128)" in flat(out)
    # the client's two SYNs are drawn, in between the flood summaries
    first, second = out.index("#429 [SYN] seq=1000"), out.index("#558 [SYN] seq=1000")
    assert out.index("300 spoofed") < first < out.index("(retransmissions:") < second
    assert "(retransmission)" in label(out, 558)
    assert column_of(out, "SYN-SENT") == {"left"}
    assert "⋮ 1.98 s later ⋮" in out  # from the SYN's arrival at 1.030 to 3.010
    assert lines[-1].index("SYN-SENT") < 40 < lines[-1].index("LISTEN")


def test_relative_flood_uses_each_connection_isn():
    rel = trace_relative_numbers(flood_trace(n_spoofed=3, backlog=2))
    assert rel[1] == (0, 0)  # spoof-1's SYN
    assert rel[4] == (0, 1)  # server's SYN-ACK to spoof-1, with its own ISN


def test_caption_names_the_seed_and_isns_actually_used():
    """A question variant sets the ISNs itself, so the scenario's [net] seed 0 is not what
    made its numbers: the caption shows the variant's seed (when given) and the ISNs."""
    trace = handshake_trace()
    head = " ".join(render_ladder(trace).splitlines()[:3])
    assert "seed 0" not in head
    assert "ISN client 1000, server 5000" in head
    assert "seed 7," in " ".join(render_ladder(trace, seed=7).splitlines()[:3])


def test_exported_ladders_show_the_variant_seed():
    from tcptutor.export._fields import ladder_html
    from tcptutor.questions.model import Question
    from tcptutor.questions.variants import make_variant
    from tcptutor import library

    q = Question(id="x-seed", kind="truefalse", topics=("handshake",), difficulty=1, prompt="True?",
                 explanation="Yes.", path="test", line=1, lesson="handshake", scenario="handshake", answer=True)
    v = make_variant(q, 7, {"handshake": (library.SCENARIOS / "handshake.toml").read_text()})
    shown = ladder_html(v)
    assert "seed 7," in shown and "seed 0" not in shown


def test_a_closing_window_is_written_on_its_acks_and_a_constant_one_is_not():
    from tcptutor import library
    from tcptutor.tcp.simulator import simulate

    text = ladder.render_ladder(simulate(library.load_scenario("zero-window")), width=100)
    assert "win=0" in text and "win=2000" in text
    assert "(zero-window probe)" in text
    assert "win=" not in ladder.render_ladder(simulate(library.load_scenario("handshake")), width=100)
