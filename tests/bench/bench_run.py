"""The run engine beside make and go-task.

1. A 1,000-task fan-out DAG (root -> 999 tasks), each `sh -c true`, -j2, events on the
   state branch; beside `make -j2` and `task --concurrency 2` on the same DAG.
   Goals: <= 2.5x make, <= 0.5x go-task.
2. Re-run with nothing changed (every task skipped) on a repo of 10,000 files (100 tasks,
   each with a directory of 100 files as its paths); beside go-task with `sources:` checksums.
   Goal: <= 0.5x go-task.
3. `git orch status` on a run of 10,000 events.

Run: .venv/bin/python tests/bench/run.py run   (go-task: .venv/bin/pip install go-task-bin)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

TASKS = 1000
FILES, DIRS = 10_000, 100
STATUS_TASKS = 2500  # x 4 events = 10,000 (+ the run's own)
REPEAT = 3
BIN = Path(sys.executable).parent


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # an installed gitorch has its bytecode; a source tree with PYTHONDONTWRITEBYTECODE would
    # recompile on every start and measure the compiler instead
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("GIT_AUTHOR_NAME", "bench")
    env.setdefault("GIT_AUTHOR_EMAIL", "bench@localhost")
    env.setdefault("GIT_COMMITTER_NAME", "bench")
    env.setdefault("GIT_COMMITTER_EMAIL", "bench@localhost")
    return env


CPU: dict[str, float] = {}  # best CPU seconds (user + system, with children) per label


def _sh(args: list[str], cwd: Path, label: str = "") -> float:
    """Run a command; its wall time in seconds (raises when it fails). With `label`, its CPU
    time (steadier than wall time on a loaded machine) is kept in CPU, best of the calls."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env())
    err = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - t0
    if proc.stderr:
        proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}): {err.decode()[-800:]}")
    if label:
        cpu = usage.ru_utime + usage.ru_stime
        CPU[label] = min(CPU.get(label, cpu), cpu)
    return took


def _go_task() -> str | None:
    for cand in (BIN / "task", shutil.which("task"), shutil.which("go-task")):
        if cand and Path(cand).exists():
            out = subprocess.run([str(cand), "--version"], capture_output=True, text=True)
            if out.returncode == 0 and ("task" in (out.stdout + out.stderr).lower() or out.stdout):
                return str(cand)
    return None


def _git_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, check=True)
    return path


def _commit(path: Path) -> None:
    subprocess.run(["git", "add", "-A"], cwd=path, check=True, env=_env())
    subprocess.run(["git", "commit", "-qm", "bench"], cwd=path, check=True, env=_env())


def _best(fn: Callable[[], float], repeat: int = REPEAT) -> float:
    return min(fn() for _ in range(repeat))


def _fanout_plan(n: int) -> dict[str, object]:
    tasks: list[dict[str, object]] = [{"id": "t0000", "commands": {"t": "sh -c true"}}]
    tasks += [{"id": f"t{i:04d}", "dependencies": ["t0000"], "commands": {"t": "sh -c true"}}
              for i in range(1, n)]
    return {"version": 1, "tasks": tasks}


def bench_fanout(work: Path, go_task: str | None) -> dict[str, float]:
    ids = [f"t{i:04d}" for i in range(TASKS)]
    make_dir = work / "make"
    make_dir.mkdir()
    lines = [".PHONY: all " + " ".join(ids), "all: " + " ".join(ids[1:]), f"{ids[0]}:", "\t@sh -c true"]
    for tid in ids[1:]:
        lines += [f"{tid}: {ids[0]}", "\t@sh -c true"]
    (make_dir / "Makefile").write_text("\n".join(lines) + "\n")
    out: dict[str, float] = {}
    out["make"] = _best(lambda: _sh(["make", "-s", "-j2", "all"], make_dir, "fan make"))

    if go_task:
        gt = work / "gotask"
        gt.mkdir()
        doc = {"version": "3", "tasks": {
            "all": {"deps": ids[1:]},
            ids[0]: {"cmds": ["sh -c true"], "silent": True},
            **{tid: {"deps": [ids[0]], "cmds": ["sh -c true"], "silent": True} for tid in ids[1:]},
        }}
        (gt / "Taskfile.yml").write_text(json.dumps(doc))  # JSON is YAML
        out["go-task"] = _best(lambda: _sh([go_task, "--concurrency", "2", "all"], gt, "fan go-task"))

    def orch_once() -> float:
        repo = _git_repo(Path(tempfile.mkdtemp(dir=work, prefix="orch-")))
        (repo / "orchestrator.json").write_text(json.dumps(_fanout_plan(TASKS)))
        _commit(repo)
        took = _sh(["git", "orch", "run", "-j2", "--json"], repo, "fan gitorch")
        commits = subprocess.run(["git", "rev-list", "--count", "orch/state"], cwd=repo,
                                 capture_output=True, text=True).stdout.strip()
        out["orch_state_commits"] = float(commits or 0)
        return took

    out["gitorch"] = _best(orch_once)
    return out


def fanout_only() -> None:
    """Just gitorch's fan-out run, once (for profiling)."""
    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
        repo = _git_repo(Path(tmp) / "r")
        (repo / "orchestrator.json").write_text(json.dumps(_fanout_plan(TASKS)))
        _commit(repo)
        print(f"git orch run -j2: {_sh(['git', 'orch', 'run', '-j2', '--json'], repo):.2f} s")


def bench_skip(work: Path, go_task: str | None) -> dict[str, float]:
    repo = _git_repo(work / "files")
    for d in range(DIRS):
        sub = repo / f"d{d:03d}"
        sub.mkdir()
        for f in range(FILES // DIRS):
            (sub / f"f{f:03d}.txt").write_text(f"file {d} {f}\n")
    plan = {"version": 1, "tasks": [
        {"id": f"d{d:03d}", "paths": {"preferred": [f"d{d:03d}/"]}, "commands": {"t": "sh -c true"}}
        for d in range(DIRS)]}
    (repo / "orchestrator.json").write_text(json.dumps(plan))
    if go_task:
        doc = {"version": "3", "tasks": {
            "all": {"deps": [f"d{d:03d}" for d in range(DIRS)]},
            **{f"d{d:03d}": {"sources": [f"d{d:03d}/**/*"], "cmds": ["sh -c true"], "silent": True,
                             "method": "checksum"} for d in range(DIRS)},
        }}
        (repo / "Taskfile.yml").write_text(json.dumps(doc))
        (repo / ".gitignore").write_text(".task/\n")
    _commit(repo)
    out: dict[str, float] = {}
    _sh(["git", "orch", "run", "-j2"], repo)
    out["gitorch"] = _best(lambda: _sh(["git", "orch", "run", "-j2", "--json"], repo, "skip gitorch"))
    if go_task:
        _sh([go_task, "--concurrency", "2", "all"], repo)
        out["go-task"] = _best(lambda: _sh([go_task, "--concurrency", "2", "all"], repo, "skip go-task"))
    return out


def bench_status(work: Path) -> dict[str, float]:
    """`git orch status` on one run of 10,000 events (written straight to the store)."""
    repo = _git_repo(work / "status")
    ids = [f"s{i:04d}" for i in range(STATUS_TASKS)]
    plan = {"version": 1, "tasks": [{"id": tid, "commands": {"t": "true"}} for tid in ids]}
    (repo / "orchestrator.json").write_text(json.dumps(plan))
    _commit(repo)
    code = f"""
import sys
from gitorch import events as ev
from gitorch.repo import find_repo
from gitorch.store.state import StateStore
run = "r-bench"
out = [ev.RunStarted(run=run, jobs=2)]
for tid in {ids!r}:
    out += [ev.TaskStarted(run=run, task=tid),
            ev.CommandRun(run=run, task=tid, name="t", cmd="true", status=0, duration=0.001),
            ev.AcceptancePassed(run=run, task=tid, check="Tests pass: true", evidence={{"exit_code": 0}}),
            ev.TaskCompleted(run=run, task=tid, duration=0.002)]
out.append(ev.Completed(run=run, status="completed"))
StateStore.open(find_repo(".")).append(out)
print(len(out))
"""
    proc = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, env=_env())
    if proc.returncode:
        raise RuntimeError(proc.stderr)
    events = int(proc.stdout.strip())
    took = _best(lambda: _sh(["git", "orch", "status", "--json"], repo, "status gitorch"))
    return {"events": float(events), "gitorch": took}


def main() -> None:
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(__file__).parents[2] / "gitorch")],
                   env=_env(), capture_output=True)
    go_task = _go_task()
    if go_task is None:
        print("go-task not found (pip install go-task-bin); comparing with make only")
    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
        work = Path(tmp)
        fan = bench_fanout(work, go_task)
        print(f"1,000-task fan-out, -j2 (best of {REPEAT}):")
        print(f"  make -j2          {fan['make']:.2f} s")
        if "go-task" in fan:
            print(f"  go-task -C 2      {fan['go-task']:.2f} s")
        print(f"  git orch run -j2  {fan['gitorch']:.2f} s  ({int(fan['orch_state_commits'])} state commits)")
        print(f"  ratio vs make     {fan['gitorch'] / fan['make']:.2f}x (goal <= 2.5x)")
        if "go-task" in fan:
            print(f"  ratio vs go-task  {fan['gitorch'] / fan['go-task']:.2f}x (goal <= 0.5x)")
        skip = bench_skip(work, go_task)
        print(f"re-run, nothing changed, {FILES:,} files in {DIRS} tasks (best of {REPEAT}):")
        print(f"  git orch run      {skip['gitorch']:.2f} s")
        if "go-task" in skip:
            print(f"  go-task checksums {skip['go-task']:.2f} s")
            print(f"  ratio vs go-task  {skip['gitorch'] / skip['go-task']:.2f}x (goal <= 0.5x)")
        st = bench_status(work)
        print(f"git orch status on a run of {int(st['events']):,} events: {st['gitorch']:.2f} s")
    print(f"CPU seconds (user + system, with children; best of {REPEAT}), load average "
          f"{os.getloadavg()[0]:.1f}:")
    for label, cpu in CPU.items():
        print(f"  {label:<16} {cpu:.2f} s")
    for what in ("fan", "skip"):
        mine = CPU.get(f"{what} gitorch")
        for peer in ("make", "go-task"):
            theirs = CPU.get(f"{what} {peer}")
            if mine and theirs:
                print(f"  {what}: gitorch / {peer} CPU {mine / theirs:.2f}x")


if __name__ == "__main__":
    main()
