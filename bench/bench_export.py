"""How long each `tcptutor export FORMAT --variants 5` takes, against `tcptutor quiz list`.

    python bench/bench_export.py               # best of 3 runs each
    python bench/bench_export.py --repeats 5 --variants 1

Every figure is a fresh interpreter (subprocess) on a bank of the shipped lessons built
beforehand (not timed), best of N, as wall time and CPU time (user + system of the child:
steadier than wall time on a loaded machine), each with its ratio to the BASELINE measured
in the same run: `tcptutor quiz list` on the same bank (issue 14's target: at most 1.5x).

Each format is timed three ways: `no cache` (TCPTUTOR_EXPORT_CACHE=off: everything rendered,
as every export did before the cache), `cold` (the first export beside the bank: it renders
everything and fills export-cache.sqlite; timed once) and `warm` (the same export again: the
variants, ladders and parts read from the cache, nothing simulated, except by json and pcap,
which write each trace).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_startup import best, child_env, line  # noqa: E402  one way of timing a command, for every bench

FORMATS = ("moodle-xml", "gift", "qti", "anki", "json", "markdown", "html", "pcap")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--variants", type=int, default=5)
    args = parser.parse_args()
    tcptutor = [sys.executable, "-m", "tcptutor"]
    with tempfile.TemporaryDirectory(prefix="tcptutor-bench-export-") as tmp:
        bank = ["--db", f"sqlite:///{Path(tmp) / 'bank.sqlite'}"]
        cache = Path(tmp) / "export-cache.sqlite"
        env = {k: v for k, v in child_env(tmp).items() if k != "TCPTUTOR_EXPORT_CACHE"}  # the cache beside the bench's bank
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
            argv = [*tcptutor, "export", name, "--variants", str(args.variants), "--out", str(target), *bank]
            off = best(argv, args.repeats, {**env, "TCPTUTOR_EXPORT_CACHE": "off"}, before_each=clear)
            print(line(f"export {name} --variants {args.variants}, no cache", off, baseline))
            cache.unlink(missing_ok=True)
            print(line("  cold (fills the cache)", best(argv, 1, env, before_each=clear), baseline))
            print(line("  warm", best(argv, args.repeats, env, before_each=clear), baseline))
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
