"""The end of a run writes TASKS.md from the run it folded with the plan (render_dashboard's
laid_out path): the state branch holds the very bytes the plain path renders from the
recorded events and plan."""

from __future__ import annotations

import subprocess
from pathlib import Path

from gitorch.engine.run import RunOptions, Silent, execute
from gitorch.engine.status import _recorded_plan
from gitorch.store import layout
from gitorch.views.dashboard import render_dashboard
from tests.engine.helpers import fresh_context, write_plan


def test_tasks_md_on_the_branch_is_the_plain_rendering(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    write_plan(root, [
        {"id": "A", "title": "first", "commands": {"t": "true"}},
        {"id": "B", "dependencies": ["A"], "commands": {"t": "exit 3"}},
        {"id": "C", "title": "after B", "dependencies": ["B"], "commands": {"t": "true"}},
        {"id": "D", "dependencies": ["A"], "commands": {"t": "true"}},
    ])
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "commit", "-qm", "start"], cwd=root, check=True)
    for _ in range(2):  # a first run, then a re-run that skips what passed
        result = execute(fresh_context(root), RunOptions(), Silent())
        assert result.status == "failed"
        found = _recorded_plan(fresh_context(root))
        assert found is not None
        store, run, plan = found
        assert run.id == result.run
        written = store.read(layout.DASHBOARD)
        assert written is not None
        assert written.decode() == render_dashboard(run, plan)
        assert "- [ ] B (failed)" in written.decode() and "C — after B (blocked)" in written.decode()
