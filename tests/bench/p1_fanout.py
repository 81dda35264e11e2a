"""P1: a 1,000-task fan-out (root, then 999 tasks), each `sh -c true`, `-j2`, on a fresh state
branch with its events committed; beside `make -j2`, doit (`-n 2`) and go-task
(`--concurrency 2`) on the same DAG; and the floor of a Python parent, a loop that only starts
and reaps the same commands (floor_spawn.py: what is left of the goal for gitorch's own
work). Goal: <= 1.6x make."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

from measure import Figure, added, git_repo, interleave, ratio, timed, which

TASKS = 1000
IDS = [f"t{i:04d}" for i in range(TASKS)]


def plan() -> dict[str, object]:
    tasks: list[dict[str, object]] = [{"id": IDS[0], "commands": {"t": "sh -c true"}}]
    tasks += [{"id": t, "dependencies": [IDS[0]], "commands": {"t": "sh -c true"}} for t in IDS[1:]]
    return {"version": 1, "tasks": tasks}


def makefile() -> str:
    lines = [".PHONY: all " + " ".join(IDS), "all: " + " ".join(IDS[1:]), f"{IDS[0]}:", "\t@sh -c true"]
    for t in IDS[1:]:
        lines += [f"{t}: {IDS[0]}", "\t@sh -c true"]
    return "\n".join(lines) + "\n"


def dodo() -> str:
    return (
        "DOIT_CONFIG = {'verbosity': 0, 'dep_file': '.doit.db', 'default_tasks': ['all']}\n"
        f"IDS = {IDS!r}\n"
        "def task_t():\n"
        "    yield {'name': IDS[0], 'actions': ['sh -c true'], 'uptodate': [False]}\n"
        "    for t in IDS[1:]:\n"
        "        yield {'name': t, 'actions': ['sh -c true'], 'task_dep': ['t:' + IDS[0]],\n"
        "               'uptodate': [False]}\n"
        "def task_all():\n"
        "    return {'actions': None, 'task_dep': ['t:' + t for t in IDS]}\n"
    )


def taskfile() -> str:
    tasks: dict[str, object] = {"all": {"deps": IDS[1:]},
                                IDS[0]: {"cmds": ["sh -c true"], "silent": True}}
    tasks.update({t: {"deps": [IDS[0]], "cmds": ["sh -c true"], "silent": True} for t in IDS[1:]})
    return json.dumps({"version": "3", "tasks": tasks})  # JSON is YAML


def main(rounds: int) -> list[Figure]:
    work = Path(tempfile.mkdtemp(prefix="bench-p1-"))
    template = git_repo(work / "template", {"orchestrator.json": json.dumps(plan())})
    peers = work / "peers"
    peers.mkdir()
    (peers / "Makefile").write_text(makefile())
    (peers / "dodo.py").write_text(dodo())
    (peers / "Taskfile.yml").write_text(taskfile())
    n = [0]

    def gitorch() -> float:
        n[0] += 1
        repo = work / f"run{n[0]}"
        shutil.copytree(template, repo, symlinks=True)  # a fresh state branch every round
        took = timed(["git", "orch", "run", "-j2"], repo)
        shutil.rmtree(repo, ignore_errors=True)
        return took

    sides = {"gitorch": gitorch, "make -j2": lambda: timed(["make", "-s", "-j2", "all"], peers)}
    floor = [sys.executable, str(Path(__file__).with_name("floor_spawn.py")), str(TASKS), "2", "sh -c true"]
    sides["python spawn loop"] = lambda: timed(floor, peers)
    doit, task = which("doit"), which("task")
    if doit:
        sides["doit -n 2"] = lambda: timed([doit, "-n", "2", "-P", "thread"], peers)  # threads: no pickling
    if task:
        sides["go-task"] = lambda: timed([task, "--concurrency", "2", "all"], peers)
    print(f"P1 1,000-task fan-out, -j2, fresh state branch ({rounds} rounds)", flush=True)
    s = interleave(sides, rounds)
    out = [ratio("P1", s, "gitorch", "make -j2", "<= 1.6x", 1.6)]
    out += [ratio("P1", s, "gitorch", p, "", None) for p in sides
            if p not in ("gitorch", "make -j2", "python spawn loop")]
    # the floor of a Python parent (floor_spawn.py): what is left of the goal for gitorch's own work
    out.append(ratio("P1", s, "python spawn loop", "make -j2", "", None, note="floor: spawning alone"))
    out.append(added("P1", s, "gitorch", "python spawn loop", "", None, note="gitorch's own work"))
    shutil.rmtree(work, ignore_errors=True)
    return out
