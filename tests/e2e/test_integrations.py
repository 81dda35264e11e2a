"""What the run engine does for other parts: sync after a run, the legacy notice."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import OrchRunner, git
from tests.e2e.helpers import write_plan


def _plan(repo: Path) -> None:
    write_plan(repo, [{"id": "a", "commands": {"t": "true"}}])
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "plan")


def test_sync_after_run_pushes_the_state_and_says_so(repo: Path, bare_remote: Path, orch: OrchRunner) -> None:
    _plan(repo)
    git(repo, "remote", "add", "origin", str(bare_remote))
    git(repo, "config", "orch.syncAfterRun", "true")
    proc = orch("run", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert "state synced with origin (pushed)" in proc.stdout
    assert git(bare_remote, "rev-parse", "refs/heads/orch/state") == git(repo, "rev-parse", "orch/state")
    doc = json.loads(orch("run", "--json", cwd=repo).stdout)
    assert doc["sync"]["remote"] == "origin" and doc["status"] == "completed"


def test_sync_failure_is_one_warning_not_a_failed_run(repo: Path, tmp_path: Path, orch: OrchRunner) -> None:
    _plan(repo)
    git(repo, "remote", "add", "origin", str(tmp_path / "gone.git"))
    proc = orch("run", cwd=repo, env={"GITORCH_SYNC_AFTER_RUN": "1"})
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "not synced" in warnings[0] and "git orch sync" in warnings[0]
    assert "Traceback" not in proc.stderr
    doc = json.loads(orch("run", "--json", cwd=repo, env={"GITORCH_SYNC_AFTER_RUN": "1"}).stdout)
    assert "cannot reach remote" in doc["sync"]["error"]


def test_portable_state_on_an_ephemeral_machine_is_pushed(repo: Path, bare_remote: Path,
                                                          orch: OrchRunner) -> None:
    _plan(repo)
    git(repo, "remote", "add", "origin", str(bare_remote))
    git(repo, "config", "orch.portable", "true")
    proc = orch("run", cwd=repo, env={"GITORCH_EPHEMERAL": "1"})
    assert proc.returncode == 0, proc.stderr
    assert "state synced with origin" in proc.stdout
    quiet = orch("run", cwd=repo, env={"GITORCH_EPHEMERAL": "0"})
    assert "synced" not in quiet.stdout


def test_status_and_report_show_the_legacy_notice_once_and_never_with_json(
        repo: Path, orch: OrchRunner) -> None:
    _plan(repo)
    assert orch("run", cwd=repo).returncode == 0
    (repo / ".workflow_state.json").write_text(json.dumps(
        {"workflow_id": "wf_1", "task_description": "x", "status": "active", "current_phase": "PLAN",
         "created_at": "2025-11-02T10:00:00", "phases": {}}))
    quiet = orch("status", "--json", cwd=repo)
    assert quiet.returncode == 0 and "legacy" not in quiet.stderr
    json.loads(quiet.stdout)
    first = orch("status", cwd=repo)
    assert first.returncode == 0 and "legacy orchestrator state found" in first.stderr
    assert "legacy" not in first.stdout
    again = orch("report", cwd=repo)
    assert again.returncode == 0 and "legacy" not in again.stderr  # one time only
    (repo / ".workflow_log.jsonl").write_text('{"event_type": "workflow_started"}\n')
    changed = orch("report", cwd=repo)  # a new legacy file: a new notice
    assert "legacy orchestrator state found" in changed.stderr


def test_shards_of_a_skipped_task_show_skipped_on_the_dashboard(repo: Path, orch: OrchRunner) -> None:
    write_plan(repo, [{"id": "a", "commands": {"t": "true"},
                       "shards": [{"id": "s1", "commands": {"x": "true"}},
                                  {"id": "s2", "commands": {"x": "true"}}]}])
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "plan")
    assert orch("run", cwd=repo).returncode == 0
    first = git(repo, "show", "orch/state:TASKS.md")
    assert "- [x] s1" in first and "(completed)" in first
    assert orch("run", cwd=repo).returncode == 0
    again = git(repo, "show", "orch/state:TASKS.md")
    assert "- [x] a" in again and "(skipped)" in again
    assert "- [ ]" not in again and "pending" not in again.split("## Graph")[0]
    assert "  - [x] s1" in again and "  - [x] s2" in again


def test_a_rerun_that_skips_everything_leaves_watch_json_as_it_was(repo: Path, orch: OrchRunner) -> None:
    (repo / "src").mkdir()
    (repo / "src" / "a.py").write_text("a = 1\n")
    write_plan(repo, [{"id": "a", "paths": {"preferred": ["src/"]}, "commands": {"t": "true"}},
                      {"id": "b", "dependencies": ["a"], "commands": {"t": "true"}}])
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "plan")
    assert orch("run", cwd=repo).returncode == 0
    first = git(repo, "rev-parse", "orch/state:watch.json")
    assert orch("run", cwd=repo).returncode == 0
    assert git(repo, "rev-parse", "orch/state:watch.json") == first
    (repo / "src" / "a.py").write_text("a = 2\n")
    assert orch("run", cwd=repo).returncode == 0
    watch = json.loads(git(repo, "show", "orch/state:watch.json"))
    assert git(repo, "rev-parse", "orch/state:watch.json") != first
    assert watch["tasks"]["a"]["oids"]["src/a.py"] == git(repo, "hash-object", "src/a.py")
