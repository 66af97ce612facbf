"""How fast the simulator is, against a baseline with no protocol logic.

    python bench/bench_simulator.py            # full run
    python bench/bench_simulator.py --quick    # smaller, for a quick look
    python bench/bench_simulator.py --profile  # cProfile of the bulk transfer, top 25

Four workloads, each timed best-of-N with time.perf_counter (parsing is done beforehand;
the timed part is simulate() plus Trace.to_json()):
  (a) a bulk transfer: one `client send` of SEGMENTS * MSS bytes, lossless, then both close,
      with congestion control on (the profile's default, `newreno`: slow start from IW 3,
      so the transfer is ACK-clocked) and, for comparison, with `cc = "none"`;
  (b) a batch of seeded random scenarios (sends, drops, waits, closes, both profiles).
  (c) a SYN flood into a backlog as large (issue 14: `flood 1600`, backlog 1600, was
      quadratic at 25.7 s), at N and 4N SYNs: the ratio of the two times is printed, and
      linear work gives about 4.0x.
  (d) a large transfer through a bottleneck (`rate` 10 Mbps, `queue` 20, `latency` 10 ms) at
      25, 50 and 100 MB (quick: 2.5, 5, 10 MB), timed once each: the cost per MB and its ratio
      to the smallest size are printed (linear work keeps the ratio near 1.0x). With a 64 KB
      window (no window scaling) and a 20 ms RTT the sender keeps 44 segments in flight, more
      than the link (17) and the queue (20) hold, so the queue overflows again and again and
      congestion control works for the whole transfer (at 100 Mbps the window, not the queue,
      would be the limit and nothing would be lost). The sizes stay within the scenario
      limits (tcp/limits.py): 100 MB is about 68,500 data segments.
(a) and (b) are compared with a BASELINE measured in the same run: building the same number of
Segment + SegmentRecord objects with incrementing numbers and calling .to_json() on each,
i.e. the cost of producing the trace with no protocol logic at all.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import pstats
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from tcptutor.errors import TcptutorError  # noqa: E402
from tcptutor.tcp.scenario import parse_scenario  # noqa: E402
from tcptutor.tcp.segment import Segment  # noqa: E402
from tcptutor.tcp.simulator import simulate  # noqa: E402
from tcptutor.tcp.trace import SegmentRecord  # noqa: E402

MSS = 1460


def best_of(repeats: int, fn) -> tuple[float, object]:
    """The shortest of `repeats` timed calls of fn(), and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def baseline(count: int) -> int:
    """Build and serialise `count` segment records with no protocol logic."""
    data, ack = frozenset({"ACK", "PSH"}), frozenset({"ACK"})
    out = 0
    for n in range(1, count + 1):
        to_server = n % 2 == 1
        seg = Segment("client" if to_server else "server", "server" if to_server else "client",
                      1000 + n * MSS, 5000 + n, data if to_server else ack,
                      length=MSS if to_server else 0, payload_start=n * MSS)
        out += len(SegmentRecord(n, seg, n * 10, "delivered", n * 10 + 10_000).to_json())
    return out


def transfer_scenario(segments: int, congestion_control: str = ""):
    steps = ["server listen", "client connect", f"client send {segments * MSS}",
             "client close", "server close"]
    cc = f'cc = "{congestion_control}"\n' if congestion_control else ""
    return parse_scenario(f"steps = {json.dumps(steps)}\n[client]\nmss = {MSS}\n{cc}[server]\nmss = {MSS}\n")


def bottleneck_scenario(megabytes: float):
    steps = ["server listen", "client connect", f"client send {int(megabytes * 1_000_000)}",
             "client close", "server close"]
    return parse_scenario(f"steps = {json.dumps(steps)}\n[net]\nrate = \"10Mbps\"\nqueue = 20\n"
                          "latency = \"10ms\"\n")


def flood_scenario(syns: int):
    steps = ["server listen", f"flood {syns}", "client connect", "wait 2min"]
    return parse_scenario(f"steps = {json.dumps(steps)}\n[server]\nbacklog = {syns}\n")


def random_steps(rng: random.Random) -> list[str]:
    """A valid step list: open, then sends/drops/waits in any order, closes, maybe TIME-WAIT."""
    steps = ["server listen", "client connect"]
    open_sides = ["client", "server"]
    for _ in range(rng.randint(1, 12)):
        roll = rng.random()
        if roll < 0.5 and open_sides:
            side = rng.choice(open_sides)
            sizes = " ".join(str(rng.randint(1, 4 * MSS)) for _ in range(rng.randint(1, 3)))
            steps.append(f"{side} send {sizes}")
        elif roll < 0.65:
            src = rng.choice(["client", "server"])
            dst = "server" if src == "client" else "client"
            flag = rng.choice(["", " DATA", " ACK", " FIN"])
            steps.append(f"drop next {src}->{dst}{flag}")
        elif roll < 0.85:
            steps.append(f"wait {rng.choice(['10ms', '200ms', '1s', '3s', '10s'])}")
        elif open_sides:
            side = rng.choice(open_sides)
            open_sides.remove(side)
            steps.append(f"{side} close")
    if open_sides == ["client", "server"] and rng.random() < 0.2:
        steps.append("client close & server close")  # simultaneous close
    else:
        steps += [f"{side} close" for side in open_sides]
    steps.append(f"wait {rng.choice(['1s', '30s', '5min'])}")
    return steps


def random_scenarios(count: int, seed: int) -> list:
    """`count` parsed scenarios that simulate without error (checked here, untimed)."""
    rng, scenarios = random.Random(seed), []
    while len(scenarios) < count:
        profile = rng.choice(["rfc9293", "linux"])
        text = f"steps = {json.dumps(random_steps(rng))}\n[net]\nprofile = \"{profile}\"\nseed = {rng.randrange(2**16)}\n"
        scenario = parse_scenario(text)
        try:
            simulate(scenario)
        except TcptutorError:
            continue  # e.g. a send refused after a reset: not a valid sequence
        scenarios.append(scenario)
    return scenarios


def report(name: str, sim_s: float, segments: int, base_s: float) -> None:
    print(f"{name}: {sim_s:.3f} s; baseline {base_s:.3f} s; ratio {sim_s / base_s:.1f}x"
          f"  ({segments:,} segments, {segments / sim_s:,.0f} segments/s simulated,"
          f" {segments / base_s:,.0f}/s baseline)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="1,000-segment transfer, 100 scenarios, flood 200/800")
    ap.add_argument("--repeats", type=int, help="best of N (default 5, quick 3)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the random scenarios")
    ap.add_argument("--profile", action="store_true", help="cProfile the transfer once and stop")
    args = ap.parse_args(argv)
    n_segments, n_scenarios = (1_000, 100) if args.quick else (10_000, 1_000)
    repeats = args.repeats or (3 if args.quick else 5)

    transfer = transfer_scenario(n_segments)
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(lambda: simulate(transfer).to_json())
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return 0

    print(f"Python {sys.version.split()[0]}, best of {repeats}")
    sim_s, trace = best_of(repeats, lambda: simulate(transfer).to_json())
    count = len(trace["segments"])
    base_s, _ = best_of(repeats, lambda: baseline(count))
    report(f"{n_segments:,}-segment transfer, cc newreno", sim_s, count, base_s)
    uncontrolled = transfer_scenario(n_segments, "none")
    sim_s, trace = best_of(repeats, lambda: simulate(uncontrolled).to_json())
    count = len(trace["segments"])
    base_s, _ = best_of(repeats, lambda: baseline(count))
    report(f"{n_segments:,}-segment transfer, cc none", sim_s, count, base_s)

    scenarios = random_scenarios(n_scenarios, args.seed)
    sim_s, traces = best_of(repeats, lambda: [simulate(s).to_json() for s in scenarios])
    count = sum(len(t["segments"]) for t in traces)
    base_s, _ = best_of(repeats, lambda: baseline(count))
    report(f"{n_scenarios:,} random scenarios", sim_s, count, base_s)

    small = 200 if args.quick else 400
    for paused in (False, True):
        # paused: the cyclic garbage collector off during each run, so the line shows the
        # simulator's own work; with it on, each collection rescans the trace built so far
        times = {}
        for syns in (small, 4 * small):
            scenario = flood_scenario(syns)
            if paused:
                gc.collect()
                gc.disable()
            try:
                times[syns], _ = best_of(repeats, lambda: simulate(scenario).to_json())
            finally:
                gc.enable()
        print(f"flood {4 * small:,} vs flood {small:,} (backlog as large){', GC paused' if paused else ''}: "
              f"{times[4 * small]:.3f} s vs {times[small]:.3f} s; ratio {times[4 * small] / times[small]:.1f}x "
              "(linear: 4.0x)")

    sizes = (2.5, 5, 10) if args.quick else (25, 50, 100)
    per_mb = {}
    for megabytes in sizes:
        scenario = bottleneck_scenario(megabytes)
        sim_s, trace = best_of(1, lambda: simulate(scenario).to_json())
        segments = trace["segments"]
        lost = sum(1 for seg in segments if seg["fate"] == "dropped")
        per_mb[megabytes] = sim_s / megabytes
        print(f"{megabytes:g} MB through 10 Mbps, queue 20: {sim_s:.2f} s, {per_mb[megabytes]:.3f} s/MB,"
              f" ratio {per_mb[megabytes] / per_mb[sizes[0]]:.2f}x ({len(segments):,} segments,"
              f" {lost:,} lost at the queue, final {trace['final']['client']}/{trace['final']['server']})")
        del trace, segments  # the next size runs with none of this one's objects alive
    return 0


if __name__ == "__main__":
    sys.exit(main())
