"""P2: a re-run with nothing changed: 1,000 tasks, each naming a folder of 10 files as its
`paths`, over a 10,000-file repository; beside go-task with `sources:` checksums, `make -r`
with one stamp per task, and `git status`; and the floor of a Python tool that asks git status
(floor_status.py: the interpreter, msgspec, pathlib, subprocess, one status). Goals: <= 0.2x
go-task and <= 2x `make -r`."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

from measure import Figure, added, git_repo, interleave, ratio, sh, timed, tree_of, which

TASKS, FILES = 1000, 10_000
FLOOR = Path(__file__).with_name("floor_status.py")  # a Python tool that asks git status, and no more


def main(rounds: int) -> list[Figure]:
    work = Path(tempfile.mkdtemp(prefix="bench-p2-"))
    files = tree_of(FILES, TASKS)
    dirs = sorted({p.split("/")[0] for p in files})
    plan = {"version": 1, "tasks": [{"id": d, "paths": {"preferred": [f"{d}/"]},
                                     "commands": {"t": "sh -c true"}} for d in dirs]}
    files["orchestrator.json"] = json.dumps(plan)
    tasks: dict[str, object] = {"all": {"deps": dirs}}
    tasks.update({d: {"sources": [f"{d}/**/*"], "cmds": ["sh -c true"], "silent": True,
                      "method": "checksum"} for d in dirs})
    files["Taskfile.yml"] = json.dumps({"version": "3", "tasks": tasks})
    make = ["all: " + " ".join(f".stamps/{d}" for d in dirs)]
    for d in dirs:
        make += [f".stamps/{d}: $(wildcard {d}/*)", "\t@sh -c true", "\t@mkdir -p .stamps && touch $@"]
    files["Makefile"] = "\n".join(make) + "\n"
    files[".gitignore"] = ".task/\n.stamps/\n"
    repo = git_repo(work / "repo", files)
    sh(["git", "orch", "run", "-j2"], repo)  # the first run: every task passes
    sides = {"gitorch": lambda: timed(["git", "orch", "run", "-j2"], repo),
             "make -r": lambda: timed(["make", "-r", "-s", "all"], repo),
             "git status": lambda: timed(["git", "status", "--porcelain"], repo),
             "python floor": lambda: timed([sys.executable, str(FLOOR)], repo)}
    task = which("task")
    if task:
        sh([task, "--concurrency", "2", "all"], repo)
        sides["go-task"] = lambda: timed([task, "--concurrency", "2", "all"], repo)
    sh(["make", "-r", "-s", "all"], repo)
    print(f"P2 re-run, nothing changed, {TASKS:,} tasks over {FILES:,} files ({rounds} rounds)", flush=True)
    s = interleave(sides, rounds)
    out = []
    if task:
        out.append(ratio("P2", s, "gitorch", "go-task", "<= 0.2x", 0.2))
    out.append(ratio("P2", s, "gitorch", "make -r", "<= 2x", 2.0))
    out.append(ratio("P2", s, "gitorch", "git status", "", None))
    # the floor of a Python tool that asks git status (floor_status.py), against the goal's peer
    if task:
        out.append(ratio("P2", s, "python floor", "go-task", "", None,
                         note="floor: start, libraries, git status"))
    out.append(added("P2", s, "gitorch", "python floor", "", None, note="gitorch's own work"))
    shutil.rmtree(work, ignore_errors=True)
    return out
