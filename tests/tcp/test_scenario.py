"""Scenario parsing: every step form, durations, and errors that point at the right line."""

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tcptutor.errors import ScenarioError
from tcptutor.tcp.params import (
    Call,
    Calls,
    Delay,
    Drop,
    Duplicate,
    EndpointParams,
    Flood,
    NetParams,
    Scenario,
    Vanish,
    Wait,
)
from tcptutor.tcp.scenario import ordinal_suffix, parse_duration, parse_rate, parse_scenario, parse_step

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "docs" / "scenarios.md"  # the format's reference; these tests keep it true
SCENARIO_FILES = sorted((ROOT / "content" / "scenarios").glob("*.toml"))


def error_of(text: str, path: str = "s.toml") -> str:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, path)
    return str(caught.value)


def one_call(endpoint, verb, *sizes):
    return Calls((Call(endpoint, verb, tuple(sizes)),))


# --- durations --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "micros"),
    [
        ("0ms", 0),
        ("250us", 250),
        ("200ms", 200_000),
        ("1s", 1_000_000),
        ("1.5s", 1_500_000),
        ("0.1s", 100_000),
        ("2min", 120_000_000),
        ("1h", 3_600_000_000),
        ("1.25ms", 1_250),
        (" 10 ms ", 10_000),
        ("3MS", 3_000),
    ],
)
def test_parse_duration_accepts_each_unit(text, micros):
    assert parse_duration(text) == micros


@pytest.mark.parametrize("value", [200, "200", 1.5])
def test_parse_duration_without_unit_says_a_unit_is_needed(value):
    shown = '"200"' if value == "200" else str(value)
    with pytest.raises(ValueError) as caught:
        parse_duration(value)
    assert str(caught.value) == f'a duration needs a unit (us, ms, s, min, h), like "200ms"; got {shown}'


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-5ms", 'a duration cannot be negative; got "-5ms"'),
        ("5sec", "unknown duration unit 'sec': expected us, ms, s, min or h, like \"200ms\""),
        ("soon", 'a duration is a number with a unit (us, ms, s, min, h), like "200ms"; got "soon"'),
        ("", 'a duration is a number with a unit (us, ms, s, min, h), like "200ms"; got ""'),
        ("1.0000005s", 'a duration must be a whole number of microseconds; got "1.0000005s"'),
        (True, 'a duration must be a string with a unit, like "200ms"; got true'),
    ],
)
def test_parse_duration_rejects(value, message):
    with pytest.raises(ValueError) as caught:
        parse_duration(value)
    assert str(caught.value) == message


@given(st.integers(min_value=0, max_value=10**9), st.sampled_from(["us", "ms", "s", "min", "h"]))
def test_parse_duration_is_exact_for_whole_numbers(number, unit):
    factor = {"us": 1, "ms": 1_000, "s": 10**6, "min": 60 * 10**6, "h": 3600 * 10**6}[unit]
    assert parse_duration(f"{number}{unit}") == number * factor


# --- steps ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("client listen", one_call("client", "listen")),
        ("server listen", one_call("server", "listen")),
        ("client connect", one_call("client", "connect")),
        ("server close", one_call("server", "close")),
        ("client abort", one_call("client", "abort")),
        ("client send 100", one_call("client", "send", 100)),
        ("client send 80 40", one_call("client", "send", 80, 40)),
        ("  Server   SEND  1\t2 3 ", one_call("server", "send", 1, 2, 3)),
        (
            "client close & server close",
            Calls((Call("client", "close"), Call("server", "close"))),
        ),
        (
            "client connect&server connect",
            Calls((Call("client", "connect"), Call("server", "connect"))),
        ),
        (
            "server send 10 & client send 20 30",
            Calls((Call("server", "send", (10,)), Call("client", "send", (20, 30)))),
        ),
        ("drop next", Drop()),
        ("DROP NEXT", Drop()),
        ("drop next client->server", Drop("client", "server")),
        ("drop next server -> client", Drop("server", "client")),
        ("drop next SYN", Drop(flags=frozenset({"SYN"}))),
        ("drop next server->client syn,ack", Drop("server", "client", frozenset({"SYN", "ACK"}))),
        ("drop next client->server FIN+ACK", Drop("client", "server", frozenset({"FIN", "ACK"}))),
        ("drop next client->server,DATA", Drop("client", "server", frozenset({"DATA"}))),
        ("drop next RST PSH, URG", Drop(flags=frozenset({"RST", "PSH", "URG"}))),
        ("drop 1st", Drop()),
        ("drop 2nd client->server DATA", Drop("client", "server", frozenset({"DATA"}), nth=2)),
        ("drop 3rd SYN", Drop(flags=frozenset({"SYN"}), nth=3)),
        ("Drop 11TH", Drop(nth=11)),
        ("drop 22nd", Drop(nth=22)),
        ("drop 113th", Drop(nth=113)),
        ("delay next client->server DATA by 50ms", Delay("client", "server", frozenset({"DATA"}), by=50_000)),
        ("delay next by 1.5 s", Delay(by=1_500_000)),
        ("DELAY 2nd server->client ACK BY 1s", Delay("server", "client", frozenset({"ACK"}), nth=2, by=1_000_000)),
        ("duplicate next server->client ACK", Duplicate("server", "client", frozenset({"ACK"}))),
        ("duplicate 4th DATA", Duplicate(flags=frozenset({"DATA"}), nth=4)),
        ("server vanish", Vanish("server")),
        ("  Client  VANISH ", Vanish("client")),
        ("flood 1", Flood(1)),
        ("flood 128", Flood(128)),
        ("wait 0ms", Wait(0)),
        ("wait 1s", Wait(1_000_000)),
        ("wait 1.5s", Wait(1_500_000)),
        ("Wait 2min", Wait(120_000_000)),
        ("wait 200 ms", Wait(200_000)),
    ],
)
def test_parse_step(text, action):
    assert parse_step(text) == action


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("clinet connect", "unknown endpoint 'clinet': expected client or server"),
        ("client sned 10", "unknown step verb 'sned': expected listen, connect, send, read, close, abort, vanish, drop, delay, duplicate, flood or wait"),
        ("sned 10", "unknown step verb 'sned': expected listen, connect, send, read, close, abort, vanish, drop, delay, duplicate, flood or wait"),
        ("connect", "'connect' needs an endpoint first: expected \"client connect\" or \"server connect\""),
        ("client", "'client' needs a call after it: expected listen, connect, send, read, close or abort"),
        ("client wait 1s", "'wait' is not a call an endpoint makes: write \"wait ...\" without 'client'"),
        ("client send", 'send needs at least one size in bytes, like "client send 100"'),
        ("client send -5", "a size must be a whole number of bytes, at least 1; got -5"),
        ("client send 0", "a size must be a whole number of bytes, at least 1; got 0"),
        ("client send 10 1.5", "a size must be a whole number of bytes, at least 1; got 1.5"),
        ("client connect now", "'client connect' takes nothing after it; got 'now'"),
        ("server listen 5", "'server listen' takes nothing after it; got '5'"),
        ("", "a step cannot be empty: expected listen, connect, send, read, close, abort, vanish, drop, delay, duplicate, flood or wait"),
        ("client close & client close", "client appears twice around '&': an endpoint makes one call at a time"),
        ("client close &", 'each side of \'&\' needs a call, like "client close & server close"'),
        ("client close & wait 1s", "only calls can happen at the same instant; 'wait 1s' cannot be joined with '&'"),
        ("client close & clinet close", "unknown endpoint 'clinet': expected client or server"),
        ("drop", 'drop needs \'next\' or an ordinal (1st, 2nd, 3rd ...): expected "drop next|Kth [SRC->DST] [FLAG,...]"'),
        ("drop last", 'drop needs \'next\' or an ordinal (1st, 2nd, 3rd ...): '
         'expected "drop next|Kth [SRC->DST] [FLAG,...]"; got \'last\''),
        ("drop next clinet->server", "unknown endpoint 'clinet': expected client or server"),
        ("drop next client->client", "a drop direction needs two different endpoints; got client->client"),
        ("drop next SYNN", "unknown flag 'SYNN': expected SYN, ACK, FIN, RST, PSH, URG or DATA"),
        (
            "drop next client",
            "the direction goes right after 'next' as SRC->DST, like \"drop next client->server SYN\"; got 'client'",
        ),
        ("drop 2th", "'2th' is not an ordinal: write 2nd"),
        ("drop 11st client->server", "'11st' is not an ordinal: write 11th"),
        ("drop 3 DATA", "'3' is not an ordinal: write 3rd"),
        ("drop 0th", "drop counts matching segments from the 1st; got '0th'"),
        ("delay next server->server by 1ms", "a delay direction needs two different endpoints; got server->server"),
        ("drop 2nd client", "the direction goes right after '2nd' as SRC->DST, like \"drop 2nd client->server SYN\"; got 'client'"),
        ("delay next client->server DATA",
         "delay needs 'by DURATION' at its end, like \"delay next client->server DATA by 50ms\""),
        ("delay next DATA by", 'delay ... by needs a duration, like "by 50ms"'),
        ("delay next DATA by 50", 'a duration needs a unit (us, ms, s, min, h), like "200ms"; got "50"'),
        ("delay next DATA by 0ms", 'a delay must be more than 0; got "0ms"'),
        ("delay next bytes by 1ms", "unknown flag 'bytes': expected SYN, ACK, FIN, RST, PSH, URG or DATA"),
        ("delay", 'delay needs \'next\' or an ordinal (1st, 2nd, 3rd ...): '
         'expected "delay next|Kth [SRC->DST] [FLAG,...] by DURATION"'),
        ("duplicate first", 'duplicate needs \'next\' or an ordinal (1st, 2nd, 3rd ...): '
         'expected "duplicate next|Kth [SRC->DST] [FLAG,...]"; got \'first\''),
        ("duplicate next client->server SYNACK", "unknown flag 'SYNACK': expected SYN, ACK, FIN, RST, PSH, URG or DATA"),
        ("vanish", "'vanish' needs an endpoint first: expected \"client vanish\" or \"server vanish\""),
        ("server vanish now", "'server vanish' takes nothing after it; got 'now'"),
        ("client close & server vanish",
         "only calls can happen at the same instant; 'server vanish' cannot be joined with '&'"),
        ("flood", 'flood needs one whole number of SYNs, at least 1, like "flood 100"; got nothing'),
        ("flood 0", 'flood needs one whole number of SYNs, at least 1, like "flood 100"; got 0'),
        ("flood 5 6", 'flood needs one whole number of SYNs, at least 1, like "flood 100"; got 5 6'),
        ("wait", 'wait needs a duration, like "wait 200ms"'),
        ("wait 200", 'a duration needs a unit (us, ms, s, min, h), like "200ms"; got "200"'),
        ("wait -1s", 'a duration cannot be negative; got "-1s"'),
    ],
)
def test_parse_step_rejects_with_what_was_expected(text, message):
    with pytest.raises(ValueError) as caught:
        parse_step(text)
    assert str(caught.value) == message


# --- whole scenarios --------------------------------------------------------------------


def test_reference_example_parses():
    example = re.search(r"```toml\n(.*?)```", CONTRACT.read_text(), re.DOTALL).group(1)
    scenario = parse_scenario(example, "example.toml")
    assert scenario.path == "example.toml"
    assert scenario.title == "Two segments, a loss, then a simultaneous close"
    assert [(step.line, step.text) for step in scenario.steps] == [
        (2, "server listen"),
        (3, "client connect"),
        (4, "client send 80 40"),
        (5, "drop next client->server"),
        (6, "client send 100"),
        (7, "wait 1s"),
        (8, "client close & server close"),
        (9, "wait 2min"),
    ]
    assert scenario.steps[3].action == Drop("client", "server")
    assert scenario.client == EndpointParams(isn=1000, window=65535, mss=1460)
    assert scenario.server == EndpointParams(isn=5000, window=65535, backlog=128, syncookies=False)
    assert scenario.net == NetParams(
        profile="rfc9293",
        seed=1,
        latency=10_000,
        rto=1_000_000,
        msl=30_000_000,
        syn_retries=6,
        synack_retries=5,
    )


def test_defaults_when_tables_are_absent():
    scenario = parse_scenario('steps = ["server listen"]')
    assert scenario == Scenario(
        steps=scenario.steps,
        title="",
        client=EndpointParams(),
        server=EndpointParams(),
        net=NetParams(),
        path="<scenario>",
    )
    assert scenario.client.isn is None and scenario.net.rto is None
    assert scenario.steps[0].line == 1 and scenario.steps[0].text == "server listen"


def test_step_text_is_stripped_and_every_table_read():
    text = """title = 'Linux'
steps = ['  client connect  ']
[client]
isn = 4294967295
syncookies = true
[server]
window = 1
mss = 65495
backlog = 1
[net]
profile = "linux"
seed = 0
latency = "0ms"
rto = "200ms"
msl = "0s"
syn_retries = 0
synack_retries = 255
"""
    scenario = parse_scenario(text)
    assert scenario.title == "Linux"
    assert scenario.steps[0].text == "client connect"
    assert scenario.client == EndpointParams(isn=2**32 - 1, syncookies=True)
    assert scenario.server == EndpointParams(window=1, mss=65495, backlog=1)
    assert scenario.net == NetParams("linux", 0, 0, 200_000, 0, 0, 255)


def test_step_lines_in_a_tricky_multiline_array():
    text = r"""# a comment with "quotes" and 'apostrophes' and [brackets]
title = "quote \" inside, and a # that is not a comment"
steps = [  # "not a step"
  "server listen", 'client connect',   # 'also not a step'

  "client send 10" ,
  # "commented out step"
  '''wait 1s''',
  "client \"close\"" ,
]
"""
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "t.toml")
    assert str(caught.value) == (
        """t.toml:9: step "client "close"": unknown step verb '"close"': """
        "expected listen, connect, send, read, close, abort, vanish, drop, delay, duplicate, flood or wait"
    )
    good = parse_scenario(text.replace(r'"client \"close\""', '"client close"'), "t.toml")
    assert [(step.line, step.text) for step in good.steps] == [
        (4, "server listen"),
        (4, "client connect"),
        (6, "client send 10"),
        (8, "wait 1s"),
        (9, "client close"),
    ]


def test_bad_step_on_line_7_of_a_multiline_array():
    text = """title = "lost SYN"
steps = [
  "server listen",
  "drop next client->server SYN",
  "client connect",
  "wait 1s",
  "clinet connect",
]
"""
    assert error_of(text) == (
        's.toml:7: step "clinet connect": unknown endpoint \'clinet\': expected client or server'
    )


def test_a_step_spread_over_several_lines_reports_where_its_string_starts():
    text = 'steps = [\n  "server listen",\n  """\nclient sned 10""",\n]\n'
    assert error_of(text) == (
        's.toml:3: step "client sned 10": unknown step verb \'sned\': '
        "expected listen, connect, send, read, close, abort, vanish, drop, delay, duplicate, flood or wait"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('title = "x"\n', 's.toml:1: steps is missing: a scenario needs steps = ["...", ...]'),
        (
            'title = "x"\nsteps = "server listen"\n',
            's.toml:2: steps must be a list of strings, like steps = ["server listen", "client connect"]; '
            'got "server listen"',
        ),
        ("\nsteps = []\n", "s.toml:2: steps is empty: a scenario needs at least one step"),
        (
            'steps = [\n  "server listen",\n  5,\n]\n',
            's.toml:3: each step must be a string, like "client connect"; got 5',
        ),
        (
            'steps = ["server listen"]\ntitle = 5\n',
            "s.toml:2: title must be a string; got 5",
        ),
        (
            'steps = ["server listen"]\ntitel = "x"\n',
            "s.toml:2: unknown key 'titel': expected steps, title, [client], [server] or [net]",
        ),
        (
            'steps = ["server listen"]\n\n[network]\nlatency = "1ms"\n',
            "s.toml:3: unknown table [network]: expected steps, title, [client], [server] or [net]",
        ),
        (
            'steps = ["server listen"]\nclient = 5\n',
            "s.toml:2: [client] must be a table of settings (isn, window, mss, backlog, syncookies, cc, iw, autoread, keepalive, keepalive_idle, keepalive_interval, keepalive_count, nagle or delayed_ack); got 5",
        ),
    ],
)
def test_structure_errors(text, expected):
    assert error_of(text) == expected


def with_another_key(line: str, first: str, otherwise: str) -> str:
    """A filler key before the bad one, so the bad key is not the table's first line."""
    return otherwise if line.startswith(first.split()[0]) else first


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("isn = 4294967296", "isn must be between 0 and 4294967295; got 4294967296"),
        ("isn = -1", "isn must be between 0 and 4294967295; got -1"),
        ('isn = "5"', 'isn must be a whole number (a TOML integer); got "5"'),
        ("window = 0", "window must be between 1 and 65535; got 0"),
        ("mss = 65496", "mss must be between 1 and 65495; got 65496"),
        ("backlog = 0", "backlog must be at least 1; got 0"),
        ("backlog = true", "backlog must be a whole number (a TOML integer); got true"),
        ("syncookies = 1", "syncookies must be true or false; got 1"),
        ("latency = 5", "unknown key 'latency' in [server]: expected isn, window, mss, backlog, syncookies, cc, iw, autoread, keepalive, keepalive_idle, keepalive_interval, keepalive_count, nagle or delayed_ack"),
    ],
)
def test_key_errors_inside_server_point_at_the_key(line, message):
    filler = with_another_key(line, "syncookies = false", "mss = 1000")
    text = f'steps = ["server listen"]\n[client]\nisn = 1\n[server]\n{filler}\n\n{line}\n'
    assert error_of(text) == f"s.toml:7: {message}"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('profile = "bsd"', 'profile must be "rfc9293" or "linux"; got "bsd"'),
        ("seed = -1", "seed must be at least 0; got -1"),
        ("seed = 1.5", "seed must be a whole number (a TOML integer); got 1.5"),
        ("latency = 200", 'latency: a duration needs a unit (us, ms, s, min, h), like "200ms"; got 200'),
        ('latency = "200"', 'latency: a duration needs a unit (us, ms, s, min, h), like "200ms"; got "200"'),
        ('latency = "-1ms"', 'latency: a duration cannot be negative; got "-1ms"'),
        ('rto = "0s"', 'rto must be more than 0; got "0s"'),
        ('msl = "1 fortnight"', "msl: unknown duration unit 'fortnight': expected us, ms, s, min or h, like \"200ms\""),
        ("syn_retries = 256", "syn_retries must be between 0 and 255; got 256"),
        ("synack_retries = -1", "synack_retries must be between 0 and 255; got -1"),
        ("retries = 3", "unknown key 'retries' in [net]: expected profile, seed, latency, rto, msl, "
         "syn_retries, synack_retries, loss, rate, queue or rfc5961"),
    ],
)
def test_net_errors(line, message):
    filler = with_another_key(line, "seed = 3", "profile = 'linux'")
    text = f'steps = ["server listen"]\n\n[net]\n{filler}\n{line}\n'
    assert error_of(text) == f"s.toml:5: {message}"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('loss = "1%"', 'loss must be a number from 0 to 1, like loss = 0.01; got "1%"'),
        ("loss = true", "loss must be a number from 0 to 1, like loss = 0.01; got true"),
        ("loss = 1.5", "loss must be from 0 to 1 (a probability per segment); got 1.5"),
        ("loss = -0.1", "loss must be from 0 to 1 (a probability per segment); got -0.1"),
        ("loss = nan", "loss must be from 0 to 1 (a probability per segment); got nan"),
        ("rate = 1000000", 'rate: a rate must be a string with a unit (bps, kbps, Mbps, Gbps), like "10Mbps"; got 1000000'),
        ('rate = "fast"', 'rate: a rate is a number with a unit (bps, kbps, Mbps, Gbps), like "10Mbps"; got "fast"'),
        ('rate = "10"', 'rate: a rate needs a unit: bps, kbps, Mbps or Gbps, like "10Mbps"; got no unit in "10"'),
        ('rate = "10MB/s"', 'rate: a rate is a number with a unit (bps, kbps, Mbps, Gbps), like "10Mbps"; got "10MB/s"'),
        ('rate = "10MBs"', 'rate: a rate needs a unit: bps, kbps, Mbps or Gbps, like "10Mbps"; got unit \'MBs\' in "10MBs"'),
        ('rate = "1.5bps"', 'rate: a rate must be a whole number of bits per second; got "1.5bps"'),
        ('rate = "999bps"', 'rate must be at least 1kbps; got "999bps"'),
        ("queue = 0", "queue must be at least 1; got 0"),
        ("queue = 2.5", "queue must be a whole number (a TOML integer); got 2.5"),
    ],
)
def test_net_v2_key_errors(line, message):
    text = f'steps = ["server listen"]\n\n[net]\nrate = "1Mbps"\n{line}\n'
    if line.startswith("rate"):
        text = text.replace('rate = "1Mbps"', "seed = 1")
    assert error_of(text) == f"s.toml:5: {message}"


def test_a_queue_needs_a_rate_and_the_error_names_the_queue_line():
    text = 'steps = ["server listen"]\n[net]\nseed = 2\nqueue = 20\n'
    assert error_of(text) == (
        's.toml:4: queue needs a rate: a queue only fills behind a bottleneck, like rate = "10Mbps"'
    )


def test_net_v2_keys_are_stored_as_numbers():
    net = parse_scenario('steps = ["wait 1s"]\n[net]\nloss = 0\nrate = "1.5Gbps"\nqueue = 20\n').net
    assert (net.loss, net.rate, net.queue) == (0.0, 1_500_000_000, 20)
    assert isinstance(net.loss, float)


@pytest.mark.parametrize(
    ("text", "bits"),
    [("64kbps", 64_000), ("10Mbps", 10_000_000), ("1.5Gbps", 1_500_000_000), (" 2 mbps ", 2_000_000),
     ("1500bps", 1_500), ("0.5Mbps", 500_000), ("1KBPS", 1_000)],
)
def test_parse_rate(text, bits):
    assert parse_rate(text) == bits


@pytest.mark.parametrize(
    ("k", "written"),
    [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (10, "10th"), (11, "11th"), (12, "12th"), (13, "13th"),
     (21, "21st"), (22, "22nd"), (23, "23rd"), (101, "101st"), (111, "111th"), (112, "112th"), (1002, "1002nd")],
)
def test_ordinals_are_written_as_in_english(k, written):
    assert f"{k}{ordinal_suffix(k)}" == written
    assert parse_step(f"drop {written}").nth == k


def test_net_durations_are_stored_in_microseconds():
    net = parse_scenario('steps = ["wait 1s"]\n[net]\nlatency = "1.5ms"\nrto = "3s"\nmsl = "2min"\n').net
    assert (net.latency, net.rto, net.msl) == (1_500, 3_000_000, 120_000_000)


def test_dotted_and_inline_keys_are_located():
    assert error_of('steps = ["server listen"]\nserver.mss = 0\n') == (
        "s.toml:2: mss must be between 1 and 65495; got 0"
    )
    assert error_of('steps = ["server listen"]\n\nclient = { isn = 1, window = 0 }\n') == (
        "s.toml:3: window must be between 1 and 65535; got 0"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('steps = ["server listen"]\ntitle = "x\n', "s.toml:2: malformed TOML: Illegal character '\\n'"),
        ('steps = [\n  "server listen"\n  "client connect",\n]\n', "s.toml:3: malformed TOML: Unclosed array"),
        ('steps = ["server listen"]\n[client]\n[client]\n', "s.toml:3: malformed TOML: Cannot declare ('client',) twice"),
        ('steps = ["a"]\nsteps = ["b"]', "s.toml:2: malformed TOML: Cannot overwrite a value"),
    ],
)
def test_malformed_toml_reports_tomllibs_line(text, expected):
    assert error_of(text) == expected


def test_the_first_bad_step_is_reported():
    text = 'steps = [\n  "client connect",\n  "wait 5",\n  "flood -1",\n]\n'
    assert error_of(text, "first.toml").startswith('first.toml:3: step "wait 5": ')


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda path: path.name)
def test_every_shipped_scenario_parses(path):
    scenario = parse_scenario(path.read_text(encoding="utf-8"), str(path))
    assert scenario.steps and all(step.line >= 1 for step in scenario.steps)


GOOD_STEPS = ["server listen", "client connect", "client send 5 6", "drop next SYN", "flood 3", "wait 1s"]


@st.composite
def laid_out_steps(draw):
    """A steps array written in a random but valid layout, with the line each step should get."""
    lines, expected = ["steps = [  # the steps"], []
    for step in draw(st.lists(st.sampled_from(GOOD_STEPS), min_size=1, max_size=8)):
        literal = draw(st.sampled_from(['"{}"', "'{}'", '"""{}"""', "'''{}'''"])).format(step)
        if draw(st.booleans()):
            lines.append(draw(st.sampled_from(["", "  # a 'quoted' \"comment\" [x]", "  "])))
        if draw(st.booleans()) or "#" in lines[-1]:
            lines.append("  ")
        lines[-1] += literal + ", "
        expected.append((len(lines), step))
    lines.append("]")
    return "\n".join(lines) + "\n", expected


@given(laid_out_steps())
def test_step_lines_follow_any_layout(layout):
    text, expected = layout
    assert [(step.line, step.text) for step in parse_scenario(text).steps] == expected


# --- docs/scenarios.md stays in step with the parser and the simulator ---------------------

IMPLEMENTED = "implemented"
NOT_YET = "not yet implemented in this version"
MINIMAL_STEPS = 'steps = ["server listen", "client connect"]\n'
NEEDS = {"queue": 'rate = "10Mbps"\n'}  # keys that are refused without another one


def reference_tables() -> list[tuple[str, list[dict[str, str]]]]:
    """(heading, rows) of every table in docs/scenarios.md that has a status column."""
    tables, heading, lines = [], "", CONTRACT.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("#"):
            heading = lines[i].lstrip("#").strip()
        if lines[i].startswith("|") and i + 1 < len(lines) and set(lines[i + 1]) <= set("|- "):
            header = [cell.strip() for cell in lines[i].strip("|").split("|")]
            rows, i = [], i + 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(dict(zip(header, (cell.strip() for cell in lines[i].strip("|").split("|")))))
                i += 1
            if "status" in header:
                tables.append((heading, rows))
            continue
        i += 1
    return tables


def documented(kind: str, status: str | None = None) -> list[dict[str, str]]:
    """Rows of the reference tables whose heading starts with `kind`."""
    return [row for heading, rows in reference_tables() if heading.startswith(kind)
            for row in rows if status is None or row["status"] == status]


def code_of(cell: str) -> str:
    """The first `code` span of a table cell."""
    return re.search(r"`([^`]+)`", cell).group(1)


def expected_choices(message: str) -> set[str]:
    """The choices an "expected a, b or c" error message lists."""
    listed = message.rsplit("expected ", 1)[1]
    return set(re.split(r", | or ", listed))


def test_every_reference_row_has_a_known_status():
    tables = reference_tables()
    headings = [heading for heading, _ in tables]
    for kind in ("Endpoint keys", "`[net]` keys", "Steps", "Segment members", "Event members"):
        assert any(heading.startswith(kind) for heading in headings), f"no table under a heading {kind}"
    for heading, rows in tables:
        for row in rows:
            assert row["status"] in (IMPLEMENTED, NOT_YET), f"{heading}: {row}"


@pytest.mark.parametrize(("kind", "table"), [("Endpoint keys", "client"), ("Endpoint keys", "server"),
                                             ("`[net]` keys", "net")])
def test_documented_keys_are_the_keys_the_parser_accepts(kind, table):
    implemented = {code_of(row["key"]) for row in documented(kind, IMPLEMENTED)}
    for row in documented(kind):
        companion = NEEDS.get(code_of(row["key"]), "")
        text = f"{MINIMAL_STEPS}[{table}]\n{code_of(row['example'])}\n{companion}"
        if row["status"] == IMPLEMENTED:
            parse_scenario(text, "s.toml")
        else:
            key = code_of(row["key"])
            assert error_of(text).startswith(f"s.toml:3: unknown key '{key}' in [{table}]: expected ")
    # and nothing the parser accepts is missing from the reference
    assert expected_choices(error_of(f"{MINIMAL_STEPS}[{table}]\nno_such_key = 1\n")) == implemented


def test_documented_steps_are_the_steps_the_parser_accepts():
    implemented_verbs = set()
    for row in documented("Steps"):
        example = code_of(row["example"])
        text = f'steps = [\n  "server listen",\n  "{example}",\n]\n'
        if row["status"] == IMPLEMENTED:
            parse_scenario(text, "s.toml")
            words = code_of(row["step"]).split()
            implemented_verbs.update(words[1:2] if words[0] == "E" else words[:1] if words[0] != "A" else [])
        else:
            assert error_of(text).startswith(f's.toml:3: step "{example}": ')
    assert expected_choices(str(pytest.raises(ValueError, parse_step, "teleport").value)) == implemented_verbs


def documented_members(kind: str, status: str) -> set[str]:
    return {name for row in documented(kind, status) for name in re.findall(r"`([^`]+)`", row["member"])}


@pytest.fixture(scope="module")
def shipped_traces() -> list[dict]:
    from tcptutor.tcp.simulator import simulate

    return [simulate(parse_scenario(path.read_text(encoding="utf-8"), str(path))).to_json()
            for path in SCENARIO_FILES]


@pytest.mark.parametrize(("kind", "part"), [("Segment members", "segments"), ("Event members", "events")])
def test_trace_members_are_the_documented_ones(shipped_traces, kind, part):
    implemented, not_yet = documented_members(kind, IMPLEMENTED), documented_members(kind, NOT_YET)
    seen = {key for trace in shipped_traces for item in trace[part] for key in item}
    assert seen <= implemented, f"undocumented {part} members: {sorted(seen - implemented)}"
    assert not seen & not_yet, f"members marked {NOT_YET!r} appear in traces: {sorted(seen & not_yet)}"
    assert implemented <= seen, f"documented {part} members no shipped scenario shows: {sorted(implemented - seen)}"
    endpoints = {event["endpoint"] for trace in shipped_traces for event in trace["events"]}
    assert endpoints == {"client", "server", "listener"}
