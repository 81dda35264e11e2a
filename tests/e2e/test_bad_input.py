"""A demanding user through the real CLI: bad input gets one message, a documented exit code,
and with --json nothing but one JSON document on stdout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import OrchRunner, git, make_repo
from tests.e2e.helpers import write_plan


def _json(proc: object) -> dict[str, object]:
    out = proc.stdout  # type: ignore[attr-defined]
    assert out.count("\n") == 1, out  # exactly one document
    doc = json.loads(out)
    assert isinstance(doc, dict)
    return doc


def _two_tasks(repo: Path) -> None:
    write_plan(repo, [{"id": "a", "commands": {"t": "true"}},
                      {"id": "b", "dependencies": ["a"], "commands": {"t": "true"}}])
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "plan")


def test_every_error_is_json_with_json(repo: Path, orch: OrchRunner, tmp_path: Path) -> None:
    _two_tasks(repo)
    cases = [
        (("report", "--json"), 2),  # no run yet
        (("run", "--task", "nope", "--json"), 2),
        (("run", "--task", "a", "--all", "--json"), 2),
        (("run", "-j", "0", "--json"), 2),
        (("run", "-j", "-3", "--json"), 2),
        (("resume", "--json"), 2),  # nothing to resume
        (("approve", "deploy", "--json"), 2),
        (("context", "zzz", "--json"), 2),
        (("explain", "zzz", "--json"), 2),
        (("status", "--file", str(tmp_path / "none.yml"), "--json"), 2),
    ]
    for args, code in cases:
        proc = orch(*args, cwd=repo)
        assert proc.returncode == code, (args, proc.stderr)
        doc = _json(proc)
        assert doc["exit_code"] == code and doc["message"], args
        assert "Traceback" not in proc.stderr
    outside = orch("status", "--json", cwd=tmp_path)
    assert outside.returncode == 2 and _json(outside)["error"] == "NotARepoError"


def test_every_command_answers_json(repo: Path, orch: OrchRunner) -> None:
    _two_tasks(repo)
    assert _json(orch("run", "--all", "--json", cwd=repo))["status"] == "completed"
    for args in (("status",), ("next",), ("context", "a"), ("explain", "b"), ("report",),
                 ("run", "--dry-run"), ("resume",)):
        proc = orch(*args, "--json", cwd=repo)
        assert proc.returncode == 0, (args, proc.stderr)
        _json(proc)


def test_report_out_into_a_missing_folder_creates_it(repo: Path, orch: OrchRunner, tmp_path: Path) -> None:
    _two_tasks(repo)
    assert orch("run", cwd=repo).returncode == 0
    target = tmp_path / "reports" / "nightly" / "REPORT.md"
    proc = orch("report", "--out", str(target), "--junit", str(tmp_path / "x" / "j.xml"), cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert target.read_text().startswith("# Run report")
    assert (tmp_path / "x" / "j.xml").read_text().startswith("<?xml")
    as_dir = orch("report", "--out", str(tmp_path), cwd=repo)
    assert as_dir.returncode == 2 and "is a directory" in as_dir.stderr
    (tmp_path / "file").write_text("")
    under_file = orch("report", "--out", str(tmp_path / "file" / "R.md"), "--json", cwd=repo)
    assert under_file.returncode == 2 and "cannot write" in str(_json(under_file)["message"])


@pytest.mark.parametrize("where", ["subdir", "detached", "no-commit"])
def test_runs_from_a_subfolder_a_detached_head_and_a_repo_without_commits(
        tmp_path: Path, orch: OrchRunner, where: str) -> None:
    if where == "no-commit":
        repo = tmp_path / "fresh"
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        write_plan(repo, [{"id": "a", "commands": {"t": "echo hi > out.txt"}}])
    else:
        repo = make_repo(tmp_path / "r")
        _two_tasks(repo)
        if where == "detached":
            git(repo, "checkout", "-q", "--detach")
    cwd = repo / "deep" / "er" if where == "subdir" else repo
    cwd.mkdir(parents=True, exist_ok=True)
    before = sorted(p.name for p in repo.iterdir())
    run = orch("run", "--json", cwd=cwd)
    assert run.returncode == 0, run.stderr
    doc = _json(run)
    assert doc["status"] == "completed"
    assert (doc["commit"] is None) == (where == "no-commit")
    status = _json(orch("status", "--json", cwd=cwd))
    assert all(t["state"] == "completed" for t in status["tasks"])
    assert orch("report", cwd=cwd).returncode == 0
    after = sorted(p.name for p in repo.iterdir())
    created = set(after) - set(before)
    assert created <= {"out.txt"}, created  # what the task wrote, nothing of gitorch's
    assert not (repo / "TASKS.md").exists()


def test_report_of_the_latest_run_while_the_plan_file_does_not_load(repo: Path, orch: OrchRunner) -> None:
    _two_tasks(repo)
    assert orch("run", "--task", "a", "--task", "a", cwd=repo).returncode == 0
    plan = repo / "orchestrator.json"
    plan.write_text(plan.read_text()[:-3])  # mid-edit: not JSON any more
    proc = orch("report", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("# Run report") and "targets:** a\n" in proc.stdout
    assert "plan file does not load" in proc.stderr and "recorded by run" in proc.stderr
    doc = _json(orch("report", "--json", cwd=repo))
    assert doc["warnings"] and doc["status"] == "completed"
    status = orch("status", "--json", cwd=repo)  # status follows the plan: the error says where
    assert status.returncode == 2 and _json(status)["error"] == "PlanError"


def test_ctrl_c_during_the_release_build_still_interrupts(repo: Path, tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import time

    marker = tmp_path / "building"
    write_plan(repo, [{"id": "a", "type": "code_change", "commands": {"t": "true"}}],
               project={"name": "p", "build": {"release": f"touch {marker}; sleep 30"}})
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "plan")
    proc = subprocess.Popen(["git-orch", "run", "--json"], cwd=repo, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 20
    while not marker.exists() and time.time() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # a terminal's Ctrl-C
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert json.loads(out)["exit_code"] == 130 and b"Traceback" not in err


def test_state_branch_checked_out_is_refused_before_anything_runs(tmp_path, orch) -> None:
    """With orch/state checked out in a worktree, `run` exits 5 without running a command."""
    from tests.conftest import git, make_repo

    plan = "version: 1\ntasks:\n  - id: a\n    commands: {x: 'echo ran >> marker.txt'}\n"
    repo = make_repo(tmp_path / "r", {"orchestrator.yml": plan})
    assert orch("init", cwd=repo).returncode == 0
    git(repo, "worktree", "add", "-q", str(tmp_path / "wt"), "orch/state")
    proc = orch("run", "--all", "--force", cwd=repo)
    assert proc.returncode == 5, proc.stderr
    assert not (repo / "marker.txt").exists()
    assert "checked out" in proc.stderr
