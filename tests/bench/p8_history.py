"""P8: `git orch status` and `git orch explain TASK` after 50 runs vs after 1, of the same
100-task plan (each run a real `git orch run --force`). Goal: <= 1.1x."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from measure import Figure, git_repo, interleave, ratio, sh, timed

TASKS = 100
RUNS = int(os.environ.get("BENCH_P8_RUNS", "50"))


def main(rounds: int) -> list[Figure]:
    work = Path(tempfile.mkdtemp(prefix="bench-p8-"))
    plan = {"version": 1, "tasks": [{"id": f"t{i:03d}", "commands": {"t": "true"}} for i in range(TASKS)]}
    repos = {}
    for runs in (1, RUNS):
        repo = git_repo(work / f"runs{runs}", {"orchestrator.json": json.dumps(plan)})
        for _ in range(runs):
            sh(["git", "orch", "run", "-j2", "--force"], repo)
        repos[runs] = repo
    out = []
    for cmd in (["status"], ["explain", "t050"]):
        name = " ".join(cmd)
        print(f"P8 git orch {name} after {RUNS} runs vs after 1 ({rounds} rounds)", flush=True)
        s = interleave({f"{name} after {RUNS}": lambda c=cmd: timed(["git", "orch", *c], repos[RUNS]),
                        f"{name} after 1": lambda c=cmd: timed(["git", "orch", *c], repos[1])}, rounds)
        out.append(ratio("P8", s, f"{name} after {RUNS}", f"{name} after 1", "<= 1.1x", 1.1))
    shutil.rmtree(work, ignore_errors=True)
    return out
