"""The `plan` job's answer: which tasks this tree still has to run, and why.

It asks the engine's one decision function (`engine.decide.forecast`, what `run`, the dry
run and `explain` ask) over the state branch the job fetched, so the `plan` job and the
task jobs cannot disagree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gitorch.context import Context
    from gitorch.engine.decide import Decision


def decide(ctx: Context) -> list[Decision]:
    """Every task's decision, in dependency order (each task that runs assumed to pass)."""
    from gitorch.engine.decide import forecast
    from gitorch.engine.history import read_history
    from gitorch.engine.setup import load, task_inputs

    lp = load(ctx, prefetch=True)
    history = read_history(lp)
    inputs = task_inputs(lp)
    decisions = forecast(lp.plan, lp.order, lp.order, plan_digest=lp.digest,
                         inputs={t: i.digest for t, i in inputs.items()}, passes=history.passes,
                         approvals=history.approvals)
    return list(decisions.values())
