"""Finding the repository and its scratch directory."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import make_repo

PLAN = "version: 1\ntasks:\n  - id: a\n    commands: {x: 'true'}\n"


def test_unusable_scratch_dir_is_one_clear_error(tmp_path: Path, orch) -> None:
    """`.git/orch` that is a file: every command that needs it says so (exit 2), no traceback."""
    repo = make_repo(tmp_path / "r", {"orchestrator.yml": PLAN})
    (repo / ".git" / "orch").write_text("not a directory\n")
    proc = orch("run", "--all", cwd=repo)
    assert proc.returncode == 2, proc.stderr
    assert ".git/orch" in proc.stderr and "Traceback" not in proc.stderr
