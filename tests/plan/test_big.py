"""A 10,000-task plan validates through the real CLI (timing is measured in tests/bench/bench_plan.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import OrchRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from bench_plan import generate  # noqa: E402


@pytest.mark.slow
def test_ten_thousand_tasks_validate(repo: Path, orch: OrchRunner) -> None:
    data = generate(10_000)
    (repo / "big.json").write_text(json.dumps(data))
    proc = orch("plan", "validate", "--file", "big.json", env={"GITORCH_PLAN_CACHE": "0"})
    assert proc.returncode == 0, proc.stderr
    summary = "big.json: valid: 10000 tasks, 2000 shards, 29987 edges, longest chain 10000"
    assert proc.stdout.startswith(summary)

    data["tasks"][9_999]["dependencies"].append("T-99999")  # one bad reference among 30,000
    data["tasks"][5_000]["id"] = "T 05000"
    (repo / "big.json").write_text(json.dumps(data))
    proc = orch("plan", "validate", "--file", "big.json", "--json")
    assert proc.returncode == 2
    problems = json.loads(proc.stdout)["problems"]
    assert {p["path"] for p in problems} >= {"tasks[9999].dependencies[3]", "tasks[5000].id"}
