"""Run the benchmarks of issue 15, P1–P9, each a paired ratio from interleaved rounds.

    .venv/bin/python tests/bench/run.py                 # all of them (what `make bench` runs)
    .venv/bin/python tests/bench/run.py --only P3,P4    # a selection
    .venv/bin/python tests/bench/run.py --rounds 3 --json out.json

Prints one line per figure as it is taken, then a Markdown table for docs/benchmarks.md with
the load average before and after. bench_memory.py (memory figures) runs last, after the
table, when all cases run.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import ROUNDS, Figure  # noqa: E402

CASES = {
    "P1": ("p1_fanout", None), "P2": ("p2_rerun", None), "P3": ("p3_hooks", None),
    "P4": ("p4_append", None), "P5": ("p5_snapshot", None), "P6": ("p6_start", None),
    "P7": ("p7_first_run", 3),  # a round is two runs of ~10-50 s each: at most 3 rounds
    "P8": ("p8_history", None), "P9": ("p9_validate", None),
}


def table(figures: list[Figure]) -> str:
    rows = ["| # | figure | median | rounds min–max | sides (median ms) | goal | load |",
            "|---|---|---:|---:|---|---|---:|"]
    for f in figures:
        verdict = "report" if f.met is None else ("met" if f.met else "**not met**")
        what = f.what + (f" ({f.note})" if f.note else "")
        sides = ", ".join(f"{k} {v:,.1f}" for k, v in f.sides_ms.items())
        rows.append(f"| {f.case} | {what} | {f._fmt(f.median)} | {f._fmt(f.low)} – {f._fmt(f.high)} "
                    f"| {sides} | {f.goal + ': ' if f.goal else ''}{verdict} | {f.load:.1f} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated cases, e.g. P3,P4")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"rounds per figure ({ROUNDS})")
    parser.add_argument("--json", default="", help="also write the figures to this file")
    args = parser.parse_args(argv)
    wanted = [c.strip().upper() for c in args.only.split(",") if c.strip()] or list(CASES)
    unknown = [c for c in wanted if c not in CASES]
    if unknown:
        parser.error(f"unknown case {', '.join(unknown)}: choose from {', '.join(CASES)}")
    # the sources' bytecode, as an installed gitorch has it (else the compiler is measured)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(HERE.parents[1] / "gitorch")],
                   capture_output=True)
    start, load0 = datetime.now(UTC), os.getloadavg()
    t0 = time.perf_counter()
    figures: list[Figure] = []
    for case in wanted:
        module, cap = CASES[case]
        rounds = min(args.rounds, cap) if cap else args.rounds
        figures += importlib.import_module(module).main(rounds)
    load1 = os.getloadavg()
    print(f"\n`{' '.join(['tests/bench/run.py', *(argv if argv is not None else sys.argv[1:])])}`, "
          f"{start:%Y-%m-%d %H:%M}–{datetime.now(UTC):%H:%M} UTC ({time.perf_counter() - t0:.0f} s), "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{subprocess.run(['git', '--version'], capture_output=True, text=True).stdout.strip()}; "
          f"load average (1/5/15 min) before {load0[0]:.1f}/{load0[1]:.1f}/{load0[2]:.1f}, "
          f"after {load1[0]:.1f}/{load1[1]:.1f}/{load1[2]:.1f}\n")
    print(table(figures), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps([f.to_json() for f in figures], indent=1) + "\n")
    if not args.only and (HERE / "bench_memory.py").exists():
        print("\n== bench_memory (peak memory) ==", flush=True)
        importlib.import_module("bench_memory").main([])  # its own options, not ours
    return 0


if __name__ == "__main__":
    sys.exit(main())
