"""A gate the forge held: when a GitHub job with `environment: <gate>` runs, its reviewers
approved it; the job records that approval in the state branch, naming who and which run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gitorch import events as ev
from gitorch.cirun import CiRun
from gitorch.errors import UsageError

if TYPE_CHECKING:
    from gitorch.context import Context


def record_forge_approval(ctx: Context, run: CiRun, gate: str, tasks: list[str]) -> list[ev.Approved]:
    """Approved events for `gate` of `tasks`, bound to this plan and commit."""
    from gitorch.gitcmd import git

    if run.engine != "github":
        where = "a GitLab job" if run.engine == "gitlab" else "not a GitHub Actions job"
        raise UsageError("`git orch ci approve` records a GitHub environment's approval; "
                         f"this is {where}", hint="approve with `git orch approve GATE`")
    check_gate(ctx, gate, tasks)
    loaded = ctx.plan
    head = git(["rev-parse", "--verify", "-q", "HEAD"], ctx.repo.cwd, check=False).stdout.decode().strip()
    who = f"{run.actor or 'unknown'} (GitHub environment {gate}, run {run.url or run.id})"
    approvals = [ev.Approved(run=run.id, task=tid, gate=gate, by=who, plan_digest=loaded.digest,
                             commit=head or None) for tid in tasks]
    ctx.store.append(approvals, message=f"approve {gate} ({', '.join(tasks)}) by {who}")
    return approvals


def check_gate(ctx: Context, gate: str, tasks: list[str]) -> None:
    """A UsageError unless every one of `tasks` is a task of the plan gated by `gate`."""
    loaded = ctx.plan
    by_id = {t.id: t for t in loaded.plan.tasks}
    for tid in tasks:
        if tid not in by_id:
            raise UsageError(f"unknown task {tid} (--task)")
        if gate not in loaded.plan.gates_for(by_id[tid]):
            raise UsageError(f"task {tid} has no gate {gate!r}")


def wait_for_local_approval(ctx: Context, run: CiRun, remote: str, gate: str, tasks: list[str],
                            timeout: float, every: float) -> bool:
    """A `ci: local` gate (`--local-gate`): record that the job waits, push it, then pull the
    state until an approval (`git orch approve`, synced) opens the gate for every task.
    False when `timeout` seconds pass first."""
    import time

    from gitorch.engine.gates import unmet_gates
    from gitorch.store.sync import sync

    check_gate(ctx, gate, tasks)
    loaded = ctx.plan
    by_id = {t.id: t for t in loaded.plan.tasks}
    store = ctx.store
    store.append([ev.AwaitingApproval(run=run.id, task=tid, gate=gate) for tid in tasks],
                 message=f"orch: {', '.join(tasks)} wait for {gate} in {run.id}")
    sync(store, remote)
    deadline = time.monotonic() + timeout
    while True:
        given = [e for e in store.events(types=["approved"]) if isinstance(e, ev.Approved)]
        if not any(unmet_gates(loaded.plan, by_id[t], loaded.digest, None, given) for t in tasks):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(every)
        sync(store, remote, push=False)
