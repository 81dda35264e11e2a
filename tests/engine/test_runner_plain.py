"""A task of commands alone runs on the runner's plain path (engine/runner.py `_plain_task`,
issue 15 P1); it must record exactly what the general path records. Each case runs twice in
one real `git orch run`: as is (plain), and with a forbidden path nothing touches, which
sends the same commands through the general path (`_full_task`); their events must agree
field by field. Which path each task takes is checked on the same plan: without it, a
dispatch that sends every task down the general path would pass the comparison."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from gitorch import events as ev
from gitorch.engine import runner
from gitorch.plan.load import load_plan
from gitorch.secrets.redact import Redactor
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
# what may differ between a task and its twin: when it ran and for how long, its name, and
# the digest of its inputs (the twin's definition differs: compared as there or not)
_APART = ("id", "ts", "duration", "task", "inputs")


def _general(spec: dict[str, Any]) -> dict[str, Any]:
    constraints = {**spec.get("constraints", {}), "forbidden": ["untouched-by-any-task"]}
    return {**spec, "constraints": constraints}


def _write(repo: Path) -> None:
    tasks = []
    for name, spec in CASES.items():
        tasks.append({"id": name, **spec})
        tasks.append({"id": f"{name}-general", **_general(spec)})
    write_plan(repo, tasks)


def _record(evs: list[ev.Event], task: str) -> list[dict[str, Any]]:
    """Every field of `task`'s events but those in _APART; its name in them made TASK."""
    out: list[dict[str, Any]] = []
    for e in evs:
        if e.task != task:
            continue
        fields = {k: v for k, v in msgspec.structs.asdict(e).items() if k not in _APART}
        fields["type"] = ev.type_of(e)
        if isinstance(e, ev.TaskCompleted):
            fields["inputs"] = e.inputs is not None
        if isinstance(e, ev.CommandRun):
            fields["excerpt"] = e.excerpt.replace(task, "TASK")  # the env case prints it
            fields["log"] = e.log.replace(f"/{task}/", "/TASK/") if e.log else None
        out.append(fields)
    return out


def test_a_plain_task_records_what_the_general_path_records(repo: Path, orch: OrchRunner) -> None:
    _write(repo)
    proc = orch("run", "--keep-going", "-j2", cwd=repo, env={"ORCH_TEST_VALUE": "from-the-run"})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    evs = events(repo)
    for name in CASES:
        plain, general = _record(evs, name), _record(evs, f"{name}-general")
        assert plain and plain == general, name
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


def test_each_case_takes_the_path_its_twin_does_not(repo: Path, tmp_path: Path) -> None:
    _write(repo)
    tasks = {t.id: t for t in load_plan(repo / "orchestrator.json").plan.tasks}
    ctx = runner.RunContext(run="r", root=repo, repo_root=repo, scratch=tmp_path / "scratch",
                            excerpt_bytes=2000, redactor=Redactor(), base_env={},
                            env_for=lambda task: {})
    plain, full = runner._plain_task.__code__, runner._full_task.__code__
    for name in CASES:
        for task, path in ((name, plain), (f"{name}-general", full)):
            steps = runner.run_task(ctx, tasks[task])
            # a generator not yet started: nothing of the task has run
            assert getattr(steps, "gi_code", None) is path, task
            steps.close()
