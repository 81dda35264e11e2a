"""render_report, render_junit and render_note from hand-built runs."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from gitorch import events as ev
from gitorch.plan.model import Plan, Task
from gitorch.views.fold import fold_runs
from gitorch.views.report import format_duration, render_junit, render_note, render_report

from .mermaid_check import mermaid_blocks, read_gantt
from .scenarios import (
    Log,
    diamond_plan,
    every_state,
    every_state_plan,
    failing_run,
    fan_out,
    passing_diamond,
)

SECTIONS = ["# Run report — r-1", "## Summary", "## Tasks", "## Timeline", "## Failures",
            "## Acceptance evidence", "## Approvals"]


def section(text: str, title: str) -> str:
    """The body of the Markdown section `title` (up to the next heading of that level)."""
    start = text.index(title + "\n") + len(title) + 1
    level = title.split(" ")[0]
    nxt = text.find("\n" + level + " ", start)
    return text[start: nxt if nxt >= 0 else len(text)]


def test_report_of_a_failed_run(log: Log) -> None:
    failing_run(log)
    plan = diamond_plan()
    [run] = fold_runs(log.events, plan)
    text = render_report(run, plan)
    positions = [text.index(s + "\n") for s in SECTIONS]
    assert positions == sorted(positions)
    summary = section(text, "## Summary")
    assert "- **Status:** failed" in summary
    assert "- **Tasks:** 4 (1 blocked, 1 failed, 2 completed)" in summary
    assert "- **Duration:** 16.00 s" in summary
    assert "- **Commit verified:** `abc123`" in summary and "digest `pd1`" in summary
    assert "- **Failures:** B" in summary and "- **Blocked:** D (by B)" in summary
    tasks = section(text, "## Tasks")
    assert "| A | Prepare | completed | 1.25 s | 1 |  |" in tasks
    assert "| B | Left branch | failed | 2.00 s | 1 | command test exited 2 |" in tasks
    assert "| D | Deploy it | blocked |  |  | blocked by B |" in tasks
    failures = section(text, "## Failures")
    assert "### B — Left branch" in failures and "Reason: command test exited 2" in failures
    assert "Command `test` (`make test`) exited 2 after 0.50 s (attempt 1)." in failures
    assert "```text\nFAILED test_widget: expected 3, got 4\n```" in failures
    assert '- File exists: out/b: `{"exists":false,"path":"out/b"}`' in failures
    evidence = section(text, "## Acceptance evidence")
    assert '- passed: Tests pass: make — `{"exit_code":0}`' in evidence
    assert '- FAILED: File exists: out/b — `{"exists":false,"path":"out/b"}`' in evidence
    assert section(text, "## Approvals").strip() == "None."
    assert render_report(fold_runs(log.events, plan)[0], plan) == text


def test_timeline_is_a_gantt_by_dependency_generation(log: Log) -> None:
    failing_run(log)
    plan = diamond_plan()
    [run] = fold_runs(log.events, plan)
    [chart] = mermaid_blocks(render_report(run, plan))
    rows = read_gantt(chart)
    assert "  axisFormat %H:%M:%S.%L" in chart  # a 16-second run: milliseconds on the axis
    assert rows == {
        "A": ("Generation 0", "done", "2026-11-22 08:00:02.000", "2026-11-22 08:00:05.000"),
        "B": ("Generation 1", "crit", "2026-11-22 08:00:06.000", "2026-11-22 08:00:10.000"),
        "C": ("Generation 1", "done", "2026-11-22 08:00:07.000", "2026-11-22 08:00:15.000"),
    }  # D never started: no bar


def test_full_log_tail_from_the_log_reader(log: Log) -> None:
    failing_run(log)
    plan = diamond_plan()
    [run] = fold_runs(log.events, plan)
    asked: list[str] = []

    def reader(path: str) -> bytes | None:
        asked.append(path)
        return "".join(f"line {i}\n" for i in range(100)).encode()

    failures = section(render_report(run, plan, log_reader=reader), "## Failures")
    assert asked == ["logs/r-1/B/test.txt"]
    assert "Last 40 lines of the full log (`logs/r-1/B/test.txt`):" in failures
    assert "line 60\n" in failures and "line 99\n```" in failures and "line 59\n" not in failures
    # a reader that has lost the blob falls back to the excerpt
    fallback = section(render_report(run, plan, log_reader=lambda p: None), "## Failures")
    assert "FAILED test_widget: expected 3, got 4" in fallback


def test_excerpt_with_backticks_keeps_its_fence(log: Log) -> None:
    log.add(ev.RunStarted)
    log.add(ev.TaskStarted, "A")
    log.add(ev.CommandRun, "A", name="t", cmd="cat x.md", status=1, excerpt="```\ninside\n```",
            timed_out=True)
    log.add(ev.TaskFailed, "A", reason="timed out")
    [run] = fold_runs(log.events)
    failures = section(render_report(run, Plan()), "## Failures")
    assert "````text\n```\ninside\n```\n````" in failures and "timed out after" in failures


def test_approvals_listed(log: Log) -> None:
    log.add(ev.RunStarted, plan_digest="pd1", commit="abc")
    log.add(ev.AwaitingApproval, "D", gate="deploy")
    log.add(ev.Completed, status="paused")
    log.add(ev.Approved, "D", run=None, gate="deploy", by="alice", plan_digest="pd1", commit="abc")
    plan = diamond_plan()
    text = render_report(fold_runs(log.events, plan)[0], plan)
    assert f"| deploy | D | alice | pd1 | abc | {log.events[-1].ts} |" in section(text, "## Approvals")
    assert "| D | Deploy it | awaiting_approval |  |  | gate deploy, approved by alice |" in text
    assert "- **Waiting for approval:** D (`deploy`)" in text
    assert "No task has started yet." in section(text, "## Timeline")


def test_junit_counts(log: Log) -> None:
    failing_run(log)
    plan = diamond_plan()
    xml = render_junit(fold_runs(log.events, plan)[0], plan)
    root = ET.fromstring(xml)
    [suite] = root.findall("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("4", "1", "1")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert list(cases) == ["A — Prepare", "B — Left branch", "C — Right branch", "D — Deploy it"]
    failure = cases["B — Left branch"].find("failure")
    assert failure is not None and failure.get("message") == "command test exited 2"
    assert "expected 3, got 4" in (failure.text or "")
    skipped = cases["D — Deploy it"].find("skipped")
    assert skipped is not None and skipped.get("message") == "blocked: blocked by B"
    assert cases["A — Prepare"].find("failure") is None and cases["A — Prepare"].get("time") == "1.250"
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["commit"] == "abc123" and props["status"] == "failed"


def test_junit_every_state_and_bad_characters() -> None:
    log = Log()
    every_state(log)
    log.add(ev.CommandRun, "T-failed", name="x", cmd="x", status=1, excerpt="bell\x07 nul\x00 end")
    plan = every_state_plan()
    root = ET.fromstring(render_junit(fold_runs(log.events, plan)[0], plan))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("8", "1", "6")
    assert len(suite.findall("testcase/skipped")) == 6 and len(suite.findall("testcase/failure")) == 1
    failure = suite.find("testcase/failure")
    assert failure is not None and "bell\ufffd nul\ufffd end" in (failure.text or "")


def test_note_lines(log: Log) -> None:
    passing_diamond(log)
    log.add(ev.AcceptancePassed, "D", check="one")  # after completion: still counted
    [run] = fold_runs(log.events)
    assert render_note(run) == "orch r-1 completed: A ok, B ok (1 check), C ok, D ok (1 check)\n"
    failed = Log("r-2")
    failing_run(failed)
    assert render_note(fold_runs(failed.events)[0]) == (
        "orch r-2 failed: A ok (1 check), B failed (1/1 checks failed), C ok, D blocked\n")


def test_note_of_a_big_run_stays_one_line() -> None:
    log = Log("big")
    log.add(ev.RunStarted)
    for i in range(40):
        log.add(ev.TaskStarted, f"T{i}")
        log.add(ev.TaskFailed if i in (3, 7) else ev.TaskCompleted, f"T{i}")
    log.add(ev.Completed, status="failed")
    note = render_note(fold_runs(log.events)[0])
    assert note == "orch big failed: 40 tasks, 38 ok, 2 failed; T3 failed, T7 failed\n"


def test_format_duration() -> None:
    assert [format_duration(s) for s in (0.42, 59.994, 185, 3723)] == [
        "0.42 s", "59.99 s", "3m 05s", "1h 02m 03s"]


def test_report_on_plan_with_tasks_it_does_not_know() -> None:
    log = Log()
    log.add(ev.RunStarted)
    log.add(ev.TaskStarted, "GONE:1")
    log.add(ev.TaskCompleted, "GONE:1")
    plan = Plan(tasks=[Task(id="NEW")])
    text = render_report(fold_runs(log.events)[0], plan)
    rows = read_gantt(mermaid_blocks(text)[0])
    assert list(rows) == ["GONE 1"] and rows["GONE 1"][0] == "Not in the plan"
    assert "| NEW |  | pending |" in text


def test_gantt_reads_seed_style_and_offset_timestamps() -> None:
    events = [
        ev.RunStarted(run="r", ts="2025-09-22T11:03:14Z"),
        ev.TaskStarted(run="r", task="EXC-001", ts="2025-09-22T13:03:14+02:00"),
        ev.TaskCompleted(run="r", task="EXC-001", ts="2025-09-22T11:03:30Z"),
    ]
    [chart] = mermaid_blocks(render_report(fold_runs(events)[0], Plan()))
    assert read_gantt(chart) == {
        "EXC-001": ("Not in the plan", "done", "2025-09-22 11:03:14.000", "2025-09-22 11:03:30.000")}


def test_report_names_plan_changes_and_stale_approvals(log: Log) -> None:
    log.add(ev.RunStarted, plan_digest="pd1")
    log.add(ev.AwaitingApproval, "D", gate="deploy")
    log.add(ev.Approved, "D", gate="deploy", by="alice", plan_digest="pd1", commit="abc")
    log.add(ev.PlanUpdated, digest="pd2", previous_digest="pd1", changes=["task B changed (commands)"])
    text = render_report(fold_runs(log.events)[0], diamond_plan())
    assert "- **Plan changed during the run:** task B changed (commands)" in text
    assert "| deploy | D | alice | pd1 (an earlier plan: no longer applies) | abc |" in text
    assert "| D | Deploy it | awaiting_approval |  |  | gate deploy |" in text


def test_a_failing_log_reader_falls_back_to_the_excerpt(log: Log) -> None:
    failing_run(log)
    plan = diamond_plan()

    def broken(path: str) -> bytes | None:
        raise OSError("blob missing")

    failures = section(render_report(fold_runs(log.events, plan)[0], plan, log_reader=broken), "## Failures")
    assert "FAILED test_widget: expected 3, got 4" in failures


def test_gantt_of_a_big_run_has_one_bar_per_generation() -> None:
    plan, events = fan_out(800, failing=(3,))
    [run] = fold_runs(events, plan)
    [chart] = mermaid_blocks(render_report(run, plan))
    assert len(chart) < 50_000
    rows = read_gantt(chart)
    assert {name: (section, tag) for name, (section, tag, _, _) in rows.items()} == {
        "Generation 0 (1 task)": ("Generations", "done"),
        "Generation 1 (798 tasks)": ("Generations", "crit"),
    }  # the blocked sink never started: no bar
    assert rows["Generation 1 (798 tasks)"][2] == "2026-11-22 08:00:00.040"
