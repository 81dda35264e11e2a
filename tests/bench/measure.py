"""Paired measurement for the benchmarks: whole processes, interleaved rounds, per-round ratios.

Every figure compares two sides measured in the same rounds (A, B, A, B, …) so a load spike
hits both alike; a figure is the median of the per-round ratios (or differences) with their
min–max, and the load average is printed with it. Times are wall-clock times of whole
processes (`wait4`), never of a call inside this process, and no realtime scheduler is used.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))


@dataclass
class Figure:
    """One headline: `what` over its peer, per round, with the goal beside it."""

    case: str  # P1 … P9
    what: str  # e.g. "gitorch / make -j2"
    unit: str  # "x" (ratio) or "ms" (added milliseconds, or a plain time)
    median: float
    low: float
    high: float
    goal: str  # e.g. "<= 1.6x"
    met: bool | None  # None: reported, no goal
    sides_ms: dict[str, float] = field(default_factory=dict)  # median time of each side
    rounds: int = 0
    load: float = 0.0  # 1-minute load average when the figure was taken
    note: str = ""

    def line(self) -> str:
        verdict = "report" if self.met is None else ("met" if self.met else "NOT MET")
        spread = f"{self._fmt(self.low)}–{self._fmt(self.high)}"
        sides = ", ".join(f"{k} {v:.1f} ms" for k, v in self.sides_ms.items())
        return (f"{self.case} {self.what}: {self._fmt(self.median)} (rounds {spread}, n={self.rounds}) "
                f"goal {self.goal or '-'}: {verdict} | {sides} | load {self.load:.2f}"
                + (f" | {self.note}" if self.note else ""))

    def _fmt(self, v: float) -> str:
        return f"{v:.2f}x" if self.unit == "x" else f"{v:+.1f} ms" if self.unit == "+ms" else f"{v:.1f} ms"

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def bench_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment every measured process gets: this venv first on PATH, no user or
    system git config (no one's hooks or aliases), a fixed identity, bytecode allowed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GITORCH_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull,
        GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@localhost",
        GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@localhost",
    )
    env.update(extra or {})
    return env


def timed(args: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None,
          ok: Sequence[int] = (0,), cpu: list[float] | None = None) -> float:
    """Run one process to its end; its wall time in seconds (its CPU seconds, user + system,
    appended to `cpu` when given). RuntimeError when it fails."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(list(args), cwd=cwd, env=dict(env or bench_env()),
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    err = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - t0
    if cpu is not None:
        cpu.append(usage.ru_utime + usage.ru_stime)
    if proc.stderr:
        proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code not in ok:
        raise RuntimeError(f"{' '.join(args)} in {cwd} failed ({code}): {err.decode()[-600:]}")
    return took


def sh(args: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None) -> str:
    """Run a preparation step (not measured); its stdout. RuntimeError when it fails."""
    proc = subprocess.run(list(args), cwd=cwd, env=dict(env or bench_env()), capture_output=True,
                          text=True)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr[-600:]}")
    return proc.stdout


def interleave(sides: Mapping[str, Callable[[], float]], rounds: int = ROUNDS,
               warmup: int = 1) -> dict[str, list[float]]:
    """Each side once per round, in the given order (A, B, A, B …); `warmup` rounds first,
    discarded (page cache, bytecode). Each callable returns the seconds it measured."""
    out: dict[str, list[float]] = {name: [] for name in sides}
    for n in range(warmup + rounds):
        for name, fn in sides.items():
            took = fn()
            if n >= warmup:
                out[name].append(took)
    return out


def ratio(case: str, samples: Mapping[str, list[float]], a: str, b: str, goal: str,
          limit: float | None, note: str = "") -> Figure:
    """Median and min–max of the per-round ratios a/b; met when the median <= `limit`."""
    per = [x / y for x, y in zip(samples[a], samples[b], strict=True)]
    return _figure(case, f"{a} / {b}", "x", per, samples, (a, b), goal, limit, note)


def added(case: str, samples: Mapping[str, list[float]], a: str, b: str, goal: str,
          limit_ms: float | None, note: str = "") -> Figure:
    """Median and min–max of the per-round differences a - b in milliseconds."""
    per = [(x - y) * 1000 for x, y in zip(samples[a], samples[b], strict=True)]
    return _figure(case, f"{a} minus {b}", "+ms", per, samples, (a, b), goal, limit_ms, note)


def absolute(case: str, samples: Mapping[str, list[float]], a: str, goal: str,
             limit_ms: float | None, note: str = "") -> Figure:
    """A plain time (ms) where the goal is absolute; the peers' times stand beside it."""
    per = [x * 1000 for x in samples[a]]
    return _figure(case, a, "ms", per, samples, (a,), goal, limit_ms, note)


def _figure(case: str, what: str, unit: str, per: list[float], samples: Mapping[str, list[float]],
            names: Sequence[str], goal: str, limit: float | None, note: str) -> Figure:
    med = statistics.median(per)
    fig = Figure(case, what, unit, med, min(per), max(per), goal,
                 None if limit is None else med <= limit,
                 {n: statistics.median(samples[n]) * 1000 for n in names}, len(per),
                 os.getloadavg()[0], note)
    print("  " + fig.line(), flush=True)
    return fig


def which(name: str) -> str | None:
    """A peer installed by `make bench` (this venv first), else on PATH."""
    return shutil.which(name, path=str(BIN)) or shutil.which(name)


def git_repo(path: Path, files: Mapping[str, str] | None = None) -> Path:
    """A repository at `path` on branch main with `files` committed."""
    path.mkdir(parents=True, exist_ok=True)
    sh(["git", "init", "-q", "-b", "main", str(path)], path)
    for rel, text in (files or {}).items():
        f = path / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)
    sh(["git", "add", "-A"], path)
    sh(["git", "commit", "-q", "--allow-empty", "-m", "bench"], path)
    return path


def tree_of(n_files: int, n_dirs: int) -> dict[str, str]:
    """`n_files` small files spread over `n_dirs` folders `dNNNN/`."""
    per = max(1, n_files // n_dirs)
    return {f"d{i // per:04d}/f{i:05d}.txt": f"file {i}\n" for i in range(n_files)}
