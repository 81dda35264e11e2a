"""fold_runs: run and task state from hand-built event lists."""

from __future__ import annotations

from gitorch import events as ev
from gitorch.views.fold import RunView, fold_runs, latest_run, task_states

from .scenarios import Log, diamond_plan, passing_diamond


def test_parallel_branches_all_pass(log: Log) -> None:
    passing_diamond(log)
    [run] = fold_runs(log.events)
    assert task_states(run) == {"A": "completed", "B": "completed", "C": "completed", "D": "completed"}
    assert (run.id, run.status, run.plan_digest, run.commit, run.jobs) == (
        "r-1", "completed", "pd1", "c0ffee", 2)
    assert run.started == log.events[0].ts and run.ended == log.events[-1].ts
    assert run.duration == 16.0 and run.events == 17 and run.failures == [] and run.awaiting == []
    a = run.tasks["A"]
    assert (a.duration, a.attempts, a.inputs) == (1.5, 1, "in-a2")
    assert [(c.name, c.cmd, c.status, c.excerpt) for c in a.commands] == [("build", "make", 0, "ok")]
    b = run.tasks["B"]
    assert b.duration == 6.0  # no duration recorded: the span between started and completed
    assert [(c.check, c.passed, c.evidence) for c in b.checks] == [
        ("File exists: out/b", True, {"path": "out/b"})]
    assert run.tasks["C"].shards == {"C1": "completed", "C2": "completed"}


def test_plan_orders_titles_and_pads_pending(log: Log) -> None:
    log.add(ev.RunStarted, plan_digest="pd1")
    log.add(ev.TaskStarted, "B")
    log.add(ev.TaskStarted, "ZZZ")  # not in the plan (any more): kept, after the plan's tasks
    [run] = fold_runs(log.events, diamond_plan())
    assert list(run.tasks) == ["A", "B", "C", "D", "ZZZ"]
    assert task_states(run) == {"A": "pending", "B": "in_progress", "C": "pending", "D": "pending",
                                "ZZZ": "in_progress"}
    assert run.tasks["B"].title == "Left branch" and run.tasks["ZZZ"].title == ""
    assert run.tasks["C"].shards == {"C1": "pending", "C2": "pending"}
    assert run.status == "running" and run.ended is None


def test_failure_blocks_dependents(log: Log) -> None:
    log.add(ev.RunStarted, plan_digest="pd1")
    log.add(ev.TaskStarted, "A")
    log.add(ev.CommandRun, "A", name="build", cmd="make", status=2, excerpt="error: boom", log="logs/a.txt")
    log.add(ev.TaskFailed, "A", reason="command build exited 2", duration=3.0)
    log.add(ev.TaskBlocked, "B", blocked_by=["A"])
    log.add(ev.TaskBlocked, "C", blocked_by=["A"])
    log.add(ev.TaskBlocked, "D", blocked_by=["B", "C"])
    log.add(ev.Completed, status="failed", failures=["A"])
    [run] = fold_runs(log.events, diamond_plan())
    assert task_states(run) == {"A": "failed", "B": "blocked", "C": "blocked", "D": "blocked"}
    assert run.status == "failed" and run.failures == ["A"]
    assert run.tasks["A"].reason == "command build exited 2" and run.tasks["A"].duration == 3.0
    assert run.tasks["A"].commands[0].log == "logs/a.txt"
    assert run.tasks["D"].blocked_by == ["B", "C"] and run.tasks["D"].reason == "blocked by B, C"


def test_gate_waits_then_approved_then_resumed(log: Log) -> None:
    log.add(ev.RunStarted, plan_digest="pd1", commit="abc")
    for tid in "ABC":
        log.add(ev.TaskStarted, tid)
        log.add(ev.TaskCompleted, tid)
    log.add(ev.AwaitingApproval, "D", gate="deploy")
    log.add(ev.Completed, status="paused")
    paused = fold_runs(log.events, diamond_plan())[0]
    assert paused.status == "paused" and paused.awaiting == [("D", "deploy")]
    assert paused.tasks["D"].state == "awaiting_approval" and paused.tasks["D"].gate == "deploy"
    assert paused.tasks["D"].approved_by is None and paused.approvals == []

    # approved from another shell: no run, bound to the plan digest; the state does not move
    log.add(ev.Approved, "D", run=None, gate="deploy", by="alice", plan_digest="pd1", commit="abc")
    approved = fold_runs(log.events, diamond_plan())[0]
    assert approved.tasks["D"].state == "awaiting_approval" and approved.tasks["D"].approved_by == "alice"
    assert [(a.gate, a.by, a.plan_digest, a.commit, a.task) for a in approved.approvals] == [
        ("deploy", "alice", "pd1", "abc", "D")]

    log.add(ev.Resumed, reason="approval")
    log.add(ev.TaskStarted, "D")
    log.add(ev.TaskCompleted, "D")
    log.add(ev.Completed, status="completed")
    [run] = fold_runs(log.events, diamond_plan())
    assert run.status == "completed" and run.awaiting == [] and run.tasks["D"].state == "completed"
    assert run.tasks["D"].gate is None and len(run.approvals) == 1


def test_approval_for_another_plan_or_gate_does_not_match(log: Log) -> None:
    log.add(ev.RunStarted, plan_digest="pd1")
    log.add(ev.AwaitingApproval, "D", gate="deploy")
    log.add(ev.Approved, run=None, gate="deploy", by="bob", plan_digest="other")
    log.add(ev.Approved, run=None, gate="tag", by="carol", plan_digest="pd1")
    log.add(ev.Approved, "X", run=None, gate="deploy", by="dave", plan_digest="pd1")
    [run] = fold_runs(log.events)
    assert [a.by for a in run.approvals] == ["carol", "dave"]
    assert run.tasks["D"].approved_by is None


def test_interrupted_run_resumed(log: Log) -> None:
    log.add(ev.RunStarted, plan_digest="pd1")
    log.add(ev.TaskStarted, "A")
    log.add(ev.TaskCompleted, "A")
    log.add(ev.TaskStarted, "B")
    log.add(ev.Interrupted, reason="SIGINT")
    mid = fold_runs(log.events)[0]
    assert mid.status == "interrupted" and mid.ended == log.events[-1].ts
    assert task_states(mid) == {"A": "completed", "B": "interrupted"}  # what status shows, as the run said
    log.t += 100  # the pause between the interruption and the resume is not run time
    log.add(ev.Resumed, reason="resume")
    log.add(ev.TaskStarted, "B", attempt=1)
    log.add(ev.TaskCompleted, "B")
    log.add(ev.Completed, status="completed")
    [run] = fold_runs(log.events)
    assert run.status == "completed" and task_states(run) == {"A": "completed", "B": "completed"}
    assert run.duration == 4.0 + 3.0
    assert run.tasks["B"].attempts == 2  # started twice


def test_shards_state_and_failure(log: Log) -> None:
    log.add(ev.RunStarted)
    log.add(ev.TaskStarted, "C")
    log.add(ev.ShardStarted, "C", shard="C1")
    log.add(ev.ShardCompleted, "C", shard="C1")
    log.add(ev.ShardStarted, "C", shard="C2")
    log.add(ev.CommandRun, "C", shard="C2", name="t", cmd="false", status=1)
    log.add(ev.AcceptanceFailed, "C", shard="C2", check="Contains: x", evidence={"found": False})
    log.add(ev.TaskFailed, "C", shard="C2", reason="shard failed")
    running = fold_runs(log.events, diamond_plan())[0]
    c = running.tasks["C"]
    assert c.state == "in_progress" and c.shards == {"C1": "completed", "C2": "failed"}
    assert c.commands[0].shard == "C2" and c.checks[0].shard == "C2" and not c.checks[0].passed
    log.add(ev.TaskFailed, "C", reason="shard C2 failed")
    assert fold_runs(log.events, diamond_plan())[0].tasks["C"].state == "failed"


def test_retries_count_attempts(log: Log) -> None:
    log.add(ev.RunStarted)
    log.add(ev.TaskStarted, "A")
    for attempt, status in ((1, 1), (2, 1), (3, 0)):
        log.add(ev.CommandRun, "A", name="build", cmd="flaky", status=status, attempt=attempt)
    log.add(ev.TaskCompleted, "A")
    [run] = fold_runs(log.events)
    a = run.tasks["A"]
    assert a.attempts == 3 and a.state == "completed"
    assert [(c.attempt, c.status) for c in a.commands] == [(1, 1), (2, 1), (3, 0)]


def test_restart_clears_the_previous_execution_record(log: Log) -> None:
    log.add(ev.RunStarted)
    log.add(ev.TaskStarted, "A")
    log.add(ev.AcceptanceFailed, "A", check="c")
    log.add(ev.TaskFailed, "A", reason="check c failed")
    log.add(ev.TaskStarted, "A", attempt=2)
    log.add(ev.AcceptancePassed, "A", check="c")
    log.add(ev.TaskCompleted, "A")
    a = fold_runs(log.events)[0].tasks["A"]
    assert a.state == "completed" and a.reason == "" and a.attempts == 2
    assert [(c.check, c.passed) for c in a.checks] == [("c", True)]


def test_waiting_manual_task_and_skipped(log: Log) -> None:
    log.add(ev.RunStarted)
    log.add(ev.TaskStarted, "DOC")
    log.add(ev.TaskWaiting, "DOC", reason="File exists: doc.md: missing")
    log.add(ev.Skipped, "OLD", reason="unchanged since abc123")
    [run] = fold_runs(log.events)
    assert task_states(run) == {"DOC": "in_progress", "OLD": "skipped"}
    assert run.tasks["DOC"].reason == "File exists: doc.md: missing"
    assert run.tasks["OLD"].reason == "unchanged since abc123"


def test_unknown_and_unrelated_events_ignored(log: Log) -> None:
    log.add(ev.RunStarted)
    log.add(ev.TaskStarted, "A")
    raw = b'{"type":"from_the_future","id":"x","ts":"2026-11-22T08:00:02.500Z","run":"r-1","task":"A"}'
    unknown = ev.decode(raw)
    assert isinstance(unknown, ev.UnknownEvent)
    log.events.append(unknown)
    log.add(ev.Observed, trigger="manual")
    log.add(ev.Generic, "A", kind="x")
    log.add(ev.TaskStarted, "Q", run=None)  # no run: not part of any run
    [run] = fold_runs(log.events)
    assert task_states(run) == {"A": "in_progress"} and run.events == 2


def test_events_out_of_order_and_several_runs() -> None:
    first, second = Log("r-a"), Log("r-b")
    second.t = 50
    first.add(ev.RunStarted)
    first.add(ev.TaskStarted, "A")
    first.add(ev.TaskFailed, "A")
    second.add(ev.RunStarted)
    second.add(ev.TaskStarted, "A")
    second.add(ev.TaskCompleted, "A")
    merged = list(reversed(second.events + first.events))  # a union merge may come in any order
    runs = fold_runs(merged)
    assert [r.id for r in runs] == ["r-a", "r-b"]
    assert runs[0].tasks["A"].state == "failed" and runs[1].tasks["A"].state == "completed"
    latest = latest_run(merged)
    assert isinstance(latest, RunView) and latest.id == "r-b"
    assert latest_run([]) is None


def test_seed_style_timestamps_without_milliseconds() -> None:
    events = [
        ev.RunStarted(run="r", ts="2025-09-22T11:03:14Z"),
        ev.TaskCompleted(run="r", task="EXC-001", ts="2025-09-22T11:03:30Z"),
        ev.TaskStarted(run="r", task="EXC-001", ts="2025-09-22T11:03:14.500Z"),
    ]
    t = fold_runs(events)[0].tasks["EXC-001"]
    assert t.state == "completed" and t.duration == 15.5


def test_fold_ten_thousand_events_shape() -> None:
    log = Log("big", step=0.001)
    log.add(ev.RunStarted)
    for i in range(1000):
        tid = f"T{i:04d}"
        log.add(ev.TaskStarted, tid)
        for k in range(6):
            log.add(ev.CommandRun, tid, name=f"c{k}", cmd="true", status=0)
        log.add(ev.AcceptancePassed, tid, check="ok")
        log.add(ev.TaskCompleted, tid)
    log.add(ev.Completed)
    assert len(log.events) > 9000
    [run] = fold_runs(log.events)
    assert len(run.tasks) == 1000 and set(task_states(run).values()) == {"completed"}
    assert all(len(t.commands) == 6 and len(t.checks) == 1 for t in run.tasks.values())


def test_plan_changed_on_resume_makes_earlier_approvals_stale(log: Log) -> None:
    log.add(ev.RunStarted, plan_digest="pd1")
    log.add(ev.AwaitingApproval, "D", gate="deploy")
    log.add(ev.Completed, status="paused")
    log.add(ev.Approved, "D", gate="deploy", by="alice", plan_digest="pd1")
    assert fold_runs(log.events)[0].tasks["D"].approved_by == "alice"
    log.add(ev.PlanUpdated, digest="pd2", previous_digest="pd1", changes=["task B changed (commands)"])
    log.add(ev.Resumed)
    log.add(ev.AwaitingApproval, "D", gate="deploy")
    log.add(ev.Completed, status="paused")
    [run] = fold_runs(log.events)
    assert run.plan_digest == "pd2" and run.plan_changes == ["task B changed (commands)"]
    assert [(a.by, a.stale) for a in run.approvals] == [("alice", True)]
    assert run.tasks["D"].approved_by is None and run.awaiting == [("D", "deploy")]
