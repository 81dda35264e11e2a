"""Everyday commands: start-up bound, so every millisecond of imports shows.

Median of 20 runs of `git orch --version`, `-h` (git turns `--help` into `man git-orch`),
`status`, `next`, `context`, `explain` and a `run --all` where every task is skipped, on a 2-task repository
(interleaved, so machine load hits all alike). The peer for scale is `git status`.

Run: .venv/bin/python tests/bench/run.py everyday   (BENCH_N=20 by default)
Before/after: `git archive BASE | tar -x -C /tmp/before`, then BENCH_BEFORE=/tmp/before runs
each command with that source tree first on PYTHONPATH too, interleaved with this one.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
N = int(os.environ.get("BENCH_N", "20"))

PLAN = """version: 1
tasks:
  - id: a
    title: A
    paths: {preferred: [src/]}
    commands: {build: "true"}
    acceptance: ["File exists: src/a.py"]
  - id: b
    title: B
    dependencies: [a]
    commands: {build: "true"}
"""

COMMANDS: list[tuple[str, list[str]]] = [
    ("--version", ["git", "orch", "--version"]),
    ("-h (help)", ["git", "orch", "-h"]),
    ("status", ["git", "orch", "status"]),
    ("next", ["git", "orch", "next"]),
    ("explain a", ["git", "orch", "explain", "a"]),
    ("context a", ["git", "orch", "context", "a"]),
    ("run --all (all skipped)", ["git", "orch", "run", "--all"]),
    ("peer: git status", ["git", "status", "--short"]),
]


BEFORE = os.environ.get("BENCH_BEFORE")


def _env(pythonpath: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed gitorch has its bytecode
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    for key, value in (("GIT_AUTHOR_NAME", "bench"), ("GIT_AUTHOR_EMAIL", "bench@localhost"),
                       ("GIT_COMMITTER_NAME", "bench"), ("GIT_COMMITTER_EMAIL", "bench@localhost")):
        env.setdefault(key, value)
    return env


def _time(args: list[str], cwd: Path, pythonpath: str | None = None) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, the process and what it waited for)."""
    env = _env(pythonpath)
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    err = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}): {err.decode()[-600:]}")
    return took, usage.ru_utime + usage.ru_stime


def setup(repo: Path) -> None:
    """A 2-task repository with one completed run."""
    env = _env()
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=env)
    (repo / "src").mkdir()
    (repo / "src" / "a.py").write_text("print('a')\n")
    (repo / "orchestrator.yml").write_text(PLAN)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", "init"], cwd=repo, check=True, env=env)
    _time(["git", "orch", "run", "--all"], repo)


def measure(repo: Path, n: int = N) -> dict[str, tuple[float, float]]:
    """Median wall and CPU time (ms) of each command (and its "before" twin), interleaved."""
    sides: list[tuple[str, str | None]] = [("", None)]
    if BEFORE:
        sides.insert(0, ("before ", BEFORE))
    keys = [(prefix + name, args, path) for name, args in COMMANDS for prefix, path in sides
            if not (prefix and name.startswith("peer"))]
    wall: dict[str, list[float]] = {key: [] for key, _, _ in keys}
    cpu: dict[str, list[float]] = {key: [] for key, _, _ in keys}
    for _, args, path in keys:  # warm-up: caches, bytecode
        _time(args, repo, path)
    for _ in range(n):
        for key, args, path in keys:
            w, c = _time(args, repo, path)
            wall[key].append(w * 1000)
            cpu[key].append(c * 1000)
    return {key: (statistics.median(wall[key]), statistics.median(cpu[key])) for key, _, _ in keys}


def main() -> None:
    for tree in [str(Path(__file__).parents[2])] + ([BEFORE] if BEFORE else []):
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(tree) / "gitorch")],
                       env=_env(), capture_output=True)
    with tempfile.TemporaryDirectory(prefix="bench-everyday-") as tmp:
        repo = Path(tmp) / "r"
        setup(repo)
        figures = measure(repo)
    print(f"median of {N} runs, ms (load average {os.getloadavg()[0]:.1f}):   wall     CPU")
    for name, (w, c) in figures.items():
        print(f"  {name:<33} {w:7.1f} {c:7.1f}")


if __name__ == "__main__":
    main()
