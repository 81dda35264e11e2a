"""Legacy state written the way the seed's tools wrote it (json.dumps, append-only JSONL)."""

from __future__ import annotations

import json
from pathlib import Path

SESSION = "a1b2c3d4"


def _jsonl(path: Path, records: list[dict[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:  # the seed appends one json.dumps line per event
        for r in records:
            fh.write(json.dumps(r) + "\n")


def write_scattered(root: Path) -> list[str]:
    """The first tool's files at the repo root: .workflow_state.json and .workflow_log.jsonl."""
    state = {
        "workflow_id": "wf_7c1e", "task_description": "Add retry to fetch", "status": "active",
        "current_phase": "EXECUTE", "created_at": "2025-11-02T10:00:00.123456",
        "phases": {"PLAN": {"status": "completed", "items": {"write_plan": {"status": "completed"}}},
                   "EXECUTE": {"status": "in_progress", "items": {"tests": {"status": "pending"}}}},
    }
    (root / ".workflow_state.json").write_text(json.dumps(state, indent=2))
    _jsonl(root / ".workflow_log.jsonl", [
        {"timestamp": "2025-11-02T10:00:00.200000", "event_type": "workflow_started",
         "workflow_id": "wf_7c1e", "message": "Started workflow"},
        {"timestamp": "2025-11-02T10:05:00.000000", "event_type": "item_completed",
         "workflow_id": "wf_7c1e", "phase_id": "PLAN", "item_id": "write_plan",
         "message": "Completed item", "details": {"notes": "plan written"}},
        {"timestamp": "2025-11-02T10:06:00.000000", "event_type": "phase_advanced",
         "workflow_id": "wf_7c1e", "phase_id": "EXECUTE", "message": "Advanced to EXECUTE"},
    ])
    return [".workflow_state.json", ".workflow_log.jsonl"]


def write_contained(root: Path) -> list[str]:
    """The seed's `.orchestrator/` home: meta.json, current, sessions/<id>/{state,log,meta}."""
    orch = root / ".orchestrator"
    session = orch / "sessions" / SESSION
    session.mkdir(parents=True, exist_ok=True)
    (orch / "meta.json").write_text(json.dumps(
        {"created": "2025-12-01T09:00:00", "git_remote": "git@example.org:me/app.git",
         "version": "2.7.0"}, indent=2))
    (orch / "current").write_text(SESSION)
    (session / "meta.json").write_text(json.dumps(
        {"session_id": SESSION, "created_at": "2025-12-01T09:00:01.5", "repo_root": str(root)},
        indent=2))
    (session / "state.json").write_text(json.dumps(
        {"workflow_id": "wf_9f00", "status": "active", "current_phase": "REVIEW"}, indent=2))
    _jsonl(session / "log.jsonl", [
        {"timestamp": "2025-12-01T09:00:02", "event_type": "workflow_started", "workflow_id": "wf_9f00"},
        {"timestamp": "2025-12-01T09:30:00", "event_type": "phase_advanced", "phase_id": "REVIEW"},
    ])
    (orch / "secrets").mkdir(exist_ok=True)
    (orch / "secrets" / "OPENAI_API_KEY").write_text("sk-never-imported")
    return [".orchestrator/current", ".orchestrator/meta.json",
            f".orchestrator/sessions/{SESSION}/log.jsonl",
            f".orchestrator/sessions/{SESSION}/meta.json",
            f".orchestrator/sessions/{SESSION}/state.json"]


def write_codex_runs(root: Path) -> list[str]:
    """`.codex/runs/<timestamp>.jsonl` in the seed's event model."""
    _jsonl(root / ".codex" / "runs" / "20250922T110314Z.jsonl", [
        {"ts": "2025-09-22T11:03:14Z", "type": "task_started", "task": "EXC-001", "shard": None},
        {"ts": "2025-09-22T11:03:20Z", "type": "command_run", "task": "EXC-001",
         "cmd": "cargo test", "status": 0},
        {"ts": "2025-09-22T11:03:28Z", "type": "acceptance_passed", "task": "EXC-001",
         "check": "Tests pass"},
        {"ts": "2025-09-22T11:03:30Z", "type": "task_completed", "task": "EXC-001"},
    ])
    return [".codex/runs/20250922T110314Z.jsonl"]


def write_all(root: Path) -> list[str]:
    return sorted(write_scattered(root) + write_contained(root) + write_codex_runs(root))


def snapshot(root: Path) -> dict[str, bytes]:
    """Every legacy file's bytes (to compare byte for byte)."""
    out: dict[str, bytes] = {}
    for top in (".workflow_state.json", ".workflow_log.jsonl", ".orchestrator", ".codex"):
        base = root / top
        if base.is_file():
            out[top] = base.read_bytes()
        elif base.is_dir():
            for p in sorted(base.rglob("*")):
                if p.is_file():
                    out[p.relative_to(root).as_posix()] = p.read_bytes()
    return out
