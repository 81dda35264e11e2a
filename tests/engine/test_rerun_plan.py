"""A run records the plan it follows under plans/<digest>.json once: a re-run of the same plan
asks the branch's tree whether it is there (it does not read the plan back), and a changed
plan is recorded beside the old one. Both backends, the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import OrchRunner, git, make_repo
from tests.engine.helpers import write_plan

TASKS = [{"id": "a", "paths": {"preferred": ["a/"]}, "commands": {"t": "true"}},
         {"id": "b", "dependencies": ["a"], "commands": {"t": "true"}}]


def _plans(root: Path) -> dict[str, str]:
    """plans/ on the state branch: file name -> blob id."""
    out = git(root, "ls-tree", "orch/state", "plans/")
    return {line.split("\t")[1]: line.split()[2] for line in out.splitlines()}


def _run(orch: OrchRunner, root: Path) -> dict[str, int]:
    proc = orch("run", "--json", cwd=root)
    assert proc.returncode == 0, proc.stderr
    return dict(json.loads(proc.stdout)["counts"])


def test_the_plan_is_recorded_once_and_again_when_it_changes(tmp_path: Path, backend: str,
                                                              orch: OrchRunner) -> None:
    root = make_repo(tmp_path / "r", {"a/x.txt": "x\n"})
    write_plan(root, TASKS)
    git(root, "add", "orchestrator.json")
    git(root, "commit", "-q", "-m", "plan")
    assert _run(orch, root) == {"completed": 2}
    first = _plans(root)
    assert len(first) == 1
    recorded = json.loads(git(root, "show", f"orch/state:{next(iter(first))}"))
    assert [t["id"] for t in recorded["tasks"]] == ["a", "b"]
    assert _run(orch, root) == {"skipped": 2}
    assert _plans(root) == first  # the same blob, not written again
    changed = git(root, "diff", "--name-only", "orch/state~1", "orch/state")
    assert "plans/" not in changed
    write_plan(root, [TASKS[0], {**TASKS[1], "commands": {"t": "true && true"}}])
    assert _run(orch, root) == {"completed": 1, "skipped": 1}
    now = _plans(root)
    assert len(now) == 2 and set(first) < set(now)
    new = json.loads(git(root, "show", f"orch/state:{(set(now) - set(first)).pop()}"))
    assert new["tasks"][1]["commands"] == {"t": "true && true"}
