"""The engine called directly (no CLI): a Context over a real temporary repository, then
execute, status, next, explain, dry_run and report as plain functions."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gitorch.engine.dryrun import dry_run
from gitorch.engine.explain import explain
from gitorch.engine.run import RunOptions, Silent, execute
from gitorch.engine.status import next_tasks, report, status
from gitorch.errors import UsageError
from tests.engine.helpers import fresh_context, write_plan


def _repo(root: Path) -> Path:
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    (root / "a.txt").write_text("a\n")
    write_plan(root, [
        {"id": "A", "paths": {"preferred": ["a.txt"]}, "commands": {"t": "true"}},
        {"id": "B", "dependencies": ["A"], "commands": {"t": "exit 4"}},
        {"id": "C", "dependencies": ["B"], "commands": {"t": "true"}},
    ])
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "commit", "-qm", "start"], cwd=root, check=True)
    return root


def test_run_status_next_explain_dry_run_and_report(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo")
    before = dry_run(fresh_context(root), RunOptions())
    assert [(t.id, t.action) for t in before.tasks] == [("A", "run"), ("B", "run"), ("C", "run")]
    result = execute(fresh_context(root), RunOptions(), Silent())
    assert (result.status, result.exit_code) == ("failed", 1)
    assert result.counts == {"completed": 1, "failed": 1, "blocked": 1}
    assert result.failures[0]["task"] == "B" and "exited 4" in result.failures[0]["reason"]
    doc = status(fresh_context(root))
    assert doc.run is not None and doc.run.id == result.run and doc.run.dirty == 0
    assert {t.id: t.state for t in doc.tasks} == {"A": "completed", "B": "failed", "C": "blocked"}
    assert next(t for t in doc.tasks if t.id == "C").waiting_on == ["B"]
    nxt = next_tasks(fresh_context(root))
    assert [t.task for t in nxt.ready] == ["B"] and [t.task for t in nxt.later] == ["C"]
    why = explain(fresh_context(root), "A")
    assert why.action == "skip" and why.last_pass is not None and why.last_pass.run == result.run
    failed = explain(fresh_context(root), "B")
    assert failed.action == "run" and failed.latest_failure is not None
    assert failed.latest_failure.run == result.run
    after = dry_run(fresh_context(root), RunOptions())
    assert [t.action for t in after.tasks] == ["skip", "run", "run"]
    rep = report(fresh_context(root))
    assert rep.run == result.run and "B" in rep.report and rep.warnings == []
    with pytest.raises(UsageError):
        explain(fresh_context(root), "nope")


class _Broken(Silent):
    def task_started(self, task_id: str) -> None:
        raise RuntimeError("a bug in the middle of a run")


def test_an_internal_error_records_the_run_failed(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo")
    with pytest.raises(RuntimeError):
        execute(fresh_context(root), RunOptions(), _Broken())
    doc = status(fresh_context(root))
    assert doc.run is not None and doc.run.status == "failed"  # never left "running"
