"""Dry run, explain and the real run agree on every task (one decision: engine/decide.py).

Hypothesis makes small plans (dependencies, paths, gates), a history (a first run, maybe an
approval) and edits; then the dry run's action, explain's action and what the run did must
be the same for each task. In-process, on a real temporary repository."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitorch import events as ev
from gitorch.engine.dryrun import dry_run
from gitorch.engine.explain import explain
from gitorch.engine.run import RunOptions, execute
from tests.engine.helpers import fresh_context, write_plan

FILES = ["a.txt", "b.txt", "c.txt"]


@st.composite
def plans(draw: Any) -> list[dict[str, Any]]:
    n = draw(st.integers(2, 4))
    tasks: list[dict[str, Any]] = []
    for i in range(n):
        tid = f"t{i}"
        earlier = [f"t{j}" for j in range(i)]
        deps = draw(st.lists(st.sampled_from(earlier), unique=True, max_size=2)) if earlier else []
        paths = draw(st.lists(st.sampled_from(FILES), unique=True, max_size=2))
        task: dict[str, Any] = {"id": tid, "commands": {"t": "true"}, "dependencies": deps}
        if paths:
            task["paths"] = {"preferred": paths}
        if draw(st.booleans()) and draw(st.booleans()):
            task["type"] = "deploy"  # gated by approvals.required
        tasks.append(task)
    return tasks


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def _outcomes(root: Path, run: str) -> dict[str, str]:
    """What the run did with each task, in the decision's words."""
    out: dict[str, str] = {}
    for e in fresh_context(root).store.events(run=run):
        if e.task is None:
            continue
        if isinstance(e, ev.TaskStarted):
            out[e.task] = "run"
        elif isinstance(e, ev.Skipped):
            out[e.task] = "skip"
        elif isinstance(e, ev.AwaitingApproval):
            out[e.task] = "await_approval"
    return out


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tasks=plans(), approve_first=st.booleans(), edits=st.lists(st.sampled_from(FILES), max_size=2),
       force=st.booleans())
def test_dry_run_explain_and_run_agree(tmp_path_factory: Any, tasks: list[dict[str, Any]],
                                       approve_first: bool, edits: list[str], force: bool) -> None:
    root = tmp_path_factory.mktemp("repo")
    _git(root, "init", "-q", "-b", "main")
    for f in FILES:
        (root / f).write_text(f"{f} 1\n")
    write_plan(root, tasks, orchestrator={"approvals": {"required": ["deploy"]}})
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "start")
    first = execute(fresh_context(root), RunOptions())
    if approve_first and first.awaiting:
        from gitorch.engine.gates import approve

        approve(fresh_context(root), "deploy")
    for f in edits:
        (root / f).write_text(f"{f} 2\n")
    opts = RunOptions(force=force)
    planned = {t.id: t.action for t in dry_run(fresh_context(root), opts).tasks}
    if not force:
        explained = {t["id"]: explain(fresh_context(root), t["id"]).action for t in tasks}
        assert explained == planned
    summary = execute(fresh_context(root), opts)
    did = _outcomes(root, summary.run)
    expected = {tid: a for tid, a in planned.items() if a in ("run", "skip", "await_approval")}
    assert did == expected, (planned, did)
