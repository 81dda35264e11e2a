"""A task of commands alone runs on the runner's plain path (engine/runner.py `_plain_task`,
issue 15 P1); it must record exactly what the general path records. Each case runs twice in
one real `git orch run`: as is (plain), and with a forbidden path nothing touches, which
sends the same commands through the general path; their events must agree field by field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitorch import events as ev
from tests.conftest import OrchRunner
from tests.e2e.helpers import events, write_plan

CASES: dict[str, dict[str, Any]] = {
    "ok": {"commands": {"a": "echo hello", "b": "true"}},
    "fails": {"commands": {"a": "echo out; echo err >&2; exit 3", "b": "touch never-made"}},
    "missing": {"commands": {"a": "no-such-program-for-gitorch"}},
    "timeout": {"constraints": {"timeout": "0.3s"}, "commands": {"a": "sleep 5"}},
    # the environment a command sees: the run's, and the task's own name
    "env": {"commands": {"a": 'echo "$GITORCH_TASK $ORCH_TEST_VALUE"'}},
    "none": {},
}


def _general(spec: dict[str, Any]) -> dict[str, Any]:
    constraints = {**spec.get("constraints", {}), "forbidden": ["untouched-by-any-task"]}
    return {**spec, "constraints": constraints}


def _record(evs: list[ev.Event], task: str) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for e in evs:
        if e.task != task:
            continue
        if isinstance(e, ev.CommandRun):
            log = e.log.rsplit("/", 1)[-1] if e.log else None  # logs/<run>/<task>/<n>-<name>.log
            out.append(("command_run", e.name, e.cmd, e.status, e.attempt, e.excerpt.replace(task, "TASK"),
                        log, e.timed_out, e.shard, e.session))
        elif isinstance(e, ev.TaskCompleted):
            out.append(("task_completed", e.inputs is not None, e.session))
        elif isinstance(e, ev.TaskFailed):
            out.append(("task_failed", e.reason, e.shard))
        else:
            out.append((ev.type_of(e),))
    return out


def test_a_plain_task_records_what_the_general_path_records(repo: Path, orch: OrchRunner) -> None:
    tasks = []
    for name, spec in CASES.items():
        tasks.append({"id": name, **spec})
        tasks.append({"id": f"{name}-general", **_general(spec)})
    write_plan(repo, tasks)
    proc = orch("run", "--keep-going", "-j2", cwd=repo, env={"ORCH_TEST_VALUE": "from-the-run"})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    evs = events(repo)
    for name in CASES:
        plain, general = _record(evs, name), _record(evs, f"{name}-general")
        assert plain == [(t[0], *(x.replace("-general", "") if isinstance(x, str) else x for x in t[1:]))
                         for t in general], name
    runs = {e.task: e for e in evs if isinstance(e, ev.CommandRun)}
    assert runs["ok"].status == 0 and runs["fails"].status == 3 and runs["missing"].status == 127
    assert runs["timeout"].timed_out and runs["timeout"].status is None
    assert runs["env"].excerpt.strip() == "env from-the-run"
    assert runs["env-general"].excerpt.strip() == "env-general from-the-run"
    assert "out\nerr" in runs["fails"].excerpt and runs["fails"].log
    assert not (repo / "never-made").exists()  # the failed command's task stopped there
    failed = {e.task: e.reason for e in evs if isinstance(e, ev.TaskFailed)}
    assert failed["fails"] == "command a exited 3"
    assert failed["missing"] == "command a exited 127 (command not found)"
    assert failed["timeout"].startswith("command a timed out")
    assert {e.task for e in evs if isinstance(e, ev.TaskCompleted)} >= {"ok", "env", "none"}
