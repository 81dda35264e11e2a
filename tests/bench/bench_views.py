"""Views on a 1,000-task run of ~10,000 events: decode, fold, dashboard, report, JUnit, note.

Peer: jq folding the same JSONL to the last event type per task (the least a fold must do),
both from a fresh process reading the file. Run: .venv/bin/python tests/bench/run.py views
"""

from __future__ import annotations

import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gitorch import events as ev
from gitorch.plan.model import CommandCheck, FileExists, Plan, Task
from gitorch.views.dashboard import render_dashboard
from gitorch.views.fold import fold_runs
from gitorch.views.report import render_junit, render_note, render_report

TASKS = 1000
REPEAT = 11


def build(tasks: int = TASKS) -> tuple[Plan, list[ev.Event]]:
    """A fan-out DAG (root -> tasks-2 in parallel -> sink); 10 events per task, 1% failing."""
    ids = [f"T{i:04d}" for i in range(tasks)]
    plan = Plan(tasks=[
        Task(id=tid, title=f"Task {n}",
             commands={f"c{k}": "sh -c true" for k in range(5)},
             acceptance=[CommandCheck(run="true", label="Tests pass: true"),
                         FileExists(path="a", label="File exists: a"),
                         FileExists(path="b", label="File exists: b")],
             dependencies=[] if n == 0 else [ids[0]] if n < tasks - 1 else ids[1:-1])
        for n, tid in enumerate(ids)
    ])
    base = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    clock = [0]

    def ts() -> str:
        clock[0] += 1
        return (base + timedelta(milliseconds=clock[0])).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

    run = "r-bench"
    out: list[ev.Event] = [ev.RunStarted(run=run, ts=ts(), plan_digest="pd", commit="c0ffee", jobs=2)]
    for n, tid in enumerate(ids):
        fails = n % 100 == 50
        out.append(ev.TaskStarted(run=run, task=tid, ts=ts(), inputs="x" * 40))
        for k in range(5):
            status = 1 if fails and k == 4 else 0
            out.append(ev.CommandRun(run=run, task=tid, ts=ts(), name=f"c{k}", cmd="sh -c true",
                                     status=status, duration=0.003, excerpt="ok\n" * 5))
        for label in ("Tests pass: true", "File exists: a", "File exists: b"):
            out.append(ev.AcceptancePassed(run=run, task=tid, ts=ts(), check=label,
                                           evidence={"exit_code": 0}))
        if fails:
            out.append(ev.TaskFailed(run=run, task=tid, ts=ts(), reason="command c4 exited 1"))
        else:
            out.append(ev.TaskCompleted(run=run, task=tid, ts=ts(), duration=0.02))
    out.append(ev.Completed(run=run, ts=ts(), status="failed"))
    return plan, out


def best(fn: Callable[[], object], repeat: int = REPEAT) -> tuple[float, float]:
    """(median wall, best CPU) milliseconds of `fn` over `repeat` calls.

    CPU time is the steadier figure on a shared machine: waiting for a core does not count.
    """
    wall, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        cpu.append((time.process_time() - c) * 1000)
        wall.append((time.perf_counter() - t) * 1000)
    return statistics.median(wall), min(cpu)


JQ_FOLD = 'reduce .[] as $e ({}; if $e.task then .[$e.task] = $e.type else . end) | length'
PY_FOLD = (
    "import sys; from gitorch.events import decode_lines; from gitorch.views.fold import fold_runs; "
    "r = fold_runs(decode_lines(open(sys.argv[1], 'rb').read()))[-1]; print(len(r.tasks))"
)


def fresh_process(argv: list[str], repeat: int = 5) -> tuple[float, float]:
    """(median wall, best CPU: user + system) milliseconds of running `argv`."""
    wall, cpu = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        wall.append((time.perf_counter() - t) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000)
    return statistics.median(wall), min(cpu)


def main() -> None:
    plan, events = build()
    data = ev.encode_lines(events)
    print(f"{TASKS} tasks, {len(events)} events, {len(data) / 1e6:.1f} MB of JSONL; "
          f"ms: median wall, best CPU of {REPEAT}")
    run = fold_runs(events, plan)[-1]

    def all_three() -> tuple[str, str]:
        folded = fold_runs(events, plan)[-1]
        return render_dashboard(folded, plan), render_report(folded, plan)

    rows: list[tuple[str, Callable[[], object]]] = [
        ("decode JSONL", lambda: ev.decode_lines(data)),
        ("fold_runs", lambda: fold_runs(events, plan)),
        ("render_dashboard", lambda: render_dashboard(run, plan)),
        ("render_report", lambda: render_report(run, plan)),
        ("render_junit", lambda: render_junit(run, plan)),
        ("render_note", lambda: render_note(run)),
        ("fold + dashboard + report", all_three),
    ]
    for name, fn in rows:
        median, low = best(fn)
        print(f"  {name:<28} {median:8.1f}  ({low:.1f})")
    jq = shutil.which("jq")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.jsonl"
        path.write_bytes(data)
        ours = fresh_process([sys.executable, "-c", PY_FOLD, str(path)])
        print(f"  fresh process, read file + fold: gitorch wall {ours[0]:.0f}, CPU {ours[1]:.0f}")
        if jq:
            theirs = fresh_process([jq, "-s", JQ_FOLD, str(path)])
            print(f"  jq, last event type per task:     wall {theirs[0]:.0f}, CPU {theirs[1]:.0f}")
            print(f"  gitorch / jq: wall {ours[0] / theirs[0]:.2f}x, CPU {ours[1] / theirs[1]:.2f}x")
        else:
            print("  (jq not installed: no peer figure)")


if __name__ == "__main__":
    main()
