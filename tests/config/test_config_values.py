"""Values that parse but cannot be used are refused where they are set, and where read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import OrchRunner, git


@pytest.mark.parametrize(("key", "value", "says"), [
    ("backend", "foo", "must be one of auto, pygit2, cli"),
    ("state_branch", "a b", "not a valid git ref name"),
    ("state_branch", "../x", "not a valid git ref name"),
    ("notes_ref", "refs/notes/o..x", "not a valid git ref name"),
    ("lock_timeout", "nan", ">= 0"),
    ("http_timeout", "inf", "finite"),  # JSON has no infinity: `config get --json` would say null
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


def test_a_table_in_the_user_config_is_named_with_its_line(repo: Path, orch: OrchRunner) -> None:
    import os

    user = Path(os.environ["XDG_CONFIG_HOME"]) / "gitorch" / "config.toml"
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text("# mine\njobs = 3\n[orch]\njobs = 2\n")
    proc = orch("config", "show", cwd=repo)
    assert proc.returncode == 2
    assert "config.toml:3: unexpected table [orch]: settings are top-level keys" in proc.stderr


def test_a_repo_config_that_does_not_parse_can_be_removed(repo: Path, orch: OrchRunner) -> None:
    from gitorch.config import open_store
    from gitorch.repo import find_repo

    # As another clone could have written it, arriving with `git orch sync`.
    with open_store(find_repo(repo)) as store:
        store.append([], files={"config.toml": b"jobs = 1\nhttp_retries = [\n"})
    proc = orch("events", cwd=repo)
    assert proc.returncode == 2
    assert "orch/state:config.toml:2: config file does not parse" in proc.stderr
    assert "git orch config unset --repo --all" in proc.stderr
    assert orch("config", "unset", "jobs", "--repo", cwd=repo).returncode == 2  # cannot merge into it
    proc = orch("config", "unset", "--repo", "--all", "--json", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["removed"] is True
    assert orch("events", cwd=repo).returncode == 0
    assert orch("config", "set", "jobs", "2", "--repo", cwd=repo).returncode == 0
    assert git(repo, "show", "orch/state:config.toml").strip() == "jobs = 2"
    assert orch("config", "unset", "--all", cwd=repo).returncode == 2  # --all needs --repo


def test_doctor_counts_values_set_in_good_english(repo: Path, orch: OrchRunner) -> None:
    git(repo, "config", "orch.jobs", "2")
    findings = json.loads(orch("doctor", "--json", cwd=repo).stdout)["findings"]
    assert [f["message"] for f in findings if f["check"] == "config"] == [
        "config reads cleanly (1 value set outside the defaults)"]


def test_outside_a_repository_the_message_points_at_user(tmp_path: Path, orch: OrchRunner) -> None:
    proc = orch("config", "set", "jobs", "2", "--json", cwd=tmp_path)
    assert proc.returncode == 2
    out = json.loads(proc.stdout)
    assert "needs a git repository" in out["message"] and "--user" in out["hint"]
