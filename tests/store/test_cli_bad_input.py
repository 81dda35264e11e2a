"""The state commands' arguments: unknown values named, usage lines readable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import OrchRunner

pytestmark = pytest.mark.usefixtures("backend")  # each test on both git backends


def test_events_unknown_type_is_named_with_the_nearest(repo: Path, orch: OrchRunner) -> None:
    assert orch("init", cwd=repo).returncode == 0
    proc = orch("events", "--type", "task_start", cwd=repo)
    assert proc.returncode == 2
    assert "unknown event type 'task_start'" in proc.stderr and "task_started" in proc.stderr
    proc = orch("events", "--type", "xyz", "--json", cwd=repo)
    assert proc.returncode == 2 and json.loads(proc.stdout)["error"] == "UsageError"
    assert orch("events", "--type", "task_started", "--type", "unknown", cwd=repo).returncode == 0


def test_usage_lines_name_the_arguments(repo: Path, orch: OrchRunner) -> None:
    for args, shown in [(("config", "set"), "KEY VALUE"), (("import",), "FILE.tar.gz"),
                        (("secrets", "test"), "NAME"), (("sync", "-h"), "[REMOTE]")]:
        proc = orch(*args, cwd=repo)
        assert shown in proc.stdout + proc.stderr, (args, proc.stdout + proc.stderr)


def test_state_log_count(repo: Path, orch: OrchRunner) -> None:
    assert "no state branch (orch/state) yet" in orch("state", "log", cwd=repo).stdout
    assert orch("init", cwd=repo).returncode == 0
    assert orch("state", "log", "-n", "0", cwd=repo).stdout == ""  # the branch exists: nothing to say
    proc = orch("state", "log", "-n", "-1", cwd=repo)
    assert proc.returncode == 2 and "-n" in proc.stderr
    assert len(json.loads(orch("state", "log", "-n", "1", "--json", cwd=repo).stdout)) == 1


def test_concurrent_inits_one_creates(repo: Path) -> None:
    import os
    import subprocess

    procs = [subprocess.Popen(["git", "orch", "init", "--json"], cwd=repo, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=dict(os.environ)) for _ in range(4)]
    outs = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
    assert sorted(o["created"] for o in outs) == [False, False, False, True]
    assert len({o["tip"] for o in outs}) == 1


def test_a_sha256_repository_is_refused_with_one_message(tmp_path: Path, orch: OrchRunner) -> None:
    """The state branch is written as SHA-1 objects: a SHA-256 repository gets one message and
    exit 2 from the first command that opens the store, and nothing is recorded."""
    from tests.conftest import git

    repo = tmp_path / "r256"
    git(tmp_path, "init", "-q", "--object-format=sha256", str(repo))
    (repo / "plan.yml").write_text('tasks:\n  - id: a\n    commands:\n      build: "true"\n')
    git(repo, "add", "plan.yml")
    git(repo, "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "plan")
    for args in (("run", "-f", "plan.yml"), ("run", "-f", "plan.yml"), ("status", "-f", "plan.yml")):
        proc = orch(*args, cwd=repo)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "SHA-256" in proc.stderr and "Traceback" not in proc.stderr
        assert "skipped" not in proc.stdout  # the refused run recorded nothing to skip from
    assert len(git(repo, "for-each-ref", "refs/", "--format=%(refname)").split()) == 1  # no state branch
