"""orch.pyz: archive size, cold start (empty cache) and warm start beside the installed CLI.

Run: make bench  (or .venv/bin/python tests/bench/run.py zipapp)
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNS = 15


def _time(cmd: list[str], env: dict[str, str], before: object = None) -> float:
    samples = []
    for _ in range(RUNS):
        if callable(before):
            before()
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-zipapp-"))
    pyz = work / "orch.pyz"
    subprocess.run([sys.executable, str(ROOT / "zipapp" / "build.py"), "--out", str(pyz),
                    "--wheels", str(ROOT / "build" / "wheels")], check=True, capture_output=True)
    cache = work / "cache"
    env = dict(os.environ, GITORCH_CACHE_DIR=str(cache))
    installed = [str(Path(sys.executable).parent / "git-orch"), "--version"]
    zipped = [sys.executable, "-I", str(pyz), "--version"]

    cold = _time(zipped, env, before=lambda: shutil.rmtree(cache, ignore_errors=True))
    warm = _time(zipped, env)
    inst = _time(installed, env)
    size = pyz.stat().st_size
    print(f"archive size:                 {size / 1e6:6.2f} MB   (goal <= 6 MB)")
    print(f"cold start --version:         {cold * 1000:6.1f} ms   (goal <= 300 ms, empty cache)")
    print(f"warm start --version:         {warm * 1000:6.1f} ms")
    print(f"installed git-orch --version: {inst * 1000:6.1f} ms")
    print(f"warm / installed:             {warm / inst:6.2f}x   (goal <= 1.3x)")
    help_warm = _time([sys.executable, "-I", str(pyz), "--help"], env)
    help_inst = _time([installed[0], "--help"], env)
    print(f"warm --help vs installed:     {help_warm * 1000:6.1f} ms vs {help_inst * 1000:.1f} ms "
          f"({help_warm / help_inst:.2f}x)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
