"""The ready set: plan order, failures blocking dependents, keep-going."""

from __future__ import annotations

from gitorch.engine.scheduler import Scheduler, closure, rank_next

DEPS = {"a": [], "b": ["a"], "c": ["a"], "d": ["b"], "e": []}
ORDER = ["a", "b", "c", "d", "e"]


def _drain(s: Scheduler) -> list[str]:
    out = []
    while s.has_ready():
        out.append(s.pop())
    return out


def test_ready_in_plan_order_and_released_by_completion() -> None:
    s = Scheduler(DEPS, ORDER)
    assert _drain(s) == ["a", "e"]
    s.finish("a", "completed")
    assert _drain(s) == ["b", "c"]


def test_failure_blocks_dependents_transitively_and_halts_without_keep_going() -> None:
    s = Scheduler(DEPS, ORDER)
    _drain(s)
    assert s.finish("a", "failed") == ["b", "c", "d"]
    assert s.halted and not s.has_ready()


def test_keep_going_runs_independent_branches() -> None:
    s = Scheduler(DEPS, ORDER, keep_going=True)
    assert _drain(s) == ["a", "e"]
    s.finish("a", "completed")
    assert _drain(s) == ["b", "c"]
    assert s.finish("b", "failed") == ["d"]
    assert not s.halted


def test_done_tasks_are_not_offered_again() -> None:
    s = Scheduler(DEPS, ORDER, done=["a", "b"])
    assert _drain(s) == ["c", "d", "e"]


def test_waiting_task_holds_dependents_pending() -> None:
    s = Scheduler({"a": [], "b": ["a"]}, ["a", "b"])
    s.pop()
    assert s.finish("a", "awaiting_approval") == []
    assert not s.has_ready() and s.state["b"] == "pending"


def test_closure_and_next_ranking() -> None:
    assert closure(DEPS, ["d"]) == {"a", "b", "d"}
    ranked = rank_next(DEPS, ORDER, {"a": "completed"})
    assert [r["task"] for r in ranked if r["ready"]] == ["b", "c", "e"]
    assert [r["task"] for r in ranked if not r["ready"]] == ["d"]
