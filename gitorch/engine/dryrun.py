"""`run --dry-run`: what a run would do, executing nothing and writing nothing.

Each task's action is the one `decide.forecast` gives (the decision the run itself makes),
so a dry run and the run agree."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import msgspec

from gitorch.engine.decide import Action, forecast
from gitorch.engine.history import read_history
from gitorch.engine.run import RunOptions
from gitorch.engine.setup import load, selection_of, task_inputs
from gitorch.plan.model import CommandCheck, Task

if TYPE_CHECKING:
    from gitorch.context import Context


class DryCommand(msgspec.Struct, frozen=True, omit_defaults=True):
    """One command a run would start (a check's command is named `check`)."""

    name: str
    cmd: str
    shard: str | None = None


class DryTask(msgspec.Struct, frozen=True):
    """One task of a dry run: what the run would do with it and why."""

    id: str
    title: str
    action: Action
    reason: str
    dependencies: list[str]
    commands: list[DryCommand]
    acceptance: list[str]
    gates: list[str]
    inputs: str


class DryRun(msgspec.Struct, frozen=True):
    """The whole dry run (`run --dry-run --json` prints it as it is)."""

    plan: str
    plan_digest: str
    tasks: list[DryTask]
    build: str | None
    jobs: int
    dry_run: bool = True


def dry_run(ctx: Context, opts: RunOptions) -> DryRun:
    """What `run` would do, executing nothing and writing nothing."""
    lp = load(ctx, prefetch=True)
    selection = selection_of(lp, opts.tasks, opts.all)
    history = read_history(lp)
    inputs = task_inputs(lp)
    decisions = forecast(lp.plan, lp.order, selection, plan_digest=lp.digest,
                         inputs={t: i.digest for t, i in inputs.items()}, passes=history.passes,
                         approvals=history.approvals, force=opts.force)
    from gitorch.engine.checks import describe

    tasks = [
        DryTask(id=tid, title=task.title, action=d.action, reason=d.reason,
                dependencies=[x for x in task.dependencies if x in selection],
                commands=commands_of(task), acceptance=[describe(c) for c in task.acceptance],
                gates=lp.plan.gates_for(task), inputs=inputs[tid].digest)
        for tid, d in decisions.items() for task in (lp.by_id[tid],)
    ]
    build = lp.plan.project.build.release
    # the release build runs only when every selected task ends completed (or skipped)
    finishes = all(t.action in ("run", "skip") and not decisions[t.id].manual for t in tasks)
    will_build = bool(build) and not opts.no_build and finishes and any(
        lp.by_id[t.id].type == "code_change" and t.action == "run" for t in tasks)
    return DryRun(plan=lp.file, plan_digest=lp.digest, tasks=tasks, build=build if will_build else None,
                  jobs=opts.jobs or lp.settings.jobs or os.cpu_count() or 1)


def commands_of(task: Task) -> list[DryCommand]:
    """Every command the task would start, in order: its own, each shard's, the checks'."""
    out = [DryCommand(n, c) for n, c in task.commands.items()]
    for shard in task.shards:
        out += [DryCommand(n, c, shard.id) for n, c in shard.commands.items()]
        out += [DryCommand("check", c.run, shard.id) for c in shard.acceptance if isinstance(c, CommandCheck)]
    out += [DryCommand("check", c.run) for c in task.acceptance if isinstance(c, CommandCheck)]
    return out


_VERB = {"run": "run", "skip": "skip", "await_approval": "await approval", "waiting_on": "wait",
         "blocked": "be blocked", "ready": "run"}


def print_dry_run(doc: DryRun, write: Callable[[str], object] | None = None) -> None:
    """The dry run as lines a person reads: one per task, its commands indented (to stdout
    as it is at the call, not at import: an in-process caller may have replaced it)."""
    write = write or sys.stdout.write
    for t in doc.tasks:
        extra = f" ({t.reason})" if t.reason else ""
        write(f"{t.id}: would {_VERB[t.action]}{extra}\n")
        for c in t.commands:
            where = f"[{c.shard}] " if c.shard else ""
            write(f"  $ {where}{c.cmd}\n")
    if doc.build:
        write(f"(build): would run\n  $ {doc.build}\n")
