"""Bad options of the CI job commands: exit 2 naming the option, before anything is done."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ci.conftest import orch
from tests.conftest import git, make_repo

PLAN = ("version: 1\norchestrator: {approvals: {required: [deploy], ci: {deploy: local}}}\n"
        "tasks:\n  - {id: a, commands: {x: 'true'}, approvals: [deploy]}\n")


def test_job_commands_refuse_bad_options_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "r", {"orchestrator.yml": PLAN})
    monkeypatch.setenv("GITORCH_CI_RUN", "r1")
    for var in ("GITHUB_ACTIONS", "GITHUB_RUN_ID", "GITLAB_CI", "CI_PIPELINE_ID"):
        monkeypatch.delenv(var, raising=False)
    # --timeout was reported as "--older-than", after "waiting for approval" was printed
    code, out, err = orch(repo, "ci", "wait-approval", "--gate", "deploy", "--task", "a", "--timeout", "soon")
    assert code == 2 and "--timeout 'soon'" in err and "waiting" not in out
    code, out, err = orch(repo, "ci", "wait-approval", "--gate", "deploy", "--task", "zz")
    assert code == 2 and "unknown task zz" in err and "waiting" not in out
    code, _, err = orch(repo, "ci", "wait-approval", "--gate", "deploy", "--task", "a", "--every", "-1")
    assert code == 2 and "--every" in err  # time.sleep(-1) was a ValueError, exit 70
    # a negative age pruned every cache entry
    code, _, err = orch(repo, "cache", "gc", "--older-than", "-1d")
    assert code == 2 and "--older-than '-1d'" in err
    # a folder as --out was an IsADirectoryError (exit 70) after the results were folded
    code, _, err = orch(repo, "ci", "collect", "--out", str(tmp_path), "--remote", str(repo))
    assert code == 2 and "is a directory" in err
    assert git(repo, "for-each-ref", "refs/heads/orch").strip() == ""  # nothing folded or written
    code, _, err = orch(repo, "ci", "approve", "--gate", "deploy", "--task", "a")
    assert code == 2 and "not a GitHub Actions job" in err  # said "this is other"
