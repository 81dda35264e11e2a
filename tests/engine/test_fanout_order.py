"""A round starts its commands before it records what ended since the last one (issue 15,
P1): the record keeps the order things happened in. A dependent starts after its dependency's
end, a blocked task follows the failure, each task's events come started, command, end, and
the journal holds them in time order (real repository, real CLI)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import git
from tests.engine.helpers import plan_repo

TASKS = [
    {"id": "a", "commands": {"t": "true"}},
    *({"id": f"b{i}", "dependencies": ["a"], "commands": {"t": "true"}} for i in range(6)),
    {"id": "c", "dependencies": ["b0"], "commands": {"t": "exit 3"}},
    {"id": "d", "dependencies": ["c"], "commands": {"t": "true"}},
    {"id": "e", "dependencies": ["b5"], "commands": {"t": "true"}},
]


def _segments(repo: Path) -> list[list[dict[str, object]]]:
    names = git(repo, "ls-tree", "-r", "--name-only", "orch/state").split()
    return [[json.loads(line) for line in git(repo, "cat-file", "blob", f"orch/state:{n}").splitlines()]
            for n in names if n.startswith("sessions/") and n.endswith(".jsonl")]


def test_the_record_keeps_the_order_things_happened_in(tmp_path: Path) -> None:
    repo = plan_repo(tmp_path / "r", {"README.md": "x\n"}, TASKS)
    run = subprocess.run(["git", "orch", "run", "-j2", "--keep-going"], cwd=repo, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 1, run.stderr
    segments = _segments(repo)
    for seg in segments:  # appended in the order they were made
        assert [(e["ts"], e["id"]) for e in seg] == sorted((e["ts"], e["id"]) for e in seg)
    events = sorted((e for seg in segments for e in seg), key=lambda e: (e["ts"], e["id"]))
    at = {(e.get("task"), e["type"]): n for n, e in enumerate(events)}
    for t in TASKS[:-2]:
        tid = t["id"]
        end = "task_failed" if tid == "c" else "task_completed"
        assert at[tid, "task_started"] < at[tid, "command_run"] < at[tid, end], tid
        for dep in t.get("dependencies", []):
            assert at[dep, "task_completed"] < at[tid, "task_started"], (dep, tid)
    assert at["c", "task_failed"] < at["d", "task_blocked"]
    assert ("d", "task_started") not in at and at["b5", "task_completed"] < at["e", "task_started"]
    lines = run.stdout.splitlines()

    def line(text: str) -> int:
        return next(n for n, s in enumerate(lines) if s.endswith(text) or f"] {text} (" in s)

    assert all(line("completed a") < line(f"started b{i}") for i in range(6))
    assert line("completed b5") < line("started e")
