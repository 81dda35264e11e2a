"""mermaid.generations layers the plan by hand: it groups exactly as graphlib's ready rounds."""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter

from hypothesis import given, settings
from hypothesis import strategies as st

from gitorch.plan.model import Plan, Task
from gitorch.views import mermaid


def graphlib_generations(plan: Plan, task_ids: list[str]) -> dict[str, list[str]]:
    """The grouping as it was computed with graphlib (the reference)."""
    known = {t.id: t for t in plan.tasks}
    wanted = set(task_ids)
    order = {tid: n for n, tid in enumerate(task_ids)}
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for task in plan.tasks:
        sorter.add(task.id, *(d for d in task.dependencies if d in known))
    groups: dict[str, list[str]] = {}
    try:
        sorter.prepare()
        depth = 0
        while sorter.is_active():
            ready = list(sorter.get_ready())
            sorter.done(*ready)
            group = sorted((t for t in ready if t in wanted), key=order.__getitem__)
            if group:
                groups[f"Generation {depth}"] = group
            depth += 1
    except CycleError:
        groups = {"Tasks": [t for t in task_ids if t in known]}
    rest = [t for t in task_ids if t not in known]
    if rest:
        groups["Not in the plan"] = rest
    return groups


NAMES = [f"t{i}" for i in range(12)]


@st.composite
def plans(draw: st.DrawFn) -> tuple[Plan, list[str]]:
    """Plans with forward edges (acyclic) and sometimes any edge (cycles, self-loops), tasks
    listed twice, dependencies on unknown tasks; and a run's task ids in any order."""
    n = draw(st.integers(1, len(NAMES)))
    ids = draw(st.lists(st.sampled_from(NAMES[:n]), min_size=1, max_size=n + 2))
    anywhere = draw(st.booleans())
    tasks = []
    for k, tid in enumerate(ids):
        pool = NAMES[:n] + ["gone"] if anywhere else ids[:k] + ["gone"]
        deps = draw(st.lists(st.sampled_from(pool), max_size=4)) if pool else []
        tasks.append(Task(id=tid, dependencies=deps))
    run = draw(st.lists(st.sampled_from(NAMES + ["extra"]), unique=True, max_size=14))
    return Plan(tasks=tasks), draw(st.permutations(run))


@settings(max_examples=400)
@given(plans())
def test_generations_match_graphlib(case: tuple[Plan, list[str]]) -> None:
    plan, task_ids = case
    assert list(mermaid.generations(plan, task_ids).items()) == list(
        graphlib_generations(plan, task_ids).items())


def test_fan_out_of_a_thousand() -> None:
    ids = [f"T{i:04d}" for i in range(1000)]
    plan = Plan(tasks=[Task(id=t, dependencies=[] if n == 0 else [ids[0]] if n < 999 else ids[1:-1])
                       for n, t in enumerate(ids)])
    got = mermaid.generations(plan, list(reversed(ids)) + ["old"])
    assert got == graphlib_generations(plan, list(reversed(ids)) + ["old"])
    assert list(got) == ["Generation 0", "Generation 1", "Generation 2", "Not in the plan"]
