"""Reading answers the way students type them (tcptutor.grading.answers): numbers in every
notation, durations with units, every spelling of every state (Chinese textbook names
included), state lists, flags in tcpdump and textbook notation, booleans, option letters and
orderings. What cannot be read is an Unreadable that says what a readable answer looks like."""

from __future__ import annotations

import pytest

from tcptutor.grading import answers as _answers
from tcptutor.grading.answers import (
    MAX_ANSWER_CHARS,
    MAX_SECONDS,
    STATES,
    Unreadable,
    normalize,
    read_bool,
    read_flags,
    read_float,
    read_quantity,
    read_letters,
    read_number,
    read_order,
    read_seconds,
    read_state,
    read_states,
)

# ----------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    "text, value",
    [
        ("1001", 1001),
        (" 1001 ", 1001),
        ("\t1001\n", 1001),
        ("0", 0),
        ("0x3e9", 1001),
        ("0X3E9", 1001),
        ("0x3E9", 1001),
        ("１００１", 1001),  # full-width digits
        ("０ｘ３Ｅ９", 1001),  # full-width hex
        ("０ｘ３ｅ９", 1001),
        ("1 001", 1001),  # spaces inside
        ("1_001", 1001),
        ("1,001", 1001),  # thousands separator
        ("4,294,967,295", 4294967295),
        ("１，００１", 1001),  # full-width comma
        ("ack=1001", 1001),
        ("ACK = 1001", 1001),
        ("seq=1001", 1001),
        ("seq: 1001", 1001),
        ("len=100", 100),
        ("win=65535", 65535),
        ("ｓｅｑ＝１００１", 1001),
        ("ack=0x3e9", 1001),
        ("4294967295", 2**32 - 1),
        ("-1", -1),
        ("+5", 5),
    ],
)
def test_numbers(text, value):
    assert read_number(text) == value


@pytest.mark.parametrize("value", [2**32, 2**32 + 1000, 2**32 + 4294967295, 99_999_999_999])
def test_numbers_above_the_sequence_space_are_read_as_typed(value):
    """Values past 2**32 - 1 are not refused: the grader reads them and says 'wraparound'."""
    assert read_number(str(value)) == value
    assert read_number(hex(value)) == value
    assert read_number(f"ack={value:,}") == value


@pytest.mark.parametrize("text", ["abc", "", "   ", "1.5", "1e3", "#1001", "0x", "10,01", "1,0001", "one thousand", "1001.0", "0xZZ"])
def test_gibberish_numbers_are_unreadable_with_an_example(text):
    got = read_number(text)
    assert isinstance(got, Unreadable)
    assert got.given == text
    assert "whole number" in got.expected and "1001" in got.expected and "0x3e9" in got.expected
    assert repr(text) in str(got) and got.expected in str(got)


# ----------------------------------------------------------------------- seconds


@pytest.mark.parametrize(
    "text, seconds",
    [
        ("1", 1.0),
        ("1.5", 1.5),
        (".5", 0.5),
        ("1s", 1.0),
        ("1 s", 1.0),
        ("2 sec", 2.0),
        ("60 seconds", 60.0),
        ("200ms", 0.2),
        ("200 ms", 0.2),
        ("4 min", 240.0),
        ("4min", 240.0),
        ("2 minutes", 120.0),
        ("1h", 3600.0),
        ("240秒", 240.0),
        ("240 秒", 240.0),
        ("4分钟", 240.0),
        ("200毫秒", 0.2),
        ("１．５", 1.5),  # full-width
        ("２４０ｓ", 240.0),
        ("4 MIN", 240.0),
    ],
)
def test_seconds(text, seconds):
    got = read_seconds(text)
    assert isinstance(got, float)
    assert got == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["abc", "", "4 parsecs", "-1", "1,5", "soon", "5 fortnights"])
def test_unreadable_seconds_say_what_is_expected(text):
    got = read_seconds(text)
    assert isinstance(got, Unreadable)
    assert "seconds" in got.expected and "200ms" in got.expected


# ----------------------------------------------------------------------- states

STATE_ALIASES = [
    # every state by its RFC name, in any case, with _ or spaces for dashes
    *[(name, name) for name in STATES],
    *[(name.lower(), name) for name in STATES],
    *[(name.replace("-", "_"), name) for name in STATES],
    *[(name.replace("-", " ").lower(), name) for name in STATES],
    ("CLOSE", "CLOSED"),
    ("LISTENING", "LISTEN"),
    ("SYN_SENT", "SYN-SENT"),
    ("syn sent", "SYN-SENT"),
    ("SYN_RCVD", "SYN-RECEIVED"),
    ("SYN_RECV", "SYN-RECEIVED"),
    ("syn_recv", "SYN-RECEIVED"),
    ("SYN-RECEIVED", "SYN-RECEIVED"),
    ("syn received", "SYN-RECEIVED"),
    ("SYN RCVD", "SYN-RECEIVED"),
    ("syn-rcvd", "SYN-RECEIVED"),
    ("SYN-RCV", "SYN-RECEIVED"),
    ("SYNRECEIVED", "SYN-RECEIVED"),
    ("ESTAB", "ESTABLISHED"),
    ("estab", "ESTABLISHED"),
    ("Established", "ESTABLISHED"),
    ("TCP_ESTABLISHED", "ESTABLISHED"),  # Linux's enum names
    ("ESTABLISHED state", "ESTABLISHED"),
    ("FIN_WAIT_1", "FIN-WAIT-1"),
    ("FIN_WAIT1", "FIN-WAIT-1"),
    ("fin wait 1", "FIN-WAIT-1"),
    ("FINWAIT1", "FIN-WAIT-1"),
    ("FIN_WAIT_2", "FIN-WAIT-2"),
    ("FIN_WAIT2", "FIN-WAIT-2"),
    ("finwait2", "FIN-WAIT-2"),
    ("Fin-Wait-2", "FIN-WAIT-2"),
    ("CLOSE_WAIT", "CLOSE-WAIT"),
    ("close wait", "CLOSE-WAIT"),
    ("closewait", "CLOSE-WAIT"),
    ("LAST_ACK", "LAST-ACK"),
    ("last ack", "LAST-ACK"),
    ("TIME_WAIT", "TIME-WAIT"),
    ("time wait", "TIME-WAIT"),
    ("timewait", "TIME-WAIT"),
    ("TCP_TIME_WAIT", "TIME-WAIT"),
    ("ＥＳＴＡＢ", "ESTABLISHED"),  # full-width letters
    ("ＴＩＭＥ＿ＷＡＩＴ", "TIME-WAIT"),
    ("FIN-WAIT-１", "FIN-WAIT-1"),
]

CHINESE_NAMES = [
    ("关闭", "CLOSED"),
    ("监听", "LISTEN"),
    ("收听", "LISTEN"),
    ("同步已发送", "SYN-SENT"),
    ("同步收到", "SYN-RECEIVED"),
    ("已建立连接", "ESTABLISHED"),
    ("连接已建立", "ESTABLISHED"),
    ("终止等待1", "FIN-WAIT-1"),
    ("终止等待2", "FIN-WAIT-2"),
    ("终止等待１", "FIN-WAIT-1"),  # full-width digit
    ("关闭等待", "CLOSE-WAIT"),
    ("最后确认", "LAST-ACK"),
    ("时间等待", "TIME-WAIT"),
    ("正在关闭", "CLOSING"),
    ("时间等待状态", "TIME-WAIT"),
    (" 监听 ", "LISTEN"),
]


@pytest.mark.parametrize("text, state", STATE_ALIASES)
def test_state_aliases(text, state):
    assert read_state(text) == state


@pytest.mark.parametrize("text, state", CHINESE_NAMES)
def test_chinese_state_names(text, state):
    assert read_state(text) == state


def test_every_chinese_textbook_name_covers_every_state():
    assert {read_state(text) for text, _ in CHINESE_NAMES} == set(STATES)


@pytest.mark.parametrize("text", ["foo", "", "SYN", "FIN_WAIT", "终止等待", "等待", "ESTABLISHING-ISH", "42"])
def test_unknown_states_are_unreadable_with_examples(text):
    got = read_state(text)
    assert isinstance(got, Unreadable)
    assert "TCP state" in got.expected
    for example in ("SYN-RECEIVED", "SYN_RCVD", "ESTAB", "同步收到"):
        assert example in got.expected


@pytest.mark.parametrize(
    "text, states",
    [
        ("CLOSED -> SYN-SENT -> ESTABLISHED", ["CLOSED", "SYN-SENT", "ESTABLISHED"]),
        ("CLOSED, SYN-SENT, ESTABLISHED", ["CLOSED", "SYN-SENT", "ESTABLISHED"]),
        ("CLOSED → SYN_SENT → ESTAB", ["CLOSED", "SYN-SENT", "ESTABLISHED"]),
        ("CLOSED => LISTEN => SYN_RCVD", ["CLOSED", "LISTEN", "SYN-RECEIVED"]),
        ("CLOSED > LISTEN", ["CLOSED", "LISTEN"]),
        ("CLOSED; LISTEN", ["CLOSED", "LISTEN"]),
        ("CLOSED | LISTEN", ["CLOSED", "LISTEN"]),
        ("closed syn-sent established", ["CLOSED", "SYN-SENT", "ESTABLISHED"]),
        ("LISTEN,SYN_RCVD,ESTAB", ["LISTEN", "SYN-RECEIVED", "ESTABLISHED"]),
        ("fin wait 1 -> fin wait 2 -> time wait -> closed", ["FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "CLOSED"]),
        ("关闭，同步已发送，已建立连接", ["CLOSED", "SYN-SENT", "ESTABLISHED"]),
        ("关闭 -> 同步已发送 -> 已建立连接", ["CLOSED", "SYN-SENT", "ESTABLISHED"]),
        ("关闭、监听、同步收到", ["CLOSED", "LISTEN", "SYN-RECEIVED"]),
        ("ESTABLISHED\nCLOSE-WAIT\nLAST-ACK", ["ESTABLISHED", "CLOSE-WAIT", "LAST-ACK"]),
        ("TIME-WAIT", ["TIME-WAIT"]),
    ],
)
def test_state_lists(text, states):
    assert read_states(text) == states


@pytest.mark.parametrize("text", ["CLOSED, foo", "", "CLOSED -> -> ???", "first closed then open"])
def test_unreadable_state_lists(text):
    got = read_states(text)
    assert isinstance(got, Unreadable)
    assert "in order" in got.expected and "CLOSED, SYN-SENT, ESTABLISHED" in got.expected


# ----------------------------------------------------------------------- flags


@pytest.mark.parametrize(
    "text, flags",
    [
        ("SYN+ACK", "SYN+ACK"),
        ("ACK+SYN", "SYN+ACK"),
        ("SYN,ACK", "SYN+ACK"),
        ("SYN, ACK", "SYN+ACK"),
        ("syn ack", "SYN+ACK"),
        ("syn,ack", "SYN+ACK"),
        ("[SYN, ACK]", "SYN+ACK"),
        ("{SYN,ACK}", "SYN+ACK"),
        ("SYN/ACK", "SYN+ACK"),
        ("SYN|ACK", "SYN+ACK"),
        ("SYN，ACK", "SYN+ACK"),
        ("ＳＹＮ＋ＡＣＫ", "SYN+ACK"),
        ("SA", "SYN+ACK"),
        ("S.", "SYN+ACK"),  # tcpdump
        ("[S.]", "SYN+ACK"),
        ("S", "SYN"),
        ("[S]", "SYN"),
        ("syn", "SYN"),
        ("F.", "FIN+ACK"),
        ("FA", "FIN+ACK"),
        ("FIN+ACK", "FIN+ACK"),
        ("FIN, ACK", "FIN+ACK"),
        ("R.", "RST+ACK"),
        ("RST/ACK", "RST+ACK"),
        ("R", "RST"),
        ("RST", "RST"),
        (".", "ACK"),
        ("[.]", "ACK"),
        ("ack", "ACK"),
        ("(ack)", "ACK"),
        # PSH is not graded: it is dropped wherever it appears
        ("PSH+ACK", "ACK"),
        ("P.", "ACK"),
        ("[P.]", "ACK"),
        ("FIN,PSH,ACK", "FIN+ACK"),
        ("FP.", "FIN+ACK"),
        ("SYN ACK PSH", "SYN+ACK"),
    ],
)
def test_flags(text, flags):
    assert read_flags(text) == flags


def test_flags_match_the_canonical_form_of_the_expected_answers():
    from tcptutor.segment_flags import canonical_flags

    for flags in (["SYN"], ["SYN", "ACK"], ["ACK"], ["FIN", "ACK"], ["ACK", "PSH"], ["RST"], ["RST", "ACK"]):
        assert read_flags("+".join(flags)) == canonical_flags(flags)
        assert read_flags(",".join(reversed(flags))) == canonical_flags(flags)


@pytest.mark.parametrize("text", ["hello", "", "   ", "SYN+HELLO", "XYZ", "S A"])
def test_unreadable_flags_show_the_accepted_forms(text):
    got = read_flags(text)
    assert isinstance(got, Unreadable)
    for example in ("SYN+ACK", "SA", "S.", "[SYN, ACK]"):
        assert example in got.expected


def test_syn_dash_ack_is_read():
    assert read_flags("SYN-ACK") == "SYN+ACK"


# ----------------------------------------------------------------------- booleans


@pytest.mark.parametrize("text", ["true", "True", "TRUE", "T", "t", "yes", "y", "1", "对", "正确", "是", "√", "✓", "right", "ｔｒｕｅ", "true.", "TRUE!"])
def test_true(text):
    assert read_bool(text) is True


@pytest.mark.parametrize("text", ["false", "False", "F", "f", "no", "n", "0", "错", "错误", "否", "×", "✗", "wrong", "ｆａｌｓｅ", "false."])
def test_false(text):
    assert read_bool(text) is False


@pytest.mark.parametrize("text", ["maybe", "", "tru", "2", "对不对"])
def test_unreadable_booleans(text):
    got = read_bool(text)
    assert isinstance(got, Unreadable)
    assert got.expected == "true or false"


# ----------------------------------------------------------------------- option letters


@pytest.mark.parametrize(
    "text, count, letters",
    [
        ("B", 4, "B"),
        ("b", 4, "B"),
        (" c ", 4, "C"),
        ("Ａ", 4, "A"),
        ("a, c", 4, "AC"),
        ("A,C", 4, "AC"),
        ("AC", 4, "AC"),
        ("CA", 4, "AC"),  # sorted: order does not matter for choices
        ("C A", 4, "AC"),
        ("a/c", 4, "AC"),
        ("A+C", 4, "AC"),
        ("A;C", 4, "AC"),
        ("B、C", 4, "BC"),
        ("AA", 4, "A"),
        ("2", 4, "B"),  # numbers count from 1
        ("1 3", 4, "AC"),
        ("A B", 2, "AB"),
    ],
)
def test_option_letters(text, count, letters):
    assert read_letters(text, count) == letters


@pytest.mark.parametrize("text, count", [("E", 4), ("5", 4), ("0", 4), ("C", 2), ("xyz", 4), ("A and C", 4)])
def test_letters_out_of_range_are_unreadable_and_name_the_range(text, count):
    got = read_letters(text, count)
    assert isinstance(got, Unreadable)
    last = chr(ord("A") + count - 1)
    assert f"from A to {last}" in got.expected


def test_no_letters_at_all_is_unreadable():
    got = read_letters("  ", 4)
    assert isinstance(got, Unreadable)
    assert "option letters" in got.expected


# ----------------------------------------------------------------------- orderings

SHOWN = ["SYN-SENT", "CLOSED", "ESTABLISHED"]  # the shuffled order the student saw as A, B, C
RIGHT = ["CLOSED", "SYN-SENT", "ESTABLISHED"]


@pytest.mark.parametrize(
    "text",
    [
        "B A C",
        "b a c",
        "B, A, C",
        "b,a,c",
        "2 1 3",
        "Ｂ Ａ Ｃ",
        "CLOSED -> SYN-SENT -> ESTABLISHED",  # by name
        "closed, syn-sent, established",
        "CLOSED → SYN-SENT → ESTABLISHED",
    ],
)
def test_orderings(text):
    assert read_order(text, SHOWN) == RIGHT


def test_an_ordering_is_read_as_given_even_when_wrong():
    assert read_order("A B C", SHOWN) == SHOWN
    assert read_order("C B A", SHOWN) == ["ESTABLISHED", "CLOSED", "SYN-SENT"]


@pytest.mark.parametrize("text", ["B A", "A B C D", "A A B", "X", "", "closed established"])
def test_incomplete_or_repeated_orderings_are_unreadable(text):
    got = read_order(text, SHOWN)
    assert isinstance(got, Unreadable)
    assert "all 3 letters in order" in got.expected and "A B C" in got.expected


@pytest.mark.parametrize("text", ["B -> A -> C", "B→A→C", "B > A > C", "B, A, C", "2 -> 1 -> 3"])
def test_letters_joined_by_arrows(text):
    assert read_order(text, SHOWN) == RIGHT


def test_ordering_by_name_with_commas_inside_items():
    shown = ["MSS index (3 bits)", "hash of addresses, ports and t (24 bits)", "time counter t (5 bits)"]
    right = ["time counter t (5 bits)", "MSS index (3 bits)", "hash of addresses, ports and t (24 bits)"]
    assert read_order(" -> ".join(right), shown) == right


# ----------------------------------------------------------------------- numeric answers and normalisation


@pytest.mark.parametrize("text, value", [("240", 240.0), ("240.5", 240.5), ("1,5", 1.5), ("２４０", 240.0), ("4 min", 240.0), ("2.5e2", 250.0)])
def test_numeric_answers(text, value):
    assert read_float(text) == pytest.approx(value)


@pytest.mark.parametrize("text, unit, value", [
    ("240", "ms", 240), ("240 ms", "ms", 240), ("0.24 s", "ms", 240), ("0,25", "s", 0.25),
    ("1.5 Mbit/s", "bit/s", 1.5e6), ("1500 kbps", "Mbit/s", 1.5), ("12,000 bit/s", "kbit/s", 12),
    ("1 MB/s", "Mbit/s", 8), ("3 kB", "bytes", 3000), ("7 packets", "packets", 7), ("1 packet", "packets", 1),
    ("２.５ segments", "segments", 2.5), ("2.5e3 bit/s", "kbit/s", 2.5), ("4 min", "", 240),
    ("-3", "", -3), ("1e-3 s", "ms", 1),
])
def test_numbers_with_units(text, unit, value):
    assert read_quantity(text, unit) == pytest.approx(value)


@pytest.mark.parametrize("text, unit", [("3 bytes", "s"), ("2 ms", "bytes"), ("5 apples", "packets"),
                                        ("ms", "ms"), ("1 Mbit/s", "segments"), ("inf", "s"), ("1.2.3 s", "s")])
def test_a_number_with_a_unit_of_another_kind_is_unreadable(text, unit):
    got = read_quantity(text, unit)
    assert isinstance(got, Unreadable) and "a number" in got.expected


def test_unreadable_numeric_answer():
    got = read_float("lots")
    assert isinstance(got, Unreadable) and got.expected == "a number"


def test_normalize_folds_full_width_and_trims():
    assert normalize("  ＳＹＮ＋ＡＣＫ　１００１ ") == "SYN+ACK 1001"


# ----------------------------------------------------------------------- hostile answers (issue 16)

ALL_READERS = {
    "number": read_number,
    "seconds": read_seconds,
    "state": read_state,
    "states": read_states,
    "flags": read_flags,
    "bool": read_bool,
    "letters": lambda text: read_letters(text, 4),
    "order": lambda text: read_order(text, SHOWN),
    "float": read_float,
    "quantity": lambda text: read_quantity(text, "ms"),
}


@pytest.mark.parametrize("reader", ALL_READERS.values(), ids=ALL_READERS.keys())
@pytest.mark.parametrize("text", ["1" * (MAX_ANSWER_CHARS + 1), " " * 131_073, "A" + " " * 20_000 + "B"],
                         ids=["1001-digits", "131073-spaces", "20002-spaced"])
def test_an_answer_over_the_length_limit_is_unreadable_and_says_the_limit(reader, text):
    got = reader(text)
    assert isinstance(got, Unreadable)
    assert f"at most {MAX_ANSWER_CHARS:,} characters" in got.expected
    assert f"{len(text):,}" in got.expected
    assert len(str(got)) < 300  # the message quotes the start of the answer, not all of it


def test_the_length_limit_counts_the_folded_text():
    """NFKC folds U+FDFA into 18 characters: 100 of them are 1,800 characters to read."""
    got = read_state("\ufdfa" * 100)
    assert isinstance(got, Unreadable) and "1,800" in got.expected


def test_an_answer_at_the_length_limit_is_still_read():
    assert read_number("0" * (MAX_ANSWER_CHARS - 4) + "1001") == 1001
    assert read_seconds(" " * (MAX_ANSWER_CHARS - 5) + "200ms") == pytest.approx(0.2)


@pytest.mark.parametrize("text", ["9" * 309, "9" * 400, "1" * MAX_ANSWER_CHARS, "99999999999 h", "1" * 12],
                         ids=["309-digits", "400-digits", "1000-digits", "1e11-hours", "12-digits"])
def test_a_time_too_large_for_any_tcp_timer_is_unreadable_not_inf(text):
    """float('9' * 309) is inf, and round(inf) crashed the misconception detectors."""
    got = read_seconds(text)
    assert isinstance(got, Unreadable)
    assert f"at most {MAX_SECONDS:,.0f} s" in got.expected


@pytest.mark.parametrize("text", ["inf", "-inf", "nan", "NaN", "infinity", "1e999", "9" * 309 + ".0"],
                         ids=["inf", "-inf", "nan", "NaN", "infinity", "1e999", "309-digits"])
def test_a_numeric_answer_must_be_finite(text):
    got = read_float(text)
    assert isinstance(got, Unreadable)
    assert "finite" in got.expected


@pytest.mark.parametrize("text", ["1" * 4_301, "1" * MAX_ANSWER_CHARS, "2" * 700 + " 1"],
                         ids=["4301-digits", "1000-digits", "700-digits-and-1"])
def test_a_choice_answer_of_thousands_of_digits_is_unreadable_not_a_crash(text):
    got = read_letters(text, 4)
    assert isinstance(got, Unreadable)


@pytest.mark.parametrize("text", ["9" * 4_301, "9" * MAX_ANSWER_CHARS, "0x" + "f" * 998, "⑳" * 500],
                         ids=["4301-digits", "1000-digits", "998-hex-digits", "500-circled-20"])
def test_huge_numbers_never_crash(text):
    got = read_number(text)
    assert isinstance(got, (int, Unreadable))


def test_a_thousand_digit_number_is_read_as_typed():
    assert read_number("9" * MAX_ANSWER_CHARS) == int("9" * MAX_ANSWER_CHARS)


@pytest.mark.parametrize("text", ["0x-5", "0x+5"])
def test_hex_takes_hex_digits_only(text):
    """int('-5', 16) is -5: the sign belongs before the 0x, not after it."""
    assert isinstance(read_number(text), Unreadable)


@pytest.mark.parametrize("text", ["1.", "1.2.3", ".", "1..5", "s", "ms"])
def test_malformed_times_are_unreadable(text):
    assert isinstance(read_seconds(text), Unreadable)


def test_the_tokenisers_are_linear_on_the_former_quadratic_shapes():
    """The shapes that took 30 s at 20,001 characters under the old regular expressions, at
    ten times that length, below the length limit: each helper must still answer at once."""
    digits = "1" * 200_000 + "!"
    assert _answers._decimal_and_unit(digits) == ("1" * 200_000, "!")
    spaces = "A" + " " * 200_000 + "B"
    assert _answers._list_parts(spaces) == ["A" + " " * 200_000 + "B"]
    assert _answers._list_parts("A" + " " * 200_000 + "-> B") == ["A", "B"]


# ----------------------------------------------------------------------- near-miss state spellings (issue 9)


@pytest.mark.parametrize("text", ["SYN_SEND", "syn send", "SYN-SEND", "SYNSEND", "ＳＹＮ＿ＳＥＮＤ"])
def test_syn_send_is_unreadable_with_the_hint_that_syn_sent_is_meant(text):
    got = read_state(text)
    assert isinstance(got, Unreadable)
    assert "SYN-SENT (同步已发送) is meant" in got.expected
    assert got.suggestion == "SYN-SENT"
    assert "TCP state" in got.expected


@pytest.mark.parametrize("text, state", [("LISTN", "LISTEN"), ("ESTABLISED", "ESTABLISHED"), ("SYN_RECIEVED", "SYN-RECEIVED"),
                                         ("TIME_WIAT", "TIME-WAIT"), ("LAST_ACKK", "LAST-ACK"), ("同步发送", "SYN-SENT")])
def test_near_miss_state_spellings_get_a_did_you_mean(text, state):
    got = read_state(text)
    assert isinstance(got, Unreadable)
    assert f"did you mean {state} (" in got.expected
    assert got.suggestion == state


def test_an_ambiguous_near_miss_names_every_candidate():
    got = read_state("FIN_WAIT")
    assert isinstance(got, Unreadable)
    assert "did you mean FIN-WAIT-1 (终止等待1) or FIN-WAIT-2 (终止等待2)?" in got.expected
    assert got.suggestion is None


@pytest.mark.parametrize("text", ["foo", "SYN", "42", "等待", "ESTABLISHING-ISH", "x" * 40])
def test_far_misses_get_no_hint(text):
    got = read_state(text)
    assert isinstance(got, Unreadable)
    assert got.expected.endswith("同步收到") and got.suggestion is None


def test_a_state_list_names_the_misspelled_state():
    got = read_states("CLOSED -> SYN_SEND -> ESTABLISHED")
    assert isinstance(got, Unreadable)
    assert "in order" in got.expected
    assert "state 2, 'SYN_SEND': SYN-SENT (同步已发送) is meant" in got.expected


# ---------------------------------------------------------------- options and ports


@pytest.mark.parametrize("text, kinds", [
    ("MSS,SACK_PERM,TS,WS", "MSS,SACK_PERM,TS,WS"),
    ("WS, TS, MSS, SACK_PERM", "MSS,SACK_PERM,TS,WS"),  # any order: a set of kinds
    ("mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7", "MSS,SACK_PERM,TS,WS"),  # tcpdump's own words
    ("window scale, SACK permitted", "SACK_PERM,WS"),
    ("MSS=1460", "MSS"),
    ("mss", "MSS"),
    ("none", "none"),
    ("-", "none"),
])
def test_option_kinds(text, kinds):
    assert _answers.read_option_kinds(text) == kinds


@pytest.mark.parametrize("text", ["", "foo", "MSS, bogus", "nop", "1460"])
def test_unreadable_option_kinds_show_the_form(text):
    got = _answers.read_option_kinds(text)
    assert isinstance(got, Unreadable) and "MSS,SACK_PERM,TS,WS" in got.expected


@pytest.mark.parametrize("text, value", [("1460", 1460), ("mss=1460", 1460), ("0x5b4", 1460), ("none", "none"),
                                         ("No", "none"), ("wscale: 7", 7)])
def test_number_or_none(text, value):
    assert _answers.read_number_or_none(text) == value


def test_number_or_none_says_none_is_an_answer():
    got = _answers.read_number_or_none("big")
    assert isinstance(got, Unreadable) and "none" in got.expected
