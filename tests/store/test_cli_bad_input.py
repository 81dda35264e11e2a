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
