"""What runs besides a plan's own tasks: the context they share (runner.RunContext), made once
per run (the environment and secrets its commands get, the masks for their values, where each
task runs), and the release build, a task of the run's own."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from gitorch.engine.runner import EditStep, RunContext, Steps, TaskResult, TaskRun, command_failure
from gitorch.plan.model import Retry, Task

if TYPE_CHECKING:
    from gitorch.engine.setup import Loaded


def context_for(lp: Loaded, run: str, agent: EditStep | None) -> RunContext:
    """What every task of a run shares: its environment, secrets and their masks, roots, who
    does agent tasks' edit step."""
    from gitorch.engine.setup import task_root

    plan = lp.plan
    names = list(dict.fromkeys([*plan.secrets, *(n for t in plan.tasks for n in t.secrets)]))
    if names:
        from gitorch.secrets import redactor_for_plan, resolve_for_task

        redactor = redactor_for_plan(lp.repo, plan)
    else:  # no secret declared: nothing to resolve or mask (and gitorch.secrets stays unloaded)
        from gitorch.secrets.redact import Redactor

        redactor = Redactor()
    secret_names = set(names)
    # a task's environment holds only the secrets it declares, even if others are exported
    base_env = {k: v for k, v in os.environ.items() if k not in secret_names}
    base_env["GITORCH_RUN"] = run

    def env_for(task: Task) -> Mapping[str, str]:
        if not names:
            return {"GITORCH_TASK": task.id}
        values = resolve_for_task(lp.repo, plan, task)
        for v in values.values():
            redactor.add(v)
        return {**values, "GITORCH_TASK": task.id}

    def root_for(task: Task) -> Path:
        return task_root(lp, task)

    return RunContext(
        run=run, root=lp.project_root, repo_root=lp.repo_root, scratch=lp.repo.scratch,
        excerpt_bytes=lp.settings.excerpt_bytes, redactor=redactor, base_env=base_env,
        log_bytes=lp.settings.log_bytes,
        env_for=env_for, root_for=root_for,
        agent=agent,
    )


def build_task(ctx: RunContext, release: str) -> Steps:
    """The build phase: `project.build.release`, recorded as command_run events of the run."""
    pseudo = Task(id="(build)", title="release build", commands={"release": release})
    tr = TaskRun(ctx, pseudo, None)
    start = time.monotonic()
    status, evidence = yield from tr.command("release", release, shard=None, timeout=None, retry=Retry())
    # build events belong to the run, not to a task of the plan
    events = [msgspec.structs.replace(e, task=None) for e in tr.events]
    reason = "" if status == 0 else "build: " + command_failure("release", status, evidence)
    return TaskResult("(build)", "completed" if status == 0 else "failed", list(events), tr.files,
                      reason, time.monotonic() - start)
