"""`git orch run` end to end on real repositories, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from gitorch import events as ev
from tests.conftest import OrchRunner, git
from tests.e2e.helpers import events, marks, of_type, states, status, write_plan


def test_parallel_branches_run_at_once_and_state_lands_in_git(repo: Path, orch: OrchRunner) -> None:
    write_plan(repo, [
        {"id": "a", "commands": {"t": "true"}},
        {"id": "b", "dependencies": ["a"], "commands": {"t": "sleep 0.4"}},
        {"id": "c", "dependencies": ["a"], "commands": {"t": "sleep 0.4"}},
        {"id": "d", "dependencies": ["b", "c"], "commands": {"t": "echo done-d"}},
    ])
    proc = orch("run", "-j2", "--dashboard", cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert set(states(orch, repo).values()) == {"completed"}
    assert "- [x] d" in (repo / "TASKS.md").read_text()  # asked for in the work tree too
    evs = events(repo)
    started = {e.task: e.ts for e in of_type(evs, ev.TaskStarted)}
    done = {e.task: e.ts for e in of_type(evs, ev.TaskCompleted)}
    assert started["b"] < done["c"] and started["c"] < done["b"]  # b and c overlapped
    assert started["d"] >= max(done["b"], done["c"]) and started["b"] >= done["a"]
    dashboard = git(repo, "show", "orch/state:TASKS.md")
    assert "- [x] d" in dashboard and "flowchart" in dashboard
    watch = json.loads(git(repo, "show", "orch/state:watch.json"))
    assert watch["schema_version"] == 1 and set(watch["tasks"]) == {"a", "b", "c", "d"}
    assert watch["tasks"]["a"]["commit"] == git(repo, "rev-parse", "HEAD")
    assert "completed" in git(repo, "log", "-1", "--notes=orch", "--format=%N")
    # output kept: the excerpt in the event, the whole log as a blob on the branch
    cmd = of_type(evs, ev.CommandRun, "d")[0]
    assert cmd.excerpt.strip() == "done-d" and cmd.log
    assert git(repo, "show", f"orch/state:{cmd.log}") == "done-d"
    assert len(git(repo, "rev-list", "orch/state").split()) <= 3  # batched, not one commit per event


def test_failure_blocks_dependents_and_keep_going_runs_the_rest(repo: Path, orch: OrchRunner) -> None:
    tasks = [
        {"id": "a", "commands": {"t": "exit 3"}},
        {"id": "b", "dependencies": ["a"], "commands": {"t": "true"}},
        {"id": "c", "commands": {"t": "true"}},
        {"id": "e", "commands": {"t": "false"}},
    ]
    write_plan(repo, tasks)
    proc = orch("run", "-j1", cwd=repo)
    assert proc.returncode == 1
    assert states(orch, repo) == {"a": "failed", "b": "blocked", "c": "pending", "e": "pending"}
    assert "FAILED a: command t exited 3" in proc.stdout
    proc = orch("run", "-j1", "--keep-going", cwd=repo)
    assert proc.returncode == 1
    assert states(orch, repo) == {"a": "failed", "b": "blocked", "c": "completed", "e": "failed"}
    assert "FAILED a" in proc.stdout and "FAILED e" in proc.stdout  # every failure listed
    blocked = of_type(events(repo), ev.TaskBlocked, "b")[-1]
    assert blocked.blocked_by == ["a"]


def test_shards_and_every_check_kind(repo: Path, orch: OrchRunner) -> None:
    (repo / "src").mkdir()
    (repo / "src" / "lib.rs").write_text("pub enum AppError { Io }\nimpl std::error::Error for AppError {}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "src")
    passing = [
        "Tests pass: test -f src/lib.rs",
        {"run": "exit 4", "exit_code": 4},
        "File exists: src/lib.rs",
        {"file_absent": "src/nope.rs"},
        "Contains: enum AppError",
        {"contains": "Io", "in": ["src/"]},
        {"not_contains": "panic!", "in": ["src/lib.rs"]},
        {"matches": "^impl .* for AppError", "in": ["src/*.rs"]},
    ]
    failing = [
        "Tests pass: test -f src/missing.rs",
        "File exists: src/missing.rs",
        {"file_absent": "src/lib.rs"},
        "Contains: enum Missing",
        {"not_contains": "AppError", "in": ["src/"]},
        {"matches": "^fn main", "in": ["src/"]},
    ]
    write_plan(repo, [
        {"id": "ok", "paths": {"preferred": ["src/"]}, "commands": {"build": "true"},
         "acceptance": passing,
         "shards": [{"id": "ok-1", "commands": {"gen": "echo shard"}, "acceptance": ["Contains: AppError"]}]},
        {"id": "bad", "paths": {"preferred": ["src/"]}, "commands": {"build": "true"}, "acceptance": failing},
        {"id": "bad-shard", "commands": {"x": "true"},
         "shards": [{"id": "s1", "commands": {"y": "exit 2"}}, {"id": "s2", "commands": {"z": "true"}}]},
    ])
    proc = orch("run", "--keep-going", "-j1", cwd=repo)
    assert proc.returncode == 1
    assert states(orch, repo) == {"ok": "completed", "bad": "failed", "bad-shard": "failed"}
    evs = events(repo)
    assert len(of_type(evs, ev.AcceptancePassed, "ok")) == len(passing) + 1
    failed = of_type(evs, ev.AcceptanceFailed, "bad")
    assert len(failed) == len(failing)  # every check evaluated, each with evidence
    by_check = {e.check: e.evidence for e in failed}
    assert by_check["File exists: src/missing.rs"] == {"path": "src/missing.rs", "exists": False}
    assert by_check["Tests pass: test -f src/missing.rs"]["exit_code"] == 1
    passed = {e.check: e.evidence for e in of_type(evs, ev.AcceptancePassed, "ok")}
    assert passed["Contains: enum AppError"]["found"] == ["src/lib.rs:1"]
    assert {e.shard for e in of_type(evs, ev.ShardCompleted, "ok")} == {"ok-1"}
    assert of_type(evs, ev.ShardStarted, "bad-shard")[-1].shard == "s1"
    assert "shard s1" in of_type(evs, ev.TaskFailed, "bad-shard")[-1].reason


def test_retry_timeout_missing_command_and_megabytes(repo: Path, orch: OrchRunner, tmp_path: Path) -> None:
    counter = tmp_path / "count"
    pidfile = tmp_path / "pid"
    write_plan(repo, [
        {"id": "flaky", "retry": {"attempts": 3, "backoff": 0.05},
         "commands": {"t": f"echo x >> {counter}; test $(wc -l < {counter}) -ge 3"}},
        {"id": "slow", "constraints": {"timeout": 0.5},
         "commands": {"t": f"sleep 30 & echo $! > {pidfile}; wait"}},
        {"id": "missing", "commands": {"t": "no-such-command-gitorch"}},
        {"id": "loud", "commands": {"t": "yes 0123456789 | head -c 3000000; echo; echo the-end"}},
    ])
    proc = orch("run", "--keep-going", "-j2", cwd=repo)
    assert proc.returncode == 1
    assert states(orch, repo) == {"flaky": "completed", "slow": "failed", "missing": "failed",
                                  "loud": "completed"}
    evs = events(repo)
    assert [(e.attempt, e.status) for e in of_type(evs, ev.CommandRun, "flaky")] == [(1, 1), (2, 1), (3, 0)]
    slow = of_type(evs, ev.CommandRun, "slow")[0]
    assert slow.timed_out and slow.status is None and slow.duration < 5
    pid = int(pidfile.read_text())
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
    missing = of_type(evs, ev.CommandRun, "missing")[0]
    assert missing.status == 127
    assert "127" in of_type(evs, ev.TaskFailed, "missing")[0].reason
    loud = of_type(evs, ev.CommandRun, "loud")[0]
    assert len(loud.excerpt) <= 4000 + 100 and loud.excerpt.rstrip().endswith("the-end")
    size = git(repo, "cat-file", "-s", f"orch/state:{loud.log}")
    assert 500_000 < int(size) < 3_000_000  # head and tail of the 3 MB kept, bounded (log_bytes)


def test_manual_task_waits_until_its_acceptance_passes(repo: Path, orch: OrchRunner) -> None:
    write_plan(repo, [
        {"id": "write-doc", "acceptance": ["File exists: docs/done.md"]},
        {"id": "after", "dependencies": ["write-doc"], "commands": {"t": "true"}},
    ])
    proc = orch("run", cwd=repo)
    assert proc.returncode == 3
    doc = status(orch, repo)
    assert doc["tasks"][0]["state"] == "in_progress" and "docs/done.md" in doc["tasks"][0]["reason"]
    (repo / "docs").mkdir()
    (repo / "docs/done.md").write_text("done\n")
    proc = orch("resume", cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert states(orch, repo) == {"write-doc": "completed", "after": "completed"}


def test_forbidden_paths_and_build_phase(repo: Path, orch: OrchRunner, tmp_path: Path) -> None:
    built = tmp_path / "built"
    (repo / "locked.txt").write_text("keep\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "locked")
    tasks = [
        {"id": "edit", "type": "code_change", "commands": {"t": "echo ok > out.txt"}},
        {"id": "rogue", "constraints": {"forbidden": ["locked.txt"]},
         "commands": {"t": "echo changed >> locked.txt"}},
    ]
    write_plan(repo, tasks, project={"build": {"release": f"echo built >> {built}"}})
    proc = orch("run", "--keep-going", cwd=repo)
    assert proc.returncode == 1
    assert "changed forbidden path locked.txt" in proc.stdout
    assert not built.exists()  # no build after a failed run
    write_plan(repo, tasks[:1], project={"build": {"release": f"echo built >> {built}"}})
    assert orch("run", "--no-build", "--force", cwd=repo).returncode == 0
    assert not built.exists()
    assert orch("run", "--force", cwd=repo).returncode == 0
    assert marks(built) == ["built"]


def test_secrets_reach_only_the_tasks_that_declare_them_and_are_redacted(
    repo: Path, orch: OrchRunner,
) -> None:
    write_plan(repo, [
        {"id": "uses", "secrets": ["API_TOKEN"], "commands": {"t": "echo token=$API_TOKEN"}},
        {"id": "other", "commands": {"t": "echo other=${API_TOKEN:-unset}"}},
        {"id": "unset", "secrets": ["NOT_SET_ANYWHERE"], "commands": {"t": "true"}},
    ])
    proc = orch("run", "-j1", "--keep-going", cwd=repo, env={"API_TOKEN": "s3cr3t-value-123"})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert states(orch, repo) == {"uses": "completed", "other": "completed", "unset": "failed"}
    assert "NOT_SET_ANYWHERE" in proc.stdout
    evs = events(repo)
    assert of_type(evs, ev.CommandRun, "uses")[0].excerpt.strip() == "token=***"
    assert of_type(evs, ev.CommandRun, "other")[0].excerpt.strip() == "other=unset"
    everything = git(repo, "log", "-p", "orch/state") + git(repo, "log", "--notes=orch", "-p")
    assert "s3cr3t-value-123" not in everything


def test_cross_repo_task_runs_in_the_workspace_repo_and_records_its_commit(
    repo: Path, orch: OrchRunner, tmp_path: Path,
) -> None:
    from tests.conftest import make_repo

    lib = make_repo(repo / "libs" / "core", {"core.txt": "core\n"})
    (repo / "workspace.toml").write_text('[[repos]]\nname = "core"\npath = "libs/core"\n'
                                         '[[repos]]\nname = "nowhere"\npath = "libs/nowhere"\n')
    write_plan(repo, [
        {"id": "in-core", "repo": "core", "commands": {"t": "cat core.txt"}},
        {"id": "missing", "repo": "nowhere", "commands": {"t": "true"}},  # named, not checked out
    ])
    proc = orch("run", "--keep-going", cwd=repo)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert states(orch, repo) == {"in-core": "completed", "missing": "failed"}
    evs = events(repo)
    assert of_type(evs, ev.CommandRun, "in-core")[0].excerpt.strip() == "core"
    where = of_type(evs, ev.TaskRepo, "in-core")[0]
    assert where.commit == git(lib, "rev-parse", "HEAD")
    assert "nowhere" in of_type(evs, ev.TaskFailed, "missing")[0].reason
