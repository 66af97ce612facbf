"""How long tcptutor's commands take to start, against two baselines measured in the same run.

    python bench/bench_startup.py              # best of 7 runs each
    python bench/bench_startup.py --repeats 15

Every figure is a fresh interpreter (subprocess), best of N runs, printed as wall time and
CPU time (user + system of the child: steadier than wall time on a loaded machine), each
with its ratio to a baseline:
  - `--help`, `quiz --help`, `--version`, `simulate --help` against a bare two-command Typer
    app's --help (issue 14's target for `--help`: at most 1.3x);
  - `quiz show`, the first `practice` question and `quiz list` on a bank built beforehand
    against `python -c "import typer"` (target for the first two: at most 3x). The line
    `import sqlalchemy.orm` shows what the ORM alone costs a bank command that needs it (these
    three do not: bank.lite), and `import typer, pydantic` the floor under every command
    that takes an option (Typer coerces option values through pydantic).
The command modules import their work (SQLAlchemy, the grader, the simulator) inside the
commands, so `--help` pays only for Typer.
"""

from __future__ import annotations

import argparse
import os
import resource
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


def best(argv: list[str], repeats: int, env: dict[str, str], *, ok=(0,), before_each=None) -> tuple[float, float]:
    """(best wall, best CPU) seconds of `argv` in a fresh interpreter; its exit code must be in
    `ok`. `before_each` runs (untimed) before every run. bench_export.py uses it too."""
    walls, cpus = [], []
    for _ in range(repeats):
        if before_each is not None:
            before_each()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        # cwd: `python -m` puts it first on sys.path, so it must be this checkout too
        run = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             env=env, cwd=ROOT)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if run.returncode not in ok:
            raise SystemExit(f"{' '.join(argv)} exited {run.returncode}: {run.stderr.decode()[-500:]}")
    return min(walls), min(cpus)


def child_env(tmp: str) -> dict[str, str]:
    """The environment of every timed child: this checkout's tcptutor, and a bytecode cache (in
    `tmp`) even where PYTHONDONTWRITEBYTECODE is set, as on this machine. Without it every run
    compiles tcptutor's sources again (62 modules, 70-100 ms here), which no installed package
    does (pip writes the .pyc files); typer's own would come from site-packages. With the
    prefix, both sides' bytecode is written by the first run and read by the rest. bench_export.py
    uses it too."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": str(Path(tmp) / "pycache")}


def line(label: str, took: tuple[float, float], base: tuple[float, float]) -> str:
    return (f"{label:<34} {took[0] * 1000:7.1f} ms wall {took[0] / base[0]:5.2f}x   "
            f"{took[1] * 1000:7.1f} ms CPU {took[1] / base[1]:5.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = child_env(tmp)
        bare = Path(tmp) / "bare_app.py"
        bare.write_text(BARE_APP)
        tcptutor = [sys.executable, "-m", "tcptutor"]
        baseline = best([sys.executable, str(bare), "--help"], args.repeats, env)
        print(line("baseline: bare Typer app --help", baseline, baseline))
        for label, argv in [("tcptutor --help", ["--help"]), ("tcptutor quiz --help", ["quiz", "--help"]),
                            ("tcptutor --version", ["--version"]), ("tcptutor simulate --help", ["simulate", "--help"])]:
            print(line(label, best([*tcptutor, *argv], args.repeats, env), baseline))

        bank = ["--db", f"sqlite:///{Path(tmp) / 'bank.sqlite'}"]
        subprocess.run([*tcptutor, "lessons", *bank], check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)  # builds the bank: not timed
        typer_import = best([sys.executable, "-c", "import typer"], args.repeats, env)
        print()
        print(line('baseline: python -c "import typer"', typer_import, typer_import))
        print(line('python -c "import sqlalchemy.orm"', best([sys.executable, "-c", "import sqlalchemy.orm"],
                                                              args.repeats, env), typer_import))
        # Typer 0.29 coerces every option's value through a pydantic TypeAdapter: a floor under
        # any command that takes one
        print(line('python -c "import typer, pydantic"', best([sys.executable, "-c", "import typer, pydantic"],
                                                               args.repeats, env), typer_import))
        for label, argv, ok in [
            ("tcptutor quiz show", ["quiz", "show", "hs-synack-numbers", "--seed", "7", *bank], (0,)),
            # stdin is closed: the first question is shown, then the session stops (exit 130)
            ("tcptutor practice, 1st question", ["practice", "--count", "1", "--student", "bench", *bank], (130,)),
            ("tcptutor quiz list", ["quiz", "list", *bank], (0,)),
        ]:
            print(line(label, best([*tcptutor, *argv], args.repeats, env, ok=ok), typer_import))


if __name__ == "__main__":
    main()
