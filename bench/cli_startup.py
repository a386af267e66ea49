"""How long does the `portal` command take as a whole process? `portal --help` and `portal
match` against a bare `python -c "import litestar, sqlalchemy"`, each run as its own
process, taking turns (A B A B ...) so that the ratios hold when the machine's speed
drifts; CPU time (user + system, from the kernel's accounting of the finished process)
and wall time, medians of --runs after one warm-up.

It reads the installation the environment names (PORTAL_VAR_DIR, DATABASE_URL, ...), whose
database must already run — `portal run` in another terminal, or any external server —
and holds the request (`portal seed-demo` makes Sudan's request #3).

    .venv/bin/python bench/cli_startup.py [--runs 7] [--tenant sudan] [--request 3]

Targets (issue #16): `portal --help` at most the bare import, `portal match` at most twice
it. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PYTHON = sys.executable
PORTAL = [PYTHON, "-m", "app.cli"]
BARE = [PYTHON, "-c", "import litestar, sqlalchemy"]


# As an installation runs: Python keeps the compiled bytecode of what it imported (the
# warm-up writes it). With PYTHONDONTWRITEBYTECODE set, as some shells and containers do,
# every run compiled the project's own modules again (~0.1 s of `portal match`) while the
# bare import found its packages compiled at install: the ratio measured the setting.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(command: list[str]) -> tuple[float, float, int]:
    """(CPU seconds, wall seconds, exit code) of one whole process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               cwd=Path(__file__).resolve().parent.parent, env=CHILD_ENV)
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    return usage.ru_utime + usage.ru_stime, wall, os.waitstatus_to_exitcode(status)


def compare(name: str, command: list[str], runs: int) -> str:
    run(command), run(BARE)  # warm-up: the files in the page cache, bytecode compiled
    cpu, wall, cpu_ratio, wall_ratio, codes = [], [], [], [], set()
    for _ in range(runs):
        a_cpu, a_wall, code = run(command)
        b_cpu, b_wall, _code = run(BARE)
        cpu.append(a_cpu)
        wall.append(a_wall)
        cpu_ratio.append(a_cpu / b_cpu)
        wall_ratio.append(a_wall / b_wall)
        codes.add(code)
    median = statistics.median
    return (f"  {name:<28} cpu {median(cpu):5.2f} s  wall {median(wall):5.2f} s   "
            f"/ bare import: cpu {median(cpu_ratio):4.2f}x "
            f"(min {min(cpu_ratio):.2f}, max {max(cpu_ratio):.2f}), "
            f"wall {median(wall_ratio):4.2f}x   exit {sorted(codes)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--tenant", default="sudan")
    parser.add_argument("--request", default="3", help="a request's number or id")
    args = parser.parse_args()
    bare_cpu, bare_wall, _code = run(BARE)
    print(f"portal command start-up — {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f}, Python {sys.version.split()[0]}, {args.runs} runs each "
          f"(bare import about {bare_cpu:.2f} s CPU, {bare_wall:.2f} s wall)")
    print(compare("portal --help", [*PORTAL, "--help"], args.runs))
    print(compare(f"portal match {args.request} --json",
                  [*PORTAL, "match", args.request, "--tenant", args.tenant, "--json"],
                  args.runs))
    print("  targets: --help at most 1x the bare import, match at most 2x (medians of the "
          "pairwise ratios)")


if __name__ == "__main__":
    main()
