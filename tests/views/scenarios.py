"""Event lists built by hand with the real event classes and a fake clock, for view tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from gitorch import events as ev
from gitorch.plan.model import Approvals, FileExists, Orchestrator, Plan, Shard, Task
from gitorch.views.fold import TASK_STATES

BASE = datetime(2026, 11, 22, 8, 0, 0, tzinfo=UTC)


class Log:
    """Builds one run's events in order; each event is `step` seconds after the last."""

    def __init__(self, run: str = "r-1", step: float = 1.0) -> None:
        self.run = run
        self.step = step
        self.t = 0.0
        self.events: list[ev.Event] = []

    def ts(self) -> str:
        self.t += self.step
        return (BASE + timedelta(seconds=self.t)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

    def add(self, cls: type[ev.Event], task: str | None = None, **fields: Any) -> ev.Event:
        fields.setdefault("run", self.run)
        e = cls(ts=self.ts(), task=task, **fields)
        self.events.append(e)
        return e


def diamond_plan() -> Plan:
    """A -> (B, C) -> D, with C sharded and D gated on deploy."""
    return Plan(
        orchestrator=Orchestrator(approvals=Approvals(required=["deploy"])),
        tasks=[
            Task(id="A", title="Prepare", commands={"build": "make"}),
            Task(id="B", title="Left branch", dependencies=["A"], commands={"test": "make test"},
                 acceptance=[FileExists(path="out/b", label="File exists: out/b")]),
            Task(id="C", title="Right branch", dependencies=["A"],
                 shards=[Shard(id="C1", title="one"), Shard(id="C2", title="two")]),
            Task(id="D", title="Deploy it", type="deploy", dependencies=["B", "C"]),
        ],
    )


def passing_diamond(log: Log) -> None:
    """A, then B and C in parallel (C with two shards), then D; all pass."""
    log.add(ev.RunStarted, plan_digest="pd1", plan_file="orchestrator.yml", commit="c0ffee", jobs=2)
    log.add(ev.TaskStarted, "A", inputs="in-a")
    log.add(ev.CommandRun, "A", name="build", cmd="make", status=0, duration=0.5, excerpt="ok")
    log.add(ev.TaskCompleted, "A", duration=1.5, inputs="in-a2")
    log.add(ev.TaskStarted, "B")
    log.add(ev.TaskStarted, "C")
    log.add(ev.ShardStarted, "C", shard="C1")
    log.add(ev.CommandRun, "B", name="test", cmd="make test", status=0)
    log.add(ev.AcceptancePassed, "B", check="File exists: out/b", evidence={"path": "out/b"})
    log.add(ev.ShardCompleted, "C", shard="C1")
    log.add(ev.TaskCompleted, "B")
    log.add(ev.ShardStarted, "C", shard="C2")
    log.add(ev.ShardCompleted, "C", shard="C2")
    log.add(ev.TaskCompleted, "C")
    log.add(ev.TaskStarted, "D")
    log.add(ev.TaskCompleted, "D")
    log.add(ev.Completed, status="completed")


def failing_run(log: Log) -> None:
    """A passes; B's test fails (excerpt + full log kept); C's shard C1 passes; D is blocked."""
    log.add(ev.RunStarted, plan_digest="pd1", plan_file="orchestrator.yml", commit="abc123", jobs=2)
    log.add(ev.TaskStarted, "A")
    log.add(ev.CommandRun, "A", name="build", cmd="make", status=0, duration=0.25)
    log.add(ev.AcceptancePassed, "A", check="Tests pass: make", evidence={"exit_code": 0})
    log.add(ev.TaskCompleted, "A", duration=1.25)
    log.add(ev.TaskStarted, "B")
    log.add(ev.TaskStarted, "C")
    log.add(ev.CommandRun, "B", name="test", cmd="make test", status=2, duration=0.5,
            excerpt="FAILED test_widget: expected 3, got 4", log="logs/r-1/B/test.txt")
    log.add(ev.AcceptanceFailed, "B", check="File exists: out/b", evidence={"path": "out/b", "exists": False})
    log.add(ev.TaskFailed, "B", reason="command test exited 2", duration=2.0)
    log.add(ev.ShardStarted, "C", shard="C1")
    log.add(ev.ShardCompleted, "C", shard="C1")
    log.add(ev.ShardStarted, "C", shard="C2")
    log.add(ev.ShardCompleted, "C", shard="C2")
    log.add(ev.TaskCompleted, "C")
    log.add(ev.TaskBlocked, "D", blocked_by=["B"])
    log.add(ev.Completed, status="failed", failures=["B"])


def every_state_plan() -> Plan:
    """Independent tasks, one to be driven into each state."""
    return Plan(tasks=[Task(id=f"T-{state}", title=state.replace("_", " ").title())
                       for state in TASK_STATES])


def every_state(log: Log) -> None:
    log.add(ev.RunStarted, plan_digest="pd7", commit="feed")
    log.add(ev.TaskStarted, "T-in_progress")
    log.add(ev.TaskWaiting, "T-in_progress", reason="waits for its acceptance")
    log.add(ev.TaskStarted, "T-interrupted")  # still running when the run is stopped
    log.add(ev.AwaitingApproval, "T-awaiting_approval", gate="deploy")
    log.add(ev.TaskBlocked, "T-blocked", blocked_by=["T-failed"])
    log.add(ev.TaskStarted, "T-failed")
    log.add(ev.TaskFailed, "T-failed", reason="boom")
    log.add(ev.TaskStarted, "T-completed")
    log.add(ev.TaskCompleted, "T-completed")
    log.add(ev.Skipped, "T-skipped", reason="unchanged")
    log.add(ev.Interrupted, reason="interrupted (Ctrl-C or SIGTERM)")


def fan_out(tasks: int, failing: tuple[int, ...] = ()) -> tuple[Plan, list[ev.Event]]:
    """Root -> tasks-2 in parallel -> sink; the middle tasks numbered in `failing` fail, so
    the sink is blocked (it completes when none fails)."""
    ids = [f"T{i:04d}" for i in range(tasks)]
    plan = Plan(tasks=[
        Task(id=tid, dependencies=[] if n == 0 else [ids[0]] if n < tasks - 1 else ids[1:-1])
        for n, tid in enumerate(ids)
    ])
    log = Log("fan", step=0.01)
    log.add(ev.RunStarted, plan_digest="pdf")
    for n, tid in enumerate(ids):
        if n == tasks - 1 and failing:
            log.add(ev.TaskBlocked, tid, blocked_by=[ids[i] for i in failing])
            continue
        log.add(ev.TaskStarted, tid)
        log.add(ev.TaskFailed if n in failing else ev.TaskCompleted, tid)
    log.add(ev.Completed, status="failed" if failing else "completed")
    return plan, log.events
