"""The 10,000-task plan P9 validates (also used by tests/plan/test_big.py)."""

from __future__ import annotations

from typing import Any

N_TASKS = 10_000


def generate(n: int = N_TASKS) -> dict[str, Any]:
    """Tasks with up to three dependencies on earlier ones, commands, acceptance (strings and
    mappings), paths; every tenth shards, every fiftieth has constraints and a retry."""
    tasks: list[dict[str, Any]] = []
    for i in range(n):
        m = i % 97
        task: dict[str, Any] = {
            "id": f"T-{i:05d}", "title": f"Task number {i}",
            "type": ("code_change", "test", "docs", "chore")[i % 4],
            "description": f"Generated task {i} for the benchmark.",
            "paths": {"preferred": [f"src/mod{m}.py"]},
            "commands": {"lint": "python -m compileall -q src",
                         "test": f"python -m pytest -q tests/test_{m}.py"},
            "acceptance": [f"Tests pass: python -m pytest -q tests/test_{m}.py",
                           f"File exists: src/mod{m}.py", {"contains": f"def f{m}", "in": f"src/mod{m}.py"}],
            "dependencies": [f"T-{j:05d}" for j in sorted({i - 1, i // 2, i - 7}) if 0 <= j < i],
        }
        if i % 10 == 0:
            task["shards"] = [{"id": f"T-{i:05d}-S{k}", "title": f"Shard {k}",
                               "acceptance": [f"Contains: shard {k}"]} for k in range(2)]
        if i % 50 == 0:
            task["constraints"] = {"timeout": "10m", "forbidden": ["vendor/"]}
            task["retry"] = {"attempts": 3, "backoff": "5s"}
        tasks.append(task)
    return {"version": 1, "project": {"name": "bench", "root": ".", "language": "python",
                                      "build": {"lint": "ruff check .", "test": "python -m pytest -q"}},
            "orchestrator": {"strategy": "conservative", "approvals": {"required": ["deploy"]}},
            "tasks": tasks}
