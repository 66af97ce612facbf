"""The simulator's reach (tcptutor/tcp/limits.py): beyond it, one clear path:line message;
within it, work that grows linearly with the scenario.

Linearity is checked by counting function calls (deterministic), never by timing;
bench/bench_simulator.py prints the time ratios.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tcptutor.errors import ScenarioError
from tcptutor.tcp import limits
from tcptutor.tcp.scenario import parse_scenario
from tcptutor.tcp.simulator import Simulator, simulate

TEACHING = "(tcptutor is a teaching simulator)"


def error_of(text: str) -> str:
    with pytest.raises(ScenarioError) as err:
        simulate(parse_scenario(text, "lab.toml"))
    return str(err.value)


def steps(*lines: str) -> str:
    return "steps = [\n" + "".join(f'  "{line}",\n' for line in lines) + "]\n"


# --------------------------------------------------------------------- refused at parse time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (steps("server listen", "flood 10000000"),
         'lab.toml:3: step "flood 10000000": at most 100000 spoofed SYNs in a scenario ' + TEACHING),
        # the limit is per scenario: the step that crosses it is the one named
        (steps("server listen", "flood 60000", "wait 1s", "flood 40001"),
         'lab.toml:5: step "flood 40001": at most 100000 spoofed SYNs in a scenario ' + TEACHING),
        (steps("server listen", "client connect", "client send 1000000000000"),
         'lab.toml:4: step "client send 1000000000000": at most 125000 data segments in a scenario;'
         " with segments of at most 1460 bytes (the smaller MSS, or the peer's window) this needs more " + TEACHING),
        (steps("server listen", "client connect", "client send 1000000") + "[client]\nmss = 1\n",
         'lab.toml:4: step "client send 1000000": at most 125000 data segments in a scenario;'
         " with segments of at most 1 bytes (the smaller MSS, or the peer's window) this needs more " + TEACHING),
        # the peer's window cuts segments too: a 1-byte window means 1-byte segments
        (steps("server listen", "client connect", "server send 200000") + "[client]\nwindow = 1\n",
         'lab.toml:4: step "server send 200000": at most 125000 data segments in a scenario;'
         " with segments of at most 1 bytes (the smaller MSS, or the peer's window) this needs more " + TEACHING),
        # both directions count towards the one limit
        (steps("server listen", "client connect", "client send 100000", "server send 30000")
         + "[client]\nmss = 1\n",
         'lab.toml:5: step "server send 30000": at most 125000 data segments in a scenario;'
         " with segments of at most 1 bytes (the smaller MSS, or the peer's window) this needs more " + TEACHING),
        (steps("server listen", "wait 25h"),
         f'lab.toml:3: step "wait 25h": a duration can be at most 24h {TEACHING}; got "25h"'),
        (steps("server listen") + '[net]\nlatency = "1441min"\n',
         f'lab.toml:5: latency: a duration can be at most 24h {TEACHING}; got "1441min"'),
        (steps("server listen") + '[net]\nrto = "100000s"\n',
         f'lab.toml:5: rto: a duration can be at most 24h {TEACHING}; got "100000s"'),
        (steps("server listen") + "[server]\nbacklog = 65536\n",
         f"lab.toml:5: backlog can be at most 65535 half-open entries {TEACHING}; got 65536"),
        (steps("server listen", "drop 10001st client->server DATA"),
         'lab.toml:3: step "drop 10001st client->server DATA": drop can count at most to the 10000th'
         f" matching segment {TEACHING}; got '10001st'"),
        (steps("server listen", "delay next DATA by 25h"),
         f'lab.toml:3: step "delay next DATA by 25h": a duration can be at most 24h {TEACHING}; got "25h"'),
        (steps("server listen") + '[net]\nrate = "0.5kbps"\n',
         'lab.toml:5: rate must be at least 1kbps; got "0.5kbps"'),
        (steps("server listen") + '[net]\nrate = "101Gbps"\n',
         f'lab.toml:5: rate can be at most 100Gbps {TEACHING}; got "101Gbps"'),
        (steps("server listen") + '[net]\nrate = "1Mbps"\nqueue = 250001\n',
         f"lab.toml:6: queue can be at most 250000 segments {TEACHING}; got 250001"),
    ],
)
def test_beyond_the_reach_of_a_teaching_simulator_is_refused_at_its_line(text, expected):
    assert error_of(text) == expected


def test_too_many_steps():
    text = "steps = [" + ", ".join(['"wait 1ms"'] * (limits.MAX_STEPS + 1)) + "]\n"
    assert error_of(text) == f"lab.toml:1: {limits.MAX_STEPS + 1} steps: at most 10000 steps in a scenario {TEACHING}"


def test_too_many_drop_rules():
    """Every segment is matched against the pending drops: their number is bounded."""
    text = steps("server listen", *["drop next client->server RST"] * (limits.MAX_DROPS + 1))
    assert error_of(text) == (
        f'lab.toml:{limits.MAX_DROPS + 3}: step "drop next client->server RST": at most 100 drop steps'
        f" in a scenario {TEACHING}"
    )
    parse_scenario(steps("server listen", *["drop next client->server RST"] * limits.MAX_DROPS))


@pytest.mark.parametrize(("verb", "step", "most"), [("delay", "delay next DATA by 1ms", limits.MAX_DELAYS),
                                                    ("duplicate", "duplicate next DATA", limits.MAX_DUPLICATES)])
def test_too_many_delay_or_duplicate_rules(verb, step, most):
    """Like drops, every segment is matched against the pending delays and duplicates."""
    text = steps("server listen", *[step] * (most + 1))
    assert error_of(text) == f'lab.toml:{most + 3}: step "{step}": at most {most} {verb} steps in a scenario {TEACHING}'
    parse_scenario(steps("server listen", *[step] * most, *["drop next SYN"] * limits.MAX_DROPS))


def test_the_slowest_rate_and_the_longest_delays_still_settle():
    """1 kbps (12 s per full segment), a 24 h delay and a deep drop count: cheap to simulate."""
    text = (steps("server listen", "client connect", "delay next client->server DATA by 24h",
                  "drop 10000th client->server DATA", "client send 1460 1460", "wait 1min")
            + '[net]\nrate = "1kbps"\nqueue = 1\n')
    trace = simulate(parse_scenario(text, "lab.toml"))
    data = [r for r in trace.segments if r.segment.length]
    assert data[1].arrived_at - data[1].sent_at == 24 * 1_000_000 + 10_000  # 12 s waiting, 12 s on the link
    assert data[0].arrived_at - data[0].sent_at == 24 * 3600 * 1_000_000 + 12 * 1_000_000 + 10_000


def test_a_huge_scenario_file_is_refused_before_it_is_read_as_toml():
    text = steps("server listen") + "# " + "x" * limits.MAX_SCENARIO_CHARS + "\n"
    assert error_of(text) == (
        f"lab.toml: {len(text)} characters: a scenario can be at most 2000000 characters {TEACHING}"
    )


def test_right_at_the_limits_is_accepted():
    """The limits themselves are allowed (parsed only: simulating them takes seconds)."""
    parse_scenario(steps("server listen", "flood 60000", "flood 40000"))
    parse_scenario(steps("server listen", "client connect", "client send 125000") + "[client]\nmss = 1\n")
    parse_scenario(steps("server listen", "wait 24h") + '[net]\nlatency = "24h"\n[server]\nbacklog = 65535\n')
    parse_scenario(steps("server listen", "drop 10000th DATA", "delay next by 24h")
                   + '[net]\nrate = "1kbps"\nqueue = 250000\n')
    parse_scenario(steps("server listen") + '[net]\nrate = "100Gbps"\n')
    parse_scenario("steps = [" + ", ".join(['"wait 1ms"'] * limits.MAX_STEPS) + "]\n")


# --------------------------------------------------------------------- deep TOML nesting


@pytest.mark.parametrize(
    ("value", "line"),
    [
        ("[" * 5000 + "]" * 5000, 3),
        ("{a = " * 3000 + "1" + "}" * 3000, 3),
        ("[\n" * 40 + "]" * 40, 3 + limits.MAX_TOML_DEPTH),  # the line where the limit is crossed
    ],
)
def test_deep_nesting_is_a_line_not_a_recursion_error(value, line):
    text = '# a lab\nsteps = ["server listen"]\nx = ' + value + "\n"
    assert error_of(text) == (
        f"lab.toml:{line}: too deeply nested: at most {limits.MAX_TOML_DEPTH} levels of [ ] and {{ }} {TEACHING}"
    )


def test_brackets_in_strings_and_comments_are_not_nesting():
    deep = "[" * 100
    text = (f'title = "{deep}"\n# {deep}\nsteps = [\'{deep}\', """\n{deep}"""]\n'
            f"x = '''{deep}'''\n")
    assert limits.toml_too_deep(text) is None
    assert limits.toml_too_deep("a = " + "[" * limits.MAX_TOML_DEPTH + "]" * limits.MAX_TOML_DEPTH) is None
    assert limits.toml_too_deep("a = " + "[" * (limits.MAX_TOML_DEPTH + 1)) == 1


# --------------------------------------------------------------------- refused while running


def test_segments_on_the_wire_are_bounded_at_the_step_that_sends_them(monkeypatch):
    """What parsing cannot foresee (here: a flood's SYN-ACK retransmissions) stops at
    MAX_SEGMENTS with the step's line. The limit is lowered so that the test stays small."""
    monkeypatch.setattr(limits, "MAX_SEGMENTS", 500)
    text = steps("server listen", "flood 100", "wait 2min") + "[server]\nbacklog = 100\n"
    assert error_of(text) == f'lab.toml:4: step "wait 2min": more than 500 segments in a scenario {TEACHING}'


# --------------------------------------------------------------------- through the CLI


def run_cli(*args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("tcptutor")
    cmd = [exe] if exe else [sys.executable, "-m", "tcptutor"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (steps("server listen", "flood 10000000"), 'lab.toml:3: step "flood 10000000": at most 100000 spoofed SYNs'),
        (steps("server listen", "client connect", "client send 1000000000000"), "at most 125000 data segments"),
        ('steps = ["server listen"]\nx = ' + "[" * 5000 + "]" * 5000 + "\n", "lab.toml:2: too deeply nested"),
    ],
)
def test_the_cli_says_one_line_and_exits_2(tmp_path, text, fragment):
    (tmp_path / "lab.toml").write_text(text, encoding="utf-8")
    out = run_cli("simulate", str(tmp_path / "lab.toml"))
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("tcptutor: "), out.stderr
    assert fragment in out.stderr and "Traceback" not in out.stderr


# --------------------------------------------------------------------- linear within the limits


def work_of(text: str) -> int:
    """Python and C function calls made by one simulation: a deterministic measure of work."""
    scenario = parse_scenario(text)
    calls = 0

    def count(frame, event, arg):
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(count)
    try:
        simulate(scenario)
    finally:
        sys.setprofile(None)
    return calls


def flood(n: int) -> str:
    return steps("server listen", f"flood {n}", "client connect", "wait 2min") + f"[server]\nbacklog = {n}\n"


def test_a_flood_into_a_backlog_as_large_costs_linear_work():
    """Issue 14: `flood 1600` with backlog 1600 took 25.7 s, quadratic in the half-open entries
    (every event scanned every connection for the next timer and counted the queue)."""
    small, large = work_of(flood(200)), work_of(flood(800))
    assert large / small < 5, f"4x the SYNs cost {large / small:.1f}x the work (linear is about 4x)"


def test_the_incremental_queue_and_timers_agree_with_a_scan_at_every_instant():
    """Host keeps the half-open count and the next deadline incrementally; at every call,
    arrival and timer they equal what a scan of all connections gives."""
    from tcptutor.tcp.states import State

    checked = 0

    def observe(sim: Simulator) -> None:
        nonlocal checked
        for host in sim.hosts.values():
            scanned = sum(1 for c in host.conns.values() if c.passive and c.state == State.SYN_RECEIVED)
            assert host.half_open() == scanned
            best = None
            for peer, conn in host.conns.items():
                due = conn.deadline()
                if due is not None and (best is None or due < best[0]):
                    best = (due, peer)
            assert host.next_deadline() == best
        checked += 1

    text = steps(
        "server listen", "flood 20", "wait 5s", "client connect", "flood 10", "client send 3000",
        "drop next server->client ACK", "client send 500", "wait 40s", "flood 30", "client close",
        "server close", "wait 5min", "server listen", "flood 5", "server close",
    ) + "[server]\nbacklog = 16\n"
    Simulator(parse_scenario(text), observe=observe).run()
    assert checked > 100
