"""Values that parse but cannot be used are refused where they are set, and where read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import OrchRunner, git


@pytest.mark.parametrize(("key", "value", "says"), [
    ("backend", "foo", "must be one of auto, pygit2, cli"),
    ("state_branch", "a b", "not a valid git ref name"),
    ("state_branch", "../x", "not a valid git ref name"),
    ("notes_ref", "refs/notes/o..x", "not a valid git ref name"),
    ("lock_timeout", "nan", ">= 0"),
    ("lock_timeout", "-5", ">= 0"),
    ("jobs", "-1", ">= 0"),
])
def test_set_refuses_unusable_values(repo: Path, orch: OrchRunner, key: str, value: str, says: str) -> None:
    proc = orch("config", "set", "--json", "--", key, value, cwd=repo)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert says in json.loads(proc.stdout)["message"]
    assert "orch." not in git(repo, "config", "--list")  # nothing was written


def test_a_bad_value_set_by_hand_is_named_not_a_crash(repo: Path, orch: OrchRunner) -> None:
    git(repo, "config", "orch.stateBranch", "a b")
    proc = orch("init", cwd=repo)
    assert proc.returncode == 2, proc.stderr
    assert "git config orch.stateBranch: state_branch is not a valid git ref name" in proc.stderr
    assert "internal error" not in proc.stderr
    assert orch("config", "unset", "state_branch", cwd=repo).returncode == 0  # the way out works
    assert orch("init", cwd=repo).returncode == 0


def test_doctor_reports_a_bad_config_once(repo: Path, orch: OrchRunner) -> None:
    git(repo, "config", "orch.lockTimeout", "-3")
    proc = orch("doctor", "--json", cwd=repo)
    assert proc.returncode == 1
    findings = json.loads(proc.stdout)["findings"]
    errors = [f for f in findings if f["severity"] == "error"]
    assert [f["check"] for f in errors] == ["config"], errors
    assert any(f["check"] == "git" and f["severity"] == "ok" for f in findings)
