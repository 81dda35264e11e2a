"""`git orch ci collect`: fold a CI run's result refs into the state branch, then report.

Each round fetches the remote's state branch and the run's result refs, merges them (a
union), records what the run's jobs could not (tasks whose job never ran are blocked; the
run's end), pushes with compare-and-swap (`store.sync`, retried when another writer got
there first), and deletes the result refs it folded, each leased on the commit it read:
a result re-pushed meanwhile is kept and folded in the next round.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gitorch import events as ev
from gitorch.ci.results import fetch_results, fold_results
from gitorch.cirun import CiRun
from gitorch.errors import EXIT_FAILED, EXIT_OK, EXIT_PAUSED, StateConflict
from gitorch.gitcmd import git

if TYPE_CHECKING:
    from gitorch.plan.model import Plan
    from gitorch.store.state import StateStore
    from gitorch.views.fold import RunView

ROUNDS = 10


@dataclass
class Collected:
    """What collect folded and how the run ended."""

    run: str
    status: str
    exit_code: int
    results: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    report: str = ""
    junit: str = ""


def run_view(store: StateStore, run: CiRun, plan: Plan) -> RunView | None:
    """The CI run as its events say (every job's events share the run id)."""
    from gitorch.views.fold import fold_runs

    views = [v for v in fold_runs(store.events(run=run.id), plan) if v.id == run.id]
    return views[0] if views else None


def _closing_events(view: RunView | None, plan: Plan, run: CiRun) -> tuple[list[ev.Event], str]:
    """Blocked records for tasks whose job never ran after a failure, and the run's end."""
    states = {t: v.state for t, v in view.tasks.items()} if view else {t.id: "pending" for t in plan.tasks}
    out: list[ev.Event] = []
    bad = {"failed", "blocked"}
    for task in plan.tasks:  # plan order: dependencies are decided first
        if states.get(task.id) != "pending":
            continue
        culprits = [d for d in task.dependencies if states.get(d) in bad]
        if culprits:
            states[task.id] = "blocked"
            out.append(ev.TaskBlocked(run=run.id, task=task.id, blocked_by=culprits))
    failures = [t for t, s in states.items() if s == "failed"]
    if failures or "blocked" in states.values():
        status = "failed"
    elif any(s in ("pending", "awaiting_approval", "in_progress") for s in states.values()):
        status = "paused"
    else:
        status = "completed"
    out.append(ev.Completed(run=run.id, status=status, failures=failures))
    return out, status


def _delete(store: StateStore, remote: str, folded: dict[str, str]) -> bool:
    """Delete the folded result refs, each leased on the commit folded; False when one moved."""
    if not folded:
        return True
    leases = [f"--force-with-lease={ref}:{oid}" for ref, oid in sorted(folded.items())]
    specs = [f":{ref}" for ref in sorted(folded)]
    proc = git(["push", "--quiet", "--atomic", *leases, remote, *specs], store.repo.cwd, check=False)
    for ref in folded:
        git(["update-ref", "-d", ref], store.repo.cwd, check=False)
    return proc.returncode == 0


def collect(store: StateStore, plan: Plan, remote: str, run: CiRun) -> Collected:
    """Fold, close, push and clean up (see the module docstring); the run's status."""
    from gitorch.store.sync import sync

    total = 0
    for attempt in range(1, ROUNDS + 1):
        has_state = git(["ls-remote", "--exit-code", remote, store.ref], store.repo.cwd, check=False)
        if has_state.returncode == 0:
            sync(store, remote, push=False)
        folded = fetch_results(store, remote, run)
        total += fold_results(store, folded.values(), run)
        closing, status = _closing_events(run_view(store, run, plan), plan, run)
        store.append(closing, message=f"orch: collect {run.id} ({status})")
        sync(store, remote)
        if _delete(store, remote, folded):
            break
        time.sleep(random.uniform(0.05, 0.3) * attempt)  # a job re-pushed its result: fold again
    else:
        raise StateConflict(f"result refs of {run.id} kept changing; run `git orch ci collect` again")
    view = run_view(store, run, plan)
    counts: dict[str, int] = {}
    for t in view.tasks.values() if view else []:
        counts[t.state] = counts.get(t.state, 0) + 1
    code = {"completed": EXIT_OK, "paused": EXIT_PAUSED}.get(status, EXIT_FAILED)
    return Collected(run.id, status, code, total, counts, view.failures if view else [])


def render(store: StateStore, plan: Plan, run: CiRun, result: Collected) -> Collected:
    """The Markdown report and JUnit XML of the run (from the events, as `report` makes them)."""
    from gitorch.views.report import render_junit, render_report

    view = run_view(store, run, plan)
    if view is not None:
        result.report = render_report(view, plan, log_reader=store.read)
        result.junit = render_junit(view, plan)
    return result
