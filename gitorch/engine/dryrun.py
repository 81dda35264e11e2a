"""`run --dry-run`: what a run would do, executing nothing and writing nothing."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

from gitorch.engine.gates import unmet_gates
from gitorch.engine.history import read_history
from gitorch.engine.run import RunOptions
from gitorch.engine.scheduler import closure
from gitorch.engine.setup import load, task_inputs
from gitorch.errors import UsageError


def dry_run(opts: RunOptions) -> dict[str, Any]:
    """What `run` would do, executing nothing and writing nothing."""
    lp = load(opts.file, opts.cwd, prefetch=True)
    if opts.tasks:
        unknown = [t for t in opts.tasks if t not in lp.by_id]
        if unknown:
            raise UsageError(f"unknown task {', '.join(unknown)} (--task)")
    deps = {t.id: list(t.dependencies) for t in lp.plan.tasks}
    selection = set(deps) if (opts.all or not opts.tasks) else closure(deps, opts.tasks)
    history = read_history(lp)
    inputs = task_inputs(lp)
    from gitorch.engine.checks import describe
    from gitorch.plan.model import CommandCheck

    tasks: list[dict[str, Any]] = []
    for tid in lp.order:
        if tid not in selection:
            continue
        task = lp.by_id[tid]
        cur = inputs[tid]
        last = history.passes.get(tid)
        commands = [{"name": n, "cmd": c} for n, c in task.commands.items()]
        for shard in task.shards:
            commands += [{"name": n, "cmd": c, "shard": shard.id} for n, c in shard.commands.items()]
            commands += [{"name": "check", "cmd": c.run, "shard": shard.id}
                         for c in shard.acceptance if isinstance(c, CommandCheck)]
        commands += [{"name": "check", "cmd": c.run} for c in task.acceptance if isinstance(c, CommandCheck)]
        would = "run"
        reason = ""
        if not opts.force and last is not None and last.inputs == cur.digest:
            would, reason = "skip", f"unchanged since the last pass in run {last.run}"
        else:
            gates = unmet_gates(lp.plan, task, lp.digest, cur.digest, history.approvals)
            if gates:
                would, reason = "await_approval", f"gate {gates[0]}"
            elif not task.commands and not any(s.commands for s in task.shards):
                reason = "manual task: completes when its acceptance passes"
        tasks.append({
            "id": tid, "title": task.title, "action": would, "reason": reason,
            "dependencies": [d for d in task.dependencies if d in selection],
            "commands": commands, "acceptance": [describe(c) for c in task.acceptance],
            "gates": lp.plan.gates_for(task), "inputs": cur.digest,
        })
    build = lp.plan.project.build.release
    will_build = bool(build) and not opts.no_build and any(
        lp.by_id[t["id"]].type == "code_change" and t["action"] == "run" for t in tasks)
    return {"dry_run": True, "plan": lp.file, "plan_digest": lp.digest, "tasks": tasks,
            "build": build if will_build else None, "jobs": opts.jobs or lp.settings.jobs or os.cpu_count()}


def print_dry_run(doc: Mapping[str, Any], write: Callable[[str], object] = sys.stdout.write) -> None:
    """The dry run as lines a person reads: one per task, its commands indented."""
    for t in doc["tasks"]:
        extra = f" ({t['reason']})" if t["reason"] else ""
        write(f"{t['id']}: would {t['action'].replace('_', ' ')}{extra}\n")
        for c in t["commands"]:
            where = f"[{c['shard']}] " if c.get("shard") else ""
            write(f"  $ {where}{c['cmd']}\n")
    if doc["build"]:
        write(f"(build): would run\n  $ {doc['build']}\n")
