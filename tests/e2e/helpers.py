"""Helpers for end-to-end tests: plans on disk, the state branch read back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gitorch import events as ev


def write_plan(root: Path, tasks: list[dict[str, Any]], **top: Any) -> Path:
    """orchestrator.json at `root` with `tasks` (and top-level keys such as project)."""
    path = root / "orchestrator.json"
    path.write_text(json.dumps({"version": 1, **top, "tasks": tasks}, indent=1))
    return path


def events(root: Path) -> list[ev.Event]:
    """Every event of the repository at `root` (branch plus journal)."""
    from gitorch import config
    from gitorch.config import open_store
    from gitorch.repo import find_repo

    config._cache.clear()
    return open_store(find_repo(root)).events()


def of_type(evs: list[ev.Event], cls: type[ev.Event], task: str | None = None) -> list[Any]:
    return [e for e in evs if isinstance(e, cls) and (task is None or e.task == task)]


def status(orch: Any, root: Path) -> dict[str, Any]:
    proc = orch("status", "--json", cwd=root)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def states(orch: Any, root: Path) -> dict[str, str]:
    """Task states of the latest run, folded in-process (quicker than `status --json`)."""
    from gitorch.plan.load import load_plan
    from gitorch.repo import find_repo
    from gitorch.views.fold import latest_run

    plan = load_plan(None, find_repo(root)).plan
    run = latest_run(events(root), plan)
    if run is None:
        return {t.id: "pending" for t in plan.tasks}
    return {tid: t.state for tid, t in run.tasks.items()}


def marks(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []
