"""render_dashboard(..., laid_out=True), the end of a run's path (its run folded with the plan
already), writes the very bytes of the path that lays the run out again."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gitorch import events as ev
from gitorch.plan.model import Plan, Shard, Task
from gitorch.views.dashboard import render_dashboard
from gitorch.views.fold import latest_run

from .scenarios import Log, diamond_plan, every_state, every_state_plan, failing_run, fan_out
from .test_fold_properties import STEPS, build


def same_both_ways(events: list[ev.Event], plan: Plan) -> str:
    run = latest_run(events, plan)
    assert run is not None
    fast = render_dashboard(run, plan, laid_out=True)
    assert fast == render_dashboard(run, plan)
    return fast


def test_scenarios() -> None:
    for scenario, plan in ((failing_run, diamond_plan()), (every_state, every_state_plan())):
        log = Log()
        scenario(log)
        assert "## Graph" in same_both_ways(log.events, plan)


def test_a_big_fan_out_with_failures() -> None:
    plan, events = fan_out(600, failing=(3, 70))
    assert "grouped by dependency generation" in same_both_ways(events, plan)


def test_an_interrupted_run_and_a_task_no_longer_in_the_plan() -> None:
    log = Log()
    log.add(ev.RunStarted)
    log.add(ev.TaskStarted, "A")
    log.add(ev.TaskCompleted, "gone")
    log.add(ev.Interrupted)
    plan = Plan(tasks=[Task(id="A", title="first"), Task(id="B", dependencies=["A"])])
    assert "gone" in same_both_ways(log.events, plan)


SHARDED = Plan(tasks=[Task(id="A", title="one", shards=[Shard(id="S1", title="s"), Shard(id="S2")]),
                      Task(id="B", dependencies=["A"]), Task(id="D", title="not run")])


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(STEPS, st.integers(0, 2)), max_size=40))
def test_random_logs(steps: list[tuple[tuple[type[ev.Event], dict[str, object]], int]]) -> None:
    same_both_ways(build(steps), SHARDED)
