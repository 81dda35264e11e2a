"""Moving from workflow-orchestrator through the CLI, with its files as its code writes them:
dry run, migrate, status, report, doctor, removal, rollback (byte for byte), no traceback."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import wo_fixtures as wo

from tests.conftest import OrchRunner


def _ok(proc: subprocess.CompletedProcess[str], code: int = 0) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


def _events(orch: OrchRunner, repo: Path) -> list[dict]:  # type: ignore[type-arg]
    proc = _ok(orch("events", "--json", cwd=repo))
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def _cut_off(repo: Path) -> int:
    """A crash mid-write: the last line of the root log has no end (its number is returned)."""
    log = repo / ".workflow_log.jsonl"
    count = len(log.read_bytes().splitlines())
    with log.open("a") as f:
        f.write('{"timestamp": "2026-01-09T06:00:00.000000Z", "event_type": "item_sta')
    return count + 1


@pytest.fixture
def legacy_repo(repo: Path) -> Path:
    wo.commit_tracked(repo)
    wo.write_everything(repo)
    wo.add_worktree(repo)
    return repo


def test_dry_run_is_the_migration_decision_and_everything_is_accounted_for(
        legacy_repo: Path, orch: OrchRunner) -> None:
    repo = legacy_repo
    line = _cut_off(repo)
    before = wo.snapshot(repo)
    notice = _ok(orch("events", cwd=repo)).stderr  # the one-time notice names what is left alone
    assert "Left alone: .claude/prd_state.json" in notice and "fix-retry-3f9c/: a git work tree" in notice
    dry = json.loads(_ok(orch("migrate", "--dry-run", "--json", cwd=repo)).stdout)
    assert dry["refused"] is None and wo.snapshot(repo) == before
    assert dry["worktrees"] == [".orchestrator/worktrees/fix-retry-3f9c/"]
    assert not [f for f in dry["files"] if "worktrees" in f["path"]]
    assert [f["path"] for f in dry["foreign"]] == [".claude/prd_state.json"]
    assert dry["warnings"] == [dry["warnings"][0]] and f".workflow_log.jsonl: line {line} skipped: cut off" \
        in dry["warnings"][0]
    kinds = {f["path"]: f["kind"] for f in dry["files"]}
    assert kinds[".workflow_tool_feedback.jsonl"] == kinds[".workflow_process_feedback.jsonl"] == "feedback"
    assert [k for p, k in kinds.items() if p.startswith(".workflow_checkpoints/")] == ["checkpoint"]
    assert len(dry["runs"]) == 9
    human = _ok(orch("migrate", "--dry-run", cwd=repo))
    assert "worktree .orchestrator/worktrees/fix-retry-3f9c/" in human.stdout
    assert "left alone .claude/prd_state.json" in human.stdout and f"line {line}" in human.stderr

    done = json.loads(_ok(orch("migrate", "--json", cwd=repo)).stdout)
    for key in ("files", "events", "event_types", "runs", "worktrees", "foreign", "warnings"):
        assert done[key] == dry[key], key
    doctor = orch("doctor", cwd=repo)
    assert "changed since migration" not in doctor.stdout  # the cut-off file is accounted for
    assert "fix-retry-3f9c" in doctor.stdout and ".claude/prd_state.json" in doctor.stdout
    assert wo.snapshot(repo) == before


def test_strict_refuses_a_cut_off_line_in_dry_run_and_migration(legacy_repo: Path, orch: OrchRunner) -> None:
    line = _cut_off(legacy_repo)
    for args in (("migrate", "--strict", "--dry-run"), ("migrate", "--strict")):
        proc = _ok(orch(*args, cwd=legacy_repo), 2)
        assert f".workflow_log.jsonl: line {line} skipped" in proc.stdout + proc.stderr
    assert "orch/state" not in subprocess.run(["git", "for-each-ref"], cwd=legacy_repo, capture_output=True,
                                              text=True).stdout


def test_each_workflow_is_a_run_with_typed_events_once(legacy_repo: Path, orch: OrchRunner) -> None:
    repo = legacy_repo
    _ok(orch("migrate", cwd=repo))
    events = _events(orch, repo)
    assert not [e for e in events if "worktrees" in json.dumps(e)]
    ids = [e["id"] for e in events]
    assert len(ids) == len(set(ids))
    runs = {e["run"] for e in events if e["type"] == "run_started"}
    assert len(runs) == 9 and "legacy:wf_e3bef6ab" in runs
    first = [e for e in events if e.get("run") == "legacy:wf_0000aa0"]
    # Root log and session copy hold the same records: each one is one event.
    assert [(e["type"], e.get("task")) for e in first if e["type"] != "note"] == [
        ("run_started", None), ("task_started", "PLAN"), ("task_started", "PLAN.initial_plan"),
        ("task_completed", "PLAN.initial_plan"), ("task_completed", "PLAN.user_approval"),
        ("task_completed", "PLAN"), ("task_started", "EXECUTE"), ("task_started", "EXECUTE.write_tests"),
        ("skipped", "EXECUTE.write_tests"), ("completed", None)]
    assert first[0]["ts"] == "2026-01-01T04:08:22.969Z"
    done = [e for e in first if e["type"] == "task_completed"][0]
    assert done["task"] == "PLAN.initial_plan" and done["duration"] == 600.5
    skipped = [e for e in first if e["type"] == "skipped"][0]
    assert skipped["task"] == "EXECUTE.write_tests" and skipped["reason"] == "covered by the existing suite"
    notes = {e["kind"] for e in first if e["type"] == "note"}
    assert notes == {"legacy_run"}  # phases are their group tasks
    assert [e for e in events if e.get("kind") == "legacy_checkpoint" and e["run"] == "legacy:wf_e3bef6ab"]
    assert len([e for e in events if e.get("kind", "").endswith("_feedback")]) == 2
    last = [e for e in events if e.get("run") == "legacy:wf_e3bef6ab"]
    # The log has no final line: interrupted at its last record; the state says write_tests completed.
    assert last[-1]["type"] == "interrupted" and last[-1]["ts"] == "2026-01-09T04:50:00.000Z"
    assert [e["type"] for e in last if e.get("task") == "EXECUTE.write_tests"][-1] == "task_completed"


def test_status_and_report_show_the_imported_runs(legacy_repo: Path, orch: OrchRunner) -> None:
    repo = legacy_repo
    _ok(orch("migrate", cwd=repo))
    status = json.loads(_ok(orch("status", "--json", cwd=repo)).stdout)
    assert status["run"]["id"] == "legacy:wf_e3bef6ab" and status["run"]["status"] == "interrupted"
    states = {t["id"]: t["state"] for t in status["tasks"]}
    assert states == {"PLAN.initial_plan": "completed", "PLAN.user_approval": "completed",
                      "PLAN": "completed", "EXECUTE.write_tests": "completed",
                      "EXECUTE.implement_code": "pending", "EXECUTE": "interrupted",
                      "REVIEW.security_review": "pending", "REVIEW": "pending"}
    human = _ok(orch("status", cwd=repo))
    assert "legacy:wf_e3bef6ab: interrupted" in human.stdout and "Add retry to fetch" in human.stdout
    report = _ok(orch("report", cwd=repo))
    assert "Run report — legacy:wf_e3bef6ab" in report.stdout and "Add retry to fetch" in report.stdout
    assert "| EXECUTE.implement_code | Implement Code | pending |" in report.stdout


def test_remove_legacy_leaves_tracked_files_worktrees_and_prd_state_and_rollback_restores(
        legacy_repo: Path, orch: OrchRunner, backend: str) -> None:  # both git backends
    repo = legacy_repo
    before = wo.snapshot(repo)
    (repo / ".orchestrator" / "worktrees" / "fix-retry-3f9c" / "build").mkdir()  # an empty folder there
    removal = json.loads(_ok(orch("migrate", "--remove-legacy", "--json", cwd=repo)).stdout)
    kept = {k["path"]: k["reason"] for k in removal["kept"]}
    assert set(kept) == {".orchestrator/external_reviews.json", ".orchestrator/review_gemini.md"}
    assert all("tracked by git" in reason for reason in kept.values())
    assert ".workflow_log.jsonl" in removal["removed"] and not (repo / ".workflow_log.jsonl").exists()
    assert (repo / ".claude" / "prd_state.json").exists()
    assert (repo / ".orchestrator" / "worktrees" / "fix-retry-3f9c" / "build").is_dir()  # never pruned
    status = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True).stdout
    assert ".orchestrator/review_gemini.md" not in status  # tracked files untouched
    _ok(orch("migrate", "--rollback", cwd=repo))
    assert wo.snapshot(repo) == before  # byte for byte


def test_a_checkpoint_alone_gives_its_workflow_a_run(repo: Path, orch: OrchRunner) -> None:
    wo.write_checkpoint(repo, "wf_5c0ffee1")  # the state snapshot inside it is the only state
    _ok(orch("migrate", cwd=repo))
    status = json.loads(_ok(orch("status", "--json", cwd=repo)).stdout)
    assert status["run"]["id"] == "legacy:wf_5c0ffee1" and status["run"]["title"] == "Add retry to fetch"
    assert status["counts"] == {"completed": 4, "pending": 3, "interrupted": 1}  # EXECUTE was active
