"""The end of a run puts its one-line note on the verified commit with gitorch/views/note.py
alone: the report module (Gantt, JUnit, its regular expressions) is not imported by a run."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import OrchRunner, git, make_repo
from tests.engine.helpers import write_plan


def test_a_run_notes_its_commit_without_the_report(tmp_path: Path, orch: OrchRunner) -> None:
    root = make_repo(tmp_path / "r", {"a/one.txt": "one\n"})
    write_plan(root, [{"id": "a", "paths": {"preferred": ["a/"]}, "commands": {"t": "true"}}])
    git(root, "add", "orchestrator.json")
    git(root, "commit", "-q", "-m", "plan")
    for want in ("completed: a ok", "completed: a skipped"):  # a first run, then a re-run
        proc = orch("run", cwd=root, env={"PYTHONPROFILEIMPORTTIME": "1", "PYTHONDONTWRITEBYTECODE": "1"})
        assert proc.returncode == 0, proc.stderr
        imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()
                    if line.startswith("import time:")}
        assert "gitorch.views.note" in imported and "gitorch.views.report" not in imported
        note = git(root, "notes", "--ref", "orch", "show", "HEAD").splitlines()[-1]
        assert note.startswith("orch ") and note.endswith(want), note
