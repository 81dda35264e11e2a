"""The state commands end to end: the real `git orch` (subprocess) and the in-process app."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gitorch import events as ev
from gitorch.config import open_store
from gitorch.repo import find_repo
from gitorch.store.state import StateStore
from tests.conftest import OrchRunner, git, make_repo

pytestmark = pytest.mark.usefixtures("backend")  # each test on both git backends


def seed(path: Path) -> StateStore:
    store = open_store(find_repo(path))
    store.append([ev.RunStarted(run="r1"), ev.TaskStarted(run="r1", task="build")])
    store.append([ev.TaskStarted(run="r2", task="lint")])
    store.journal([ev.TaskCompleted(run="r1", task="build")])
    return store


def test_init_events_sessions_and_log(repo: Path, orch: OrchRunner, backend: str) -> None:
    proc = orch("init", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["created"] is True
    assert "already there" in orch("init").stdout
    seed(repo).close()
    proc = orch("events", "--json", "--run", "r1")
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [x["type"] for x in lines] == ["run_started", "task_started", "task_completed"]
    assert "task_started" in orch("events").stdout
    sessions = json.loads(orch("sessions", "--json").stdout)
    assert len(sessions) == 1 and sessions[0]["events"] == 4 and sessions[0]["pending"] == 1
    assert sorted(sessions[0]["runs"]) == ["r1", "r2"]
    log = json.loads(orch("state", "log", "--json").stdout)
    assert len(log) == 3 and all(len(c["commit"]) == 40 for c in log)
    assert git(repo, "status", "--porcelain") == ""


def test_init_portable_configures_refspecs(repo: Path, bare_remote: Path, orch: OrchRunner) -> None:
    git(repo, "remote", "add", "origin", str(bare_remote))
    assert orch("init", "--portable").returncode == 0
    assert "refs/orch/remotes/origin/state" in git(repo, "config", "--get-all", "remote.origin.fetch")
    pushes = git(repo, "config", "--get-all", "remote.origin.push").splitlines()
    assert pushes == [
        "HEAD", "refs/heads/orch/state*:refs/heads/orch/state*", "refs/notes/orch*:refs/notes/orch*",
    ]
    seed(repo).close()
    git(repo, "push", "-q", "origin")  # plain git now carries the state
    assert git(bare_remote, "rev-parse", "orch/state") == git(repo, "rev-parse", "orch/state")
    orch("init", "--portable")  # idempotent
    assert len(git(repo, "config", "--get-all", "remote.origin.push").splitlines()) == 3


def test_init_template_writes_the_plan(repo: Path, tmp_path: Path, orch: OrchRunner) -> None:
    template = tmp_path / "template.yml"
    template.write_text("tasks:\n  - id: build\n    commands:\n      build: 'true'\n")
    proc = orch("init", "--template", str(template), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["template"] == str(repo / "orchestrator.yml")
    assert (repo / "orchestrator.yml").read_text() == template.read_text()
    proc = orch("init", "--template", str(template))  # never overwrites the plan
    assert proc.returncode == 2 and "already exists" in proc.stderr


def test_sync_missing_remote_exit_2(repo: Path, orch: OrchRunner) -> None:
    proc = orch("sync", "upstream")
    assert proc.returncode == 2 and "no remote named 'upstream'" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = orch("sync", "--json")
    assert proc.returncode == 2 and json.loads(proc.stdout)["error"] == "UsageError"


def test_sync_and_export_import_commands(tmp_path: Path, bare_remote: Path, orch: OrchRunner) -> None:
    one = make_repo(tmp_path / "one")
    git(one, "remote", "add", "origin", str(bare_remote))
    seed(one).close()
    proc = orch("sync", "--json", cwd=one)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["pushed"] is True
    archive = tmp_path / "out.tar.gz"
    assert orch("export", "-o", str(archive), cwd=one).returncode == 0
    git(tmp_path, "clone", "-q", str(one), "two")  # a fresh clone: same project, no local state
    two = tmp_path / "two"
    proc = orch("import", str(archive), "--json", cwd=two)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["state"] == "created"
    a = orch("events", "--json", cwd=one).stdout
    b = orch("events", "--json", cwd=two).stdout
    assert a == b and len(a.splitlines()) == 4


def test_held_lock_exits_4_naming_the_holder(repo: Path, orch: OrchRunner) -> None:
    code = textwrap.dedent(
        """
        import sys, time
        from gitorch.repo import find_repo
        from gitorch.config import open_store
        store = open_store(find_repo("."))
        with store.lock("write-orch/state", timeout=5):
            print("held", flush=True)
            time.sleep(30)
        """
    )
    holder = subprocess.Popen([sys.executable, "-c", code], cwd=repo, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        proc = orch("init", env={"GITORCH_LOCK_TIMEOUT": "0.5"})
        assert proc.returncode == 4
        assert f"pid {holder.pid}" in proc.stderr and "lock 'write-orch/state'" in proc.stderr
    finally:
        holder.kill()
        holder.wait()


def test_newer_schema_exits_5(repo: Path, orch: OrchRunner) -> None:
    seed(repo).close()
    env = {"GIT_INDEX_FILE": str(repo / ".git" / "tmp-index")}
    import os

    full = dict(os.environ, **env)

    def run(*args: str, input: bytes | None = None) -> str:
        return subprocess.run(["git", *args], cwd=repo, env=full, input=input, check=True,
                              capture_output=True).stdout.decode().strip()

    run("read-tree", "orch/state")
    blob = run("hash-object", "-w", "--stdin", input=b'{"format":"gitorch-state","schema_version":7}')
    run("update-index", "--cacheinfo", f"100644,{blob},gitorch-state.json")
    commit = run("commit-tree", run("write-tree"), "-p", "orch/state", "-m", "future")
    run("update-ref", "refs/heads/orch/state", commit)
    proc = orch("events")
    assert proc.returncode == 5 and "newer gitorch" in proc.stderr
