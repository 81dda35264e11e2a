"""A re-run that skips every task takes them in one pass (engine/skipall): the scheduler
finishes them all at once in the order its heap would give them (Scheduler.finish_all), and
the progress tells each as `task_finished` would (Progress.tasks_finished)."""

from __future__ import annotations

import heapq
import io
import random

from gitorch.engine.scheduler import Scheduler
from gitorch.views.progress import Progress


def _dag(rng: random.Random, n: int) -> tuple[list[str], dict[str, list[str]]]:
    """`n` tasks in a topological order (each depends only on earlier ones)."""
    order = [f"t{i:03d}" for i in range(n)]
    deps = {tid: sorted(rng.sample(order[:i], rng.randint(0, min(i, 3)))) for i, tid in enumerate(order)}
    return order, deps


def _popped(sched: Scheduler) -> list[str]:
    out = []
    while sched.has_ready():
        tid = sched.pop()
        sched.finish(tid, "skipped")
        out.append(tid)
    return out


def test_finish_all_takes_the_tasks_as_the_heap_would() -> None:
    rng = random.Random(15)
    for n in (1, 2, 7, 40, 200):
        for _ in range(5):
            order, deps = _dag(rng, n)
            # the plan order given to the scheduler: a level order (engine/setup.Loaded.order)
            # or any other topological order; tasks with no dependencies come in any rank
            looped, bulk = Scheduler(deps, order), Scheduler(deps, order)
            assert bulk.finish_all("skipped") == _popped(looped)
            assert bulk.state == looped.state and bulk._missing == looped._missing
            assert not bulk.has_ready() and bulk.count("skipped") == n


def test_finish_all_refuses_what_the_heap_would_take_otherwise() -> None:
    deps = {"a": ["b"], "b": []}
    sched = Scheduler(deps, ["a", "b"])  # a dependency after its dependent in the order
    assert sched.finish_all("skipped") is None
    assert sched.state == {"a": "pending", "b": "pending"} and sched.has_ready()
    assert _popped(sched) == ["b", "a"]
    started = Scheduler({"a": [], "b": ["a"]}, ["a", "b"])
    assert started.pop() == "a"  # one in progress: not every task is pending or done
    assert started.finish_all("skipped") is None and started.state["b"] == "pending"
    done = Scheduler({"a": [], "b": ["a"], "c": []}, ["a", "b", "c"], done=["a"])  # a resume's
    assert done.finish_all("completed") == ["b", "c"]
    assert done.state == {"a": "completed", "b": "completed", "c": "completed"}


def _progress(mode: str) -> tuple[Progress, io.StringIO]:
    stream = io.StringIO()
    return Progress(json_mode=mode == "json", stream=stream, tty=False), stream


def test_tasks_finished_tells_what_task_finished_tells() -> None:
    ids = [f"d{i:04d}" for i in range(1, 12)] + ["d0003"]  # one told twice: counted once
    for mode in ("plain", "json"):
        one, one_out = _progress(mode)
        many, many_out = _progress(mode)
        for p in (one, many):
            p.start("r1", 10)
            p.task_finished("d0001", "completed", 1.5)  # before: already counted
            p.task_finished("g", "awaiting_approval", 0.0)  # held, then done below
        for tid in [*ids, "g"]:
            one.task_finished(tid, "skipped", 0.25)
        many.tasks_finished([*ids, "g"], "skipped", 0.25)
        for p in (one, many):
            p.flush()
        assert many_out.getvalue() == one_out.getvalue()
        for field in ("done", "states", "held", "finished"):
            assert getattr(many, field) == getattr(one, field), field
        assert many.summary().split(" in ")[0] == one.summary().split(" in ")[0]
    plain, out = _progress("plain")
    plain.start("r", 3)
    plain.tasks_finished(["a", "b"], "skipped", 0.0)
    plain.tasks_finished(["c"], "awaiting_approval", 0.0)  # a held task: announced, not counted
    plain.flush()
    assert out.getvalue().splitlines()[1:] == ["[1/3] skipped a (0.00 s)", "[2/3] skipped b (0.00 s)",
                                               "[2/3] awaiting_approval c (0.00 s)"]


def test_the_ready_heap_is_the_one_heappush_builds() -> None:
    """Scheduler takes the ready tasks in rank order as its heap (a sorted list is one): the
    heap heappush made task by task, the same states."""
    rng = random.Random(7)
    for n in (0, 1, 9, 120):
        order, deps = _dag(rng, n)
        done = set(rng.sample(order, n // 3))
        sched = Scheduler(deps, order, iter(sorted(done)))  # any iterable, read once
        pushed: list[tuple[int, str]] = []
        for i, tid in enumerate(order):
            if tid not in done and all(d in done for d in deps[tid]):
                heapq.heappush(pushed, (i, tid))
        assert sched._ready == pushed
        assert sched.state == {t: "completed" if t in done else "pending" for t in order}
        assert sched._missing == {t: sum(d not in done for d in deps[t]) for t in order}
