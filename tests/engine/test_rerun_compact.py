"""A re-run that finds every task unchanged records `tasks_skipped` events (engine/skipall.py),
not one `skipped` event per task; every reader must tell the same story as after the loop's
task-by-task skips: status, explain, report, TASKS.md, the note, the run summary, `events`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gitorch.engine import skipall
from tests.conftest import Entry, OrchRunner, git, make_repo
from tests.engine.helpers import write_plan

TASKS = [
    {"id": "a", "paths": {"preferred": ["a/"]}, "commands": {"t": "true"}},
    {"id": "b", "paths": {"preferred": ["b/"]}, "commands": {"t": "true"}},
    {"id": "c", "dependencies": ["a", "b"], "paths": {"preferred": ["c/"]}, "commands": {"t": "true"}},
    {"id": "d", "dependencies": ["c"], "commands": {"t": "true"}},
    {"id": "e", "paths": {"preferred": ["e/"]}, "commands": {"t": "true"},
     "acceptance": [{"file_exists": "e/x.txt"}]},
]
_TS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")
_NUM = re.compile(r"\d+\.\d+")


def _repo(path: Path) -> Path:
    root = make_repo(path, {"a/one.txt": "1\n", "b/x.txt": "x\n", "c/z.txt": "z\n", "e/x.txt": "e\n"})
    write_plan(root, TASKS)
    git(root, "add", "orchestrator.json")
    git(root, "commit", "-q", "-m", "plan")
    return root


def _seen(orch: Entry, root: Path, run: str) -> dict[str, str]:
    """What every reader says after run `run`, its id, times and durations made neutral
    (through the CLI's entry point, in this process: 18 commands)."""
    out: dict[str, str] = {}
    for name, args in {"status": ["status"], "status --json": ["status", "--json"],
                       "report --json": ["report", "--json"], "events": ["events", "--run", run]}.items():
        proc = orch(*args, cwd=root)
        assert proc.returncode == 0, proc.stderr
        out[name] = proc.stdout
    for t in TASKS:
        out["explain " + t["id"]] = orch("explain", t["id"], cwd=root).stdout
        out["explain --json " + t["id"]] = orch("explain", t["id"], "--json", cwd=root).stdout
    report = root.parent / f"report-{run}.md"
    junit = root.parent / f"junit-{run}.xml"
    assert orch("report", "-o", str(report), "--junit", str(junit), cwd=root).returncode == 0
    out["report.md"], out["junit"] = report.read_text(), junit.read_text()
    out["TASKS.md"] = git(root, "show", "orch/state:TASKS.md")
    summary = json.loads(git(root, "show", f"orch/state:runs/{run}.json"))
    for key in ("sessions", "index"):  # where this process's events are: its own session
        summary.pop(key, None)
    out["summary"] = json.dumps(summary)
    out["note"] = git(root, "notes", "--ref=orch", "show", "HEAD")
    # the note keeps one section per run: this run's own
    out["note"] = out["note"][out["note"].index(run):] if run in out["note"] else out["note"]
    return {k: _NUM.sub("N", _TS.sub("TS", v.replace(run, "RUN"))) for k, v in out.items()}


def _segment_types(root: Path, run: str) -> list[str]:
    """The `type` of each event of `run` as written on the state branch (not expanded)."""
    types: list[str] = []
    for path in git(root, "ls-tree", "-r", "--name-only", "orch/state", "sessions/").split():
        for line in git(root, "show", f"orch/state:{path}").splitlines():
            doc = json.loads(line)
            if doc.get("run") == run:
                types.append(doc["type"])
    return types


def test_a_compact_rerun_reads_as_the_task_by_task_one(
    tmp_path: Path, backend: str, orch: OrchRunner, entry: Entry, monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = _repo(tmp_path / "r")
    first = json.loads(orch("run", "--json", cwd=root).stdout)
    assert first["counts"] == {"completed": 5}
    (root / "b/x.txt").write_text("x2\n")
    git(root, "commit", "-q", "-am", "b changed")
    second = json.loads(orch("run", "--json", cwd=root).stdout)  # b and what needs it ran
    assert second["counts"] == {"completed": 3, "skipped": 2}
    with monkeypatch.context() as m:  # the loop's path: one skipped event per task
        m.setattr(skipall, "skip_all", lambda d: False)
        looped = entry("run", "--json", cwd=root)
    assert looped.returncode == 0, looped.stderr
    loop_run = json.loads(looped.stdout)["run"]
    by_loop = _seen(entry, root, loop_run)
    compact = orch("run", cwd=root)  # the real CLI, the compact path
    assert compact.returncode == 0, compact.stderr
    run = re.findall(r"run (\S+) completed", compact.stdout)[-1]
    assert _segment_types(root, loop_run).count("skipped") == 5
    types = _segment_types(root, run)
    # in the loop's order a, b, e, c, d: one event per stretch with the same last pass
    assert "skipped" not in types and types.count("tasks_skipped") == 4
    assert _seen(entry, root, run) == by_loop
    plain = [line for line in compact.stdout.splitlines() if "skipped" in line and line.startswith("[")]
    assert [line.split()[-3] for line in plain] == ["a", "b", "e", "c", "d"]  # progress as before


def test_a_change_leaves_the_run_to_the_loop(tmp_path: Path, backend: str, orch: OrchRunner) -> None:
    """One task due to run: every skip is a `skipped` event of its own, as before."""
    root = _repo(tmp_path / "r")
    assert orch("run", cwd=root).returncode == 0
    (root / "e/x.txt").write_text("e2\n")
    doc = json.loads(orch("run", "--json", cwd=root).stdout)
    assert doc["counts"] == {"completed": 2, "skipped": 3}  # e, and d (no paths: every file)
    types = _segment_types(root, doc["run"])
    assert "tasks_skipped" not in types and types.count("skipped") == 3
    forced = json.loads(orch("run", "--json", "--force", cwd=root).stdout)
    assert forced["counts"] == {"completed": 5}  # --force: nothing is skipped at all
