"""Reading legacy files in place: scan, validation, conversion to events (no git writes)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from legacy_fixtures import write_all

from gitorch import events as ev
from gitorch.migrate import legacy
from gitorch.migrate.convert import convert


def test_scan_finds_every_layout_and_excludes_secrets(tmp_path: Path) -> None:
    expected = write_all(tmp_path)
    found = legacy.scan(tmp_path)
    assert [f.rel for f in found.files] == expected
    assert found.excluded == [".orchestrator/secrets/"]
    assert all(f.problem is None for f in found.files)
    kinds = {f.rel: f.kind for f in found.files}
    assert kinds[".workflow_state.json"] == "state" and kinds[".workflow_log.jsonl"] == "log"
    assert kinds[".codex/runs/20250922T110314Z.jsonl"] == "events"
    assert kinds[".orchestrator/meta.json"] == "meta" and kinds[".orchestrator/current"] == "other"
    # The blob id is git's, so a rollback can restore from the object database.
    import subprocess

    f = found.files[0]
    oid = subprocess.run(["git", "hash-object", "--stdin"], input=f.data, capture_output=True,
                         check=True).stdout.decode().strip()
    assert f.blob == oid


def test_invalid_json_names_the_line_and_a_bad_log_line_is_only_a_warning(tmp_path: Path) -> None:
    (tmp_path / ".workflow_state.json").write_text('{\n  "a": 1,\n  oops\n}')
    runs = tmp_path / ".codex" / "runs"
    runs.mkdir(parents=True)
    (runs / "r.jsonl").write_text('{"type": "task_started"}\n\n[1, 2\n{"type": "completed"}\n{"cut')
    found = legacy.scan(tmp_path)
    problems = {f.rel: f.problem for f in found.bad}
    assert list(problems) == [".workflow_state.json"] and "line 3" in str(problems[".workflow_state.json"])
    (log,) = found.good
    assert [line.number for line in log.lines] == [1, 4]
    assert log.warnings[0].startswith(".codex/runs/r.jsonl: line 3 skipped: not valid JSON")
    assert log.warnings[1].startswith(".codex/runs/r.jsonl: line 5 skipped: cut off")


def test_symlinked_directories_and_files_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "sessions" / "x").mkdir(parents=True)
    (outside / "sessions" / "x" / "state.json").write_text("{}")
    repo = tmp_path / "repo"
    (repo / ".orchestrator").mkdir(parents=True)
    (repo / ".orchestrator" / "sessions").symlink_to(outside / "sessions")
    (repo / ".codex").symlink_to(outside)
    (repo / ".workflow_log.jsonl").symlink_to(outside / "sessions" / "x" / "state.json")
    found = legacy.scan(repo)
    assert found.files == []
    assert found.symlinks == [".codex", ".orchestrator/sessions", ".workflow_log.jsonl"]
    assert legacy.exists(repo)


def _converted(root: Path, rel: str, data: bytes) -> list[ev.Event]:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (1_700_000_000, 1_700_000_000))
    return convert(legacy.scan(root)).events


def test_conversion_keeps_timestamps_and_types(tmp_path: Path) -> None:
    lines = [
        {"ts": "2025-09-22T11:03:14Z", "type": "task_started", "task": "A", "schema_version": 9},
        {"ts": 1758539000, "type": "command_run", "task": 7, "cmd": "make", "status": "2"},
        {"ts": "2025-09-22T11:03:30+02:00", "type": "command_run", "status": "not a number"},
        {"timestamp": "2025-11-02T10:00:00.2", "event_type": "phase_advanced", "item_id": "x"},
        {"type": "something_new", "value": 1, "ts": "2025-09-22T11:04:00Z"},
        [1, 2, 3],
    ]
    data = "".join(json.dumps(x) + "\n" for x in lines).encode()
    out = _converted(tmp_path, ".codex/runs/r1.jsonl", data)
    by_ts = {e.ts: e for e in out}
    first, second = by_ts["2025-09-22T11:03:14.000Z"], by_ts["2025-09-22T11:03:20.000Z"]
    assert isinstance(first, ev.TaskStarted) and first.schema_version == ev.EVENT_SCHEMA_VERSION
    assert first.run == "legacy:r1" and first.session == "legacy"
    assert isinstance(second, ev.CommandRun) and second.status == 2 and second.task == "7"
    third = by_ts["2025-09-22T09:03:30.000Z"]  # converted to UTC
    assert isinstance(third, ev.LegacyRecord) and third.kind == "legacy:command_run"
    fourth = by_ts["2025-11-02T10:00:00.200Z"]
    assert isinstance(fourth, ev.LegacyRecord) and fourth.kind == "legacy:phase_advanced"
    assert fourth.task == "x"
    assert isinstance(by_ts["2025-09-22T11:04:00.000Z"], ev.LegacyRecord)
    sixth = by_ts["2023-11-14T22:13:20.000Z"]  # no timestamp inside: the file's mtime
    assert isinstance(sixth, ev.LegacyRecord) and sixth.data == {"value": [1, 2, 3]}
    # Deterministic, content-derived ids: reading the same file again gives the same events.
    again = convert(legacy.scan(tmp_path)).events
    assert [e.id for e in again] == [e.id for e in out]
    assert len({e.id for e in out}) == len(out) == 6


def test_other_state_files_become_one_summary_event(tmp_path: Path) -> None:
    data = json.dumps({"tasks": {}, "status": "active", "_updated_at": "2026-01-12T08:58:09+00:00"}).encode()
    (e,) = _converted(tmp_path, ".orchestrator/state.json", data)
    assert isinstance(e, ev.LegacyRecord) and e.kind == "legacy_state"
    assert e.data["status"] == "active" and e.data["keys"] == ["_updated_at", "status", "tasks"]
    assert e.ts == "2026-01-12T08:58:09.000Z"  # dated by its own timestamp, not the mtime


def test_abandoned_and_completed_workflows_end_as_their_records_say(tmp_path: Path) -> None:
    import wo_fixtures as wo

    log = wo.workflow_log("wf_ab", "03", finish=False)
    log.append(wo._event("2026-01-03T06:00:00.000000Z", "workflow_abandoned", "wf_ab",
                         "Workflow abandoned: superseded by #42"))
    wo.append_log(tmp_path / ".workflow_log.jsonl", log)
    done = wo.workflow_state("wf_done", status="completed")
    done["completed_at"] = "2026-01-09T05:10:00.000000Z"
    wo.write_state(tmp_path / ".workflow_state.json", done)
    events = convert(legacy.scan(tmp_path)).events
    abandoned = [e for e in events if e.run == "legacy:wf_ab"][-1]
    assert isinstance(abandoned, ev.Interrupted) and abandoned.reason.endswith("superseded by #42")
    finished = [e for e in events if e.run == "legacy:wf_done"]
    assert isinstance(finished[0], ev.RunStarted) and finished[0].ts == "2026-01-09T04:08:22.969Z"
    assert isinstance(finished[-1], ev.Completed) and finished[-1].ts == "2026-01-09T05:10:00.000Z"
    assert finished[-1].duration == 3697.031
