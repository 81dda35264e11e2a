"""P6: `python orch.pyz status` cold and warm beside the regular (non-editable) install.

Whole processes, rounds interleaved (zipapp, installed, zipapp, installed, …); a figure is
the median of the per-round ratios with their min–max, and the load average is printed.

Usage: python zipapp/measure_startup.py --pyz dist/orch.pyz --installed VENV/bin/git-orch
       [--python PYTHON] [--rounds N]

PYTHON runs the archive (default: this interpreter); use a bare one (`python -m venv
--without-pip`) so nothing installed is on its path. The installed side must be a
non-editable install (`pip install .`) of the same sources.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PLAN = ("version: 1\nproject: {name: demo}\ntasks:\n"
        + "".join(f"  - id: t{i}\n    commands: {{x: 'true'}}\n" for i in range(20)))


def _repo(path: Path, installed: str) -> Path:
    path.mkdir(parents=True)
    for args in (["init", "-q", "-b", "main"], ["config", "user.email", "b@e"], ["config", "user.name", "b"]):
        subprocess.run(["git", *args], cwd=path, check=True)
    (path / "orchestrator.yml").write_text(PLAN)
    subprocess.run(["git", "add", "-A"], cwd=path, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "plan"], cwd=path, check=True)
    subprocess.run([installed, "run", "--all"], cwd=path, check=True, capture_output=True)
    return path


CPU: list[float] = []  # user+sys of each measured process, beside its wall time


def _time(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return wall


def _settle(cache: Path) -> None:
    """Wait for the background bytecode compile of a first start to finish (it holds a lock)."""
    for lock in (cache / "zipapp").glob(".*.lock"):
        fd = os.open(lock, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        finally:
            os.close(fd)


def _line(name: str, values: list[float], unit: str, goal: str) -> str:
    med = statistics.median(values)
    if unit == "x":
        return f"{name}: {med:.2f}x (rounds {min(values):.2f}–{max(values):.2f}, n={len(values)}) goal {goal}"
    return (f"{name}: {med * 1000:.0f} ms (rounds {min(values) * 1000:.0f}–{max(values) * 1000:.0f}, "
            f"n={len(values)}) goal {goal}")


def measure(pyz: str, installed: str, python: str, rounds: int) -> list[str]:
    work = Path(tempfile.mkdtemp(prefix="p6-"))
    cache = work / "cache"
    repo = _repo(work / "repo", installed)
    env = dict(os.environ, GITORCH_CACHE_DIR=str(cache))
    nobc = dict(env, PYTHONDONTWRITEBYTECODE="1")
    zipped, inst = [python, pyz, "status"], [installed, "status"]
    cold: list[float] = []
    cold_cpu: list[float] = []
    for _ in range(rounds):
        shutil.rmtree(cache, ignore_errors=True)
        cold.append(_time(zipped, repo, env))
        cold_cpu.append(CPU[-1])
        _settle(cache)
    out = [_line("P6 cold (empty cache) python orch.pyz status", cold, "s", "<= 300 ms")
           + f" | cpu (user+sys) median {statistics.median(cold_cpu) * 1000:.0f} ms"]
    for label, e in (("bytecode allowed", env), ("PYTHONDONTWRITEBYTECODE=1", nobc)):
        _time(zipped, repo, e)
        pairs, cpu = [], []
        for _ in range(rounds):
            pairs.append((_time(zipped, repo, e), _time(inst, repo, e)))
            cpu.append(CPU[-2] / CPU[-1])
        ratios = [a / b for a, b in pairs]
        out.append(_line(f"P6 warm / installed, {label}", ratios, "x", "<= 1.15x")
                   + f" | zipapp {statistics.median(a for a, _ in pairs) * 1000:.0f} ms,"
                   f" installed {statistics.median(b for _, b in pairs) * 1000:.0f} ms"
                   f" | cpu ratio median {statistics.median(cpu):.2f}x")
    shutil.rmtree(work, ignore_errors=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pyz", required=True)
    parser.add_argument("--installed", required=True, help="git-orch of a non-editable install")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--rounds", type=int, default=11)
    args = parser.parse_args()
    for line in measure(args.pyz, args.installed, args.python, args.rounds):
        print(line)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
