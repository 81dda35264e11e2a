"""A task's fate in the next run, decided in one place.

`decide()` answers "will this task run, and why not?" for one task; the scheduler's fill
step, the dry run, `explain`, `status` and `next` all ask it and only render its answer, so
they cannot disagree. `forecast()` walks a plan in order and asks `decide()` for every task,
assuming each task that would run passes (what a dry run and `explain` show).

The order of the questions is the scheduler's: a task whose dependency failed is blocked;
one whose dependencies are not done waits on them; then a task whose inputs are the ones it
last passed on is skipped (unless --force); then an unapproved gate holds it; otherwise it
runs (a task with nothing gitorch can run itself is manual work that waits for its checks).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal

import msgspec

from gitorch.engine.gates import stale_approvals, unmet_gates
from gitorch.plan.model import CommandCheck, Plan, Task

if TYPE_CHECKING:
    from gitorch import events as ev
    from gitorch.engine.history import Pass

Action = Literal["run", "skip", "await_approval", "blocked", "waiting_on", "ready"]
DONE_STATES = frozenset({"completed", "skipped"})
FAILED_STATES = frozenset({"failed", "blocked"})


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    """What the next run does with one task, and why."""

    task: str
    action: Action
    reason: str = ""
    gate: str | None = None  # await_approval: the first gate that still waits
    gates: list[str] = msgspec.field(default_factory=list)  # every gate that still waits
    stale: list[str] = msgspec.field(default_factory=list)  # approvals given that no longer apply
    blocked_by: list[str] = msgspec.field(default_factory=list)
    waiting_on: list[str] = msgspec.field(default_factory=list)
    manual: bool = False  # run: nothing to execute; it completes when its acceptance passes


def is_manual(task: Task) -> bool:
    """A task with no command and no command check anywhere: work a person or an agent does,
    which completes when its (file or content) acceptance passes. A task with only command
    checks (`Tests pass: …`, `{run: …}`) is automated: its checks run like commands."""
    if task.commands or any(s.commands for s in task.shards):
        return False
    if task.agent:  # an agent's work, and no agent command here: an agent outside does it
        return True
    checks = [*task.acceptance, *(c for s in task.shards for c in s.acceptance)]
    return not any(isinstance(c, CommandCheck) for c in checks)


def unchanged_reason(last: Pass) -> str:
    at = f" at {last.commit[:7]}" if last.commit else ""
    return f"unchanged since the last pass in run {last.run}{at}"


def decide(
    task: Task,
    *,
    plan: Plan,
    plan_digest: str,
    inputs: str | None,
    last: Pass | None,
    approvals: Iterable[ev.Approved],
    dep_states: Mapping[str, str] | None = None,
    force: bool = False,
) -> Decision:
    """The fate of `task`: see the module docstring.

    `inputs`: the task's current inputs digest; None when the caller did not compute them
    (`status`, `next`): then a task whose dependencies are done is `ready`.
    `dep_states`: the state of each dependency in the selection (None: all done)."""
    if dep_states is not None:
        deps = [d for d in task.dependencies if d in dep_states]
        bad = [d for d in deps if dep_states[d] in FAILED_STATES]
        if bad:
            return Decision(task=task.id, action="blocked", blocked_by=bad,
                            reason="blocked by " + ", ".join(bad))
        open_ = [d for d in deps if dep_states[d] not in DONE_STATES]
        if open_:
            return Decision(task=task.id, action="waiting_on", waiting_on=open_,
                            reason="waits for " + ", ".join(open_))
    if inputs is None:
        return Decision(task=task.id, action="ready", reason="its dependencies are done")
    if not force and last is not None and last.inputs == inputs:
        return Decision(task=task.id, action="skip", reason=unchanged_reason(last))
    # a task with no gate (the usual one: none of its own, none for its type) skips the approvals
    has_gates = task.approvals or plan.orchestrator.approvals.required
    given = list(approvals) if has_gates else []
    gates = unmet_gates(plan, task, plan_digest, inputs, given) if has_gates else []
    if gates:
        stale = stale_approvals(gates[0], task.id, plan_digest, inputs, given)
        return Decision(task=task.id, action="await_approval", gate=gates[0], gates=gates,
                        stale=stale, reason=f"gate {gates[0]}")
    if is_manual(task):
        return Decision(task=task.id, action="run", manual=True,
                        reason="manual task: completes when its acceptance passes")
    return Decision(task=task.id, action="run", reason="never passed" if last is None else "inputs changed")


# What a task's state is after the decision, when every task that runs passes.
_AFTER = {"run": "completed", "skip": "skipped", "await_approval": "awaiting_approval",
          "blocked": "blocked", "waiting_on": "pending", "ready": "pending"}


def forecast(
    plan: Plan,
    order: Sequence[str],
    selection: Iterable[str],
    *,
    plan_digest: str,
    inputs: Mapping[str, str],
    passes: Mapping[str, Pass],
    approvals: Sequence[ev.Approved],
    force: bool = False,
) -> dict[str, Decision]:
    """Every selected task's decision, in `order`, as the next run would make them (each
    task that runs assumed to pass; a manual one to wait for its acceptance)."""
    chosen = set(selection)
    by_id = {t.id: t for t in plan.tasks}
    states: dict[str, str] = {}
    out: dict[str, Decision] = {}
    for tid in order:
        if tid not in chosen:
            continue
        task = by_id[tid]
        dep_states = {d: states[d] for d in task.dependencies if d in states}
        d = decide(task, plan=plan, plan_digest=plan_digest, inputs=inputs.get(tid),
                   last=passes.get(tid), approvals=approvals, dep_states=dep_states, force=force)
        out[tid] = d
        states[tid] = "in_progress" if d.manual else _AFTER[d.action]
    return out
