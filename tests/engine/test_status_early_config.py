"""`git orch status` (like next and explain) takes its settings from the `git config` the
entry point started (cli/entry, gitorch/earlyconfig), not from one of its own."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import OrchRunner, git
from tests.engine.helpers import plan_repo


def _repo(path: Path) -> Path:
    return plan_repo(path, {"a/one.txt": "one\n"},
                     [{"id": "a", "paths": {"preferred": ["a/"]}, "commands": {"t": "true"}}])


def test_status_reads_git_config_in_the_process_started_at_entry(tmp_path: Path, orch: OrchRunner) -> None:
    """One `git config`, the entry point's (its pattern asks every key a command reads), and
    its answer counts: orch.stateBranch names a branch without runs."""
    from gitorch import earlyconfig

    root = _repo(tmp_path / "r")
    assert orch("run", cwd=root).returncode == 0
    git(root, "config", "orch.stateBranch", "orch/other")  # a branch without runs: it counts
    trace = tmp_path / "trace.txt"
    proc = orch("status", "--json", cwd=root / "a", env={"GIT_TRACE": str(trace)})
    assert proc.returncode == 0 and json.loads(proc.stdout)["run"] is None, proc.stderr
    configs = [line.split("built-in: ", 1)[1] for line in trace.read_text().splitlines()
               if "built-in: git config" in line]
    assert configs == [f"git config -z --get-regexp '{earlyconfig.PATTERN}'"], configs
