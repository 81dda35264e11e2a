"""End to end: a real `git orch run` writes watch.json, and the hooks read it on checkout."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import OrchRunner, git
from tests.hooks.hookutil import orch_lines, run_git

PLAN = """version: 1
orchestrator:
  approvals:
    required: [deploy]
tasks:
  - id: build
    paths: {preferred: [src]}
    commands: {build: "true"}
  - id: ship
    type: deploy
    dependencies: [build]
    commands: {ship: "true"}
"""


@pytest.mark.slow
def test_run_then_checkout_reports_what_the_run_recorded(project: Path, orch: OrchRunner) -> None:
    (project / "orchestrator.yml").write_text(PLAN)
    git(project, "add", "orchestrator.yml")
    git(project, "commit", "-q", "-m", "plan")
    git(project, "checkout", "-q", "feature")
    git(project, "merge", "-q", "--no-edit", "main")  # the plan on both branches
    git(project, "checkout", "-q", "main")
    run = orch("run", cwd=project)
    has_watch = subprocess.run(["git", "cat-file", "-e", "orch/state:watch.json"],
                               cwd=project).returncode == 0
    if run.returncode not in (0, 3) or not has_watch:
        first = (run.stderr or run.stdout).strip().splitlines()[:1]
        pytest.skip(f"`git orch run` does not record watch.json yet (exit {run.returncode}: {first})")
    assert orch("hooks", "install", cwd=project).returncode == 0
    lines = orch_lines(run_git(project, "checkout", "feature"))
    assert "orch: 1 task is stale since its inputs changed: build (run `git orch explain`)" in lines
    if run.returncode == 3:  # paused at the deploy gate
        assert any("waiting for approval of deploy" in ln for ln in lines)
    observed = json.loads(orch("observe", "--json", cwd=project).stdout)
    assert list(observed["stale"]) == ["build"]
