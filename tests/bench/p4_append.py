"""P4: the cost of appending events at 100,000 events on the state branch vs at 100, for
every history shape, on both backends (pygit2, git CLI). Goal: <= 1.2x for every shape.

Shapes: `runs` (history made by real `git orch run --force` runs of a 2,500-task plan, about
4 events a task; BENCH_P4_RUNS runs, 14 by default: ~100,000 events) and `sessions-a-day` (1,000 sessions
started on the same day, 100 events each, written through the store as 1,000 short runs
would write them: one segment per session). Each side is a whole process that opens the
store and makes APPENDS appends of one event (a commit each), so the append dominates the
start-up; the two repositories take turns.

An append past git's gc.auto estimate starts `git repack -d` in the background and returns
(store/pack.py, as `gc --auto` detaches). The big day history is built by 10 commits of 100
sessions, so it sits a few hundred objects below the threshold and crosses it during the
rounds (about the 9th process): the detached repack then ran on the 2 cores during the next
measured processes, whichever shape and backend came next (rounds 0.86x-1.49x). Each side
therefore waits, untimed, for a packer its process started before the other side runs: the
process is timed as before (it never waited for the packer either), and the repack's CPU no
longer lands in the other side's or the next shape's rounds.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from measure import Figure, bench_env, git_repo, interleave, ratio, sh, timed

APPENDS = 20
RUNS = int(os.environ.get("BENCH_P4_RUNS", "14"))
APPEND = f"""
import sys
from gitorch import events as ev
from gitorch.config import open_store
from gitorch.ids import session
from gitorch.repo import find_repo
store = open_store(find_repo('.'), backend=sys.argv[1])
for i in range({APPENDS}):
    store.append([ev.TaskStarted(run='r-append', task=f'm{{i}}', session=session())])
"""
PREFILL = """
import sys, time
from gitorch import events as ev
from gitorch.config import open_store
from gitorch.repo import find_repo
sessions, per = int(sys.argv[1]), int(sys.argv[2])
store = open_store(find_repo('.'))
now = int(time.time() * 1000)
batches = []
for s in range(sessions):
    sid = f"s-{now - s * 10:012x}-{10000 + s}"  # all started within the last few seconds: today
    run = f"r-day-{s:04d}"
    batches.append([ev.TaskStarted(run=run, task=f"t{i}", session=sid) for i in range(per)])
    if len(batches) == 100:
        store._commit(batches, {}, "bench: sessions", readme=True)
        batches = []
if batches:
    store._commit(batches, {}, "bench: sessions", readme=True)
"""


def run_history(work: Path, name: str, tasks: int, runs: int) -> Path:
    plan = {"version": 1, "tasks": [{"id": f"t{i:04d}", "commands": {"t": "true"}} for i in range(tasks)]}
    repo = git_repo(work / name, {"orchestrator.json": json.dumps(plan)})
    for _ in range(runs):
        sh(["git", "orch", "run", "-j2", "--force"], repo)
    return repo


def day_history(work: Path, name: str, sessions: int, per: int) -> Path:
    repo = git_repo(work / name)
    sh([str(Path(sys.executable)), "-c", PREFILL, str(sessions), str(per)], repo)
    return repo


def append(py: str, repo: Path, backend: str, env: dict[str, str], cpu: list[float]) -> float:
    """One measured process of APPENDS appends (its CPU seconds appended to `cpu`); then,
    untimed, the end of a background repack it started (see the module's docstring)."""
    from gitorch.store.pack import wait_for_packer

    took = timed([py, "-c", APPEND, backend], repo, env, cpu=cpu)
    wait_for_packer(repo / ".git" / "orch")
    return took


def count(repo: Path) -> int:
    out = sh(["git", "orch", "events", "--json"], repo)
    return out.count("\n")


def main(rounds: int) -> list[Figure]:
    work = Path(tempfile.mkdtemp(prefix="bench-p4-"))
    t0 = time.perf_counter()
    shapes = {
        "runs": (run_history(work, "runs-small", 25, 1), run_history(work, "runs-big", 2500, RUNS)),
        "sessions-a-day": (day_history(work, "day-small", 1, 100), day_history(work, "day-big", 1000, 100)),
    }
    from gitorch.store.pack import wait_for_packer

    for repo in (r for pair in shapes.values() for r in pair):
        # a repack the history's last writes started in the background (as gc --auto
        # would) belongs to building the history, not to the first measured rounds
        wait_for_packer(repo / ".git" / "orch")
    print(f"P4 append at 100,000 events vs at 100 ({rounds} rounds; histories built in "
          f"{time.perf_counter() - t0:.0f} s)", flush=True)
    out = []
    py = str(Path(sys.executable))
    for shape, (small, big) in shapes.items():
        sizes = f"{count(small):,} vs {count(big):,} events"
        for backend in ("pygit2", "cli"):
            env = bench_env()
            cpu: dict[str, list[float]] = {"big": [], "small": []}
            sides = {f"{shape} {side}": lambda r=repo, b=backend, e=env, c=cpu[side]: append(py, r, b, e, c)
                     for side, repo in (("big", big), ("small", small))}
            s = interleave(sides, rounds)
            note = f"{backend}; {sizes}; {APPENDS} appends a process"
            out.append(ratio("P4", s, f"{shape} big", f"{shape} small", "<= 1.2x", 1.2, note=note))
            # the same processes' CPU time (user + sys, with the git processes they waited for):
            # less sensitive to the machine's load than wall time; the warm-up round dropped
            used = {f"{shape} big CPU": cpu["big"][1:], f"{shape} small CPU": cpu["small"][1:]}
            out.append(ratio("P4", used, f"{shape} big CPU", f"{shape} small CPU", "report", None, note=note))
    shutil.rmtree(work, ignore_errors=True)
    return out
