"""Approval gates: which gates hold a task, and recording an approval.

An approval is bound to the plan digest, the commit it was given on, and the task's
inputs digest. It applies only while the plan and the task's inputs are unchanged, so an
approval given in another clone (after `sync`) works as long as it saw the same content.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from gitorch import events as ev
from gitorch.errors import UsageError
from gitorch.plan.model import Plan, Task

APPLY_PATCH = "apply_patch"  # the gate that holds an agent's patch (gitorch.agent.held)

if TYPE_CHECKING:
    from gitorch.context import Context
    from gitorch.store.state import StateStore


def matches(approval: ev.Approved, gate: str, task: str, plan_digest: str, inputs: str | None) -> bool:
    """Whether `approval` opens `gate` for `task` under this plan digest and these inputs."""
    if approval.gate != gate or approval.plan_digest != plan_digest:
        return False
    if approval.task is not None and approval.task != task:
        return False
    return approval.inputs is None or inputs is None or approval.inputs == inputs


def unmet_gates(
    plan: Plan, task: Task, plan_digest: str, inputs: str | None, approvals: Iterable[ev.Approved],
) -> list[str]:
    """The gates `task` still waits for before it runs, in the order it lists them.

    `apply_patch` on a task the agent does is not one of them: it holds the agent's passing
    patch after the run (gitorch.agent.held), not the task before it."""
    given = list(approvals)
    return [
        gate for gate in plan.gates_for(task)
        if not (gate == APPLY_PATCH and plan.agent_does(task))
        and not any(matches(a, gate, task.id, plan_digest, inputs) for a in given)
    ]


def stale_approvals(
    gate: str, task: str, plan_digest: str, inputs: str | None, approvals: Iterable[ev.Approved],
) -> list[str]:
    """Why approvals of `gate` for `task` that exist do not open it, one line each."""
    out: list[str] = []
    for a in approvals:
        if a.gate != gate or (a.task is not None and a.task != task):
            continue
        if matches(a, gate, task, plan_digest, inputs):
            continue
        why = "the plan changed since" if a.plan_digest != plan_digest else "the task's inputs changed since"
        out.append(f"the approval of {gate} by {a.by or 'someone'} ({a.ts}) no longer applies: {why}")
    return out


def run_in_progress(store: StateStore) -> bool:
    """Whether a run of this repository holds the run lock now (it then picks up approvals
    by itself, within a second)."""
    from gitorch.store.locks import funlock, try_flock

    path = store.repo.common_dir / "orch" / "locks" / "run.lock"
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below, whatever happens
    except OSError:
        return False
    try:
        if try_flock(fh):
            funlock(fh)
            return False
        return True
    finally:
        fh.close()


def default_approver(cwd: os.PathLike[str] | str | None = None) -> str:
    """Who approves when `--by` is not given: git's user.name, else the login name."""
    from gitorch.gitcmd import git

    proc = git(["config", "user.name"], cwd, check=False)
    name = proc.stdout.decode(errors="replace").strip()
    if name:
        return name
    import getpass  # with termios: only when git has no user.name (a re-run never asks)

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def select_waiting(awaiting: Sequence[tuple[str, str]], gate: str, task: str | None) -> list[str]:
    """Task ids of `awaiting` (task, gate) pairs that `approve GATE [--task ID]` concerns.

    Raises UsageError (exit 2) naming what does wait when nothing matches.
    """
    hit = [tid for tid, g in awaiting if g == gate and (task is None or tid == task)]
    if hit:
        return list(dict.fromkeys(hit))
    if not awaiting:
        raise UsageError(
            f"nothing waits for gate {gate!r}: no task of the latest run awaits an approval",
        )
    waiting = ", ".join(f"{g} ({tid})" for tid, g in awaiting)
    what = f"gate {gate!r}" + (f" for task {task}" if task else "")
    raise UsageError(f"nothing waits for {what}; waiting: {waiting}",
                     hint="name one of the waiting gates (and --task ID)")


def approve(ctx: Context, gate: str, task: str | None = None, by: str | None = None) -> list[ev.Approved]:
    """Record approval of `gate` for the tasks of the latest run waiting on it.

    Each approval names the task, the plan digest, HEAD and the task's inputs digest.
    UsageError (exit 2) when nothing waits for that gate (or that task).
    """

    from gitorch.engine.setup import load, task_inputs
    from gitorch.views.fold import latest_run

    lp = load(ctx, run_plan=True, prefetch=True)
    if task is not None and task not in lp.by_id:
        raise UsageError(f"unknown task {task} (--task)")
    run = latest_run(lp.events, lp.plan)
    if run is None:
        raise UsageError(f"no run to approve {gate} for: nothing has run here yet",
                         hint="start one with `git orch run`; it stops at the gate")
    awaiting = list(run.awaiting)
    tids = select_waiting(awaiting, gate, task)
    current = task_inputs(lp)
    who = by or default_approver(lp.repo_root)
    assert run is not None
    approvals = [
        ev.Approved(run=run.id, task=tid, gate=gate, by=who, plan_digest=lp.digest,
                    commit=lp.head, inputs=current[tid].digest if tid in current else None)
        for tid in tids
    ]
    lp.store.append(approvals, message=f"approve {gate} ({', '.join(tids)}) by {who}")
    return approvals
