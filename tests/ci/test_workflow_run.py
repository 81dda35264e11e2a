"""Exported workflows run as CI would (tests/ci/executor.py): each job in its own clone of a
bare remote, in parallel; results come back through refs and `collect`."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.ci.conftest import orch, write_pyz
from tests.ci.executor import Forge
from tests.conftest import git

PLAN = """\
version: 1
orchestrator:
  approvals:
    required: [deploy]
tasks:
  - id: lint
    commands: {lint: 'test -z "${API_TOKEN:-}" && test -f README.md'}
  - id: build.x
    dependencies: [lint]
    commands: {build: 'test "$API_TOKEN" = s3cr3t'}
    secrets: [API_TOKEN]
  - id: deploy
    type: deploy
    dependencies: [build.x]
    commands: {d: "FAIL_HERE"}
"""


def _repo(tmp_path: Path, plan: str, target: str, *extra: str) -> tuple[Path, Path, str]:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    work = tmp_path / "dev"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "orchestrator.yml").write_text(plan)
    (work / "README.md").write_text("# r\n")
    write_pyz(work / "orch.pyz")
    code, _, err = orch(work, "ci", "export", "--target", target, *extra)
    assert code == 0, err
    git(work, "add", "-A")
    git(work, "commit", "-qm", "plan and workflow")
    git(work, "push", "-q", str(remote), "main")
    return work, remote, git(work, "rev-parse", "HEAD")


def _forge(tmp_path: Path, remote: Path, name: str) -> Forge:
    # the suite may itself run in CI: none of its engine's variables reach the jobs
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GITLAB_", "CI_", "RUNNER_"))}
    env["GIT_CONFIG_GLOBAL"] = str(tmp_path / "no-such-gitconfig")  # a runner has no identity
    return Forge(remote=remote, work=tmp_path / name, base_env=env, secrets={"API_TOKEN": "s3cr3t"})


def _state_events(remote: Path, tmp: Path) -> list[dict[str, object]]:
    """Every event on the remote's state branch (read with plain git)."""
    check = tmp / "check"
    if not check.exists():
        git(tmp, "clone", "-q", str(remote), str(check))
    git(check, "fetch", "-q", "origin", "+refs/heads/orch/state:refs/heads/orch/state")
    files = git(check, "ls-tree", "-r", "--name-only", "orch/state", "sessions").splitlines()
    out: list[dict[str, object]] = []
    for f in files:
        text = git(check, "show", f"orch/state:{f}")
        out += [json.loads(line) for line in text.splitlines() if line.strip()]
    return out


def _refs(remote: Path, prefix: str) -> list[str]:
    out = subprocess.run(["git", "for-each-ref", "--format=%(refname)", prefix], cwd=remote,
                         capture_output=True, text=True, check=True).stdout
    return out.split()


def test_github_workflow_runs_collects_and_skips_the_second_time(tmp_path: Path) -> None:
    plan = PLAN.replace("FAIL_HERE", "true")
    _work, remote, sha = _repo(tmp_path, plan, "github")
    text = (_work / ".github/workflows/orch.yml").read_text()
    forge = _forge(tmp_path, remote, "run1")
    results = forge.run_github(text, sha, "101")
    assert {j: r.status for j, r in results.items()} == dict.fromkeys(
        ["plan", "t-lint", "t-build_x", "t-deploy", "collect"], "success"), \
        "\n".join(r.output for r in results.values() if r.status != "success")
    assert "run gh-101-1 completed" in results["collect"].output
    summary = results["collect"].summary  # the report, in the job summary
    for task in ("lint", "build.x", "deploy"):
        assert f"| {task} |  | completed |" in summary, summary
    assert "`run            lint: never passed`" in results["plan"].summary  # the plan job's decisions
    events = _state_events(remote, tmp_path)
    done = [(e["task"], e["run"]) for e in events if e["type"] == "task_completed"]
    assert sorted(done) == [("build.x", "gh-101-1"), ("deploy", "gh-101-1"), ("lint", "gh-101-1")]
    approvals = [e for e in events if e["type"] == "approved"]
    assert len(approvals) == 1 and "octo" in str(approvals[0]["by"])
    assert _refs(remote, "refs/orch/results/") == []  # folded and deleted
    assert len(_refs(remote, "refs/orch/cache/")) == 3  # one entry per task that ran

    # without the state branch, the cache alone lets the second run skip every task
    git(remote, "update-ref", "-d", "refs/heads/orch/state")
    again = _forge(tmp_path, remote, "run2").run_github(text, sha, "102")
    assert all(r.status == "success" for r in again.values()), \
        "\n".join(r.output for r in again.values() if r.status != "success")
    events = _state_events(remote, tmp_path)
    skipped = {e["task"]: e["reason"] for e in events if e["type"] == "skipped" and e["run"] == "gh-102-1"}
    assert sorted(skipped) == ["build.x", "deploy", "lint"]
    assert all(str(r).startswith("cached: run gh-101-1 on https://github.com/o/r/actions/runs/101, key ")
               for r in skipped.values()), skipped
    assert "cached: run gh-101-1" in again["t-lint"].output  # loud in the job's log
    assert "| lint |  | skipped | " in again["collect"].summary
    assert "cached: run gh-101-1" in again["collect"].summary
    assert not [e for e in events if e["type"] == "task_started" and e["run"] == "gh-102-1"]


def test_a_failing_task_stops_its_dependents_and_fails_the_run(tmp_path: Path, backend: str) -> None:
    """On both store backends: the jobs' state writes, merges and collect's fold."""
    plan = PLAN.replace("FAIL_HERE", "true").replace("test \"$API_TOKEN\" = s3cr3t", "exit 3")
    _work, remote, sha = _repo(tmp_path, plan, "gitlab")
    text = (_work / ".gitlab-ci.orch.yml").read_text()
    results = _forge(tmp_path, remote, "gl").run_gitlab(text, sha, "7")
    status = {j: r.status for j, r in results.items()}
    assert status["t-build_x"] == "failure" and status["t-deploy"] == "skipped"
    assert status["collect"] == "failure"  # the run's status is the job's
    assert "FAILED build.x" in results["collect"].output
    events = _state_events(remote, tmp_path)
    kinds = {(e["type"], e.get("task")) for e in events if e.get("run") == "gl-7"}
    assert ("task_failed", "build.x") in kinds and ("task_blocked", "deploy") in kinds
    assert ("task_completed", "lint") in kinds
    assert _refs(remote, "refs/orch/results/") == []


def test_only_refuses_a_dependency_not_done(tmp_path: Path) -> None:
    work, _remote, _sha = _repo(tmp_path, PLAN, "github")
    code, _, err = orch(work, "run", "--only", "--task", "build.x")
    assert code == 1 and "lint (never completed)" in err


@pytest.mark.parametrize("jobs", [8])
def test_jobs_pushing_results_at_the_same_moment_lose_nothing(tmp_path: Path, jobs: int) -> None:
    tasks = "".join(f"  - id: t{i}\n    commands: {{c: 'true'}}\n" for i in range(jobs))
    _work, remote, sha = _repo(tmp_path, "version: 1\ntasks:\n" + tasks, "github")
    forge = _forge(tmp_path, remote, "wide")
    forge.parallel = jobs
    results = forge.run_github((_work / ".github/workflows/orch.yml").read_text(), sha, "300")
    assert all(r.status == "success" for r in results.values()), \
        "\n".join(r.output for r in results.values() if r.status != "success")
    events = _state_events(remote, tmp_path)
    done = sorted(e["task"] for e in events if e["type"] == "task_completed")
    assert done == sorted(f"t{i}" for i in range(jobs))  # each exactly once


def test_grouped_chains_run_in_one_job(tmp_path: Path) -> None:
    plan = PLAN.replace("FAIL_HERE", "true")
    work, remote, sha = _repo(tmp_path, plan, "github", "--max-jobs", "1")
    text = (work / ".github/workflows/orch.yml").read_text()
    results = _forge(tmp_path, remote, "grouped").run_github(text, sha, "400")
    assert sorted(results) == ["collect", "g-lint-2", "plan", "t-deploy"]  # the gated task keeps its job
    assert all(r.status == "success" for r in results.values()), \
        "\n".join(r.output for r in results.values() if r.status != "success")
    assert "git orch run --only --task lint --task build.x" in results["g-lint-2"].output
    done = sorted(e["task"] for e in _state_events(remote, tmp_path) if e["type"] == "task_completed")
    assert done == ["build.x", "deploy", "lint"]
