"""`git orch diff TASK`: the patches an agent's edit step recorded, read back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from gitorch import events as ev
from gitorch.errors import UsageError

if TYPE_CHECKING:
    from gitorch.context import Context


@dataclass(frozen=True)
class AttemptPatch:
    """One attempt's patch: which files, how many lines, and the diff itself."""

    run: str
    task: str
    attempt: int
    attempts: int  # how many attempts that run made on the task
    stage: str  # edit (one attempt), held (for apply_patch), applied (after approval)
    paths: list[str]
    added: int
    removed: int
    reverted: list[str]
    diff: str


def task_patch(ctx: Context, task: str, attempt: int | None = None) -> AttemptPatch:
    """The patch of `attempt` (default: the last) in the latest run that edited `task`."""
    found = [e for e in ctx.store.events(types=["patch_applied"])
             if isinstance(e, ev.PatchApplied) and e.task == task]
    if not found:
        raise UsageError(f"no patch recorded for task {task}",
                         hint="patches come from agent tasks' edit steps (docs/agents.md)")
    run = found[-1].run
    in_run = [e for e in found if e.run == run]
    tries = [e for e in in_run if e.stage == "edit"]
    if attempt is None:
        chosen: ev.PatchApplied | None = in_run[-1]
    else:
        chosen = next((e for e in tries if e.attempt == attempt), None)
    if chosen is None:
        have = ", ".join(str(e.attempt) for e in tries)
        raise UsageError(f"run {run} has no attempt {attempt} of task {task}", hint=f"attempts: {have}")
    raw = (ctx.store.read(chosen.diff) if chosen.diff else None) or b""
    return AttemptPatch(run=run or "", task=task, attempt=chosen.attempt, attempts=len(tries),
                        stage=chosen.stage, paths=list(chosen.paths), added=chosen.added,
                        removed=chosen.removed, reverted=list(chosen.reverted),
                        diff=raw.decode(errors="replace"))
