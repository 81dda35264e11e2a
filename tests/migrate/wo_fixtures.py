"""workflow-orchestrator's files, written the way its code writes them.

- state: `WorkflowState.model_dump(mode='json')` plus `_version`, `_checksum` (sha256 of the
  sorted-keys JSON without the three `_` keys, 32 hex) and `_updated_at`, then
  `json.dump(..., indent=2, default=str)` (src/engine.py save_state, src/state_version.py);
- log: one `json.dumps(WorkflowEvent.model_dump(mode='json'))` line per event, appended
  (src/engine.py log_event); fields timestamp, event_type, workflow_id, phase_id, item_id,
  message, details, actor; pydantic writes UTC times as `2026-01-06T04:08:22.969308Z`;
- checkpoints: `json.dump(CheckpointData.to_dict(), indent=2, default=str)` under
  `.workflow_checkpoints/cp_<date>_<time>_<micro>_<rand>_<md5[:4]>.json` (src/checkpoint.py);
- feedback: `json.dumps(dict) + '\\n'` appended to `.workflow_tool_feedback.jsonl` (anonymized)
  and `.workflow_process_feedback.jsonl` (src/cli.py cmd_feedback);
- sessions: `.orchestrator/sessions/<8 hex>/{meta.json,state.json,log.jsonl}` and
  `.orchestrator/current` without a newline (src/session_manager.py); the session copy of
  the log is a byte copy (`shutil.copy2`, scripts/migrate_to_sessions.py).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

SESSION = "3f9c2a1b"
PHASES = {"PLAN": ["initial_plan", "user_approval"], "EXECUTE": ["write_tests", "implement_code"],
          "REVIEW": ["security_review"]}


def _event(ts: str, kind: str, wid: str, message: str, phase: str | None = None,
           item: str | None = None, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"timestamp": ts, "event_type": kind, "workflow_id": wid, "phase_id": phase,
            "item_id": item, "message": message, "details": details or {}, "actor": "system"}


def workflow_log(wid: str, day: str, *, finish: bool = True, skip: bool = False) -> list[dict[str, Any]]:
    """The events of one workflow as the engine logs them (start, items, phases, finish)."""
    t = f"2026-01-{day}T"
    out = [_event(f"{t}04:08:22.969308Z", "workflow_started", wid, "Started workflow: Add retry to fetch",
                  details={"project": None, "workflow_type": "General Development Workflow"}),
           _event(f"{t}04:08:22.971002Z", "phase_started", wid, "Started phase: Planning & Scoping",
                  phase="PLAN")]
    out += [_event(f"{t}04:10:00.000001Z", "item_started", wid, "Started item: initial_plan", "PLAN",
                   "initial_plan"),
            _event(f"{t}04:20:00.500000Z", "item_completed", wid, "Completed item: initial_plan", "PLAN",
                   "initial_plan", {"notes": "plan written"}),
            _event(f"{t}04:21:00.000000Z", "item_completed", wid, "Completed item: user_approval", "PLAN",
                   "user_approval"),
            _event(f"{t}04:22:00.000000Z", "phase_completed", wid, "Completed phase: PLAN", "PLAN"),
            _event(f"{t}04:22:00.100000Z", "phase_started", wid, "Started phase: Implementation",
                   "EXECUTE"),
            _event(f"{t}04:30:00.000000Z", "item_started", wid, "Started item: write_tests", "EXECUTE",
                   "write_tests")]
    if skip:
        out.append(_event(f"{t}04:31:00.000000Z", "item_skipped", wid, "Skipped item: write_tests",
                          "EXECUTE", "write_tests", {"reason": "covered by the existing suite"}))
    else:
        out.append(_event(f"{t}04:45:10.250000Z", "item_failed", wid, "Verification failed: npm test",
                          "EXECUTE", "write_tests"))
    if finish:
        out.append(_event(f"{t}05:00:00.000000Z", "workflow_completed", wid, "Workflow completed",
                          details={"notes": None}))
    return out


def checksum(state: dict[str, Any]) -> str:
    body = {k: v for k, v in state.items() if k not in ("_checksum", "_updated_at", "_version")}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32]


def workflow_state(wid: str, status: str = "active") -> dict[str, Any]:
    """WorkflowState.model_dump(mode='json') of a workflow half-way through EXECUTE."""
    def item(iid: str, st: str, at: str | None = None, reason: str | None = None) -> dict[str, Any]:
        return {"id": iid, "status": st, "started_at": at, "completed_at": at if st == "completed" else None,
                "skipped_at": at if st == "skipped" else None, "skip_reason": reason,
                "skip_context_considered": None, "notes": None, "verification_result": None,
                "retry_count": 0, "files_modified": None, "evidence": None, "gate_result": None}
    phases = {
        "PLAN": {"id": "PLAN", "status": "completed", "started_at": "2026-01-09T04:08:22.969308Z",
                 "completed_at": "2026-01-09T04:22:00.000000Z",
                 "items": {"initial_plan": item("initial_plan", "completed", "2026-01-09T04:20:00.500000Z"),
                           "user_approval": item("user_approval", "completed", "2026-01-09T04:21:00Z")}},
        "EXECUTE": {"id": "EXECUTE", "status": "active", "started_at": "2026-01-09T04:22:00.100000Z",
                    "completed_at": None,
                    "items": {"write_tests": item("write_tests", "completed", "2026-01-09T04:50:00Z"),
                              "implement_code": item("implement_code", "pending")}},
        "REVIEW": {"id": "REVIEW", "status": "pending", "started_at": None, "completed_at": None,
                   "items": {"security_review": item("security_review", "pending")}},
    }
    definition = {"name": "General Development Workflow", "version": "2.1", "description": "5 phases",
                  "phases": [{"id": p, "name": p.title(), "description": None, "agent": None,
                              "executor": None,
                              "items": [{"id": i, "name": i.replace("_", " ").title(), "description": None,
                                         "required": True, "skippable": True, "skip_conditions": [],
                                         "verification": {"type": "none", "path": None, "command": None,
                                                          "expect_exit_code": 0, "description": None},
                                         "agent": None, "notes": [], "step_type": "flexible",
                                         "evidence_schema": None, "evidence_prompt": None} for i in items],
                              "exit_gate": None, "notes": [], "required_reviews": [],
                              "phase_type": "guided", "intended_tools": []} for p, items in PHASES.items()],
                  "settings": {"test_command": "npm test"}}
    state: dict[str, Any] = {
        "workflow_id": wid, "workflow_type": "General Development Workflow", "workflow_version": "2.1",
        "task_description": "Add retry to fetch", "project": None, "status": status,
        "current_phase_id": "EXECUTE", "phases": phases, "created_at": "2026-01-09T04:08:22.969308Z",
        "updated_at": "2026-01-09T04:50:00.000000Z", "completed_at": None,
        "metadata": {"workflow_yaml_path": "/home/dev/app/workflow.yaml",
                     "workflow_yaml_checksum": "2f60a7469fd62ab6"},
        "workflow_definition": definition, "constraints": [],
    }
    state["_version"] = "3.0"
    state["_checksum"] = checksum(state)
    state["_updated_at"] = "2026-01-09T04:50:00.123456+00:00"
    return state


def append_log(path: Path, events: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        for e in events:
            f.write(json.dumps(e, default=str) + "\n")


def write_state(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as f:
        json.dump(state, f, indent=2, default=str)


def write_checkpoint(root: Path, wid: str) -> str:
    tail = hashlib.md5(wid.encode()).hexdigest()[:4]
    rel = f".workflow_checkpoints/cp_20260109_043301_819856_0412_{tail}.json"
    data = {"checkpoint_id": Path(rel).stem, "workflow_id": wid, "phase_id": "EXECUTE", "item_id": None,
            "timestamp": "2026-01-09T04:33:01.819856+00:00", "message": "Completed the plan",
            "context_summary": "Task: Add retry to fetch; Current Phase: EXECUTE; "
                               "Progress: 2/5 items completed",
            "key_decisions": ["Used direct implementation"], "file_manifest": ["src/fetch.py"],
            "workflow_state_snapshot": workflow_state(wid), "parent_checkpoint_id": None}
    (root / ".workflow_checkpoints").mkdir(exist_ok=True)
    with (root / rel).open("w") as f:
        json.dump(data, f, indent=2, default=str)
    return rel


def write_feedback(root: Path) -> list[str]:
    tool = {"timestamp": "2026-01-09T05:01:00.000000+00:00", "mode": "auto", "duration_seconds": 3097,
            "phases": {"PLAN": 818}, "parallel_agents_used": False, "reviews_performed": False,
            "errors_count": 0, "items_skipped_count": 1, "repo_type": "python",
            "orchestrator_version": "2.6.0",
            "workflow_id_hash": "9a1c0f3e5d7b2a41"}
    process = {"timestamp": "2026-01-09T05:01:00.000000+00:00", "workflow_id": "unknown", "task": "",
               "repo": "git@example.org:me/app.git", "mode": "auto", "parallel_agents_used": False,
               "errors_summary": [], "items_skipped_reasons": [], "learnings": "retry needs jitter"}
    append_log(root / ".workflow_tool_feedback.jsonl", [tool])
    append_log(root / ".workflow_process_feedback.jsonl", [process])
    return [".workflow_process_feedback.jsonl", ".workflow_tool_feedback.jsonl"]


def write_prd_state(root: Path) -> None:
    (root / ".claude").mkdir(exist_ok=True)
    (root / ".claude" / "prd_state.json").write_text(json.dumps(
        {"prd_id": "prd-retry", "prd_title": "Retry", "tasks": [{"id": "t1", "status": "done"}]}, indent=2))


def write_everything(root: Path) -> None:
    """A repository that used workflow-orchestrator for a while: nine workflows in the root
    log (the last one still active, no final line), its state, the session copy of both
    left by scripts/migrate_to_sessions.py, a checkpoint, feedback and PRD state."""
    log = root / ".workflow_log.jsonl"
    for n in range(8):
        append_log(log, workflow_log(f"wf_{n:04x}aa{n}", f"{n + 1:02d}", skip=n % 2 == 0))
    append_log(log, workflow_log("wf_e3bef6ab", "09", finish=False))
    write_state(root / ".workflow_state.json", workflow_state("wf_e3bef6ab"))
    session = root / ".orchestrator" / "sessions" / SESSION
    session.mkdir(parents=True)
    shutil.copy2(log, session / "log.jsonl")
    shutil.copy2(root / ".workflow_state.json", session / "state.json")
    (session / "meta.json").write_text(json.dumps(
        {"session_id": SESSION, "created_at": "2026-01-09T15:08:22.969308", "repo_root": str(root)},
        indent=2))
    (root / ".orchestrator" / "current").write_text(SESSION)
    write_checkpoint(root, "wf_e3bef6ab")
    write_feedback(root)
    write_prd_state(root)


def add_worktree(root: Path, name: str = "fix-retry-3f9c") -> str:
    """A worktree as src/worktree_manager.py makes it: .orchestrator/worktrees/<name>, branch wf-<id>."""
    subprocess.run(["git", "worktree", "add", "-q", "-b", f"wf-{SESSION}", f".orchestrator/worktrees/{name}"],
                   cwd=root, check=True, capture_output=True)
    return f".orchestrator/worktrees/{name}/"


def commit_tracked(root: Path) -> list[str]:
    """Files of .orchestrator/ that the project committed (reviews, external_reviews.json)."""
    orch = root / ".orchestrator"
    orch.mkdir(exist_ok=True)
    (orch / "review_gemini.md").write_text("# Review\n\nLooks fine.\n")
    (orch / "external_reviews.json").write_text(json.dumps({"reviews": []}, indent=2))
    paths = [".orchestrator/external_reviews.json", ".orchestrator/review_gemini.md"]
    subprocess.run(["git", "add", *paths], cwd=root, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "reviews"], cwd=root, check=True)
    return paths


def snapshot(root: Path) -> dict[str, bytes]:
    """Every legacy file's bytes, worktrees excluded (to compare byte for byte)."""
    out: dict[str, bytes] = {}
    for top in (".workflow_state.json", ".workflow_log.jsonl", ".workflow_tool_feedback.jsonl",
                ".workflow_process_feedback.jsonl", ".workflow_checkpoints", ".orchestrator", ".claude"):
        base = root / top
        if base.is_file():
            out[top] = base.read_bytes()
        elif base.is_dir():
            for p in sorted(base.rglob("*")):
                rel = p.relative_to(root).as_posix()
                if p.is_file() and "/worktrees/" not in rel:
                    out[rel] = p.read_bytes()
    return out
