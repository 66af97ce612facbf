"""Questions that ask a TCB variable: cwnd, ssthresh, rwnd, flight, srtt, rttvar, rto."""

from __future__ import annotations

import tomllib

import pytest

from tcptutor import library
from tcptutor.grading.answers import Unreadable, read_size
from tcptutor.grading.grader import CORRECT, UNREADABLE, WRONG, grade
from tcptutor.lessons.parser import parse_lesson
from tcptutor.questions.model import question_from_toml
from tcptutor.questions.variants import make_variant

TOPICS = {"retransmission", "handshake"}
LOSS = '''
steps = ["server listen", "client connect", "drop 2nd client->server DATA",
 "client send 1000 1000 1000 1000 1000 1000 1000 1000", "wait 5s"]
[client]
isn = 1000
mss = 1000
iw = 8
cc = "%s"
[server]
isn = 5000
'''


def question(asks: str, cc: str = "reno", **extra):
    text = f'''id = "t"
kind = "predict"
topics = ["retransmission"]
difficulty = 1
prompt = "p"
explanation = "e"
scenario = """{LOSS % cc}"""
{asks}'''
    data = tomllib.loads(text)
    return question_from_toml(data, path="t.md", line_of=lambda key: 7, lesson="t", topics=TOPICS, source=text)


def expected(asks: str, cc: str = "reno"):
    q, problems = question(asks, cc)
    assert not problems, problems
    return make_variant(q, 1, {}).expected


def test_windows_after_a_fast_retransmit_in_bytes_and_segments():
    ex = expected('''
[[ask]]
field = "ssthresh"
what = "ssthresh"
segment = "client DATA retransmission 1"
[[ask]]
field = "cwnd"
what = "cwnd"
segment = "client DATA retransmission 1"
unit = "segments"
[[ask]]
field = "flight"
what = "flight"
segment = "client DATA retransmission 1"
[[ask]]
field = "flight_bytes"
what = "flight"
segment = "client DATA retransmission 1"
unit = "bytes"
[[ask]]
field = "rwnd"
what = "rwnd"
segment = "client DATA retransmission 1"
''')
    assert ex["ssthresh"].value == 3500 and ex["ssthresh"].unit == "bytes"  # RFC 5681 3.2: 7000 / 2
    assert ex["cwnd"].value == 6.5  # Reno: ssthresh + 3 SMSS = 6500 bytes = 6.5 segments
    assert ex["flight"].value == 7 and ex["flight_bytes"].value == 7000
    assert ex["rwnd"].value == 65535  # the server's advertised window (SND.WND)
    assert ex["cwnd"].label == "cwnd when client DATA retransmission 1 was sent (segments)"


def test_tahoe_restarts_from_one_segment_and_round_one_is_the_initial_window():
    ex = expected('''
[[ask]]
field = "cwnd"
what = "cwnd"
segment = "client DATA retransmission 1"
unit = "segments"
[[ask]]
field = "round1"
what = "cwnd"
endpoint = "client"
round = 1
''', cc="tahoe")
    assert ex["cwnd"].value == 1
    assert ex["round1"].value == 8000


def test_rtt_variables_after_a_segment_s_arrival_in_seconds():
    ex = expected('''
[[ask]]
field = "srtt"
what = "srtt"
endpoint = "client"
at = "server SYN+ACK"
[[ask]]
field = "rttvar"
what = "rttvar"
endpoint = "client"
at = "server SYN+ACK"
[[ask]]
field = "rto"
what = "rto"
endpoint = "client"
at = "server SYN+ACK"
''')
    # RFC 6298 2.2: the first sample R = 20 ms gives SRTT = R, RTTVAR = R/2; RTO = max(1 s, ...) (2.4)
    assert (ex["srtt"].value, ex["rttvar"].value, ex["rto"].value) == (0.02, 0.01, 1.0)


def test_answers_are_graded_with_their_units():
    q, _ = question('''
[[ask]]
field = "ssthresh"
what = "ssthresh"
segment = "client DATA retransmission 1"
[[ask]]
field = "cwnd"
what = "cwnd"
segment = "client DATA retransmission 1"
unit = "segments"
[[ask]]
field = "srtt"
what = "srtt"
endpoint = "client"
at = "server SYN+ACK"
''')
    variant = make_variant(q, 1, {})

    def verdicts(**answers):
        return {f.field: f.verdict for f in grade(variant, answers).fields}

    assert verdicts(ssthresh="3500", cwnd="6.5", srtt="0.02") == dict.fromkeys(("ssthresh", "cwnd", "srtt"), CORRECT)
    assert verdicts(ssthresh="3.5 MSS", cwnd="6500 bytes", srtt="20 ms") == dict.fromkeys(("ssthresh", "cwnd", "srtt"), CORRECT)
    assert verdicts(ssthresh="3,500 bytes", cwnd="6.5 segments", srtt="20ms")["ssthresh"] == CORRECT
    wrong = verdicts(ssthresh="4000", cwnd="1", srtt="0.04")
    assert wrong == dict.fromkeys(("ssthresh", "cwnd", "srtt"), WRONG)
    assert verdicts(ssthresh="lots", cwnd="6.5", srtt="0.02")["ssthresh"] == UNREADABLE


def test_read_size_converts_between_bytes_and_segments():
    assert read_size("4380", "bytes", 1460) == 4380
    assert read_size("3 MSS", "bytes", 1460) == 4380
    assert read_size("4380 bytes", "segments", 1460) == 3
    assert isinstance(read_size("3 packets", "bytes", 1460), Unreadable)
    assert isinstance(read_size("-3", "bytes", 1460), Unreadable)


@pytest.mark.parametrize("asks, message", [
    ('[[ask]]\nfield = "c"\nwhat = "cwnd"\n', "needs one of segment"),
    ('[[ask]]\nfield = "c"\nwhat = "cwnd"\nsegment = "#4"\nround = 1\n', "needs one of segment"),
    ('[[ask]]\nfield = "c"\nwhat = "cwnd"\nround = 1\n', 'needs endpoint = "client" or "server"'),
    ('[[ask]]\nfield = "c"\nwhat = "cwnd"\nendpoint = "client"\nround = 0\n', "round must be a whole number from 1"),
    ('[[ask]]\nfield = "c"\nwhat = "cwnd"\nsegment = "#4"\nunit = "packets"\n', "unit for what = 'cwnd' is one of bytes, segments"),
    ('[[ask]]\nfield = "c"\nwhat = "rto"\nsegment = "#4"\nunit = "ms"\n', "not given: times are in seconds"),
    ('[[ask]]\nfield = "c"\nwhat = "seq"\nsegment = "#4"\nunit = "bytes"\n', "unit is for the TCB whats"),
])
def test_a_badly_asked_tcb_question_is_refused_with_a_reason(asks, message):
    q, problems = question(asks)
    assert q is None and any(message in p.message for p in problems), problems


def test_a_cwnd_under_cc_none_is_unanswerable():
    q, _ = question('[[ask]]\nfield = "c"\nwhat = "cwnd"\nsegment = "client DATA 1"\n', cc="none")
    with pytest.raises(ValueError, match='congestion control is "none"'):
        make_variant(q, 1, {})


def test_the_lesson_s_tahoe_and_reno_questions_follow_the_student_s_mss():
    path = library.CONTENT / "lessons" / "09-retransmission.md"
    topics = tomllib.loads((library.CONTENT / "topics.toml").read_text(encoding="utf-8"))["topics"]
    lesson, problems = parse_lesson(path.read_text(encoding="utf-8"), str(path), topics=topics,
                                    scenario_names=set(library.scenario_names()))
    assert not problems, problems
    by_id = {q.id: q for q in lesson.questions}
    seen = set()
    for seed in range(12):
        variant = make_variant(by_id["rt-reno-window-after-three-dupacks"], seed, {})
        reno, mss = variant.expected, variant.params["mss"]
        seen.add(mss)
        # 7 segments in flight at the 3rd duplicate ACK: ssthresh 3.5 MSS; Reno adds 3 MSS
        assert (reno["ssthresh"].value, reno["cwnd"].value, reno["flight"].value) == (3.5 * mss, 6.5 * mss, 7)
        tahoe = make_variant(by_id["rt-tahoe-window-after-three-dupacks"], seed, {}).expected
        assert (tahoe["ssthresh"].value, tahoe["cwnd"].value, tahoe["round1"].value) == (3.5, 1, 8)
    assert len(seen) > 1


def test_the_worked_solution_names_the_event_and_the_rule():
    from tcptutor.grading.explain import explain

    q, _ = question('[[ask]]\nfield = "c"\nwhat = "cwnd"\nsegment = "client DATA retransmission 1"\nunit = "segments"\n',
                    cc="tahoe")
    variant = make_variant(q, 1, {})
    text = explain(variant.expected["c"], variant.trace)
    assert text.startswith("1 segment (1000 bytes / MSS 1000): the client's cwnd in its TCB after recv #")
    assert "RFC 5681" in text
