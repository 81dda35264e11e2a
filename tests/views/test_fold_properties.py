"""Properties of fold_runs over random event logs (hypothesis, modest sizes)."""

from __future__ import annotations

import random

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from gitorch import events as ev
from gitorch.views.fold import RUN_STATUSES, TASK_STATES, RunView, fold_runs

from .scenarios import Log

TASK_IDS = ["A", "B", "C"]
STEPS = st.sampled_from([
    (ev.TaskStarted, {}), (ev.TaskCompleted, {}), (ev.TaskFailed, {"reason": "x"}),
    (ev.TaskBlocked, {"blocked_by": ["A"]}), (ev.TaskWaiting, {"reason": "w"}),
    (ev.Skipped, {"reason": "s"}), (ev.AwaitingApproval, {"gate": "g"}),
    (ev.CommandRun, {"status": 1, "attempt": 2}), (ev.AcceptancePassed, {"check": "c"}),
    (ev.ShardStarted, {"shard": "S1"}), (ev.ShardCompleted, {"shard": "S1"}),
    (ev.Resumed, {}), (ev.Interrupted, {}), (ev.Completed, {"status": "failed"}),
    (ev.Approved, {"gate": "g", "by": "me", "plan_digest": "pd", "run": None}),
    (ev.Observed, {}),
])


def build(steps: list[tuple[tuple[type[ev.Event], dict[str, object]], int]]) -> list[ev.Event]:
    log = Log()
    log.add(ev.RunStarted, plan_digest="pd")
    for (cls, fields), n in steps:
        log.add(cls, TASK_IDS[n % len(TASK_IDS)], **fields)
    return log.events


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(STEPS, st.integers(0, 2)), max_size=40), st.randoms(use_true_random=False))
def test_invariants(steps: list[tuple[tuple[type[ev.Event], dict[str, object]], int]],
                    rnd: random.Random) -> None:
    events = build(steps)
    [run] = fold_runs(events)
    assert run.status in RUN_STATUSES
    assert all(t.state in TASK_STATES for t in run.tasks.values())
    assert run.failures == [tid for tid, t in run.tasks.items() if t.state == "failed"]
    assert run.awaiting == [(tid, "g") for tid, t in run.tasks.items() if t.state == "awaiting_approval"]
    expected: dict[type[ev.Event], str] = {
        ev.TaskStarted: "in_progress", ev.TaskCompleted: "completed", ev.TaskFailed: "failed",
        ev.TaskBlocked: "blocked", ev.TaskWaiting: "in_progress", ev.Skipped: "skipped",
        ev.AwaitingApproval: "awaiting_approval"}
    for tid, t in run.tasks.items():  # the latest task-level event decides the state
        mine = [e for e in events if e.task == tid and e.shard is None and type(e) in expected]
        want = expected[type(mine[-1])] if mine else "pending"
        if run.status == "interrupted" and mine and type(mine[-1]) is ev.TaskStarted:
            want = "interrupted"  # it was running when the run was stopped
        assert t.state == want
    # a merged log may come in any order: the fold does not care
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert fold_runs(shuffled) == [run]
    # what `status --json` would print decodes back to the same view
    assert msgspec.json.decode(msgspec.json.encode(run), type=RunView) == run
