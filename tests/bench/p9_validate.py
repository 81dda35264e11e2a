"""P9: `git orch plan validate` of a 10,000-task plan, cold (no plan cache), whole process:
the YAML file beside the JSON file of the same plan. Goals: <= 1.5x JSON and <= 500 ms."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from bench_plan import N_TASKS, generate
from measure import Figure, absolute, bench_env, git_repo, interleave, ratio, timed


def main(rounds: int) -> list[Figure]:
    import yaml

    work = Path(tempfile.mkdtemp(prefix="bench-p9-"))
    plan = generate()
    repo = git_repo(work / "repo", {"orchestrator.json": json.dumps(plan),
                                    "orchestrator.yml": yaml.safe_dump(plan, sort_keys=False)})
    env = bench_env({"GITORCH_PLAN_CACHE": "0"})
    sides = {fmt: lambda f=f: timed(["git", "orch", "plan", "validate", "--file", f], repo, env)
             for fmt, f in (("YAML", "orchestrator.yml"), ("JSON", "orchestrator.json"))}
    print(f"P9 plan validate, {N_TASKS:,} tasks, cold ({rounds} rounds)", flush=True)
    s = interleave(sides, rounds)
    out = [ratio("P9", s, "YAML", "JSON", "<= 1.5x", 1.5), absolute("P9", s, "YAML", "<= 500 ms", 500.0)]
    shutil.rmtree(work, ignore_errors=True)
    return out
