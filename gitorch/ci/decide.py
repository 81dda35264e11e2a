"""The `plan` job's answer: which tasks this tree still has to run, and why.

It applies the rule a run applies before starting a task (a task whose last pass was on the
same inputs digest is skipped), reading the state branch the job fetched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gitorch.context import Context


@dataclass(frozen=True)
class Decision:
    task: str
    action: str  # run | skip
    reason: str


def decide(ctx: Context) -> list[Decision]:
    """Every task's decision, in dependency order."""
    from gitorch.engine.history import read_history
    from gitorch.engine.setup import load, task_inputs

    lp = load(ctx, prefetch=True)
    history = read_history(lp)
    inputs = task_inputs(lp)
    out: list[Decision] = []
    for tid in lp.order:
        last = history.passes.get(tid)
        if last is not None and last.inputs == inputs[tid].digest:
            at = f" at {last.commit[:7]}" if last.commit else ""
            out.append(Decision(tid, "skip", f"unchanged since the last pass in run {last.run}{at}"))
        elif last is None:
            out.append(Decision(tid, "run", "never passed"))
        else:
            out.append(Decision(tid, "run", "inputs changed since the last pass"))
    return out
