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


def test_a_large_load_is_frozen_out_of_the_collector(repo: Path) -> None:
    """Loading pauses the collector; re-enabled as it was, it would rescan everything a large
    load allocated three times over (~0.6 s after 10,000 tasks). A large load is frozen; a
    small one is not (a long process loading small plans keeps collecting their garbage)."""
    import gc

    from gitorch.plan.load import load_plan

    (repo / "small.json").write_text(json.dumps(generate(3)))
    (repo / "big.json").write_text(json.dumps(generate(2_000)))
    gc.unfreeze()
    try:
        load_plan(repo / "small.json")
        assert gc.get_freeze_count() == 0
        loaded = load_plan(repo / "big.json")
        assert len(loaded.plan.tasks) == 2_000
        assert gc.get_freeze_count() > 20_000
        assert gc.isenabled()
    finally:
        gc.unfreeze()
