"""How long each `tcptutor export FORMAT --variants 5` takes, against `tcptutor quiz list`.

    python bench/bench_export.py               # best of 3 runs each
    python bench/bench_export.py --repeats 5 --variants 1

Every figure is a fresh interpreter (subprocess) on a bank of the shipped lessons built
beforehand (not timed), best of N, as wall time and CPU time (user + system of the child:
steadier than wall time on a loaded machine), each with its ratio to the BASELINE measured
in the same run: `tcptutor quiz list` on the same bank (issue 14's target: at most 1.5x).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORMATS = ("moodle-xml", "gift", "qti", "anki", "json", "markdown", "html", "pcap")


def best(argv: list[str], repeats: int, env: dict[str, str], before_each=None) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeats):
        if before_each is not None:
            before_each()
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        run = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             env=env, cwd=ROOT)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime)
        if run.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} exited {run.returncode}: {run.stderr.decode()[-500:]}")
    return min(walls), min(cpus)


def line(label: str, took: tuple[float, float], base: tuple[float, float]) -> str:
    return (f"{label:<28} {took[0] * 1000:8.1f} ms wall {took[0] / base[0]:5.2f}x   "
            f"{took[1] * 1000:8.1f} ms CPU {took[1] / base[1]:5.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--variants", type=int, default=5)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's tcptutor, whatever is installed
    tcptutor = [sys.executable, "-m", "tcptutor"]
    with tempfile.TemporaryDirectory(prefix="tcptutor-bench-export-") as tmp:
        bank = ["--db", f"sqlite:///{Path(tmp) / 'bank.sqlite'}"]
        subprocess.run([*tcptutor, "lessons", *bank], check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)  # builds the bank: not timed
        baseline = best([*tcptutor, "quiz", "list", *bank], args.repeats, env)
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(line("baseline: tcptutor quiz list", baseline, baseline))
        for name in FORMATS:
            out = Path(tmp) / "out" / name

            def clear(out=out) -> None:
                shutil.rmtree(out.parent, ignore_errors=True)
                out.parent.mkdir()

            target = out if name == "pcap" else out / f"export.{name}"
            took = best([*tcptutor, "export", name, "--variants", str(args.variants), "--out", str(target), *bank],
                        args.repeats, env, before_each=clear)
            print(line(f"export {name} --variants {args.variants}", took, baseline))
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
