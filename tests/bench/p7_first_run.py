"""P7: the first run (fresh state branch) of 1,000 tasks that each declare a folder of 10
files as `paths`, in a 10,000-file repository, beside the same tasks without `paths`.
Goal: <= 1.3x."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from measure import Figure, git_repo, interleave, ratio, timed, tree_of

TASKS, FILES = 1000, 10_000


def main(rounds: int) -> list[Figure]:
    work = Path(tempfile.mkdtemp(prefix="bench-p7-"))
    files = tree_of(FILES, TASKS)
    dirs = sorted({p.split("/")[0] for p in files})
    templates = {}
    for label, with_paths in (("with paths", True), ("without paths", False)):
        tasks = [{"id": d, "commands": {"t": "sh -c true"},
                  **({"paths": {"preferred": [f"{d}/"]}} if with_paths else {})} for d in dirs]
        plan = json.dumps({"version": 1, "tasks": tasks})
        templates[label] = git_repo(work / label.replace(" ", "-"), {**files, "orchestrator.json": plan})
    n = [0]

    def first_run(template: Path) -> float:
        n[0] += 1
        repo = work / f"run{n[0]}"
        shutil.copytree(template, repo, symlinks=True)
        took = timed(["git", "orch", "run", "-j2"], repo)
        shutil.rmtree(repo, ignore_errors=True)
        return took

    print(f"P7 first run, {TASKS:,} tasks in a {FILES:,}-file repository ({rounds} rounds)", flush=True)
    s = interleave({label: lambda t=t: first_run(t) for label, t in templates.items()}, rounds)
    out = [ratio("P7", s, "with paths", "without paths", "<= 1.3x", 1.3)]
    shutil.rmtree(work, ignore_errors=True)
    return out
