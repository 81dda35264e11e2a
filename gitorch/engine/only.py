"""`git orch run --task ID --only`: run exactly these tasks, in a CI job or by hand.

Their dependencies are not run: each must already be completed for this tree, in the state
branch (its last pass was on its current inputs) or in this CI run (another job completed
or skipped it). Otherwise the run stops before any command, naming which.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gitorch import events as ev
from gitorch.errors import CheckFailed

if TYPE_CHECKING:
    from gitorch.engine.history import History
    from gitorch.engine.inputs import TaskInputs
    from gitorch.engine.setup import Loaded

_DONE = (ev.TaskCompleted, ev.Skipped)


def unmet_dependencies(lp: Loaded, history: History, inputs: dict[str, TaskInputs], tasks: list[str],
                       run_id: str | None) -> dict[str, str]:
    """Dependency -> why it does not count as done, for the dependencies outside `tasks`."""
    chosen = set(tasks)
    done_in_run = {e.task for e in ev.expanded(history.events)  # a tasks_skipped: a skip per task
                   if run_id and e.run == run_id and isinstance(e, _DONE)}
    out: dict[str, str] = {}
    for tid in tasks:
        for dep in lp.by_id[tid].dependencies:
            if dep in chosen or dep in out or dep in done_in_run:
                continue
            last = history.passes.get(dep)
            if last is None:
                out[dep] = "never completed"
            elif last.inputs != inputs[dep].digest:
                out[dep] = f"last completed in run {last.run} on other inputs"
    return out


def check_only(lp: Loaded, tasks: list[str], run_id: str | None) -> None:
    """CheckFailed (exit 1), before anything runs, when a dependency is not done."""
    from gitorch.engine.history import read_history
    from gitorch.engine.setup import task_inputs

    if not tasks:
        from gitorch.errors import UsageError

        raise UsageError("--only needs --task ID (the tasks to run, without their dependencies)")
    unmet = unmet_dependencies(lp, read_history(lp), task_inputs(lp), tasks, run_id)
    if unmet:
        names = "; ".join(f"{d} ({why})" for d, why in unmet.items())
        raise CheckFailed(f"--only: dependencies not completed for this tree: {names}",
                          hint="run them first (or drop --only to run them too)")
