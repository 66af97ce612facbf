"""How long `tcptutor --help` and `tcptutor --version` take, against a bare Typer app.

    python bench/bench_startup.py              # best of 7 runs each
    python bench/bench_startup.py --repeats 15

Every figure is a fresh interpreter (subprocess), best of N wall-clock runs, and is printed
with its ratio to a BASELINE measured in the same run: a two-command Typer app that imports
nothing else (issue 14's yardstick; its target for `--help` is at most 1.3x). The command
modules import their work (SQLAlchemy, the grader, the simulator) inside the commands, so
`--help` pays only for Typer.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BARE_APP = '''
import typer
app = typer.Typer(add_completion=False)

@app.command()
def one(name: str = "x") -> None:
    """The first command."""

@app.command()
def two(count: int = 1) -> None:
    """The second command."""

app()
'''


def best(argv: list[str], repeats: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        # cwd: `python -m` puts it first on sys.path, so it must be this checkout too
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's tcptutor, whatever is installed
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "bare_app.py"
        bare.write_text(BARE_APP)
        baseline = best([sys.executable, str(bare), "--help"], args.repeats, env)
        print(f"baseline: bare two-command Typer app --help  {baseline * 1000:7.1f} ms")
        for label, argv in [("tcptutor --help", ["--help"]), ("tcptutor --version", ["--version"]),
                            ("tcptutor simulate --help", ["simulate", "--help"])]:
            took = best([sys.executable, "-m", "tcptutor", *argv], args.repeats, env)
            print(f"{label:<26} {took * 1000:7.1f} ms  {took / baseline:5.2f}x the baseline")


if __name__ == "__main__":
    main()
