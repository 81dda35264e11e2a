"""Read-only commands and legacy state: the one-time notice and dual-read, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from legacy_fixtures import write_all

from tests.conftest import OrchRunner, git


def test_events_and_state_log_show_the_notice_once_and_read_legacy(repo: Path, orch: OrchRunner) -> None:
    write_all(repo)
    first = orch("events", cwd=repo)
    assert first.returncode == 0, first.stderr
    assert "legacy orchestrator state found" in first.stderr and "git orch migrate" in first.stderr
    assert "legacy:20250922T110314Z/EXC-001" in first.stdout  # dual-read: legacy events shown
    again = orch("events", cwd=repo)
    assert again.returncode == 0 and "legacy orchestrator" not in again.stderr  # one time
    assert orch("state", "log", cwd=repo).stderr == ""

    # --json: valid JSONL on stdout, the notice not used up by a machine reader.
    (repo / ".git" / "orch" / "legacy-notice").unlink()
    as_json = orch("events", "--json", "--type", "task_started", cwd=repo)
    assert as_json.returncode == 0 and as_json.stderr == ""
    lines = [json.loads(x) for x in as_json.stdout.splitlines()]
    assert lines and {e["type"] for e in lines} == {"task_started"}
    log = orch("state", "log", cwd=repo)
    assert log.returncode == 0 and "legacy orchestrator state found" in log.stderr
    assert "orch/state" not in git(repo, "for-each-ref")  # reading never migrates

    assert orch("migrate", cwd=repo).returncode == 0
    (repo / ".git" / "orch" / "legacy-notice").unlink()
    after = orch("events", cwd=repo)
    assert after.returncode == 0 and after.stderr == ""
    # Migrated events are read from the branch once, not again from the files.
    ids = [json.loads(x)["id"] for x in orch("events", "--json", cwd=repo).stdout.splitlines()]
    assert len(ids) == len(set(ids))
