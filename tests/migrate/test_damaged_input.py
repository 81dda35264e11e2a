"""Damaged or hostile legacy files and workflows: a warning or a located exit 2, never exit 70."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import OrchRunner


def _ok(proc: subprocess.CompletedProcess[str], code: int = 0) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stdout + proc.stderr and "internal error" not in proc.stderr
    return proc


def test_a_state_file_of_the_wrong_shape_imports_what_it_can(repo: Path, orch: OrchRunner) -> None:
    """`phases` as a list (or items as a list) was an AttributeError, exit 70."""
    (repo / ".workflow_state.json").write_text('{"workflow_id": "w", "task": "t", "phases": [1]}')
    _ok(orch("migrate", "--dry-run", cwd=repo))
    (repo / ".workflow_state.json").write_text(
        '{"workflow_id": "w", "created_at": "2026-01-09T04:08:22Z", "phases": {"P": {"items": [1]}, '
        '"Q": {"items": {"a": {"status": "completed", "completed_at": "2026-01-09T05:00:00Z"}}}}}')
    assert "run legacy:w" in _ok(orch("migrate", cwd=repo)).stdout
    assert "Q.a" in _ok(orch("status", cwd=repo)).stdout


def test_nested_too_deeply_is_bad_input(repo: Path, orch: OrchRunner) -> None:
    """A JSON line, a JSON file and a workflow nested thousands deep were RecursionErrors."""
    deep = "[" * 5000 + "]" * 5000
    (repo / ".workflow_log.jsonl").write_text('{"a": 1}\n' + deep + "\n")
    (repo / ".workflow_checkpoints").mkdir()
    (repo / ".workflow_checkpoints/cp.json").write_text(deep)
    proc = _ok(orch("migrate", "--dry-run", cwd=repo), 2)
    assert ".workflow_log.jsonl: line 2 skipped: not valid JSON: nested too deeply" in proc.stderr
    assert "cp.json: not valid JSON: nested too deeply" in proc.stdout + proc.stderr
    (repo / "w.yaml").write_text("phases: " + deep + "\n")
    proc = _ok(orch("plan", "import", "w.yaml", cwd=repo), 2)
    assert "w.yaml: not valid YAML: nested too deeply" in proc.stderr


def test_a_workflow_id_with_control_characters_names_a_printable_run(repo: Path, orch: OrchRunner) -> None:
    """`legacy:<id>` was printed raw by migrate and status: an ESC in an id drove the terminal."""
    wid = "w\\u001b[2J x"
    (repo / ".workflow_log.jsonl").write_text(
        f'{{"timestamp": "2026-01-09T04:08:22Z", "event_type": "workflow_started", "workflow_id": "{wid}"}}\n'
        f'{{"timestamp": "2026-01-09T04:09:00Z", "event_type": "item_failed", "workflow_id": "{wid}", '
        '"phase_id": "P", "item_id": "a"}\n')
    assert "run legacy:w_[2J_x" in _ok(orch("migrate", cwd=repo)).stdout
    status = _ok(orch("status", cwd=repo)).stdout
    assert "legacy:w_[2J_x" in status and "\x1b" not in status
