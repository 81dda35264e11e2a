"""Wording a new user meets (issue 17): plurals, no empty gaps, messages that say what happened."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import git

PLAN = (
    "version: 1\nproject: {name: demo}\ntasks:\n"
    "  - id: A\n    commands: {x: 'true'}\n    acceptance: ['File exists: nope.txt']\n"
    "  - id: B\n    dependencies: [A]\n    commands: {x: 'true'}\n"
)


def _plan(repo: Path, text: str = PLAN) -> Path:
    (repo / "orchestrator.yml").write_text(text)
    return repo


def test_missing_plan_file_is_not_found_not_a_problem_count(orch, repo) -> None:
    proc = orch("plan", "validate", "-f", "nope.yml")
    assert proc.returncode == 2
    assert proc.stderr == "git orch: nope.yml: plan file not found\n"


def test_a_folder_named_like_the_plan_is_reported_as_one(orch, repo) -> None:
    (repo / "orchestrator.yml").mkdir()
    for args in (("plan", "validate"), ("status",)):
        proc = orch(*args)
        assert proc.returncode == 2
        assert "orchestrator.yml: is a directory, not a plan file" in proc.stderr, proc.stderr
        assert "problem" not in proc.stderr


def test_plan_show_marks_checks_that_never_ran(orch, repo) -> None:
    _plan(repo)
    before = orch("plan", "show").stdout
    assert "○ File exists: nope.txt (not run)" in before
    assert "✓" not in before
    lines = before.splitlines()[1:]
    assert all("  " not in line.strip() or line.strip().startswith(("1", "2")) for line in lines)
    assert any(line.endswith("[chore] (after A)") for line in lines), before
    assert not any(line != line.rstrip() for line in lines), before
    orch("run", "-k")
    after = orch("plan", "show").stdout
    assert "✗ File exists: nope.txt (failed)" in after


def test_next_status_and_approve_without_runs(orch, repo) -> None:
    _plan(repo, "version: 1\nproject: {name: d}\ntasks:\n  - id: A\n    commands: {x: 'true'}\n")
    assert orch("next").stdout == "A (pending)\n"
    assert orch("status").stdout.startswith("no run yet (1 task pending)")
    proc = orch("approve", "deploy")
    assert proc.returncode == 2
    assert "no run to approve deploy for: nothing has run here yet" in proc.stderr


def test_config_set_negative_number_gets_the_documented_message(orch, repo) -> None:
    proc = orch("config", "set", "jobs", "-3")
    assert proc.returncode == 2
    assert "jobs must be >= 0, got -3" in proc.stderr and "No such option" not in proc.stderr


def test_secrets_doctor_names_the_variable_once(orch, repo) -> None:
    _plan(repo, PLAN.replace("tasks:\n", "secrets: [API_KEY]\ntasks:\n", 1))
    proc = orch("secrets", "doctor", env={"API_KEY": "x"})
    assert "present (from: env API_KEY)" in proc.stdout and "env env" not in proc.stdout


def test_state_commits_and_sync_say_what_happened(orch, repo, bare_remote: Path, tmp_path: Path) -> None:
    _plan(repo)
    git(repo, "remote", "add", "origin", str(bare_remote))
    orch("run", "-k")
    subjects = git(repo, "log", "--format=%s", "orch/state").splitlines()
    ended = [s for s in subjects if s.startswith("run ") and s.endswith(" failed: 1 failed, 1 blocked")]
    assert ended, subjects
    assert not any("journaled" in s for s in subjects)
    assert orch("sync").stdout == "synced with origin: pushed 1 run\n"
    assert orch("sync").stdout == "synced with origin: already in sync, nothing to fetch or push\n"
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(bare_remote), str(clone)], check=True)
    proc = orch("sync", cwd=clone)
    assert proc.stdout.startswith("synced with origin: fetched 1 run"), proc.stdout
    assert os.path.isdir(clone)
