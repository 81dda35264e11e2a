"""Failures fail (issue 14), through `git orch run` on real repositories: a failed shard is
closed, the timebox is the task's whole budget, the project's build defaults run, and a task
whose only work is a runnable check is automated."""

from __future__ import annotations

import time
from pathlib import Path

from gitorch import events as ev
from tests.conftest import OrchRunner, git
from tests.e2e.helpers import events, of_type, states, write_plan


def test_a_failed_shard_is_closed_failed(repo: Path, orch: OrchRunner) -> None:
    write_plan(repo, [{"id": "sh", "commands": {"x": "true"},
                       "shards": [{"id": "s1", "commands": {"y": "exit 2"}},
                                  {"id": "s2", "commands": {"z": "true"}}]}])
    proc = orch("run", cwd=repo)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    ended = [e for e in of_type(events(repo), ev.TaskFailed, "sh") if e.shard == "s1"]
    assert len(ended) == 1 and ended[0].reason == "command y exited 2"
    dashboard = git(repo, "show", "orch/state:TASKS.md")
    assert "  - [ ] s1 (failed)" in dashboard and "  - [ ] s2 (pending)" in dashboard
    assert "in_progress" not in dashboard.split("## Graph")[0]


def test_the_timebox_is_the_whole_tasks_budget(repo: Path, orch: OrchRunner) -> None:
    """Each command is within its own timeout, together they overrun the 1s timebox: the
    running one is stopped and the task fails with the timebox's own wording."""
    write_plan(repo, [
        {"id": "box", "constraints": {"timebox": "1s", "timeout": "30s"},
         "commands": {"a": "sleep 0.5", "b": "sleep 20; touch not-stopped"}},
        {"id": "after", "dependencies": ["box"], "commands": {"x": "true"}},
    ])
    start = time.monotonic()
    proc = orch("run", cwd=repo)
    assert time.monotonic() - start < 15
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAILED box: timebox 1s exceeded" in proc.stdout
    assert states(orch, repo) == {"box": "failed", "after": "blocked"}
    runs = {e.name: e for e in of_type(events(repo), ev.CommandRun, "box")}
    assert runs["a"].status == 0 and runs["b"].status is None and runs["b"].timed_out
    assert not (repo / "not-stopped").exists()


def test_timebox_covers_retries_and_must_be_a_duration(repo: Path, orch: OrchRunner) -> None:
    write_plan(repo, [{"id": "r", "constraints": {"timebox": "1s"},
                       "retry": {"attempts": 5, "backoff": "0.4s"},
                       "commands": {"flaky": "sleep 0.3; exit 1"}}])
    proc = orch("run", cwd=repo)
    assert proc.returncode == 1 and "FAILED r: timebox 1s exceeded" in proc.stdout, proc.stdout
    assert len(of_type(events(repo), ev.CommandRun, "r")) < 5
    write_plan(repo, [{"id": "r", "constraints": {"timebox": "two hours"}}])
    bad = orch("plan", "validate", cwd=repo)
    assert bad.returncode == 2
    assert "tasks[0].constraints.timebox: timebox 'two hours' is not a duration" in bad.stderr


def test_build_defaults_are_the_lint_and_test_of_code_changing_tasks(repo: Path, orch: OrchRunner) -> None:
    write_plan(repo, [
        {"id": "code", "type": "code_change", "commands": {"edit": "echo edit-$GITORCH_TASK >> order.txt"}},
        {"id": "own", "type": "code_change", "commands": {"test": "echo own-test"}},
        {"id": "docs", "type": "docs", "commands": {"d": "true"}},
    ], project={"build": {"lint": "echo lint-$GITORCH_TASK >> order.txt",
                       "test": "echo test-$GITORCH_TASK >> order.txt"}})
    dry = orch("run", "--dry-run", "--json", cwd=repo)
    assert dry.returncode == 0, dry.stderr
    proc = orch("run", cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = (repo / "order.txt").read_text().split()
    assert [x for x in lines if x.endswith("-code")] == ["edit-code", "lint-code", "test-code"]
    assert [x for x in lines if x.endswith("-own")] == ["lint-own"]  # its own test, the default lint
    ran = {t: [e.name for e in of_type(events(repo), ev.CommandRun, t)] for t in ("code", "own", "docs")}
    assert ran == {"code": ["edit", "lint", "test"], "own": ["test", "lint"], "docs": ["d"]}
    own_test = [e for e in of_type(events(repo), ev.CommandRun, "own") if e.name == "test"][0]
    assert own_test.cmd == "echo own-test"


def test_a_task_with_only_a_runnable_check_fails_instead_of_waiting(repo: Path, orch: OrchRunner) -> None:
    write_plan(repo, [{"id": "check-only", "acceptance": ["Tests pass: exit 1"]},
                      {"id": "manual", "acceptance": ["File exists: done.txt"]}])
    proc = orch("run", "--keep-going", cwd=repo)
    assert states(orch, repo)["check-only"] == "failed", proc.stdout
    assert states(orch, repo)["manual"] != "failed", proc.stdout


def test_a_long_output_is_kept_as_head_and_tail_with_secrets_masked(repo: Path, orch: OrchRunner) -> None:
    """The stored log keeps the first and last halves of `log_bytes` with a marker for what was
    cut; a secret is masked in it and in the event's bounded excerpt."""
    assert orch("config", "set", "log_bytes", "20000", cwd=repo).returncode == 0
    assert orch("secrets", "set", "API_TOKEN", cwd=repo, input="tok-3f9a1c77e2\n").returncode == 0
    loud = 'echo "first $API_TOKEN"; seq 1 200000; echo "last $API_TOKEN"; exit 1'
    write_plan(repo, [{"id": "loud", "secrets": ["API_TOKEN"], "commands": {"print": loud}}])
    proc = orch("run", cwd=repo)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "tok-3f9a1c77e2" not in proc.stdout + proc.stderr
    (run,) = of_type(events(repo), ev.CommandRun, "loud")
    log = git(repo, "show", f"orch/state:{run.log}")
    assert log.startswith("first ***\n1\n2\n") and log.endswith("200000\nlast ***")
    assert "bytes of output cut here" in log and len(log) < 20_400
    assert "tok-3f9a1c77e2" not in log and "tok-3f9a1c77e2" not in run.excerpt
    assert run.excerpt.endswith("last ***\n") and len(run.excerpt) < 4200
    from gitorch.repo import find_repo

    scratch = find_repo(repo).scratch
    kept = [f.read_bytes() for f in scratch.rglob("*")
            if f.is_file() and f.relative_to(scratch).parts[0] != "secrets"]  # the store holds it
    assert not any(b"tok-3f9a1c77e2" in data for data in kept)  # no raw output left behind
